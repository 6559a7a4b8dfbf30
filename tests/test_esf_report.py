"""The ESF+ participant report on a crafted population, every cell checked against values computed by hand.

Bordeaux, year 2026:
- P1, a woman, in person on two days in March (exit: employment; six months: employment), then back for the
  remote program in June (exit: education or training): one participant in each operation;
- P2, a man, in person in April on one day (exit), back in September (open): one participant, two journeys;
- P3, in person on one day only: not a participant; P4, only a collective session: not one;
- P5, a boy of 16, remote, open, with no phone, e-mail nor rural answer: incomplete;
- P6, who entered in 2025: outside the period;
- P7, non-binary, 66, remote on two days in July (exit: qualification; six months: improved).
"""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from intranet import progress
from intranet.calendar.models import Seat
from intranet.exports import jobs as export_jobs
from intranet.exports import services as export_services
from intranet.exports.models import ExportJob
from intranet.extensions import db
from intranet.journeys.models import Journey, JourneyModule
from intranet.reporting import esf
from intranet.reporting.models import ParticipantRule
from intranet.reporting.periods import Filters, Period
from intranet.rules import RuleError
from tests.factories import make_appointment, make_beneficiary, make_module, program

pytestmark = pytest.mark.usefixtures("jobs_run_here")  # the tests run the export jobs themselves

YEAR = Period("year", date(2026, 1, 1), date(2026, 12, 31))
NO = dict(disability="no", third_country_national="no", foreign_background="no", minority="no", homeless="no")


def journey(association, person, modules, **fields):
    """`modules`: (program code, position, day, status)."""
    j = Journey(association_id=association.id, beneficiary_id=person.id, started_on=modules[0][2], **fields)
    j.modules = [JourneyModule(association_id=association.id, module_id=program(code).modules[position].id,
                               position=i, name="m", status=status, happened_on=day)
                 for i, (code, position, day, status) in enumerate(modules, 1)]
    db.session.add(j)
    db.session.commit()
    return j


@pytest.fixture
def population(bordeaux):
    p1 = make_beneficiary(bordeaux, gender="woman", birth_date=date(1990, 6, 1), labour_status="unemployed",
                          education_level="isced_3_4", **{**NO, "disability": "undisclosed", "foreign_background": "yes"},
                          rural="yes")
    journey(bordeaux, p1, [("in_person", 0, date(2026, 3, 2), "done"), ("in_person", 1, date(2026, 3, 9), "done")],
            exited_on=date(2026, 3, 20), exit_situation="employment", follow_up_result="employment")
    journey(bordeaux, p1, [("remote", 0, date(2026, 6, 1), "done")], exited_on=date(2026, 6, 30),
            exit_situation="education_training")
    p2 = make_beneficiary(bordeaux, gender="man", birth_date=date(1999, 4, 2), labour_status="employed")
    journey(bordeaux, p2, [("in_person", 0, date(2026, 4, 1), "done")], exited_on=date(2026, 4, 1),
            exit_situation="job_searching")
    journey(bordeaux, p2, [("in_person", 1, date(2026, 9, 10), "done"), ("in_person", 2, None, "to_plan")])
    p3 = make_beneficiary(bordeaux, gender="woman", **NO)
    journey(bordeaux, p3, [("in_person", 0, date(2026, 5, 5), "done"), ("in_person", 1, date(2026, 5, 5), "done")],
            exited_on=date(2026, 5, 5), exit_situation="employment")
    p4 = make_beneficiary(bordeaux, gender="man", **NO)
    workshop = make_appointment(bordeaux, starts_at=datetime(2026, 5, 6, 14, tzinfo=UTC), beneficiary=p4,
                                module_code="in_person", status="done", capacity=8)
    db.session.add(Seat(association_id=bordeaux.id, appointment_id=workshop.id, beneficiary_id=p1.id))
    p5 = make_beneficiary(bordeaux, gender="man", birth_date=date(2010, 1, 1), labour_status="inactive",
                          education_level="isced_0_2", email="", phone="", **NO)
    journey(bordeaux, p5, [("remote", 0, date(2026, 2, 1), "done"), ("remote", 1, None, "to_plan")])
    p6 = make_beneficiary(bordeaux, gender="woman", **NO)
    journey(bordeaux, p6, [("in_person", 0, date(2025, 11, 3), "done"), ("in_person", 1, date(2025, 11, 10), "done"),
                           ("in_person", 2, date(2026, 1, 5), "done")], exited_on=date(2026, 1, 5))
    p7 = make_beneficiary(bordeaux, gender="non_binary", birth_date=date(1960, 1, 1), labour_status="long_term_unemployed",
                          education_level="isced_5_8", disability="yes", third_country_national="yes",
                          foreign_background="no", minority="undisclosed", homeless="undisclosed", rural="no", email="")
    journey(bordeaux, p7, [("remote", 0, date(2026, 7, 1), "done"), ("remote", 1, date(2026, 7, 8), "done")],
            exited_on=date(2026, 7, 20), exit_situation="qualification", follow_up_result="improved")
    db.session.commit()
    return {"p1": p1.id, "p2": p2.id, "p5": p5.id, "p7": p7.id}


