"""Pure rules of the beneficiary file: postcode format, age bands, name keys.

Phones follow the shared rule of `intranet.phones`; digits are the ASCII 0-9 only (`intranet.values`).
"""

import re
import unicodedata
from datetime import date

from intranet.beneficiaries.models import AgeBand
from intranet.phones import normalize_phone  # noqa: F401  (the file's phone rule is the shared one)
from intranet.values import InvalidValue, has_other_digits  # noqa: F401


def normalize_postcode(raw: str) -> str:
    """Five digits, spaces removed ('33 000' -> '33000')."""
    text = re.sub(r"\s", "", raw or "")
    if not text:
        return ""
    if not re.fullmatch(r"[0-9]{5}", text):
        raise InvalidValue("Un code postal de 5 chiffres, par ex. 33000.")
    return text


def name_key(text: str) -> str:
    """Compare names and communes without case, accents, dashes or extra spaces."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).strip()


def age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def age_band(birth_date: date | None, on: date) -> str:
    """The ESF+ age band (an AgeBand) on a given day; '' if unknown."""
    if birth_date is None:
        return ""
    age = age_on(birth_date, on)
    if age < 18:
        return AgeBand.UNDER_18
    if age < 30:
        return AgeBand.FROM_18_TO_29
    if age < 55:
        return AgeBand.FROM_30_TO_54
    return AgeBand.FROM_55
