"""Calendar week view at scale: 60 volunteers, 300 appointments in the week shown, 1 then 10 years of history.

The fragment htmx asks for (GET /a/<slug>/calendar?day=… with HX-Request) is requested through the
real route by a signed-in staff member of an association of 60 volunteers, on two databases built
alike: one with 1 year of history (≈300 appointments a week, one seat each), one with 10 years
(≈156,000 appointments); a second, smaller association has its own appointments in both. The number
of SQL statements must not change with the history, and the time should hardly grow (target: 10x
over 1x under 1.5). Requests alternate between the two databases, so that a busy machine slows
both alike rather than whichever would be measured second.

The databases are temporary SQLite files, or, when DATABASE_URL is set, scratch PostgreSQL databases
created on the same server for this run (ANALYZEd after loading) and dropped afterwards.
"""

import contextlib
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import partial

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import Engine

from bench.scratch import client_as, database, migrated_app
from intranet.auth.models import User
from intranet.auth.services import hash_password
from intranet.auth.sessions import signed_in_state
from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Appointment, Availability, Resource, Seat
from intranet.clock import to_utc
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.models import Module

MONDAY = date(2026, 11, 23)  # the week shown (fixed, so every run builds the same data)
SHOWN_DAY = MONDAY + timedelta(days=2)
TIMEZONE = "Europe/Paris"
WEEKS_1X, WEEKS_10X = 52, 520  # weeks of history before the week shown
WARMUPS, RUNS = 2, 15
BATCH = 10_000


@dataclass(frozen=True)
class Space:
    """One association of the bench: its size."""

    slug: str
    volunteers: int
    per_week: int  # appointments a week, Monday to Friday
    beneficiaries: int
    id_offset: int  # where its appointments sit in each week's block of ids


@dataclass
class Rows:
    """The ids an association's appointments draw from, in one database."""

    space: Space
    association_id: int
    volunteer_ids: tuple[int, ...]
    beneficiary_ids: tuple[int, ...]
    room_ids: tuple[int, ...]
    studio_id: int


@dataclass(frozen=True)
class ModuleInfo:
    id: int
    name: str
    duration_minutes: int
    mode: str
    resource_kind: str


MAIN = Space("bench-main", volunteers=60, per_week=300, beneficiaries=4000, id_offset=0)
OTHER = Space("bench-other", volunteers=12, per_week=60, beneficiaries=600, id_offset=MAIN.per_week)
BLOCK = MAIN.per_week + OTHER.per_week  # ids of one week's appointments (both associations), oldest week first


def run() -> dict:
    with (database("calendar_1x") as url_1x, database("calendar_10x") as url_10x,
          _target(url_1x, WEEKS_1X) as one_year, _target(url_10x, WEEKS_10X) as ten_years):
        queries_1x, queries_10x = _count_queries(one_year), _count_queries(ten_years)
        ms_1x, ms_10x = _median_ms(one_year, ten_years)
    if queries_1x != queries_10x:
        print(f"bench_calendar: {queries_1x} statements with 1 year of history, {queries_10x} with 10",
              file=sys.stderr)
    return {
        "calendar_week_queries_1x": queries_1x,
        "calendar_week_queries_10x": queries_10x,
        "calendar_week_ms_1x": ms_1x,
        "calendar_week_ms_10x": ms_10x,
        "calendar_week_growth_ratio": ms_10x / ms_1x,
    }


# --- database and app ------------------------------------------------------------------------


@dataclass
class Target:
    """An app on a loaded database, and a client signed in as staff of the main association."""

    app: Flask
    engine: Engine
    client: FlaskClient


@contextlib.contextmanager
def _target(url: str, weeks: int) -> Iterator[Target]:
    """The app on `url`, its schema built by the migrations, loaded with `weeks` weeks of history."""
    with migrated_app(url, partial(_load, weeks)) as (app, staff):
        with app.app_context():
            engine = db.engine
        yield Target(app, engine, client_as(app, staff))


def _load(weeks: int) -> dict:
    staff, spaces = _people()
    _load_weeks(range(0, weeks + 1), spaces)
    return staff


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# --- data ------------------------------------------------------------------------------------------


