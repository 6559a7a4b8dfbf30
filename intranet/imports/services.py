"""Imports: upload, read, map, check (dry run), commit in one transaction, undo, error file, clean-up.

Services flush and never commit: the request, or the job (`intranet.imports.jobs`), commits.
"""

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from intranet import progress
from intranet.audit.models import AuditEntry
from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary, beneficiary_search_key
from intranet.calendar.models import Seat
from intranet.clock import today_in, utcnow
from intranet.extensions import db
from intranet.imports import reading, storage
from intranet.imports.bulk import insert_rows
from intranet.imports.cells import distinct_values
from intranet.imports.fields import beneficiary_fields, match_choice, session_fields, suggest, volunteer_fields
from intranet.imports.models import BatchStatus, ImportBatch, ImportKind, ImportMapping, ImportRecord
from intranet.imports.planner import FILE_FIELDS, Row, parse_rows, plan_beneficiaries
from intranet.imports.reading import FileProblem, Table, as_text
from intranet.imports.sessions import plan_sessions, write_sessions
from intranet.imports.volunteers import plan_volunteers, removable_account, trainings_of, write_volunteers
from intranet.imports.volunteers import undo_blockers as volunteer_blockers
from intranet.journeys.models import Journey, JourneyModule, ModuleStatus
from intranet.members import services as members
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.models import Program
from intranet.programs.services import local_modules
from intranet.rules import RuleError
from intranet.volunteers.models import Qualification, VolunteerProfile

KEEP_DAYS = 7
PROGRESS = "import"  # the kind of job, for intranet.progress
PARSE_CHUNK = 1000  # rows read with the mapping between two reports of the dry run's progress
ROWS_FORMAT = 2  # the version of the rows a dry run keeps beside the file (a new one makes them read again)
# A new file's columns before the row's own values ("" where the model's default is "").
NEW_FILE = {"first_name": "", "last_name": "", "email": "", "phone": "", "postcode": "", "commune": "",
            "referrer": "", "target_job": "", "interview_on": None, "notes": "", "gender": "", "birth_date": None,
            "status": "new"}
DISTINCT_SHOWN = 40
JOB = "intranet.imports.jobs.run"


class ImportError_(RuleError):
    """A step refused (wrong state, nothing to undo…)."""


@dataclass(frozen=True)
class ModuleInfo:
    id: int
    name: str
    position: int
    qualification: str
    resource_kind: str
    remote: bool
    duration_minutes: int
    mode: str


def modules_for(association_id: int) -> list[ModuleInfo]:
    remote = {p.id: p.remote for p in db.session.scalars(select(Program))}
    return [ModuleInfo(m.id, m.name, m.position, m.qualification, m.resource_kind, remote.get(m.program_id, False),
                       m.duration_minutes, m.mode) for m in local_modules(association_id)]


def fields_for(kind: str, association_id: int):
    if kind == ImportKind.VOLUNTEERS:
        return volunteer_fields(list(trainings_of(association_id).values()))
    modules = modules_for(association_id)
    if kind == ImportKind.SESSIONS:
        return session_fields([m for m in modules if m.remote] or modules)
    return beneficiary_fields(modules)


# --- jobs after commit ---------------------------------------------------------------------------

def schedule(batch: ImportBatch, status: str) -> None:
    """Move the batch to a running step; its job is queued once this transaction commits."""
    batch.status = status
    batch.error = ""
    db.session.flush()
    db.session.info.setdefault("imports_due", []).append(batch.id)


@event.listens_for(Session, "after_commit")
def _queue_due(session: Session) -> None:
    due = session.info.pop("imports_due", [])
    if due:
        from intranet import jobs

        for batch_id in due:
            jobs.enqueue(JOB, batch_id)


@event.listens_for(Session, "after_rollback")
def _forget_due(session: Session) -> None:
    session.info.pop("imports_due", None)


# --- upload and reading --------------------------------------------------------------------------

def too_large() -> str:
    return _("Le fichier dépasse 15 Mo : découpez-le ou enregistrez-le en CSV.")


