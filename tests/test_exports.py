"""Exports: small ones at once, large ones as jobs with progress kept 24 hours, filters and rights respected."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from intranet import progress
from intranet.exports import jobs as export_jobs
from intranet.exports import services
from intranet.exports.models import ExportJob
from intranet.extensions import db
from tests.factories import make_appointment, make_beneficiary

pytestmark = pytest.mark.usefixtures("jobs_run_here")  # the tests run the export jobs themselves


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def test_a_small_export_is_the_filtered_list_of_the_association_at_once(client, staff, bordeaux, lyon):
    make_beneficiary(bordeaux, first_name="Aline", last_name="Garnier")
    make_beneficiary(bordeaux, first_name="Bruno", last_name="Martin")
    make_beneficiary(lyon, first_name="Carla", last_name="Garnier")
    response = client.post("/a/bordeaux/exports/beneficiaries", data={"fmt": "csv", "query": "q=garn"})
    assert response.headers["Content-Disposition"].startswith('attachment; filename="beneficiaires-bordeaux-')
    rows = read_csv(response)
    assert rows[0][:3] == ["N° de fiche", "Prénom", "Nom"] and [r[1] for r in rows[1:]] == ["Aline"]


def test_the_list_page_offers_the_export_with_its_filters(client, staff, bordeaux):
    make_beneficiary(bordeaux)
    page = client.get("/a/bordeaux/beneficiaries?status=new").get_data(as_text=True)
    assert 'action="/a/bordeaux/exports/beneficiaries"' in page and 'value="status=new"' in page


def test_appointments_export_one_row_per_person_and_session_in_xlsx(client, staff, bordeaux):
    from intranet.calendar.models import Seat

    appointment = make_appointment(bordeaux, starts_at=datetime(2026, 11, 3, 9, tzinfo=UTC), capacity=4)
    db.session.add(Seat(association_id=bordeaux.id, appointment_id=appointment.id,
                        beneficiary_id=make_beneficiary(bordeaux).id))
    make_appointment(bordeaux, starts_at=datetime(2026, 12, 3, 9, tzinfo=UTC))  # outside the dates
    db.session.commit()
    response = client.post("/a/bordeaux/exports/appointments",
                           data={"fmt": "xlsx", "from": "2026-11-01", "to": "2026-11-30"})
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.max_row == 3 and sheet["G2"].value == "Oui"  # two people, one collective session


@pytest.fixture
def large(app, monkeypatch):
    """Exports above two rows run as jobs, saving their progress every two rows."""
    monkeypatch.setitem(app.config, "EXPORT_SYNC_ROWS", 2)
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 2)


def test_a_large_export_is_a_job_with_progress_then_a_download(client, staff, bordeaux, large):
    for _ in range(5):
        make_beneficiary(bordeaux)
    response = client.post("/a/bordeaux/exports/beneficiaries", data={"fmt": "csv", "query": ""})
    job = db.session.scalar(db.select(ExportJob))
    assert response.headers["Location"] == f"/a/bordeaux/exports/{job.id}"
    page = client.get(f"/a/bordeaux/exports/{job.id}").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in page and "0 lignes sur 5" in page.replace("\u202f", " ")
    export_jobs.run(job.id)
    db.session.refresh(job)
    assert (job.status, job.rows_done, job.percent) == ("done", 5, 100)
    page = client.get(f"/a/bordeaux/exports/{job.id}").get_data(as_text=True)
    assert "every 1s" not in page and f"/a/bordeaux/exports/{job.id}/file" in page
    assert len(read_csv(client.get(f"/a/bordeaux/exports/{job.id}/file"))) == 6


def test_a_running_export_shows_the_progress_its_job_reports(client, staff, bordeaux, large, monkeypatch):
    for _ in range(5):
        make_beneficiary(bordeaux)
    client.post("/a/bordeaux/exports/beneficiaries", data={"fmt": "csv", "query": ""})
    job = db.session.scalar(db.select(ExportJob))
    progress.report(services.PROGRESS, job.id, 2, 5)
    page = client.get(f"/a/bordeaux/exports/{job.id}").get_data(as_text=True)
    assert "2 lignes sur 5" in page and 'value="40"' in page
    seen, real = [], progress.report
    monkeypatch.setattr(progress, "report", lambda kind, key, done, total=0: seen.append((done, total)) or real(
        kind, key, done, total))
    export_jobs.run(job.id)
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert progress.read(services.PROGRESS, job.id) == (0, 0)  # the job's row says the rest


def test_an_export_is_its_authors_and_is_deleted_after_a_day(client, login_as, bordeaux, large):
    from tests.factories import make_export_job

    job = make_export_job(bordeaux, expires_at=datetime.now(UTC) + timedelta(hours=24))
    login_as("staff", bordeaux)
    assert client.get(f"/a/bordeaux/exports/{job.id}").status_code == 404
    assert services.expire(datetime.now(UTC) + timedelta(hours=25)) == 1
    db.session.refresh(job)
    assert job.content is None and job.status == "purged"  # the row stays: the log of who exported what


def test_network_exports_are_logged(client, login_as):
    office = login_as("network", name="Claire Fontaine")
    client.get("/network/volunteer-hours/export.csv?year=2026")
    logged = db.session.scalar(db.select(ExportJob).where(ExportJob.association_id.is_(None)))
    assert (logged.user_id, logged.source, logged.fmt) == (office.id, "volunteer_hours", "csv")
    assert "Claire Fontaine" in client.get("/network/esf").get_data(as_text=True)


def test_volunteers_cannot_export(client, login_as, bordeaux):
    login_as("volunteer", bordeaux)
    assert client.post("/a/bordeaux/exports/beneficiaries", data={"fmt": "csv"}).status_code == 403
