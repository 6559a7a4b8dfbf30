"""htmx updates part of a page without reloading it (as the demo admin, already signed in)."""

import pytest
from sqlalchemy import select

from intranet.auth.models import User
from intranet.demo import load_demo

ADMIN = "admin.bordeaux@tremplin.test"
pytestmark = pytest.mark.commits(scope="module")


@pytest.fixture(scope="module", autouse=True)
def demo(app, module_rows):
    """The demo network, loaded once: each test changes someone else (or nothing)."""
    with app.app_context():
        load_demo()


def _mark_page(page) -> None:
    page.evaluate("window.__sameDocument = true")


def _same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_changing_a_role_updates_the_row_in_place(new_page, live_server, db):
    page = new_page(signed_in_as=ADMIN)
    page.goto(live_server + "/a/bordeaux/members")
    _mark_page(page)
    select = page.get_by_label("Rôle de Pierre Garnier")
    select.select_option("staff")
    status = page.locator("#live-status")
    status.get_by_text("Pierre Garnier a maintenant le rôle « Salarié·e ».").wait_for()
    assert _same_document(page)
    assert page.evaluate("document.activeElement.id") == select.get_attribute("id")
    pierre = db.session.scalar(select_user("pierre.garnier@tremplin.test"))
    db.session.refresh(pierre.memberships[0])
    assert pierre.memberships[0].role == "staff"


def select_user(email):
    return select(User).where(User.email == email)


def test_the_last_admin_is_told_why_in_place(new_page, live_server, db):
    page = new_page(signed_in_as=ADMIN)
    page.goto(live_server + "/a/bordeaux/members")
    _mark_page(page)
    page.get_by_label("Rôle de Nadia Benali").select_option("volunteer")
    page.locator("tr", has_text="Nadia Benali").get_by_text("dernier administrateur").wait_for()
    assert _same_document(page)
    assert page.get_by_label("Rôle de Nadia Benali").input_value() == "admin"


def test_searching_members_filters_as_you_type_and_keeps_the_url(new_page, live_server, db):
    page = new_page(signed_in_as=ADMIN)
    page.goto(live_server + "/a/bordeaux/members")
    _mark_page(page)
    page.get_by_label("Rechercher un membre").type("garn")
    page.wait_for_url("**/members?q=garn")
    rows = page.locator("#member-list tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1 and "Pierre Garnier" in rows.first.inner_text()
    assert _same_document(page)
    page.reload()
    assert page.locator("#member-list tbody tr").count() == 1
