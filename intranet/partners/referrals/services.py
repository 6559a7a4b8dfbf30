"""Referrals through a partner's personal link: the link, the public form's submission, staff's answer.

The link's token is an HMAC of a random nonce with the app's secret key: staff can show the link and
print its poster again at any time, while a copy of the database alone opens nothing (only the token's
SHA-256 is stored, and looked up). A newer link replaces the partner's older one; a revoked link
opens a page that says so. The referrer hears of each outcome by e-mail, each mail once (its key).
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from intranet.audit.services import record
from intranet.beneficiaries import services as files
from intranet.beneficiaries.models import Beneficiary, ConsentScope, ConsentSource, ContactChannel
from intranet.clock import local, utcnow
from intranet.extensions import db
from intranet.network.models import Association
from intranet.notifications.services import queue_mail
from intranet.partners.models import Partner, PartnerContact
from intranet.partners.referrals.models import Referral, ReferralLink, ReferralStatus, ReferralSubmission
from intranet.rules import RuleError
from intranet.urls import external_url

MAX_TOKEN_LENGTH = 100
STALE_AFTER = timedelta(days=7)  # staff are reminded in their digest
EXPIRES_AFTER = timedelta(days=30)  # then the referral expires and the referrer is told
# Submissions a link and a client address may make: enough for a busy office, not for a flood.
PER_LINK_PER_HOUR = 30
PER_CLIENT_PER_HOUR = 10
CANDIDATE_FIELDS = ("first_name", "last_name", "email", "phone", "postcode", "situation", "reason", "availability",
                    "interview_on", "referrer_name", "referrer_email", "referrer_phone")


class ReferralError(RuleError):
    """A referral action refused by a rule."""


class TooManySubmissions(ReferralError):
    def __init__(self):
        super().__init__(None, _("Beaucoup d’orientations viennent d’être envoyées depuis ce lien ou cette connexion. "
                                 "Réessayez dans une heure, ou appelez l’association."))


class DuplicatesFound(ReferralError):
    """The candidate may already have a file: staff choose to link to it or to create a new one."""

    def __init__(self, duplicates: list[Beneficiary]):
        super().__init__(None, _("Cette personne a peut-être déjà une fiche."))
        self.duplicates = duplicates


class LinkProblem(Exception):
    """A token that opens nothing: "unknown", or "revoked" (with the association, to say whom to ask)."""

    def __init__(self, reason: str, association: Association | None = None):
        super().__init__(reason)
        self.reason, self.association = reason, association


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- links ------------------------------------------------------------------------------------


def _sign(purpose: str, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, f"tremplin-{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_of(link: ReferralLink) -> str:
    """The link's token, signed again from its nonce (never stored)."""
    return _sign("referral-link", link.nonce)


def link_url(link: ReferralLink) -> str:
    return external_url("referrals_public.form", token=token_of(link))


def active_link(partner: Partner) -> ReferralLink | None:
    return db.session.scalar(select(ReferralLink).where(ReferralLink.partner_id == partner.id,
                                                        ReferralLink.revoked_at.is_(None)).order_by(ReferralLink.id.desc()))


def create_link(partner: Partner, *, created_by_id: int | None = None, now: datetime | None = None) -> ReferralLink:
    """Give the partner a new referral link; the previous one stops working (a regenerated poster)."""
    if not partner.active:
        raise ReferralError(None, _("Ce partenaire est désactivé : réactivez-le avant de lui donner un lien."))
    now = now or utcnow()
    db.session.execute(update(ReferralLink).where(ReferralLink.partner_id == partner.id,
                                                  ReferralLink.revoked_at.is_(None))
                       .values(revoked_at=now).execution_options(synchronize_session=False))
    link = ReferralLink(association_id=partner.association_id, partner_id=partner.id, nonce=secrets.token_hex(16),
                        created_by_id=created_by_id, created_at=now)
    link.token_hash = digest(token_of(link))
    db.session.add(link)
    db.session.flush()
    return link


