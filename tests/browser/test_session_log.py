"""On a phone (375 px): a volunteer completes the session they just gave from /me, and the journey shows it."""

from datetime import timedelta

from intranet.clock import utcnow
from tests.browser.conftest import sign_in
from tests.factories import make_appointment, make_association, make_journey, make_membership, make_user, make_volunteer

PHONE = {"width": 375, "height": 740}


def test_a_volunteer_logs_the_session_they_gave_and_the_journey_shows_it(new_page, live_server, db):
    assoc = make_association("bordeaux", name="Tremplin Bordeaux")
    make_membership(assoc, "staff", make_user("staff@exemple.test", name="Julien Moreau"))
    coach = make_volunteer(assoc, "Martine Lefèvre")
    coach.email = "martine@exemple.test"
    journey = make_journey(assoc)
    item = journey.modules[0]
    item.notes = ""
    appointment = make_appointment(assoc, volunteer=coach, beneficiary=journey.beneficiary,
                                   starts_at=(utcnow() - timedelta(hours=1)).replace(microsecond=0))
    appointment.seats[0].journey_module_id = item.id
    item.status, item.coach_id = "planned", coach.id
    db.session.commit()

    page = new_page(**PHONE)
    sign_in(page, live_server, "martine@exemple.test", "correct horse battery")
    page.goto(f"{live_server}/me/")
    todo = page.get_by_role("region", name="À compléter")
    todo.get_by_role("button", name="Compléter (absence, durée, notes)").click()
    assert page.get_by_label("Réalisé").is_checked()
    page.get_by_label("Notes pour le ou la prochain·e bénévole").fill("CV revu, préparer l’entretien de vendredi.")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("est complétée").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing overflows the phone's width

    staff = new_page(**PHONE)
    sign_in(staff, live_server, "staff@exemple.test", "correct horse battery")
    staff.goto(f"{live_server}/a/bordeaux/beneficiaries/{journey.beneficiary_id}")
    staff.locator("p.notes", has_text="CV revu, préparer l’entretien de vendredi.").wait_for()
    db.session.expire_all()
    assert item.status == "done"
