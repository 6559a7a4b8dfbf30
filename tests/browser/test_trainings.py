"""On a phone: staff mark attendance for a training session in place, complete it, and the volunteer who was
there becomes bookable for the module it qualifies for, while one who was absent is refused."""

from datetime import time, timedelta

from sqlalchemy import select

from intranet.calendar.models import Appointment
from intranet.clock import today_in, utcnow
from intranet.volunteers import services
from intranet.volunteers.models import Qualification
from tests.browser.conftest import sign_in
from tests.factories import (
    make_association,
    make_beneficiary,
    make_membership,
    make_training_session,
    make_user,
    make_volunteer,
    network_training,
    profile_of,
)

PHONE = {"width": 375, "height": 740}


def _next_monday():
    today = today_in("Europe/Paris")
    return today + timedelta(days=(7 - today.weekday()) or 7)


def test_attendance_then_completion_makes_the_volunteer_bookable(new_page, live_server, db):
    assoc = make_association("bordeaux", name="Tremplin Bordeaux")
    make_membership(assoc, "staff", make_user("staff@exemple.test", name="Julien Moreau"))
    anne = make_volunteer(assoc, "Anne Formée", starts=time(9, 0), ends=time(18, 0), qualified=False)
    bruno = make_volunteer(assoc, "Bruno Absent", starts=time(9, 0), ends=time(18, 0), qualified=False)
    make_beneficiary(assoc, first_name="Yasmine", last_name="Belkacem")
    session = make_training_session(assoc, network_training("coaching_rh"), starts_at=utcnow() - timedelta(hours=1),
                                     place="Salle Garonne")
    for person in (anne, bruno):
        services.enrol(session, profile_of(person.memberships[0]), by_staff=True)
    db.session.commit()

    page = new_page(**PHONE)
    sign_in(page, live_server, "staff@exemple.test", "correct horse battery")
    page.goto(f"{live_server}/a/bordeaux/training-sessions/{session.id}")
    page.evaluate("window.__sameDocument = true")
    status = page.locator("#live-status")

    # Anne: present, with the keyboard (arrow keys move between the three choices, each saved at once).
    anne_present = page.get_by_role("group", name="Anne Formée").get_by_label("Présent·e")
    anne_present.focus()
    page.keyboard.press("Space")
    status.get_by_text("Anne Formée : Présent·e").wait_for()
    page.keyboard.press("ArrowRight")  # Absent·e
    status.get_by_text("Anne Formée : Absent·e").wait_for()
    page.keyboard.press("ArrowLeft")
    status.get_by_text("Anne Formée : Présent·e").wait_for()
    assert page.evaluate("document.activeElement.id").startswith("att-")  # focus stayed on her choices
    # Bruno: absent, with a tap.
    page.get_by_role("group", name="Bruno Absent").get_by_text("Absent·e").click()
    status.get_by_text("Bruno Absent : Absent·e").wait_for()
    assert page.evaluate("window.__sameDocument === true")  # saved in place, no reload

    page.get_by_role("button", name="Terminer la session et donner les habilitations").click()
    page.get_by_text("Session terminée").first.wait_for()
    granted = db.session.scalars(select(Qualification).where(Qualification.training_session_id == session.id)).all()
    assert [(q.profile.user_id, q.code) for q in granted] == [(anne.id, "coaching_rh")]

    # The booking form now offers Anne for HR coaching; Bruno is greyed out, with the reason.
    monday = _next_monday()
    page.goto(f"{live_server}/a/bordeaux/calendar/book?at={monday.isoformat()}T10:00")
    with page.expect_response(lambda r: "/calendar/book" in r.url):
        page.get_by_label("Module").select_option(label="Coaching RH (60 min)")
    coach = page.get_by_label("Accompagné par")
    page.locator("#volunteer_id option", has_text="Bruno Absent").wait_for(state="attached")
    bruno_option = page.locator("#volunteer_id option", has_text="Bruno Absent")
    assert bruno_option.is_disabled() and "sans habilitation Coach RH" in bruno_option.inner_text()
    assert not page.locator("#volunteer_id option", has_text="Anne Formée").is_disabled()

    panel = page.locator("#booking-panel")
    panel.get_by_label("Rechercher la personne accompagnée").fill("Belk")
    panel.locator("#beneficiary_id option", has_text="BELKACEM Yasmine").wait_for(state="attached")
    # A tampered form (the disabled option enabled by hand) is refused next to the field.
    page.evaluate(f"document.querySelector('#volunteer_id option[value=\"{bruno.id}\"]').disabled = false")
    coach.select_option(str(bruno.id))
    panel.get_by_role("button", name="Réserver").click()
    page.locator("#volunteer_id-error").get_by_text("sans habilitation Coach RH").wait_for()
    assert db.session.scalar(select(Appointment.id)) is None

    page.get_by_label("Accompagné par").select_option(str(anne.id))
    page.get_by_role("button", name="Réserver").click()
    page.locator(".flash", has_text="Rendez-vous réservé").wait_for()
    db.session.expire_all()
    assert db.session.scalar(select(Appointment.volunteer_id)) == anne.id
