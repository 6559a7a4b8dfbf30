"""Undo sees what happened since to the journeys and sessions an import wrote: a module logged, moved, or given
another status since refuses the undo, with the reason listed."""

import pytest
from sqlalchemy import select

from intranet.calendar import booking
from intranet.calendar.models import Appointment
from intranet.clock import today_in
from intranet.extensions import db
from intranet.imports import services
from intranet.journeys import services as journeys
from intranet.journeys.models import Journey, JourneyModule
from tests.factories import make_beneficiary, make_membership, make_user
from tests.test_imports import SAMPLES, check, commit, csv_bytes, steps_run_here, upload  # noqa: F401

HEADER = ["NOM", "Prénom", "Mail", "Coaching image", "Photo"]


def imported_journey(bordeaux):
    batch = commit(check(upload(bordeaux, csv_bytes([HEADER, ["Diallo", "Awa", "awa@exemple.fr", "07/08/2024",
                                                                "16/08/2024"]]))))
    return batch, db.session.scalar(select(Journey))


def test_nothing_changed_since_leaves_the_undo_open(bordeaux):
    batch, _journey = imported_journey(bordeaux)
    assert services.undo_blockers(batch) == []


def test_a_module_whose_status_changed_since_refuses_the_undo(bordeaux):
    batch, journey = imported_journey(bordeaux)
    photo = next(m for m in journey.modules if m.name == "Séance photo en studio")
    journeys.update_module(photo, status="missed", happened_on=photo.happened_on, coach_id=None, notes="",
                           today=today_in(bordeaux.timezone))
    blockers = services.undo_blockers(batch)
    assert blockers == ["le module « Séance photo en studio » du parcours de Awa Diallo a changé depuis l’import "
                        "(séance notée, déplacée ou autre statut)"]
    with pytest.raises(services.ImportError_, match="Séance photo en studio"):
        services.undo(batch)
    assert db.session.get(Journey, journey.id) is not None


def test_a_module_added_since_to_an_imported_journey_refuses_the_undo(bordeaux):
    batch, journey = imported_journey(bordeaux)
    first = journey.modules[0]
    journey.modules.append(JourneyModule(association_id=bordeaux.id, module_id=first.module_id, name="Accueil bis",
                                         position=9))
    db.session.flush()
    assert any("Accueil bis" in b for b in services.undo_blockers(batch))


def test_a_module_an_import_updated_then_changed_again_refuses_the_undo(bordeaux):
    person = make_beneficiary(bordeaux, first_name="Awa", last_name="Diallo", email="awa@exemple.fr", phone="")
    from tests.factories import make_journey

    journey = make_journey(bordeaux, person, modules=2)
    batch = commit(check(upload(bordeaux, csv_bytes([HEADER, ["Diallo", "Awa", "awa@exemple.fr", "07/08/2024", ""]]))))
    assert services.undo_blockers(batch) == []
    db.session.expire(journey)
    changed = next(m for m in journey.modules if m.status == "done")
    changed.notes = "Revue avec la conseillère"
    db.session.flush()
    assert len(services.undo_blockers(batch)) == 1


def _imported_sessions(bordeaux):
    coach = make_user(name="Julie Perrin")
    make_membership(bordeaux, "volunteer", user=coach)
    make_beneficiary(bordeaux, first_name="Hélène", last_name="Diallo", phone="+33689077716", email="")
    batch = commit(check(upload(bordeaux, (SAMPLES / "coup-de-pouce-seances.csv").read_bytes(), name="s.csv",
                                kind="sessions")))
    appointment = db.session.scalar(select(Appointment).where(Appointment.volunteer_id == coach.id,
                                                              Appointment.status == "done"))
    return batch, appointment


def test_a_session_given_another_status_since_refuses_the_undo(bordeaux):
    batch, appointment = _imported_sessions(bordeaux)
    assert services.undo_blockers(batch) == []
    booking.set_status(bordeaux, appointment, "no_show")
    blockers = services.undo_blockers(batch)
    assert any("a été notée, déplacée ou annulée depuis l’import" in b for b in blockers)
    assert any("a changé depuis l’import" in b for b in blockers)  # the journey followed the appointment


def test_a_session_logged_since_refuses_the_undo(bordeaux):
    from tests.factories import make_session_log

    batch, appointment = _imported_sessions(bordeaux)
    make_session_log(bordeaux, appointment)
    assert any("Module 1 - Se présenter" in b or "notée" in b for b in services.undo_blockers(batch))
    with pytest.raises(services.ImportError_):
        services.undo(batch)
