"""How a figure reads: a count, a share, days or hours, in the reader's language."""

from flask_babel import format_currency, format_decimal, format_percent
from flask_babel import gettext as _


def format_figure(value, unit: str = "count") -> str:
    """'1 234', '12 %', '4,5 j', '3,2 h', '1 234 €', '2,5'; '—' when there is nothing to measure."""
    if value is None:
        return "—"
    if unit == "percent":
        return format_percent(value, "#,##0 %")
    if unit == "days":
        return _("%(n)s j", n=format_decimal(value, "#,##0.#"))
    if unit == "hours":
        return _("%(n)s h", n=format_decimal(value, "#,##0.#"))
    if unit == "euros":
        return format_currency(value, "EUR", "#,##0\xa0¤", currency_digits=False)
    if unit == "decimal":
        return format_decimal(value, "#,##0.#")
    return format_decimal(value, "#,##0")
