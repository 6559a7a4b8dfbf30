"""The beneficiary file form, and the list filters."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from intranet.beneficiaries.models import (
    BeneficiaryStatus,
    ConsentScope,
    ContactChannel,
    EducationLevel,
    Gender,
    LabourStatus,
    SensitiveAnswer,
    YesNo,
)
from intranet.beneficiaries.rules import InvalidValue, has_other_digits, normalize_postcode
from intranet.forms import DateField, EmailAddress, optional_id
from intranet.phones import normalize_phone

NOT_ASKED = _l("Non renseigné")


def _phone(form, field):
    try:
        field.data = normalize_phone(field.data or "")
    except InvalidValue as error:
        raise ValidationError(str(error)) from error


def _postcode(form, field):
    if has_other_digits(field.data):
        raise ValidationError(_l("Écrivez le code postal avec les chiffres 0 à 9, par ex. 33000."))
    try:
        field.data = normalize_postcode(field.data or "")
    except InvalidValue as error:
        raise ValidationError(_l("Un code postal de 5 chiffres, par ex. 33000.")) from error


def _plausible_birth_date(form, field):
    if field.data and not (date(1920, 1, 1) <= field.data <= date.today().replace(year=date.today().year - 14)):
        raise ValidationError(_l("Vérifiez la date de naissance (la personne doit avoir au moins 14 ans)."))


class BeneficiaryForm(FlaskForm):
    first_name = StringField(_l("Prénom"), validators=[DataRequired(_l("Indiquez le prénom.")), Length(max=80)])
    last_name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez le nom.")), Length(max=80)])
    email = EmailField(_l("Adresse e-mail"), validators=[Optional(), EmailAddress(), Length(max=254)])
    phone = StringField(_l("Téléphone"), validators=[_phone])
    postcode = StringField(_l("Code postal"), validators=[_postcode])
    commune = StringField(_l("Commune"), validators=[Length(max=120)])
    contact_channel = SelectField(_l("Moyen de contact préféré"), choices=ContactChannel.choices(), default=ContactChannel.EMAIL)

    consent_scope = SelectField(_l("Consentement"), choices=ConsentScope.choices(_l("Pas encore recueilli")), default="")

    referrer_partner_id = SelectField(_l("Orienté·e par"), coerce=optional_id, choices=[], validate_choice=True,
                                      description=_l("Un partenaire de l’annuaire."))
    referrer_contact_id = SelectField(_l("Contact chez ce partenaire"), coerce=optional_id, choices=[])
    referrer = StringField(_l("Autre structure ou personne"),
                           description=_l("Si elle n’est pas dans l’annuaire, par ex. « bouche-à-oreille »."),
                           validators=[Length(max=160)])
    target_job = StringField(_l("Métier ou secteur visé"), validators=[Length(max=160)])
    interview_on = DateField(_l("Date d’un prochain entretien d’embauche"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    gender = SelectField(_l("Genre"), choices=Gender.choices(NOT_ASKED), default="")
    birth_date = DateField(_l("Date de naissance"), validators=[Optional(), _plausible_birth_date])
    labour_status = SelectField(_l("Situation sur le marché du travail"), choices=LabourStatus.choices(NOT_ASKED), default="")
    education_level = SelectField(_l("Niveau d’études"), choices=EducationLevel.choices(NOT_ASKED), default="")
    disability = SelectField(_l("Situation de handicap"), choices=SensitiveAnswer.choices(NOT_ASKED), default="")
    third_country_national = SelectField(_l("Ressortissant·e d’un pays hors Union européenne"), choices=SensitiveAnswer.choices(NOT_ASKED), default="")
    foreign_background = SelectField(_l("Origine étrangère"), choices=SensitiveAnswer.choices(NOT_ASKED), default="")
    minority = SelectField(_l("Appartenance à une minorité (y compris communautés marginalisées)"), choices=SensitiveAnswer.choices(NOT_ASKED), default="")
    homeless = SelectField(_l("Sans domicile ou exclu·e du logement"), choices=SensitiveAnswer.choices(NOT_ASKED), default="")
    rural = SelectField(_l("Habite en zone rurale"), choices=YesNo.choices(NOT_ASKED), default="",
                        description=_l("Déduit de la commune quand elle est connue."))

    def set_referrer_choices(self, association_id: int, original=None) -> None:
        """Offer the association's partners, and the contacts of the one chosen (or already on the file)."""
        from intranet.beneficiaries.referrers import contact_choices, partner_choices

        partner_id = self.referrer_partner_id.data
        kept_partner = getattr(original, "referrer_partner_id", None)
        kept_contact = getattr(original, "referrer_contact_id", None)
        self.referrer_partner_id.choices = [("", _l("Aucun partenaire de l’annuaire"))] + partner_choices(
            association_id, include=partner_id or kept_partner)
        self.referrer_contact_id.choices = [("", _l("Pas de contact précis"))] + contact_choices(
            association_id, partner_id, include=kept_contact)

    def validate_contact_channel(self, field):
        if field.data == ContactChannel.EMAIL and not self.email.data:
            raise ValidationError(_l("Indiquez une adresse e-mail pour être contacté·e par e-mail."))
        if field.data in (ContactChannel.PHONE, ContactChannel.SMS) and not self.phone.data:
            raise ValidationError(_l("Indiquez un numéro de téléphone pour être contacté·e par téléphone ou SMS."))

    def data_for_file(self) -> dict:
        """The submitted values, as the services expect them."""
        from intranet.beneficiaries.services import EDITABLE

        data = {}
        for name in EDITABLE:
            value = getattr(self, name).data
            data[name] = value.strip() if isinstance(value, str) else value
        return data


class StatusForm(FlaskForm):
    status = SelectField(_l("Statut"), choices=BeneficiaryStatus.choices())
