"""Hostile values on every route, enumerated from the URL map: never a 500.

Every rule is tried with huge, negative and odd path values; every GET route with hostile query
strings (huge and negative numbers, dates outside any calendar, unknown keys that `url_for` would
take as its own); every form a page shows is posted back with hostile values in its date, number,
select and hidden fields; every POST route gets every form field of the app with hostile values.
The user opens everything (network office and admin of the association), personal links use a
real token. A new route, query argument or form is covered without editing this file.
"""

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Request
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from wtforms.fields import DateField, DateTimeField, DateTimeLocalField, IntegerField, TimeField
from wtforms.fields.core import UnboundField

from intranet import create_app
from intranet.auth.sessions import signed_in_state
from intranet.extensions import db
from intranet.followups import services as followups
from intranet.partners.referrals import services as referrals
from tests.factories import (
    FACTORIES,
    make_association,
    make_beneficiary,
    make_booking_link,
    make_journey,
    make_membership,
    make_outbox_message,
    make_referral,
    make_referral_link,
    make_user,
)
from tests.test_tenancy import MODELS_BY_ARG

_APP = create_app()
ROOT = Path(__file__).resolve().parent.parent
HUGE = "99999999999999999999"
ACCEPTED = {200, 204, 302, 303, 400, 401, 403, 404, 405, 409, 410, 422, 429}
RULES = sorted(_APP.url_map.iter_rules(), key=lambda r: r.rule)
GET_RULES = [r for r in RULES if "GET" in r.methods and r.endpoint != "static"]
POST_RULES = [r for r in RULES if "POST" in r.methods]

PATH_INTS = [HUGE, "-1", "0", "999999", "2147483648", "9223372036854775807", "9223372036854775808"]
PATH_STRINGS = ["x", "\x00", "é" * 3, "a" * 300, "..", "<script>", "' OR 1=1 --", HUGE]
QUERY_VALUES = [HUGE, "-" + HUGE, "-5", "0", "abc", "9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30",
                "99991231T2359Z", "00010101T0000Z", "<script>", "\x00", ""]
UNEXPECTED_KEYS = {"endpoint": "x", "_method": "POST", "_external": "1", "_anchor": "x", "_scheme": "javascript",
                   "slug": "autre", "token": "x", "values": "x", "filename": "x", "page": "2"}
FORM_VALUES = {"date": ["9999-12-31", "0001-01-01", "10000-01-01", "abc"],
               "number": [HUGE, "-" + HUGE, "abc"],
               "choice": [HUGE, "-1", "999999", "abc"],
               "time": ["99:99", "23:59:60"],
               "hidden": [HUGE, "99991231T2359Z", "00010101T0000Z", "\x00"]}


def _query_names() -> set[str]:
    """Every query argument name the application reads, found in its source."""
    names = set()
    pattern = re.compile(r"""(?:request\.args(?:\.get|\.getlist)?[\(\[]|\barg_\w+\()\s*["'](\w+)["']""")
    for path in (ROOT / "intranet").rglob("*.py"):
        names |= set(pattern.findall(path.read_text()))
    return names | {"page", "day", "volunteer", "resource", "module", "status", "sort", "q", "seat", "at", "view",
                    "program", "referrer", "interview", "inactive", "beneficiary", "moved", "part"}


QUERY_NAMES = sorted(_query_names())


def _form_fields() -> dict[str, str]:
    """Every field of every form of the app, by name, with the kind of hostile value it takes."""
    fields = {}

    def visit(form_class):
        for cls in form_class.__subclasses__():
            for name, value in vars(cls).items():
                if isinstance(value, UnboundField):
                    kind = value.field_class
                    fields[name] = ("date" if issubclass(kind, DateField | DateTimeField | DateTimeLocalField)
                                    else "number" if issubclass(kind, IntegerField)
                                    else "time" if issubclass(kind, TimeField) else "choice")
            visit(cls)

    visit(FlaskForm)
    return fields


FORM_FIELDS = _form_fields()


class RecordingArgs(ImmutableMultiDict):
    """Query arguments that note which names a view reads ("*" when it reads them all)."""

    read: set[str] = set()

    def get(self, key, default=None, type=None):
        RecordingArgs.read.add(key)
        return super().get(key, default, type)

    def __getitem__(self, key):
        RecordingArgs.read.add(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):
        RecordingArgs.read.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        RecordingArgs.read.add(key)
        return super().__contains__(key)

    def items(self, multi=False):
        RecordingArgs.read.add("*")
        return super().items(multi)

    def to_dict(self, flat=True):
        RecordingArgs.read.add("*")
        return super().to_dict(flat)


