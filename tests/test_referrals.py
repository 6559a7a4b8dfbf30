"""Referrals through a partner's link: the link, the public form against bad input, the inbox's answers,
the referrer's mails (each once), expiry, and a link never reaching another association's data."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from intranet.beneficiaries.models import Beneficiary
from intranet.calendar import booking
from intranet.clock import to_utc, today_in, utcnow
from intranet.extensions import db as _db
from intranet.jobs import tick
from intranet.notifications.digest import send_digests
from intranet.notifications.models import OutboxMessage
from intranet.partners.referrals import services
from intranet.partners.referrals.models import Referral, ReferralLink, ReferralSubmission
from tests.factories import (
    make_association,
    make_beneficiary,
    make_journey,
    make_membership,
    make_partner,
    make_partner_contact,
    make_referral,
    make_referral_link,
    make_user,
    make_volunteer,
)

GOOD = {"first_name": "Inès", "last_name": "Bouvier", "email": "ines.bouvier@exemple.test", "phone": "06 12 34 56 78",
        "postcode": "33000", "situation": "job_seeker", "reason": "Cherche un emploi dans la vente.",
        "availability": "Les matins", "referrer_name": "Fatou Ndiaye", "referrer_email": "fatou@ml-graves.test",
        "attested": "y", "submission_key": "une-cle-de-formulaire-0001"}


def _count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def _mails(kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(_db.session.scalars(query))


@pytest.fixture
def partner(bordeaux):
    partner = make_partner(bordeaux, name="Mission locale des Graves", stage="active")
    make_partner_contact(bordeaux, partner, name="Fatou Ndiaye", email="fatou@ml-graves.test")
    return partner


@pytest.fixture
def link(bordeaux, partner):
    return make_referral_link(bordeaux, partner)


def _submit(client, link, **changes):
    return client.post(f"/p/{link.token}/orientation", data={**GOOD, **changes})


# --- the link -------------------------------------------------------------------------------------------


def test_only_the_tokens_digest_is_stored_and_the_link_can_be_shown_again(bordeaux, partner, app):
    link = services.create_link(partner)
    token = services.token_of(link)
    assert token not in repr([getattr(link, c.key) for c in ReferralLink.__table__.columns])
    assert link.token_hash == services.digest(token) and services.resolve(token).id == link.id
    assert services.token_of(_db.session.get(ReferralLink, link.id)) == token  # the poster can be printed again


def test_a_new_link_replaces_the_old_one_and_a_revoked_link_opens_a_clear_page(client, bordeaux, partner):
    old = make_referral_link(bordeaux, partner)
    new = make_referral_link(bordeaux, partner)
    assert client.get(f"/p/{new.token}/orientation").status_code == 200
    response = client.get(f"/p/{old.token}/orientation")
    assert response.status_code == 410 and "n’est plus actif" in response.get_data(as_text=True)
    services.revoke_link(_db.session.get(ReferralLink, new.id))
    response = _submit(client, new)
    assert response.status_code == 410 and _count(Referral) == 0


def test_an_unknown_token_opens_nothing(client):
    assert client.get("/p/pas-un-jeton/orientation").status_code == 404


def test_the_poster_has_the_link_as_a_qr_code(client, staff, bordeaux, link):
    html = client.get(f"/a/bordeaux/partners/{link.partner_id}/poster").get_data(as_text=True)
    assert "<svg" in html and 'class="qr-code"' in html and link.token in html


def test_staff_create_regenerate_and_revoke_a_partners_link(client, staff, bordeaux, partner):
    assert client.post(f"/a/bordeaux/partners/{partner.id}/referral-link").status_code == 302
    first = services.active_link(partner)
    assert client.post(f"/a/bordeaux/partners/{partner.id}/referral-link").status_code == 302
    second = services.active_link(partner)
    assert second.id != first.id and _db.session.get(ReferralLink, first.id).revoked_at is not None
    assert client.post(f"/a/bordeaux/partners/{partner.id}/referral-link/revoke").status_code == 302
    assert services.active_link(partner) is None


# --- the public form --------------------------------------------------------------------------------------


def test_a_referral_sent_through_the_link_lands_in_the_inbox_and_the_referrer_is_told(client, link, sent_mail):
    response = _submit(client, link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/orientation/merci")
    referral = _db.session.scalar(select(Referral))
    assert (referral.first_name, referral.phone, referral.status, referral.partner_id) == (
        "Inès", "+33612345678", "pending", link.partner_id)
    [(subject, body)] = sent_mail("fatou@ml-graves.test")
    assert "bien reçue" in subject and "Inès B." in body and "Bouvier" not in body


def test_the_form_opens_with_a_one_time_key_and_writes_nothing(client, link):
    html = client.get(f"/p/{link.token}/orientation").get_data(as_text=True)
    assert 'name="submission_key"' in html and 'name="website"' in html
    assert _count(ReferralSubmission) == 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"first_name": "", "reason": ""}, "Indiquez le prénom de la personne."),
    ({"email": "", "phone": ""}, "au moins l’un des deux"),
    ({"email": "pas-une-adresse"}, "Cette adresse e-mail n’est pas valide."),
    ({"phone": "12"}, "06 12 34 56 78"),
    ({"postcode": "3300"}, "Un code postal de 5 chiffres"),
    ({"attested": ""}, "avec l’accord de la personne"),
    ({"referrer_email": ""}, "Indiquez votre e-mail"),
    ({"interview_on": "2001-01-01"}, "entretien à venir"),
    ({"reason": "x" * 100_000}, "2 000 caractères au plus."),
    ({"first_name": "x" * 100_000, "availability": "y" * 100_000}, "80 caractères au plus."),
    ({"situation": "roi"}, 'id="situation-error"'),
])
def test_bad_input_gets_a_message_next_to_its_field_and_writes_nothing(client, link, changes, message):
    response = _submit(client, link, **changes)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'class="field-error"' in html and 'role="alert"' in html
    assert _count(Referral) == 0 and _count(OutboxMessage) == 0


def test_a_replayed_or_double_clicked_submission_makes_one_referral(client, link):
    for _ in range(3):
        assert _submit(client, link).status_code == 302
    assert _count(Referral) == 1 and len(_mails("referral_received")) == 1


def test_two_forms_make_two_referrals(client, link):
    _submit(client, link)
    _submit(client, link, submission_key="une-autre-cle-de-formulaire", email="autre@exemple.test")
    assert _count(Referral) == 2


def test_the_honeypot_thanks_a_robot_and_records_nothing(client, link):
    response = _submit(client, link, website="http://spam.example")
    assert response.status_code == 302 and _count(Referral) == 0 and _count(OutboxMessage) == 0


def test_too_many_submissions_from_one_address_are_refused_with_a_clear_message(client, link, monkeypatch):
    monkeypatch.setattr(services, "PER_CLIENT_PER_HOUR", 3)
    for n in range(3):
        assert _submit(client, link, submission_key=f"cle-numero-{n:04d}-abcdef").status_code == 302
    response = _submit(client, link, submission_key="cle-numero-9999-abcdef")
    assert response.status_code == 429 and "Réessayez dans une heure" in response.get_data(as_text=True)
    assert _count(Referral) == 3


def test_too_many_submissions_through_one_link_are_refused(client, link, monkeypatch):
    monkeypatch.setattr(services, "PER_LINK_PER_HOUR", 2)
    statuses = [client.post(f"/p/{link.token}/orientation", data={**GOOD, "submission_key": f"cle-lien-{n:04d}-abcdefgh"},
                            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code for n in range(3)]
    assert statuses == [302, 302, 429] and _count(Referral) == 2


def test_refused_submissions_count_against_the_limit_too(client, link, monkeypatch):
    monkeypatch.setattr(services, "PER_CLIENT_PER_HOUR", 2)
    assert _submit(client, link, first_name="").status_code == 422
    assert _submit(client, link, first_name="").status_code == 422
    assert _submit(client, link).status_code == 429 and _count(Referral) == 0


# --- staff's answer ---------------------------------------------------------------------------------------


def test_accepting_opens_the_file_with_the_partner_as_referrer_and_consent_attested(client, staff, bordeaux, link):
    _submit(client, link)
    referral = _db.session.scalar(select(Referral))
    response = client.post(f"/a/bordeaux/referrals/{referral.id}/accept")
    assert response.status_code == 302
    beneficiary = _db.session.scalar(select(Beneficiary))
    assert response.headers["Location"].endswith(f"/beneficiaries/{beneficiary.id}")
    assert (beneficiary.referrer_partner_id, beneficiary.consent_scope, beneficiary.consent_source) == (
        link.partner_id, "accompaniment", "referrer")
    assert beneficiary.referrer_contact.name == "Fatou Ndiaye"
    assert (referral.status, referral.beneficiary_id) == ("accepted", beneficiary.id)
    assert "attesté par le prescripteur" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(_mails("referral_accepted")) == 1


def test_the_duplicate_guard_offers_to_link_to_the_existing_file(client, staff, bordeaux, link):
    existing = make_beneficiary(bordeaux, first_name="Inès", last_name="Bouvier", email="ines.bouvier@exemple.test")
    _submit(client, link)
    referral = _db.session.scalar(select(Referral))
    response = client.post(f"/a/bordeaux/referrals/{referral.id}/accept")
    assert response.status_code == 409 and "déjà une fiche" in response.get_data(as_text=True)
    assert _count(Beneficiary) == 1 and referral.status == "pending"
    response = client.post(f"/a/bordeaux/referrals/{referral.id}/accept", data={"beneficiary_id": existing.id})
    assert response.status_code == 302 and _count(Beneficiary) == 1
    _db.session.refresh(existing)
    assert referral.beneficiary_id == existing.id and existing.referrer_partner_id == link.partner_id


def test_creating_a_new_file_anyway_is_possible(client, staff, bordeaux, link):
    make_beneficiary(bordeaux, first_name="Inès", last_name="Bouvier", email="ines.bouvier@exemple.test")
    _submit(client, link)
    referral = _db.session.scalar(select(Referral))
    assert client.post(f"/a/bordeaux/referrals/{referral.id}/accept", data={"create_anyway": "1"}).status_code == 302
    assert _count(Beneficiary) == 2


def test_a_file_of_another_association_cannot_be_linked(client, staff, bordeaux, link):
    _submit(client, link)
    referral = _db.session.scalar(select(Referral))
    stranger = make_beneficiary(make_association(), email="ines.bouvier@exemple.test")
    response = client.post(f"/a/bordeaux/referrals/{referral.id}/accept", data={"beneficiary_id": stranger.id})
    assert response.status_code == 404 and referral.status == "pending"


def test_refusing_tells_the_referrer_the_reason(client, staff, bordeaux, link, sent_mail):
    _submit(client, link)
    referral = _db.session.scalar(select(Referral))
    response = client.post(f"/a/bordeaux/referrals/{referral.id}/refuse", data={"reason": "out_of_area",
                                                                                "note": "Nous sommes à Bordeaux."})
    assert response.status_code == 302 and referral.status == "refused"
    subject, body = sent_mail("fatou@ml-graves.test", 2)[-1]
    assert "ne pouvons pas" in subject and "hors de notre territoire" in body and "Nous sommes à Bordeaux." in body
    assert client.post(f"/a/bordeaux/referrals/{referral.id}/refuse", data={"reason": "full"}).status_code == 422
    assert len(_mails("referral_refused")) == 1  # answered once, told once


def test_asking_for_more_lets_the_referrer_complete_the_same_referral(client, staff, bordeaux, link, sent_mail):
    _submit(client, link, phone="")
    referral = _db.session.scalar(select(Referral))
    assert client.post(f"/a/bordeaux/referrals/{referral.id}/ask", data={"message": ""}).status_code == 422
    assert client.post(f"/a/bordeaux/referrals/{referral.id}/ask",
                       data={"message": "Son téléphone, s’il vous plaît ?"}).status_code == 302
    _subject, body = sent_mail("fatou@ml-graves.test", 2)[-1]
    url = next(word for word in body.split() if "/completer" in word)
    path = url.removeprefix("http://localhost")
    page = client.get(path).get_data(as_text=True)
    assert "Son téléphone, s’il vous plaît ?" in page and 'value="Inès"' in page
    assert client.post(path, data={**GOOD, "phone": "06 98 76 54 32", "submission_key": ""}).status_code == 200
    _db.session.refresh(referral)
    assert (referral.status, referral.phone, _count(Referral)) == ("pending", "+33698765432", 1)
    assert client.get(path).status_code == 410  # used up


def test_a_handled_referral_cannot_be_answered_again(bordeaux, partner):
    referral = make_referral(bordeaux, partner, status="refused", refusal_reason="full")
    with pytest.raises(services.ReferralError):
        services.accept(referral, user_id=None)


# --- later mails: first appointment, expiry, digest -------------------------------------------------------------


def test_the_first_appointment_is_told_to_the_referrer_once(bordeaux, partner):
    referral = make_referral(bordeaux, partner)
    beneficiary = services.accept(referral, user_id=None)
    coach = make_volunteer(bordeaux)
    day = today_in(bordeaux.timezone) + timedelta(days=8)
    module_id = make_journey(bordeaux, beneficiary).modules[0].module_id
    for hour in (10, 14):
        booking.book(bordeaux, booking.Request(module_id=module_id, starts_at=to_utc(day, time(hour, 0), bordeaux.timezone),
                                               volunteer_id=coach.id, beneficiary_id=beneficiary.id,
                                               call_details="06 12 34 56 78"), override=True)
    assert referral.first_appointment_at == to_utc(day, time(10, 0), bordeaux.timezone)
    [mail] = _mails("referral_appointment")
    assert "Premier rendez-vous" in mail.subject


def test_a_referral_left_30_days_expires_and_the_referrer_is_told_once(bordeaux, partner):
    old = make_referral(bordeaux, partner, received_at=utcnow() - timedelta(days=31))
    recent = make_referral(bordeaux, partner, received_at=utcnow() - timedelta(days=29))
    tick()
    tick()
    _db.session.refresh(old)
    _db.session.refresh(recent)
    assert (old.status, recent.status) == ("expired", "pending")
    assert len(_mails("referral_expired")) == 1


def test_a_referral_waiting_more_than_7_days_is_flagged_in_the_staff_digest(bordeaux, partner):
    staff = make_membership(bordeaux, "staff", make_user()).user
    evening = datetime.combine(today_in("Europe/Paris"), time(17, 30), tzinfo=UTC)
    make_referral(bordeaux, partner, received_at=evening - timedelta(days=8))
    make_referral(bordeaux, partner, received_at=evening - timedelta(days=2), first_name="Récente")
    assert send_digests(evening) == 1
    [digest] = _mails("daily_digest")
    assert digest.to_address == staff.email and "plus de 7 jours" in digest.text_body
    assert digest.text_body.count("Mission locale des Graves, reçue le") == 1


# --- the inbox --------------------------------------------------------------------------------------------------


def test_the_inbox_counts_in_the_navigation_and_shows_each_tab(client, staff, bordeaux, partner):
    make_referral(bordeaux, partner, first_name="Zoé")
    make_referral(bordeaux, partner, first_name="Yannick", status="accepted")
    make_referral(make_association(), first_name="Ailleurs")
    page = client.get("/a/bordeaux/beneficiaries").get_data(as_text=True)
    assert 'aria-hidden="true">1</span><span class="visually-hidden"> (1 orientation à traiter)' in page
    assert "1 à traiter" in page
    inbox = client.get("/a/bordeaux/referrals").get_data(as_text=True)
    assert "Zoé" in inbox and "Yannick" not in inbox and "Ailleurs" not in inbox
    assert "Yannick" in client.get("/a/bordeaux/referrals?tab=accepted").get_data(as_text=True)


def test_the_inbox_runs_the_same_number_of_queries_for_3_and_60_referrals(client, staff, bordeaux, count_queries):
    def queries():
        with count_queries() as statements:
            assert client.get("/a/bordeaux/referrals").status_code == 200
        return len(statements)

    for _ in range(3):
        make_referral(bordeaux)
    few = queries()
    for _ in range(57):
        make_referral(bordeaux)
    assert queries() == few


# --- apart from the other associations ------------------------------------------------------------------------


def test_a_link_of_one_association_never_reaches_another(client, bordeaux, link, lyon):
    lyon_partner = make_partner(lyon, name="Partenaire lyonnais")
    make_referral(lyon, lyon_partner, first_name="Lyonnaise")
    html = client.get(f"/p/{link.token}/orientation").get_data(as_text=True)
    assert "Tremplin Bordeaux" in html and "Lyon" not in html and "Lyonnaise" not in html
    _submit(client, link)
    assert _db.session.scalar(select(Referral.association_id).where(Referral.first_name == "Inès")) == bordeaux.id


def test_the_national_space_receives_referrals_for_the_remote_program(client, login_as):
    national = make_association("national", name="Coup de Pouce à la Maison", kind="national")
    partner = make_partner(national, name="Mission locale du Haut-Jura", postcode="39200")
    link = make_referral_link(national, partner)
    assert _submit(client, link).status_code == 302
    login_as("staff", national)
    referral = _db.session.scalar(select(Referral))
    assert referral.association_id == national.id
    assert client.post(f"/a/national/referrals/{referral.id}/accept").status_code == 302
    assert _db.session.scalar(select(Beneficiary.association_id)) == national.id


def test_a_form_sent_without_its_key_is_shown_again_with_a_new_one(client, link):
    response = _submit(client, link, submission_key="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Le formulaire a expiré" in html and _count(Referral) == 0
    assert 'name="submission_key" type="hidden" value="' in html and 'value=""' not in html.split('name="submission_key"')[1][:40]


@pytest.mark.parametrize("key", ["k" * 65, "é" * 20, "court", "a b c d e f g h i j k l"])
def test_a_key_we_did_not_make_is_refused_like_a_missing_one(client, link, key):
    response = _submit(client, link, submission_key=key)
    assert response.status_code == 422 and "Le formulaire a expiré" in response.get_data(as_text=True)
    assert _count(Referral) == 0