def upload(association_id: int, user_id: int | None, kind: str, file_name: str, data: bytes) -> ImportBatch:
    """Check size and type before anything is parsed, keep the file under a generated name, queue its reading."""
    if len(data) > reading.MAX_BYTES:
        raise FileProblem(too_large())
    file_type = reading.file_type(data)
    if kind not in ImportKind.values():
        raise ImportError_("kind", _("Choisissez ce que contient le fichier."))
    batch = ImportBatch(association_id=association_id, kind=kind, file_name=(file_name or "fichier")[-255:],
                        checksum=hashlib.sha256(data).hexdigest(), size=len(data), file_type=file_type,
                        created_by_id=user_id, stored_name=storage.save(association_id, data))
    db.session.add(batch)
    schedule(batch, BatchStatus.READING)
    return batch


def read(batch: ImportBatch, chosen: dict | None = None) -> None:
    """Detect how to read the file, show its first rows, suggest the mapping (or the saved one)."""
    try:
        options, preview = reading.inspect(storage.path_of(batch), batch.file_type, chosen)
        table = reading.read_table(storage.path_of(batch), batch.file_type, options,
                                   progress=lambda done, total: progress.report(PROGRESS, batch.id, done, total))
    except FileProblem as problem:
        batch.status, batch.error = BatchStatus.FAILED, problem.message
        return
    except FileNotFoundError:
        batch.status, batch.error = BatchStatus.FAILED, _("Le fichier n’est plus disponible : déposez-le à nouveau.")
        return
    columns = [[row[i] if i < len(row) else None for _n, row in table.rows] for i in range(len(table.headers))]
    fields = fields_for(batch.kind, batch.association_id)
    suggestions = suggest(table.headers, columns, fields)
    preview.update(headers=table.headers, rows_count=len(table.rows), suggestions=suggestions,
                   distinct={h: distinct_values(c)[:DISTINCT_SHOWN] for h, c in zip(table.headers, columns,
                                                                                   strict=True)},
                   distinct_total={h: len(distinct_values(c)) for h, c in zip(table.headers, columns, strict=True)})
    saved = db.session.scalar(select(ImportMapping).where(ImportMapping.association_id == batch.association_id,
                                                          ImportMapping.kind == batch.kind))
    mapping = {"columns": {h: s["field"] for h, s in suggestions.items()}, "values": {}, "consent": ""}
    preview["saved"] = None
    if saved is not None:
        known = {h: f for h, f in saved.mapping.get("columns", {}).items() if h in table.headers}
        mapping = {"columns": {h: known.get(h, mapping["columns"][h]) for h in table.headers},
                   "values": saved.mapping.get("values", {}), "consent": saved.mapping.get("consent", "")}
        preview["saved"] = {"added": [h for h in table.headers if h not in saved.headers],
                            "missing": [h for h in saved.headers if h not in table.headers]}
    batch.options, batch.preview, batch.mapping = options, preview, mapping
    batch.status = BatchStatus.READ


def value_choices(batch: ImportBatch) -> dict:
    """For each list field mapped, its distinct values, their counts and the suggested choice of each."""
    fields = {f.key: f for f in fields_for(batch.kind, batch.association_id)}
    result = {}
    for header, key in batch.mapping.get("columns", {}).items():
        f = fields.get(key)
        if f is None or not f.is_list:
            continue
        saved = batch.mapping.get("values", {}).get(key, {})
        result[header] = {"field": f, "values": [(value, count, saved.get(value, match_choice(f, value)))
                                                 for value, count in batch.preview["distinct"].get(header, [])],
                          "more": batch.preview["distinct_total"].get(header, 0) - DISTINCT_SHOWN}
    return result


