"""Exports of the volunteers, their hours, the partners, their contact log and the referrals: the list's filters, the
association's rows only, French headers, CSV and XLSX, large ones as jobs, and only for who sees the list."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from intranet.exports import jobs as export_jobs
from intranet.exports.models import ExportJob
from intranet.extensions import db
from intranet.members.models import Membership
from tests.factories import (
    make_appointment,
    make_interaction,
    make_membership,
    make_partner,
    make_partner_contact,
    make_referral,
    make_session_log,
    make_volunteer,
    make_volunteer_activity,
    profile_of,
)

pytestmark = pytest.mark.usefixtures("jobs_run_here")  # the tests run the export jobs themselves


def export(client, source: str, query: str = "", fmt: str = "csv", **form):
    return client.post(f"/a/bordeaux/exports/{source}", data={"fmt": fmt, "query": query, **form})


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff") and response.headers["Content-Disposition"].startswith("attachment")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def column(rows: list[list[str]], name: str) -> list[str]:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


# --- volunteers and their hours ---------------------------------------------------------------------------------


def test_the_volunteers_export_follows_the_directory_filters(client, staff, bordeaux, lyon):
    make_volunteer(bordeaux, "Alice Filtre")
    make_volunteer(bordeaux, "Bruno Autre")
    make_volunteer(lyon, "Alice Lyonnaise")
    rows = read_csv(export(client, "volunteers", "q=alice"))
    assert rows[0][:4] == ["Nom", "E-mail", "Téléphone", "Statut"]
    assert column(rows, "Nom") == ["Alice Filtre"] and column(rows, "Statut") == ["Actif·ve"]
    assert sorted(column(read_csv(export(client, "volunteers")), "Nom")) == ["Alice Filtre", "Bruno Autre"]


def test_the_hours_export_sums_each_volunteers_hours_of_the_period_here_only(client, staff, bordeaux, lyon):
    zoe = make_volunteer(bordeaux, "Zoé Export")
    make_session_log(bordeaux, make_appointment(bordeaux, volunteer=zoe, status="done",
                                                starts_at=datetime(2026, 3, 2, 9, tzinfo=UTC)), minutes=90)
    make_appointment(bordeaux, volunteer=zoe, status="done", starts_at=datetime(2025, 3, 2, 9, tzinfo=UTC))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == zoe.id))
    make_volunteer_activity(bordeaux, profile_of(membership), done_on=date(2026, 4, 1), minutes=30)
    # The same person coaching in Lyon too: those hours are Lyon's.
    make_membership(lyon, "volunteer", zoe)
    make_appointment(lyon, volunteer=zoe, status="done", starts_at=datetime(2026, 3, 3, 9, tzinfo=UTC))
    make_volunteer(lyon, "Léo Lyon")
    rows = read_csv(export(client, "volunteer_hours", "year=2026"))
    assert rows == [["Bénévole", "E-mail", "Séances d’accompagnement (h)", "Formations suivies (h)",
                     "Autres activités (h)", "Total (h)", "Valorisation (€)"],
                    ["Zoé Export", zoe.email, "1,5", "0", "0,5", "2", "24,04"]]  # 2 h at 12,02 €
    assert read_csv(export(client, "volunteer_hours", "year=2026&month=4"))[1][2:6] == ["0", "0", "0,5", "0,5"]
    assert len(read_csv(export(client, "volunteer_hours", "year=2024"))) == 1  # headers only
    sheet = load_workbook(io.BytesIO(export(client, "volunteer_hours", "year=2026", "xlsx").data)).active
    assert (sheet["A1"].value, sheet["A2"].value, sheet["F2"].value) == ("Bénévole", "Zoé Export", 2)


@pytest.fixture
def large(app, monkeypatch):
    """Exports above two rows run as jobs, saving their progress every two rows."""
    monkeypatch.setitem(app.config, "EXPORT_SYNC_ROWS", 2)
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 2)


def test_a_large_hours_export_is_a_job_whose_chunks_keep_their_totals(client, staff, bordeaux, large):
    for n in range(5):
        volunteer = make_volunteer(bordeaux, f"Bénévole {n}")
        for _ in range(n + 1):
            make_appointment(bordeaux, volunteer=volunteer, status="done", starts_at=datetime(2026, 5, n + 1, 9, tzinfo=UTC))
    response = export(client, "volunteer_hours", "year=2026")
    job = db.session.scalar(select(ExportJob))
    assert response.headers["Location"] == f"/a/bordeaux/exports/{job.id}" and job.rows_total == 5
    export_jobs.run(job.id)
    rows = read_csv(client.get(f"/a/bordeaux/exports/{job.id}/file"))
    assert [(row[0], row[5]) for row in rows[1:]] == [(f"Bénévole {n}", str(n + 1)) for n in range(5)]


def test_the_volunteer_pages_offer_the_shared_export_with_their_filters(client, staff, bordeaux):
    make_volunteer(bordeaux, "Alice Filtre")
    page = client.get("/a/bordeaux/volunteers?q=alice").get_data(as_text=True)
    assert 'action="/a/bordeaux/exports/volunteers"' in page and 'value="q=alice"' in page
    page = client.get("/a/bordeaux/volunteers/hours?year=2026&month=3").get_data(as_text=True)
    assert 'action="/a/bordeaux/exports/volunteer_hours"' in page and 'value="year=2026&amp;month=3"' in page
    assert client.get("/a/bordeaux/volunteers/export?format=csv").status_code == 404  # one way to export


def test_the_network_hours_export_is_by_association_and_logged(client, login_as, bordeaux):
    make_appointment(bordeaux, volunteer=make_volunteer(bordeaux), status="done",
                     starts_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    office = login_as("network")
    rows = read_csv(client.get("/network/volunteer-hours/export.csv?year=2026"))
    assert rows[0][0] == "Association" and rows[1][:2] == ["Tremplin Bordeaux", "1"]
    logged = db.session.scalar(select(ExportJob).where(ExportJob.association_id.is_(None)))
    assert (logged.user_id, logged.source, logged.rows_total) == (office.id, "volunteer_hours", 1)
    assert client.get("/network/volunteer-hours/export.xlsx?year=2026&month=3").status_code == 200


# --- partners, their contact log, referrals -------------------------------------------------------------------


def test_the_partners_export_follows_the_directory_filters(client, staff, bordeaux, lyon):
    make_partner(bordeaux, name="Mission locale des Chartrons", stage="active", postcode="33300")
    make_partner(bordeaux, name="CCAS de Talence", kind="ccas", stage="prospect")
    make_partner(lyon, name="Mission locale de Lyon", stage="active")
    rows = read_csv(export(client, "partners", "stage=active"))
    assert rows[0][:4] == ["N° du partenaire", "Nom", "Type", "Étape de la relation"]
    assert column(rows, "Nom") == ["Mission locale des Chartrons"]
    assert column(rows, "Étape de la relation") == ["Prescripteur actif"] and column(rows, "Code postal") == ["33300"]
    assert sorted(column(read_csv(export(client, "partners")), "Nom")) == ["CCAS de Talence",
                                                                           "Mission locale des Chartrons"]


def test_the_contact_log_export_has_the_exchanges_with_the_listed_partners(client, staff, bordeaux, lyon):
    listed = make_partner(bordeaux, name="France Travail Mérignac", kind="france_travail")
    other = make_partner(bordeaux, name="CCAS de Pessac", kind="ccas")
    contact = make_partner_contact(bordeaux, listed, name="Inès Conseillère")
    first = make_interaction(bordeaux, listed, happened_on=date(2026, 3, 2), summary="Présentation du programme",
                             next_step="Envoyer la plaquette", next_step_due=date(2026, 3, 9), author_id=staff.id,
                             next_step_owner_id=staff.id)
    first.contacts = [contact]
    db.session.commit()
    make_interaction(bordeaux, listed, happened_on=date(2026, 4, 2), summary="Point trimestriel")
    make_interaction(bordeaux, other, summary="Échange avec un autre partenaire")
    make_interaction(lyon, make_partner(lyon, kind="france_travail"), summary="Échange de Lyon")
    rows = read_csv(export(client, "interactions", "kind=france_travail"))
    assert rows[0][:3] == ["Date", "Partenaire", "Échange"]
    assert column(rows, "Résumé") == ["Point trimestriel", "Présentation du programme"]  # the latest first
    assert rows[2][1:9] == ["France Travail Mérignac", "Appel", "Julien Moreau", "Inès Conseillère",
                             "Présentation du programme", "Envoyer la plaquette", "09/03/2026", "Julien Moreau"]
    assert len(read_csv(export(client, "interactions"))) == 4


def test_the_referrals_export_follows_the_inbox_tab_and_partner(client, staff, bordeaux, lyon):
    partner = make_partner(bordeaux, name="Mission locale de Bègles")
    make_referral(bordeaux, partner, first_name="Awa", situation="young")
    make_referral(bordeaux, partner, first_name="Basile", status="accepted")
    make_referral(bordeaux, first_name="Chloé")
    make_referral(lyon, first_name="Lina")
    rows = read_csv(export(client, "referrals"))
    assert rows[0][:3] == ["Reçue le", "État", "Partenaire"]
    assert sorted(column(rows, "Prénom")) == ["Awa", "Chloé"]
    rows = read_csv(export(client, "referrals", f"partner={partner.id}"))
    assert column(rows, "Prénom") == ["Awa"] and column(rows, "Situation") == ["Jeune de moins de 26 ans sans emploi"]
    rows = read_csv(export(client, "referrals", "tab=accepted"))
    assert column(rows, "Prénom") == ["Basile"] and column(rows, "État") == ["Acceptée"]
    sheet = load_workbook(io.BytesIO(export(client, "referrals", "", "xlsx").data)).active
    assert sheet.max_row == 3 and sheet["A1"].value == "Reçue le"


def test_the_partner_pages_offer_their_exports(client, staff, bordeaux):
    make_referral(bordeaux, make_partner(bordeaux, stage="active"))
    page = client.get("/a/bordeaux/partners?stage=active").get_data(as_text=True)
    assert 'action="/a/bordeaux/exports/partners"' in page and 'action="/a/bordeaux/exports/interactions"' in page
    assert 'value="stage=active"' in page
    page = client.get("/a/bordeaux/referrals").get_data(as_text=True)
    assert 'action="/a/bordeaux/exports/referrals"' in page


# --- who may export -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["volunteers", "volunteer_hours", "partners", "interactions", "referrals"])
def test_a_volunteer_cannot_export(client, login_as, bordeaux, source):
    make_referral(bordeaux)
    login_as("volunteer", bordeaux)
    assert export(client, source).status_code == 403


@pytest.mark.parametrize("source", ["volunteers", "partners", "interactions", "referrals"])
def test_another_associations_staff_export_only_their_own_rows(client, login_as, bordeaux, lyon, source):
    make_volunteer(bordeaux, "Secret Bordelais")
    make_interaction(bordeaux, make_partner(bordeaux, name="Secret Bordelais"), summary="Secret Bordelais")
    make_referral(bordeaux, first_name="Secret", last_name="Bordelais")
    login_as("staff", lyon)
    response = client.post(f"/a/lyon/exports/{source}", data={"fmt": "csv", "query": ""})
    assert response.status_code == 200 and "Bordelais" not in response.get_data(as_text=True)
    assert client.post(f"/a/bordeaux/exports/{source}", data={"fmt": "csv", "query": ""}).status_code == 404
