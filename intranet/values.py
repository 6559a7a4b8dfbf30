"""Shared checks of values people type: the error a refused value raises, and the digits we accept.

Digits are the ASCII 0-9 only: Python's `\\d` and `str.isdigit()` also take Arabic-Indic,
full-width or superscript digits, which would be stored as typed and match nothing afterwards.
"""


class InvalidValue(ValueError):
    """A value in a format we cannot accept; the message says which format is expected."""


def has_other_digits(text: str) -> bool:
    """Whether `text` holds digits other than 0-9 (Arabic-Indic ٥, full-width ５, superscript ², …)."""
    return any(c.isdigit() and c not in "0123456789" for c in text or "")
