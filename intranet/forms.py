"""Forms shared by every feature."""

from flask_wtf import FlaskForm


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
