"""Sign-in, password and account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from intranet.auth.services import min_password_length, password_problem
from intranet.forms import EmailAddress


class PasswordPolicy:
    """Apply `auth.services.password_problem` to a new password; the form's `user` decides the length.

    Any form where someone chooses a password uses it (with a `user` attribute on the form, or None).
    """

    def __call__(self, form, field):
        problem = password_problem(field.data or "", getattr(form, "user", None))
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(_l("Indiquez votre adresse e-mail."))])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(_l("Indiquez votre mot de passe."))])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[DataRequired(_l("Indiquez votre adresse e-mail.")), EmailAddress()],
    )


class NewPasswordForm(FlaskForm):
    """Choose a password, as `user` (an invitee, someone resetting theirs, the signed-in person)."""

    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(_l("Choisissez un mot de passe.")), PasswordPolicy()],
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[DataRequired(_l("Confirmez le mot de passe.")), EqualTo("password", _l("Les deux mots de passe ne sont pas identiques."))],
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.password.description = _l("Au moins %(n)d caractères ; les mots de passe trop répandus sont refusés.",
                                       n=min_password_length(user))


class AccountForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez votre nom.")), Length(max=120)])
    locale = SelectField(_l("Langue"), choices=[("fr", "Français"), ("en", "English")])


class DigestForm(FlaskForm):
    """Which associations' daily digest a staff member or admin receives (choices: their memberships)."""

    memberships = SelectMultipleField(_l("Récapitulatif quotidien"), coerce=int, validate_choice=True,
                                      widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Mot de passe actuel"), validators=[DataRequired(_l("Indiquez votre mot de passe actuel."))])
