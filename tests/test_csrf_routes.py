"""Every POST route refuses a request without its CSRF token, enumerated from the URL map.

With CSRF on, each POST route is sent a plausible form without a token, as a plain form and as an
htmx request: the answer is 400 and the database is left exactly as it was. The routes are built
with real objects of the signed-in user's association (network office and admin there) and a real
personal-link token, so the refusal comes from the missing token, not from a missing object.
A new POST route is covered without editing this file.
"""

import pytest

from intranet.auth.sessions import signed_in_state
from intranet.extensions import db
from tests.test_hostile_values import RULES, World, _build

POST_RULES = [r for r in RULES if "POST" in r.methods]
FORM = {"name": "Nouvelle valeur", "email": "nouvelle@exemple.test", "role": "admin", "status": "cancelled",
        "reason": "essai", "at": "20300101T0900Z", "day": "2030-01-07", "first_name": "Jeanne",
        "last_name": "Martin", "password": "un mot de passe assez long", "offered": "y"}


def _everything() -> dict:
    """Every row of every table, to prove a refused request wrote nothing."""
    db.session.expire_all()
    return {table.name: sorted(map(repr, db.session.execute(table.select()).all()))
            for table in db.metadata.sorted_tables}


@pytest.fixture
def signed_in(app, client, monkeypatch):
    world = World()
    with client.session_transaction() as session:
        session.update(signed_in_state(world.user))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return world


def test_the_enumeration_finds_the_post_routes():
    assert {"members.invite", "calendar.book", "selfbooking.book", "auth.logout", "network.create"} <= {
        r.endpoint for r in POST_RULES}


@pytest.mark.parametrize("rule", POST_RULES, ids=lambda r: r.endpoint)
def test_a_post_without_csrf_token_is_refused_and_writes_nothing(rule, client, signed_in):
    url = _build(rule, signed_in.values(rule))
    before = _everything()
    plain = client.post(url, data=FORM)
    htmx = client.post(url, data=FORM, headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/"})
    assert (plain.status_code, htmx.status_code) == (400, 400), url
    assert _everything() == before, f"{url} wrote without a CSRF token"


def test_the_same_post_with_its_token_goes_through(app, client, signed_in):
    """The control: the refusal above is the token's doing (members.invite works with it)."""
    page = client.get(f"/a/{signed_in.association.slug}/members").get_data(as_text=True)
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    response = client.post(f"/a/{signed_in.association.slug}/members", data={**FORM, "role": "staff"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code in (200, 302)
    assert "nouvelle@exemple.test" in repr(_everything()["user"])
