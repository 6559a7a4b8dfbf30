"""Forms shared by every feature."""

import re

from flask_wtf import FlaskForm
from wtforms import IntegerField


class EmptyForm(FlaskForm):
    """A bare POST button: carries only the CSRF token."""


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


class WholeNumberField(IntegerField):
    """A whole number written with the digits 0-9 only.

    WTForms' IntegerField reads the text with int(), which also takes Arabic-Indic (٥), full-width (５)
    or other Unicode digits and underscores ("1_0"): what people see would not be what was stored.
    """

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        if text and not re.fullmatch(r"-?[0-9]+", text):
            from flask_babel import gettext as _

            self.data = None
            raise ValueError(_("Écrivez un nombre avec les chiffres 0 à 9."))
        super().process_formdata(valuelist)
