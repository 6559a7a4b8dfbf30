"""The ESF+ report's files, written by export jobs (`exports.sources.REPORTS`): the participants (CSV, or a workbook
with the indicators beside them) and the indicators alone. Their settings carry the period's dates and the
participant rule as they were asked for, so the file says what the page said, whenever the job runs."""

from collections.abc import Callable, Iterable, Iterator
from datetime import date

from flask_babel import gettext as _

from intranet.exports.files import Table
from intranet.exports.sources import Report, export_report
from intranet.reporting import esf
from intranet.reporting.periods import Filters, Period


def settings(filters: Filters, chosen: esf.Rule) -> dict:
    """What a job needs to write the file the page offered (JSON)."""
    return {"period": filters.period.kind, "start": filters.period.start.isoformat(),
            "end": filters.period.end.isoformat(), "association": list(filters.associations),
            "program": filters.program, "rule": [chosen.remote_min_days, chosen.in_person_min_days,
                                                 chosen.collective_only_counts]}


def _read(settings: dict) -> tuple[Filters, esf.Rule]:
    period = Period(settings["period"], date.fromisoformat(settings["start"]), date.fromisoformat(settings["end"]))
    return Filters(period, tuple(settings["association"]), settings["program"]), esf.Rule(*settings["rule"])


def filename(what: str, filters: Filters) -> str:
    return f"fse-{what}-{filters.period.start.isoformat()}-{filters.period.end.isoformat()}"


def _notes(filters: Filters, chosen: esf.Rule) -> tuple[str, ...]:
    return (_("Période : du %(start)s au %(end)s (personnes entrées dans la période).",
              start=f"{filters.period.start:%d/%m/%Y}", end=f"{filters.period.end:%d/%m/%Y}"), chosen.text)


def _count(settings: dict) -> int:
    return esf.count(*_read(settings))


def _seen(rows: Iterable, seen: Callable[[], None]) -> Iterator:
    for row in rows:
        yield row
        seen()


def _participants(settings: dict, seen: Callable[[], None]) -> list[Table]:
    """One row per participant and operation; the workbook adds the indicators, tallied as the rows go by."""
    filters, chosen = _read(settings)
    notes, tally = _notes(filters, chosen), esf.Tally()
    rows = tally.through(_seen(esf.iter_participants(filters, chosen), seen))
    return [esf.participant_table(rows, notes), esf.indicator_table(tally.rows, notes)]


def _indicators(settings: dict, seen: Callable[[], None]) -> list[Table]:
    filters, chosen = _read(settings)
    tally = esf.Tally()
    for participant in _seen(esf.iter_participants(filters, chosen), seen):
        tally.add(participant)
    return [esf.indicator_table(tally.rows, _notes(filters, chosen))]


PARTICIPANTS = export_report(Report("esf_participants", "participant·es FSE+", _count, _participants))
INDICATORS = export_report(Report("esf_indicators", "indicateurs FSE+", _count, _indicators))
