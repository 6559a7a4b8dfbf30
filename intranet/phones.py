"""Phone numbers, one rule for every feature: stored in E.164, shown in their country's national format.

France's overseas departments have country codes of their own: 0692 12 34 56 typed in La Réunion
is +262 692 12 34 56, not a French mainland number. A national number (leading 0) is read as the
overseas region its prefix belongs to, else as mainland France, else as the first overseas region
where it is valid.
"""

import re

import phonenumbers
from flask_babel import gettext as _

from intranet.values import InvalidValue, has_other_digits

OVERSEAS_PREFIXES = {
    "0590": "GP", "0690": "GP", "0691": "GP",  # Guadeloupe +590
    "0262": "RE", "0263": "RE", "0692": "RE", "0693": "RE",  # La Réunion +262
    "0596": "MQ", "0696": "MQ", "0697": "MQ",  # Martinique +596
    "0594": "GF", "0694": "GF",  # Guyane +594
    "0269": "YT", "0639": "YT",  # Mayotte +262
}
OVERSEAS_REGIONS = ("GP", "RE", "MQ", "GF", "YT")
TYPED = re.compile(r"[0-9+ .\-/()\t]+")  # digits and the separators people write between them


def _expected() -> str:
    return _("Un numéro comme 06 12 34 56 78 ou +33 6 12 34 56 78.")


def _valid(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalize_phone(raw: str, default_region: str = "FR") -> str:
    """'06 12 34 56 78' -> '+33612345678', '0692 12 34 56' -> '+262692123456', '+44 20…' kept; '' stays ''.

    Raises InvalidValue (French message) for digits other than 0-9, an unknown country code or a
    number that cannot exist.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    if has_other_digits(text):
        raise InvalidValue(_("Écrivez le numéro avec les chiffres 0 à 9, par ex. 06 12 34 56 78."))
    if not TYPED.fullmatch(text):
        raise InvalidValue(_expected())
    compact = re.sub(r"[ .\-/()\t]", "", text.replace("(0)", ""))
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        try:
            phonenumbers.parse(compact, None)
        except phonenumbers.NumberParseException as error:
            if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
                raise InvalidValue(_("Cet indicatif de pays n’existe pas : vérifiez le début du numéro "
                                     "(+33, +262, +44…).")) from None
        number = _valid(compact, None)
    else:
        regions = [OVERSEAS_PREFIXES[compact[:4]]] if compact[:4] in OVERSEAS_PREFIXES else []
        regions += [default_region, *OVERSEAS_REGIONS]
        number = next((n for n in (_valid(compact, r) for r in dict.fromkeys(regions)) if n is not None), None)
    if number is None:
        raise InvalidValue(_expected())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """'+33612345678' -> '06 12 34 56 78', '+262692123456' -> '0692 12 34 56', '+442079460958' -> '020 7946 0958'.

    A value that is not a valid number (an old, unparseable one) is shown as stored.
    """
    number = _valid(e164 or "", None)
    if number is None:
        return e164 or ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def phone_digits(e164: str) -> str:
    """The digits a person may type to find a number: national and international ('0612345678 33612345678')."""
    number = _valid(e164 or "", None)
    if number is None:
        return re.sub(r"[^0-9]", "", e164 or "")
    national = re.sub(r"[^0-9]", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    return f"{national} {e164.lstrip('+')}"
