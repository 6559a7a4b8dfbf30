"""The volunteers' and partners' figures of the network on a small crafted network, against hand-computed values;
the association home's lists of what to handle, and the sessions waiting for their log."""

from datetime import UTC, date, datetime, timedelta

import pytest

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.partners.models import Interaction, Partner, StageChange
from intranet.reporting import dashboard, figures, trends
from intranet.reporting.formats import format_figure
from intranet.reporting.periods import Filters, Period
from intranet.volunteers import services as volunteer_services
from intranet.volunteers.models import HourlyRate, Qualification
from tests.factories import (
    make_appointment,
    make_membership,
    make_partner,
    make_referral,
    make_session_log,
    make_training,
    make_training_enrolment,
    make_training_session,
    make_volunteer,
    make_volunteer_activity,
    profile_of,
)

NOVEMBER = Period("custom", date(2026, 11, 1), date(2026, 11, 30))


def at(day: int, month: int = 11, hour: int = 9, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def november(**fields) -> Filters:
    return Filters(NOVEMBER, **fields)


def qualification(membership, code: str, obtained_on: date, valid_until: date | None = None, **fields) -> Qualification:
    row = Qualification(association_id=membership.association_id, profile_id=profile_of(membership).id, code=code,
                        obtained_on=obtained_on, valid_until=valid_until, source="manual", **fields)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def crew(bordeaux, lyon):
    """Bordeaux: A coached twice in November (90 min logged on the 3rd, 45 min planned and not logged on the
    20th, remote), missed one and coached in October; B attended a 3-hour training on the 10th and sorted clothes
    for 2 hours on the 25th; C was absent from that training but got a remote qualification on the 12th; D's
    qualification ends on the 20th. Lyon: A again (60 min on the 8th), E qualified on the 3rd. The hour is worth
    12.02 € until the 15th and 15 € from the 16th."""
    db.session.add(HourlyRate(effective_from=date(2026, 11, 16), cents=1500, note="Test"))
    a = make_volunteer(bordeaux, "Alice Coach")
    first = make_appointment(bordeaux, starts_at=at(3), volunteer=a, module_code="in_person", status="done")
    make_session_log(bordeaux, first, minutes=90)
    remote = make_appointment(bordeaux, starts_at=at(20), volunteer=a, module_code="remote", status="done")
    remote.ends_at = remote.starts_at + timedelta(minutes=45)
    make_appointment(bordeaux, starts_at=at(5), volunteer=a, module_code="in_person", status="no_show")
    october = make_appointment(bordeaux, starts_at=at(28, 10), volunteer=a, module_code="in_person", status="done")
    make_session_log(bordeaux, october, minutes=120)

    b, c, d = (make_membership(bordeaux, "volunteer") for _ in range(3))
    training = make_training(bordeaux, grants="coaching_rh", validity_months=24, duration_minutes=180)
    session = make_training_session(bordeaux, training, starts_at=at(10))
    make_training_enrolment(bordeaux, session, profile_of(b), attendance="present")
    make_training_enrolment(bordeaux, session, profile_of(c), attendance="absent")
    volunteer_services.complete(session, now=at(10, hour=14))  # B gets coaching_rh from the 10th
    make_volunteer_activity(bordeaux, profile_of(b), done_on=date(2026, 11, 25), minutes=120)
    qualification(c, "coup_de_pouce", date(2026, 11, 12))

    qualification(d, "coaching_image", date(2024, 11, 20), date(2026, 11, 20))  # ends in November
    qualification(d, "coaching_rh", date(2024, 11, 25), date(2026, 11, 25))  # ends, but renewed:
    qualification(d, "coaching_rh", date(2026, 10, 15), date(2028, 10, 15))
    qualification(d, "seance_photo", date(2024, 11, 22), date(2026, 11, 22), withdrawn_on=date(2026, 11, 1))
    gone = make_membership(bordeaux, "volunteer", state="deactivated")
    qualification(gone, "coaching_image", date(2024, 11, 15), date(2026, 11, 15))  # someone who left

    make_membership(lyon, "volunteer", a)
    in_lyon = make_appointment(lyon, starts_at=at(8), volunteer=a, module_code="in_person", status="done")
    make_session_log(lyon, in_lyon, minutes=60)
    e = make_membership(lyon, "volunteer")
    qualification(e, "coaching_rh", date(2026, 11, 3))
    qualification(e, "coaching_image", date(2024, 12, 5), date(2026, 12, 5))  # ends in December
    db.session.commit()
    return bordeaux, lyon


def test_volunteers_active_and_trained_count_each_person_once(crew):
    bordeaux, lyon = crew
    values = figures.compute(november())
    assert values[bordeaux.id]["volunteers_active"] == 2  # A and B; C and D gave no time
    assert values[lyon.id]["volunteers_active"] == 1  # A
    assert values[None]["volunteers_active"] == 2  # A counts once in the network
    assert values[bordeaux.id]["volunteers_trained"] == 2  # B (training and its qualification), C (qualification)
    assert values[lyon.id]["volunteers_trained"] == 1
    assert values[None]["volunteers_trained"] == 3


def test_qualifications_ending_in_the_period_leave_out_renewed_withdrawn_and_former_members(crew):
    bordeaux, lyon = crew
    values = figures.compute(november())
    assert values[bordeaux.id]["qualifications_expiring"] == 1
    assert "qualifications_expiring" not in values[lyon.id]  # E's ends in December
    assert values[None]["qualifications_expiring"] == 1


def test_volunteer_hours_and_their_value_at_the_rate_of_each_day(crew):
    bordeaux, lyon = crew
    values = figures.compute(november())
    b = values[bordeaux.id]
    assert (b["volunteer_hours_coaching"], b["volunteer_hours_training"], b["volunteer_hours_other"]) == (
        pytest.approx(135 / 60), 3, 2)
    assert b["volunteer_hours"] == pytest.approx(7.25)
    # 90 min at 12.02 €, 45 min at 15 €, 180 min at 12.02 €, 120 min at 15 €
    assert b["volunteer_value"] == pytest.approx(18.03 + 11.25 + 36.06 + 30.00)
    assert values[lyon.id]["volunteer_hours"] == 1 and values[lyon.id]["volunteer_value"] == pytest.approx(12.02)
    assert values[None]["volunteer_hours"] == pytest.approx(8.25)
    assert values[None]["volunteer_value"] == pytest.approx(95.34 + 12.02)


def test_a_program_keeps_its_sessions_and_what_qualifies_for_them(crew):
    bordeaux, lyon = crew
    remote = figures.compute(november(program="remote"))
    b = remote[bordeaux.id]
    assert (b["volunteers_active"], b["volunteers_trained"], b["volunteer_hours"]) == (1, 1, 0.75)  # A; C
    assert b["volunteer_hours_training"] == 0 and b["volunteer_hours_other"] == 0
    assert "volunteers_trained" not in remote.get(lyon.id, {})
    assert "qualifications_expiring" not in b  # coaching_image is not the remote program's
    in_person = figures.compute(november(program="in_person"))
    assert in_person[bordeaux.id]["volunteers_trained"] == 1  # B: the training grants coaching_rh
    assert in_person[bordeaux.id]["volunteer_hours"] == pytest.approx(1.5 + 3)
    assert in_person[None]["volunteers_trained"] == 2 and in_person[None]["qualifications_expiring"] == 1


def test_the_remote_headline_shows_volunteers_trained_for_the_remote_program(crew):
    headline = dashboard.remote_headline(november())
    assert headline["volunteers_trained"] == 1 and headline["volunteer_hours"] == 0.75


def test_the_association_filter_and_the_territory_filters(crew):
    bordeaux, lyon = crew
    only_lyon = figures.compute(november(associations=(lyon.id,)))
    assert bordeaux.id not in only_lyon
    assert (only_lyon[None]["volunteers_active"], only_lyon[None]["volunteer_hours"]) == (1, 1)
    # The territory concerns the people accompanied: the volunteers' figures stay the same.
    assert figures.compute(november(department="24"))[None]["volunteers_active"] == 2


def test_twelve_months_of_volunteer_hours(crew):
    series = {s.key: s for s in trends.trends(november(), {"people": "p", "sessions": "s", "no_shows": "n",
                                                            "volunteer_hours": "h"})}
    assert [v for _, v in series["volunteer_hours"].points][-2:] == [2, 8]  # 120 min in October, 8.25 h


# --- partners ------------------------------------------------------------------------------------------------


def partner(association, created: datetime, stages=(), active: bool = True, **fields) -> Partner:
    """A partner and its stage history: (stage, when) from its creation on."""
    p = make_partner(association, created_at=created, active=active, stage=stages[-1][0] if stages else "prospect",
                     **fields)
    previous = ""
    for stage, when in stages:
        db.session.add(StageChange(association_id=association.id, partner_id=p.id, from_stage=previous, to_stage=stage,
                                   changed_at=when))
        previous = stage
    db.session.commit()
    return p


def exchange(p: Partner, on: date, kind: str = "meeting") -> None:
    db.session.add(Interaction(association_id=p.association_id, partner_id=p.id, happened_on=on, kind=kind))
    db.session.commit()


def referral(p: Partner, on: date, status: str = "pending") -> None:
    make_referral(p.association, p, received_at=datetime.combine(on, datetime.min.time(), UTC), received_on=on,
                  status=status)


@pytest.fixture
def partnerships(bordeaux, lyon):
    """Bordeaux: P1 met twice before its first referral (18 Nov), P2 referred since 2025, P3 a prospect in November
    (first contact in December), P4 deactivated, P5 created in December. Lyon: L1 met five times before its
    first referral (2 Nov), L2 only called before its first (3 Nov), L3 referred with no exchange before."""
    p1 = partner(bordeaux, at(10, 1), [("prospect", at(10, 1)), ("first_contact", at(1, 2)), ("meetings", at(1, 3)),
                                       ("active", at(20))])
    exchange(p1, date(2026, 2, 1), "call")
    exchange(p1, date(2026, 3, 1))
    exchange(p1, date(2026, 4, 2))
    exchange(p1, date(2026, 11, 25))  # after its first referral
    referral(p1, date(2026, 11, 18), "accepted")
    referral(p1, date(2026, 11, 26))
    p2 = partner(bordeaux, at(1, 5, year=2025), [("active", at(1, 6, year=2025))])
    exchange(p2, date(2025, 5, 1))
    referral(p2, date(2025, 7, 1), "accepted")
    referral(p2, date(2026, 11, 5), "refused")
    partner(bordeaux, at(10), [("prospect", at(10)), ("first_contact", at(2, 12))])
    partner(bordeaux, at(1, 3), [("active", at(1, 3))], active=False)
    partner(bordeaux, at(3, 12), [("prospect", at(3, 12))])
    l1 = partner(lyon, at(1, 2), [("meetings", at(1, 2))])
    for day in (date(2026, 9, 1), date(2026, 9, 15), date(2026, 10, 1), date(2026, 10, 20), date(2026, 10, 30)):
        exchange(l1, day)
    referral(l1, date(2026, 11, 2), "accepted")
    l2 = partner(lyon, at(1, 6))  # no stage history: its stage today
    exchange(l2, date(2026, 11, 1), "call")
    referral(l2, date(2026, 11, 3))
    l3 = partner(lyon, at(1, 6))
    referral(l3, date(2026, 11, 4), "accepted")
    return bordeaux, lyon


def test_partners_by_their_stage_at_the_end_of_the_period(partnerships):
    bordeaux, lyon = partnerships
    values = figures.compute(november())
    b = values[bordeaux.id]
    assert (b["partners"], b["partners_active"], b["partners_prospect"], b["partners_first_contact"]) == (3, 2, 1, 0)
    assert (values[lyon.id]["partners_meetings"], values[lyon.id]["partners_prospect"]) == (1, 2)
    assert values[None]["partners"] == 6 and values[None]["partners_active"] == 2


def test_referrals_received_and_accepted_in_the_period(partnerships):
    bordeaux, lyon = partnerships
    values = figures.compute(november())
    assert (values[bordeaux.id]["referrals_received"], values[bordeaux.id]["referrals_accepted"]) == (3, 1)
    assert (values[lyon.id]["referrals_received"], values[lyon.id]["referrals_accepted"]) == (3, 2)
    assert (values[None]["referrals_received"], values[None]["referrals_accepted"]) == (6, 3)


def test_average_meetings_before_a_first_referral_in_the_period(partnerships):
    bordeaux, lyon = partnerships
    values = figures.compute(november())
    assert values[bordeaux.id]["first_referral_meetings"] == 2  # P1 (P2's first referral was in 2025)
    assert values[lyon.id]["first_referral_meetings"] == pytest.approx(2.5)  # L1: 5, L2: 0; L3 had no exchange
    assert values[None]["first_referral_meetings"] == pytest.approx(7 / 3)
    assert figures.compute(Filters(Period("custom", date(2025, 7, 1), date(2025, 7, 31))))[None][
        "first_referral_meetings"] == 1  # P2


def test_partner_figures_follow_the_association_filter(partnerships):
    bordeaux, lyon = partnerships
    only_bordeaux = figures.compute(november(associations=(bordeaux.id,)))
    assert lyon.id not in only_bordeaux
    assert only_bordeaux[None]["referrals_received"] == 3 and only_bordeaux[None]["first_referral_meetings"] == 2


def test_figures_read_in_euros_and_decimals(app):
    with app.test_request_context():
        assert format_figure(1234.6, "euros") == "1\u202f235\xa0€"
        assert format_figure(7 / 3, "decimal") == "2,3"
        assert format_figure(None, "euros") == "—"


NOVEMBER_ARGS = "period=custom&from=2026-11-01&to=2026-11-30"


def test_the_network_page_shows_the_volunteers_and_partners(client, crew, partnerships, login_as):
    login_as("network")
    page = client.get(f"/network/?{NOVEMBER_ARGS}").get_data(as_text=True)
    assert "Bénévoles formé·es" in page and "Heures de bénévolat" in page and "Orientations reçues" in page
    remote = page[page.index('id="remote-title"'):page.index('id="compare-title"')]
    assert "Bénévoles formé·es" in remote
    assert 'id="chart-volunteer_hours"' in page
    assert "ne s’appliquent pas" in page


# --- the association's home and the sessions waiting for their log ---------------------------------------------


@pytest.fixture
def to_handle(bordeaux, lyon):
    """For each association: a pending referral, a next step due, a qualification ending in 10 days, a session over
    yesterday without a log. Bordeaux also has what is not to handle: a referral accepted, a step done or coming,
    a session logged, cancelled, coming or older than 30 days."""
    now, today = utcnow(), date.today()
    rows = {}
    for association, name in ((bordeaux, "Bordelais"), (lyon, "Lyonnais")):
        p = make_partner(association, name=f"Partenaire {name}")
        make_referral(association, p, first_name="Orienté", last_name=name)
        db.session.add(Interaction(association_id=association.id, partner_id=p.id, happened_on=today - timedelta(days=9),
                                   next_step=f"Rappeler {name}", next_step_due=today - timedelta(days=2)))
        qualification(make_membership(association, "volunteer"), "coaching_rh", today - timedelta(days=700),
                      today + timedelta(days=10))
        coach = make_volunteer(association, f"Coach {name}")
        make_appointment(association, starts_at=now - timedelta(days=1), volunteer=coach, name=f"Séance {name}")
        rows[association.slug] = (p, coach)
    p, coach = rows["bordeaux"]
    make_referral(bordeaux, p, last_name="Déjàaccepté", status="accepted")
    db.session.add_all([
        Interaction(association_id=bordeaux.id, partner_id=p.id, happened_on=today, next_step="Étape faite",
                    next_step_due=today - timedelta(days=1), next_step_done_at=now),
        Interaction(association_id=bordeaux.id, partner_id=p.id, happened_on=today, next_step="Étape à venir",
                    next_step_due=today + timedelta(days=3))])
    make_session_log(bordeaux, make_appointment(bordeaux, starts_at=now - timedelta(days=2), volunteer=coach,
                                                name="Séance notée", status="done"))
    make_appointment(bordeaux, starts_at=now - timedelta(days=3), volunteer=coach, name="Séance annulée",
                     status="cancelled")
    make_appointment(bordeaux, starts_at=now + timedelta(days=1), volunteer=coach, name="Séance à venir")
    make_appointment(bordeaux, starts_at=now - timedelta(days=40), volunteer=coach, name="Séance ancienne",
                     status="done")
    db.session.commit()
    return bordeaux, lyon


def test_the_home_lists_what_to_handle_with_links(client, to_handle, login_as):
    bordeaux, lyon = to_handle
    login_as("staff", bordeaux)
    page = client.get("/a/bordeaux/").get_data(as_text=True)
    section = page[page.index('id="to-handle-title"'):page.index('id="esf-title"')]
    for text in ("Orienté Bordelais", "Rappeler Bordelais", "Séance Bordelais", "/a/bordeaux/referrals",
                 "/a/bordeaux/partners/follow-ups", "/a/bordeaux/volunteers/watch", "/a/bordeaux/volunteers/sessions/to-log"):
        assert text in section
    assert "1</strong> orientation attend" in section and "1</strong> prochaine étape" in section
    assert "1</strong> habilitation expire" in section and "1</strong> séance terminée" in section
    for text in ("Déjàaccepté", "Étape faite", "Étape à venir", "Séance notée", "Séance annulée", "Séance à venir",
                 "Séance ancienne"):
        assert text not in section


def test_the_home_shows_only_its_association(client, to_handle, login_as):
    bordeaux, lyon = to_handle
    login_as("staff", bordeaux)
    page = client.get("/a/bordeaux/").get_data(as_text=True)
    assert "Lyonnais" not in page and "Tremplin Lyon" not in page


def test_the_home_says_when_there_is_nothing_to_handle(client, bordeaux, login_as):
    login_as("staff", bordeaux)
    page = client.get("/a/bordeaux/").get_data(as_text=True)
    for text in ("Aucune orientation en attente.", "Aucune relance prévue", "Aucune habilitation n’expire",
                 "Chaque séance terminée a son compte rendu."):
        assert text in page


def _more_to_handle(association, n: int) -> None:
    now, today = utcnow(), date.today()
    p = make_partner(association)
    coach = make_volunteer(association)
    for i in range(n):
        make_referral(association, p)
        db.session.add(Interaction(association_id=association.id, partner_id=p.id, happened_on=today,
                                   next_step=f"Étape {i}", next_step_due=today, next_step_owner_id=coach.id))
        qualification(make_membership(association, "volunteer"), "coaching_rh", today - timedelta(days=700),
                      today + timedelta(days=5 + i))
        make_appointment(association, starts_at=now - timedelta(days=1, hours=i), volunteer=coach)
    db.session.commit()


def test_the_home_runs_the_same_statements_for_1_and_12_of_each(client, bordeaux, login_as, count_queries):
    login_as("staff", bordeaux)
    _more_to_handle(bordeaux, 1)
    client.get("/a/bordeaux/")
    with count_queries() as few:
        client.get("/a/bordeaux/")
    _more_to_handle(bordeaux, 11)
    with count_queries() as more:
        client.get("/a/bordeaux/")
    assert len(more) == len(few)


def test_the_sessions_waiting_for_their_log(client, to_handle, login_as):
    login_as("staff", to_handle[0])
    page = client.get("/a/bordeaux/volunteers/sessions/to-log").get_data(as_text=True)
    assert "Séance Bordelais" in page and "Coach Bordelais" in page and "Compléter" in page
    for text in ("Lyonnais", "Séance notée", "Séance annulée", "Séance à venir", "Séance ancienne"):
        assert text not in page


def test_the_sessions_waiting_for_their_log_say_when_there_is_none(client, staff):
    assert "Aucune : chaque séance terminée" in client.get("/a/bordeaux/volunteers/sessions/to-log").get_data(
        as_text=True)


def test_the_sessions_waiting_for_their_log_run_the_same_statements_for_2_and_30(client, staff, bordeaux,
                                                                                  count_queries):
    _more_to_handle(bordeaux, 2)
    client.get("/a/bordeaux/volunteers/sessions/to-log")
    with count_queries() as few:
        client.get("/a/bordeaux/volunteers/sessions/to-log")
    _more_to_handle(bordeaux, 28)
    with count_queries() as more:
        client.get("/a/bordeaux/volunteers/sessions/to-log")
    assert len(more) == len(few)


def test_volunteers_see_neither_the_home_nor_the_sessions_to_log(client, bordeaux, login_as):
    login_as("volunteer", bordeaux)
    assert client.get("/a/bordeaux/").status_code == 403
    assert client.get("/a/bordeaux/volunteers/sessions/to-log").status_code == 403
