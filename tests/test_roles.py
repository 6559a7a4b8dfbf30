"""Who may open which page: anonymous, volunteer, staff, admin, network office."""

import pytest
from werkzeug.routing import IntegerConverter

from intranet import create_app
from intranet.tenancy import Role
from tests.factories import make_association

ROLES = Role.values()  # from least to most rights

_APP = create_app()
PUBLIC = {"static", "ops.healthz", "auth.login", "auth.forgot_password", "auth.reset_password",
          "invitations.accept", "auth.logout",
          "feeds.calendar", "followups_public.answer", "followups_public.record"}  # the token in the URL is the key
PUBLIC_PREFIX = "/p/<token>"  # beneficiaries' personal links: no account, the token is the key


def build_url(rule, slug: str = "bordeaux", ids: dict | None = None) -> str:
    values = {}
    for arg, conv in rule._converters.items():
        if arg == "slug":
            values[arg] = slug
        elif isinstance(conv, IntegerConverter):
            values[arg] = (ids or {}).get(arg, 999999)
        else:
            values[arg] = "x"
    _, path = rule.build(values)
    return path


def association_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/a/<slug>")]


def required_role(app, rule) -> str:
    view = app.view_functions[rule.endpoint]
    blueprint = app.blueprints[rule.endpoint.rpartition(".")[0]]
    return getattr(view, "required_role", blueprint.default_role)


def roles_allowed(app, rule) -> list[str]:
    needed = ROLES.index(required_role(app, rule))
    return list(ROLES[needed:])


def _simple_get_rules(prefix: str):
    return [r for r in _APP.url_map.iter_rules()
            if r.rule.startswith(prefix) and "GET" in r.methods and not any(
                isinstance(c, IntegerConverter) for c in r._converters.values())]


@pytest.mark.parametrize("rule", [r for r in _APP.url_map.iter_rules()
                                  if r.endpoint not in PUBLIC and not r.rule.startswith(PUBLIC_PREFIX)],
                         ids=lambda r: f"{r.endpoint}")
def test_anonymous_users_are_sent_to_sign_in(rule, client):
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = client.open(build_url(rule), method=method)
        assert response.status_code == 302, f"{method} {rule.rule}"
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("rule", [r for r in _APP.url_map.iter_rules() if r.rule.startswith(PUBLIC_PREFIX)],
                         ids=lambda r: f"{r.endpoint}")
def test_a_personal_link_with_a_wrong_token_opens_nothing(rule, client):
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = client.open(build_url(rule), method=method)
        assert response.status_code in (400, 404), f"{method} {rule.rule}"


def test_public_pages_open_without_an_account(client):
    for path in ("/login", "/forgot-password", "/healthz"):
        assert client.get(path).status_code == 200


def test_admin_pages_are_admin_only():
    admin_only = {r.endpoint for r in association_rules(_APP) if required_role(_APP, r) == "admin"}
    assert {"members.index", "members.invite", "members.change_role", "mailbox.index", "mailbox.show"} <= admin_only


def test_no_association_page_is_open_to_volunteers():
    """Volunteers work from /me; every association page needs at least staff."""
    assert all(required_role(_APP, r) in ("staff", "admin") for r in association_rules(_APP))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule", [r for r in _simple_get_rules("/a/<slug>")], ids=lambda r: r.endpoint)
def test_association_pages_by_role(rule, role, client, login_as):
    association = make_association("bordeaux")
    login_as(role, association)
    expected = 200 if role in roles_allowed(_APP, rule) else 403
    assert client.get(build_url(rule, slug="bordeaux")).status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_network_pages_are_closed_to_association_members(role, client, login_as):
    login_as(role, make_association())
    for rule in _simple_get_rules("/network"):
        assert client.get(build_url(rule)).status_code == 403, rule.rule


def test_network_office_opens_network_pages(client, login_as):
    login_as("network")
    for rule in _simple_get_rules("/network"):
        assert client.get(build_url(rule)).status_code == 200, rule.rule


def test_non_members_get_404_in_an_association_space(client, login_as):
    make_association("bordeaux")
    login_as("admin", make_association("lille"))
    assert client.get("/a/bordeaux/").status_code == 404
    assert client.get("/a/bordeaux/members").status_code == 404


def test_network_office_is_not_a_member_of_every_association(client, login_as):
    make_association("bordeaux")
    login_as("network")
    assert client.get("/a/bordeaux/").status_code == 404


def test_a_deactivated_membership_loses_access(client, login_as, db):
    association = make_association("bordeaux")
    user = login_as("admin", association)
    user.memberships[0].active = False
    db.session.commit()
    assert client.get("/a/bordeaux/").status_code == 404


def test_a_closed_association_is_out_of_reach(client, login_as, db):
    association = make_association("bordeaux")
    login_as("admin", association)
    association.active = False
    db.session.commit()
    assert client.get("/a/bordeaux/").status_code == 404


def test_volunteers_have_their_own_space(client, login_as):
    login_as("volunteer", make_association("bordeaux"))
    assert client.get("/me/").status_code == 200
    assert client.get("/a/bordeaux/").status_code == 403
