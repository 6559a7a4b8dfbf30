"""Public pages (no account: sign-in and its links, /p/, /f/, /feeds/): a GET never writes.

Every GET route outside the association, network and personal spaces is enumerated from the
URL map and opened with a valid token; the whole database is compared before and after. A mail
scanner or a link preview opens every link of a mail: only a button (a POST) may change anything.
A new public route needs its arguments in `ARGUMENTS` below, or this test fails and says so.
"""

import re
from datetime import time, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from intranet import create_app
from intranet.auth import services as auth
from intranet.clock import local, to_utc, utcnow
from intranet.extensions import db
from intranet.followups import services as followups
from intranet.members.services import invite
from intranet.notifications import feed
from intranet.partners.referrals import services as referrals
from intranet.selfbooking import services as selfbooking
from tests.factories import (
    make_appointment,
    make_association,
    make_beneficiary,
    make_booking_link,
    make_journey,
    make_referral,
    make_referral_link,
    make_user,
    make_volunteer,
)

_APP = create_app()
PRIVATE = ("/a/", "/network", "/me/")


def public_get_rules():
    return sorted((r for r in _APP.url_map.iter_rules() if "GET" in r.methods and not r.rule.startswith(PRIVATE)),
                  key=lambda r: r.rule)


def _snapshot() -> dict[str, list]:
    """Every row of every table, in a comparable form."""
    db.session.expire_all()
    return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
            for table in db.metadata.sorted_tables}


@pytest.fixture
def tokens(db, sent_mail):
    """A valid token for each kind of public link, and the objects they open."""
    association = make_association("bordeaux")
    coach = make_volunteer(association)
    feed_token = feed.new_token(coach)
    beneficiary = make_beneficiary(association, first_name="Yasmine", email="yasmine@exemple.test")
    make_journey(association, beneficiary, modules=2)
    exited = make_journey(association, make_beneficiary(association), exited_on=local(
        utcnow(), association.timezone).date() - timedelta(days=200), exit_situation="job_searching")
    day = local(utcnow(), association.timezone).date() + timedelta(days=10)
    appointment = make_appointment(association, starts_at=to_utc(day, time(10, 0), association.timezone),
                                   volunteer=coach, beneficiary=beneficiary)
    link = make_booking_link(association, beneficiary)
    referral_link = make_referral_link(association)
    completion = "jeton-de-complement-" + "x" * 30
    make_referral(association, referral_link.partner, status="info_requested", info_request="Ses disponibilités ?",
                  completion_token_hash=referrals.digest(completion))
    invite(association, email="nouvelle@exemple.test", name="Nouvelle", role="staff", invited_by=None)
    db.session.commit()
    invitation_link = sent_mail("nouvelle@exemple.test")[0][1]
    seat = appointment.seats[0]
    return {
        "selfbooking": {"token": link.token, "seat_id": seat.id},
        "selfbooking.query": {"seat": seat.id, "at": appointment.starts_at.strftime(selfbooking.SLOT_KEY),
                              "day": day.isoformat(), "moved": "1"},
        "followups_public": {"token": followups.make_token(exited.id, "6m"), "answer": "job"},
        "referrals_public": {"token": referral_link.token},
        "referral_completion": {"token": completion},
        "feeds": {"token": feed_token},
        "auth.reset_password": {"token": auth.make_token(make_user(), auth.PASSWORD_RESET)},
        "invitations.accept": {"token": re.search(r"/invitation/([\w-]+)", invitation_link).group(1)},
        "static": {"filename": "app.css"},
    }


def _arguments(rule, tokens) -> dict:
    for key in (rule.endpoint, rule.endpoint.split(".")[0]):
        if key in tokens:
            return {arg: tokens[key][arg] for arg in rule.arguments}
    assert not rule.arguments, f"{rule.rule}: give this public route a valid token in the `tokens` fixture"
    return {}


def test_the_enumeration_finds_every_kind_of_public_link():
    endpoints = {r.endpoint for r in public_get_rules()}
    assert {"followups_public.answer", "selfbooking.home", "selfbooking.cancel_question", "feeds.calendar",
            "referrals_public.form", "referral_completion.form",
            "auth.reset_password", "invitations.accept", "auth.login"} <= endpoints


@pytest.mark.parametrize("rule", public_get_rules(), ids=lambda r: r.endpoint)
def test_a_public_get_writes_nothing(rule, tokens, client):
    with client.application.test_request_context():
        url = url_for(rule.endpoint, **_arguments(rule, tokens))
    query = tokens["selfbooking.query"] if rule.endpoint.startswith("selfbooking.") else {}
    before = _snapshot()
    response = client.get(url, query_string=query)
    assert response.status_code < 500
    if rule.arguments - {"filename"}:
        assert response.status_code == 200, f"{url}: the token should open the page"
    assert _snapshot() == before