def rows():
    return esf.participants(Filters(YEAR))


def test_who_counts_as_a_participant_once_per_operation(population):
    found = sorted((p.program, p.beneficiary_id, p.entry, p.exit) for p in rows())
    p1, p2, p5, p7 = population["p1"], population["p2"], population["p5"], population["p7"]
    in_person, remote = program("in_person").name, program("remote").name
    assert found == sorted([
        (in_person, p1, date(2026, 3, 2), date(2026, 3, 9)), (in_person, p2, date(2026, 4, 1), None),
        (remote, p1, date(2026, 6, 1), date(2026, 6, 1)), (remote, p5, date(2026, 2, 1), None),
        (remote, p7, date(2026, 7, 1), date(2026, 7, 8))])


def test_situations_belong_to_each_operation(population):
    by = {(p.remote, p.beneficiary_id): p for p in rows()}
    p1 = population["p1"]
    assert (by[False, p1].exit_situation, by[False, p1].follow_up_result) == ("employment", "employment")
    assert (by[True, p1].exit_situation, by[True, p1].follow_up_result) == ("education_training", "")
    assert by[False, population["p2"]].exit_situation == ""  # back in September, still accompanied


EXPECTED = {  # code: (total, women, men, non-binary, gender unknown, prefers not to say, unknown)
    "EECO01": (3, 2, 0, 1, 0, "", 0), "EECO02": (1, 0, 0, 1, 0, "", 0), "EECO03": (1, 0, 1, 0, 0, "", 0),
    "EECO04": (1, 0, 1, 0, 0, "", 0), "EECO05": (1, 0, 1, 0, 0, "", 0), "EECO06": (1, 0, 1, 0, 0, "", 0),
    "EECO07": (1, 0, 0, 1, 0, "", 0), "EECO08": (1, 0, 1, 0, 0, "", 1), "EECO09": (2, 2, 0, 0, 0, "", 1),
    "EECO10": (1, 0, 0, 1, 0, "", 1), "EECO11": (5, 2, 2, 1, 0, "", 0), "EECO12": (1, 0, 0, 1, 0, 2, 1),
    "EECO13": (1, 0, 0, 1, 0, 0, 1), "EECO14": (2, 2, 0, 0, 0, 0, 1), "EECO15": (0, 0, 0, 0, 0, 1, 1),
    "EECO16": (0, 0, 0, 0, 0, 1, 1), "EECO17": (2, 2, 0, 0, 0, "", 2), "EECR01": (0, 0, 0, 0, 0, "", 2),
    "EECR02": (1, 1, 0, 0, 0, "", 2), "EECR03": (1, 0, 0, 1, 0, "", 2), "EECR04": (1, 1, 0, 0, 0, "", 2),
    "EECR05": (1, 1, 0, 0, 0, "", 3), "EECR06": (1, 0, 0, 1, 0, "", 3),
}


def test_every_indicator_cell(population):
    table = esf.indicator_table(esf.indicators(rows()))
    assert {row[0]: tuple(row[2:]) for row in table.rows} == EXPECTED


def test_completeness_per_operation(population):
    operations = {op.program: op for op in esf.completeness(rows())}
    in_person, remote = operations[program("in_person").name], operations[program("remote").name]
    assert (in_person.participants, [i for i, _ in in_person.incomplete], in_person.level) == (
        2, [population["p2"]], "error")
    assert in_person.missing == {"education_level": 1, "disability": 1, "third_country_national": 1,
                                 "foreign_background": 1, "minority": 1, "homeless": 1, "rural": 1}
    assert (remote.participants, [i for i, _ in remote.incomplete], remote.level) == (3, [population["p5"]], "warn")
    assert remote.missing == {"rural": 1, "contact": 1}


def esf_file(client, file: str, query: str = "period=year"):
    """Ask for one of the report's files as the page's buttons do, run its job, download it."""
    response = client.post(f"/network/esf/export?{query}", data={"file": file})
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    export_jobs.run(job_id)
    return client.get(f"/network/exports/{job_id}/file")


