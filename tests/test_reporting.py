"""The network's figures on a small crafted network, each checked against values computed by hand."""

from datetime import UTC, date, datetime, timedelta

import pytest

from intranet.calendar.models import Seat
from intranet.extensions import db
from intranet.journeys.models import Journey, JourneyModule
from intranet.reporting import dashboard, figures, medians, trends
from intranet.reporting.periods import Filters, Period, PeriodKind
from intranet.reporting.registry import figures_by_key
from tests.factories import make_appointment, make_beneficiary, make_outbox_message, make_volunteer, program

NOVEMBER = Period("custom", date(2026, 11, 1), date(2026, 11, 30))


def at(day: int, month: int = 11, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def person(association, created: datetime, postcode: str, rural: str = "no", **fields):
    b = make_beneficiary(association, postcode=postcode, rural=rural, **fields)
    b.created_at = created
    db.session.commit()
    return b


def journey(association, beneficiary, started: date, programs=("in_person",), **fields) -> Journey:
    j = Journey(association_id=association.id, beneficiary_id=beneficiary.id, started_on=started, **fields)
    j.modules = [JourneyModule(association_id=association.id, module_id=program(code).modules[0].id, position=i,
                               name="module") for i, code in enumerate(programs, 1)]
    db.session.add(j)
    db.session.commit()
    return j


@pytest.fixture
def network(bordeaux, lyon):
    """Bordeaux: 3 people in November (B2 both programs, from Dordogne, rural), one exit six months before;
    Lyon: one remote person. Hand-computed figures are in the tests below."""
    coach_b, coach_l = make_volunteer(bordeaux), make_volunteer(lyon)
    b1 = person(bordeaux, at(20, 10), "33000")
    b2 = person(bordeaux, at(2), "24100", rural="yes")
    b3 = person(bordeaux, at(5), "33100")
    b4 = person(bordeaux, at(1, 3), "33000")
    b5 = person(bordeaux, at(1, 8), "33000")
    journey(bordeaux, b1, date(2026, 10, 25))
    j2 = journey(bordeaux, b2, date(2026, 11, 2), ("remote", "in_person"), exited_on=date(2026, 11, 20),
                 exit_situation="employment")
    journey(bordeaux, b3, date(2026, 11, 5), exited_on=date(2026, 11, 25), exit_situation="job_searching")
    j4 = journey(bordeaux, b4, date(2026, 3, 1), exited_on=date(2026, 5, 20), exit_situation="education_training",
                 follow_up_result="employment", answer_6m="job")
    j5 = journey(bordeaux, b5, date(2026, 9, 1), exited_on=date(2026, 10, 10), exit_situation="employment")
    make_appointment(bordeaux, starts_at=at(3), beneficiary=b1, volunteer=coach_b, module_code="in_person", status="done")
    make_appointment(bordeaux, starts_at=at(10), beneficiary=b2, volunteer=coach_b, status="done")
    make_appointment(bordeaux, starts_at=at(12), beneficiary=b2, volunteer=coach_b, status="no_show")
    make_appointment(bordeaux, starts_at=at(6), beneficiary=b3, volunteer=coach_b, module_code="in_person",
                     status="cancelled")
    make_appointment(bordeaux, starts_at=at(15), beneficiary=b3, volunteer=coach_b, module_code="in_person",
                     status="done")
    workshop = make_appointment(bordeaux, starts_at=at(18), beneficiary=b1, volunteer=coach_b,
                                module_code="in_person", status="done", capacity=6)
    db.session.add(Seat(association_id=bordeaux.id, appointment_id=workshop.id, beneficiary_id=b3.id))
    make_appointment(bordeaux, starts_at=at(20, 10), beneficiary=b5, volunteer=coach_b, status="done")  # October
    l1 = person(lyon, at(10), "69001")
    journey(lyon, l1, date(2026, 11, 10), ("remote",))
    make_appointment(lyon, starts_at=at(30), beneficiary=l1, volunteer=coach_l, status="done")
    for kind in ("appointment_booked", "appointment_booked", "appointment_reminder"):
        make_outbox_message(bordeaux, kind=kind, status="sent", created_at=at(8), sent_at=at(8))
    make_outbox_message(bordeaux, kind="follow_up_6m", status="sent", created_at=at(19), sent_at=at(19), journey_id=j4.id)
    make_outbox_message(bordeaux, kind="follow_up_1m", status="sent", created_at=at(9), sent_at=at(9), journey_id=j5.id)
    make_outbox_message(bordeaux, kind="appointment_booked", status="pending", created_at=at(8))  # not sent
    make_outbox_message(bordeaux, kind="invitation", status="sent", created_at=at(8), sent_at=at(8))  # not automatic
    make_outbox_message(bordeaux, kind="appointment_booked", status="sent", created_at=at(8, 10), sent_at=at(8, 10))
    make_outbox_message(lyon, kind="follow_up_1m", status="sent", created_at=at(9), sent_at=at(9), journey_id=j2.id)
    db.session.commit()
    return bordeaux, lyon


def november(**fields) -> Filters:
    return Filters(NOVEMBER, **fields)


def test_people_new_files_and_exits(network):
    bordeaux, lyon = network
    values = figures.compute(november())
    assert {k: values[bordeaux.id][k] for k in ("people", "people_in_person", "people_remote", "people_both",
                                                "new_files", "journeys_completed")} == {
        "people": 3, "people_in_person": 2, "people_remote": 0, "people_both": 1, "new_files": 2,
        "journeys_completed": 2}
    assert values[lyon.id]["people"] == 1 and values[lyon.id]["people_remote"] == 1
    assert values[None]["people"] == 4 and values[None]["new_files"] == 3 and values[None]["people_both"] == 1


def test_sessions_rates_and_median_days_to_a_first_appointment(network):
    bordeaux, lyon = network
    values = figures.compute(november())
    b = values[bordeaux.id]
    assert (b["sessions_individual"], b["sessions_collective"]) == (3, 1)
    assert b["no_show_rate"] == pytest.approx(1 / 5)  # 1 no-show among 5 held or missed
    assert b["cancellation_rate"] == pytest.approx(1 / 6)  # 1 cancelled among 6 in November
    assert b["first_appointment_days"] == 10  # 14, 8, 10 days (the cancelled one does not count)
    assert values[lyon.id]["first_appointment_days"] == 20
    assert values[None]["first_appointment_days"] == 12  # 8, 10, 14, 20
    assert values[None]["no_show_rate"] == pytest.approx(1 / 6)
    assert values[None]["cancellation_rate"] == pytest.approx(1 / 7)


def test_outcomes_at_exit_six_months_and_follow_up_answers(network):
    bordeaux, lyon = network
    b = figures.compute(november())[bordeaux.id]
    assert (b["exit_employment"], b["exit_job_searching"], b["exits"]) == (1, 1, 2)
    assert b["positive_share"] == pytest.approx(0.5)
    assert b["six_months_employment"] == 1  # the exit of 20 May, six months before November
    assert b["follow_up_answer_rate"] == pytest.approx(0.5)  # two follow-ups sent, one answered


def test_automatic_mail_and_the_time_it_saved(network):
    bordeaux, lyon = network
    filters = november()
    filters.extra["minutes"] = 6
    b = figures.compute(filters)[bordeaux.id]
    assert (b["emails_confirmations"], b["emails_reminders"], b["emails_follow_ups"], b["emails_sent"]) == (2, 1, 2, 5)
    assert b["hours_saved"] == pytest.approx(5 * 6 / 60)
    assert figures.compute(november())[bordeaux.id]["hours_saved"] == pytest.approx(5 * 3 / 60)


def test_program_territory_and_association_filters(network):
    bordeaux, lyon = network
    remote = figures.compute(november(program="remote"))
    assert remote[None]["people"] == 2 and remote[None]["sessions_individual"] == 2
    assert figures.compute(november(department="24"))[None]["people"] == 1
    rural = figures.compute(november(rural="yes"))
    assert rural[None]["people"] == 1 and rural[None]["sessions_individual"] == 1
    only_lyon = figures.compute(november(associations=(lyon.id,)))
    assert bordeaux.id not in only_lyon and only_lyon[None]["people"] == 1


def test_people_by_department_and_twelve_months(network):
    assert trends.people_by_department(november()) == {"33": 2, "24": 1, "69": 1}
    series = {s.key: s for s in trends.trends(november(), {"people": "p", "sessions": "s", "no_shows": "n", "volunteer_hours": "h"})}
    assert [v for _, v in series["people"].points][-2:] == [2, 4]  # October: B1 and B5; November: 4
    assert [v for _, v in series["sessions"].points][-2:] == [1, 5]
    assert [v for _, v in series["no_shows"].points][-1] == 1


def test_network_medians_and_the_remote_headline(network):
    bordeaux, lyon = network
    values = figures.compute(november())
    medians = dashboard.network_medians(values, [bordeaux.id, lyon.id])
    assert medians["people"] == 2 and medians["first_appointment_days"] == 15
    headline = dashboard.remote_headline(november())
    assert headline["people"] == 2 and headline["sessions_individual"] == 2


@pytest.mark.parametrize("kind, start, end", [
    ("month", date(2026, 12, 1), date(2026, 12, 31)), ("last_month", date(2026, 11, 1), date(2026, 11, 30)),
    ("quarter", date(2026, 10, 1), date(2026, 12, 31)), ("year", date(2026, 1, 1), date(2026, 12, 31))])
def test_periods(kind, start, end):
    period = Period.of(kind, date(2026, 12, 2))
    assert (period.start, period.end) == (start, end)


def test_custom_dates_are_put_in_order():
    period = Period.of(PeriodKind.CUSTOM, date(2026, 12, 2), date(2026, 11, 30), date(2026, 11, 1))
    assert (period.start, period.end) == (date(2026, 11, 1), date(2026, 11, 30))


# --- the pages and who sees them -----------------------------------------------------------------------------

NOVEMBER_ARGS = "period=custom&from=2026-11-01&to=2026-11-30"


def test_association_users_never_see_the_network_view(client, network, login_as):
    bordeaux, lyon = network
    login_as("admin", bordeaux)
    assert client.get("/network/").status_code == 403
    assert client.get(f"/network/figures/{lyon.id}").status_code == 403


def test_the_association_home_compares_with_the_median_without_naming_anyone(client, network, login_as):
    bordeaux, lyon = network
    login_as("staff", bordeaux)
    page = client.get("/a/bordeaux/?period=last_month").get_data(as_text=True)
    assert "Médiane du réseau" in page and "Tremplin Lyon" not in page and "lyon" not in page.lower()


def test_the_network_page_shows_totals_comparison_chart_and_map_without_personal_data(client, network, login_as):
    login_as("network")
    page = client.get(f"/network/?{NOVEMBER_ARGS}").get_data(as_text=True)
    assert "Tremplin Bordeaux" in page and "Tremplin Lyon" in page
    assert 'class="bar-chart"' in page and 'id="france-map"' in page and "Gironde (33)" in page
    assert "Nomsecret" not in page and "beneficiaire" not in page


def test_filters_answer_htmx_with_the_figures_only(client, network, login_as):
    login_as("network")
    response = client.get(f"/network/?{NOVEMBER_ARGS}&sort=name&order=desc", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="figures"') and "<html" not in html
    table = html[html.index('id="compare-title"'):]
    assert table.index("Tremplin Lyon") < table.index("Tremplin Bordeaux")


def test_changing_a_date_in_place_chooses_custom_dates(client, network, login_as):
    login_as("network")
    html = client.get("/network/?period=month&from=2026-11-01&to=2026-11-30",
                      headers={"HX-Request": "true", "HX-Trigger-Name": "from"}).get_data(as_text=True)
    assert 'value="custom" selected' in html


def test_the_drill_down_is_read_only_and_shows_no_file(client, network, login_as):
    bordeaux, lyon = network
    login_as("network")
    page = client.get(f"/network/figures/{bordeaux.id}?{NOVEMBER_ARGS}").get_data(as_text=True)
    assert "Tremplin Bordeaux" in page and 'method="post"' not in page.replace('action="/logout"', "").split("<main")[1]
    assert "Nomsecret" not in page and "/beneficiaries/" not in page


def test_the_network_page_runs_the_same_statements_whatever_the_number_of_associations(
        client, network, login_as, count_queries):
    from tests.factories import (
        make_association,
        make_interaction,
        make_partner,
        make_qualification,
        make_referral,
        make_session_log,
        make_training_enrolment,
        make_training_session,
        make_volunteer_activity,
    )

    login_as("network")
    client.get(f"/network/?{NOVEMBER_ARGS}")
    with count_queries() as few:
        client.get(f"/network/?{NOVEMBER_ARGS}")
    for n in range(3):
        other = make_association(f"autre-{n}", name=f"Autre {n}")
        journey(other, person(other, at(3), "59000"), date(2026, 11, 3))
        coach = make_volunteer(other)  # volunteers' and partners' figures too: hours, trainings, referrals
        make_session_log(other, make_appointment(other, starts_at=at(4), volunteer=coach, status="done"))
        make_training_enrolment(other, make_training_session(other, starts_at=at(6), status="completed"),
                                attendance="present")
        make_volunteer_activity(other)
        make_qualification(other, obtained_on=date(2026, 11, 7), valid_until=date(2026, 11, 20))
        partner = make_partner(other)
        make_interaction(other, partner, kind="meeting", happened_on=date(2026, 10, 2))
        make_referral(other, partner, received_on=date(2026, 11, 9), status="accepted")
    with count_queries() as more:
        client.get(f"/network/?{NOVEMBER_ARGS}")
    assert len(more) == len(few)


# --- the network's medians on the association homes: a snapshot the tick keeps ------------------------------


def test_the_medians_are_those_of_every_association(network):
    values, associations, _page = medians.compute(NOVEMBER)
    assert associations == 2 and values["people"] == 2 and values["first_appointment_days"] == 15


def test_the_tick_computes_the_missing_or_old_snapshots_and_forgets_other_periods(app, network, monkeypatch):
    from intranet import jobs
    from intranet.clock import utcnow

    assert jobs.PERIODIC["network_medians"] is medians.network_medians
    old = Period("custom", date(2020, 1, 1), date(2020, 1, 31))
    medians.store(old, {"people": 1}, 2, utcnow())  # a period no home offers now
    now = utcnow()
    today = medians.local(now, medians.TIMEZONE).date()
    assert medians.network_medians(now) == 1  # one period a tick, the homes' default first
    month = medians.read(Period.of(PeriodKind.MONTH, today))
    assert month.computed_at == now and month.associations == 2
    assert medians.read(Period.of(PeriodKind.YEAR, today)) is None and medians.read(old) is None
    assert medians.refresh(now) == 3 and medians.refresh(now) == 0
    monkeypatch.setitem(app.config, "MEDIANS_REFRESH_SECONDS", 0)
    assert medians.refresh(now + timedelta(seconds=1)) == 4


def test_the_network_page_reads_the_tick_snapshot_when_no_filter_is_chosen(client, network, login_as,
                                                                           count_queries):
    from intranet.clock import utcnow

    now = utcnow()
    year = Period.of(PeriodKind.YEAR, medians.local(now, medians.TIMEZONE).date())
    unfiltered = Filters(year, extra={"minutes": figures.DEFAULT_MINUTES_PER_MAIL})
    live = dashboard.page(unfiltered)
    assert dashboard.network_page(unfiltered)[2] is None  # no snapshot yet: computed on demand
    medians.refresh(now, force=True)
    context, remote, computed_at = dashboard.network_page(unfiltered)
    assert computed_at == now
    assert context["values"] == live["values"] and context["department_counts"] == live["department_counts"]
    assert [s.points for s in context["series"]] == [s.points for s in live["series"]]
    live_remote = dashboard.remote_headline(unfiltered)
    assert {k: remote[k] for k in live_remote} == live_remote
    login_as("network")
    with count_queries() as kept:
        page = client.get("/network/?period=year").get_data(as_text=True)
    assert "chiffres calculés le" in page and "Tremplin Bordeaux" in page and 'id="france-map"' in page
    with count_queries() as computed:
        filtered = client.get("/network/?period=year&rural=yes").get_data(as_text=True)
    assert "chiffres calculés le" not in filtered
    assert len(kept) < len(computed)
    with count_queries() as other_minutes:
        client.get("/network/?period=year&minutes=5")
    def reads(statements):
        return [s for s in statements if "SAVEPOINT" not in s]

    assert len(reads(other_minutes)) == len(reads(kept))  # the time saved at another rate: from the snapshot too


def shown(context: dict, key) -> dict:
    """What a page shows of a context's figures for `key` (an association, or None for the totals): the registered
    figures as they read."""
    row = context["values"].get(key, {})
    return {key: row.get(key) for key in figures_by_key()}


@pytest.mark.parametrize("minutes", [3, 5])
def test_one_association_a_program_and_another_rate_are_read_from_the_snapshot_as_computed(network, bordeaux, lyon,
                                                                                         minutes, app):
    from intranet.clock import utcnow
    from tests.factories import make_association

    quiet = make_association("calme", name="Association sans activité")
    now = utcnow()
    year = Period.of(PeriodKind.YEAR, medians.local(now, medians.TIMEZONE).date())
    medians.refresh(now, force=True)
    cases = [(chosen, code) for chosen in ((), (bordeaux.id,), (lyon.id,), (quiet.id,))
             for code in ("", "in_person", "remote")]
    for chosen, code in cases:
        filters = Filters(year, chosen, code, extra={"minutes": minutes})
        with app.test_request_context():
            live = dashboard.page(filters)
            live_remote = dashboard.remote_headline(filters)
            kept, remote, computed_at = dashboard.network_page(filters)
        case = (chosen, code)
        assert computed_at == now, case
        for key in {None, *chosen}:
            assert shown(kept, key) == shown(live, key), (case, key)
        assert kept["department_counts"] == live["department_counts"], case
        assert [s.points for s in kept["series"]] == [s.points for s in live["series"]], case
        headline = [k for k in live_remote if k in figures_by_key()]
        assert {k: remote.get(k) for k in headline} == {k: live_remote[k] for k in headline}, case
    assert any(shown(dashboard.page(Filters(year, (), p)), None) != shown(dashboard.page(Filters(year)), None)
               for p in ("in_person", "remote"))  # the programs' figures differ from the whole's
    assert dashboard.network_page(Filters(year, (bordeaux.id, lyon.id)))[2] is None  # several: computed on demand
    assert dashboard.network_page(Filters(year, (bordeaux.id,), department="33"))[2] is None  # a territory too


def test_the_drill_down_reads_the_snapshot_and_says_when(client, network, bordeaux, login_as):
    from intranet.clock import utcnow

    medians.refresh(utcnow(), force=True)
    login_as("network")
    page = client.get(f"/network/figures/{bordeaux.id}?period=year").get_data(as_text=True)
    assert "chiffres calculés le" in page and "Tremplin Bordeaux" in page
    page = client.get(f"/network/figures/{bordeaux.id}?period=year&rural=yes").get_data(as_text=True)
    assert "chiffres calculés le" not in page


def test_the_home_reads_the_medians_snapshot_and_says_when_it_was_computed(client, network, login_as):
    from intranet.clock import utcnow

    bordeaux, lyon = network
    login_as("staff", bordeaux)
    page = client.get("/a/bordeaux/?period=quarter").get_data(as_text=True)
    assert "n’ont pas encore été calculées" in page
    quarter = Period.of(PeriodKind.QUARTER, medians.local(utcnow(), medians.TIMEZONE).date())
    medians.store(quarter, {"people": 17, "new_files": None}, 2, datetime(2026, 12, 1, 8, 30, tzinfo=UTC))
    page = client.get("/a/bordeaux/?period=quarter").get_data(as_text=True)
    assert "Médianes calculées le 1 décembre 2026 à 09:30." in page  # in Paris
    people = page[page.index("Personnes accompagnées</th>"):]
    assert people.split('data-label="Médiane du réseau">')[1].startswith("17<")


def test_the_home_runs_the_same_statements_whatever_the_number_of_associations(client, network, login_as,
                                                                                 count_queries, monkeypatch):
    from tests.factories import make_association

    bordeaux, lyon = network
    login_as("staff", bordeaux)
    client.get("/a/bordeaux/?period=year")
    with count_queries() as few:
        client.get("/a/bordeaux/?period=year")
    for n in range(3):
        other = make_association(f"autre-{n}", name=f"Autre {n}")
        journey(other, person(other, at(3), "59000"), date(2026, 11, 3))
    with count_queries() as more:
        client.get("/a/bordeaux/?period=year")
    assert len(more) == len(few)
    asked = []
    compute = figures.compute
    monkeypatch.setattr(figures, "compute", lambda filters: asked.append(filters.associations) or compute(filters))
    client.get("/a/bordeaux/?period=year")
    assert asked == [(bordeaux.id,)]  # its own figures only: the medians are the snapshot's


def test_a_periods_days_are_those_of_paris(bordeaux):
    """00:30 in Paris on 1 November is 23:30 UTC on 31 October: a November session, in the figures and the chart."""
    coach = make_volunteer(bordeaux)
    for starts_at in (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), datetime(2026, 11, 30, 23, 30, tzinfo=UTC)):
        make_appointment(bordeaux, starts_at=starts_at, volunteer=coach, status="done")
    assert figures.session_figures(november())[bordeaux.id]["sessions_individual"] == 1  # the second is December's
    sessions = trends.numbers(november())["sessions"]
    assert sessions[-1] == 1 and sessions[-2] == 0  # November's bar; October has none
