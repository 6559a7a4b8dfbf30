"""Partners: the directory, contacts, relationship stages, the contact log and its next steps."""

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from intranet.auth.models import User
from intranet.beneficiaries.services import derive_rural
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.partners.models import Interaction, Partner, PartnerContact, PartnerStage, StageChange
from intranet.partners.referrals import services as referrals
from intranet.rules import RuleError
from intranet.search import matches
from intranet.values import InvalidValue

PARTNER_FIELDS = ("name", "kind", "address", "postcode", "commune", "website", "siret", "notes")
CONTACT_FIELDS = ("name", "role", "email", "phone", "channel")


class PartnerError(RuleError):
    """A change of the directory or of the contact log refused by a rule."""


# --- values -----------------------------------------------------------------------------------


def normalize_siret(raw: str) -> str:
    """14 digits, spaces removed, with a valid check digit (Luhn; La Poste's establishments by their own rule)."""
    text = re.sub(r"[\s.]", "", raw or "")
    if not text:
        return ""
    if not re.fullmatch(r"[0-9]{14}", text):
        raise InvalidValue(_("Un SIRET a 14 chiffres, par ex. 123 456 789 00012."))
    if text.startswith("356000000"):  # La Poste: the digits of each establishment's SIRET add up to a multiple of 5
        valid = sum(int(c) for c in text) % 5 == 0
    else:
        total = 0
        for position, char in enumerate(reversed(text)):
            digit = int(char) * (2 if position % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        valid = total % 10 == 0
    if not valid:
        raise InvalidValue(_("Ce SIRET n’existe pas : vérifiez les 14 chiffres."))
    return text


def department_of(postcode: str) -> str:
    """The department a postcode belongs to: '33000' -> '33', '97400' -> '974', '20090' -> '2A'."""
    if not re.fullmatch(r"[0-9]{5}", postcode or ""):
        return ""
    if postcode.startswith(("97", "98")):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if int(postcode) < 20200 else "2B"
    return postcode[:2]


def normalize_website(raw: str) -> str:
    text = (raw or "").strip()
    if text and not re.match(r"https?://", text, re.IGNORECASE):
        text = "https://" + text
    if text and not re.fullmatch(r"https?://[^\s<>\"']+\.[^\s<>\"']+", text, re.IGNORECASE):
        raise InvalidValue(_("Une adresse de site comme https://www.exemple.fr."))
    return text


# --- the directory ------------------------------------------------------------------------------


def _apply(partner: Partner, data: dict) -> list[str]:
    changed = []
    for name in PARTNER_FIELDS:
        if name in data and getattr(partner, name) != data[name]:
            setattr(partner, name, data[name])
            changed.append(name)
    partner.department_code = department_of(partner.postcode)
    rural = derive_rural(partner.postcode, partner.commune)
    partner.rural = rural or ""
    return changed


def create_partner(association_id: int, data: dict, *, author_id: int | None = None,
                   stage: str = PartnerStage.PROSPECT, now: datetime | None = None) -> Partner:
    """Add an organisation to the directory, at `stage` (a prospect by default)."""
    if not (data.get("name") or "").strip():
        raise PartnerError("name", _("Indiquez le nom de l’organisation."))
    now = now or utcnow()
    partner = Partner(association_id=association_id, stage=stage, stage_changed_at=now)
    _apply(partner, data)
    db.session.add(partner)
    db.session.flush()
    db.session.add(StageChange(association_id=association_id, partner_id=partner.id, from_stage="", to_stage=stage,
                               changed_at=now, author_id=author_id))
    db.session.flush()
    return partner


def update_partner(partner: Partner, data: dict) -> list[str]:
    changed = _apply(partner, data)
    db.session.flush()
    return changed


def set_active(partner: Partner, active: bool) -> None:
    """Deactivate (its referral link stops working) or reactivate a partner; nothing is deleted."""
    partner.active = active
    if not active and (link := referrals.active_link(partner)):
        referrals.revoke_link(link)
    db.session.flush()


def change_stage(partner: Partner, stage: str, *, author_id: int | None, now: datetime | None = None) -> bool:
    """Move the relationship to `stage`, noting when and by whom; False when it was there already."""
    if stage not in PartnerStage.values():
        raise PartnerError("stage", _("Cette étape n’existe pas."))
    if stage == partner.stage:
        return False
    now = now or utcnow()
    db.session.add(StageChange(association_id=partner.association_id, partner_id=partner.id,
                               from_stage=partner.stage, to_stage=stage, changed_at=now, author_id=author_id))
    partner.stage, partner.stage_changed_at = stage, now
    db.session.flush()
    return True


def stage_history(partner: Partner) -> list[StageChange]:
    return list(db.session.scalars(select(StageChange).options(joinedload(StageChange.author))
                                   .where(StageChange.partner_id == partner.id)
                                   .order_by(StageChange.changed_at.desc(), StageChange.id.desc())))


def last_stage_change(partner: Partner) -> StageChange | None:
    return db.session.scalar(select(StageChange).options(joinedload(StageChange.author))
                             .where(StageChange.partner_id == partner.id)
                             .order_by(StageChange.changed_at.desc(), StageChange.id.desc()).limit(1))


# --- contacts ---------------------------------------------------------------------------------


def add_contact(partner: Partner, data: dict) -> PartnerContact:
    contact = PartnerContact(association_id=partner.association_id, partner_id=partner.id,
                             **{name: data.get(name) or "" for name in CONTACT_FIELDS if name != "channel"},
                             channel=data.get("channel") or "email")
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(contact: PartnerContact, data: dict) -> None:
    for name in CONTACT_FIELDS:
        if name in data:
            setattr(contact, name, data[name] or "")
    db.session.flush()


def set_contact_active(contact: PartnerContact, active: bool) -> None:
    """A contact who left is deactivated: the exchanges that name them keep their name."""
    contact.active = active
    db.session.flush()


# --- lists ------------------------------------------------------------------------------------

SORTS = {
    "name": (Partner.name_key,),
    "stage": (Partner.stage, Partner.name_key),
    "recent": (Partner.created_at.desc(),),
}


@dataclass
class Filters:
    q: str = ""
    kind: str = ""
    stage: str = ""
    rural: str = ""
    overdue: bool = False
    inactive: bool = False
    sort: str = "name"


def _open_step():
    return Interaction.next_step_due.is_not(None) & Interaction.next_step_done_at.is_(None)


def search(association_id: int, filters: Filters, today: date):
    """The select statement of a filtered, sorted page of the directory."""
    query = select(Partner).where(Partner.association_id == association_id, Partner.active.is_(not filters.inactive))
    if filters.q.strip():
        query = query.where(matches(Partner.search_key, filters.q))
    if filters.kind:
        query = query.where(Partner.kind == filters.kind)
    if filters.stage:
        query = query.where(Partner.stage == filters.stage)
    if filters.rural:
        query = query.where(Partner.rural == filters.rural)
    if filters.overdue:
        query = query.where(exists(select(Interaction.id).where(
            Interaction.association_id == association_id, Interaction.partner_id == Partner.id, _open_step(),
            Interaction.next_step_due < today)))
    return query.order_by(*SORTS.get(filters.sort, SORTS["name"]), Partner.id)


@dataclass
class RowFacts:
    last_on: date | None = None
    next_due: date | None = None
    next_step: str = ""


def row_facts(partner_ids: list[int]) -> dict[int, RowFacts]:
    """For each partner of a page: the last exchange's day and the earliest open next step (two queries)."""
    facts = {partner_id: RowFacts() for partner_id in partner_ids}
    if not partner_ids:
        return facts
    for partner_id, last_on in db.session.execute(
            select(Interaction.partner_id, func.max(Interaction.happened_on))
            .where(Interaction.partner_id.in_(partner_ids)).group_by(Interaction.partner_id)):
        facts[partner_id].last_on = last_on
    ranked = select(Interaction.partner_id, Interaction.next_step_due, Interaction.next_step,
                    func.row_number().over(partition_by=Interaction.partner_id,
                                           order_by=(Interaction.next_step_due, Interaction.id)).label("n")
                    ).where(Interaction.partner_id.in_(partner_ids), _open_step()).subquery()
    for partner_id, due, step, _n in db.session.execute(select(ranked).where(ranked.c.n == 1)):
        facts[partner_id].next_due, facts[partner_id].next_step = due, step
    return facts


def staff_choices(association_id: int) -> list[tuple[int, str]]:
    """The association's staff and admins (who log exchanges and own next steps), by name."""
    return [(user_id, name) for user_id, name in db.session.execute(
        select(User.id, User.name).join(Membership, Membership.user_id == User.id)
        .where(Membership.association_id == association_id, Membership.active.is_(True),
               Membership.role.in_(("staff", "admin")), User.active.is_(True)).order_by(User.name, User.id))]


# --- the contact log ------------------------------------------------------------------------------


def log_interaction(partner: Partner, *, happened_on: date, kind: str, author_id: int | None,
                    contact_ids: list[int] = (), summary: str = "", next_step: str = "",
                    next_step_due: date | None = None, next_step_owner_id: int | None = None,
                    today: date | None = None) -> Interaction:
    """Note an exchange with a partner; a prospect becomes a first contact with the first one."""
    next_step = (next_step or "").strip()
    if today is not None and happened_on > today:
        raise PartnerError("happened_on", _("Un échange se note une fois qu’il a eu lieu : choisissez une date passée "
                                            "ou aujourd’hui."))
    if next_step and next_step_due is None:
        raise PartnerError("next_step_due", _("Indiquez pour quand est la prochaine étape."))
    if next_step_due is not None and not next_step:
        raise PartnerError("next_step", _("Décrivez la prochaine étape prévue pour cette date."))
    if next_step_due is not None and next_step_due < happened_on:
        raise PartnerError("next_step_due", _("La prochaine étape vient après l’échange."))
    staff = {user_id for user_id, _name in staff_choices(partner.association_id)}
    for field, user_id in (("author_id", author_id), ("next_step_owner_id", next_step_owner_id)):
        if user_id is not None and user_id not in staff:
            raise PartnerError(field, _("Choisissez une personne de l’équipe."))
    contacts = list(db.session.scalars(select(PartnerContact).where(
        PartnerContact.partner_id == partner.id, PartnerContact.id.in_(list(contact_ids))))) if contact_ids else []
    if len(contacts) != len(set(contact_ids)):
        raise PartnerError("contact_ids", _("Choisissez des contacts de ce partenaire."))
    interaction = Interaction(
        association_id=partner.association_id, partner_id=partner.id, happened_on=happened_on, kind=kind,
        author_id=author_id, summary=(summary or "").strip(), next_step=next_step, next_step_due=next_step_due,
        next_step_owner_id=(next_step_owner_id or author_id) if next_step else None, contacts=contacts)
    db.session.add(interaction)
    if partner.stage == PartnerStage.PROSPECT:
        change_stage(partner, PartnerStage.FIRST_CONTACT, author_id=author_id)
    db.session.flush()
    return interaction


def close_next_step(interaction: Interaction, *, now: datetime | None = None) -> bool:
    """Mark an exchange's next step as done; False when it was done already."""
    if interaction.next_step_done_at is not None or interaction.next_step_due is None:
        return False
    interaction.next_step_done_at = now or utcnow()
    db.session.flush()
    return True


def timeline(partner: Partner, limit: int | None = None) -> list[Interaction]:
    """A partner's exchanges, newest first, with their people (three queries whatever their number)."""
    query = (select(Interaction).where(Interaction.partner_id == partner.id)
             .options(joinedload(Interaction.author), joinedload(Interaction.owner), selectinload(Interaction.contacts))
             .order_by(Interaction.happened_on.desc(), Interaction.id.desc()))
    return list(db.session.scalars(query.limit(limit) if limit else query).unique())


def follow_ups_query(association_id: int, owner_id: int | None = None):
    """The association's open next steps, the most overdue first (À relancer)."""
    query = (select(Interaction).where(Interaction.association_id == association_id, _open_step())
             .options(joinedload(Interaction.partner), joinedload(Interaction.owner))
             .order_by(Interaction.next_step_due, Interaction.id))
    if owner_id is not None:
        query = query.where(Interaction.next_step_owner_id == owner_id)
    return query


def steps_due(association_id: int, owner_id: int, until: date) -> list[Interaction]:
    """One person's open next steps due by `until` (the daily digest)."""
    return list(db.session.scalars(
        select(Interaction).where(Interaction.next_step_owner_id == owner_id, _open_step(),
                                  Interaction.next_step_due <= until, Interaction.association_id == association_id)
        .options(joinedload(Interaction.partner)).order_by(Interaction.next_step_due, Interaction.id)))


def due_by(association_id: int, day: date):
    """The select statement of the association's open next steps due by `day` (late ones too), the oldest first."""
    return follow_ups_query(association_id).where(Interaction.next_step_due <= day)


def count_due_by(association_id: int, day: date) -> int:
    return db.session.scalar(select(func.count()).select_from(Interaction).where(
        Interaction.association_id == association_id, _open_step(), Interaction.next_step_due <= day))


def count_overdue(association_id: int, today: date) -> int:
    return db.session.scalar(select(func.count()).select_from(Interaction).where(
        Interaction.association_id == association_id, _open_step(), Interaction.next_step_due < today))


