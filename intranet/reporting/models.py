"""What reporting keeps: the network office's ESF+ participant rule, and the network's medians as last computed."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intranet.clock import UTCDateTime, utcnow
from intranet.extensions import db


class ParticipantRule(db.Model):
    """Who counts as an ESF+ participant, as the network office set it (one row; none yet: the defaults)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Done modules of the remote program on at least this many different days (1: any module).
    remote_min_days: Mapped[int] = mapped_column(default=1)
    # Done modules of an in-person program on at least this many different days (2: "more than one day").
    in_person_min_days: Mapped[int] = mapped_column(default=2)
    # A person whose done modules are all collective sessions (modules of more than one seat) counts.
    collective_only_counts: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # days: 1 to 30, the form checks


class MedianSnapshot(db.Model):
    """The median over the network's associations of each compared figure for one period, and when it was computed.

    Written by a periodic step (`reporting.medians`), read by every association's home in one query.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(12))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    medians: Mapped[str] = mapped_column(Text, default="{}")  # JSON: {figure key: median or null}
    # JSON: the network page's numbers for the period with no filter (values by association, "" for the network,
    # the remote program's headline, people by department, the twelve months of each chart).
    figures: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    associations: Mapped[int] = mapped_column(default=0)  # how many associations the medians are over
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("period_start", "period_end"),)
