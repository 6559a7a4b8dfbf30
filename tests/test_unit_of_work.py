"""One unit of work: services flush, the caller commits once, a failed request writes nothing and sends nothing;
the calendar announces its changes and knows no feature; features plug their tick steps and demo data in."""

import ast
import importlib
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Blueprint, get_flashed_messages, render_template_string
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField

from config import TestConfig
from intranet import create_app, demo, jobs
from intranet.calendar import booking, signals
from intranet.calendar.models import Appointment, Resource, Seat
from intranet.extensions import db as _db
from intranet.forms import show_rule_error
from intranet.journeys.models import JourneyModule
from intranet.notifications import services as mail
from intranet.notifications.models import OutboxMessage
from intranet.rules import RuleError
from intranet.selfbooking import services as selfbooking
from tests.factories import (
    free_slot,
    make_association,
    make_beneficiary,
    make_booking_link,
    make_journey,
    make_volunteer,
)

ROOT = Path(__file__).resolve().parent.parent
INTRANET = ROOT / "intranet"
# The modules that hold rules and writes: they flush, the caller commits.
RULE_MODULES = sorted({*INTRANET.glob("**/services.py"), INTRANET / "calendar" / "booking.py",
                       INTRANET / "calendar" / "availability.py", INTRANET / "calendar" / "slots.py",
                       INTRANET / "beneficiaries" / "rules.py", INTRANET / "selfbooking" / "services.py"})


def _calls(path: Path, names: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(ROOT)}:{node.lineno} {node.func.attr}()" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names]


def test_no_service_commits_or_rolls_back():
    assert len(RULE_MODULES) >= 12
    found = [call for path in RULE_MODULES for call in _calls(path, {"commit", "rollback"})]
    assert found == []


def _imports(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_auth_imports_nothing_of_the_members_which_build_on_it():
    # Type hints only (under `if TYPE_CHECKING`) name the membership: nothing of members is loaded by auth.
    def runtime_imports(path: Path) -> set[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hinted = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                  and getattr(node.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(node)}
        return {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module and id(node) not in hinted}

    files = sorted((INTRANET / "auth").glob("*.py"))
    assert any(f.name == "views.py" for f in files)
    wrong = {f"{path.name}: {module}" for path in files for module in runtime_imports(path)
             if module.startswith("intranet.members")}
    assert wrong == set()


def test_the_calendar_imports_neither_notifications_nor_self_booking():
    files = sorted((INTRANET / "calendar").glob("*.py"))
    assert any(f.name == "booking.py" for f in files)
    wrong = {f"{path.name}: {module}" for path in files for module in _imports(path)
             if module.startswith(("intranet.notifications", "intranet.selfbooking"))}
    assert wrong == set()


# --- a request is one unit of work ---------------------------------------------------------------


class _NameForm(FlaskForm):
    name = StringField()


def _write_a_resource(association_id: int, name: str) -> None:
    """A service's first step: a row written and flushed before the rule that refuses it."""
    _db.session.add(Resource(association_id=association_id, name=name))
    _db.session.flush()


@pytest.fixture
def probe(app, mail_sink):
    """An app of its own (same database) with routes that write, then succeed or fail in each way."""

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        REDIS_URL = ""
        MAIL_SERVER, MAIL_PORT = "127.0.0.1", mail_sink.port  # mail is handed out after a commit
        WTF_CSRF_ENABLED = False
        BASE_URL = "http://localhost"

    probe_app = create_app(Settings)
    bp = Blueprint("probe", __name__)

    @bp.post("/probe/<int:association_id>/<outcome>")
    def write(association_id: int, outcome: str):
        form = _NameForm()
        _write_a_resource(association_id, outcome)
        mail.queue_mail(to="quelquun@exemple.test", template="password_reset", kind="password_reset",
                        key=f"probe-{outcome}", user={"name": "Yasmine"}, link="http://localhost/reset/x")
        if outcome == "refused":  # caught and shown next to its field, answered 200 like a form page
            try:
                raise RuleError("name", "Ce nom est refusé.")
            except RuleError as error:
                show_rule_error(form, error)
            return render_template_string("{{ form.name.errors|join }}", form=form)
        if outcome == "unprocessable":
            return "", 422
        if outcome == "broken":
            raise RuntimeError("a bug after the write")
        return "", 204

    probe_app.register_blueprint(bp)
    return probe_app


def _handed_out(monkeypatch) -> list[int]:
    handed: list[int] = []
    monkeypatch.setattr(mail, "enqueue_batches", handed.extend)
    return handed


def _resources(name: str) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(Resource).where(Resource.name == name))


def _mails(outcome: str) -> int:
    return _db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key == f"probe-{outcome}"))


