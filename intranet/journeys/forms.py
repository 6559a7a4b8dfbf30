"""Forms of a journey: a module's follow-up, the exit, the six-month follow-up."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from intranet.forms import DateField, optional_id

MODULE_STATUS_LABELS = {"to_plan": _l("À planifier"), "planned": _l("Planifié"), "done": _l("Réalisé"),
                        "missed": _l("Absent·e"), "skipped": _l("Non suivi")}
EXIT_LABELS = {"job_searching": _l("En recherche d’emploi"), "education_training": _l("En études ou en formation"),
               "qualification": _l("A obtenu une qualification"),
               "employment": _l("En emploi, y compris indépendant·e")}
FOLLOW_UP_LABELS = {"employment": _l("En emploi, y compris indépendant·e"),
                    "improved": _l("Situation améliorée sur le marché du travail"),
                    "no_change": _l("Pas d’amélioration")}


class ModuleProgressForm(FlaskForm):
    status = SelectField(_l("Statut"), choices=list(MODULE_STATUS_LABELS.items()))
    happened_on = DateField(_l("Date"), validators=[Optional()])
    coach_id = SelectField(_l("Accompagné par"), coerce=optional_id,
                           choices=[])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])


class ExitForm(FlaskForm):
    exited_on = DateField(_l("Date de sortie"), validators=[InputRequired(_l("Indiquez la date de sortie."))])
    situation = SelectField(_l("Situation à la sortie"), choices=[("", _l("Choisir…"))] + list(EXIT_LABELS.items()),
                            validators=[InputRequired(_l("Choisissez la situation à la sortie."))])


class FollowUpForm(FlaskForm):
    on = DateField(_l("Date du suivi"), validators=[InputRequired(_l("Indiquez la date du suivi."))])
    result = SelectField(_l("Situation six mois après la sortie"),
                         choices=[("", _l("Choisir…"))] + list(FOLLOW_UP_LABELS.items()),
                         validators=[InputRequired(_l("Choisissez la situation."))])
