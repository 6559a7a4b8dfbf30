"""What a column can be imported as, for each kind of file, and the suggestions from headers and values."""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from intranet.beneficiaries.models import BeneficiaryStatus, Gender
from intranet.imports import cells
from intranet.imports.reading import Formula, as_text, is_blank
from intranet.search import fold
from intranet.values import InvalidValue


@dataclass
class Field:
    key: str
    label: object
    type: str  # text, name, full_name, email, phone, date, birth_date, postcode, choice, time, module_date
    headers: tuple[str, ...] = ()
    choices: list[tuple[str, object]] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # folded value -> choice

    @property
    def is_list(self) -> bool:
        return self.type == "choice"


GENDER_WORDS = {"mme": Gender.WOMAN, "madame": Gender.WOMAN, "mlle": Gender.WOMAN, "mademoiselle": Gender.WOMAN,
                "f": Gender.WOMAN, "femme": Gender.WOMAN, "m": Gender.MAN, "mr": Gender.MAN, "monsieur": Gender.MAN,
                "h": Gender.MAN, "homme": Gender.MAN, "non binaire": Gender.NON_BINARY}
STATUS_WORDS = {"en cours": BeneficiaryStatus.IN_PROGRESS, "encours": BeneficiaryStatus.IN_PROGRESS,
                "suivi": BeneficiaryStatus.IN_PROGRESS, "termine": BeneficiaryStatus.COMPLETED,
                "terminee": BeneficiaryStatus.COMPLETED, "fini": BeneficiaryStatus.COMPLETED,
                "sorti": BeneficiaryStatus.COMPLETED, "abandon": BeneficiaryStatus.WITHDRAWN,
                "abandonne": BeneficiaryStatus.WITHDRAWN, "a recontacter": BeneficiaryStatus.NEW,
                "nouveau": BeneficiaryStatus.NEW, "nouvelle": BeneficiaryStatus.NEW, "a appeler": BeneficiaryStatus.NEW}
ATTENDANCE_WORDS = {"honore": "done", "honoree": "done", "ok": "done", "present": "done", "presente": "done",
                    "fait": "done", "realise": "done", "oui": "done", "absent": "no_show", "absente": "no_show",
                    "non": "no_show", "lapin": "no_show", "excuse": "excused", "excusee": "excused",
                    "annule": "excused", "reporte": "excused"}
ATTENDANCE = [("done", _l("Réalisé")), ("no_show", _l("Absent·e")), ("excused", _l("Excusé·e"))]
# Referrers written many ways: the value stored is the right-hand one.
REFERRER_WORDS = {"pole emploi": "France Travail", "pe": "France Travail", "france travail": "France Travail",
                  "ft": "France Travail", "mission locale": "Mission locale", "cap emploi": "Cap emploi"}


def _norm(header: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(header)).split())


def beneficiary_fields(modules) -> list[Field]:
    fields = [
        Field("last_name", _l("Nom"), "name", ("nom", "nom de famille", "nom naissance", "name", "last name")),
        Field("first_name", _l("Prénom"), "name", ("prenom", "prenoms", "first name")),
        Field("full_name", _l("Nom complet (séparé en prénom et nom)"), "full_name",
              ("nom complet", "candidat", "candidate", "beneficiaire", "nom prenom", "prenom nom", "nom et prenom",
               "personne", "identite")),
        Field("gender", _l("Civilité / genre"), "choice", ("civilite", "titre", "genre", "sexe"),
              Gender.choices(), GENDER_WORDS),
        Field("email", _l("E-mail"), "email", ("mail", "email", "e mail", "courriel", "adresse mail", "adresse e mail")),
        Field("phone", _l("Téléphone"), "phone", ("tel", "telephone", "portable", "telephone portable", "mobile",
                                                  "gsm", "numero", "num tel", "n de telephone")),
        Field("birth_date", _l("Date de naissance"), "birth_date",
              ("date de naissance", "date de naiss", "naissance", "ne le", "nee le", "ddn", "date naissance")),
        Field("postcode", _l("Code postal"), "postcode", ("cp", "code postal", "code post")),
        Field("commune", _l("Commune"), "text", ("ville", "commune", "localite")),
        Field("referrer", _l("Orienté par"), "referrer", ("oriente par", "orientee par", "prescripteur", "orientation",
                                                          "orienteur", "structure orientatrice", "partenaire")),
        Field("status", _l("Statut"), "choice", ("statut", "etat", "situation", "statut du suivi"),
              BeneficiaryStatus.choices(), STATUS_WORDS),
        Field("target_job", _l("Métier visé"), "text", ("metier vise", "poste vise", "emploi vise", "metier")),
        Field("interview_on", _l("Date de l’entretien d’embauche"), "date", ("date entretien", "entretien le",
                                                                             "date de l entretien")),
        Field("notes", _l("Remarques"), "text", ("remarques", "remarque", "commentaire", "commentaires", "notes",
                                                 "observations", "obs")),
    ]
    for module in modules:
        words = {fold(module.name)}
        if module.position == 1 and not module.remote:
            words |= {"date 1er rdv", "1er rdv", "premier rdv", "date premier rdv", "accueil"}
        if module.qualification == "coaching_image":
            words |= {"coaching image", "image"}
        if module.qualification == "coaching_rh":
            words |= {"coaching rh", "rh"}
        if module.resource_kind == "studio":
            words |= {"photo", "studio", "seance photo", "portrait"}
        fields.append(Field(f"module:{module.id}", _l("Module réalisé le : %(name)s", name=module.name),
                            "module_date", tuple(_norm(w) for w in words)))
    return fields


