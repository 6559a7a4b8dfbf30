"""Reading one cell as a value of a field: dates, times, phones, postcodes, e-mails, names.

Each reader returns the value, or raises `InvalidValue` with a French message; a reader may also
return a warning with the value (`Read`).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from intranet.imports.reading import Formula, as_text, is_blank
from intranet.phones import OVERSEAS_PREFIXES, normalize_phone
from intranet.search import fold
from intranet.values import InvalidValue, has_other_digits

MONTHS = {"janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
          "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "oct": 10,
          "novembre": 11, "nov": 11, "decembre": 12, "dec": 12}
CIVILITIES = {"m", "mr", "monsieur", "mme", "madame", "mlle", "mademoiselle", "mx", "m.", "mr.", "mme.", "dr"}


@dataclass
class Read:
    value: object
    warning: str = ""


def text(cell) -> str:
    if isinstance(cell, Formula):
        raise InvalidValue(_("formule sans valeur calculée (%(formula)s) : ouvrez le fichier dans le tableur, "
                             "enregistrez-le, puis déposez-le à nouveau", formula=cell.text[:40]))
    return " ".join(as_text(cell).split())


def _make_date(year: int, month: int, day: int, shown: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidValue(_("la date %(date)s n’existe pas", date=shown)) from None


def _century(year: int, birth: bool, today: date) -> int:
    if year >= 100:
        return year
    if birth:  # a person born in '04 is 20 at most; in '69, 57: never a future or a child's birth year
        return 2000 + year if 2000 + year <= today.year - 14 else 1900 + year
    return 2000 + year


def read_date(cell, *, birth: bool = False, epoch: datetime = datetime(1899, 12, 30),
              today: date | None = None) -> date | None:
    """dd/mm/yyyy, d/m/yy, '5 septembre 2024', ISO, or a spreadsheet date (serial of either date system)."""
    today = today or date.today()
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if 1 <= cell < 120_000:
            return (epoch + timedelta(days=int(cell))).date()
        raise InvalidValue(_("« %(value)s » n’est pas une date", value=as_text(cell)))
    value = text(cell)
    if not value:
        return None
    if has_other_digits(value):
        raise InvalidValue(_("écrivez la date avec les chiffres 0 à 9"))
    if m := re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})(?:\s+\d{1,2}[:h]\d{2}(?::\d{2})?)?", value):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        return _make_date(_century(year, birth, today), month, day, value)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", value):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), value)
    if m := re.fullmatch(r"(?:[a-z]+\.?\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{2}|\d{4})", fold(value)):
        month = MONTHS.get(m[2])
        if month:
            return _make_date(_century(int(m[3]), birth, today), month, int(m[1]), value)
    if re.fullmatch(r"\d{5}(\.0+)?", value):  # a spreadsheet serial exported as text
        return (epoch + timedelta(days=int(float(value)))).date()
    raise InvalidValue(_("« %(value)s » n’est pas une date (par ex. 05/09/2024 ou 5 septembre 2024)", value=value))


def read_time(cell) -> time | None:
    """'14h30', '14:30', '9h', '09:00:00' or a spreadsheet time."""
    if isinstance(cell, datetime):
        return cell.time()
    if isinstance(cell, time):
        return cell
    if isinstance(cell, float) and 0 <= cell < 1:
        minutes = round(cell * 24 * 60)
        return time(minutes // 60, minutes % 60)
    value = text(cell).lower()
    if not value:
        return None
    m = re.fullmatch(r"(\d{1,2})\s*(?:h|:)\s*(\d{2})?(?::\d{2})?", value) or re.fullmatch(r"(\d{1,2})()", value)
    if m:
        hour, minute = int(m[1]), int(m[2] or 0)
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidValue(_("« %(value)s » n’est pas une heure (par ex. 14h30 ou 14:30)", value=value))


def read_phone(cell) -> Read:
    """A phone in E.164; nine digits are a number whose leading zero the spreadsheet dropped."""
    value = text(cell)
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        value = str(int(cell))
    if not value:
        return Read("")
    if re.fullmatch(r"[1-9]\d{8}", value):
        return Read(normalize_phone("0" + value), _("zéro du début ajouté (%(value)s)", value=value))
    digits = re.sub(r"\D", "", value)
    if len(digits) < 9:
        raise InvalidValue(_("numéro trop court (%(value)s)", value=value))
    try:
        return Read(normalize_phone(value))
    except InvalidValue:
        possible = _possible_french(value)
        if possible is None:
            raise
        number, valid = possible
        if valid:
            return Read(number, _("indicatif d’outre-mer rétabli (%(value)s)", value=value))
        return Read(number, _("numéro hors des plages attribuées connues, gardé tel quel : vérifiez-le (%(value)s)",
                              value=value))


def _possible_french(value: str) -> tuple[str, bool] | None:
    """A French or overseas number of the right length that the numbering plan does not list (yet)."""
    import phonenumbers

    compact = re.sub(r"[^0-9+]", "", value)
    if compact.startswith("0033"):
        compact = "+33" + compact[4:]
    if compact.startswith("+33") and len(compact) == 12:
        compact = "0" + compact[3:]  # +33 6 93… is typed for a Réunion mobile
    if not re.fullmatch(r"0[1-9]\d{8}", compact):
        return None
    number = phonenumbers.parse(compact, OVERSEAS_PREFIXES.get(compact[:4], "FR"))
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), phonenumbers.is_valid_number(number)


def read_postcode(cell) -> str:
    """Five digits; a postcode the spreadsheet read as a number gets its leading zero back."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        value = str(int(cell)).zfill(5) if 1000 <= cell < 100_000 else str(cell)
    else:
        value = re.sub(r"\s", "", text(cell))
    if not value:
        return ""
    if re.fullmatch(r"\d{4}", value) and isinstance(cell, (int, float)):
        value = value.zfill(5)
    if not re.fullmatch(r"[0-9]{5}", value):
        raise InvalidValue(_("code postal de 5 chiffres attendu (%(value)s)", value=value))
    return value


