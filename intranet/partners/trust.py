"""Trust and referral figures: meetings and days from first contact to first referral, outcomes by period.

Per partner, one aggregate query gives the first exchange, the first referral received and the meetings
("rendez-vous") up to that referral (`firsts`). The averages and medians are computed in Python over those rows,
one per partner (a few hundred at most, network-wide a few thousand), the same on SQLite and PostgreSQL; the
network's figures group the same subqueries by association in SQL (`first_referrals_between`).
"""

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import exists, func, or_, select

from intranet.args import arg_date
from intranet.extensions import db
from intranet.journeys.models import Journey
from intranet.network.models import Association
from intranet.partners.models import Interaction, InteractionKind, Partner
from intranet.partners.referrals.models import Referral, ReferralStatus


@dataclass
class PartnerTrust:
    partner_id: int
    name: str
    kind: str
    department: str
    association_id: int
    association: str
    first_contact: date | None
    first_referral: date | None
    meetings: int  # meetings up to the first referral (all of them while none came)

    @property
    def days(self) -> int | None:
        """Days from the first exchange to the first referral; None while one of them is missing."""
        if self.first_contact is None or self.first_referral is None or self.first_referral < self.first_contact:
            return None
        return (self.first_referral - self.first_contact).days

    @property
    def reached(self) -> bool:
        return self.days is not None


def firsts(association_ids: list[int] | None = None):
    """Per partner, in SQL: the first exchange, the first referral received and the meetings ("rendez-vous") up to
    it (all of them while none came): three subqueries keyed by `partner_id`, columns `on` and `n`."""
    contact_q = select(Interaction.partner_id, func.min(Interaction.happened_on).label("on"))
    referral_q = select(Referral.partner_id, func.min(Referral.received_on).label("on"))
    if association_ids is not None:
        contact_q = contact_q.where(Interaction.association_id.in_(association_ids))
        referral_q = referral_q.where(Referral.association_id.in_(association_ids))
    first_contact = contact_q.group_by(Interaction.partner_id).subquery()
    first_referral = referral_q.group_by(Referral.partner_id).subquery()
    meetings = (select(Interaction.partner_id, func.count().label("n"))
                .outerjoin(first_referral, first_referral.c.partner_id == Interaction.partner_id)
                .where(Interaction.kind == InteractionKind.MEETING,
                       or_(first_referral.c.on.is_(None), Interaction.happened_on <= first_referral.c.on))
                .group_by(Interaction.partner_id).subquery())
    return first_contact, first_referral, meetings


def partner_trust(*, association_id: int | None = None, partner_id: int | None = None) -> list[PartnerTrust]:
    """The trust figures of each partner of an association (or of the whole network), in one query."""
    first_contact, first_referral, meetings = firsts(None if association_id is None else [association_id])
    query = (select(Partner.id, Partner.name, Partner.kind, Partner.department_code, Partner.association_id,
                    Association.name, first_contact.c.on, first_referral.c.on, func.coalesce(meetings.c.n, 0))
             .join(Association, Association.id == Partner.association_id)
             .outerjoin(first_contact, first_contact.c.partner_id == Partner.id)
             .outerjoin(first_referral, first_referral.c.partner_id == Partner.id)
             .outerjoin(meetings, meetings.c.partner_id == Partner.id)
             .order_by(Partner.name_key, Partner.id))
    if association_id is not None:
        query = query.where(Partner.association_id == association_id)
    if partner_id is not None:
        query = query.where(Partner.id == partner_id)
    return [PartnerTrust(*row) for row in db.session.execute(query)]


def first_referrals_between(start: date, end: date, association_ids: list[int] | None = None):
    """Per association, the partners whose first referral came between `start` and `end` after a first exchange
    (`PartnerTrust.reached`), and their meetings up to it: columns association_id, partners, meetings."""
    first_contact, first_referral, meetings = firsts(association_ids)
    query = (select(Partner.association_id, func.count().label("partners"),
                    func.sum(func.coalesce(meetings.c.n, 0)).label("meetings"))
             .join(first_contact, first_contact.c.partner_id == Partner.id)
             .join(first_referral, first_referral.c.partner_id == Partner.id)
             .outerjoin(meetings, meetings.c.partner_id == Partner.id)
             .where(first_referral.c.on >= first_contact.c.on, first_referral.c.on >= start, first_referral.c.on <= end)
             .group_by(Partner.association_id))
    if association_ids is not None:
        query = query.where(Partner.association_id.in_(association_ids))
    return query