def save_mapping(batch: ImportBatch, columns: dict, values: dict, consent: str) -> None:
    """Keep the mapping on the batch and for the association, then queue the dry run."""
    if batch.status not in (BatchStatus.READ, BatchStatus.CHECKED, BatchStatus.FAILED):
        raise ImportError_(None, _("Cet import n’en est plus à cette étape."))
    fields = {f.key: f for f in fields_for(batch.kind, batch.association_id)}
    columns = {h: (k if k in fields else "") for h, k in columns.items() if h in batch.preview.get("headers", [])}
    used = [k for k in columns.values() if k]
    doubled = {k for k in used if used.count(k) > 1 and not k.startswith("module:")}
    if doubled:
        raise ImportError_(None, _("Un même champ est choisi pour deux colonnes : %(fields)s.",
                                   fields=", ".join(str(fields[k].label) for k in sorted(doubled))))
    names = {"full_name", "last_name"} & set(used)
    if not names:
        raise ImportError_(None, _("Choisissez la colonne du nom (ou du nom complet)."))
    if batch.kind == ImportKind.SESSIONS and not {"date", "module"} <= set(used):
        raise ImportError_(None, _("Choisissez les colonnes de la date et du module."))
    if batch.kind == ImportKind.VOLUNTEERS and "email" not in used:
        raise ImportError_(None, _("Choisissez la colonne de l’e-mail : chaque bénévole reçoit son accès à cette "
                                   "adresse."))
    batch.mapping = {"columns": columns, "values": values, "consent": consent}
    saved = db.session.scalar(select(ImportMapping).where(ImportMapping.association_id == batch.association_id,
                                                          ImportMapping.kind == batch.kind))
    if saved is None:
        saved = ImportMapping(association_id=batch.association_id, kind=batch.kind)
        db.session.add(saved)
    saved.headers, saved.mapping = list(batch.preview.get("headers", [])), dict(batch.mapping)
    batch.decisions = {}
    schedule(batch, BatchStatus.CHECKING)


def set_decisions(batch: ImportBatch, decisions: dict) -> None:
    """Merge, keep both or skip, per duplicate group; the dry run is made again."""
    if batch.status != BatchStatus.CHECKED:
        raise ImportError_(None, _("Cet import n’en est plus à cette étape."))
    batch.decisions = decisions
    schedule(batch, BatchStatus.CHECKING)


# --- dry run and commit --------------------------------------------------------------------------

def _parsed(batch: ImportBatch, today: date) -> tuple[list[Row], dict]:
    """Every row of the file read with the mapping, and where to find each row's cells as the file has them.

    The dry run keeps what it read beside the file (`storage.save_rows`): the commit, or a dry run made
    again after the duplicates' decisions, starts from it instead of reading the whole file again, as long
    as the file, how it is read, the mapping, the fields and the day are the same.
    """
    fields = fields_for(batch.kind, batch.association_id)
    key = hashlib.sha256(json.dumps([ROWS_FORMAT, batch.checksum, batch.options, batch.mapping.get("columns"),
                                     batch.mapping.get("values"), today.isoformat(), [f.key for f in fields]],
                                    sort_keys=True, default=str).encode()).hexdigest()
    kept = storage.load_rows(batch)
    if kept is not None and kept.get("key") == key:
        return [_row_from(r) for r in kept["rows"]], {"headers": kept["headers"], "key": key}
    table = reading.read_table(storage.path_of(batch), batch.file_type, batch.options)
    total = len(table.rows)
    rows: list[Row] = []
    for start in range(0, total, PARSE_CHUNK):  # each row is read on its own: in chunks, to report progress
        rows += parse_rows(Table(table.headers, table.rows[start:start + PARSE_CHUNK], table.epoch), fields,
                           batch.mapping, today)
        progress.report(PROGRESS, batch.id, len(rows), total)
    storage.save_rows(batch, json.dumps({"key": key, "headers": table.headers, "rows": [_row_to(r) for r in rows]},
                                        default=_to_json, separators=(",", ":")))
    return rows, {"headers": table.headers, "key": key, "table": table}


def _row_to(row: Row) -> list:
    return [row.n, row.data, list(row.modules.items()), list(row.qualifications.items()), row.errors, row.warnings]


def _row_from(kept: list) -> Row:
    n, data, modules, qualifications, errors, warnings = kept
    return Row(n, {k: _from_json(v) for k, v in data.items()}, modules={m: _from_json(d) for m, d in modules},
               qualifications={t: tuple(_from_json(v) for v in held) for t, held in qualifications},
               errors=errors, warnings=warnings)


def _to_json(value):
    """Dates and times of the rows kept beside the file, tagged so they read back as they were."""
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, time):
        return {"time": value.isoformat()}
    raise TypeError(f"cannot keep a {type(value).__name__}")


def _from_json(value):
    if isinstance(value, dict) and len(value) == 1:
        kind, text = next(iter(value.items()))
        reader = {"datetime": datetime.fromisoformat, "date": date.fromisoformat, "time": time.fromisoformat}.get(kind)
        if reader is not None:
            return reader(text)
    if isinstance(value, list):  # a cell holding several values (the trainings and dates of one column)
        return [_from_json(v) for v in value]
    return value


