"""The network's medians for the association homes, computed by a periodic step rather than on every request.

An association's home compares its figures with the median of the network's associations. Computing that median
means computing every association's figures: the cost grows with the network. So a step of the minute tick keeps,
for each period a home offers (this month, last month, this quarter, this year), a snapshot of the medians, and
computes it again once it is older than MEDIANS_REFRESH_SECONDS (15 minutes by default), one period a tick at
most so that the tick's other steps do not wait; a home reads it in one query and says when it was computed.

The figures computed on the way are kept beside the medians (`NetworkFigures`): every association's, the network's,
the charts' months and the map's departments, for all programs and for each program alone. The network page reads
them when it shows the whole network, one association or one program (`dashboard.network_page`).
"""

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from intranet import jobs
from intranet.clock import local
from intranet.extensions import db
from intranet.reporting import dashboard, figures, trends
from intranet.reporting.models import MedianSnapshot
from intranet.reporting.periods import NETWORK_TIMEZONE, Filters, Period, PeriodKind

KINDS = (PeriodKind.MONTH, PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.LAST_MONTH)  # the homes' default first
TIMEZONE = NETWORK_TIMEZONE  # the periods' days, as the network's pages count them
FIGURES_VERSION = 3  # of the network figures kept beside the medians (an older snapshot is computed again)


@dataclass(frozen=True)
class Medians:
    values: dict[str, float | None]
    computed_at: datetime
    associations: int


def periods(today: date) -> list[Period]:
    return [Period.of(kind, today) for kind in KINDS]


def compute(period: Period) -> tuple[dict[str, float | None], int, dict]:
    """Each compared figure's median over the active associations, at the default minutes per e-mail; and the
    network page's numbers for the period with no filter and for each program alone, by association, computed
    on the way (`NetworkFigures`)."""
    ids = [a.id for a in dashboard.associations()]
    parts, values = {}, {}
    for program in ["", *sorted({p.code for p in dashboard.programs()} | {dashboard.REMOTE_PROGRAM})]:
        filters = Filters(period, program=program, extra={"minutes": figures.DEFAULT_MINUTES_PER_MAIL})
        values[program] = figures.compute(filters)
        parts[program] = {"values": _keyed(values[program]),
                          "departments": _keyed(trends.people_by_department_and_association(filters)),
                          "trends": _keyed(trends.numbers_by_association(filters))}
    page = {"version": FIGURES_VERSION, "programs": parts}
    return dashboard.network_medians(values[""], ids), len(ids), page


def _keyed(by_association: dict) -> dict:
    """JSON's keys are text: the association's id, "" for the network."""
    return {"" if key is None else str(key): row for key, row in by_association.items()}


def _read_keys(by_association: dict) -> dict:
    return {None if key == "" else int(key): row for key, row in by_association.items()}


def store(period: Period, medians: dict, associations: int, now: datetime, page: dict | None = None) -> None:
    """Write the period's snapshot, replacing the one before (safe if two processes write it at once)."""
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {"period_kind": period.kind, "period_start": period.start, "period_end": period.end,
              "medians": json.dumps(medians), "associations": associations, "computed_at": now,
              "figures": json.dumps(page or {})}
    db.session.execute(insert(MedianSnapshot).values(**values).on_conflict_do_update(
        index_elements=["period_start", "period_end"],
        set_={k: v for k, v in values.items() if k not in ("period_start", "period_end")}))


def refresh(now: datetime, *, force: bool = False, limit: int | None = None) -> int:
    """Compute again the snapshots that are missing or too old (all of them if `force`), the missing then the oldest
    first, `limit` of them at most; forget other periods. Returns how many were computed."""
    today = local(now, TIMEZONE).date()
    wanted = periods(today)
    max_age = timedelta(seconds=current_app.config["MEDIANS_REFRESH_SECONDS"])
    computed_at = {(start, end): at for start, end, at in db.session.execute(
        select(MedianSnapshot.period_start, MedianSnapshot.period_end, MedianSnapshot.computed_at))}
    ages = [(computed_at.get((p.start, p.end)), p) for p in wanted]
    due = [p for at, p in sorted(ages, key=lambda item: item[0] or datetime.min.replace(tzinfo=now.tzinfo))
           if force or at is None or at <= now - max_age]
    for period in due[:limit]:
        medians, associations, page = compute(period)
        store(period, medians, associations, now, page)
    db.session.execute(delete(MedianSnapshot).where(
        tuple_(MedianSnapshot.period_start, MedianSnapshot.period_end).not_in([(p.start, p.end) for p in wanted]))
        .execution_options(synchronize_session=False))
    db.session.flush()
    return len(due[:limit])


@jobs.periodic()
def network_medians(now: datetime) -> int:
    return refresh(now, limit=1)


def read(period: Period) -> Medians | None:
    """The period's medians as last computed (None: not yet), in one query."""
    row = db.session.execute(select(MedianSnapshot.medians, MedianSnapshot.computed_at, MedianSnapshot.associations)
                             .where(MedianSnapshot.period_start == period.start,
                                    MedianSnapshot.period_end == period.end)).first()
    return None if row is None else Medians(json.loads(row.medians), row.computed_at, row.associations)



@dataclass(frozen=True)
class NetworkFigures:
    """The network page's numbers for a period, with no filter or one program, as the tick last computed them; each
    by association and for the network (key None). `remote`: the remote program's (its headline)."""

    values: dict
    remote: dict
    departments: dict[int | None, dict[str, int]]
    trends: dict[int | None, dict[str, list[int]]]
    computed_at: datetime


def network_figures(period: Period, program: str = "") -> NetworkFigures | None:
    """The period's network figures as last computed, for every program or one (None: not yet, or a snapshot
    written before they were kept so)."""
    row = db.session.execute(select(MedianSnapshot.figures, MedianSnapshot.computed_at)
                             .where(MedianSnapshot.period_start == period.start,
                                    MedianSnapshot.period_end == period.end,
                                    MedianSnapshot.period_kind == period.kind)).first()
    page = json.loads(row.figures) if row is not None else {}
    if page.get("version") != FIGURES_VERSION or program not in page["programs"]:
        return None
    chosen, remote = page["programs"][program], page["programs"][dashboard.REMOTE_PROGRAM]
    return NetworkFigures(_read_keys(chosen["values"]), _read_keys(remote["values"]),
                          _read_keys(chosen["departments"]), _read_keys(chosen["trends"]), row.computed_at)
