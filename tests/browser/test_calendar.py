"""Staff book from the week view; a cancelled slot becomes free again."""

from datetime import time, timedelta

from sqlalchemy import select

from intranet.calendar.models import Appointment
from intranet.clock import today_in
from tests.browser.conftest import sign_in
from tests.factories import make_association, make_beneficiary, make_membership, make_user, make_volunteer


def _next_tuesday():
    today = today_in("Europe/Paris")
    return today + timedelta(days=(1 - today.weekday()) % 7 or 7)


def test_staff_book_from_the_week_view_and_a_cancelled_slot_is_free_again(page, live_server, db):
    assoc = make_association("bordeaux", name="Tremplin Bordeaux")
    make_membership(assoc, "staff", make_user("staff@exemple.test", name="Julien Moreau"))
    make_volunteer(assoc, "Aïcha Diallo", starts=time(9, 0), ends=time(18, 0))
    make_beneficiary(assoc, first_name="Yasmine", last_name="Belkacem")
    tuesday = _next_tuesday()

    sign_in(page, live_server, "staff@exemple.test", "correct horse battery")
    page.locator("summary", has_text="Agenda").click()
    page.get_by_role("link", name="Semaine et jour").click()
    page.goto(f"{live_server}/a/bordeaux/calendar?day={tuesday.isoformat()}")
    page.evaluate("window.__sameDocument = true")
    cell = page.get_by_role("link", name=f"Réserver le {_weekday_label(tuesday)} à 10:00")
    cell.click()
    panel = page.locator("#booking-panel")
    panel.get_by_label("Rechercher la personne accompagnée").fill("Belk")
    panel.locator("#beneficiary_id option", has_text="BELKACEM Yasmine").wait_for(state="attached")
    with page.expect_response(lambda r: "/calendar/book" in r.url):  # the form updates who is free then
        panel.get_by_label("Module").select_option(label="Bilan et projet professionnel (60 min)")
    panel.get_by_label("Accompagné par").select_option(label="Aïcha Diallo")
    panel.get_by_label("Numéro à appeler ou lien de la visio").fill("06 12 34 56 78")
    assert page.evaluate("window.__sameDocument === true")  # the form opened in place
    panel.get_by_role("button", name="Réserver").click()

    block = page.locator(".cal-item", has_text="Bilan et projet professionnel")
    block.wait_for()
    assert "10:00–11:00" in block.inner_text() and "Yasmine B." in block.inner_text()
    assert "Rendez-vous réservé" in page.locator(".flash").inner_text()

    # Cancel it with a reason: the time is free again for Aïcha.
    block.click()
    page.get_by_label("Nouveau statut").select_option(label="Annulé")
    page.get_by_label("Raison (obligatoire pour une annulation)").fill("Empêchement")
    page.get_by_role("button", name="Enregistrer").click()
    assert "Annulé" in page.locator("main").inner_text()
    page.goto(f"{live_server}/a/bordeaux/calendar/book?at={tuesday.isoformat()}T10:00")
    with page.expect_response(lambda r: "/calendar/book" in r.url):
        page.get_by_label("Module").select_option(label="Bilan et projet professionnel (60 min)")
    options = page.locator("#volunteer_id option", has_text="Aïcha Diallo")
    options.first.wait_for(state="attached")
    assert options.first.inner_text().strip() == "Aïcha Diallo"  # free, with no reason next to her name
    assert db.session.scalar(select(Appointment.status)) == "cancelled"


def _weekday_label(day):
    from babel.dates import format_date

    return format_date(day, "EEEE d MMMM", locale="fr")