def _plan(batch: ImportBatch):
    association = db.session.get(Association, batch.association_id)
    today = today_in(association.timezone)
    rows, read = _parsed(batch, today)
    if batch.kind == ImportKind.SESSIONS:
        report = plan_sessions(rows, batch.association_id, association.timezone)
    elif batch.kind == ImportKind.VOLUNTEERS:
        report = plan_volunteers(rows, batch.association_id, batch.decisions or {}, today)
    else:
        report = plan_beneficiaries(rows, batch.association_id, batch.decisions or {}, batch.mapping.get("consent", ""))
    report["headers"], report["rows_key"] = read["headers"], read["key"]
    # The rows in error with their cells as the file has them: from the table just read, else from the last
    # dry run of the same rows (the file is read again only for a row that was not in error then).
    errors = [r for r in report["rows"] if r["status"] == "error"]
    cells = {}
    if batch.report.get("rows_key") == read["key"]:
        cells = {n: raw for n, raw, _reason in batch.report.get("error_rows", [])}
    if any(r["n"] not in cells for r in errors):
        table = read.get("table") or reading.read_table(storage.path_of(batch), batch.file_type, batch.options)
        cells = {n: [as_text(v) for v in raw] for n, raw in table.rows}
    report["error_rows"] = [[r["n"], cells[r["n"]], "; ".join(f"{c} : {m}" if c else m for c, m in r["errors"])]
                            for r in errors]
    return rows, report


def check(batch: ImportBatch) -> None:
    """The dry run: every row's status and messages, duplicate groups, counts; nothing is written."""
    try:
        _rows, report = _plan(batch)
    except FileProblem as problem:
        batch.status, batch.error = BatchStatus.FAILED, problem.message
        return
    except FileNotFoundError:
        batch.status, batch.error = BatchStatus.FAILED, _("Le fichier n’est plus disponible : déposez-le à nouveau.")
        return
    batch.report, batch.counts = report, report["counts"]
    batch.status = BatchStatus.CHECKED


def start_commit(batch: ImportBatch) -> None:
    if batch.status != BatchStatus.CHECKED:
        raise ImportError_(None, _("Vérifiez le fichier avant de l’importer."))
    schedule(batch, BatchStatus.COMMITTING)


def commit(batch: ImportBatch, *, fail_at: int | None = None) -> None:
    """Write every valid row in this one transaction (the job commits it, or nothing at all).

    Rows are inserted in bulk (a statement per kind of row, not per row). `fail_at` makes the write fail
    at that row number (tests of the all-or-nothing guarantee).
    """
    progress.report(PROGRESS, batch.id, 0, 0)
    rows, report = _plan(batch)
    # The batch row is written first, so this transaction holds the database's write lock from now on.
    db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id).values(error=""))
    notes: list[dict] = []

    def note(obj, *, created: bool, before: dict | None = None, object_type: str = "", object_id: int = 0,
             stamp=None) -> None:
        notes.append({"association_id": batch.association_id, "batch_id": batch.id,
                      "object_type": object_type or type(obj).__name__, "object_id": object_id or obj.id,
                      "created": created, "before": before or {}, "stamp": stamp})

    total = len(rows)
    if batch.kind == ImportKind.SESSIONS:
        if fail_at is not None and any(r.n == fail_at for r in rows):
            raise RuntimeError(f"failure asked at row {fail_at}")
        write_sessions(rows, batch.association_id, {m.id: m for m in modules_for(batch.association_id)}, note,
                       report=lambda done, total: progress.report(PROGRESS, batch.id, done, total))
    elif batch.kind == ImportKind.VOLUNTEERS:
        write_volunteers(batch, rows, note)
        if fail_at is not None and any(r.n == fail_at for r in rows):
            raise RuntimeError(f"failure asked at row {fail_at}")
    else:
        _write_beneficiaries(batch, rows, note, fail_at, total)
    if notes:
        _insert_many(ImportRecord, notes, keep_order=False)
    report["counts"]["written"] = len(notes)
    batch.report, batch.counts = report, report["counts"]
    batch.status, batch.committed_at = BatchStatus.COMMITTED, utcnow()
    storage.delete(batch)
    db.session.flush()