def test_the_csv_for_french_excel_and_the_workbook(client, population, login_as):
    login_as("network")
    response = esf_file(client, "participants-csv")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff") and response.headers["Content-Disposition"].startswith("attachment")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    blank = lines.index([])  # the period and the participant rule follow the rows
    header, body, notes = lines[0], lines[1:blank], lines[blank + 1:]
    assert notes[0][0].startswith("Période : du 01/01/") and notes[0][0].endswith("(personnes entrées dans la période).")
    assert notes[1][0].startswith("Participant·e : une personne du programme à distance")
    assert len(body) == 5 and "Ne souhaite pas répondre" in {row[header.index("Handicap")] for row in body}
    logged = db.session.scalar(db.select(ExportJob).where(ExportJob.association_id.is_(None)))
    assert (logged.source, logged.rows_total, logged.fmt) == ("esf_participants", 5, "csv")
    p7 = next(row for row in body if row[2] == str(population["p7"]))
    assert (p7[header.index("Tranche d’âge à l’entrée")], p7[header.index("Date de sortie (dernière action)")],
            p7[header.index("Fiche complète")]) == ("55 ans et plus", "08/07/2026", "Oui")
    book = load_workbook(io.BytesIO(esf_file(client, "participants-xlsx").data))
    assert book.sheetnames == ["Participants FSE+", "Indicateurs communs", "Notes"]
    assert book["Participants FSE+"].max_row == 6
    indicators = {r[0]: r[2] for r in book["Indicateurs communs"].iter_rows(min_row=2, values_only=True)}
    assert indicators["EECO11"] == 5 and indicators["EECR05"] == 1


def test_a_file_is_prepared_by_a_job_with_its_progress_for_its_author_only(client, population, login_as, bordeaux,
                                                                           monkeypatch):
    office = login_as("network")
    page = client.get("/network/esf?period=year").get_data(as_text=True)
    assert 'action="/network/esf/export?period=year"' in page and 'value="participants-xlsx"' in page
    response = client.post("/network/esf/export?period=year", data={"file": "participants-csv"})
    job = db.session.scalar(db.select(ExportJob).where(ExportJob.association_id.is_(None)))
    assert response.headers["Location"] == f"/network/exports/{job.id}"
    assert (job.user_id, job.status, job.filename) == (office.id, "pending", f"fse-participants-{YEAR.start}-{YEAR.end}.csv")
    page = client.get(f"/network/exports/{job.id}").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in page and "Rapport FSE+" in page
    assert "préparation du fichier…" in page and "0 lignes sur 0" not in page  # not counted yet
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 2)
    seen, real = [], progress.report
    monkeypatch.setattr(progress, "report", lambda kind, key, done, total=0: seen.append((done, total)) or real(
        kind, key, done, total))
    export_jobs.run(job.id)
    assert seen == [(0, 5), (2, 5), (4, 5)]  # counted first, then every two participants
    db.session.refresh(job)
    assert (job.status, job.rows_done, job.rows_total) == ("done", 5, 5)
    page = client.get(f"/network/exports/{job.id}").get_data(as_text=True)
    assert "every 1s" not in page and f"/network/exports/{job.id}/file" in page
    assert export_services.network_log()[0].source == "esf_participants"  # the job's row is the log
    login_as("network")  # another person of the network office
    assert client.get(f"/network/exports/{job.id}").status_code == 404
    assert client.get(f"/network/exports/{job.id}/file").status_code == 404


def test_an_associations_export_is_not_a_network_file(client, login_as, bordeaux):
    from tests.factories import make_export_job

    office = login_as("network")
    job = make_export_job(bordeaux, user=office)
    assert client.get(f"/network/exports/{job.id}").status_code == 404
    assert client.get(f"/network/exports/{job.id}/file").status_code == 404


def test_a_file_keeps_the_rule_and_period_it_was_asked_with(client, population, login_as):
    office = login_as("network")
    client.post("/network/esf/export?period=year", data={"file": "indicators-csv"})
    job = db.session.scalar(db.select(ExportJob).where(ExportJob.association_id.is_(None)))
    esf.set_rule(esf.Rule(2, 3, False), by=office)  # changed before the job ran: the file says what the page said
    db.session.commit()
    export_jobs.run(job.id)
    text = client.get(f"/network/exports/{job.id}/file").get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert next(row for row in lines if row and row[0] == "EECO11")[2] == "5"
    assert "présentiel sur plus d’un jour" in text


@pytest.mark.parametrize("file", ["", "participants-pdf", "../etc"])
def test_an_unknown_file_is_refused(client, login_as, file):
    login_as("network")
    assert client.post("/network/esf/export?period=year", data={"file": file}).status_code == 400
    assert db.session.scalar(db.select(db.func.count(ExportJob.id))) == 0


