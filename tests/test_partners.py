"""Partners: the directory by stage, contacts, the contact log in place, "À relancer", the digest, trust figures."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from intranet.beneficiaries.models import Beneficiary
from intranet.clock import today_in
from intranet.extensions import db as _db
from intranet.notifications.digest import send_digests
from intranet.notifications.models import OutboxMessage
from intranet.partners import services, trust
from intranet.partners.models import Interaction, Partner, PartnerStage, StageChange
from intranet.values import InvalidValue
from tests.factories import (
    make_association,
    make_beneficiary,
    make_interaction,
    make_membership,
    make_partner,
    make_partner_contact,
    make_referral,
    make_user,
)

TODAY = today_in("Europe/Paris")
HTMX = {"HX-Request": "true"}


def _count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


# --- values -----------------------------------------------------------------------------------------


def test_a_siret_is_checked_by_its_check_digit():
    assert services.normalize_siret("732 829 320 00074") == "73282932000074"
    assert services.normalize_siret("") == ""
    for wrong in ("73282932000075", "1234", "7328293200007x"):
        with pytest.raises(InvalidValue):
            services.normalize_siret(wrong)


@pytest.mark.parametrize(("postcode", "department"), [("33000", "33"), ("97400", "974"), ("20090", "2A"),
                                                      ("20600", "2B"), ("", ""), ("abc", "")])
def test_the_department_comes_from_the_postcode(postcode, department):
    assert services.department_of(postcode) == department


# --- stages -----------------------------------------------------------------------------------------


def test_a_new_partner_starts_as_a_prospect_with_its_first_stage_recorded(bordeaux):
    author = make_user(name="Julien Moreau")
    partner = services.create_partner(bordeaux.id, {"name": "Mission locale des Graves", "kind": "mission_locale",
                                                    "postcode": "33140"}, author_id=author.id)
    assert partner.stage == PartnerStage.PROSPECT and partner.department_code == "33"
    [change] = services.stage_history(partner)
    assert (change.from_stage, change.to_stage, change.author_id) == ("", "prospect", author.id)


def test_a_stage_change_is_recorded_with_its_date_and_author(bordeaux):
    partner, author = make_partner(bordeaux, stage="meetings"), make_user()
    moment = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert services.change_stage(partner, "agreement", author_id=author.id, now=moment) is True
    assert services.change_stage(partner, "agreement", author_id=author.id) is False  # already there: nothing noted
    changes = _db.session.scalars(select(StageChange).where(StageChange.partner_id == partner.id)).all()
    assert [(c.from_stage, c.to_stage, c.changed_at, c.author_id) for c in changes] == [
        ("meetings", "agreement", moment, author.id)]
    assert partner.stage_changed_at == moment


def test_changing_the_stage_in_place_answers_the_fragment_and_announces_it(client, staff, bordeaux):
    partner = make_partner(bordeaux, name="PLIE des Graves")
    response = client.post(f"/a/bordeaux/partners/{partner.id}/stage", data={"stage": "active", "compact": "1"},
                           headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'value="active" selected' in html and "Julien Moreau" in html
    assert "Prescripteur actif" in response.headers["HX-Trigger"]
    assert _db.session.get(Partner, partner.id).stage == "active"


def test_an_unknown_stage_is_refused_in_place_and_changes_nothing(client, staff, bordeaux):
    partner = make_partner(bordeaux, stage="meetings")
    response = client.post(f"/a/bordeaux/partners/{partner.id}/stage", data={"stage": "vip"}, headers=HTMX)
    assert response.status_code == 422 and "Cette étape n’existe pas." in response.get_data(as_text=True)
    assert _db.session.get(Partner, partner.id).stage == "meetings"


def test_without_javascript_the_stage_form_goes_back_to_the_page(client, staff, bordeaux):
    partner = make_partner(bordeaux)
    response = client.post(f"/a/bordeaux/partners/{partner.id}/stage", data={"stage": "dormant"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/partners/{partner.id}")


# --- the directory ----------------------------------------------------------------------------------


def _names(html: str) -> list[str]:
    return [name for name in ("Alpha", "Bravo", "Charlie", "Delta") if f">{name}<" in html]


def test_the_directory_filters_by_kind_stage_rural_and_overdue_next_step(client, staff, bordeaux):
    make_partner(bordeaux, name="Alpha", kind="ccas", stage="active", rural="yes")
    bravo = make_partner(bordeaux, name="Bravo", kind="plie", stage="prospect")
    make_partner(bordeaux, name="Charlie", kind="ccas", stage="dormant", active=False)
    make_partner(make_association(), name="Delta", kind="ccas")
    make_interaction(bordeaux, bravo, next_step="Rappeler", next_step_due=TODAY - timedelta(days=2))
    get = lambda **q: _names(client.get("/a/bordeaux/partners", query_string=q).get_data(as_text=True))  # noqa: E731
    assert get() == ["Alpha", "Bravo"]
    assert get(kind="ccas") == ["Alpha"]
    assert get(stage="prospect") == ["Bravo"]
    assert get(rural="yes") == ["Alpha"]
    assert get(overdue="1") == ["Bravo"]
    assert get(inactive="1") == ["Charlie"]
    assert get(q="brav") == ["Bravo"]


def test_the_directory_runs_the_same_number_of_queries_for_3_and_60_partners(client, staff, bordeaux, count_queries):
    def queries():
        with count_queries() as statements:
            assert client.get("/a/bordeaux/partners").status_code == 200
        return len(statements)

    def add(n):
        for i in range(n):
            partner = make_partner(bordeaux, stage="active")
            make_interaction(bordeaux, partner, next_step="Relancer", next_step_due=TODAY + timedelta(days=i % 5))
            make_partner_contact(bordeaux, partner)

    add(3)
    few = queries()
    add(57)
    assert queries() == few


def test_the_partner_page_shows_its_contacts_timeline_and_trust(client, staff, bordeaux):
    partner = make_partner(bordeaux, name="Cap emploi 33")
    contact = make_partner_contact(bordeaux, partner, name="Fatou Ndiaye", role="Conseillère")
    make_interaction(bordeaux, partner, kind="meeting", summary="Rencontre avec l’équipe", contacts=[contact])
    html = client.get(f"/a/bordeaux/partners/{partner.id}").get_data(as_text=True)
    assert "Fatou Ndiaye" in html and "Rencontre avec l’équipe" in html and "Confiance" in html


def test_a_contact_who_left_is_deactivated_and_kept_in_the_history(client, staff, bordeaux):
    partner = make_partner(bordeaux)
    contact = make_partner_contact(bordeaux, partner, name="Hugo Lambert")
    make_interaction(bordeaux, partner, summary="Appel avec Hugo", contacts=[contact])
    assert client.post(f"/a/bordeaux/partner-contacts/{contact.id}/active").status_code == 302
    _db.session.refresh(contact)
    assert contact.active is False
    html = client.get(f"/a/bordeaux/partners/{partner.id}").get_data(as_text=True)
    assert "Hugo Lambert" in html and "Parti·e" in html


def test_a_partner_is_created_with_a_checked_siret(client, staff, bordeaux):
    response = client.post("/a/bordeaux/partners/new", data={"name": "Régie de quartier", "kind": "siae",
                                                             "siret": "73282932000075"})
    assert response.status_code == 422 and "Ce SIRET n’existe pas" in response.get_data(as_text=True)
    assert _count(Partner) == 0
    response = client.post("/a/bordeaux/partners/new", data={"name": "Régie de quartier", "kind": "siae",
                                                             "siret": "732 829 320 00074", "postcode": "33000"})
    assert response.status_code == 302
    assert _db.session.scalar(select(Partner.siret)) == "73282932000074"


# --- the contact log --------------------------------------------------------------------------------


def _log(client, partner, headers=None, **fields):
    data = {"happened_on": TODAY.isoformat(), "kind": "call", "summary": "Appel : présentation", **fields}
    return client.post(f"/a/bordeaux/partners/{partner.id}/interactions?from=list", data=data, headers=headers or {})


def test_logging_an_exchange_in_place_answers_the_timeline_with_the_new_item_focused(client, staff, bordeaux):
    partner = make_partner(bordeaux, name="CCAS de Pessac")
    contact = make_partner_contact(bordeaux, partner, name="Sandrine Morel")
    response = _log(client, partner, HTMX, author_id=staff.id, contact_ids=[contact.id], next_step="Envoyer la plaquette",
                    next_step_due=(TODAY + timedelta(days=3)).isoformat())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    interaction = _db.session.scalar(select(Interaction))
    assert "<html" not in html and f'id="interaction-{interaction.id}"' in html
    assert html.index("data-focus-after-swap") > html.index(f'id="interaction-{interaction.id}"') - 200
    assert json.loads(response.headers["HX-Trigger"])["announce"].endswith("avec CCAS de Pessac noté.")
    assert [c.name for c in interaction.contacts] == ["Sandrine Morel"]
    assert interaction.next_step_owner_id == staff.id  # the author owns the next step unless someone else is named
    assert _db.session.get(Partner, partner.id).stage == "first_contact"  # a prospect's first exchange


def test_a_refused_exchange_shows_its_errors_in_place_and_writes_nothing(client, staff, bordeaux):
    partner = make_partner(bordeaux)
    response = _log(client, partner, HTMX, summary="", next_step="Rappeler")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Résumez l’échange" in html and "<html" not in html and 'role="alert"' in html
    response = _log(client, partner, HTMX, author_id=staff.id, next_step="Rappeler")
    assert response.status_code == 422 and "Indiquez pour quand est la prochaine étape." in response.get_data(as_text=True)
    response = _log(client, partner, HTMX, author_id=staff.id, happened_on=(TODAY + timedelta(days=2)).isoformat())
    assert response.status_code == 422 and "une date passée" in response.get_data(as_text=True)
    assert _count(Interaction) == 0 and _db.session.get(Partner, partner.id).stage == "prospect"


def test_contacts_of_another_partner_are_refused(client, staff, bordeaux):
    partner, other = make_partner(bordeaux), make_partner(bordeaux)
    stranger = make_partner_contact(bordeaux, other)
    response = _log(client, partner, HTMX, author_id=staff.id, contact_ids=[stranger.id])
    assert response.status_code == 422 and _count(Interaction) == 0


def test_without_javascript_an_exchange_is_logged_and_the_partner_page_shown(client, staff, bordeaux):
    partner = make_partner(bordeaux)
    assert client.get(f"/a/bordeaux/partners/{partner.id}/interactions").status_code == 200
    response = _log(client, partner, author_id=staff.id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/partners/{partner.id}#timeline")
    assert _count(Interaction) == 1


def test_a_next_step_is_closed_in_place(client, staff, bordeaux):
    step = make_interaction(bordeaux, next_step="Rappeler", next_step_due=TODAY - timedelta(days=1))
    page = client.get("/a/bordeaux/partners/follow-ups").get_data(as_text=True)
    assert "Rappeler" in page and "En retard" in page
    response = client.post(f"/a/bordeaux/interactions/{step.id}/done", headers=HTMX)
    assert response.status_code == 200 and "Fait" in response.get_data(as_text=True)
    assert _db.session.get(Interaction, step.id).next_step_done_at is not None
    assert "Rappeler" not in client.get("/a/bordeaux/partners/follow-ups").get_data(as_text=True)


def test_follow_ups_list_the_most_overdue_first_and_can_show_only_mine(client, staff, bordeaux):
    other = make_membership(bordeaux, "staff", make_user(name="Autre")).user
    make_interaction(bordeaux, next_step="Deuxième", next_step_due=TODAY + timedelta(days=3), next_step_owner_id=staff.id)
    make_interaction(bordeaux, next_step="Première", next_step_due=TODAY - timedelta(days=3), next_step_owner_id=other.id)
    make_interaction(make_association(), next_step="Ailleurs", next_step_due=TODAY)
    page = client.get("/a/bordeaux/partners/follow-ups").get_data(as_text=True)
    assert page.index("Première") < page.index("Deuxième") and "Ailleurs" not in page
    mine = client.get("/a/bordeaux/partners/follow-ups?mine=1").get_data(as_text=True)
    assert "Deuxième" in mine and "Première" not in mine


# --- the digest ---------------------------------------------------------------------------------------


EVENING = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 18:00 in Paris, the 27th


def test_next_steps_due_reach_their_owner_in_the_daily_digest(bordeaux):
    owner = make_membership(bordeaux, "staff", make_user(name="Sam Staff")).user
    colleague = make_membership(bordeaux, "staff", make_user(name="Collègue")).user
    partner = make_partner(bordeaux, name="Mission locale des Graves")
    make_interaction(bordeaux, partner, next_step="Rappeler Fatou", next_step_due=date(2026, 11, 27),
                     next_step_owner_id=owner.id)
    make_interaction(bordeaux, partner, next_step="Plus tard", next_step_due=date(2026, 12, 10), next_step_owner_id=owner.id)
    make_interaction(bordeaux, partner, next_step="Déjà fait", next_step_due=date(2026, 11, 26), next_step_owner_id=owner.id,
                     next_step_done_at=EVENING)
    assert send_digests(EVENING) == 1  # only the owner has something to read
    [message] = _db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "daily_digest")).all()
    assert message.to_address == owner.email and message.to_address != colleague.email
    assert "Rappeler Fatou" in message.text_body and "Mission locale des Graves" in message.text_body
    assert "Plus tard" not in message.text_body and "Déjà fait" not in message.text_body


# --- trust figures -------------------------------------------------------------------------------------


def test_trust_figures_on_a_crafted_history(bordeaux):
    """Meetings and days from the first exchange to the first referral; average and median over partners."""
    slow, quick, none_yet = (make_partner(bordeaux, name=n) for n in ("Lente", "Rapide", "Pas encore"))
    for partner, meetings, first_referral in ((slow, 4, date(2026, 5, 1)), (quick, 2, date(2026, 2, 10))):
        make_interaction(bordeaux, partner, kind="call", happened_on=date(2026, 1, 1))
        for i in range(meetings):
            make_interaction(bordeaux, partner, kind="meeting", happened_on=date(2026, 1, 5) + timedelta(days=7 * i))
        make_interaction(bordeaux, partner, kind="meeting", happened_on=date(2026, 6, 1))  # after: not counted
        make_referral(bordeaux, partner, received_on=first_referral)
        make_referral(bordeaux, partner, received_on=first_referral + timedelta(days=30))
    make_interaction(bordeaux, none_yet, kind="meeting", happened_on=date(2026, 3, 1))
    rows = {row.name: row for row in trust.partner_trust(association_id=bordeaux.id)}
    assert (rows["Lente"].meetings, rows["Lente"].days) == (4, 120)
    assert (rows["Rapide"].meetings, rows["Rapide"].days) == (2, 40)
    assert (rows["Pas encore"].meetings, rows["Pas encore"].days) == (1, None)
    summary = trust.summarize(list(rows.values()))
    assert (summary.partners, summary.reached) == (3, 2)
    assert (summary.meetings_average, summary.meetings_median) == (3, 3)
    assert (summary.days_average, summary.days_median) == (80, 80)


def test_referral_figures_by_partner_and_period(bordeaux):
    partner = make_partner(bordeaux, name="France Travail Talence")
    received = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    make_referral(bordeaux, partner, status="accepted", received_at=received,
                  beneficiary_id=make_beneficiary(bordeaux).id, first_appointment_at=received + timedelta(days=6))
    make_referral(bordeaux, partner, status="accepted", received_at=received,
                  first_appointment_at=received + timedelta(days=10))
    make_referral(bordeaux, partner, status="refused", refusal_reason="out_of_area", received_at=received)
    make_referral(bordeaux, partner, status="pending", received_at=received - timedelta(days=400))  # outside
    [stats] = trust.referral_stats(bordeaux.id, trust.Period(date(2026, 1, 1), date(2026, 12, 31)))
    assert (stats.received, stats.accepted, stats.refused, stats.with_appointment) == (3, 2, 1, 2)
    assert stats.refusals == {"out_of_area": 1} and stats.median_days_to_appointment == 8


def test_the_figures_page_opens(client, staff, bordeaux):
    make_referral(bordeaux, make_partner(bordeaux, name="CCAS de Pessac"))
    response = client.get("/a/bordeaux/partners/figures?from=2000-01-01")
    assert response.status_code == 200 and "CCAS de Pessac" in response.get_data(as_text=True)


# --- the beneficiary file's referrer ----------------------------------------------------------------------


def test_the_file_form_offers_the_partners_and_other_stays_possible(client, staff, bordeaux):
    partner = make_partner(bordeaux, name="Mission locale des Graves")
    contact = make_partner_contact(bordeaux, partner, name="Élodie Caron")
    make_partner(make_association(), name="Mission locale d’ailleurs")
    page = client.get("/a/bordeaux/beneficiaries/new").get_data(as_text=True)
    assert "Mission locale des Graves" in page and "Mission locale d’ailleurs" not in page
    base = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@exemple.test", "contact_channel": "email",
            "consent_scope": "accompaniment"}
    assert client.post("/a/bordeaux/beneficiaries/new", data={
        **base, "referrer_partner_id": partner.id, "referrer_contact_id": contact.id}).status_code == 302
    assert client.post("/a/bordeaux/beneficiaries/new", data={
        **base, "email": "grace@exemple.test", "first_name": "Grace", "referrer": "Le voisin"}).status_code == 302
    ada, grace = _db.session.scalars(select(Beneficiary).order_by(Beneficiary.id)).all()
    assert (ada.referrer_partner_id, ada.referrer_contact_id, ada.referrer_label) == (partner.id, contact.id, partner.name)
    assert (grace.referrer_partner_id, grace.referrer_label) == (None, "Le voisin")
    show = client.get(f"/a/bordeaux/beneficiaries/{ada.id}").get_data(as_text=True)
    assert "Mission locale des Graves" in show and "Élodie Caron" in show


def test_another_associations_partner_cannot_be_named_referrer(client, staff, bordeaux):
    elsewhere = make_partner(make_association(), name="Ailleurs")
    response = client.post("/a/bordeaux/beneficiaries/new", data={
        "first_name": "Ada", "last_name": "L", "email": "ada@exemple.test", "contact_channel": "email",
        "consent_scope": "accompaniment", "referrer_partner_id": elsewhere.id})
    assert response.status_code == 422 and _count(Beneficiary) == 0


def test_the_partner_search_of_the_file_form_narrows_the_options(client, staff, bordeaux):
    make_partner(bordeaux, name="CCAS de Pessac")
    chosen = make_partner(bordeaux, name="PLIE des Graves")
    html = client.get("/a/bordeaux/partners/referrer-options", query_string={
        "referrer_q": "pessac", "referrer_partner_id": chosen.id}, headers=HTMX).get_data(as_text=True)
    assert "CCAS de Pessac" in html and "PLIE des Graves" in html  # the choice already made stays
    html = client.get("/a/bordeaux/partners/referrer-options", query_string={"referrer_q": "zzz"}).get_data(as_text=True)
    assert "Aucun partenaire ne correspond" in html


# --- the network office ------------------------------------------------------------------------------------


def test_the_network_sees_every_partner_and_the_same_organisation_in_several_associations(client, login_as):
    lille, le_mans = make_association("lille", name="Tremplin Lille"), make_association("le-mans", name="Tremplin Le Mans")
    make_partner(lille, name="Emmaüs Connect", siret="73282932000074")
    make_partner(le_mans, name="Emmaus Connect HDF", siret="73282932000074")
    make_partner(lille, name="Mission Locale de Lille", name_key="mission locale de lille", postcode="59000")
    make_partner(le_mans, name="Mission locale de Lille", name_key="mission locale de lille", postcode="59000")
    make_partner(le_mans, name="CCAS du Mans", postcode="72000")
    login_as("network")
    html = client.get("/network/partners").get_data(as_text=True)
    assert "CCAS du Mans" in html and "Tremplin Le Mans" in html
    duplicates = html.split("plusieurs associations")[1]
    assert "73282932000074" in duplicates and "Emmaus Connect HDF" in duplicates
    assert "Mission locale de Lille (59000)" in duplicates or "Mission Locale de Lille (59000)" in duplicates
    assert "CCAS du Mans" not in duplicates.split("Tous les partenaires")[0]


def test_association_members_cannot_open_the_network_view(client, staff):
    assert client.get("/network/partners").status_code == 403


def test_the_network_sees_referral_figures_by_partner_kind_and_department(client, login_as):
    lille = make_association("lille", name="Tremplin Lille")
    partner = make_partner(lille, name="PLIE de Roubaix", kind="plie", postcode="59100", department_code="59")
    make_referral(lille, partner, status="accepted")
    make_referral(lille, partner, status="refused", refusal_reason="full")
    login_as("network")
    html = client.get("/network/partners").get_data(as_text=True)
    by_kind = html.split("par type de partenaire</caption>")[1].split("</table>")[0]
    by_department = html.split("par département du partenaire</caption>")[1].split("</table>")[0]
    assert "PLIE" in by_kind and ">2<" in by_kind and ">1<" in by_kind
    assert ">59<" in by_department and ">2<" in by_department


def test_choosing_a_partner_in_the_file_form_offers_its_contacts(client, staff, bordeaux):
    partner, other = make_partner(bordeaux), make_partner(bordeaux)
    make_partner_contact(bordeaux, partner, name="Élodie Caron", role="Conseillère")
    make_partner_contact(bordeaux, other, name="Hugo Lambert")
    make_partner_contact(bordeaux, partner, name="Partie", active=False)
    html = client.get("/a/bordeaux/partners/referrer-contacts", query_string={"referrer_partner_id": partner.id},
                      headers=HTMX).get_data(as_text=True)
    assert "Élodie Caron — Conseillère" in html and "Hugo Lambert" not in html and "Partie" not in html


def test_a_next_step_is_closed_in_place_from_the_partners_timeline(client, staff, bordeaux):
    partner = make_partner(bordeaux)
    step = make_interaction(bordeaux, partner, next_step="Envoyer la plaquette", next_step_due=TODAY)
    assert "Étape faite" in client.get(f"/a/bordeaux/partners/{partner.id}").get_data(as_text=True)
    response = client.post(f"/a/bordeaux/interactions/{step.id}/done", data={"back": "partner"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="interaction-{step.id}"' in html and "Étape faite" not in html
    assert "badge-ok" in html and _db.session.get(Interaction, step.id).next_step_done_at is not None
    response = client.post(f"/a/bordeaux/interactions/{step.id}/done", data={"back": "partner"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/partners/{partner.id}#timeline")
