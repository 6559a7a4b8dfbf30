"""On a phone, a beneficiary opens their link, books a time, then cancels it and finds the time free again."""

from tests.factories import make_association, make_beneficiary, make_booking_link, make_journey, make_volunteer

WIDTH, HEIGHT = 375, 740


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_a_beneficiary_books_then_cancels_from_a_phone(new_page, live_server, db):
    association = make_association(name="Tremplin Nantes")
    make_volunteer(association, "Marie Curie")
    beneficiary = make_beneficiary(association, first_name="Yasmine", status="in_progress")
    make_journey(association, beneficiary, modules=2)
    link = make_booking_link(association, beneficiary)
    page = new_page(WIDTH, HEIGHT)

    page.goto(f"{live_server}/p/{link.token}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Bonjour Yasmine"
    assert _fits_the_screen(page)
    page.get_by_role("button", name="Choisir une date").click()

    first = page.locator(".sb-times a").first
    chosen = first.get_attribute("aria-label")  # e.g. "Mardi 10 mars, 9 h 00"
    assert first.bounding_box()["height"] >= 44 and _fits_the_screen(page)
    first.click()
    confirm = page.get_by_role("button", name="Oui, je réserve")
    assert confirm.bounding_box()["height"] >= 44
    confirm.click()

    page.get_by_role("heading", name="C’est réservé !").wait_for()
    assert chosen.split(",")[0] in page.locator("main").inner_text()
    assert "Avec Marie" in page.locator("main").inner_text()
    assert _fits_the_screen(page)

    page.get_by_role("button", name="Voir mes rendez-vous").click()
    page.get_by_role("button", name=f"Annuler le rendez-vous du {chosen}").click()
    page.get_by_role("button", name="Oui, j’annule").click()
    page.get_by_text("Votre rendez-vous est annulé.").wait_for()

    page.get_by_role("button", name="Choisir une date").click()
    assert page.get_by_role("button", name=chosen, exact=True).count() == 1