def revoke_link(link: ReferralLink, *, now: datetime | None = None) -> None:
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        db.session.flush()


def resolve(token: str) -> ReferralLink:
    """The link a token opens, or LinkProblem."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkProblem("unknown")
    link = db.session.scalar(select(ReferralLink).where(ReferralLink.token_hash == digest(token))
                             .options(joinedload(ReferralLink.partner)))
    association = db.session.get(Association, link.association_id) if link else None
    if link is None or association is None or not association.active:
        raise LinkProblem("unknown")
    if link.revoked_at is not None or not link.partner.active:
        raise LinkProblem("revoked", association)
    return link


# --- the public form --------------------------------------------------------------------------


def client_digest(address: str) -> str:
    """What is kept of a client's address for the rate limit: a keyed digest, not the address."""
    return _sign("referral-client", address or "unknown")[:64]


def _recent(condition, since: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(ReferralSubmission)
                             .where(condition, ReferralSubmission.at > since))


def note_submission(link: ReferralLink, client: str, *, now: datetime | None = None) -> None:
    """Count a submission against the link's and the address's limits (refused ones and the honeypot's too)."""
    now = now or utcnow()
    if (_recent(ReferralSubmission.link_id == link.id, now - timedelta(hours=1)) >= PER_LINK_PER_HOUR
            or _recent(ReferralSubmission.client == client, now - timedelta(hours=1)) >= PER_CLIENT_PER_HOUR):
        raise TooManySubmissions()
    db.session.add(ReferralSubmission(link_id=link.id, client=client, at=now))
    db.session.execute(ReferralSubmission.__table__.delete().where(ReferralSubmission.at < now - timedelta(days=1)))
    db.session.flush()


def submitted(link: ReferralLink, submission_key: str) -> Referral | None:
    """The referral this form already made (a replayed or double-clicked submission), if any."""
    if not submission_key:
        return None
    return db.session.scalar(select(Referral).where(Referral.submission_key == submission_key,
                                                    Referral.link_id == link.id))


def _matching_contact(partner_id: int, email: str) -> PartnerContact | None:
    if not email:
        return None
    return db.session.scalar(select(PartnerContact).where(
        PartnerContact.partner_id == partner_id, func.lower(PartnerContact.email) == email.lower()).limit(1))


def submit(link: ReferralLink, data: dict, submission_key: str, *, now: datetime | None = None) -> Referral:
    """Record a referral sent through the link (once per form) and tell the referrer it was received."""
    existing = submitted(link, submission_key)
    if existing is not None:
        return existing
    if not (data.get("email") or data.get("phone")):
        raise ReferralError("phone", _("Indiquez un e-mail ou un téléphone de la personne."))
    now = now or utcnow()
    association = db.session.get(Association, link.association_id)
    referral = Referral(association_id=link.association_id, partner_id=link.partner_id, link_id=link.id,
                        submission_key=submission_key, received_at=now, attested_at=now,
                        received_on=local(now, association.timezone).date(),
                        **{name: data.get(name) or ("" if name != "interview_on" else None) for name in CANDIDATE_FIELDS})
    db.session.add(referral)
    db.session.flush()  # a concurrent twin with the same key fails here, on the unique key
    _tell(referral, "received")
    return referral


# --- the completion link (more information asked) ----------------------------------------------------


def resolve_completion(token: str) -> Referral:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkProblem("unknown")
    referral = db.session.scalar(select(Referral).where(Referral.completion_token_hash == digest(token))
                                 .options(joinedload(Referral.partner)))
    association = db.session.get(Association, referral.association_id) if referral else None
    if referral is None or association is None or not association.active:
        raise LinkProblem("unknown")
    if referral.status != ReferralStatus.INFO_REQUESTED:
        raise LinkProblem("done", association)
    return referral