class RecordingRequest(Request):
    parameter_storage_class = RecordingArgs


class World:
    """One association holding an object of every kind, and two of each listed kind (one per page)."""

    def __init__(self):
        self.association = make_association("hote", name="Association hôte")
        self.user = make_user(is_network_office=True)
        make_membership(self.association, "admin", self.user)
        self.ids = {model: factory(self.association).id for model, factory in FACTORIES.items()}
        make_beneficiary(self.association)
        make_outbox_message(self.association)
        seat = db.session.get(MODELS_BY_ARG["seat_id"], self.ids[MODELS_BY_ARG["seat_id"]])
        self.link = make_booking_link(self.association, seat.beneficiary)
        exited = make_journey(self.association, make_beneficiary(self.association), exit_situation="job_searching",
                              exited_on=date.today() - timedelta(days=200))
        self.follow_up_token = followups.make_token(exited.id, "6m")
        self.referral_link = make_referral_link(self.association)
        self.completion_token = "jeton-de-complement-" + "y" * 30
        make_referral(self.association, self.referral_link.partner, status="info_requested",
                      completion_token_hash=referrals.digest(self.completion_token))

    def values(self, rule, **override) -> dict:
        values = {}
        for arg, conv in rule._converters.items():
            if arg == "slug":
                values[arg] = self.association.slug
            elif arg == "token" and rule.endpoint.startswith("referrals_public."):
                values[arg] = self.referral_link.token
            elif arg == "token" and rule.endpoint.startswith("referral_completion."):
                values[arg] = self.completion_token
            elif arg == "token" and rule.rule.startswith("/p/"):
                values[arg] = self.link.token
            elif rule.rule.startswith("/f/"):  # a follow-up answer link
                values[arg] = {"token": self.follow_up_token, "answer": "job"}[arg]
            elif isinstance(conv, IntegerConverter):
                values[arg] = self.ids[MODELS_BY_ARG[arg]]
            else:
                values[arg] = "x"
        values.update(override)
        return values


@pytest.fixture
def world(client, monkeypatch):
    world = World()
    with client.session_transaction() as session:
        session.update(signed_in_state(world.user))
    monkeypatch.setattr("intranet.args.PER_PAGE", 1)  # every list shows its pager
    return world


def _build(rule, values: dict) -> str:
    _, path = rule.build({k: v for k, v in values.items()}, append_unknown=False)
    return path


class Failures(list):
    def check(self, client, method: str, url: str, **kwargs):
        """Send one request; note it if it fails or answers a status outside the accepted ones."""
        try:
            response = client.open(url, method=method, **kwargs)
        except Exception as error:  # the test app propagates exceptions: each one is a 500
            db.session.rollback()
            self.append(f"{method} {url!r} {kwargs.get('data') or ''}: {type(error).__name__}: {error}"[:400])
            return None
        if response.status_code not in ACCEPTED:
            self.append(f"{method} {url!r} {kwargs.get('data') or ''}: {response.status_code}")
        return response

    def verdict(self):
        assert not self, f"{len(self)} hostile request(s) failed:\n" + "\n".join(self)


def _path_pass(failures, rule, client, world):
    for arg, conv in rule._converters.items():
        hostile = PATH_INTS if isinstance(conv, IntegerConverter) else PATH_STRINGS
        for value in hostile:
            url = _build(rule, world.values(rule, **{arg: value}))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                failures.check(client, method, url)


def _names_read(app, client, url: str, monkeypatch) -> set[str]:
    """The query argument names the view behind `url` reads (all known names if it reads them all)."""
    RecordingArgs.read = set()
    with monkeypatch.context() as patch:
        patch.setattr(app, "request_class", RecordingRequest)
        try:
            client.get(url)
        except Exception:
            db.session.rollback()
    read = RecordingArgs.read
    return set(QUERY_NAMES) | read - {"*"} if "*" in read else read


