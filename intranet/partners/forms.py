"""Forms of the partners' pages: an organisation, a contact, a stage, an exchange."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from intranet.beneficiaries.forms import _phone, _postcode
from intranet.beneficiaries.models import ContactChannel
from intranet.forms import DateField, EmailAddress, optional_id
from intranet.partners.models import InteractionKind, PartnerKind, PartnerStage
from intranet.partners.services import normalize_siret, normalize_website
from intranet.values import InvalidValue


def _siret(form, field):
    try:
        field.data = normalize_siret(field.data or "")
    except InvalidValue as error:
        raise ValidationError(str(error)) from error


def _website(form, field):
    try:
        field.data = normalize_website(field.data or "")
    except InvalidValue as error:
        raise ValidationError(str(error)) from error


class PartnerForm(FlaskForm):
    name = StringField(_l("Nom de l’organisation"), validators=[DataRequired(_l("Indiquez le nom de l’organisation.")),
                                                                 Length(max=160)])
    kind = SelectField(_l("Type"), choices=PartnerKind.choices(), default=PartnerKind.MISSION_LOCALE)
    address = StringField(_l("Adresse"), validators=[Length(max=200)])
    postcode = StringField(_l("Code postal"), validators=[_postcode])
    commune = StringField(_l("Commune"), validators=[Length(max=120)],
                          description=_l("Rurale ou non : déduit de la commune quand elle est connue."))
    website = StringField(_l("Site web"), validators=[Length(max=200), _website])
    siret = StringField(_l("SIRET (facultatif)"), validators=[Length(max=20), _siret],
                        description=_l("14 chiffres : il permet au réseau de reconnaître la même structure."))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    def data_for_partner(self) -> dict:
        return {name: (getattr(self, name).data or "").strip() for name in
                ("name", "kind", "address", "postcode", "commune", "website", "siret", "notes")}


class ContactForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez le nom du contact.")), Length(max=120)])
    role = StringField(_l("Fonction"), validators=[Length(max=120)], description=_l("Par ex. conseillère emploi."))
    email = EmailField(_l("Adresse e-mail"), validators=[Optional(), EmailAddress(), Length(max=254)])
    phone = StringField(_l("Téléphone"), validators=[_phone])
    channel = SelectField(_l("Moyen de contact préféré"), choices=ContactChannel.choices(), default=ContactChannel.EMAIL)

    def validate_channel(self, field):
        if field.data == ContactChannel.EMAIL and not self.email.data:
            raise ValidationError(_l("Indiquez une adresse e-mail pour un contact par e-mail."))
        if field.data in (ContactChannel.PHONE, ContactChannel.SMS) and not self.phone.data:
            raise ValidationError(_l("Indiquez un numéro pour un contact par téléphone ou SMS."))

    def data_for_contact(self) -> dict:
        return {name: (getattr(self, name).data or "").strip() for name in ("name", "role", "email", "phone", "channel")}


class StageForm(FlaskForm):
    stage = SelectField(_l("Étape de la relation"), choices=PartnerStage.choices())


class InteractionForm(FlaskForm):
    happened_on = DateField(_l("Date"), validators=[DataRequired(_l("Indiquez la date de l’échange."))])
    kind = SelectField(_l("Type d’échange"), choices=InteractionKind.choices(), default=InteractionKind.CALL)
    author_id = SelectField(_l("Pour l’association"), coerce=optional_id, choices=[])
    contact_ids = SelectMultipleField(_l("Avec"), coerce=int, choices=[], validate_choice=True)
    summary = TextAreaField(_l("Ce qui s’est dit"), validators=[DataRequired(_l("Résumez l’échange en quelques mots.")),
                                                                 Length(max=5000)])
    next_step = StringField(_l("Prochaine étape"), validators=[Length(max=300)],
                            description=_l("Par ex. « Envoyer la plaquette », « Rappeler pour fixer une rencontre »."))
    next_step_due = DateField(_l("Pour le"), validators=[Optional()])
    next_step_owner_id = SelectField(_l("Qui s’en charge"), coerce=optional_id, choices=[])

    def set_choices(self, staff: list[tuple[int, str]], contacts: list[tuple[int, str]]) -> None:
        self.author_id.choices = staff
        self.next_step_owner_id.choices = [("", _l("La personne qui note l’échange"))] + staff
        self.contact_ids.choices = contacts


class CloseStepForm(FlaskForm):
    """A bare button: the next step is done."""
