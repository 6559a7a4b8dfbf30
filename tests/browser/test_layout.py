"""The layout a newcomer notices: the navigation fits, folds on a phone, and reads well in both colour schemes.

The tests read the same rows, made once for the module, and open pages already signed in as the admin.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.factories import PASSWORD, make_association, make_beneficiary, make_membership, make_referral, make_user

ADMIN = "admin.layout@exemple.test"
pytestmark = pytest.mark.commits(scope="module")


@pytest.fixture(scope="module", autouse=True)
def demo(app, module_rows):
    """An association with its admin, a colleague, a few files and referrals waiting: enough to fill the pages.

    Long names and a count in the menu: the navigation is tried with what makes it widest.
    """
    with app.app_context():
        bordeaux = make_association("bordeaux", name="Tremplin Val-de-Marne, Essonne et Seine-et-Marne")
        make_membership(bordeaux, "admin", make_user(ADMIN, name="Anne-Sophie Delattre-Vandenberghe"))
        make_membership(bordeaux, "staff")
        for _ in range(3):
            make_beneficiary(bordeaux)
        for _ in range(12):
            make_referral(bordeaux)


def admin_page(new_page, **options):
    return new_page(signed_in_as=ADMIN, password=PASSWORD, **options)


def _line_spread(page) -> float:
    """How far apart, vertically, the main navigation's top-level entries are (0: all on one line)."""
    tops = page.eval_on_selector_all("#nav-links > li", "items => items.map(li => li.getBoundingClientRect().top)")
    return max(tops) - min(tops)


def test_the_admin_navigation_fits_one_line_on_a_desktop(new_page, live_server):
    page = admin_page(new_page, width=1280)
    assert _line_spread(page) < 10
    assert page.get_by_role("button", name="Menu").is_hidden()
    # The brand (the association's name under it) and the menu share the line.
    brand, links = (page.locator(selector).bounding_box() for selector in (".nav-brand", "#nav-links"))
    assert links["y"] < brand["y"] + brand["height"] and brand["x"] + brand["width"] <= links["x"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_the_person_menu_shows_initials_and_keeps_the_name_for_everyone(new_page, live_server):
    page = admin_page(new_page, width=1280)
    summary = page.locator("summary", has_text="AD")
    assert summary.get_attribute("title") == "Anne-Sophie Delattre-Vandenberghe"
    summary.click()
    assert page.get_by_role("link", name="Mon compte").is_visible()
    assert page.get_by_text("Anne-Sophie Delattre-Vandenberghe", exact=True).first.is_visible()


def test_the_referrals_waiting_are_counted_and_said_in_the_menu(new_page, live_server):
    page = admin_page(new_page, width=1280)
    summary = page.locator("summary", has_text="Partenaires")
    assert summary.locator(".badge").inner_text() == "12"
    assert "12 orientations à traiter" in summary.text_content()  # read out, not shown


def test_a_group_opens_and_marks_the_current_page(new_page, live_server):
    page = admin_page(new_page, width=1280)
    page.locator("summary", has_text="Paramètres").click()
    page.get_by_role("link", name="Membres", exact=True).click()
    page.wait_for_url("**/members")
    page.locator("summary", has_text="Paramètres").click()
    assert page.get_by_role("link", name="Membres", exact=True).get_attribute("aria-current") == "page"
    assert "current" in page.locator("summary", has_text="Paramètres").get_attribute("class")


def test_on_a_phone_the_navigation_folds_behind_a_menu_button(new_page, live_server):
    page = admin_page(new_page, width=375, height=740)
    menu = page.get_by_role("button", name="Menu")
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.locator("#nav-links").is_hidden()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="Bénéficiaires", exact=True).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_without_javascript_the_phone_navigation_stays_open(new_page, live_server):
    page = admin_page(new_page, width=375, height=740, java_script_enabled=False)
    assert page.get_by_role("link", name="Bénéficiaires", exact=True).is_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_have_no_contrast_or_structure_violations(new_page, live_server, scheme):
    page = admin_page(new_page, width=1280, color_scheme=scheme)
    violations = []
    for path in ("/a/bordeaux/beneficiaries", "/a/bordeaux/calendar", "/a/bordeaux/members"):
        page.goto(live_server + path)
        page.evaluate("document.querySelectorAll('details.nav-group').forEach(d => d.open = true)")
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
        violations += [f"{path} {v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]]
    assert violations == []


def test_flash_messages_are_readable_in_the_dark_scheme(new_page, live_server):
    page = admin_page(new_page, width=1280, color_scheme="dark")
    page.goto(live_server + "/a/bordeaux/members")
    page.get_by_text("Inviter une personne").click()
    page.get_by_label("Nom et prénom").fill("Inès Roux")
    page.get_by_label("Adresse e-mail").fill("ines.roux@exemple.test")
    page.get_by_role("button", name="Envoyer l’invitation").click()
    flash = page.locator(".flash").first
    flash.wait_for()
    results = Axe().run(page, context=".flashes", options={"runOnly": {"type": "rule", "values": ["color-contrast"]}})
    assert results.response["violations"] == []
