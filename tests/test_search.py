"""Search that ignores case and accents: one folding rule, a stored key on beneficiary files, one indexed condition."""

import warnings

import pytest
from sqlalchemy import insert

from intranet.beneficiaries import services
from intranet.beneficiaries.models import Beneficiary
from intranet.clock import today_in
from intranet.extensions import db as _db
from intranet.search import fold
from tests.factories import make_association, make_beneficiary

TODAY = today_in("Europe/Paris")


@pytest.mark.parametrize("text,folded", [
    ("TRAORÉ", "traore"), ("Traoré", "traore"), ("traore", "traore"),
    ("  Cœur   de\tLOIRE ", "coeur de loire"), ("ÆLFRIC", "aelfric"), ("Straße", "strasse"),
    ("Jean-Noël", "jean noel"), ("N’Diaye", "ndiaye"), ("Ａｍｉｎａ", "amina"),
])
def test_fold_ignores_case_accents_ligatures_and_spacing(text, folded):
    assert fold(text) == folded


def test_a_query_of_punctuation_only_is_no_condition():
    from sqlalchemy import column

    from intranet.search import matches

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert str(matches(column("search_key"), " - ’ ")) == "true"


@pytest.fixture
def bordeaux():
    return make_association("bordeaux")


def _found(association, q: str) -> list[str]:
    query = services.search(association.id, services.Filters(q=q, sort="name"), TODAY)
    return [b.last_name for b in _db.session.scalars(query)]


@pytest.mark.parametrize("q", ["TRAORÉ", "traore", "Traoré", "traoré", "TRAORE", "aminata traore", "Traore Aminata"])
def test_a_name_is_found_whatever_its_case_and_accents(bordeaux, q):
    make_beneficiary(bordeaux, first_name="Aminata", last_name="Traoré")
    make_beneficiary(bordeaux, first_name="Paul", last_name="Tran")
    assert _found(bordeaux, q) == ["Traoré"]


@pytest.mark.parametrize("q", ["SAINT-ÉTIENNE", "saint etienne", "Saint-Etienne", "étienne"])
def test_a_commune_is_found_whatever_its_case_accents_and_dashes(bordeaux, q):
    make_beneficiary(bordeaux, last_name="Alpha", commune="Saint-Étienne")
    make_beneficiary(bordeaux, last_name="Bravo", commune="Lyon")
    assert _found(bordeaux, q) == ["Alpha"]


@pytest.mark.parametrize("q", ["HÉLÈNE.FAURE@", "helene.faure@exemple", "Hélène.Faure@Exemple.test"])
def test_an_email_is_found_whatever_its_case_and_accents(bordeaux, q):
    make_beneficiary(bordeaux, last_name="Alpha", email="helene.faure@exemple.test")
    make_beneficiary(bordeaux, last_name="Bravo", email="paul@exemple.test")
    assert _found(bordeaux, q) == ["Alpha"]


@pytest.mark.parametrize("q", ["0692 12 34", "06.92.12", "+262 692 12", "262692"])
def test_a_phone_is_found_as_typed_nationally_or_internationally(bordeaux, q):
    make_beneficiary(bordeaux, last_name="Alpha", phone="+262692123456")
    make_beneficiary(bordeaux, last_name="Bravo", phone="+33612345678")
    assert _found(bordeaux, q) == ["Alpha"]


def test_like_wildcards_are_searched_as_themselves(bordeaux):
    make_beneficiary(bordeaux, last_name="Alpha", email="a_b@exemple.test")
    make_beneficiary(bordeaux, last_name="Bravo", email="axb@exemple.test")
    assert _found(bordeaux, "a_b") == ["Alpha"] and _found(bordeaux, "%") == []


def test_the_key_follows_every_change_of_the_file(bordeaux):
    beneficiary = services.create(bordeaux.id, {"first_name": "Aminata", "last_name": "Traoré", "email": "",
                                                "phone": "", "commune": "Bordeaux"})
    services.update(beneficiary, {"last_name": "Koné", "commune": "Pessac"})
    assert _found(bordeaux, "kone pessac") == ["Koné"] and _found(bordeaux, "traore") == []


def test_rows_inserted_in_bulk_get_their_key(bordeaux):
    _db.session.execute(insert(Beneficiary), [
        {"association_id": bordeaux.id, "first_name": "Aminata", "last_name": "TRAORÉ", "phone": "+262692123456"},
        {"association_id": bordeaux.id, "first_name": "Paul", "last_name": "Tran"}])
    _db.session.commit()
    assert _found(bordeaux, "traore") == ["TRAORÉ"] and _found(bordeaux, "0692 12") == ["TRAORÉ"]


def test_the_search_keeps_to_the_association(bordeaux):
    make_beneficiary(bordeaux, last_name="Traoré")
    make_beneficiary(make_association(), last_name="Traoré")
    assert _found(bordeaux, "traore") == ["Traoré"]


def test_the_list_page_finds_traore_as_typed_any_way(client, login_as, bordeaux):
    login_as("staff", bordeaux)
    make_beneficiary(bordeaux, first_name="Aminata", last_name="Traoré")
    make_beneficiary(bordeaux, first_name="Paul", last_name="Tran")
    for q in ("TRAORÉ", "traore", "Traoré"):
        html = client.get("/a/bordeaux/beneficiaries", query_string={"q": q}).get_data(as_text=True)
        results = html.split('id="results"')[1]
        assert "TRAORÉ" in results and "TRAN" not in results, q


def test_the_appointment_form_finds_people_without_accents(client, login_as, bordeaux):
    login_as("staff", bordeaux)
    make_beneficiary(bordeaux, first_name="Aminata", last_name="Traoré")
    make_beneficiary(bordeaux, first_name="Paul", last_name="Tran")
    html = client.get("/a/bordeaux/calendar/people", query_string={"q": "aminata TRAORE"}).get_data(as_text=True)
    assert "Aminata" in html and "Paul" not in html


def test_a_searched_list_runs_the_same_number_of_queries_for_10_and_200_files(client, login_as, bordeaux,
                                                                              count_queries):
    login_as("staff", bordeaux)

    def queries():
        with count_queries() as statements:
            assert client.get("/a/bordeaux/beneficiaries", query_string={"q": "traore"}).status_code == 200
        return len(statements)

    _db.session.add_all([Beneficiary(association_id=bordeaux.id, first_name="P", last_name=f"Traoré{i}")
                         for i in range(10)])
    _db.session.commit()
    ten = queries()
    _db.session.add_all([Beneficiary(association_id=bordeaux.id, first_name="P", last_name=f"TRAORE{i}")
                         for i in range(190)])
    _db.session.commit()
    assert queries() == ten
