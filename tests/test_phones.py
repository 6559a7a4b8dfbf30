"""Phone numbers: one shared rule (intranet.phones), overseas departments with their own country codes."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from config import TestConfig
from intranet import create_app
from intranet.beneficiaries.models import Beneficiary
from intranet.extensions import db as _db
from intranet.phones import format_phone, normalize_phone
from intranet.values import InvalidValue
from tests.conftest import ROOT
from tests.factories import make_association, make_beneficiary


@pytest.mark.parametrize("raw,e164", [
    ("0692 12 34 56", "+262692123456"),  # La Réunion
    ("0693 12 34 56", "+262693123456"),
    ("0262 12 34 56", "+262262123456"),
    ("0690 12 34 56", "+590690123456"),  # Guadeloupe
    ("0590 12 34 56", "+590590123456"),
    ("0696 12 34 56", "+596696123456"),  # Martinique
    ("0694 20 12 34", "+594694201234"),  # Guyane
    ("0594 12 34 56", "+594594123456"),
    ("0639 01 23 45", "+262639012345"),  # Mayotte
    ("0269 61 23 45", "+262269612345"),
    ("06 12 34 56 78", "+33612345678"),  # mainland France
    ("01 42 68 53 00", "+33142685300"),
    ("+44 20 7946 0958", "+442079460958"),
    ("0044 20 7946 0958", "+442079460958"),
])
def test_numbers_are_stored_in_e164_with_their_own_country_code(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("e164,shown", [
    ("+262692123456", "0692 12 34 56"),
    ("+33612345678", "06 12 34 56 78"),
    ("+442079460958", "020 7946 0958"),  # the United Kingdom's national format
    ("+590690123456", "0690 12 34 56"),
])
def test_numbers_are_shown_in_the_national_format_of_their_country(e164, shown):
    assert format_phone(e164) == shown


def test_a_stored_value_that_is_no_number_is_shown_as_stored():
    assert format_phone("+1234") == "+1234" and format_phone("") == ""


def test_a_nonexistent_country_code_is_refused_with_its_reason():
    with pytest.raises(InvalidValue, match="indicatif de pays n’existe pas"):
        normalize_phone("+999 1234 5678")


@pytest.mark.parametrize("raw", ["06 12 34", "0692 12 34", "+33 6 12", "+44 20 7946", "0012", "+262 692"])
def test_short_numbers_are_refused(raw):
    with pytest.raises(InvalidValue):
        normalize_phone(raw)


def test_a_number_that_cannot_exist_is_refused():
    with pytest.raises(InvalidValue):
        normalize_phone("06 12 34 56 78 90")


@pytest.fixture
def staff(login_as):
    association = make_association("saint-denis", timezone="Indian/Reunion")
    login_as("staff", association)
    return association


def test_a_file_takes_an_overseas_number_and_shows_it_the_way_it_was_typed(client, staff, db):
    response = client.post("/a/saint-denis/beneficiaries/new", data={
        "first_name": "Aïssata", "last_name": "Payet", "email": "", "phone": "0692 12 34 56", "postcode": "97400",
        "commune": "Saint-Denis", "contact_channel": "phone", "consent_scope": ""})
    assert response.status_code == 302
    beneficiary = db.session.scalar(select(Beneficiary))
    assert beneficiary.phone == "+262692123456"
    page = client.get(f"/a/saint-denis/beneficiaries/{beneficiary.id}").get_data(as_text=True)
    assert "0692 12 34 56" in page and 'href="tel:+262692123456"' in page


def test_a_file_with_an_unknown_country_code_says_why_next_to_the_phone(client, staff, db):
    response = client.post("/a/saint-denis/beneficiaries/new", data={
        "first_name": "Aïssata", "last_name": "Payet", "email": "", "phone": "+999 12 34 56 78", "postcode": "",
        "commune": "", "contact_channel": "phone", "consent_scope": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "indicatif de pays n’existe pas" in html.split('id="phone-error"')[1][:300]
    assert db.session.scalar(select(func.count()).select_from(Beneficiary)) == 0


@pytest.fixture
def scratch_app(tmp_path):
    """An app of its own on an empty SQLite file, to run the migrations down and up without touching the suite's."""

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"

    app = create_app(Settings)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        yield app
        _db.session.remove()
        _db.engine.dispose()


def test_the_migration_renormalises_stored_phones_and_fills_the_search_keys(scratch_app):
    directory = str(ROOT / "migrations")
    association = make_association("reunion")
    overseas = make_beneficiary(association, last_name="Payet", phone="+262692123456")
    mainland = make_beneficiary(association, last_name="Martin", phone="+33612345678")
    unreadable = make_beneficiary(association, last_name="Hoarau", phone="+33612345678")
    ids = overseas.id, mainland.id, unreadable.id
    _db.session.remove()
    downgrade(directory=directory, revision="0007_outbox_secrets")
    with _db.engine.begin() as conn:  # what the former rule stored for 0692 12 34 56, and a value no rule reads
        conn.execute(text("UPDATE beneficiary SET phone = '+33692123456' WHERE id = :id"), {"id": ids[0]})
        conn.execute(text("UPDATE beneficiary SET phone = '12-34' WHERE id = :id"), {"id": ids[2]})
    upgrade(directory=directory)
    rows = {b.id: b for b in _db.session.scalars(select(Beneficiary))}
    assert [rows[i].phone for i in ids] == ["+262692123456", "+33612345678", "12-34"]
    assert "payet" in rows[ids[0]].search_key and "0692123456" in rows[ids[0]].search_key
