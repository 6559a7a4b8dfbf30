"""Forms of the network office."""

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from intranet.network.models import AssociationKind

COMMON_TIMEZONES = ["Europe/Paris", "America/Guadeloupe", "America/Martinique", "America/Cayenne",
                    "Indian/Reunion", "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti"]


class AssociationForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez le nom de l’association.")), Length(max=120)])
    slug = StringField(
        _l("Identifiant dans les adresses"),
        description=_l("Lettres minuscules, chiffres et tirets, par ex. « le-mans ». Laissez vide pour le déduire du nom."),
        validators=[Optional(), Length(max=60),
                    Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Uniquement des lettres minuscules, des chiffres et des tirets."))],
    )
    kind = SelectField(_l("Type"), choices=AssociationKind.choices(), default=AssociationKind.LOCAL)
    city = StringField(_l("Ville"), validators=[Length(max=120)])
    department_code = StringField(
        _l("Département"), description=_l("Numéro du département, par ex. 33, 2A ou 971."),
        validators=[Optional(), Regexp(r"^([0-9]{2,3}|2[AaBb])$", message=_l("Un numéro de département : 33, 2A, 971…"))],
    )
    timezone = SelectField(_l("Fuseau horaire"), choices=[(tz, tz) for tz in COMMON_TIMEZONES], default="Europe/Paris")

    def validate_timezone(self, field):
        if field.data not in available_timezones():
            raise ValidationError(_l("Fuseau horaire inconnu."))
