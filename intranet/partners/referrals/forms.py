"""The public referral form (hostile input in mind) and staff's answers to a referral."""

import re
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from intranet.beneficiaries.forms import _phone, _postcode
from intranet.forms import DateField, EmailAddress, IdField
from intranet.partners.referrals.models import CandidateSituation, RefusalReason
from intranet.partners.referrals.services import CANDIDATE_FIELDS


def _coming(form, field):
    if field.data and not date.today() - timedelta(days=1) <= field.data <= date.today() + timedelta(days=366):
        raise ValidationError(_l("Indiquez la date d’un entretien à venir, dans l’année."))


def clean_key(value: str | None) -> str:
    """The form's one-time key if it looks like one we made (16 to 64 URL-safe characters), else ""."""
    value = value or ""
    return value if 16 <= len(value) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", value) else ""


def _key(form, field):
    field.data = clean_key(field.data)


class ReferralForm(FlaskForm):
    """The form a partner fills in, from its personal link, without an account."""

    first_name = StringField(_l("Prénom"), validators=[DataRequired(_l("Indiquez le prénom de la personne.")),
                                                       Length(max=80, message=_l("80 caractères au plus."))])
    last_name = StringField(_l("Nom"), validators=[DataRequired(_l("Indiquez le nom de la personne.")),
                                                   Length(max=80, message=_l("80 caractères au plus."))])
    email = EmailField(_l("E-mail de la personne"), validators=[
        Optional(), Length(max=254, message=_l("254 caractères au plus.")), EmailAddress()])
    phone = StringField(_l("Téléphone de la personne"), validators=[Length(max=30, message=_l("Un numéro comme 06 12 34 56 78.")), _phone],
                        description=_l("Un e-mail ou un téléphone au moins."))
    postcode = StringField(_l("Code postal de la personne"), validators=[
        DataRequired(_l("Indiquez le code postal : il nous dit si la personne est sur notre territoire.")),
        Length(max=10, message=_l("Un code postal de 5 chiffres, par ex. 33000.")), _postcode])
    situation = SelectField(_l("Sa situation"), choices=CandidateSituation.choices(_l("Je ne sais pas")), default="")
    reason = TextAreaField(_l("Pourquoi l’orientez-vous vers nous ?"), validators=[
        DataRequired(_l("Dites-nous en quelques mots ce que la personne attend.")),
        Length(max=2000, message=_l("2 000 caractères au plus."))])
    availability = StringField(_l("Ses disponibilités"), validators=[Length(max=300, message=_l("300 caractères au plus."))],
                               description=_l("Par ex. « les matins sauf le mercredi »."))
    interview_on = DateField(_l("Un entretien d’embauche prévu ? Sa date"), validators=[Optional(), _coming])
    referrer_name = StringField(_l("Votre nom"), validators=[DataRequired(_l("Indiquez votre nom.")),
                                                             Length(max=120, message=_l("120 caractères au plus."))])
    referrer_email = EmailField(_l("Votre e-mail"), validators=[
        DataRequired(_l("Indiquez votre e-mail : nous vous dirons ce que devient l’orientation.")),
        Length(max=254, message=_l("254 caractères au plus.")), EmailAddress()])
    referrer_phone = StringField(_l("Votre téléphone (facultatif)"),
                                 validators=[Length(max=30, message=_l("Un numéro comme 06 12 34 56 78.")), _phone])
    attested = BooleanField(_l("La personne est d’accord pour être orientée vers l’association et je lui ai expliqué "
                               "comment ses données seront utilisées."),
                            validators=[DataRequired(_l("Cochez cette case : nous ne pouvons recevoir l’orientation "
                                                        "qu’avec l’accord de la personne."))])
    # Left empty by people (it is hidden); robots fill it in.
    website = StringField(_l("Ne remplissez pas ce champ"), validators=[Length(max=200)])
    submission_key = HiddenField(validators=[_key])

    def validate_phone(self, field):
        if not field.data and not self.email.data:
            raise ValidationError(_l("Indiquez un e-mail ou un téléphone de la personne (au moins l’un des deux)."))

    def data_for_referral(self) -> dict:
        data = {}
        for name in CANDIDATE_FIELDS:
            value = getattr(self, name).data
            data[name] = value.strip() if isinstance(value, str) else value
        return data


class AcceptForm(FlaskForm):
    beneficiary_id = IdField()  # the existing file to link to, when the duplicate guard found one
    create_anyway = HiddenField()


class RefuseForm(FlaskForm):
    reason = SelectField(_l("Raison"), choices=RefusalReason.choices())
    note = TextAreaField(_l("Précision pour le prescripteur (facultatif)"),
                         validators=[Length(max=1000, message=_l("1 000 caractères au plus."))])


class InformationForm(FlaskForm):
    message = TextAreaField(_l("Ce qu’il vous manque"), validators=[
        DataRequired(_l("Écrivez ce qu’il vous manque.")), Length(max=1000, message=_l("1 000 caractères au plus."))],
        description=_l("Le prescripteur le reçoit par e-mail, avec un lien pour compléter l’orientation."))


class LinkForm(FlaskForm):
    """A bare button on the partner's link (create, regenerate, revoke)."""