def of_partner(partner: Partner) -> PartnerTrust:
    return partner_trust(association_id=partner.association_id, partner_id=partner.id)[0]


@dataclass
class Summary:
    """Averages and medians over the partners that reached a first referral."""

    partners: int = 0
    reached: int = 0
    meetings_average: float | None = None
    meetings_median: float | None = None
    days_average: float | None = None
    days_median: float | None = None


def summarize(rows: list[PartnerTrust]) -> Summary:
    reached = [row for row in rows if row.reached]
    summary = Summary(partners=len(rows), reached=len(reached))
    if reached:
        meetings, days = [row.meetings for row in reached], [row.days for row in reached]
        summary.meetings_average, summary.meetings_median = statistics.fmean(meetings), statistics.median(meetings)
        summary.days_average, summary.days_median = statistics.fmean(days), statistics.median(days)
    return summary


def grouped(rows: list[PartnerTrust], key) -> list[tuple[str, Summary]]:
    """The summary of each group of rows (by kind, by department…), in the groups' order."""
    groups: dict[str, list[PartnerTrust]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return [(name, summarize(members)) for name, members in sorted(groups.items())]


# --- referrals by partner and period ----------------------------------------------------------------


@dataclass
class Period:
    start: date
    end: date


def period_from_args(today: date) -> Period:
    """The period a figures page shows: ?from= and ?to=, the last twelve months by default."""
    end = arg_date("to", today)
    start = arg_date("from", end - timedelta(days=365))
    if start > end:
        start, end = end, start
    return Period(start, end)


@dataclass
class PartnerStats:
    partner_id: int
    name: str
    received: int = 0
    accepted: int = 0
    refused: int = 0
    with_appointment: int = 0
    completed: int = 0
    refusals: dict[str, int] = field(default_factory=dict)
    median_days_to_appointment: float | None = None


def referral_stats(association_id: int | None, period: Period) -> list[PartnerStats]:
    """Per partner: referrals received in the period, accepted, refused by reason, with a first appointment,
    with a completed journey, and the median days from referral to first appointment (three queries)."""
    within = [Referral.received_on >= period.start, Referral.received_on <= period.end]
    if association_id is not None:
        within.append(Referral.association_id == association_id)
    completed = exists(select(Journey.id).where(Journey.beneficiary_id == Referral.beneficiary_id,
                                                Journey.exited_on.is_not(None)))
    rows = db.session.execute(
        select(Referral.partner_id, Partner.name, func.count(),
               func.count().filter(Referral.status == ReferralStatus.ACCEPTED),
               func.count().filter(Referral.status == ReferralStatus.REFUSED),
               func.count().filter(Referral.first_appointment_at.is_not(None)),
               func.count().filter(Referral.beneficiary_id.is_not(None), completed))
        .join(Partner, Partner.id == Referral.partner_id).where(*within)
        .group_by(Referral.partner_id, Partner.name).order_by(Partner.name, Referral.partner_id))
    stats = {row[0]: PartnerStats(*row) for row in rows}
    for partner_id, reason, count in db.session.execute(
            select(Referral.partner_id, Referral.refusal_reason, func.count())
            .where(*within, Referral.status == ReferralStatus.REFUSED)
            .group_by(Referral.partner_id, Referral.refusal_reason)):
        stats[partner_id].refusals[reason] = count
    delays: dict[int, list[float]] = {}
    for partner_id, received_at, first_at in db.session.execute(
            select(Referral.partner_id, Referral.received_at, Referral.first_appointment_at)
            .where(*within, Referral.first_appointment_at.is_not(None))):
        delays.setdefault(partner_id, []).append((first_at - received_at).total_seconds() / 86400)
    for partner_id, values in delays.items():
        stats[partner_id].median_days_to_appointment = round(statistics.median(values), 1)
    return list(stats.values())


def totals(stats: list[PartnerStats]) -> PartnerStats:
    total = PartnerStats(partner_id=0, name="")
    for row in stats:
        for name in ("received", "accepted", "refused", "with_appointment", "completed"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        for reason, count in row.refusals.items():
            total.refusals[reason] = total.refusals.get(reason, 0) + count
    return total