def complete(referral: Referral, data: dict, *, now: datetime | None = None) -> None:
    """The referrer completed the referral: it is back in the inbox, the link used up."""
    if referral.status != ReferralStatus.INFO_REQUESTED:
        raise ReferralError(None, _("Cette orientation n’attend plus de précisions."))
    if not (data.get("email") or data.get("phone")):
        raise ReferralError("phone", _("Indiquez un e-mail ou un téléphone de la personne."))
    for name in CANDIDATE_FIELDS:
        if name in data:
            setattr(referral, name, data[name] or ("" if name != "interview_on" else None))
    referral.status = ReferralStatus.PENDING  # the link now opens a page saying it was used
    referral.attested_at = now or utcnow()
    db.session.flush()


# --- staff's answer -----------------------------------------------------------------------------------


def _check_open(referral: Referral) -> None:
    if not referral.open:
        raise ReferralError(None, _("Cette orientation a déjà été traitée (%(status)s).",
                                    status=ReferralStatus.label_of(referral.status)))


def duplicates_of(referral: Referral) -> list[Beneficiary]:
    return files.find_duplicates(referral.association_id, email=referral.email, phone=referral.phone,
                                 first_name=referral.first_name, last_name=referral.last_name)


def accept(referral: Referral, *, user_id: int | None, existing: Beneficiary | None = None, create_anyway: bool = False,
           now: datetime | None = None) -> Beneficiary:
    """Accept: open the file (consent attested by the referrer), or link to the person's existing file."""
    _check_open(referral)
    partner = db.session.get(Partner, referral.partner_id)
    contact = _matching_contact(partner.id, referral.referrer_email)
    if existing is None:
        found = duplicates_of(referral)
        if found and not create_anyway:
            raise DuplicatesFound(found)
        notes = "\n".join(text for text in (referral.reason, _("Disponibilités : %(text)s", text=referral.availability)
                                            if referral.availability else "") if text)
        existing = files.create(referral.association_id, {
            "first_name": referral.first_name, "last_name": referral.last_name, "email": referral.email,
            "phone": referral.phone, "postcode": referral.postcode,
            "contact_channel": ContactChannel.EMAIL if referral.email else ContactChannel.PHONE,
            "referrer": partner.name, "referrer_partner_id": partner.id,
            "referrer_contact_id": contact.id if contact else None,
            "interview_on": referral.interview_on, "notes": notes[:5000]},
            ConsentScope.ACCOMPANIMENT, ConsentSource.REFERRER)
    elif existing.referrer_partner_id is None:
        existing.referrer_partner_id = partner.id
        existing.referrer_contact_id = contact.id if contact else None
        existing.referrer = existing.referrer or partner.name
        record(existing, "update", ["referrer_partner_id"])
    referral.status, referral.beneficiary_id = ReferralStatus.ACCEPTED, existing.id
    referral.handled_at, referral.handled_by_id = now or utcnow(), user_id
    db.session.flush()
    _tell(referral, "accepted")
    return existing


def refuse(referral: Referral, *, reason: str, note: str = "", user_id: int | None, now: datetime | None = None) -> None:
    _check_open(referral)
    referral.status, referral.refusal_reason, referral.refusal_note = ReferralStatus.REFUSED, reason, note.strip()
    referral.handled_at, referral.handled_by_id = now or utcnow(), user_id
    db.session.flush()
    _tell(referral, "refused")


def ask_for_information(referral: Referral, *, message: str, user_id: int | None,
                        now: datetime | None = None) -> None:
    """Ask the referrer for more: they get a link to complete this same referral."""
    _check_open(referral)
    if not message.strip():
        raise ReferralError("message", _("Écrivez ce qu’il vous manque."))
    token = secrets.token_urlsafe(32)
    referral.status, referral.info_request = ReferralStatus.INFO_REQUESTED, message.strip()
    referral.info_requests += 1
    referral.completion_token_hash = digest(token)
    referral.handled_by_id = user_id
    db.session.flush()
    _tell(referral, "info", key=f"referral-info-{referral.id}-{referral.info_requests}",
          link=external_url("referral_completion.form", token=token))


