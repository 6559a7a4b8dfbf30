"""The network office's settings of its reports: who counts as an ESF+ participant."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import InputRequired, NumberRange

from intranet.forms import IntegerField
from intranet.reporting.esf import MAX_DAYS


class ParticipantRuleForm(FlaskForm):
    remote_min_days = IntegerField(
        _l("Programme à distance : modules réalisés sur au moins (jours différents)"),
        validators=[InputRequired(_l("Indiquez un nombre de jours.")),
                    NumberRange(min=1, max=MAX_DAYS, message=_l("Entre 1 et %(max)d jours.", max=MAX_DAYS))],
        description=_l("1 : dès le premier module réalisé."))
    in_person_min_days = IntegerField(
        _l("Présentiel : modules réalisés sur au moins (jours différents)"),
        validators=[InputRequired(_l("Indiquez un nombre de jours.")),
                    NumberRange(min=1, max=MAX_DAYS, message=_l("Entre 1 et %(max)d jours.", max=MAX_DAYS))],
        description=_l("2 : un accompagnement de plus d’un jour."))
    collective_only_counts = BooleanField(
        _l("Une personne venue seulement à des séances collectives (ateliers de sensibilisation) compte"))