def _write_beneficiaries(batch: ImportBatch, rows, note, fail_at, total: int) -> None:
    """Create and update the files (and their journeys), noting each with its updated_at, for undo."""
    association_id = batch.association_id
    consent = batch.mapping.get("consent", "")
    modules = {m.id: m for m in modules_for(association_id)}
    now = utcnow()
    new_files, new_rows, updated = [], [], []
    targets = [r.match for r in rows if r.status == "update"]
    existing = {}
    for start in range(0, len(targets), 500):
        existing.update({b.id: b for b in db.session.scalars(
            select(Beneficiary).where(Beneficiary.id.in_(targets[start:start + 500])))})
    for row in rows:
        if fail_at is not None and row.n == fail_at:
            raise RuntimeError(f"failure asked at row {fail_at}")
        values = {k: v for k, v in row.data.items() if k in FILE_FIELDS and v is not None}
        if row.status == "create":
            data = {**NEW_FILE, **{k: v for k, v in values.items() if v != ""}}
            data.update(association_id=association_id, search_key=beneficiary_search_key(data), created_at=now,
                        updated_at=now, consent_scope=consent, consent_at=now if consent else None)
            new_files.append(data)
            new_rows.append(row)
        elif row.status == "update":
            beneficiary = existing[row.match]
            changed = {k: v for k, v in values.items() if k in row.changes}
            before = {k: _json(getattr(beneficiary, k)) for k in changed}
            for key, value in changed.items():
                setattr(beneficiary, key, value)
            if changed and consent and not beneficiary.consent_scope:
                beneficiary.consent_scope, beneficiary.consent_at = consent, now
            updated.append((beneficiary, row, before))
    db.session.flush()  # the changed files get their new updated_at, which undo compares with
    ids = _insert_many(Beneficiary, new_files,
                       report=lambda done: progress.report(PROGRESS, batch.id, done, len(new_files)))
    audits = []
    for b_id, row in zip(ids, new_rows, strict=True):
        note(None, created=True, object_type="Beneficiary", object_id=b_id, stamp=now)
        audits.append({"association_id": association_id, "object_type": "Beneficiary", "object_id": b_id,
                       "action": "create", "fields": sorted(row.data), "user_id": batch.created_by_id, "at": now})
    for beneficiary, _row, before in updated:
        if before:
            note(beneficiary, created=False, before=before, stamp=beneficiary.updated_at)
            audits.append({"association_id": association_id, "object_type": "Beneficiary",
                           "object_id": beneficiary.id, "action": "update", "fields": sorted(before),
                           "user_id": batch.created_by_id, "at": now})
    if audits:
        _insert_many(AuditEntry, audits, keep_order=False)
    people = list(zip(ids, new_rows, strict=True)) + [(b.id, r) for b, r, _before in updated]
    _write_modules(association_id, people, modules, note, new=set(ids))


def _insert_many(model, rows: list[dict], keep_order: bool = True, report=None) -> list[int]:
    """Insert rows in bulk and return their ids, in the order of `rows` (none when `keep_order` is False)."""
    return insert_rows(model, rows, ids=keep_order, progress=report)


def _write_modules(association_id: int, people, modules: dict, note, new: set[int] = frozenset()) -> None:
    """Module dates become journey modules done: in the person's open journey, or a new one (written in bulk).

    `new` are the people just created, who have no journey yet.
    """
    wanted = [(b_id, r) for b_id, r in people if r.modules]
    if not wanted:
        return
    journeys: dict[int, Journey] = {}
    ids = [b_id for b_id, _r in wanted if b_id not in new]
    for start in range(0, len(ids), 500):
        for journey in db.session.scalars(select(Journey).options(selectinload(Journey.modules)).where(
                Journey.beneficiary_id.in_(ids[start:start + 500]), Journey.exited_on.is_(None))):
            journeys.setdefault(journey.beneficiary_id, journey)
    new_journeys = [{"association_id": association_id, "beneficiary_id": b_id, "started_on": min(r.modules.values()),
                     "created_at": utcnow()} for b_id, r in wanted if b_id not in journeys]
    journey_ids = {}
    if new_journeys:
        for data, journey_id in zip(new_journeys, _insert_many(Journey, new_journeys), strict=True):
            journey_ids[data["beneficiary_id"]] = journey_id
            note(None, created=True, object_type="Journey", object_id=journey_id)
    new_items = []
    for b_id, row in wanted:
        journey = journeys.get(b_id)
        present = {m.module_id: m for m in journey.modules} if journey else {}
        for module_id, day in sorted(row.modules.items(), key=lambda kv: kv[1]):
            if module_id not in modules:
                continue
            item = present.get(module_id)
            if item is not None and item.status == ModuleStatus.DONE:
                continue
            if item is None:
                new_items.append({"association_id": association_id, "journey_id": journey.id if journey else
                                  journey_ids[b_id], "module_id": module_id, "name": modules[module_id].name,
                                  "position": modules[module_id].position, "status": ModuleStatus.DONE,
                                  "happened_on": day, "notes": ""})
            else:
                note(item, created=False, before={"status": item.status, "happened_on": _json(item.happened_on)})
                item.status, item.happened_on = ModuleStatus.DONE, day
    if new_items:
        new_journey_ids = set(journey_ids.values())
        for data, item_id in zip(new_items, _insert_many(JourneyModule, new_items), strict=True):
            if data["journey_id"] not in new_journey_ids:  # a new journey's modules go with it on undo
                note(None, created=True, object_type="JourneyModule", object_id=item_id)
    db.session.flush()


