"""Sign-in, password and account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from intranet.auth.services import MIN_PASSWORD_LENGTH
from intranet.forms import EmailAddress


class LoginForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(_l("Indiquez votre adresse e-mail."))])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(_l("Indiquez votre mot de passe."))])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[DataRequired(_l("Indiquez votre adresse e-mail.")), EmailAddress()],
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nouveau mot de passe"),
        description=_l("Au moins %(n)d caractères.", n=MIN_PASSWORD_LENGTH),
        validators=[
            DataRequired(_l("Choisissez un mot de passe.")),
            Length(min=MIN_PASSWORD_LENGTH, message=_l("Le mot de passe doit faire au moins %(n)d caractères.", n=MIN_PASSWORD_LENGTH)),
        ],
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[DataRequired(_l("Confirmez le mot de passe.")), EqualTo("password", _l("Les deux mots de passe ne sont pas identiques."))],
    )


class AccountForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez votre nom.")), Length(max=120)])
    locale = SelectField(_l("Langue"), choices=[("fr", "Français"), ("en", "English")])


class DigestForm(FlaskForm):
    """Which associations' daily digest a staff member or admin receives (choices: their memberships)."""

    memberships = SelectMultipleField(_l("Récapitulatif quotidien"), coerce=int, validate_choice=True,
                                      widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Mot de passe actuel"), validators=[DataRequired(_l("Indiquez votre mot de passe actuel."))])