def _people() -> tuple[dict, list[Rows]]:
    """Both associations with their members, rooms and beneficiaries.

    Return the session of the main association’s staff member, signed in, and each association’s rows.
    """
    now = datetime.now(UTC)
    result = []
    for space in (MAIN, OTHER):
        association = Association(name=f"Tremplin {space.slug}", slug=space.slug, city="Nantes",
                                  department_code="44", timezone=TIMEZONE)
        db.session.add(association)
        db.session.flush()
        rooms = [Resource(association_id=association.id, name=f"Salle {n}", kind="room") for n in range(1, 7)]
        studio = Resource(association_id=association.id, name="Studio photo", kind="studio", capacity=1)
        db.session.add_all([*rooms, studio])
        db.session.flush()

        tag = space.slug.removeprefix("bench-")
        db.session.execute(insert(User), [
            {"email": f"benevole{n}.{tag}@bench.test", "name": f"Bénévole {n:02d} {tag.title()}",
             "password_hash": "", "locale": "fr", "active": True, "is_network_office": False, "created_at": now}
            for n in range(space.volunteers)])
        volunteer_ids = tuple(db.session.scalars(
            select(User.id).where(User.email.like(f"benevole%.{tag}@bench.test")).order_by(User.id)))
        db.session.execute(insert(Membership), [
            {"association_id": association.id, "user_id": uid, "role": "volunteer", "state": "active", "created_at": now,
             "accepted_at": now}
            for uid in volunteer_ids])
        db.session.execute(insert(Availability), [
            {"association_id": association.id, "user_id": uid, "weekday": weekday, "starts": clock_time(9, 0),
             "ends": clock_time(18, 0), "valid_from": date(2016, 1, 1), "valid_until": None}
            for uid in volunteer_ids for weekday in range(5)])

        rng = random.Random(space.slug)
        db.session.execute(insert(Beneficiary), [
            {"association_id": association.id, "first_name": rng.choice(FIRST_NAMES), "last_name": f"Nom{n:05d}",
             "email": f"personne{n}.{tag}@exemple.test", "phone": f"+336{n:08d}", "contact_channel": "email",
             "status": rng.choice(("new", "in_progress", "in_progress", "completed")), "active": True,
             "created_at": now, "updated_at": now}
            for n in range(space.beneficiaries)])
        beneficiary_ids = tuple(db.session.scalars(
            select(Beneficiary.id).where(Beneficiary.association_id == association.id).order_by(Beneficiary.id)))
        result.append(Rows(space, association.id, volunteer_ids, beneficiary_ids, tuple(r.id for r in rooms),
                           studio.id))

    staff = User(email="equipe.main@bench.test", name="Équipe Main", password_hash=hash_password("bench-password"))
    db.session.add(staff)
    db.session.flush()
    db.session.add(Membership(association_id=result[0].association_id, user_id=staff.id, role="staff"))
    db.session.commit()
    return signed_in_state(staff), result


def _load_weeks(weeks: range, spaces: list[Rows]) -> None:
    """Insert the appointments (one seat each) of these weeks before the week shown (0: the week shown)."""
    modules = [ModuleInfo(*row) for row in db.session.execute(
        select(Module.id, Module.name, Module.duration_minutes, Module.mode, Module.resource_kind)
        .where(Module.active.is_(True)).order_by(Module.id))]
    appointments: list[dict] = []
    seats: list[dict] = []
    for week in weeks:
        for rows in spaces:
            _week(rows, week, modules, appointments, seats)
        if len(appointments) >= BATCH:
            _flush(appointments, seats)
    _flush(appointments, seats)
    if _postgresql():
        for table in ("appointment", "seat"):  # ids were given: move the sequences past them
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
    db.session.commit()


def _flush(appointments: list[dict], seats: list[dict]) -> None:
    if appointments:
        db.session.execute(insert(Appointment.__table__), appointments)
        db.session.execute(insert(Seat.__table__), seats)
    appointments.clear()
    seats.clear()