def test_the_report_page_shows_the_rule_and_warns(client, population, login_as):
    login_as("network")
    page = client.get("/network/esf?period=year").get_data(as_text=True)
    assert "Participant·e : une personne du programme à distance" in page
    assert "badge-error" in page and "badge-warn" in page and "EECO17" in page


# --- the participant rule, a setting of the network office -----------------------------------------------------


def found_with(rule: esf.Rule) -> set[tuple[bool, int]]:
    return {(p.remote, p.beneficiary_id) for p in esf.participants(Filters(YEAR), rule)}


def test_remote_participants_need_the_rules_days(population):
    p1, p5, p7 = population["p1"], population["p5"], population["p7"]
    assert {i for remote, i in found_with(esf.Rule()) if remote} == {p1, p5, p7}
    assert {i for remote, i in found_with(esf.Rule(remote_min_days=2)) if remote} == {p7}  # two days in July


def test_in_person_participants_need_the_rules_days(population, bordeaux):
    p1, p2 = population["p1"], population["p2"]
    p3 = db.session.scalar(db.select(Journey.beneficiary_id).where(Journey.started_on == date(2026, 5, 5)))
    assert {i for remote, i in found_with(esf.Rule()) if not remote} == {p1, p2}
    assert {i for remote, i in found_with(esf.Rule(in_person_min_days=1)) if not remote} == {p1, p2, p3}
    assert {i for remote, i in found_with(esf.Rule(in_person_min_days=3)) if not remote} == set()


def test_a_person_seen_only_at_collective_sessions_counts_only_if_the_rule_says_so(bordeaux):
    workshop = make_module("in_person", capacity=8)
    only_collective = make_beneficiary(bordeaux)
    j = Journey(association_id=bordeaux.id, beneficiary_id=only_collective.id, started_on=date(2026, 2, 2))
    j.modules = [JourneyModule(association_id=bordeaux.id, module_id=workshop.id, position=i, name="Atelier",
                               status="done", happened_on=day) for i, day in enumerate((date(2026, 2, 2), date(2026, 2, 9)))]
    db.session.add(j)
    db.session.commit()
    mixed = make_beneficiary(bordeaux)
    j = journey(bordeaux, mixed, [("in_person", 0, date(2026, 3, 2), "done")])
    db.session.add(JourneyModule(association_id=bordeaux.id, journey_id=j.id, module_id=workshop.id, position=5,
                                 name="Atelier", status="done", happened_on=date(2026, 3, 9)))
    db.session.commit()
    assert found_with(esf.Rule()) == {(False, mixed.id)}  # a workshop and an individual module on two days
    assert found_with(esf.Rule(collective_only_counts=True)) == {(False, mixed.id), (False, only_collective.id)}


def test_the_network_office_sets_the_rule_on_the_report_and_its_files_show_it(client, population, login_as):
    office = login_as("network")
    page = client.get("/network/esf?period=year").get_data(as_text=True)
    assert 'action="/network/esf/rule"' in page and 'name="in_person_min_days"' in page and 'value="2"' in page
    response = client.post("/network/esf/rule", data={"remote_min_days": "2", "in_person_min_days": "3"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/network/esf#rule-title")
    assert esf.rule() == esf.Rule(2, 3, False)
    assert db.session.scalar(db.select(ParticipantRule.updated_by_id)) == office.id
    page = client.get("/network/esf?period=year").get_data(as_text=True)
    assert "au moins 2 jours différents" in page and "au moins 3 jours différents" in page
    assert "1 participant·e entré·e dans la période" in page  # P7 alone
    text = esf_file(client, "participants-csv").get_data(as_text=True)
    assert "présentiel sur au moins 3 jours différents" in text.splitlines()[-1]


def test_a_rule_out_of_bounds_is_refused_and_changes_nothing(client, login_as):
    login_as("network")
    response = client.post("/network/esf/rule", data={"remote_min_days": "0", "in_person_min_days": "2"})
    assert response.status_code == 422 and "Entre 1 et 30 jours." in response.get_data(as_text=True)
    assert esf.rule() == esf.DEFAULT_RULE and db.session.scalar(db.select(ParticipantRule.id)) is None
    with pytest.raises(RuleError):
        esf.set_rule(esf.Rule(in_person_min_days=31), by=None)


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_only_the_network_office_sets_the_rule(client, login_as, bordeaux, role):
    login_as(role, bordeaux)
    assert client.post("/network/esf/rule", data={"remote_min_days": "3", "in_person_min_days": "3"}).status_code == 403
    assert esf.rule() == esf.DEFAULT_RULE