def _json(value):
    return value.isoformat() if isinstance(value, date) else value


# --- undo ----------------------------------------------------------------------------------------

def undo_blockers(batch: ImportBatch) -> list[str]:
    """Why the batch can no longer be undone: the files it created or changed that were changed since."""
    if batch.status != BatchStatus.COMMITTED:
        return [_("Seul un import terminé peut être annulé.")]
    records = list(db.session.scalars(select(ImportRecord).where(ImportRecord.batch_id == batch.id)))
    files = {r.object_id: r for r in records if r.object_type == "Beneficiary"}
    problems = []
    if files:
        for b_id, first, last, updated_at in db.session.execute(
                select(Beneficiary.id, Beneficiary.first_name, Beneficiary.last_name, Beneficiary.updated_at)
                .where(Beneficiary.id.in_(files))):
            stamp = files[b_id].stamp
            if stamp is not None and updated_at != stamp:
                problems.append(_("la fiche de %(name)s a été modifiée depuis l’import", name=f"{first} {last}"))
        created_files = [i for i, r in files.items() if r.created]
        ours = {r.object_id for r in records if r.object_type == "Seat"}
        if created_files:
            seats = db.session.scalars(select(Seat.id).where(Seat.beneficiary_id.in_(created_files)))
            if any(s not in ours for s in seats):
                problems.append(_("des séances ont été réservées depuis pour des personnes importées"))
            journeys = {r.object_id for r in records if r.object_type == "Journey"}
            others = db.session.scalar(select(func.count(Journey.id)).where(
                Journey.beneficiary_id.in_(created_files), Journey.id.not_in(journeys or {0})))
            if others:
                problems.append(_("des parcours ont été ouverts depuis pour des personnes importées"))
    problems += _session_blockers(batch, records)
    problems += volunteer_blockers(records)
    return problems[:20]


def _session_blockers(batch: ImportBatch, records: list[ImportRecord]) -> list[str]:
    """Modules of the batch's journeys changed since (logged, moved, another status), its sessions moved or logged."""
    from intranet.calendar.models import Appointment, AppointmentEvent
    from intranet.volunteers.models import SessionLog

    problems = []
    journeys = [r.object_id for r in records if r.object_type == "Journey" and r.created]
    modules = [r.object_id for r in records if r.object_type == "JourneyModule"]
    if (journeys or modules) and batch.committed_at is not None:
        changed = db.session.execute(
            select(JourneyModule.name, Beneficiary.first_name, Beneficiary.last_name)
            .join(Journey, Journey.id == JourneyModule.journey_id)
            .join(Beneficiary, Beneficiary.id == Journey.beneficiary_id)
            .where(JourneyModule.association_id == batch.association_id,
                   or_(JourneyModule.journey_id.in_(journeys or [0]), JourneyModule.id.in_(modules or [0])),
                   JourneyModule.updated_at > batch.committed_at)
            .order_by(Beneficiary.last_name, JourneyModule.position).limit(10)).all()
        for name, first, last in changed:
            problems.append(_("le module « %(module)s » du parcours de %(name)s a changé depuis l’import (séance "
                              "notée, déplacée ou autre statut)", module=name, name=f"{first} {last}"))
    appointments = [r.object_id for r in records if r.object_type == "Appointment" and r.created]
    if appointments:
        touched = set(db.session.scalars(select(AppointmentEvent.appointment_id).where(
            AppointmentEvent.appointment_id.in_(appointments))))
        touched |= set(db.session.scalars(select(SessionLog.appointment_id).where(
            SessionLog.appointment_id.in_(appointments))))
        for starts_at, name in db.session.execute(
                select(Appointment.starts_at, Appointment.name).where(Appointment.id.in_(touched or [0]))
                .order_by(Appointment.starts_at).limit(10)):
            problems.append(_("la séance « %(module)s » du %(day)s a été notée, déplacée ou annulée depuis l’import",
                              module=name, day=starts_at.strftime("%d/%m/%Y")))
    return problems


