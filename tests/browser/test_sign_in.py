"""Each demo account signs in and lands on its own home page, and sees only its own space.

Every test signs in through the login form, on the demo network loaded once for the module.
"""

import re

import pytest

from intranet.demo import load_demo
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.commits(scope="module")  # the demo network, loaded once for the module


@pytest.fixture(scope="module")
def demo(app, module_rows):
    with app.app_context():
        load_demo()


@pytest.mark.parametrize("email,path,heading", [
    ("reseau@tremplin.test", "/network/", "Le réseau"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/", "Tremplin Bordeaux"),
    ("staff.lille@tremplin.test", "/a/lille/", "Tremplin Lille"),
    ("benevole.bordeaux@tremplin.test", "/me/", "Bonjour Martine Lefèvre"),
])
def test_each_demo_account_lands_on_its_home(page, live_server, demo, email, path, heading):
    sign_in(page, live_server, email)
    assert page.url == live_server + path
    assert page.get_by_role("heading", level=1).inner_text() == heading


def test_an_association_admin_cannot_open_another_space(page, live_server, demo):
    sign_in(page, live_server, "admin.bordeaux@tremplin.test")
    response = page.goto(live_server + "/a/lille/members")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page introuvable"


def test_a_wrong_password_shows_the_neutral_message(page, live_server, demo):
    sign_in(page, live_server, "admin.bordeaux@tremplin.test", "pas le bon")
    assert page.get_by_role("alert").inner_text() == "Adresse e-mail ou mot de passe incorrect."
    assert re.search(r"/login$", page.url)


def test_the_volunteer_page_fits_a_phone(new_page, live_server, demo):
    page = new_page(width=375, height=740)
    sign_in(page, live_server, "benevole.bordeaux@tremplin.test")
    assert page.url.endswith("/me/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Menu").click()
    page.locator(".nav-group summary").last.click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")