def test_a_rule_broken_after_a_flush_writes_nothing_and_shows_its_message_at_the_field(probe, monkeypatch):
    association = make_association()
    handed = _handed_out(monkeypatch)
    response = probe.test_client().post(f"/probe/{association.id}/refused")
    assert response.status_code == 200 and response.get_data(as_text=True) == "Ce nom est refusé."
    assert _resources("refused") == 0 and _mails("refused") == 0
    assert handed == []


@pytest.mark.parametrize("outcome", ["unprocessable", "broken"])
def test_a_failed_request_writes_nothing_and_its_mail_is_never_handed_out(probe, monkeypatch, outcome):
    association = make_association()
    handed = _handed_out(monkeypatch)
    client = probe.test_client()
    if outcome == "broken":
        with pytest.raises(RuntimeError):
            client.post(f"/probe/{association.id}/{outcome}")
    else:
        assert client.post(f"/probe/{association.id}/{outcome}").status_code == 422
    assert _resources(outcome) == 0 and _mails(outcome) == 0
    assert handed == []
    probe.extensions["jobs"].drain()


def test_a_rule_error_goes_to_its_field_else_to_the_field_named_else_to_the_page(app, db):
    with app.test_request_context(method="POST", data={"name": "x"}):
        form = _NameForm()
        show_rule_error(form, RuleError("name", "A"))
        show_rule_error(form, RuleError("starts_at", "B"), field="name")  # not one of the form's fields
        show_rule_error(form, RuleError(None, "C"))
        assert form.name.errors == ["A", "B"]
        assert get_flashed_messages(with_categories=True) == [("error", "C")]


def test_a_successful_request_commits_once_and_then_hands_its_mail_out(probe, monkeypatch):
    association = make_association()
    handed = _handed_out(monkeypatch)
    assert probe.test_client().post(f"/probe/{association.id}/done").status_code == 204
    assert _resources("done") == 1
    message = _db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == "probe-done"))
    assert handed == [message.id]


# --- the calendar's events --------------------------------------------------------------------------


def _request(association, volunteer, beneficiary, starts_at):
    from tests.factories import program

    return booking.Request(module_id=program("remote").modules[0].id, starts_at=starts_at,
                           volunteer_id=volunteer.id, beneficiary_id=beneficiary.id, call_details="06 12 34 56 78")


def test_booking_announces_the_appointment_to_whoever_listens(db):
    association = make_association()
    volunteer, beneficiary = make_volunteer(association), make_beneficiary(association)
    heard = []

    def listen(sender, **kwargs):
        heard.append((sender, kwargs))

    with signals.appointment_booked.connected_to(listen):
        appointment = booking.book(association, _request(association, volunteer, beneficiary,
                                                         _next_monday_at_ten(association)))
    [(sender, kwargs)] = heard
    assert sender is association and kwargs["appointment"] is appointment
    assert kwargs["beneficiary"].id == beneficiary.id and kwargs["self_service"] is False
    # notifications listens too: the confirmation is queued in the same transaction, not committed yet
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "appointment_confirmed")) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def _next_monday_at_ten(association):
    from datetime import date, time

    from intranet.clock import to_utc

    today = date.today()
    monday = today + timedelta(days=7 - today.weekday())
    return to_utc(monday, time(10, 0), association.timezone)


# --- a self-service move is "free" plus "book", both the calendar's own services ----------------------