def record_first_appointment(beneficiary: Beneficiary, starts_at: datetime) -> int:
    """The person sent by a referral has a first appointment: the referrer is told its date, once."""
    told = 0
    for referral in db.session.scalars(select(Referral).where(
            Referral.beneficiary_id == beneficiary.id, Referral.status == ReferralStatus.ACCEPTED,
            Referral.first_appointment_at.is_(None))):
        referral.first_appointment_at = starts_at
        db.session.flush()
        _tell(referral, "appointment")
        told += 1
    return told


def on_booked(association, *, appointment, beneficiary, **extra) -> None:
    """The calendar's `appointment_booked`: a referred person's first appointment is told to the referrer."""
    if beneficiary is not None:
        record_first_appointment(beneficiary, appointment.starts_at)


def expire(referral: Referral, *, now: datetime | None = None) -> bool:
    """A referral nobody handled within 30 days expires; the referrer is told."""
    if not referral.open:
        return False
    referral.status, referral.expired_at = ReferralStatus.EXPIRED, now or utcnow()
    db.session.flush()
    _tell(referral, "expired")
    return True


def due_to_expire(now: datetime, limit: int = 200):
    return (select(Referral).where(Referral.status.in_((ReferralStatus.PENDING, ReferralStatus.INFO_REQUESTED)),
                                   Referral.received_at <= now - EXPIRES_AFTER)
            .order_by(Referral.id).limit(limit))


# --- what staff see -------------------------------------------------------------------------------


def waiting_count(association_id: int) -> int:
    """The referrals waiting for staff (for the navigation)."""
    return db.session.scalar(select(func.count()).select_from(Referral).where(
        Referral.association_id == association_id, Referral.status == ReferralStatus.PENDING))


def stale(association_id: int, now: datetime) -> list[Referral]:
    """Referrals waiting for staff for more than 7 days (the digest flags them)."""
    return list(db.session.scalars(select(Referral).options(joinedload(Referral.partner)).where(
        Referral.association_id == association_id, Referral.status == ReferralStatus.PENDING,
        Referral.received_at <= now - STALE_AFTER).order_by(Referral.received_at, Referral.id)))


INBOX_TABS = {
    "open": (ReferralStatus.PENDING, ReferralStatus.INFO_REQUESTED),
    "accepted": (ReferralStatus.ACCEPTED,),
    "refused": (ReferralStatus.REFUSED,),
    "expired": (ReferralStatus.EXPIRED,),
}


def inbox(association_id: int, tab: str, partner_id: int | None = None):
    """The select statement of one tab of the inbox: the oldest first while open, the latest first after."""
    statuses = INBOX_TABS.get(tab, INBOX_TABS["open"])
    query = (select(Referral).options(joinedload(Referral.partner))
             .where(Referral.association_id == association_id, Referral.status.in_(statuses)))
    if partner_id:
        query = query.where(Referral.partner_id == partner_id)
    order = (Referral.received_at, Referral.id) if tab == "open" else (Referral.received_at.desc(), Referral.id.desc())
    return query.order_by(*order)


@dataclass
class LinkInfo:
    link: ReferralLink | None
    url: str


def link_info(partner: Partner) -> LinkInfo:
    link = active_link(partner)
    return LinkInfo(link=link, url=link_url(link) if link else "")


# --- mails ---------------------------------------------------------------------------------------


def _tell(referral: Referral, event: str, *, key: str | None = None, **context) -> None:
    """One mail to the referrer about `event`, once (its key)."""
    association = db.session.get(Association, referral.association_id)
    partner = db.session.get(Partner, referral.partner_id)
    queue_mail(to=referral.referrer_email, template=f"referral_{event}", kind=f"referral_{event}",
               association_id=association.id, key=key or f"referral-{event}-{referral.id}",
               referral=referral, association=association, partner=partner,
               candidate=f"{referral.first_name} {referral.last_name[:1]}.".strip(), **context)
