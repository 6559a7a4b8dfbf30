"""Pure rules of the beneficiary file: phone and postcode formats, age bands, name keys.

Digits are the ASCII 0-9 only: Python's `\\d` and `str.isdigit()` also take Arabic-Indic,
full-width or superscript digits, which would be stored as typed and match nothing afterwards.
"""

import re
import unicodedata
from datetime import date

from intranet.beneficiaries.models import AgeBand


class InvalidValue(ValueError):
    """A value in a format we cannot accept; the message says which format is expected."""


def has_other_digits(text: str) -> bool:
    """Whether `text` holds digits other than 0-9 (Arabic-Indic ٥, full-width ５, superscript ², …)."""
    return any(c.isdigit() and c not in "0123456789" for c in text or "")


def normalize_phone(raw: str) -> str:
    """'06 12 34 56 78', '+33 6 12…', '0033 6…' -> '+33612345678'; other countries kept in E.164."""
    text = raw.strip()
    if not text:
        return ""
    text = text.replace("(0)", "")
    digits = re.sub(r"[\s.\-/()]", "", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"0[1-9][0-9]{8}", digits):
        return "+33" + digits[1:]
    if re.fullmatch(r"\+33[1-9][0-9]{8}", digits):
        return digits
    if re.fullmatch(r"\+(?!33)[1-9][0-9]{5,14}", digits):
        return digits
    raise InvalidValue("Un numéro de téléphone comme 06 12 34 56 78 ou +33 6 12 34 56 78.")


def display_phone(phone: str) -> str:
    """'+33612345678' -> '06 12 34 56 78'; other numbers unchanged."""
    if re.fullmatch(r"\+33[0-9]{9}", phone):
        national = "0" + phone[3:]
        return " ".join(national[i:i + 2] for i in range(0, 10, 2))
    return phone


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
