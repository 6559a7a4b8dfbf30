"""Forms shared by every feature."""

import re

import wtforms
from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from intranet.args import MAX_ID
from intranet.clock import FIRST_DAY, LAST_DAY, in_window
from intranet.rules import RuleError
from intranet.transactions import abandon

MAX_INT = 2**31 - 1  # an INTEGER column in PostgreSQL


class EmptyForm(FlaskForm):
    """A bare POST button: carries only the CSRF token."""


def show_rule_error(form: FlaskForm | None, error: RuleError, field: str | None = None) -> None:
    """Drop the refused change and show why: next to its form field, or as a message at the top of the page.

    The rollback comes first, so the page shown again reads what the database holds (the refused change
    half-done is gone) and nothing of it can be committed at the end of the request. `field` names the
    field for a refusal whose own field is none of the form's.
    """
    abandon()
    for name in (error.field, field):
        if form is not None and name and name in form:
            form[name].errors = [*form[name].errors, error.message]
            return
    flash(error.message, "error")


class EmailAddress:
    """Check an e-mail address's form (no DNS look-up), with a French message."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        from email_validator import EmailNotValidError, validate_email
        from flask_babel import gettext as _
        from wtforms.validators import ValidationError

        try:
            # test_environment admits the reserved .test domain used by the demo accounts.
            validate_email(field.data or "", check_deliverability=False, test_environment=True)
        except EmailNotValidError:
            raise ValidationError(self.message or _("Cette adresse e-mail n’est pas valide.")) from None


class DateField(wtforms.DateField):
    """A date field that refuses years outside the window the app computes with (1900–2200)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not in_window(self.data):
            self.data = None
            raise ValueError(_("Indiquez une date entre %(first)d et %(last)d.", first=FIRST_DAY.year,
                               last=LAST_DAY.year))


class IntegerField(wtforms.IntegerField):
    """A whole number written with the digits 0-9 only, small enough for the database.

    WTForms' IntegerField reads the text with int(), which also takes Arabic-Indic (٥), full-width (５)
    or other Unicode digits and underscores ("1_0"): what people see would not be what was stored.
    """

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        if text and not re.fullmatch(r"-?[0-9]+", text):
            self.data = None
            raise ValueError(_("Écrivez un nombre avec les chiffres 0 à 9."))
        super().process_formdata(valuelist)
        if self.data is not None and not -MAX_INT <= self.data <= MAX_INT:
            self.data = None
            raise ValueError(_("Ce nombre est trop grand."))


def optional_id(value) -> int | None:
    """Coerce a select's value to an id, or None for the empty choice; an impossible id is refused."""
    if value in (None, "", "None"):
        return None
    number = int(value)  # ValueError: the field shows "choix invalide"
    if not 0 < number <= MAX_ID:
        raise ValueError(value)
    return number


class IdField(wtforms.HiddenField):
    """A hidden field carrying an object's id: an int, or None when it cannot be an id."""

    def process_formdata(self, valuelist):
        try:
            self.data = optional_id(valuelist[0]) if valuelist else None
        except ValueError:
            self.data = None
            raise ValueError(_("Cet objet n’existe pas.")) from None

    def _value(self):
        return "" if self.data is None else str(self.data)
