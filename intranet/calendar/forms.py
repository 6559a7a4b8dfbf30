"""Forms of the calendar: booking, moving, status, availability, absences, resources, booking window, mail settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from intranet.calendar.models import AppointmentStatus
from intranet.forms import DateField, EmailAddress, IntegerField, optional_id
from intranet.network.services import SENDER_NAME_MAX, clean_sender_name
from intranet.programs.models import ResourceKind

WEEKDAYS = [(0, _l("Lundi")), (1, _l("Mardi")), (2, _l("Mercredi")), (3, _l("Jeudi")), (4, _l("Vendredi")),
            (5, _l("Samedi")), (6, _l("Dimanche"))]


class BookingForm(FlaskForm):
    beneficiary_id = SelectField(_l("Personne accompagnée"), coerce=optional_id, choices=[],
                                 validators=[InputRequired(_l("Choisissez la personne accompagnée."))])
    module_id = SelectField(_l("Module"), coerce=optional_id, choices=[],
                            validators=[InputRequired(_l("Choisissez un module."))])
    day = DateField(_l("Date"), validators=[InputRequired(_l("Indiquez la date."))])
    at = TimeField(_l("Heure"), validators=[InputRequired(_l("Indiquez l’heure."))])
    volunteer_id = SelectField(_l("Accompagné par"), coerce=optional_id, choices=[],
                               validators=[InputRequired(_l("Choisissez qui accompagne."))])
    resource_id = SelectField(_l("Ressource"), coerce=optional_id, choices=[])
    call_details = StringField(_l("Numéro à appeler ou lien de la visio"), validators=[Length(max=255)])
    override = BooleanField(_l("Réserver quand même, en connaissance de cause"))


class MoveForm(FlaskForm):
    day = DateField(_l("Nouvelle date"), validators=[InputRequired(_l("Indiquez la date."))])
    at = TimeField(_l("Nouvelle heure"), validators=[InputRequired(_l("Indiquez l’heure."))])
    volunteer_id = SelectField(_l("Accompagné par"), coerce=optional_id, choices=[],
                               validators=[InputRequired(_l("Choisissez qui accompagne."))])
    resource_id = SelectField(_l("Ressource"), coerce=optional_id, choices=[])
    override = BooleanField(_l("Déplacer quand même, en connaissance de cause"))


class StatusForm(FlaskForm):
    status = SelectField(_l("Nouveau statut"),
                         choices=AppointmentStatus.choices(members=[s for s in AppointmentStatus if s != AppointmentStatus.PLANNED]))
    reason = StringField(_l("Raison (obligatoire pour une annulation)"), validators=[Length(max=255)])


class AvailabilityForm(FlaskForm):
    user_id = SelectField(_l("Personne"), coerce=optional_id, choices=[])
    weekday = SelectField(_l("Jour"), coerce=int, choices=WEEKDAYS)
    starts = TimeField(_l("De"), validators=[InputRequired(_l("Indiquez l’heure de début."))])
    ends = TimeField(_l("À"), validators=[InputRequired(_l("Indiquez l’heure de fin."))])
    valid_from = DateField(_l("À partir du"), validators=[InputRequired(_l("Indiquez la date de début."))])
    valid_until = DateField(_l("Jusqu’au (facultatif)"), validators=[Optional()])


class AbsenceForm(FlaskForm):
    user_id = SelectField(_l("Personne"), coerce=optional_id, choices=[])
    first_day = DateField(_l("Du"), validators=[InputRequired(_l("Indiquez le premier jour."))])
    last_day = DateField(_l("Au (inclus)"), validators=[InputRequired(_l("Indiquez le dernier jour."))])
    reason = StringField(_l("Motif (facultatif)"), validators=[Length(max=160)])


class ResourceForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez un nom.")), Length(max=120)])
    kind = SelectField(_l("Type"), choices=ResourceKind.choices(), default=ResourceKind.ROOM)
    capacity = IntegerField(_l("Séances en même temps"), default=1,
                            validators=[InputRequired(_l("Indiquez une capacité.")), NumberRange(1, 50, _l("Entre 1 et 50."))])
    opens_at = TimeField(_l("Ouvre à"), validators=[InputRequired(_l("Indiquez l’heure d’ouverture."))])
    closes_at = TimeField(_l("Ferme à"), validators=[InputRequired(_l("Indiquez l’heure de fermeture."))])
    open_days = StringField(_l("Jours d’ouverture"), default="01234",
                            description=_l("Chiffres des jours : 0 = lundi … 6 = dimanche, par ex. 01234."),
                            validators=[DataRequired(_l("Indiquez au moins un jour.")), Length(max=7)])


class BookingWindowForm(FlaskForm):
    booking_min_hours = IntegerField(_l("Réservation possible à partir de (heures)"),
                                     validators=[InputRequired(), NumberRange(0, 24 * 14, _l("Entre 0 et 336 heures."))])
    booking_max_days = IntegerField(_l("Jusqu’à (jours)"), validators=[InputRequired(), NumberRange(1, 180, _l("Entre 1 et 180 jours."))])
    change_min_hours = IntegerField(_l("Annulation ou déplacement jusqu’à (heures avant)"),
                                    validators=[InputRequired(), NumberRange(0, 24 * 14, _l("Entre 0 et 336 heures."))])


class SenderName:
    """A plain display name: the sender address is always the platform's, the name only goes before it."""

    def __call__(self, form, field):
        from flask_babel import gettext as _
        from wtforms.validators import ValidationError

        value = " ".join((field.data or "").split())[:SENDER_NAME_MAX]  # the length has its own message
        if value != clean_sender_name(value) or any(c in (field.data or "") for c in "\r\n"):
            raise ValidationError(_("Un nom simple seulement : lettres, chiffres, espaces, apostrophes, tirets, "
                                    "points et « & » (pas d’adresse e-mail, de guillemets, de virgules ni de chevrons)."))


class MailSettingsForm(FlaskForm):
    reminder_days_before = IntegerField(
        _l("Rappel aux personnes accompagnées, jours avant"), default=2,
        description=_l("À l’heure du rendez-vous ; 0 pour aucun rappel."),
        validators=[InputRequired(_l("Indiquez un nombre de jours.")), NumberRange(0, 14, _l("Entre 0 et 14 jours."))])
    reminder_eve_hour = IntegerField(
        _l("Rappel la veille, à (heure)"), default=8,
        description=_l("De 0 à 23 ; laissez vide pour aucun rappel la veille."),
        validators=[Optional(), NumberRange(0, 23, _l("Entre 0 et 23 heures."))])
    mail_sender_name = StringField(_l("Nom de l’expéditeur"), description=_l("Par exemple le nom de l’association."),
                                   validators=[Length(max=SENDER_NAME_MAX, message=_l("80 caractères au plus.")),
                                               SenderName()])
    mail_reply_to = StringField(_l("Adresse de réponse"),
                                description=_l("Les réponses des personnes arrivent à cette adresse. Sans elle, les "
                                               "rappels leur demandent de prévenir l’association sans répondre au "
                                               "courriel, qui part d’une adresse sans boîte de réception."),
                                validators=[Optional(), Length(max=254), EmailAddress()])
