"""Forms to invite a member and change a role."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from intranet.forms import EmailAddress
from intranet.tenancy import Role


class InviteForm(FlaskForm):
    name = StringField(_l("Nom et prénom"), validators=[DataRequired(_l("Indiquez le nom de la personne.")), Length(max=120)])
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[DataRequired(_l("Indiquez une adresse e-mail.")), EmailAddress(), Length(max=254)],
    )
    role = SelectField(_l("Rôle"), choices=Role.choices(), default=Role.VOLUNTEER)


class RoleForm(FlaskForm):
    role = SelectField(_l("Rôle"), choices=Role.choices())
