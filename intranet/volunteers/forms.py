"""Forms of the volunteers: profile, qualifications, trainings, sessions, enrolment and attendance."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from intranet.forms import DateField, IntegerField, optional_id
from intranet.phones import normalize_phone
from intranet.values import InvalidValue
from intranet.volunteers.models import ActivityCategory, Attendance, SessionOutcome, VolunteerStatus


def _phone(form, field):
    try:
        field.data = normalize_phone(field.data or "")
    except InvalidValue as error:
        raise ValidationError(str(error)) from error


class ProfileForm(FlaskForm):
    phone = StringField(_l("Téléphone"), validators=[_phone])
    skills = StringField(_l("Compétences"), description=_l("Par exemple : recrutement, conseil en image, bureautique."),
                         validators=[Length(max=500)])
    languages = StringField(_l("Langues parlées"), validators=[Length(max=255)])
    background = TextAreaField(_l("Parcours professionnel"), validators=[Length(max=5000)])
    joined_on = DateField(_l("Bénévole depuis le"), validators=[Optional()])
    status = SelectField(_l("Statut"), choices=VolunteerStatus.choices(
        members=[VolunteerStatus.ACTIVE, VolunteerStatus.PAUSED]), default=VolunteerStatus.ACTIVE)
    paused_from = DateField(_l("En pause à partir du (facultatif)"), validators=[Optional()])
    paused_until = DateField(_l("En pause jusqu’au (facultatif)"), validators=[Optional()],
                             description=_l("Aucune séance ne lui est proposée pendant la pause."))
    staff_notes = TextAreaField(_l("Notes de l’équipe"), description=_l("Jamais montrées à la personne."),
                                validators=[Length(max=5000)])

    def data_for_profile(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "phone", "skills", "languages", "background", "joined_on", "status", "paused_from", "paused_until",
            "staff_notes")}


class QualificationForm(FlaskForm):
    code = SelectField(_l("Habilitation"), choices=[], validators=[InputRequired(_l("Choisissez l’habilitation."))])
    obtained_on = DateField(_l("Obtenue le"), validators=[InputRequired(_l("Indiquez la date d’obtention."))])
    valid_until = DateField(_l("Valable jusqu’au (vide : sans limite)"), validators=[Optional()])
    evidence = StringField(_l("Justificatif"), description=_l("Par exemple : attestation de formation de la Cravate "
                                                              "Solidaire de Lyon, juin 2025."),
                           validators=[DataRequired(_l("Indiquez ce qui atteste l’habilitation.")), Length(max=500)])


class WithdrawForm(FlaskForm):
    reason = StringField(_l("Raison du retrait"), validators=[DataRequired(_l("Indiquez la raison du retrait.")),
                                                             Length(max=255)])


class CodesField(SelectMultipleField):
    """Checkboxes of qualification codes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TrainingForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez le nom de la formation.")), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    duration_minutes = IntegerField(_l("Durée (minutes)"), default=180, validators=[
        InputRequired(_l("Indiquez la durée.")), NumberRange(15, 7200, _l("Entre 15 minutes et 5 jours."))])
    validity_months = IntegerField(_l("Validité (mois)"), description=_l("Vide : l’habilitation n’expire pas."),
                                   validators=[Optional(), NumberRange(1, 120, _l("Entre 1 et 120 mois."))])
    grants = CodesField(_l("Habilitations données"), choices=[], validate_choice=False)
    active = BooleanField(_l("Proposée (décochez pour la retirer du catalogue)"), default=True)


class NetworkTrainingForm(TrainingForm):
    new_code = StringField(_l("Autre code d’habilitation (facultatif)"),
                           description=_l("En minuscules, par ex. seance_photo : le code qu’un module exigera."),
                           validators=[Length(max=60)])