@pytest.fixture
def moving(db, monkeypatch):
    association = make_association()
    volunteer = make_volunteer(association)
    beneficiary = make_beneficiary(association, email="yasmine@exemple.test", status="in_progress")
    journey = make_journey(association, beneficiary, modules=2)
    link = make_booking_link(association, beneficiary)
    step = selfbooking.next_step(link)
    seat = selfbooking.book_next(link, selfbooking.slot_key(free_slot(link, step.module)))
    db.session.commit()  # booked by an earlier request
    later = selfbooking.free_slots(link, step.module, moving=seat)[-1]
    calls = []
    for name in ("cancel_seat", "book"):
        real = getattr(booking, name)
        monkeypatch.setattr(booking, name, lambda *a, _real=real, _name=name, **k: (calls.append(_name), _real(*a, **k))[1])
    return type("Moving", (), {"link": link, "seat": seat, "old_start": seat.appointment.starts_at, "later": later,
                               "item": journey.modules[0], "calls": calls, "volunteer": volunteer})


def _booked_starts(moving) -> list:
    _db.session.expire_all()
    return [s.appointment.starts_at for s in _db.session.scalars(select(Seat).where(
        Seat.beneficiary_id == moving.link.beneficiary_id, Seat.status == "booked"))]


def test_a_self_service_move_frees_then_books_through_the_calendar_services_in_one_transaction(moving):
    new_seat = selfbooking.move(moving.link, moving.seat, selfbooking.slot_key(moving.later))
    assert moving.calls == ["cancel_seat", "book"]
    assert new_seat.appointment.starts_at == moving.later.starts_at
    _db.session.rollback()  # the caller's failure: neither half stays
    assert _booked_starts(moving) == [moving.old_start]
    selfbooking.move(moving.link, _db.session.get(Seat, moving.seat.id), selfbooking.slot_key(moving.later))
    _db.session.commit()
    assert _booked_starts(moving) == [moving.later.starts_at]
    assert _db.session.get(JourneyModule, moving.item.id).status == "planned"


def test_a_self_service_move_confirms_the_new_time_and_drops_the_old_reminders(moving):
    selfbooking.move(moving.link, moving.seat, selfbooking.slot_key(moving.later))
    _db.session.commit()
    kinds = _db.session.execute(select(OutboxMessage.kind, OutboxMessage.appointment_id, OutboxMessage.status).where(
        OutboxMessage.to_address == "yasmine@exemple.test")).all()
    old = _db.session.scalar(select(Appointment.id).where(Appointment.starts_at == moving.old_start))
    assert ("appointment_cancelled", old, "pending") not in kinds  # moved, not cancelled, for the person
    assert sum(1 for kind, _id, _status in kinds if kind == "appointment_confirmed") == 2
    assert all(status == "cancelled" for kind, appointment_id, status in kinds
               if kind == "appointment_reminder" and appointment_id == old)


# --- features register their tick steps and demo data ------------------------------------------------


@pytest.fixture
def probe_feature(monkeypatch):
    monkeypatch.setattr(jobs, "PERIODIC", dict(jobs.PERIODIC))
    monkeypatch.setattr(demo, "LOADERS", dict(demo.LOADERS))
    sys.modules.pop("tests.periodic_probe", None)
    module = importlib.import_module("tests.periodic_probe")
    module.RUNS.clear()
    yield module
    sys.modules.pop("tests.periodic_probe", None)


def test_a_step_a_feature_registers_runs_in_the_tick_beside_the_others(db, probe_feature):
    assert "probe" not in (INTRANET / "jobs.py").read_text()
    results = jobs.tick()
    assert results["probe"] == "ran" and len(probe_feature.RUNS) == 1
    assert {"hand_out_due_mail", "send_digests", "send_follow_ups"} <= results.keys()


def test_a_demo_loader_a_feature_registers_runs_after_the_people_are_made(db, probe_feature):
    demo.load_demo()
    assert [("demo", sorted(slug for slug, *_rest in demo.ASSOCIATIONS))] == probe_feature.RUNS
    assert db.session.scalar(select(func.count()).select_from(Appointment)) > 0  # the calendar's own loader ran
