"""What the pages show: the comparison of associations, network medians, the map's shades, the remote program."""

import statistics
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet.extensions import db
from intranet.network.models import Association
from intranet.programs.models import Program
from intranet.reporting import departments, figures, trends
from intranet.reporting.periods import Filters
from intranet.reporting.registry import Figure, figures_by_key, sections

SHADES = 5  # the map's classes of people accompanied, from none to the most
REMOTE_PROGRAM = "remote"
TREND_TITLES = {"people": _l("Personnes accompagnées"), "sessions": _l("Séances réalisées"),
                "no_shows": _l("Absences aux séances"), "volunteer_hours": _l("Heures de bénévolat")}


def compare_figures() -> list[Figure]:
    return [f for s in sections() for f in s.figures if f.compare]


def associations() -> list[Association]:
    return list(db.session.scalars(select(Association).where(Association.active.is_(True))
                                   .order_by(Association.kind.desc(), Association.name)))


def programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.position)))


def comparison(values: dict, rows: list[Association], sort: str, descending: bool) -> list[tuple]:
    """One (association, its figures) per association, sorted by a figure (None last) or by name."""
    table = [(a, values.get(a.id, {})) for a in rows]
    if sort in figures_by_key():
        filled = [r for r in table if r[1].get(sort) is not None]
        empty = [r for r in table if r[1].get(sort) is None]
        return sorted(filled, key=lambda r: r[1][sort], reverse=descending) + empty
    return sorted(table, key=lambda r: r[0].name.lower(), reverse=descending)


def network_medians(values: dict, ids) -> dict[str, float | None]:
    """Each compared figure's median over the associations (those with a value)."""
    medians = {}
    for figure in compare_figures():
        known = [values.get(i, {}).get(figure.key) for i in ids]
        known = [v if v is not None else 0 for v in known] if figure.unit in ("count", "hours") else [v for v in known if v is not None]
        medians[figure.key] = statistics.median(known) if known else None
    return medians


def remote_headline(filters: Filters) -> dict:
    """The remote program at a glance: people reached, sessions delivered, and what other sections add."""
    remote = Filters(filters.period, filters.associations, REMOTE_PROGRAM, filters.department, filters.rural,
                     dict(filters.extra))
    values = {}
    for section in sections():
        if section.remote_headline:
            values.update(section.compute(remote).get(None, {}))
    return values


@dataclass(frozen=True)
class MapDepartment:
    outline: departments.Outline
    people: int
    shade: int
    has_association: bool


def shade_of(people: int, peak: int) -> int:
    """The map's class of a department: 0 for nobody, then 1 to SHADES - 1 by equal steps up to the peak."""
    return 0 if not people or not peak else min(SHADES - 1, 1 + (people * (SHADES - 1) - 1) // peak)


def france_map(counts: dict[str, int], association_departments: set[str]) -> dict:
    """The map's departments with their people and shade (those of an association drawn last, so that their
    outline shows whole), the same for the enlarged Paris box, and the people whose postcode is no department's."""
    peak = max(counts.values(), default=0)

    def place(outlines) -> list[MapDepartment]:
        shown = [MapDepartment(o, counts.get(o.code, 0), shade_of(counts.get(o.code, 0), peak),
                               o.code in association_departments) for o in outlines]
        return sorted(shown, key=lambda m: m.has_association)

    shown = place(departments.MAP.outlines)
    return {"map": departments.MAP, "departments": shown, "zoom": place(departments.MAP.zoom_outlines),
            "table": sorted((m for m in shown if m.people or m.has_association), key=lambda m: m.outline.code),
            "elsewhere": sum(n for code, n in counts.items() if code not in departments.NAMES)}


def shade_bounds(counts: dict[str, int]) -> list[tuple[int, int, int]]:
    """(shade, from, to) for the legend."""
    peak = max(counts.values(), default=0)
    if not peak:
        return []
    bounds = []
    for shade in range(1, SHADES):
        low = (shade - 1) * peak // (SHADES - 1) + 1
        high = shade * peak // (SHADES - 1)
        if low <= high:
            bounds.append((shade, low, high))
    return bounds


def page(filters: Filters, *, with_map: bool = True) -> dict:
    """Everything the network's page (or one association's figures) shows for these filters."""
    counts = trends.people_by_department(filters) if with_map else {}
    return _page(figures.compute(filters), trends.numbers(filters), counts, filters)


def _page(values: dict, numbers: dict, counts: dict, filters: Filters) -> dict:
    return {
        "values": values,
        "sections": sections(),
        "series": trends.series(numbers, filters.period.end, {k: str(v) for k, v in TREND_TITLES.items()}),
        "department_counts": counts,
        "shade_bounds": shade_bounds(counts),
    }


def network_page(filters: Filters, *, whole: bool = True) -> tuple[dict, dict, object]:
    """The network page's context, its remote headline, and when its figures were computed (None: just now).

    With no filter but the period, a program or one association, they are the tick's snapshot of the period
    (`reporting.medians`): computing the whole network's figures on each request grows with the network. The rate
    of minutes per e-mail applies on reading. Several associations or a territory are computed on demand, without
    the map and the remote program's headline unless `whole`.
    """
    from intranet.reporting import medians

    served = len(filters.associations) <= 1 and not (filters.department or filters.rural)
    kept = medians.network_figures(filters.period, filters.program) if served else None
    if kept is None:
        context = page(filters, with_map=whole)
        if not whole:
            return context, {}, None
        # Filtered on the remote program, the page's totals are its headline already.
        remote = context["values"][None] if filters.program == REMOTE_PROGRAM else remote_headline(filters)
        return context, remote, None
    values = figures.at_minutes(kept.values, filters.extra.get("minutes", figures.DEFAULT_MINUTES_PER_MAIL))
    if not filters.associations:
        return _page(values, kept.trends[None], kept.departments[None], filters), kept.remote[None], kept.computed_at
    key = filters.associations[0]  # one association: its row is also the total
    values = {key: values.get(key, {}), None: _alone(values.get(key, {}))}
    numbers = kept.trends.get(key) or {chart: [0] * len(months) for chart, months in kept.trends[None].items()}
    return (_page(values, numbers, kept.departments.get(key, {}), filters), _alone(kept.remote.get(key, {})),
            kept.computed_at)


def _alone(row: dict) -> dict:
    """The network's totals when one association is chosen: its own figures, 0 for what it counted none of."""
    return {**{f.key: 0 if f.unit in ("count", "hours", "euros") else None for f in figures_by_key().values()}, **row}