def undo(batch: ImportBatch) -> None:
    """Remove what the batch created and put back what it changed, if nothing of it was changed since."""
    problems = undo_blockers(batch)
    if problems:
        raise ImportError_(None, _("Cet import ne peut plus être annulé : %(why)s.", why="; ".join(problems)))
    from intranet.calendar.models import Appointment

    records = list(db.session.scalars(select(ImportRecord).where(ImportRecord.batch_id == batch.id)
                                      .order_by(ImportRecord.id.desc())))
    models = {"Beneficiary": Beneficiary, "Journey": Journey, "JourneyModule": JourneyModule,
              "Appointment": Appointment, "Seat": Seat, "Qualification": Qualification,
              "VolunteerProfile": VolunteerProfile, "Membership": Membership, "User": User}
    order = ("Seat", "Appointment", "JourneyModule", "Journey", "Beneficiary", "Qualification", "VolunteerProfile",
             "Membership", "User")
    for kind in order:
        for record in (r for r in records if r.object_type == kind):
            obj = db.session.get(models[kind], record.object_id)
            if obj is None:
                continue
            if kind == "User" and not removable_account(obj):
                continue  # someone else invited the person since, or the account was used: it stays
            if record.created:
                if kind == "Journey":
                    obj.modules.clear()
                    db.session.flush()
                db.session.delete(obj)
            else:
                for key, value in record.before.items():
                    column = getattr(type(obj), key).type.python_type
                    setattr(obj, key, date.fromisoformat(value) if value and column is date else value)
        db.session.flush()
    for record in records:
        db.session.delete(record)
    batch.status, batch.undone_at = BatchStatus.UNDONE, utcnow()
    db.session.flush()


def uninvited(batch: ImportBatch) -> list[Membership]:
    """The members-to-be a committed volunteers import added, still waiting for their first invitation."""
    ids = select(ImportRecord.object_id).where(ImportRecord.batch_id == batch.id,
                                               ImportRecord.object_type == "Membership", ImportRecord.created.is_(True))
    found = db.session.scalars(select(Membership).where(Membership.association_id == batch.association_id,
                                                        Membership.id.in_(ids)).order_by(Membership.invited_name))
    return [m for m in found if m.never_invited]


def invite_imported(batch: ImportBatch, by: User | None) -> int:
    """Send their invitation to the volunteers the batch added (the import itself sent none); how many."""
    if batch.status != BatchStatus.COMMITTED or batch.kind != ImportKind.VOLUNTEERS:
        raise ImportError_(None, _("Seul un import de bénévoles terminé envoie des invitations."))
    waiting = uninvited(batch)
    for membership in waiting:
        members.resend_invitation(membership, by)
    return len(waiting)


def cancel(batch: ImportBatch) -> None:
    if batch.status not in (BatchStatus.READ, BatchStatus.CHECKED, BatchStatus.FAILED):
        raise ImportError_(None, _("Cet import ne peut plus être abandonné."))
    batch.status = BatchStatus.CANCELLED
    storage.delete(batch)
    db.session.flush()


def purge(now: datetime) -> int:
    """Delete uploaded files older than seven days; an import left open is abandoned."""
    old = list(db.session.scalars(select(ImportBatch).where(ImportBatch.stored_name != "",
                                                            ImportBatch.created_at < now - timedelta(days=KEEP_DAYS))))
    for batch in old:
        if batch.status in (BatchStatus.READ, BatchStatus.CHECKED, BatchStatus.FAILED, BatchStatus.READING,
                            BatchStatus.CHECKING):
            batch.status = BatchStatus.CANCELLED
        storage.delete(batch)
    db.session.flush()
    return len(old)


