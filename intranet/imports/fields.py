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


def _training_words(training) -> set[str]:
    """How a spreadsheet names a training: its name, without what is in brackets, the codes it grants."""
    name = _norm(training.name)
    short = _norm(re.sub(r"\(.*?\)", " ", training.name))
    words = {name, short}
    for code in training.codes:
        words.add(_norm(code.replace("_", " ")))
    if "distance" in short or "coup de pouce" in name:
        words.add("coup de pouce")
    return {w for w in words if w}


def training_synonyms(trainings) -> dict[str, str]:
    """Each way of naming a training of the catalogue -> its id (as text)."""
    synonyms = {}
    for training in trainings:
        for word in _training_words(training):
            synonyms.setdefault(word, str(training.id))
    return synonyms


def volunteer_fields(trainings) -> list[Field]:
    """Identity, contact, what the profile keeps, and each training of the catalogue (network's and own)."""
    fields = [
        Field("last_name", _l("Nom"), "name", ("nom", "nom de famille", "name", "last name")),
        Field("first_name", _l("Prénom"), "name", ("prenom", "prenoms", "first name")),
        Field("full_name", _l("Nom complet (séparé en prénom et nom)"), "full_name",
              ("nom complet", "benevole", "nom prenom", "prenom nom", "nom et prenom", "identite", "personne")),
        Field("email", _l("E-mail"), "email", ("mail", "email", "e mail", "courriel", "adresse mail", "adresse e mail")),
        Field("phone", _l("Téléphone"), "phone", ("tel", "telephone", "portable", "telephone portable", "mobile",
                                                  "gsm", "numero", "num tel", "n de telephone")),
        Field("background", _l("Métier, parcours professionnel"), "text",
              ("metier", "profession", "parcours", "parcours professionnel", "poste", "fonction", "ancien metier")),
        Field("skills", _l("Compétences"), "text", ("competences", "competence", "savoir faire", "specialite")),
        Field("languages", _l("Langues"), "text", ("langues", "langue", "langues parlees")),
        Field("availability", _l("Disponibilités"), "text",
              ("dispo", "dispos", "disponibilite", "disponibilites", "creneaux")),
        Field("staff_notes", _l("Notes de l’équipe"), "text", ("remarques", "remarque", "commentaire", "commentaires",
                                                               "notes", "observations", "obs")),
        Field("joined_on", _l("Date d’arrivée"), "date", ("date d arrivee", "arrivee", "arrive le", "arrivee le",
                                                          "date d entree", "entree", "depuis", "date inscription")),
        Field("trainings", _l("Formations suivies (noms, avec leur date)"), "trainings",
              ("formations", "formation", "habilitations", "habilitation", "qualifications", "formations suivies"),
              [(str(t.id), t.name) for t in trainings], training_synonyms(trainings)),
        Field("trained_on", _l("Date de formation (pour la colonne des formations)"), "date",
              ("date formation", "date de formation", "date de la formation", "forme le", "formee le",
               "date habilitation")),
        Field("valid_until", _l("Fin de validité (pour la colonne des formations)"), "date",
              ("expiration", "date d expiration", "date expiration", "valable jusqu au", "fin de validite", "validite",
               "expire le")),
    ]
    for training in trainings:
        words = _training_words(training)
        fields.append(Field(f"training:{training.id}", _l("Formation : %(name)s", name=training.name), "held",
                            tuple(sorted({p + w for w in words for p in ("", "formation ", "habilitation ",
                                                                          "date formation ", "formee ", "forme ")}))))
        fields.append(Field(f"until:{training.id}", _l("Fin de validité : %(name)s", name=training.name),
                            "date", tuple(sorted({p + w for w in words for p in (
                                "expiration ", "fin de validite ", "validite ", "fin ", "date d expiration ",
                                "expiration formation ")}))))
    return fields


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
    if f.type == "held":
        return cells.read_held(cell, epoch=epoch, today=today), ""
    if f.type == "trainings":
        return read_trainings(f, cell, epoch=epoch, today=today), ""
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


def read_trainings(f: Field, cell, *, epoch, today) -> list[list]:
    """'Coach image (14/05/2024); Coach RH' -> [[training id, date or None], …]; an unknown name is an error."""
    from flask_babel import gettext as _

    found = []
    for name, shown in cells.split_trainings(cells.text(cell)):
        key = _norm(name)
        training_id = f.synonyms.get(key)
        if training_id is None:
            near = {i for words, i in f.synonyms.items() if len(key) > 3 and (key in words or words in key)}
            training_id = near.pop() if len(near) == 1 else None
        if training_id is None:
            raise InvalidValue(_("formation « %(name)s » inconnue du catalogue (connues : %(known)s) : ajoutez-la "
                                 "au catalogue des formations ou corrigez le nom", name=name,
                                 known=", ".join(str(label) for _i, label in f.choices)))
        day = cells.read_date(shown, epoch=epoch, today=today) if shown else None
        found.append([training_id, day])
    return found


def _unknown(value: str) -> str:
    from flask_babel import gettext as _

    return _("valeur « %(value)s » non reconnue : indiquez à quoi elle correspond dans la correspondance des valeurs",
             value=value)
