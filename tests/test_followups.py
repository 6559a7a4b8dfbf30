"""Follow-ups after an exit: when they are sent, the one-click answers, and staff's list of who did not answer."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from intranet.followups import jobs, services
from intranet.journeys.models import Journey
from intranet.notifications.models import OutboxMessage
from intranet.notifications.services import as_sent
from tests.factories import make_association, make_beneficiary, make_journey

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


def exited(association, days_ago: int, **fields) -> Journey:
    return make_journey(association, exited_on=TODAY - timedelta(days=days_ago), exit_situation="job_searching",
                        **fields)


def follow_ups(db) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind.like("follow_up_%"))
                                   .order_by(OutboxMessage.id)))


def unanswered(db, association) -> list:
    return [tuple(row) for row in db.session.execute(services.unanswered(association.id)).all()]


@pytest.mark.parametrize(("days_ago", "kinds"), [
    (29, []), (30, ["follow_up_1m"]), (90, ["follow_up_1m"]), (91, []), (181, []), (182, ["follow_up_6m"]),
    (242, ["follow_up_6m"]), (243, []), (600, []),
])
def test_follow_ups_are_sent_a_month_and_six_months_after_the_exit_and_not_too_late(bordeaux, db, days_ago, kinds):
    exited(bordeaux, days_ago)
    jobs.send_follow_ups(NOW)
    assert [m.kind for m in follow_ups(db)] == kinds


def test_one_follow_up_per_journey_and_period_however_often_the_tick_runs(bordeaux, db):
    journey = exited(bordeaux, 35)
    assert jobs.send_follow_ups(NOW) == 1
    assert jobs.send_follow_ups(NOW + timedelta(minutes=1)) == 0
    [message] = follow_ups(db)
    assert message.key == f"follow-up-1m-{journey.id}" and message.beneficiary_id == journey.beneficiary_id
    assert message.journey_id == journey.id  # the follow-ups join on it, not on the key


def test_the_unanswered_list_finds_follow_ups_by_their_journey_not_by_their_key(bordeaux, db):
    from tests.factories import make_outbox_message

    journey = exited(bordeaux, 35)
    make_outbox_message(bordeaux, kind="follow_up_1m", key="a-key-saying-nothing", journey_id=journey.id)
    assert [j.id for _, j in unanswered(db, bordeaux)] == [journey.id]


def test_no_follow_up_without_an_email_address_or_for_an_open_journey(bordeaux, db):
    exited(bordeaux, 35, beneficiary=make_beneficiary(bordeaux, email="", contact_channel="phone"))
    make_journey(bordeaux)
    jobs.send_follow_ups(NOW)
    assert follow_ups(db) == []


def test_the_six_month_mail_is_not_sent_when_staff_already_recorded_the_result(bordeaux, db):
    exited(bordeaux, 190, follow_up_result="employment", follow_up_on=TODAY)
    jobs.send_follow_ups(NOW)
    assert follow_ups(db) == []


def _links(message: OutboxMessage) -> dict[str, str]:
    html = as_sent(message)[2]  # the stored row keeps the links masked
    return {answer: path for path, answer in re.findall(r'href="http://localhost(/f/[^/"]+/(\w+))"', html)}


def test_the_mail_has_four_answer_links(bordeaux, db):
    exited(bordeaux, 35)
    jobs.send_follow_ups(NOW)
    assert set(_links(follow_ups(db)[0])) == {"job", "training", "searching", "other"}


def _answers_audited(db, journey) -> int:
    from intranet.audit.models import AuditEntry

    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "follow_up_answer", AuditEntry.object_id == journey.beneficiary_id))


@pytest.mark.parametrize("period", ["1m", "6m"])
def test_opening_an_answer_link_records_nothing_and_asks_to_confirm(bordeaux, db, client, period):
    journey = exited(bordeaux, 185 if period == "6m" else 35)
    link = f"/f/{services.make_token(journey.id, period)}/job"
    response = client.get(link)  # what a mail scanner or a link preview does
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "J’ai trouvé un emploi" in html
    assert re.search(rf'<form method="post" action="{re.escape(link)}"[^>]*>', html) and "Confirmer ma réponse" in html
    db.session.expire_all()
    journey = db.session.get(Journey, journey.id)
    assert (journey.answer_1m, journey.answer_6m, journey.follow_up_result, journey.follow_up_on) == ("", "", "", None)
    assert _answers_audited(db, journey) == 0


def test_confirming_records_the_one_month_answer_once(bordeaux, db, client):
    journey = exited(bordeaux, 35)
    jobs.send_follow_ups(NOW)
    link = _links(follow_ups(db)[0])["training"]
    client.get(link)
    response = client.post(link)
    assert response.status_code == 200 and "Votre réponse est enregistrée" in response.get_data(as_text=True)
    assert client.post(link).status_code == 200  # a second click, a reload
    db.session.refresh(journey)
    assert (journey.answer_1m, journey.answer_6m, journey.follow_up_result) == ("training", "", "")
    assert _answers_audited(db, journey) == 1


def test_the_answer_is_confirmed_with_a_csrf_protected_form_that_works_without_javascript(bordeaux, db, client, app):
    journey = exited(bordeaux, 185)
    link = f"/f/{services.make_token(journey.id, '6m')}/job"
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        forged = client.post(link)  # no token: a cross-site form, or a page kept open too long
        page = client.get(link).get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        db.session.expire_all()
        untouched = db.session.get(Journey, journey.id).answer_6m
        confirmed = client.post(link, data={"csrf_token": csrf})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert forged.status_code == 400 and "La page a expiré" in forged.get_data(as_text=True)
    assert untouched == ""
    assert confirmed.status_code == 200
    db.session.refresh(journey)
    assert (journey.answer_6m, journey.follow_up_result) == ("job", "employment")


@pytest.mark.parametrize(("answer", "result"), [("job", "employment"), ("training", "improved"),
                                                ("searching", "no_change"), ("other", "")])
def test_the_six_month_answer_is_the_esf_result(bordeaux, db, client, answer, result):
    journey = exited(bordeaux, 185)
    client.post(f"/f/{services.make_token(journey.id, '6m')}/{answer}")
    db.session.refresh(journey)
    assert (journey.answer_6m, journey.follow_up_result) == (answer, result)
    assert (journey.follow_up_on is not None) == bool(result)


def test_clicking_again_changes_the_answer_and_its_result(bordeaux, db, client):
    journey = exited(bordeaux, 185)
    token = services.make_token(journey.id, "6m")
    client.post(f"/f/{token}/job")
    html = client.post(f"/f/{token}/searching").get_data(as_text=True)
    db.session.refresh(journey)
    assert (journey.answer_6m, journey.follow_up_result) == ("searching", "no_change")
    assert "Je cherche toujours" in html and f"/f/{token}/job" in html


def test_the_answer_does_not_overwrite_a_result_staff_recorded(bordeaux, db, client):
    journey = exited(bordeaux, 185, follow_up_result="improved", follow_up_on=TODAY)
    client.post(f"/f/{services.make_token(journey.id, '6m')}/searching")
    db.session.refresh(journey)
    assert (journey.answer_6m, journey.follow_up_result) == ("searching", "improved")


def test_a_tampered_token_opens_nothing(bordeaux, db, client):
    journey = exited(bordeaux, 35)
    token = services.make_token(journey.id, "1m")
    for send in (client.get, client.post):
        response = send(f"/f/{token[:-2]}xx/job")
        assert response.status_code == 404 and "ne fonctionne pas" in response.get_data(as_text=True)
    db.session.refresh(journey)
    assert journey.answer_1m == ""


def test_a_token_for_another_purpose_opens_nothing(bordeaux, db, client, app):
    from itsdangerous import URLSafeTimedSerializer

    journey = exited(bordeaux, 35)
    forged = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="another-salt").dumps({"j": journey.id, "p": "1m"})
    assert client.get(f"/f/{forged}/job").status_code == 404


def test_an_unknown_answer_is_refused(bordeaux, db, client):
    journey = exited(bordeaux, 35)
    assert client.post(f"/f/{services.make_token(journey.id, '1m')}/rich").status_code == 404
    db.session.refresh(journey)
    assert journey.answer_1m == ""


def test_an_expired_link_says_so(bordeaux, db, client, monkeypatch):
    journey = exited(bordeaux, 35)
    signed_at = time.time() - 91 * 86400
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: signed_at)  # the signing clock, 91 days ago
    token = services.make_token(journey.id, "1m")
    monkeypatch.undo()
    response = client.get(f"/f/{token}/job")
    assert response.status_code == 410 and "expiré" in response.get_data(as_text=True)


def test_the_thank_you_page_shows_no_staff_navigation(bordeaux, db, client):
    journey = exited(bordeaux, 35)
    for send in (client.get, client.post):
        html = send(f"/f/{services.make_token(journey.id, '1m')}/job").get_data(as_text=True)
        assert "/a/bordeaux" not in html and journey.beneficiary.last_name not in html


def test_staff_see_who_did_not_answer_in_their_own_association_only(bordeaux, db, client, login_as):
    login_as("staff", bordeaux)
    quiet, talkative = exited(bordeaux, 35), exited(bordeaux, 40)
    elsewhere = exited(make_association("nantes"), 35)
    jobs.send_follow_ups(NOW)
    services.record_answer(talkative, "1m", "job", TODAY)
    html = client.get("/a/bordeaux/follow-ups").get_data(as_text=True)
    assert quiet.beneficiary.full_name in html and quiet.beneficiary.email in html
    assert talkative.beneficiary.full_name not in html
    assert elsewhere.beneficiary.full_name not in html
    assert "1 suivi sans réponse" in client.get("/a/bordeaux/beneficiaries").get_data(as_text=True)


def test_a_follow_up_key_naming_another_associations_journey_is_not_listed(bordeaux, db, client, login_as):
    from tests.factories import make_outbox_message

    login_as("staff", bordeaux)
    other = exited(make_association("nantes"), 35)
    make_outbox_message(bordeaux, kind="follow_up_1m", key=f"follow-up-1m-{other.id}", journey_id=other.id)
    assert unanswered(db, bordeaux) == []
    assert other.beneficiary.full_name not in client.get("/a/bordeaux/follow-ups").get_data(as_text=True)


def test_volunteers_cannot_open_the_follow_up_list(bordeaux, client, login_as):
    login_as("volunteer", bordeaux)
    assert client.get("/a/bordeaux/follow-ups").status_code == 403


def test_the_answers_show_on_the_beneficiary_file(bordeaux, db, client, login_as):
    login_as("staff", bordeaux)
    journey = exited(bordeaux, 185)
    services.record_answer(journey, "1m", "searching", TODAY)
    services.record_answer(journey, "6m", "job", TODAY)
    html = client.get(f"/a/bordeaux/beneficiaries/{journey.beneficiary_id}").get_data(as_text=True)
    assert "Réponse à un mois : Je cherche toujours" in html and "Réponse à six mois : J’ai trouvé un emploi" in html


def test_the_unanswered_list_runs_the_same_queries_for_5_and_50_rows(bordeaux, db, client, login_as, count_queries):
    login_as("staff", bordeaux)

    def add(n):
        for _ in range(n):
            exited(bordeaux, 35)
        jobs.send_follow_ups(NOW)

    def queries():
        with count_queries() as statements:
            assert client.get("/a/bordeaux/follow-ups").status_code == 200
        return len(statements)

    add(5)
    five = queries()
    add(45)
    assert len(unanswered(db, bordeaux)) == 50
    assert queries() == five


def test_the_tick_sends_follow_ups(bordeaux, db):
    from intranet.jobs import tick

    exited(bordeaux, 35)
    tick(NOW)
    assert len(follow_ups(db)) == 1


def test_the_unanswered_list_is_paged_newest_first(bordeaux, db, client, login_as):
    login_as("staff", bordeaux)
    journeys = [exited(bordeaux, 35) for _ in range(27)]
    jobs.send_follow_ups(NOW)
    first = client.get("/a/bordeaux/follow-ups").get_data(as_text=True)
    second = client.get("/a/bordeaux/follow-ups?page=2").get_data(as_text=True)
    assert first.count("#journey-") == 25 and second.count("#journey-") == 2
    assert 'rel="next"' in first and 'rel="prev"' in second and 'rel="next"' not in second
    newest_first = [journey for _, journey in unanswered(db, bordeaux)]
    assert f"#journey-{newest_first[0].id}" in first and f"#journey-{newest_first[-1].id}" in second
    assert {j.id for j in newest_first} == {j.id for j in journeys}


def test_the_beneficiaries_header_counts_follow_ups_up_to_a_cap(bordeaux, db, client, login_as, monkeypatch):
    login_as("staff", bordeaux)
    for _ in range(4):
        exited(bordeaux, 35)
    jobs.send_follow_ups(NOW)
    assert "4 suivis sans réponse" in client.get("/a/bordeaux/beneficiaries").get_data(as_text=True)
    monkeypatch.setattr(services, "COUNT_CAP", 3)
    assert services.count_unanswered(bordeaux.id) == (3, True)
    assert "Plus de 3 suivis sans réponse" in client.get("/a/bordeaux/beneficiaries").get_data(as_text=True)