def session_fields(modules) -> list[Field]:
    module_words = {}
    for module in modules:
        module_words[_norm(module.name)] = str(module.id)
        if module.remote:
            module_words[f"module {module.position}"] = str(module.id)
    return [
        Field("date", _l("Date de la séance"), "date", ("date", "date seance", "jour", "date du rdv", "date rdv")),
        Field("time", _l("Heure"), "time", ("heure", "horaire", "heure debut", "debut")),
        Field("full_name", _l("Personne (nom complet)"), "full_name",
              ("candidat", "beneficiaire", "nom complet", "personne", "nom prenom", "participant")),
        Field("last_name", _l("Nom"), "name", ("nom",)),
        Field("first_name", _l("Prénom"), "name", ("prenom",)),
        Field("phone", _l("Téléphone"), "phone", ("tel", "telephone", "portable", "mobile")),
        Field("email", _l("E-mail"), "email", ("mail", "email", "e mail", "courriel")),
        Field("module", _l("Module"), "choice", ("module", "seance", "atelier", "etape"),
              [(str(m.id), m.name) for m in modules], module_words),
        Field("coach", _l("Bénévole / coach"), "text", ("benevole", "coach", "intervenant", "animateur", "conseiller")),
        Field("attendance", _l("Présence"), "choice", ("presence", "present", "statut", "assiduite", "venu"),
              ATTENDANCE, ATTENDANCE_WORDS),
        Field("notes", _l("Commentaire"), "text", ("commentaire", "commentaires", "remarques", "notes")),
    ]


def match_choice(f: Field, value: str) -> str:
    """The choice a value stands for, from the known spellings ('' when unknown)."""
    key = _norm(value)
    if key in f.synonyms:
        return f.synonyms[key]
    for choice, label in f.choices:
        if key in (_norm(str(label)), _norm(choice)):
            return choice
    if f.key == "module":
        if m := re.match(r"module (\d)", key):
            return f.synonyms.get(f"module {m[1]}", "")
        for words, choice in f.synonyms.items():
            if key and (key in words or words in key):
                return choice
    return ""


def _value_guess(values: list) -> tuple[str, float]:
    """What most of a column's values look like, with the share that does."""
    sample = [v for v in values if not is_blank(v) and not isinstance(v, Formula)][:200]
    if not sample:
        return "", 0.0
    tests = {
        "email": lambda v: bool(re.fullmatch(r"[^@\s]+@[^@\s]+", as_text(v))),
        "phone": lambda v: bool(re.fullmatch(r"[+0-9 .\-()]{9,20}", as_text(v)))
        and len(re.sub(r"\D", "", as_text(v))) >= 9,
        "postcode": lambda v: bool(re.fullmatch(r"\d{5}", as_text(v).strip())),
        "gender": lambda v: _norm(as_text(v)) in GENDER_WORDS,
    }
    best, share = "", 0.0
    for name, test in tests.items():
        hits = sum(1 for v in sample if test(v)) / len(sample)
        if hits > share:
            best, share = name, hits
    return (best, share) if share >= 0.7 else ("", 0.0)


def suggest(headers: list[str], columns: list[list], fields: list[Field]) -> dict[str, dict]:
    """For each header, the suggested field and its confidence (0-100), from the header then the values."""
    by_header = {}
    for f in fields:
        for h in f.headers:
            by_header.setdefault(_norm(h), f.key)
    taken: set[str] = set()
    result = {}
    for header, values in zip(headers, columns, strict=False):
        key = _norm(header)
        choice, confidence, why = "", 0, ""
        if key in by_header:
            choice, confidence, why = by_header[key], 95, "header"
        else:
            for synonym, fkey in sorted(by_header.items(), key=lambda kv: -len(kv[0])):
                if len(synonym) > 2 and (key.startswith(synonym + " ") or synonym.startswith(key + " ")
                                         or f" {synonym} " in f" {key} "):
                    choice, confidence, why = fkey, 70, "header"
                    break
        guess, share = _value_guess(values)
        if guess and any(f.key == guess for f in fields):
            if not choice:
                choice, confidence, why = guess, int(60 * share), "values"
            elif choice == guess:
                confidence = 99
        if choice in taken and not choice.startswith("module:"):
            choice, confidence, why = "", 0, ""
        if choice:
            taken.add(choice)
        result[header] = {"field": choice, "confidence": confidence, "why": why}
    return result


def read_cell(f: Field, cell, *, values: dict, epoch, today):
    """The value of one cell for field `f` (and a warning, maybe); raises InvalidValue."""
    if f.type in ("date", "birth_date", "module_date"):
        return cells.read_date(cell, birth=f.type == "birth_date", epoch=epoch, today=today), ""
    if f.type == "time":
        return cells.read_time(cell), ""
    if f.type == "phone":
        read = cells.read_phone(cell)
        return read.value, read.warning
    if f.type == "postcode":
        return cells.read_postcode(cell), ""
    if f.type == "email":
        return cells.read_email(cell), ""
    value = cells.text(cell)
    if f.type == "name":
        return cells.tidy_name(value), ""
    if f.type == "choice":
        if not value:
            return "", ""
        chosen = values.get(value)
        if chosen is None:
            chosen = match_choice(f, value)
        if chosen == "" and value:
            raise InvalidValue(_unknown(value))
        return chosen, ""
    if f.type == "referrer":
        chosen = values.get(value)
        return (chosen if chosen else REFERRER_WORDS.get(_norm(value), value)), ""
    return value, ""


def _unknown(value: str) -> str:
    from flask_babel import gettext as _

    return _("valeur « %(value)s » non reconnue : indiquez à quoi elle correspond dans la correspondance des valeurs",
             value=value)
