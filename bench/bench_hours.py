"""The hours report at 1x and 10x the volunteering data: its time grows far less than the data (aggregate SQL).

Each size is built in a database of its own (bench/scratch.py): one association with VOLUNTEERS volunteers
(the report's rows, the same at both sizes) who each gave SESSIONS[size] done sessions this year (half of
them logged with an actual duration), attended two completed trainings and noted a tenth as many other
activities. The report (`/a/bench/volunteers/hours`, this year) is requested by a signed-in staff member.
Printed: hours_report_queries_1x, hours_report_queries_10x (equal), hours_report_ms_1x, hours_report_ms_10x
(medians) and hours_report_growth_ratio (10x over 1x; the target is under 2).
"""

from datetime import UTC, datetime, timedelta
from functools import partial

from flask.testing import FlaskClient
from sqlalchemy import insert, select

from bench.scratch import client_as, database, median_ms, migrated_app, statements
from intranet.auth.models import User
from intranet.auth.sessions import signed_in_state
from intranet.calendar.models import Appointment
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.models import Module
from intranet.volunteers.models import (
    SessionLog,
    Training,
    TrainingEnrolment,
    TrainingSession,
    VolunteerActivity,
    VolunteerProfile,
)

VOLUNTEERS = 100
SESSIONS = {"1x": 20, "10x": 200}  # done sessions per volunteer this year
WARMUPS, RUNS = 2, 9
PATH = "/a/bench/volunteers/hours"


def run() -> dict:
    figures = {}
    for size, sessions in SESSIONS.items():
        with database(f"hours_{size}") as url, migrated_app(url, partial(_load, sessions)) as (app, staff):
            client = client_as(app, staff)
            figures[f"hours_report_queries_{size}"] = _count(app, client)
            figures[f"hours_report_ms_{size}"] = median_ms(partial(client.get, PATH), RUNS)
    figures["hours_report_growth_ratio"] = figures["hours_report_ms_10x"] / figures["hours_report_ms_1x"]
    return figures


def _load(sessions: int) -> dict:
    now = datetime.now(UTC)
    year_start = datetime(now.year, 1, 1, 8, tzinfo=UTC)
    span = max(1, (now - year_start).days)
    association = Association(name="Tremplin Bench", slug="bench", city="Nantes", department_code="44")
    staff = User(email="staff@bench.test", name="Salariée Bench")
    db.session.add_all([association, staff])
    db.session.flush()
    db.session.add(Membership(association_id=association.id, user_id=staff.id, role="staff"))
    db.session.execute(insert(User), [
        {"email": f"benevole{n}@bench.test", "name": f"Bénévole {n:04d}", "password_hash": "", "locale": "fr",
         "active": True, "is_network_office": False, "created_at": now} for n in range(VOLUNTEERS)])
    users = list(db.session.scalars(select(User.id).where(User.email.like("benevole%")).order_by(User.id)))
    db.session.execute(insert(Membership), [
        {"association_id": association.id, "user_id": uid, "role": "volunteer", "state": "active", "created_at": now,
         "accepted_at": now} for uid in users])
    memberships = dict(db.session.execute(select(Membership.user_id, Membership.id)).all())
    db.session.execute(insert(VolunteerProfile), [
        {"association_id": association.id, "membership_id": memberships[uid], "user_id": uid, "phone": "",
         "skills": "", "languages": "", "background": "", "status": "active", "staff_notes": "", "search_key": "",
         "created_at": now, "updated_at": now} for uid in users])
    profiles = dict(db.session.execute(select(VolunteerProfile.user_id, VolunteerProfile.id)).all())
    module = db.session.scalar(select(Module).order_by(Module.id))
    for uid in users:
        rows = []
        for k in range(sessions):
            starts = year_start + timedelta(days=(k * span) // sessions, hours=k % 8)
            rows.append({"association_id": association.id, "module_id": module.id, "name": module.name,
                         "starts_at": starts, "ends_at": starts + timedelta(hours=1), "volunteer_id": uid,
                         "capacity": 1, "mode": "in_person", "call_details": "", "status": "done",
                         "cancel_reason": "", "outside_availability": False, "created_at": now})
        db.session.execute(insert(Appointment), rows)
    done = db.session.execute(select(Appointment.id, Appointment.volunteer_id)).all()
    db.session.execute(insert(SessionLog), [
        {"association_id": association.id, "appointment_id": aid, "volunteer_id": uid, "outcome": "done",
         "minutes": 75, "notes": "", "logged_at": now, "updated_at": now} for aid, uid in done[::2]])
    training = db.session.scalar(select(Training).order_by(Training.id))
    for k in range(2):
        starts = year_start + timedelta(days=30 * (k + 1))
        session = TrainingSession(association_id=association.id, training_id=training.id, starts_at=starts,
                                  ends_at=starts + timedelta(hours=3), status="completed", capacity=VOLUNTEERS)
        db.session.add(session)
        db.session.flush()
        db.session.execute(insert(TrainingEnrolment), [
            {"association_id": association.id, "training_session_id": session.id, "profile_id": profiles[uid],
             "status": "enrolled", "attendance": "present", "enrolled_at": now} for uid in users])
    db.session.execute(insert(VolunteerActivity), [
        {"association_id": association.id, "profile_id": profiles[uid],
         "done_on": (year_start + timedelta(days=(k * span) // max(1, sessions // 10))).date(), "minutes": 120,
         "category": "clothes", "note": "", "created_at": now}
        for uid in users for k in range(max(1, sessions // 10))])
    db.session.commit()
    return signed_in_state(staff)


def _count(app, client: FlaskClient) -> int:
    for _ in range(WARMUPS):
        client.get(PATH)
    responses = []
    count = len(statements(app, lambda: responses.append(client.get(PATH))))
    assert responses[0].status_code == 200 and "Bénévole 0000" in responses[0].get_data(as_text=True)
    return count


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
