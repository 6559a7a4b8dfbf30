"""Forms of a journey: a module's follow-up, the exit, the six-month follow-up."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from intranet.forms import DateField, optional_id
from intranet.journeys.models import ExitSituation, FollowUpResult, ModuleStatus


class ModuleProgressForm(FlaskForm):
    status = SelectField(_l("Statut"), choices=ModuleStatus.choices())
    happened_on = DateField(_l("Date"), validators=[Optional()])
    coach_id = SelectField(_l("Accompagné par"), coerce=optional_id,
                           choices=[])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])


class ExitForm(FlaskForm):
    exited_on = DateField(_l("Date de sortie"), validators=[InputRequired(_l("Indiquez la date de sortie."))])
    situation = SelectField(_l("Situation à la sortie"), choices=ExitSituation.choices(_l("Choisir…")),
                            validators=[InputRequired(_l("Choisissez la situation à la sortie."))])


class FollowUpForm(FlaskForm):
    on = DateField(_l("Date du suivi"), validators=[InputRequired(_l("Indiquez la date du suivi."))])
    result = SelectField(_l("Situation six mois après la sortie"),
                         choices=FollowUpResult.choices(_l("Choisir…")),
                         validators=[InputRequired(_l("Choisissez la situation."))])