def _week(rows: Rows, week: int, modules: list[ModuleInfo], appointments: list[dict], seats: list[dict]) -> None:
    """One week of an association's appointments, `week` weeks before the week shown.

    Ids grow with time (the oldest week has the smallest), as if they had been booked as time went by.
    """
    space = rows.space
    rng = random.Random(f"{space.slug}-{week}")
    first_id = (WEEKS_10X - week) * BLOCK + space.id_offset + 1
    monday = MONDAY - timedelta(weeks=week)
    per_day = space.per_week // 5
    for n in range(space.per_week):
        day = monday + timedelta(days=n // per_day)
        volunteer = rows.volunteer_ids[(n % per_day) % len(rows.volunteer_ids)]
        module = rng.choice(modules)
        starts_at = to_utc(day, clock_time(9, 0), TIMEZONE) + timedelta(minutes=30 * rng.randrange(17))
        if module.resource_kind == "studio":
            resource = rows.studio_id
        elif module.mode == "in_person":
            resource = rng.choice(rows.room_ids)
        else:
            resource = None
        if week == 0:
            status = "cancelled" if rng.random() < 0.03 else "planned"
        else:
            status = rng.choices(("done", "no_show", "excused", "cancelled"), (84, 6, 4, 6))[0]
        booked_at = starts_at - timedelta(days=rng.randrange(1, 30))
        appointment_id = first_id + n
        appointments.append({
            "id": appointment_id, "association_id": rows.association_id, "module_id": module.id,
            "name": module.name, "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=module.duration_minutes), "volunteer_id": volunteer,
            "resource_id": resource, "capacity": 1, "mode": module.mode,
            "call_details": "06 12 34 56 78" if module.mode == "phone" else "",
            "status": status, "cancel_reason": "empêchement" if status == "cancelled" else "",
            "outside_availability": False, "created_at": booked_at,
        })
        seats.append({
            "id": appointment_id, "association_id": rows.association_id, "appointment_id": appointment_id,
            "beneficiary_id": rng.choice(rows.beneficiary_ids), "journey_module_id": None,
            "status": "cancelled" if status == "cancelled" else "booked", "created_at": booked_at,
        })


FIRST_NAMES = ("Amina", "Bruno", "Chloé", "David", "Élodie", "Farid", "Gaëlle", "Hugo", "Inès", "Julien", "Karima",
               "Louis", "Maëlle", "Nadia", "Olivier", "Pauline", "Rachid", "Sophie", "Thierry", "Yasmine")


# --- measure ------------------------------------------------------------------------------------------


URL = f"/a/{MAIN.slug}/calendar?day={SHOWN_DAY.isoformat()}"
HEADERS = {"HX-Request": "true"}  # as htmx asks: only the calendar fragment comes back


def _count_queries(target: Target) -> int:
    """The SQL statements of one request for the week fragment (after the warm-up requests)."""
    for _ in range(WARMUPS):
        _check(target.client.get(URL, headers=HEADERS))
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(target.engine, "before_cursor_execute", record)
    try:
        _check(target.client.get(URL, headers=HEADERS))
    finally:
        event.remove(target.engine, "before_cursor_execute", record)
    if os.environ.get("BENCH_CALENDAR_SQL"):
        print("\n---\n".join(statements), file=sys.stderr)
    return len(statements)


def _median_ms(*targets: Target) -> list[float]:
    """Median time of the week fragment on each target, in ms.

    Requests alternate between the targets, so that whatever else the machine is doing weighs on
    both alike instead of on whichever is measured second.
    """
    samples: list[list[float]] = [[] for _ in targets]
    gc.collect()
    for _ in range(RUNS):
        for target, timings in zip(targets, samples, strict=True):
            started = time.perf_counter()
            response = target.client.get(URL, headers=HEADERS)
            timings.append(time.perf_counter() - started)
            _check(response)
    return [statistics.median(timings) * 1000 for timings in samples]


def _check(response) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 200, f"calendar answered {response.status_code}"
    assert "<html" not in html, "htmx asked for the fragment, the whole page came back"
    shown = html.count('class="cal-item')
    assert shown == MAIN.per_week, f"the fragment shows {shown} appointments, expected {MAIN.per_week}"
