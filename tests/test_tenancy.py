"""Tenant isolation and role checks, enumerated from the app's URL map.

Every route that takes an object id is tried by a member of another association: it must
answer 404 (403 under /network) and show none of the object's data. New routes are
covered without editing this file, as long as their id argument is named after a model
(`membership_id` -> Membership) and that model has a factory in tests/factories.py.
"""

import re

import pytest
from sqlalchemy import inspect
from werkzeug.routing import IntegerConverter

from intranet import create_app
from intranet.enums import all_enums
from intranet.extensions import db
from tests.factories import FACTORIES, NETWORK_FACTORIES, make_association, make_membership
from tests.test_roles import build_url, roles_allowed

_APP = create_app()


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


MODELS_BY_ARG = {f"{_snake(m.class_.__name__)}_id": m.class_ for m in db.Model.registry.mappers}


def id_rules():
    for rule in _APP.url_map.iter_rules():
        ids = [arg for arg, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        if ids:
            yield rule


ID_RULES = sorted(id_rules(), key=lambda r: r.rule)
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_id_argument_names_a_model_with_a_factory():
    for rule in ID_RULES:
        for arg, conv in rule._converters.items():
            if isinstance(conv, IntegerConverter):
                assert arg in MODELS_BY_ARG, f"{rule.rule}: <{arg}> names no model"
                assert MODELS_BY_ARG[arg] in FACTORIES, f"{rule.rule}: no factory for {MODELS_BY_ARG[arg].__name__}"


def test_the_enumeration_finds_the_routes_with_ids():
    endpoints = {r.endpoint for r in ID_RULES}
    assert {"members.change_role", "mailbox.show", "network.show"} <= endpoints


def _snapshot(obj) -> dict:
    db.session.refresh(obj)
    return {c.key: getattr(obj, c.key) for c in inspect(obj).mapper.column_attrs}


# Stored statuses and kinds ("volunteer", "active"…) are words of the app, in its URLs and pages, not data.
_ENUM_VALUES = {value for enum in all_enums().values() for value in enum.values()}


def _strings(obj) -> list[str]:
    return [v for v in _snapshot(obj).values() if isinstance(v, str) and len(v) >= 6 and v not in _ENUM_VALUES]


def _visible_texts(obj) -> list[str]:
    """The distinctive strings of an object and of the association's rows around it, which must not leak."""
    texts = _strings(obj)
    for relation in inspect(obj).mapper.relationships:
        related = getattr(obj, relation.key)
        for item in related if isinstance(related, list) else [related]:
            if item is not None and hasattr(item, "association_id") and item is not obj:
                texts += _strings(item)
    return texts


@pytest.mark.parametrize("rule", ID_RULES, ids=lambda r: f"{r.endpoint}")
def test_a_member_of_another_association_gets_404_and_no_data(rule, client, login_as):
    owner = make_association("proprietaire", name="Association propriétaire")
    intruders = make_association("intrus", name="Association intruse")
    login_as("admin", intruders)
    objects = {}
    for arg, conv in rule._converters.items():
        if isinstance(conv, IntegerConverter):
            objects[arg] = FACTORIES[MODELS_BY_ARG[arg]](owner)
    url = build_url(rule, slug=intruders.slug, ids={arg: obj.id for arg, obj in objects.items()})
    before = {arg: _snapshot(obj) for arg, obj in objects.items()}
    expected = 403 if rule.rule.startswith("/network") else 404
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = client.open(url, method=method, data={"role": "admin"})
        assert response.status_code == expected, f"{method} {url}"
        body = response.get_data(as_text=True)
        for obj in objects.values():
            for secret in _visible_texts(obj):
                assert secret not in body, f"{method} {url} shows {secret!r}"
    for arg, obj in objects.items():
        assert _snapshot(obj) == before[arg], f"{rule.rule} changed another association's {arg}"


@pytest.mark.parametrize("rule", [r for r in ID_RULES if "GET" in r.methods], ids=lambda r: r.endpoint)
def test_the_owner_reaches_the_same_object(rule, client, login_as):
    """The control for the test above: the object exists and its own association sees it."""
    owner = make_association("proprietaire")
    if rule.rule.startswith("/me/"):
        # A personal page: its owner is the person the object is about (a session's coach).
        from intranet.auth.sessions import signed_in_state

        ids, people = {}, []
        for arg, conv in rule._converters.items():
            if isinstance(conv, IntegerConverter):
                obj = FACTORIES[MODELS_BY_ARG[arg]](owner)
                ids[arg] = obj.id
                people.append(getattr(obj, "volunteer", None) or getattr(obj, "user", None))
        with client.session_transaction() as session:
            session.update(signed_in_state(people[0]))
        assert client.get(build_url(rule, ids=ids)).status_code == 200
        return
    role = "network" if rule.rule.startswith("/network") else max(roles_allowed(_APP, rule), key=len)
    user = login_as("admin" if role != "network" else "network", owner)
    ids = {}
    for arg, conv in rule._converters.items():
        if isinstance(conv, IntegerConverter):
            model = MODELS_BY_ARG[arg]
            own = NETWORK_FACTORIES.get(model) if role == "network" else None
            ids[arg] = (own(user) if own else FACTORIES[model](owner)).id
    response = client.get(build_url(rule, slug=owner.slug, ids=ids))
    assert response.status_code == 200


def test_scoped_loader_ignores_other_associations(app, login_as, client):
    alpha, beta = make_association(), make_association()
    membership = make_membership(alpha, "volunteer")
    login_as("admin", beta)
    assert client.post(f"/a/{beta.slug}/members/{membership.id}/role", data={"role": "admin"}).status_code == 404
    assert client.post(f"/a/{alpha.slug}/members/{membership.id}/role", data={"role": "admin"}).status_code == 404
    db.session.refresh(membership)
    assert membership.role == "volunteer"
