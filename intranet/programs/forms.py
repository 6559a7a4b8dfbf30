"""Forms for the network's modules and an association's local adaptation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from intranet.forms import IdField, IntegerField
from intranet.programs.models import Mode, ResourceKind

DURATION = NumberRange(min=5, max=480, message=_l("Une durée entre 5 et 480 minutes."))


class ModuleForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez le nom du module.")), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    duration_minutes = IntegerField(_l("Durée (minutes)"), validators=[
        InputRequired(_l("Indiquez une durée en minutes.")), DURATION])
    mode = SelectField(_l("Modalité"), choices=Mode.choices())
    position = IntegerField(_l("Ordre"), default=0, validators=[Optional()])
    qualification = StringField(_l("Habilitation requise"), description=_l("Laisser vide si aucune."),
                                validators=[Length(max=60)])
    resource_kind = SelectField(_l("Ressource nécessaire"), choices=ResourceKind.choices(_l("Aucune")), default="")
    capacity = IntegerField(_l("Places par séance"), default=1, description=_l("Plus d’une place pour un atelier collectif."),
                            validators=[InputRequired(_l("Indiquez le nombre de places.")),
                                        NumberRange(min=1, max=30, message=_l("Entre 1 et 30 places."))])
    active = BooleanField(_l("Proposé dans le réseau"), default=True)


class AdaptationForm(FlaskForm):
    module_id = IdField(validators=[DataRequired()])
    offered = BooleanField(_l("Proposé par notre association"))
    name = StringField(_l("Nom local"), validators=[Length(max=120)])
    duration_minutes = IntegerField(_l("Durée locale (minutes)"), validators=[Optional(), DURATION])
    description = TextAreaField(_l("Description locale"), validators=[Length(max=2000)])


class ProgramOfferForm(FlaskForm):
    program_id = IdField(validators=[DataRequired()])
    offered = BooleanField(_l("Proposer ce programme"))