def _query_pass(failures, rule, app, client, world, monkeypatch):
    url = _build(rule, world.values(rule))
    for value in QUERY_VALUES:  # every name the app reads at once
        failures.check(client, "GET", f"{url}?{urlencode({n: value for n in QUERY_NAMES})}")
    for name in sorted(_names_read(app, client, url, monkeypatch)):  # each name this page reads, alone
        for value in QUERY_VALUES:
            failures.check(client, "GET", f"{url}?{urlencode({name: value})}")
    keys = {**UNEXPECTED_KEYS, **{arg: "x" for arg in rule.arguments}}
    failures.check(client, "GET", f"{url}?{urlencode(keys)}")
    failures.check(client, "GET", f"{url}?{urlencode({**keys, 'page': '1'})}", headers={"HX-Request": "true"})


class _Forms(HTMLParser):
    """The POST forms of a page: their action and fields, with the values a browser would send."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url, self.forms, self._select = page_url, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method", "").lower() == "post" or "hx-post" in a):
            self.forms.append({"action": a.get("action") or a.get("hx-post") or self.page_url, "fields": {}})
        elif not self.forms or "name" not in a:
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "checkbox", "radio") or tag == "textarea":
            kind = {"date": "date", "number": "number", "time": "time", "hidden": "hidden"}.get(a.get("type"), "text")
            self.forms[-1]["fields"][a["name"]] = (kind, a.get("value") or _plausible(a.get("type")))
        elif tag == "input" and a.get("type") == "checkbox" or tag == "input" and "checked" in a:
            self.forms[-1]["fields"][a["name"]] = ("choice", a.get("value", "y"))  # boxes ticked: the longer path
        elif tag == "select":
            self._select = a["name"]
            self.forms[-1]["fields"][a["name"]] = ("choice", "")
        elif tag == "option" and self._select and a.get("value") and (
                "selected" in a or not self.forms[-1]["fields"][self._select][1]):
            self.forms[-1]["fields"][self._select] = ("choice", a["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _plausible(input_type: str | None) -> str:
    return {"email": "personne@exemple.test", "date": "2027-03-01", "time": "10:00", "number": "1",
            "tel": "0612345678", "password": "un mot de passe assez long"}.get(input_type, "Valeur")


def _forms_pass(failures, rule, client, world):
    """Post back every form the page shows, one hostile field at a time."""
    url = _build(rule, world.values(rule))
    response = failures.check(client, "GET", url)
    parser = _Forms(url)
    # A download (a workbook) holds no form to post back.
    parser.feed(response.get_data(as_text=True) if response is not None and response.mimetype.startswith("text/") else "")
    for form in parser.forms:
        action = urlsplit(form["action"])
        action = action.path + (f"?{action.query}" if action.query else "")
        if action == "/logout":
            continue
        base = {name: value for name, (_, value) in form["fields"].items()}
        texts = {name: "\x00" for name, (kind, _) in form["fields"].items() if kind == "text"}
        if texts:
            failures.check(client, "POST", action, data={**base, **texts})
        for name, (kind, _) in form["fields"].items():
            for value in FORM_VALUES.get(kind, []):
                if name != "csrf_token":
                    failures.check(client, "POST", action, data={**base, name: value})


def _post_pass(failures, rule, client, world):
    """Post every form field the app knows, each with a hostile value of its kind."""
    url = _build(rule, world.values(rule))
    for index in range(4):
        data = {name: FORM_VALUES[kind][index % len(FORM_VALUES[kind])] for name, kind in FORM_FIELDS.items()}
        failures.check(client, "POST", url, data=data)


@pytest.mark.parametrize("rule", [r for r in RULES if r.endpoint != "static"], ids=lambda r: r.endpoint)
def test_hostile_values_never_give_500(rule, app, client, world, monkeypatch):
    failures = Failures()
    _path_pass(failures, rule, client, world)
    if "GET" in rule.methods:
        _query_pass(failures, rule, app, client, world, monkeypatch)
        if rule.rule.startswith(("/a/", "/network", "/me", "/p/", "/account")):
            _forms_pass(failures, rule, client, world)
    if "POST" in rule.methods:
        _post_pass(failures, rule, client, world)
    failures.verdict()


def test_the_walk_reaches_the_pages_it_should():
    """The control: the enumeration sees query names, forms and routes of every space."""
    assert {"page", "day", "volunteer", "seat", "at"} <= set(QUERY_NAMES)
    assert {"birth_date", "valid_from", "duration_minutes", "resource_id"} <= set(FORM_FIELDS)
    assert {"selfbooking.slots", "calendar.week", "network.index", "me.index"} <= {r.endpoint for r in GET_RULES}


# --- what the shared places answer ---------------------------------------------------------------


def test_an_id_too_large_for_the_database_is_404(client, world):
    beneficiary_id = world.ids[MODELS_BY_ARG["beneficiary_id"]]
    assert client.get(f"/a/hote/beneficiaries/{beneficiary_id}").status_code == 200
    for too_large in ("2147483648", HUGE):
        assert client.get(f"/a/hote/beneficiaries/{too_large}").status_code == 404


def test_a_day_outside_the_calendar_shows_today_instead(client, world):
    from intranet.clock import today_in

    today = today_in(world.association.timezone)
    for day in ("9999-12-31", "0001-01-01", "abc"):
        response = client.get(f"/a/hote/calendar?view=day&day={day}")
        assert response.status_code == 200
        assert f"day={(today + timedelta(days=1)).isoformat()}" in response.get_data(as_text=True)


def test_the_pager_keeps_the_filters_and_nothing_else(client, world):
    path = "/a/hote/beneficiaries?sort=name&endpoint=x&_method=POST&_external=1&_anchor=fin&slug=autre&page=1"
    html = client.get(path).get_data(as_text=True)
    link = re.search(r'href="([^"]*page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    assert urlsplit(link).path == "/a/hote/beneficiaries"
    assert sorted(urlsplit(link).query.split("&")) == ["page=2", "sort=name"]


def test_the_pager_survives_url_for_keywords_at_the_normal_page_size(client, world, monkeypatch):
    monkeypatch.setattr("intranet.args.PER_PAGE", 25)
    for _ in range(25):
        make_beneficiary(world.association)
    response = client.get("/a/hote/beneficiaries?endpoint=x&_method=POST&_external=1&_anchor=x")
    assert response.status_code == 200 and 'rel="next"' in response.get_data(as_text=True)


def test_a_date_outside_the_window_is_refused_next_to_its_field(client, world):
    from intranet.beneficiaries.models import Beneficiary

    before = db.session.scalar(select(func.count()).select_from(Beneficiary))
    response = client.post("/a/hote/beneficiaries/new", data={
        "first_name": "Ada", "last_name": "Hors-Limites", "email": "ada@exemple.test", "contact_channel": "email",
        "consent_scope": "all", "birth_date": "0001-01-01", "interview_on": "9999-12-31"})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count("Indiquez une date entre 1900 et 2200.") == 2
    assert db.session.scalar(select(func.count()).select_from(Beneficiary)) == before


def test_an_unknown_resource_is_a_form_error(client, world):
    from intranet.calendar.models import Appointment

    appointment = db.session.get(Appointment, world.ids[Appointment])
    before = (appointment.starts_at, appointment.resource_id)
    for resource_id in ("999999", HUGE, "-1"):
        response = client.post(f"/a/hote/appointments/{appointment.id}/move", data={
            "day": "2027-03-01", "at": "10:00", "volunteer_id": appointment.volunteer_id,
            "resource_id": resource_id, "override": "y"})
        assert response.status_code == 422, resource_id
        db.session.refresh(appointment)
        assert (appointment.starts_at, appointment.resource_id) == before


def test_a_personal_link_refuses_hostile_seats_and_times(client, world):
    from intranet.calendar.models import Seat

    base = f"/p/{world.link.token}"
    assert client.get(f"{base}/done?seat={HUGE}").status_code == 404
    assert client.get(f"{base}/slots?day=9999-12-31").status_code in (200, 302)
    seats = db.session.scalar(select(func.count()).select_from(Seat))
    for at in ("99991231T2359Z", "00010101T0000Z"):
        assert client.get(f"{base}/book?at={at}").status_code == 302
        assert client.post(f"{base}/book", data={"at": at}).status_code in (302, 409)
    assert db.session.scalar(select(func.count()).select_from(Seat)) == seats


def test_a_nul_character_is_refused_before_any_query(client, world):
    assert client.get("/a/hote/beneficiaries?q=%00").status_code == 400
    assert client.get("/a/%00/").status_code == 400
    assert client.post("/a/hote/beneficiaries/new", data={"first_name": "A\x00"}).status_code == 400