def read_email(cell) -> str:
    value = text(cell).strip().strip("<>").strip()
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidValue(_("adresse e-mail incomplète ou invalide (%(value)s)", value=value)) from None


def tidy_name(value: str) -> str:
    """'ROUX' -> 'Roux', 'da silva' -> 'Da Silva', 'JEAN-NOËL' -> 'Jean-Noël'; mixed case is kept."""
    value = " ".join(value.split())
    if value and (value.isupper() or value.islower()):
        return re.sub(r"(^|[\s\-'’])(\w)", lambda m: m[1] + m[2].upper(), value.lower())
    return value


def split_full_name(value: str) -> tuple[str, str]:
    """(first name, last name) of 'Mme DIALLO Hélène', 'Diallo, Hélène', 'Hélène Diallo', 'Théo Da Silva'."""
    words = value.replace("\u00a0", " ").split()
    while words and fold(words[0]).rstrip(".") in {c.rstrip(".") for c in CIVILITIES}:
        words = words[1:]
    value = " ".join(words)
    if "," in value:
        last, _sep, first = value.partition(",")
        return tidy_name(first.strip()), tidy_name(last.strip())
    if not words:
        return "", ""
    if len(words) == 1:
        return "", tidy_name(words[0])
    upper = [w for w in words if w.isupper() and len(w) > 1]
    if upper and len(upper) < len(words):
        # "NOM Prénom" or "Prénom NOM": the surname is the words written in capitals.
        last = " ".join(w for w in words if w in upper)
        first = " ".join(w for w in words if w not in upper)
        return tidy_name(first), tidy_name(last)
    return tidy_name(words[0]), tidy_name(" ".join(words[1:]))


def distinct_values(cells) -> list[tuple[str, int]]:
    """The distinct non-blank values of a column with their counts, most frequent first."""
    counts: dict[str, int] = {}
    for cell in cells:
        if not is_blank(cell) and not isinstance(cell, Formula):
            value = " ".join(as_text(cell).split())
            counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# A training column holds its date, or says yes or no.
HELD_WORDS = {"oui", "o", "x", "yes", "y", "ok", "fait", "faite", "forme", "formee", "vrai", "v", "1", "✓", "✔"}
NOT_HELD_WORDS = {"non", "n", "no", "0", "-", "faux", "a faire", "prevu", "prevue", "en attente", "pas encore"}
DATE_IN_TEXT = re.compile(r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
                          r"|\d{1,2}(?:er)?\s+[A-Za-zéûÉÛ]+\.?\s+\d{4}")


def read_held(cell, *, epoch: datetime = datetime(1899, 12, 30), today: date | None = None):
    """A training column's cell: its date, True for a bare "oui" (date unknown), None for "non" or blank."""
    if isinstance(cell, bool):
        return True if cell else None
    if isinstance(cell, (int, float)) and cell in (0, 1):
        return True if cell else None
    if isinstance(cell, (date, datetime, int, float)):
        return read_date(cell, epoch=epoch, today=today)
    value = text(cell)
    words = " ".join(re.sub(r"[^a-z0-9✓✔\-]+", " ", fold(value)).split())
    if not value or words in NOT_HELD_WORDS:
        return None
    if words in HELD_WORDS:
        return True
    if not re.search(r"\d", value):
        raise InvalidValue(_("« %(value)s » : indiquez la date de la formation, ou « oui » ou « non »", value=value))
    return read_date(value, epoch=epoch, today=today)


def split_trainings(value: str) -> list[tuple[str, str]]:
    """'Coach image (14/05/2024) ; Coach RH' -> [('Coach image', '14/05/2024'), ('Coach RH', '')]."""
    items = []
    for part in re.split(r"[;,\n+]|\s+et\s+", value):
        found = DATE_IN_TEXT.search(part)
        shown = found[0] if found else ""
        name = DATE_IN_TEXT.sub(" ", part) if found else part
        name = re.sub(r"\b(le|du|en|depuis)\s*$", "", name.strip(" ()[]:–-")).strip(" ()[]:–-")
        if name:
            items.append((" ".join(name.split()), shown))
    return items