# --- error file ----------------------------------------------------------------------------------

def error_file(batch: ImportBatch, fmt: str) -> bytes:
    """The rows in error with the file's own columns, the row number and a "motif" column."""
    headers = [_("ligne"), *batch.report.get("headers", []), _("motif")]
    rows = [[n, *cells, reason] for n, cells, reason in batch.report.get("error_rows", [])]
    if fmt == "xlsx":
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Erreurs"))
        sheet.append(headers)
        for row in rows:
            sheet.append([_safe(v) for v in row])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(headers)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_beneficiaries(association_id: int, fmt: str) -> bytes:
    """The association's files in the columns of its last beneficiaries import (or the fields' names).

    Each column is written as the spreadsheet had it: list values with the spelling the file used,
    dates as dd/mm/yyyy, phones in national format, module columns with the date the module was done.
    """
    from intranet.phones import format_phone

    fields = {f.key: f for f in fields_for(ImportKind.BENEFICIARIES, association_id)}
    saved = db.session.scalar(select(ImportMapping).where(ImportMapping.association_id == association_id,
                                                          ImportMapping.kind == ImportKind.BENEFICIARIES))
    if saved is not None and any(saved.mapping.get("columns", {}).values()):
        columns = [(h, saved.mapping["columns"].get(h, "")) for h in saved.headers]
        spelling = {key: {choice: value for value, choice in reversed(list(values.items())) if choice}
                    for key, values in saved.mapping.get("values", {}).items()}
    else:
        columns = [(str(f.label), f.key) for f in fields.values() if f.key != "full_name"]
        spelling = {}
    done: dict[int, dict[int, date]] = {}
    for b_id, module_id, day in db.session.execute(
            select(Journey.beneficiary_id, JourneyModule.module_id, JourneyModule.happened_on)
            .join(Journey, Journey.id == JourneyModule.journey_id)
            .where(JourneyModule.association_id == association_id, JourneyModule.status == ModuleStatus.DONE)):
        done.setdefault(b_id, {})[module_id] = day

    def cell(b: Beneficiary, key: str):
        if key == "full_name":
            return f"{b.last_name.upper()} {b.first_name}"
        if key.startswith("module:"):
            day = done.get(b.id, {}).get(int(key.split(":")[1]))
            return day.strftime("%d/%m/%Y") if day else ""
        if key not in fields:
            return ""
        value = getattr(b, key)
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        if key == "phone":
            return format_phone(value)
        if fields[key].is_list and value:
            return spelling.get(key, {}).get(value) or str(dict(fields[key].choices).get(value, value))
        return value or ""

    headers = [h for h, _key in columns]
    files = db.session.scalars(select(Beneficiary).where(Beneficiary.association_id == association_id)
                               .order_by(Beneficiary.last_name, Beneficiary.first_name, Beneficiary.id))
    rows = ([_safe(cell(b, key)) for _h, key in columns] for b in files)
    if fmt == "xlsx":
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Bénéficiaires"))
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _safe(value):
    """A cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not value[1:2].isdigit():
        return "'" + value
    return value


def origins(*, association_id: int, beneficiary_id: int, journey_ids=()) -> dict:
    """Which committed import created a file and its journeys: {("Beneficiary", id): batch, ("Journey", id): batch}."""
    keys = [("Beneficiary", beneficiary_id)] + [("Journey", j) for j in journey_ids]
    rows = db.session.execute(
        select(ImportRecord.object_type, ImportRecord.object_id, ImportBatch)
        .join(ImportBatch, ImportBatch.id == ImportRecord.batch_id)
        .where(ImportRecord.association_id == association_id, ImportRecord.created.is_(True),
               ImportRecord.object_type.in_(("Beneficiary", "Journey")),
               ImportRecord.object_id.in_([k[1] for k in keys])))
    wanted = set(keys)
    return {(kind, object_id): batch for kind, object_id, batch in rows if (kind, object_id) in wanted}


def batches(association_id: int):
    return select(ImportBatch).where(ImportBatch.association_id == association_id).order_by(
        ImportBatch.created_at.desc(), ImportBatch.id.desc())
