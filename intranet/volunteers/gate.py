"""Who may coach a module on a given day: the rule the calendar checks at every booking and move.

Small on purpose and low in the layers: it reads profiles, qualifications and the catalogue's names
only, so the calendar (booking, moves, "find a slot", self-booking) imports it without importing
the rest of the volunteers package, which itself reads the calendar.

The rule, on the day of the session (in the association's time zone):
- a volunteer on a pause that covers that day is not offered, whatever the module;
- a module that requires a qualification is coached only by someone holding that code in this
  association, obtained on or before that day, valid until that day or later, not withdrawn;
- a module without a qualification may be coached by any active member, as before.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from intranet.dates import format_date
from intranet.extensions import db
from intranet.volunteers.models import Qualification, Training, VolunteerProfile


def qualification_names(association_id: int | None = None) -> dict[str, str]:
    """Each qualification code by the name people know it by: the training that grants it ("Coach RH").

    The network's trainings come first; an association's own name a code only the network does not.
    """
    query = select(Training.association_id, Training.grants, Training.name).where(Training.active.is_(True))
    query = query.where(Training.association_id.is_(None) | (Training.association_id == association_id))
    names: dict[str, str] = {}
    rows = db.session.execute(query.order_by(Training.association_id.is_not(None), Training.id)).all()
    for _association_id, grants, name in rows:
        for code in grants.split():
            names.setdefault(code, name)
    return names


@dataclass
class Eligibility:
    """Who among some members may coach a module needing `code` ("" for none), day by day."""

    association_id: int
    code: str
    pauses: dict[int, VolunteerProfile] = field(default_factory=dict)
    held: dict[int, list[Qualification]] = field(default_factory=dict)
    _name: str | None = None

    @property
    def name(self) -> str:
        if self._name is None:
            self._name = qualification_names(self.association_id).get(self.code, self.code)
        return self._name

    def refusal(self, user_id: int, day: date) -> str | None:
        """Why this person may not coach on `day` (None: they may), in words for staff."""
        profile = self.pauses.get(user_id)
        if profile is not None and profile.paused_on(day):
            if profile.paused_until is not None:
                return _("en pause jusqu’au %(day)s", day=format_date(profile.paused_until, "long"))
            return _("en pause")
        if not self.code:
            return None
        rows = self.held.get(user_id, [])
        if any(q.valid_on(day) for q in rows):
            return None
        if not rows:
            return _("sans habilitation %(name)s", name=self.name)
        latest = max(rows, key=lambda q: (q.obtained_on, q.id))
        if latest.withdrawn_on is not None:
            return _("habilitation %(name)s retirée le %(day)s", name=self.name,
                     day=format_date(latest.withdrawn_on, "long"))
        if latest.obtained_on > day:
            return _("habilitation %(name)s valable à partir du %(day)s", name=self.name,
                     day=format_date(latest.obtained_on, "long"))
        expired = max((q.valid_until for q in rows if q.withdrawn_on is None and q.valid_until is not None
                       and q.valid_until < day), default=None)
        if expired is not None:
            return _("habilitation %(name)s expirée le %(day)s", name=self.name, day=format_date(expired, "long"))
        return _("sans habilitation %(name)s valable ce jour-là", name=self.name)


def eligibility(association_id: int, user_ids: Iterable[int], code: str = "") -> Eligibility:
    """Load, in two queries whatever the number of people, what decides who may coach a module needing `code`."""
    user_ids = sorted(set(user_ids))
    result = Eligibility(association_id=association_id, code=code or "")
    if not user_ids:
        return result
    for profile in db.session.scalars(select(VolunteerProfile).where(
            VolunteerProfile.association_id == association_id, VolunteerProfile.user_id.in_(user_ids),
            VolunteerProfile.status == "paused")):
        result.pauses[profile.user_id] = profile
    if code:
        rows = db.session.execute(
            select(VolunteerProfile.user_id, Qualification)
            .join(VolunteerProfile, VolunteerProfile.id == Qualification.profile_id)
            .where(Qualification.association_id == association_id, VolunteerProfile.user_id.in_(user_ids),
                   Qualification.code == code))
        for user_id, qualification in rows:
            result.held.setdefault(user_id, []).append(qualification)
    return result


def refusal(association_id: int, user_id: int, code: str, day: date) -> str | None:
    """Why this member may not coach a module needing `code` on `day` (None: they may)."""
    return eligibility(association_id, [user_id], code).refusal(user_id, day)
