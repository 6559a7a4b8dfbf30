"""Beneficiary files: create, change, deactivate, find duplicates, list and count."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import joinedload

from intranet.audit.services import record
from intranet.beneficiaries.models import Beneficiary, BeneficiaryStatus, Commune, ConsentSource, YesNo
from intranet.beneficiaries.rules import name_key
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.rules import RuleError
from intranet.search import matches

IDENTITY = ("first_name", "last_name", "email", "phone", "postcode", "commune", "contact_channel")
CONTEXT = ("referrer", "referrer_partner_id", "referrer_contact_id", "target_job", "interview_on", "notes")
ESF = ("gender", "birth_date", "labour_status", "education_level", "disability", "third_country_national",
       "foreign_background", "minority", "homeless", "rural")
EDITABLE = IDENTITY + CONTEXT + ESF
# Which status may follow which.
TRANSITIONS = {
    BeneficiaryStatus.NEW: {BeneficiaryStatus.IN_PROGRESS, BeneficiaryStatus.WITHDRAWN},
    BeneficiaryStatus.IN_PROGRESS: {BeneficiaryStatus.COMPLETED, BeneficiaryStatus.WITHDRAWN},
    BeneficiaryStatus.COMPLETED: {BeneficiaryStatus.IN_PROGRESS},
    BeneficiaryStatus.WITHDRAWN: {BeneficiaryStatus.IN_PROGRESS},
}


class FileError(RuleError):
    """A change refused by a rule, with the field it concerns ('' for the whole file)."""


def derive_rural(postcode: str, commune: str) -> str | None:
    """'yes' or 'no' when the commune is in the reference list, else None (then it is asked)."""
    if not postcode or not commune:
        return None
    rural = db.session.scalar(select(Commune.rural).where(Commune.postcode == postcode,
                                                          Commune.name_key == name_key(commune)))
    return None if rural is None else (YesNo.YES if rural else YesNo.NO)


def _check_consent(data: dict, consent_scope: str) -> None:
    beyond_identity = [f for f in CONTEXT + ESF if data.get(f) not in (None, "")]
    if beyond_identity and not consent_scope:
        raise FileError("consent_scope", _("Recueillez le consentement de la personne avant de noter autre chose "
                                           "que son identité et ses coordonnées."))
    esf = [f for f in ESF if f != "rural" and data.get(f) not in (None, "")]
    if esf and consent_scope != "accompaniment_esf":
        raise FileError("consent_scope", _("Les données FSE+ demandent le consentement « accompagnement et "
                                           "suivi FSE+ »."))


def _apply(beneficiary: Beneficiary, data: dict, consent_scope: str,
           consent_source: str = ConsentSource.PERSON) -> list[str]:
    _check_consent(data, consent_scope)
    derived = derive_rural(data.get("postcode", ""), data.get("commune", ""))
    if derived is not None:
        data = {**data, "rural": derived}
    changed = []
    for field in EDITABLE:
        if field in data and getattr(beneficiary, field) != data[field]:
            setattr(beneficiary, field, data[field])
            changed.append(field)
    if consent_scope and consent_scope != beneficiary.consent_scope:
        beneficiary.consent_scope = consent_scope
        beneficiary.consent_source = consent_source
        beneficiary.consent_at = utcnow()
        changed.append("consent_scope")
    return changed


def find_duplicates(association_id: int, *, email: str = "", phone: str = "", first_name: str = "",
                    last_name: str = "", birth_date: date | None = None, exclude_id: int | None = None) -> list[Beneficiary]:
    """Files of the same association with the same e-mail, phone, or name and birth date."""
    same = []
    if email:
        same.append(func.lower(Beneficiary.email) == email.lower())
    if phone:
        same.append(Beneficiary.phone == phone)
    candidates = list(db.session.scalars(
        select(Beneficiary).where(Beneficiary.association_id == association_id, or_(*same))
    )) if same else []
    if birth_date and first_name and last_name:
        key = (name_key(first_name), name_key(last_name))
        for b in db.session.scalars(select(Beneficiary).where(Beneficiary.association_id == association_id,
                                                              Beneficiary.birth_date == birth_date)):
            if (name_key(b.first_name), name_key(b.last_name)) == key and b not in candidates:
                candidates.append(b)
    return [b for b in candidates if b.id != exclude_id]


def create(association_id: int, data: dict, consent_scope: str = "",
           consent_source: str = ConsentSource.PERSON) -> Beneficiary:
    """Open a new file; nothing is written if a rule refuses it.

    `consent_source` says who obtained the consent: the association itself, or a referrer who
    attested it when sending the person (a referral accepted).
    """
    beneficiary = Beneficiary(association_id=association_id)
    changed = _apply(beneficiary, data, consent_scope, consent_source)  # raises before anything is added
    db.session.add(beneficiary)
    db.session.flush()
    record(beneficiary, "create", changed)
    db.session.flush()
    return beneficiary


def update(beneficiary: Beneficiary, data: dict, consent_scope: str = "") -> list[str]:
    """Change a file and log which fields changed."""
    changed = _apply(beneficiary, data, consent_scope or beneficiary.consent_scope)
    if changed:
        record(beneficiary, "update", changed)
    db.session.flush()
    return changed


def set_status(beneficiary: Beneficiary, status: str) -> None:
    """Move a file to another status, if that step is allowed."""
    if status not in TRANSITIONS.get(beneficiary.status, set()):
        raise FileError("status", _("Ce changement de statut n’est pas possible."))
    beneficiary.status = status
    record(beneficiary, "status", ["status"])


def change_status(beneficiary: Beneficiary, status: str) -> None:
    set_status(beneficiary, status)
    db.session.flush()


def set_active(beneficiary: Beneficiary, active: bool) -> None:
    """Deactivate (or reactivate) a file; files are never deleted."""
    beneficiary.active = active
    record(beneficiary, "reactivate" if active else "deactivate", ["active"])
    db.session.flush()


# --- lists -----------------------------------------------------------------------------

SORTS = {
    "name": (Beneficiary.last_name, Beneficiary.first_name),
    "recent": (Beneficiary.created_at.desc(),),
    "interview": (Beneficiary.interview_on.is_(None), Beneficiary.interview_on, Beneficiary.last_name),
}


@dataclass
class Filters:
    q: str = ""
    status: str = ""
    program_id: int | None = None
    referrer: str = ""  # a partner's id, or "other" for the files naming a referrer outside the directory
    interview_soon: bool = False
    inactive: bool = False
    sort: str = "interview"


def _interview_soon(today: date):
    return and_(Beneficiary.interview_on >= today, Beneficiary.interview_on <= today + timedelta(days=7))


def search(association_id: int, filters: Filters, today: date):
    """The select statement for a filtered, sorted list of an association's files."""
    from intranet.journeys.models import Journey, JourneyModule
    from intranet.programs.models import Module

    query = select(Beneficiary).options(joinedload(Beneficiary.referrer_partner)).where(
        Beneficiary.association_id == association_id, Beneficiary.active.is_(not filters.inactive))
    if filters.q.strip():
        # Names, commune, e-mail and phone, without case or accents: one indexed column (intranet.search).
        query = query.where(matches(Beneficiary.search_key, filters.q))
    if filters.status:
        query = query.where(Beneficiary.status == filters.status)
    if filters.referrer == "other":
        query = query.where(Beneficiary.referrer_partner_id.is_(None), Beneficiary.referrer != "")
    elif filters.referrer:
        query = query.where(Beneficiary.referrer_partner_id == int(filters.referrer))
    if filters.interview_soon:
        query = query.where(_interview_soon(today))
    if filters.program_id:
        query = query.where(exists(
            select(JourneyModule.id).join(Journey, Journey.id == JourneyModule.journey_id)
            .join(Module, Module.id == JourneyModule.module_id)
            .where(Journey.beneficiary_id == Beneficiary.id, Module.program_id == filters.program_id)))
    order = SORTS.get(filters.sort, SORTS["interview"])
    if order is SORTS["interview"] and db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL already puts NULLs last in an ascending order: without the IS NULL key the order
        # is exactly the index's (ix_beneficiary_list_interview), so page 1 reads 26 index entries.
        order = (Beneficiary.interview_on, Beneficiary.last_name)
    return query.order_by(*order, Beneficiary.id)


