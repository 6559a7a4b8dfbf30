"""Beneficiary files: creation, duplicates, consent, status, audit, lists."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.audit.models import AuditEntry
from intranet.beneficiaries import services
from intranet.beneficiaries.models import Beneficiary, Commune
from intranet.clock import today_in
from tests.factories import make_association, make_beneficiary, make_journey, make_partner

TODAY = today_in("Europe/Paris")


def identity(**fields):
    return {"first_name": "Amina", "last_name": "Traoré", "email": "amina@exemple.test", "phone": "",
            "postcode": "33000", "commune": "Bordeaux", "contact_channel": "email", **fields}


def form(**fields):
    data = {"first_name": "Amina", "last_name": "Traoré", "email": "amina@exemple.test", "phone": "06 12 34 56 78",
            "postcode": "33000", "commune": "Bordeaux", "contact_channel": "email", "consent_scope": "", **fields}
    return {k: v for k, v in data.items() if v is not None}


# --- services ---------------------------------------------------------------------------


def test_creating_a_file_logs_who_and_which_fields(bordeaux, staff, db, app):
    with app.test_request_context():
        from flask_login import login_user

        login_user(staff)
        b = services.create(bordeaux.id, identity())
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_id == b.id))
    assert entry.action == "create" and entry.user_id == staff.id
    assert "first_name" in entry.fields and "Amina" not in str(entry.fields)


def test_context_needs_consent(bordeaux, db):
    with pytest.raises(services.FileError) as error:
        services.create(bordeaux.id, identity(target_job="Cariste"))
    assert error.value.field == "consent_scope"
    assert db.session.scalar(select(func.count()).select_from(Beneficiary)) == 0


def test_esf_data_needs_the_esf_consent(bordeaux, db):
    with pytest.raises(services.FileError):
        services.create(bordeaux.id, identity(gender="woman"), consent_scope="accompaniment")
    b = services.create(bordeaux.id, identity(gender="woman"), consent_scope="accompaniment_esf")
    assert b.gender == "woman" and b.consent_at is not None


def test_rural_is_derived_from_a_known_commune(bordeaux, db):
    db.session.add(Commune(postcode="33830", name="Belin-Béliet", name_key="belin beliet", rural=True))
    db.session.commit()
    derived = services.create(bordeaux.id, identity(postcode="33830", commune="BELIN BELIET", rural="no"),
                              consent_scope="accompaniment_esf")
    asked = services.create(bordeaux.id, identity(email="x@exemple.test", commune="Inconnue", rural="no"),
                            consent_scope="accompaniment_esf")
    assert derived.rural == "yes" and asked.rural == "no"


@pytest.mark.parametrize("match", [
    {"email": "AMINA@exemple.test"},
    {"phone": "+33612345678"},
    {"first_name": "amina", "last_name": "TRAORE", "birth_date": date(1990, 5, 4)},
])
def test_duplicates_are_found_by_email_phone_or_name_and_birth_date(bordeaux, match):
    make_beneficiary(bordeaux, first_name="Amina", last_name="Traoré", email="amina@exemple.test",
                     phone="+33612345678", birth_date=date(1990, 5, 4))
    query = {"email": "", "phone": "", "first_name": "Autre", "last_name": "Personne", "birth_date": None, **match}
    assert len(services.find_duplicates(bordeaux.id, **query)) == 1


def test_duplicates_are_looked_for_in_the_same_association_only(bordeaux):
    make_beneficiary(make_association(), email="amina@exemple.test")
    assert services.find_duplicates(bordeaux.id, email="amina@exemple.test") == []


def test_same_name_with_another_birth_date_is_no_duplicate(bordeaux):
    make_beneficiary(bordeaux, first_name="Amina", last_name="Traoré", birth_date=date(1990, 5, 4))
    assert services.find_duplicates(bordeaux.id, first_name="Amina", last_name="Traoré",
                                    birth_date=date(1991, 5, 4)) == []


@pytest.mark.parametrize("start,target,allowed", [
    ("new", "in_progress", True), ("new", "withdrawn", True), ("new", "completed", False),
    ("in_progress", "completed", True), ("in_progress", "new", False), ("completed", "in_progress", True),
    ("withdrawn", "in_progress", True), ("withdrawn", "completed", False),
])
def test_status_transitions(bordeaux, db, start, target, allowed):
    b = make_beneficiary(bordeaux, status=start)
    if allowed:
        services.change_status(b, target)
        assert b.status == target
    else:
        with pytest.raises(services.FileError):
            services.change_status(b, target)
        db.session.rollback()
        db.session.refresh(b)
        assert b.status == start


def test_counters(bordeaux):
    make_beneficiary(bordeaux, status="in_progress", interview_on=TODAY + timedelta(days=3))
    make_beneficiary(bordeaux, status="new", interview_on=TODAY + timedelta(days=10))
    started = make_beneficiary(bordeaux, status="in_progress")
    journey = make_journey(bordeaux, started)
    journey.modules[0].status = "done"
    make_beneficiary(bordeaux, status="in_progress", active=False)
    assert services.counters(bordeaux.id, TODAY) == {"in_progress": 2, "waiting": 2, "interviews": 1}


# --- pages ------------------------------------------------------------------------------


def test_creating_a_file_through_the_form(client, staff, db):
    response = client.post("/a/bordeaux/beneficiaries/new", data=form(
        consent_scope="accompaniment_esf", referrer="France Travail", target_job="Cariste",
        interview_on=(TODAY + timedelta(days=2)).isoformat(), gender="woman", birth_date="1990-05-04",
        disability="undisclosed"))
    b = db.session.scalar(select(Beneficiary))
    assert response.status_code == 302 and response.headers["Location"] == f"/a/bordeaux/beneficiaries/{b.id}"
    assert (b.phone, b.disability, b.referrer) == ("+33612345678", "undisclosed", "France Travail")
    page = client.get(f"/a/bordeaux/beneficiaries/{b.id}").get_data(as_text=True)
    assert "Amina Traoré" in page and "06 12 34 56 78" in page and "30 à 54 ans" in page


@pytest.mark.parametrize("fields,field,message", [
    ({"first_name": ""}, "first_name", "Indiquez le prénom."),
    ({"phone": "12 34"}, "phone", "Un numéro comme 06 12 34 56 78"),
    ({"postcode": "330"}, "postcode", "Un code postal de 5 chiffres"),
    ({"postcode": "٣٣٠٠٠"}, "postcode", "avec les chiffres 0 à 9"),
    ({"postcode": "３３０００"}, "postcode", "avec les chiffres 0 à 9"),
    ({"phone": "٠٦١٢٣٤٥٦٧٨"}, "phone", "avec les chiffres 0 à 9"),
    ({"phone": "06 12 34 ٥٦ 78"}, "phone", "avec les chiffres 0 à 9"),
    ({"email": "", "contact_channel": "email"}, "contact_channel", "Indiquez une adresse e-mail"),
    ({"target_job": "Cariste"}, "consent_scope", "Recueillez le consentement"),
    ({"birth_date": "2020-01-01", "consent_scope": "accompaniment_esf"}, "birth_date", "au moins 14 ans"),
])
def test_bad_input_is_explained_next_to_its_field_and_nothing_is_saved(client, staff, db, fields, field, message):
    response = client.post("/a/bordeaux/beneficiaries/new", data=form(**fields))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html.split(f'id="{field}-error"')[1][:200]
    assert db.session.scalar(select(func.count()).select_from(Beneficiary)) == 0


def test_a_possible_duplicate_is_offered_before_a_new_file_is_made(client, staff, bordeaux, db):
    existing = make_beneficiary(bordeaux, first_name="Amina", last_name="Traoré", email="amina@exemple.test")
    first = client.post("/a/bordeaux/beneficiaries/new", data=form())
    html = first.get_data(as_text=True)
    assert first.status_code == 422 and "a peut-être déjà une fiche" in html
    assert f"/a/bordeaux/beneficiaries/{existing.id}" in html
    assert db.session.scalar(select(func.count()).select_from(Beneficiary)) == 1
    confirmed = client.post("/a/bordeaux/beneficiaries/new", data=form(confirm_duplicate="1"))
    assert confirmed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Beneficiary)) == 2


def test_editing_a_file_logs_the_changed_fields(client, staff, bordeaux, db):
    b = make_beneficiary(bordeaux, first_name="Amina", last_name="Traoré", email="amina@exemple.test",
                         phone="+33612345678", postcode="33000", commune="Bordeaux")
    client.post(f"/a/bordeaux/beneficiaries/{b.id}/edit", data=form(commune="Talence", postcode="33400"))
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_id == b.id)).all()[-1]
    assert entry.action == "update" and entry.fields == ["commune", "postcode"] and entry.user_id == staff.id
    assert "Julien Moreau" in client.get(f"/a/bordeaux/beneficiaries/{b.id}").get_data(as_text=True)


def test_deactivating_asks_then_hides_the_file_from_the_list(client, staff, bordeaux, db):
    b = make_beneficiary(bordeaux, last_name="Cachée")
    assert "Désactiver la fiche de" in client.get(f"/a/bordeaux/beneficiaries/{b.id}/deactivate").get_data(as_text=True)
    client.post(f"/a/bordeaux/beneficiaries/{b.id}/deactivate")
    assert "CACHÉE" not in _results(client.get("/a/bordeaux/beneficiaries").get_data(as_text=True))
    assert "CACHÉE" in _results(client.get("/a/bordeaux/beneficiaries?inactive=1").get_data(as_text=True))
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.object_id == b.id)) == "deactivate"


def test_a_refused_status_change_says_why(client, staff, bordeaux):
    b = make_beneficiary(bordeaux, status="new")
    page = client.post(f"/a/bordeaux/beneficiaries/{b.id}/status", data={"status": "completed"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Ce changement de statut n’est pas possible." in page


def _results(html):
    return html.split('id="results"')[1]


def _names(html):
    results = _results(html).upper()
    return [b for b in ("Alpha", "Bravo", "Charlie", "Delta") if b.upper() in results]


def test_search_matches_name_email_phone_and_commune(client, staff, bordeaux):
    make_beneficiary(bordeaux, last_name="Alpha", email="alpha@exemple.test", commune="Pessac")
    make_beneficiary(bordeaux, last_name="Bravo", phone="+33698765432", commune="Talence")
    for q, expected in (("alph", ["Alpha"]), ("06 98 76", ["Bravo"]), ("talence", ["Bravo"]),
                        ("alpha@", ["Alpha"])):
        html = client.get("/a/bordeaux/beneficiaries", query_string={"q": q}).get_data(as_text=True)
        assert _names(html) == expected, q


def test_filters_combine_and_keep_to_the_association(client, staff, bordeaux):
    france_travail, ccas = make_partner(bordeaux, name="France Travail"), make_partner(bordeaux, name="CCAS")
    elsewhere = make_association()
    make_beneficiary(bordeaux, last_name="Alpha", status="in_progress", referrer_partner_id=france_travail.id,
                     interview_on=TODAY + timedelta(days=1))
    make_beneficiary(bordeaux, last_name="Bravo", status="in_progress", referrer_partner_id=ccas.id)
    make_beneficiary(bordeaux, last_name="Charlie", status="new", referrer_partner_id=france_travail.id)
    make_beneficiary(bordeaux, last_name="Echo", status="new", referrer="Le voisin")
    make_beneficiary(elsewhere, last_name="Delta", status="in_progress",
                     referrer_partner_id=make_partner(elsewhere, name="France Travail").id)
    get = lambda **q: _names(client.get("/a/bordeaux/beneficiaries", query_string=q).get_data(as_text=True))  # noqa: E731
    assert get(status="in_progress") == ["Alpha", "Bravo"]
    assert get(referrer=france_travail.id) == ["Alpha", "Charlie"]
    html = client.get("/a/bordeaux/beneficiaries", query_string={"referrer": "other"}).get_data(as_text=True)
    assert "ECHO" in _results(html).upper() and _names(html) == []
    assert get(interview="soon") == ["Alpha"]
    assert get(status="in_progress", referrer=ccas.id) == ["Bravo"]


def test_the_program_filter(client, staff, bordeaux):
    make_journey(bordeaux, make_beneficiary(bordeaux, last_name="Alpha"))  # remote modules
    make_beneficiary(bordeaux, last_name="Bravo")
    from tests.factories import program

    html = client.get("/a/bordeaux/beneficiaries", query_string={"program": program("remote").id}).get_data(as_text=True)
    assert _names(html) == ["Alpha"]


def test_upcoming_interviews_come_first_and_are_marked(client, staff, bordeaux):
    make_beneficiary(bordeaux, last_name="Bravo")
    make_beneficiary(bordeaux, last_name="Alpha", interview_on=TODAY + timedelta(days=2))
    html = client.get("/a/bordeaux/beneficiaries").get_data(as_text=True)
    assert html.index("ALPHA") < html.index("BRAVO") and "Prioritaire" in html


def test_the_list_is_one_fragment_for_htmx(client, staff, bordeaux):
    make_beneficiary(bordeaux, last_name="Alpha")
    html = client.get("/a/bordeaux/beneficiaries?q=alp", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="results"') and "<html" not in html


def test_a_bad_filter_value_is_ignored_not_an_error(client, staff):
    assert client.get("/a/bordeaux/beneficiaries?status=nope&program=x&sort=drop&page=abc").status_code == 200


def test_the_list_runs_the_same_number_of_queries_for_10_and_200_files(client, staff, bordeaux, count_queries, db):
    def queries():
        with count_queries() as statements:
            assert client.get("/a/bordeaux/beneficiaries").status_code == 200
        return len(statements)

    db.session.add_all([Beneficiary(association_id=bordeaux.id, first_name="P", last_name=f"N{i}",
                                    status="in_progress", referrer=f"R{i % 3}") for i in range(10)])
    db.session.commit()
    ten = queries()
    db.session.add_all([Beneficiary(association_id=bordeaux.id, first_name="P", last_name=f"M{i}",
                                    status="new", referrer=f"R{i % 7}") for i in range(190)])
    db.session.commit()
    assert queries() == ten


def test_volunteers_have_no_access_to_files(client, login_as, bordeaux):
    b = make_beneficiary(bordeaux)
    login_as("volunteer", bordeaux)
    assert client.get("/a/bordeaux/beneficiaries").status_code == 403
    assert client.get(f"/a/bordeaux/beneficiaries/{b.id}").status_code == 403


def test_the_filters_keep_what_was_chosen(client, staff, bordeaux):
    partner = make_partner(bordeaux, name="France Travail")
    make_beneficiary(bordeaux, referrer_partner_id=partner.id)
    page = client.get(f"/a/bordeaux/beneficiaries?status=in_progress&referrer={partner.id}&sort=name").get_data(
        as_text=True)
    assert '<option value="in_progress" selected>' in page
    assert f'<option value="{partner.id}" selected>France Travail</option>' in page
    assert '<option value="name" selected>' in page
    assert '<option value="interview" selected>' not in page
