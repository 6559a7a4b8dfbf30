"""The beneficiary file form, and the list filters."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from intranet.beneficiaries.rules import InvalidValue, has_other_digits, normalize_postcode
from intranet.forms import DateField, EmailAddress
from intranet.phones import normalize_phone

NOT_ASKED = ("", _l("Non renseigné"))
CHANNELS = [("email", _l("E-mail")), ("phone", _l("Téléphone")), ("sms", _l("SMS"))]
CONSENT_SCOPES = [
    ("", _l("Pas encore recueilli")),
    ("accompaniment", _l("Accompagnement")),
    ("accompaniment_esf", _l("Accompagnement et suivi FSE+")),
]
GENDERS = [NOT_ASKED, ("woman", _l("Femme")), ("man", _l("Homme")), ("non_binary", _l("Non binaire"))]
LABOUR = [NOT_ASKED, ("unemployed", _l("Demandeur·se d’emploi")),
          ("long_term_unemployed", _l("Demandeur·se d’emploi de longue durée (12 mois et plus)")),
          ("inactive", _l("Inactif·ve (ni en emploi, ni en recherche)")),
          ("employed", _l("En emploi, y compris indépendant·e"))]
EDUCATION = [NOT_ASKED, ("isced_0_2", _l("Jusqu’au collège (CITE 0 à 2)")),
             ("isced_3_4", _l("Lycée, CAP, BEP, bac (CITE 3 et 4)")),
             ("isced_5_8", _l("Études supérieures (CITE 5 à 8)"))]
SENSITIVE = [NOT_ASKED, ("yes", _l("Oui")), ("no", _l("Non")), ("undisclosed", _l("Ne souhaite pas répondre"))]
YES_NO = [NOT_ASKED, ("yes", _l("Oui")), ("no", _l("Non"))]
STATUS_LABELS = {"new": _l("Nouveau"), "in_progress": _l("En cours"), "completed": _l("Terminé"),
                 "withdrawn": _l("Abandon")}


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
    contact_channel = SelectField(_l("Moyen de contact préféré"), choices=CHANNELS, default="email")

    consent_scope = SelectField(_l("Consentement"), choices=CONSENT_SCOPES, default="")

    referrer = StringField(_l("Orienté·e par"), description=_l("Structure ou personne qui a orienté, par ex. France Travail, Mission locale."),
                           validators=[Length(max=160)])
    target_job = StringField(_l("Métier ou secteur visé"), validators=[Length(max=160)])
    interview_on = DateField(_l("Date d’un prochain entretien d’embauche"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    gender = SelectField(_l("Genre"), choices=GENDERS, default="")
    birth_date = DateField(_l("Date de naissance"), validators=[Optional(), _plausible_birth_date])
    labour_status = SelectField(_l("Situation sur le marché du travail"), choices=LABOUR, default="")
    education_level = SelectField(_l("Niveau d’études"), choices=EDUCATION, default="")
    disability = SelectField(_l("Situation de handicap"), choices=SENSITIVE, default="")
    third_country_national = SelectField(_l("Ressortissant·e d’un pays hors Union européenne"), choices=SENSITIVE, default="")
    foreign_background = SelectField(_l("Origine étrangère"), choices=SENSITIVE, default="")
    minority = SelectField(_l("Appartenance à une minorité (y compris communautés marginalisées)"), choices=SENSITIVE, default="")
    homeless = SelectField(_l("Sans domicile ou exclu·e du logement"), choices=SENSITIVE, default="")
    rural = SelectField(_l("Habite en zone rurale"), choices=YES_NO, default="",
                        description=_l("Déduit de la commune quand elle est connue."))

    def validate_contact_channel(self, field):
        if field.data == "email" and not self.email.data:
            raise ValidationError(_l("Indiquez une adresse e-mail pour être contacté·e par e-mail."))
        if field.data in ("phone", "sms") and not self.phone.data:
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
    status = SelectField(_l("Statut"), choices=list(STATUS_LABELS.items()))

AUDIT_LABELS = {"create": _l("création de la fiche"), "update": _l("modification de la fiche"),
                "status": _l("changement de statut"), "deactivate": _l("fiche désactivée"),
                "reactivate": _l("fiche réactivée"), "journey_start": _l("début d’un parcours"),
                "journey_module": _l("suivi d’un module"), "journey_exit": _l("sortie de parcours"),
                "follow_up": _l("suivi à six mois")}