def referrers(association_id: int) -> list[tuple[str, str]]:
    """The filter's choices: the association's partners, then the referrers typed outside the directory."""
    from intranet.beneficiaries.referrers import partner_choices

    return [(str(partner_id), name) for partner_id, name in partner_choices(association_id)] + [
        ("other", _("Autre (hors annuaire)"))]


def counters(association_id: int, today: date) -> dict[str, int]:
    """In progress, waiting for a first appointment, interviews within the week."""
    from intranet.journeys.models import Journey, JourneyModule, ModuleStatus

    active = and_(Beneficiary.association_id == association_id, Beneficiary.active.is_(True))
    started = exists(select(JourneyModule.id).join(Journey, Journey.id == JourneyModule.journey_id).where(
        Journey.beneficiary_id == Beneficiary.id, JourneyModule.status.in_((ModuleStatus.PLANNED, ModuleStatus.DONE))))
    row = db.session.execute(select(
        func.count().filter(Beneficiary.status == BeneficiaryStatus.IN_PROGRESS),
        func.count().filter(Beneficiary.status.in_((BeneficiaryStatus.NEW, BeneficiaryStatus.IN_PROGRESS)), ~started),
        func.count().filter(_interview_soon(today)),
    ).where(active)).one()
    return {"in_progress": row[0], "waiting": row[1], "interviews": row[2]}


def import_communes(rows) -> int:
    """Load (postcode, commune, rural) rows into the reference list used to derive the rural area."""
    known = {(c.postcode, c.name_key): c for c in db.session.scalars(select(Commune))}
    count = 0
    for postcode, name, rural in rows:
        key = (postcode.strip(), name_key(name))
        commune = known.get(key) or Commune(postcode=key[0], name_key=key[1])
        commune.name, commune.rural = name.strip(), rural
        db.session.add(commune)
        known[key] = commune
        count += 1
    db.session.flush()
    return count
