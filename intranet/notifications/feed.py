"""The volunteers' private calendar feed: /feeds/<token>.ics, readable by a phone's calendar without signing in.

The token is the key: created and revoked by its owner in /me, it shows their own sessions only,
with the beneficiaries' first names and nothing else about them. Only its digest is stored, so the
address is shown once, when it is made.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import Blueprint, Response, abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intranet.auth.models import User
from intranet.calendar.models import Appointment, Seat
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.notifications import context, ics

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
PAST, AHEAD = timedelta(days=30), timedelta(days=90)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(user: User) -> str:
    """Give the person a new feed token (returned, never stored); the previous one stops working."""
    token = secrets.token_urlsafe(32)
    user.calendar_token_hash = token_digest(token)
    return token


def revoke(user: User) -> None:
    """Switch the person's feed off."""
    user.calendar_token_hash = None


def events_of(user: User, now=None) -> list[dict]:
    """The person's sessions as coach, 30 days back to 90 ahead, in the associations they are active in."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Appointment, Association)
        .join(Association, Association.id == Appointment.association_id)
        .join(Membership, (Membership.association_id == Appointment.association_id)
              & (Membership.user_id == user.id))
        .where(Appointment.volunteer_id == user.id, Appointment.status.in_(("planned", "done")),
               Appointment.starts_at >= now - PAST, Appointment.starts_at <= now + AHEAD,
               Membership.active.is_(True), Association.active.is_(True))
        .options(selectinload(Appointment.seats).selectinload(Seat.beneficiary), selectinload(Appointment.resource))
        .order_by(Appointment.starts_at)
    ).all()
    events = []
    for appointment, association in rows:
        organizer_name, organizer = context.organizer(association)
        names = ", ".join(s.beneficiary.first_name for s in appointment.booked_seats)
        description = f"Avec : {names}" if names else ""
        if appointment.mode != "in_person" and appointment.call_details:
            description = f"{description}\n{appointment.call_details}".strip()
        events.append({
            "uid": f"appointment-{appointment.id}@tremplin", "starts_at": appointment.starts_at,
            "ends_at": appointment.ends_at, "timezone": association.timezone,
            "summary": f"{appointment.name} — {association.name}", "location": context.place(association, appointment),
            "description": description, "sequence": 0, "organizer": organizer, "organizer_name": organizer_name})
    return events


@bp.get("/<token>.ics")
def calendar(token: str):
    user = db.session.scalar(select(User).where(User.calendar_token_hash == token_digest(token),
                                                User.active.is_(True))) if 32 <= len(token) <= 128 else None
    if user is None:
        abort(404)
    body = ics.feed(f"Tremplin — {user.name}", events_of(user))
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="tremplin.ics"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
