"""The volunteer directory with 10 and 500 volunteers: SQL statements per page (the same at both sizes) and time.

Each size is built in a database of its own (a temporary SQLite file, or a scratch PostgreSQL database on
DATABASE_URL's server, see bench/scratch.py): one association whose volunteers each have a profile, two
qualifications (one ending within 30 days for every third), a weekly availability and a session a week
for the last year. The page is requested through its real route by a signed-in staff member, with its
default settings and with every filter and the "last session" sort at once; the statements of the slower
of the two are printed. Printed: volunteer_directory_queries_10, volunteer_directory_queries_500 (equal),
volunteer_directory_ms_10, volunteer_directory_ms_500 (median of RUNS requests).
"""

import sys
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import partial

from flask.testing import FlaskClient
from sqlalchemy import insert, select

from bench.scratch import client_as, database, median_ms, migrated_app, statements
from intranet.auth.models import User
from intranet.auth.sessions import signed_in_state
from intranet.calendar.models import Appointment, Availability
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.models import Module
from intranet.volunteers.models import Qualification, VolunteerProfile

SIZES = (10, 500)
WARMUPS, RUNS = 2, 7
PATHS = ("/a/bench/volunteers", "/a/bench/volunteers?sort=last_session&expiring=1&weekday=1&idle=1&status=all&q=bene")


def run() -> dict:
    figures = {}
    for size in SIZES:
        with database(f"volunteers_{size}") as url, migrated_app(url, partial(_load, size)) as (app, staff):
            client = client_as(app, staff)
            queries = max(_count(app, client, path) for path in PATHS)
            figures[f"volunteer_directory_queries_{size}"] = queries
            figures[f"volunteer_directory_ms_{size}"] = median_ms(partial(client.get, PATHS[0]), RUNS)
    if figures["volunteer_directory_queries_10"] != figures["volunteer_directory_queries_500"]:
        print("bench_volunteers: the directory's statements grow with the number of volunteers", file=sys.stderr)
    return {name: figures[name] for name in sorted(figures, key=lambda n: ("ms" in n, n))}


def _load(size: int) -> dict:
    """One association with `size` volunteers; return the signed-in state of its staff member."""
    now, today = datetime.now(UTC), date.today()
    association = Association(name="Tremplin Bench", slug="bench", city="Nantes", department_code="44")
    staff = User(email="staff@bench.test", name="Salariée Bench")
    db.session.add_all([association, staff])
    db.session.flush()
    db.session.add(Membership(association_id=association.id, user_id=staff.id, role="staff"))
    db.session.execute(insert(User), [
        {"email": f"benevole{n}@bench.test", "name": f"Bénévole {n:04d}", "password_hash": "", "locale": "fr",
         "active": True, "is_network_office": False, "created_at": now} for n in range(size)])
    users = list(db.session.scalars(select(User.id).where(User.email.like("benevole%")).order_by(User.id)))
    db.session.execute(insert(Membership), [
        {"association_id": association.id, "user_id": uid, "role": "volunteer", "state": "active", "created_at": now,
         "accepted_at": now} for uid in users])
    memberships = dict(db.session.execute(select(Membership.user_id, Membership.id).where(
        Membership.association_id == association.id, Membership.role == "volunteer")).all())
    db.session.execute(insert(VolunteerProfile), [
        {"association_id": association.id, "membership_id": memberships[uid], "user_id": uid, "phone": "",
         "skills": "Écoute, CV", "languages": "français", "background": "", "status": "active",
         "joined_on": today - timedelta(days=n), "staff_notes": "", "search_key": f"benevole {n:04d} ecoute cv",
         "created_at": now, "updated_at": now} for n, uid in enumerate(users)])
    profiles = dict(db.session.execute(select(VolunteerProfile.user_id, VolunteerProfile.id)).all())
    db.session.execute(insert(Qualification), [
        {"association_id": association.id, "profile_id": profiles[uid], "code": code, "obtained_on": date(2025, 1, 1),
         "valid_until": today + timedelta(days=20 if n % 3 == 0 and code == "coaching_rh" else 400),
         "source": "manual", "evidence": "", "withdrawn_reason": "", "created_at": now}
        for n, uid in enumerate(users) for code in ("coaching_rh", "coaching_image")])
    db.session.execute(insert(Availability), [
        {"association_id": association.id, "user_id": uid, "weekday": n % 5, "starts": clock_time(9, 0),
         "ends": clock_time(12, 0), "valid_from": date(2025, 1, 1), "valid_until": None}
        for n, uid in enumerate(users)])
    module = db.session.scalar(select(Module).where(Module.qualification == "coaching_rh"))
    db.session.execute(insert(Appointment), [
        {"association_id": association.id, "module_id": module.id, "name": module.name,
         "starts_at": now - timedelta(days=7 * week + n % 7), "ends_at": now - timedelta(days=7 * week + n % 7)
         + timedelta(hours=1), "volunteer_id": uid, "capacity": 1, "mode": "in_person", "call_details": "",
         "status": "done", "cancel_reason": "", "outside_availability": False, "created_at": now}
        for n, uid in enumerate(users) for week in range(1, 53)])
    db.session.commit()
    return signed_in_state(staff)


def _count(app, client: FlaskClient, path: str) -> int:
    for _ in range(WARMUPS):
        client.get(path)
    responses = []
    count = len(statements(app, lambda: responses.append(client.get(path))))
    assert responses[0].status_code == 200 and "Bénévole" in responses[0].get_data(as_text=True), path
    return count


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