class SessionForm(FlaskForm):
    training_id = SelectField(_l("Formation"), coerce=optional_id, choices=[],
                              validators=[InputRequired(_l("Choisissez la formation."))])
    day = DateField(_l("Date"), validators=[InputRequired(_l("Indiquez la date."))])
    at = TimeField(_l("Heure"), validators=[InputRequired(_l("Indiquez l’heure."))])
    duration_minutes = IntegerField(_l("Durée (minutes)"), validators=[
        Optional(), NumberRange(15, 7200, _l("Entre 15 minutes et 5 jours."))],
        description=_l("Vide : la durée de la formation."))
    place = StringField(_l("Lieu"), validators=[Length(max=255)])
    video_link = StringField(_l("Ou lien de la visio"), validators=[Length(max=255)])
    trainer = StringField(_l("Formateur·rice"), validators=[Length(max=120)])
    capacity = IntegerField(_l("Places"), default=8, validators=[
        InputRequired(_l("Indiquez le nombre de places.")), NumberRange(1, 200, _l("Entre 1 et 200 places."))])


class EnrolForm(FlaskForm):
    member_id = SelectField(_l("Personne à inscrire"), coerce=optional_id, choices=[],
                            validators=[InputRequired(_l("Choisissez la personne à inscrire."))])


class AttendanceForm(FlaskForm):
    attendance = RadioField(_l("Présence"), choices=Attendance.choices(),
                            validators=[InputRequired(_l("Choisissez présent·e, absent·e ou excusé·e."))])


class SessionLogForm(FlaskForm):
    """What a coach records after a session: réalisé is preselected, the planned duration prefilled."""

    outcome = RadioField(_l("Ce qui s’est passé"), choices=SessionOutcome.choices(), default=SessionOutcome.DONE,
                         validators=[InputRequired(_l("Choisissez ce qui s’est passé."))])
    minutes = IntegerField(_l("Durée réelle (minutes)"), validators=[
        InputRequired(_l("Indiquez la durée.")), NumberRange(min=1, max=720, message=_l("Entre 1 et 720 minutes."))])
    notes = TextAreaField(_l("Notes pour le ou la prochain·e bénévole"), validators=[Length(max=5000)],
                          description=_l("Ce qui a été travaillé, ce qui reste à faire. Seul·es la personne qui "
                                         "accompagne la suite du parcours et l’équipe les lisent."))
    next_module_id = SelectField(_l("Module conseillé ensuite"), choices=[], coerce=optional_id,
                                 validate_choice=True)


class ActivityForm(FlaskForm):
    association_id = SelectField(_l("Association"), choices=[], coerce=optional_id)
    done_on = DateField(_l("Date"), validators=[InputRequired(_l("Indiquez la date."))])
    minutes = IntegerField(_l("Durée (minutes)"), validators=[
        InputRequired(_l("Indiquez la durée.")), NumberRange(min=1, max=720, message=_l("Entre 1 et 720 minutes."))])
    category = SelectField(_l("Catégorie"), choices=ActivityCategory.choices(), default=ActivityCategory.CLOTHES)
    note = StringField(_l("Note (facultatif)"), validators=[Length(max=500)])


class PauseForm(FlaskForm):
    association_id = SelectField(_l("Association"), choices=[], coerce=optional_id)
    paused_from = DateField(_l("Du"), validators=[InputRequired(_l("Indiquez le début de la pause."))])
    paused_until = DateField(_l("Au (vide : jusqu’à nouvel ordre)"), validators=[Optional()])


class ResumeForm(FlaskForm):
    association_id = SelectField(_l("Association"), choices=[], coerce=optional_id)


class RateForm(FlaskForm):
    effective_from = DateField(_l("À partir du"), validators=[InputRequired(_l("Indiquez la date d’effet."))])
    euros = DecimalField(_l("Taux horaire brut (€)"), places=2, validators=[
        InputRequired(_l("Indiquez le taux.")), NumberRange(min=1, max=1000, message=_l("Entre 1 € et 1 000 €."))])
    note = StringField(_l("Note"), validators=[Length(max=255)],
                       description=_l("Par exemple : SMIC brut horaire au 1er janvier 2027."))
