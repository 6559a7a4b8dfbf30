"""Imports from the old spreadsheets: reading, mapping, dry run, duplicates, commit, undo, error file."""

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from intranet import progress
from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Appointment
from intranet.extensions import db
from intranet.imports import jobs, reading, services, storage
from intranet.imports.cells import read_date, read_time, split_full_name
from intranet.imports.models import ImportBatch, ImportMapping
from intranet.journeys.models import Journey, JourneyModule
from intranet.values import InvalidValue
from tests.factories import make_beneficiary, make_import_batch, make_journey, make_membership, make_user, program

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
if not SAMPLES.exists():
    SAMPLES = Path("/work/shared/samples")


@pytest.fixture(autouse=True)
def steps_run_here(monkeypatch, app, tmp_path):
    """The tests run each step themselves (`jobs.run`): a job thread could not see their uncommitted rows.

    Their uploaded files go to a folder of their own, removed with the test.
    """
    import intranet.jobs

    monkeypatch.setattr(intranet.jobs, "enqueue", lambda path, *args: True)
    monkeypatch.setitem(app.config, "IMPORTS_FOLDER", str(tmp_path / "imports"))


def csv_bytes(rows, delimiter=";", encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict, hidden=(), epoch_1904=False) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    if epoch_1904:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904
        workbook.epoch = CALENDAR_MAC_1904
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(association, data, name="candidats.csv", kind="beneficiaries", chosen=None):
    batch = services.upload(association.id, None, kind, name, data)
    if chosen:
        batch.options = {"chosen": chosen}
    jobs.run(batch.id)
    return batch


def check(batch, columns=None, values=None, consent="accompaniment_esf", decisions=None):
    mapping = dict(batch.mapping["columns"])
    mapping.update(columns or {})
    services.save_mapping(batch, mapping, values or {}, consent)
    jobs.run(batch.id)
    if decisions:
        services.set_decisions(batch, decisions)
        jobs.run(batch.id)
    assert batch.status == "checked", batch.error
    return batch


def commit(batch):
    services.start_commit(batch)
    jobs.run(batch.id)
    assert batch.status == "committed", batch.error
    return batch


def rows_by_n(batch) -> dict:
    return {r["n"]: r for r in batch.report["rows"]}


HEADER = ["Civilité", "NOM", "Prénom", "Tél", "Mail", "Date de naiss.", "CP", "Ville"]


def person(i, **kw):
    row = {"Civilité": "Mme", "NOM": f"Nom{i}", "Prénom": f"Prénom{i}", "Tél": f"06 12 34 {i // 100:02d} {i % 100:02d}",
           "Mail": f"p{i}@exemple.fr", "Date de naiss.": "02/04/1989", "CP": "33000", "Ville": "Bordeaux"}
    row.update(kw)
    return [row[h] for h in HEADER]


# --- reading --------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding,delimiter", [("utf-8", ";"), ("utf-8-sig", ","), ("cp1252", ";"), ("utf-8", "\t")])
def test_encoding_and_delimiter_are_detected(bordeaux, encoding, delimiter):
    batch = upload(bordeaux, csv_bytes([HEADER, person(1, Ville="Bègles"), person(2, NOM="Lefèvre")],
                                       delimiter, encoding))
    assert batch.status == "read", batch.error
    assert batch.options["delimiter"] == delimiter
    assert batch.options["encoding"] == encoding
    assert batch.preview["headers"] == HEADER
    assert "Bègles" in batch.preview["distinct"]["Ville"][0][0] or batch.preview["distinct"]["Ville"]


def test_the_delimiter_and_encoding_can_be_overridden(bordeaux):
    data = csv_bytes([HEADER, person(1)], ";", "utf-8")
    batch = upload(bordeaux, data, chosen={"delimiter": ",", "encoding": "cp1252"})
    assert batch.options["delimiter"] == "," and batch.options["encoding"] == "cp1252"
    assert len(batch.preview["headers"]) == 1


def test_a_title_above_the_headers_is_skipped_and_the_header_row_can_be_moved(bordeaux):
    data = csv_bytes([["Suivi des candidats 2024"], [], HEADER, person(1)])
    batch = upload(bordeaux, data)
    assert batch.options["header_row"] == 3
    assert batch.preview["headers"] == HEADER
    moved = upload(bordeaux, data, chosen={"header_row": 4})
    assert moved.preview["headers"][1] == "Nom1"


def test_hidden_sheets_are_not_offered_and_the_data_sheet_is_chosen(bordeaux):
    data = xlsx_bytes({"Lisez-moi": [["Notes"]], "Candidats": [HEADER, person(1), person(2)],
                       "Listes": [["Mme"], ["M."], ["x"], ["y"], ["z"]]}, hidden=("Listes",))
    batch = upload(bordeaux, data, name="c.xlsx")
    assert batch.status == "read", batch.error
    assert batch.options["detected"]["sheets"] == ["Lisez-moi", "Candidats"]
    assert batch.options["sheet"] == "Candidats"


def test_a_renamed_binary_and_an_old_xls_are_refused_before_parsing(bordeaux):
    from intranet.imports.reading import FileProblem

    with pytest.raises(FileProblem, match="binaire"):
        services.upload(bordeaux.id, None, "beneficiaries", "photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    with pytest.raises(FileProblem, match=".xls"):
        services.upload(bordeaux.id, None, "beneficiaries", "vieux.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)


def test_a_zip_bomb_gets_a_clear_message(bordeaux):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    batch = upload(bordeaux, out.getvalue(), name="bombe.xlsx")
    assert batch.status == "failed"
    assert "volume anormal" in batch.error


def test_a_file_over_15_mb_is_refused(bordeaux):
    from intranet.imports.reading import FileProblem

    with pytest.raises(FileProblem, match="15 Mo"):
        services.upload(bordeaux.id, None, "beneficiaries", "gros.csv", b"a;b\n" * (4 * 1024 * 1024))


# --- values ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    ("05/09/2024", date(2024, 9, 5)), ("5/9/2024", date(2024, 9, 5)), ("05/09/24", date(2024, 9, 5)),
    ("5 septembre 2024", date(2024, 9, 5)), ("1er mars 2023", date(2023, 3, 1)), ("2024-05-14", date(2024, 5, 14)),
    (45540, date(2024, 9, 5)), ("45540", date(2024, 9, 5)),
])
def test_dates_in_every_form(raw, expected):
    assert read_date(raw) == expected


def test_the_1904_date_system_and_impossible_dates():
    from datetime import datetime

    assert read_date(44078, epoch=datetime(1904, 1, 1)) == date(2024, 9, 5)
    with pytest.raises(InvalidValue, match="n’existe pas"):
        read_date("31/02/1995")


def test_two_digit_birth_years_are_resolved_sensibly():
    today = date(2026, 12, 1)
    assert read_date("19/11/69", birth=True, today=today) == date(1969, 11, 19)
    assert read_date("15/05/04", birth=True, today=today) == date(2004, 5, 15)
    assert read_date("15/05/20", birth=True, today=today) == date(1920, 5, 15)


@pytest.mark.parametrize("raw,expected", [("14h30", (14, 30)), ("14:30", (14, 30)), ("9h", (9, 0)), ("10:00:00", (10, 0))])
def test_times(raw, expected):
    assert (read_time(raw).hour, read_time(raw).minute) == expected


@pytest.mark.parametrize("raw,expected", [
    ("Mme DIALLO Hélène", ("Hélène", "Diallo")), ("Diallo, Hélène", ("Hélène", "Diallo")),
    ("BONNET Lucas", ("Lucas", "Bonnet")), ("Théo Da Silva", ("Théo", "Da Silva")),
    ("Jean-Noël DA SILVA", ("Jean-Noël", "Da Silva")), ("Monsieur Mamadou ROUX", ("Mamadou", "Roux")),
])
def test_full_names_are_split(raw, expected):
    assert split_full_name(raw) == expected


# --- dry run --------------------------------------------------------------------------------------

def test_suggestions_from_headers_and_values(bordeaux):
    batch = upload(bordeaux, csv_bytes([["Nom complet", "Téléphone portable", "Colonne X", "Orienté par"],
                                        ["DIALLO Hélène", "0612345678", "a@b.fr", "Pôle emploi"]]))
    suggestions = batch.preview["suggestions"]
    assert suggestions["Nom complet"]["field"] == "full_name" and suggestions["Nom complet"]["confidence"] >= 90
    assert suggestions["Téléphone portable"]["field"] == "phone"
    assert suggestions["Colonne X"] == {"field": "email", "confidence": 60, "why": "values"}
    assert suggestions["Orienté par"]["field"] == "referrer"


def test_each_row_gets_its_status_and_french_messages_with_its_row_number(bordeaux):
    data = csv_bytes([HEADER, person(1), [], person(2, **{"Date de naiss.": "31/02/1995"}),
                      person(3, Tél="06 12 34"), person(4, Mail="julie.petit@exemple"), person(5, CP="3300"),
                      person(6, Tél="612345699"), person(7) + ["en trop"]])
    batch = check(upload(bordeaux, data))
    rows = rows_by_n(batch)
    assert 3 not in rows  # the blank row is ignored, the numbering keeps it
    assert rows[2]["status"] == "create"
    assert rows[4]["status"] == "error" and "31/02/1995 n’existe pas" in rows[4]["errors"][0][1]
    assert rows[4]["errors"][0][0] == "Date de naiss."
    assert "trop court" in rows[5]["errors"][0][1]
    assert "e-mail" in rows[6]["errors"][0][1]
    assert "code postal" in rows[7]["errors"][0][1]
    assert rows[8]["status"] == "create" and "zéro du début" in rows[8]["warnings"][0][1]
    assert rows[9]["status"] == "error" and "de plus que l’en-tête" in rows[9]["errors"][0][1]
    assert batch.counts["create"] == 2 and batch.counts["error"] == 5


def test_postcodes_keep_their_leading_zero_and_overseas_phones_their_country_code(bordeaux):
    data = xlsx_bytes({"F": [HEADER, person(1, CP=1000, Tél="06 92 32 46 32"), person(2, CP="01000")]})
    batch = commit(check(upload(bordeaux, data, name="f.xlsx")))
    people = {b.first_name: b for b in db.session.scalars(select(Beneficiary))}
    assert people["Prénom1"].postcode == "01000" and people["Prénom2"].postcode == "01000"
    assert people["Prénom1"].phone == "+262692324632"
    assert batch.counts["create"] == 2


def test_a_formula_without_its_value_is_reported(bordeaux, tmp_path):
    data = xlsx_bytes({"F": [HEADER, person(1, CP="=A1&B1")]})
    batch = check(upload(bordeaux, data, name="f.xlsx"))
    row = rows_by_n(batch)[2]
    assert row["status"] == "error" and "formule sans valeur" in row["errors"][0][1]


def test_list_values_are_mapped_in_bulk(bordeaux):
    data = csv_bytes([HEADER + ["Statut"], person(1, Civilité="MME") + ["en cours"],
                      person(2, Civilité="Monsieur") + ["Terminé"], person(3, Civilité="Mx") + ["suivi"]])
    batch = upload(bordeaux, data)
    choices = services.value_choices(batch)
    assert ("MME", 1, "woman") in choices["Civilité"]["values"]
    assert ("Terminé", 1, "completed") in choices["Statut"]["values"]
    check(batch, values={"gender": {"Mx": "non_binary"}})
    commit(batch)
    people = {b.first_name: b for b in db.session.scalars(select(Beneficiary))}
    assert people["Prénom1"].gender == "woman" and people["Prénom2"].gender == "man"
    assert people["Prénom3"].gender == "non_binary" and people["Prénom2"].status == "completed"


def test_the_mapping_is_kept_per_association_and_a_changed_file_is_flagged(bordeaux, lyon):
    batch = upload(bordeaux, csv_bytes([HEADER, person(1)]))
    check(batch, columns={"Ville": ""})
    again = upload(bordeaux, csv_bytes([HEADER[:-1] + ["Commune"], person(1)]))
    assert again.mapping["columns"].get("Ville", True)
    assert again.preview["saved"] == {"added": ["Commune"], "missing": ["Ville"]}
    assert upload(lyon, csv_bytes([HEADER, person(1)])).preview["saved"] is None
    assert db.session.scalar(select(func.count(ImportMapping.id))) == 1


# --- duplicates -----------------------------------------------------------------------------------

def test_duplicates_inside_the_file_are_grouped_from_strong_to_weak_keys(bordeaux):
    data = csv_bytes([HEADER,
                      person(1), person(2, Mail="P1@EXEMPLE.FR", NOM="NOM1"),  # same e-mail
                      person(3), person(4, Tél="06 12 34 00 03", Prénom="PRÉNOM3", Mail=""),  # phone + first name
                      person(5, NOM="Traoré", Prénom="Hélène", Mail=""),
                      person(6, NOM="TRAORE", Prénom="helene", Mail="", Tél=""),  # name + birth date
                      person(7, Prénom="Chloé"), person(8, Prénom="Yasmine", Tél="06 12 34 00 07")])  # sisters
    batch = check(upload(bordeaux, data))
    groups = {tuple(r["n"] for r in g["rows"]): g for g in batch.report["groups"]}
    assert set(groups) == {(2, 3), (4, 5), (6, 7)}
    rows = rows_by_n(batch)
    assert rows[9]["status"] == rows[8]["status"] == "create"
    assert "une autre personne" in rows[9]["warnings"][0][1]
    assert rows[3]["status"] == "merged"
    assert batch.counts["create"] == 5


def test_each_group_can_be_merged_kept_twice_or_skipped(bordeaux):
    data = csv_bytes([HEADER, person(1, Ville=""), person(2, Mail="p1@exemple.fr", Ville="Pessac"),
                      person(3), person(4, Mail="p3@exemple.fr"), person(5), person(6, Mail="p5@exemple.fr")])
    batch = check(upload(bordeaux, data), decisions={"g2": {"action": "merge", "keep": 3},
                                                     "g4": {"action": "both", "keep": 4},
                                                     "g6": {"action": "skip", "keep": 6}})
    commit(batch)
    names = sorted(b.first_name for b in db.session.scalars(select(Beneficiary)))
    assert names == ["Prénom2", "Prénom3", "Prénom4"]
    assert db.session.scalar(select(Beneficiary).where(Beneficiary.first_name == "Prénom2")).commune == "Pessac"


def test_existing_files_are_updated_or_left_unchanged(bordeaux):
    make_beneficiary(bordeaux, first_name="Prénom1", last_name="Nom1", email="p1@exemple.fr", phone="+33612340001",
                     postcode="33000", commune="Bordeaux", birth_date=date(1989, 4, 2), gender="woman")
    make_beneficiary(bordeaux, first_name="Prénom2", last_name="Nom2", email="p2@exemple.fr", phone="",
                     postcode="33000", commune="Talence", birth_date=date(1989, 4, 2), gender="woman")
    make_beneficiary(bordeaux, first_name="Autre", last_name="Personne", email="autre@exemple.fr",
                     phone="+33612340003")
    batch = check(upload(bordeaux, csv_bytes([HEADER, person(1), person(2), person(3)])))
    rows = rows_by_n(batch)
    assert rows[2]["status"] == "unchanged"
    assert rows[3]["status"] == "update" and rows[3]["changes"]["commune"] == ["Talence", "Bordeaux"]
    assert rows[4]["status"] == "create"  # a shared phone alone never merges two people


# --- commit, re-import, undo ----------------------------------------------------------------------

def test_commit_creates_files_and_journeys_and_a_second_import_changes_nothing(bordeaux):
    data = csv_bytes([HEADER + ["Coaching image", "Photo"], person(1) + ["07/08/2024", "16/08/2024"], person(2) + ["", ""]])
    batch = commit(check(upload(bordeaux, data)))
    assert batch.counts["create"] == 2 and not batch.stored_name
    journey = db.session.scalar(select(Journey))
    assert {m.name: m.status for m in journey.modules} == {"Coaching en image": "done", "Séance photo en studio": "done"}
    assert journey.started_on == date(2024, 8, 7)
    again = commit(check(upload(bordeaux, data)))
    assert again.counts.get("create", 0) == 0 and again.counts["unchanged"] == 2
    assert db.session.scalar(select(func.count(Beneficiary.id))) == 2
    assert db.session.scalar(select(func.count(JourneyModule.id))) == 2


def test_imported_people_get_no_email(bordeaux):
    from intranet.notifications.models import OutboxMessage

    commit(check(upload(bordeaux, csv_bytes([HEADER, person(1), person(2)]))))
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_failure_at_the_last_row_of_a_large_file_leaves_the_database_unchanged(bordeaux):
    rows = [HEADER] + [person(i) for i in range(1, 2001)]
    batch = check(upload(bordeaux, csv_bytes(rows)))
    before = db.session.scalar(select(func.count(Beneficiary.id)))
    with pytest.raises(RuntimeError), db.session.begin_nested():
        services.commit(batch, fail_at=2001)
    assert db.session.scalar(select(func.count(Beneficiary.id))) == before == 0


def test_a_failed_commit_job_writes_nothing_and_says_so(bordeaux, monkeypatch):
    batch = check(upload(bordeaux, csv_bytes([HEADER, person(1), person(2)])))
    real = services._write_beneficiaries

    def broken(batch, rows, note, fail_at, total):
        real(batch, rows, note, fail_at, total)
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_write_beneficiaries", broken)
    services.start_commit(batch)
    db.session.commit()
    jobs.run(batch.id)
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.status == "failed" and "rien n’a été enregistré" in batch.error
    assert db.session.scalar(select(func.count(Beneficiary.id))) == 0


def test_the_commit_starts_from_the_rows_the_dry_run_read(bordeaux, monkeypatch):
    data = csv_bytes([HEADER + ["Coaching image"], person(1) + ["07/08/2024"],
                      person(2, **{"Date de naiss.": "31/02/1990"}) + [""]])
    batch = check(upload(bordeaux, data))

    def unread(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(reading, "read_table", unread)
    commit(batch)
    assert (batch.counts["create"], batch.counts["error"]) == (1, 1)
    assert batch.report["error_rows"][0][0] == 3 and "31/02/1990" in batch.report["error_rows"][0][1]
    created = db.session.scalar(select(Beneficiary))
    assert (created.first_name, created.birth_date) == ("Prénom1", date(1989, 4, 2))
    assert db.session.scalar(select(JourneyModule.happened_on)) == date(2024, 8, 7)


def test_a_changed_mapping_makes_the_dry_run_read_the_file_again(bordeaux, monkeypatch):
    batch = check(upload(bordeaux, csv_bytes([HEADER, person(1)])))
    real, reads = reading.read_table, []
    monkeypatch.setattr(reading, "read_table", lambda *args, **kwargs: reads.append(1) or real(*args, **kwargs))
    check(batch, columns={"Ville": ""})
    commit(batch)
    assert len(reads) == 1 and db.session.scalar(select(Beneficiary.commune)) == ""


def test_reading_checking_and_committing_report_their_progress(bordeaux, monkeypatch):
    seen, real = [], progress.report

    def report(kind, key, done, total=0):
        seen.append((db.session.get(ImportBatch, key).status, done, total))
        real(kind, key, done, total)

    monkeypatch.setattr(progress, "report", report)
    batch = commit(check(upload(bordeaux, csv_bytes([HEADER] + [person(i) for i in range(1, 2501)]))))
    assert [(d, t) for s, d, t in seen if s == "reading"] == [(998, 2500), (1998, 2500)]  # rows read
    assert [(d, t) for s, d, t in seen if s == "checking"] == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert [(d, t) for s, d, t in seen if s == "committing"][-1] == (2500, 2500)  # files written
    assert progress.read(services.PROGRESS, batch.id) == (0, 0)  # cleared once done


def test_the_page_polls_the_progress_of_the_running_step(client, admin, bordeaux):
    batch = upload(bordeaux, csv_bytes([HEADER, person(1)]))
    services.save_mapping(batch, dict(batch.mapping["columns"]), {}, "accompaniment_esf")
    progress.report(services.PROGRESS, batch.id, 1000, 2500)
    part = client.get(f"/a/bordeaux/imports/{batch.id}/progress", headers={"HX-Request": "true"}).text
    assert "Vérification de chaque ligne" in part and "1\u202f000 lignes sur 2\u202f500" in part  # French thousands
    assert 'value="1000" max="2500"' in part and "every 1s" in part
    progress.clear(services.PROGRESS, batch.id)


def test_undo_removes_what_the_batch_created_and_puts_back_what_it_changed(bordeaux):
    existing = make_beneficiary(bordeaux, first_name="Prénom1", last_name="Nom1", email="p1@exemple.fr",
                                commune="Talence")
    data = csv_bytes([HEADER + ["Photo"], person(1) + [""], person(2) + ["16/08/2024"]])
    batch = commit(check(upload(bordeaux, data)))
    assert db.session.get(Beneficiary, existing.id).commune == "Bordeaux"
    services.undo(batch)
    assert batch.status == "undone"
    assert [b.id for b in db.session.scalars(select(Beneficiary))] == [existing.id]
    assert db.session.get(Beneficiary, existing.id).commune == "Talence"
    assert db.session.scalar(select(func.count(Journey.id))) == 0


def test_an_import_that_only_changed_files_can_be_undone(bordeaux):
    make_beneficiary(bordeaux, first_name="Prénom1", last_name="Nom1", email="p1@exemple.fr", commune="Talence")
    batch = commit(check(upload(bordeaux, csv_bytes([HEADER, person(1)]))))
    assert batch.counts["update"] == 1 and services.undo_blockers(batch) == []
    services.undo(batch)
    assert db.session.scalar(select(Beneficiary.commune)) == "Talence"


def test_undo_is_refused_once_a_created_file_was_changed(bordeaux):
    from intranet.beneficiaries import services as files

    batch = commit(check(upload(bordeaux, csv_bytes([HEADER, person(1)]))))
    created = db.session.scalar(select(Beneficiary))
    files.update(created, {"commune": "Pessac"})
    db.session.flush()
    assert services.undo_blockers(batch)
    with pytest.raises(services.ImportError_, match="ne peut plus"):
        services.undo(batch)


def test_the_error_file_has_the_original_columns_and_a_motif(bordeaux):
    batch = check(upload(bordeaux, csv_bytes([HEADER, person(1), person(2, CP="3300")])))
    text = services.error_file(batch, "csv").decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0] == ["ligne", *HEADER, "motif"]
    assert lines[1][0] == "3" and lines[1][7] == "3300" and "code postal" in lines[1][-1]
    sheet = openpyxl.load_workbook(io.BytesIO(services.error_file(batch, "xlsx"))).active
    assert [c.value for c in sheet[1]][-1] == "motif" and sheet.cell(2, 1).value == 3


def test_uploaded_files_are_deleted_when_cancelled_or_seven_days_old(bordeaux):
    from datetime import timedelta

    from intranet.clock import utcnow

    batch = upload(bordeaux, csv_bytes([HEADER, person(1)]))
    path = Path(storage.path_of(batch))
    assert path.exists() and path.parent.name == str(bordeaux.id) and path.name != "candidats.csv"
    services.cancel(batch)
    assert not path.exists() and batch.status == "cancelled"
    old = upload(bordeaux, csv_bytes([HEADER, person(1)]))
    old_path = Path(storage.path_of(old))
    old.created_at = utcnow() - timedelta(days=8)
    db.session.flush()
    assert jobs.purge_old_files(utcnow()) == 1
    assert not old_path.exists() and old.status == "cancelled"


def test_the_files_are_exported_back_in_the_columns_of_the_spreadsheet(bordeaux, client, admin):
    data = csv_bytes([HEADER + ["Photo"], person(1, CP="01000", Civilité="MME") + ["16/08/2024"], person(2) + [""]])
    commit(check(upload(bordeaux, data)))
    response = client.get("/a/bordeaux/imports/export?format=csv")
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == HEADER + ["Photo"]
    assert lines[1] == ["Femme", "Nom1", "Prénom1", "06 12 34 00 01", "p1@exemple.fr", "02/04/1989", "01000", "Bordeaux",
                        "16/08/2024"]
    assert client.get("/a/bordeaux/imports/export?format=xlsx").status_code == 200


# --- the samples ----------------------------------------------------------------------------------

def test_the_bordeaux_workbook(bordeaux):
    data = (SAMPLES / "candidats-bordeaux-2024.xlsx").read_bytes()
    batch = upload(bordeaux, data, name="candidats-bordeaux-2024.xlsx")
    assert batch.options["sheet"] == "Candidats 2024" and batch.options["header_row"] == 3
    columns = batch.mapping["columns"]
    assert columns["NOM"] == "last_name" and columns["Tél"] == "phone" and columns["Date de naiss."] == "birth_date"
    assert columns["Civilité"] == "gender" and columns["Statut"] == "status" and columns["Orienté par"] == "referrer"
    check(batch, columns={"Sortie": ""})
    rows = batch.report["rows"]
    errors = {r["n"]: r for r in rows if r["status"] == "error"}
    assert len(errors) == 1  # Julie Petit: short phone, incomplete e-mail, 31/02, 4-digit postcode
    only = next(iter(errors.values()))
    assert {c for c, _m in only["errors"]} >= {"Tél", "Mail", "Date de naiss.", "CP"}
    groups = batch.report["groups"]
    assert len(groups) >= 3  # the same people typed again in other case
    sisters = [r for r in rows if any("une autre personne" in w[1] for w in r["warnings"])]
    assert sisters
    commit(batch)
    assert batch.counts["create"] == len(rows) - 1 - batch.counts.get("merged", 0)
    overseas = db.session.scalar(select(Beneficiary).where(Beneficiary.last_name == "Coulibaly",
                                                           Beneficiary.first_name == "Mamadou"))
    assert overseas.phone.startswith("+262")
    again = check(upload(bordeaux, data, name="candidats-bordeaux-2024.xlsx"))
    assert again.counts.get("create", 0) == 0 and again.counts.get("update", 0) == 0


def test_the_sessions_of_the_remote_program(bordeaux):
    coach = make_user(name="Julie Perrin")
    make_membership(bordeaux, "volunteer", user=coach)
    people = [("Hélène", "Diallo", "+33689077716"), ("Lucas", "Bonnet", "+33657997466"), ("Mamadou", "Roux", "")]
    for first, last, phone in people:
        make_beneficiary(bordeaux, first_name=first, last_name=last, phone=phone, email="")
    data = (SAMPLES / "coup-de-pouce-seances.csv").read_bytes()
    batch = upload(bordeaux, data, name="coup-de-pouce-seances.csv", kind="sessions")
    columns = batch.mapping["columns"]
    assert columns["Candidat"] == "full_name" and columns["Module"] == "module" and columns["Présence"] == "attendance"
    choices = services.value_choices(batch)
    assert all(chosen for _v, _c, chosen in choices["Module"]["values"])
    check(batch)
    rows = rows_by_n(batch)
    assert rows[2]["status"] == "create"  # "Diallo, Hélène" found
    assert rows[3]["status"] == "create"  # BONNET Lucas, 657997466
    assert any("introuvable" in r["errors"][0][1] for r in rows.values() if r["status"] == "error")
    commit(batch)
    assert db.session.scalar(select(func.count(Appointment.id))) >= 1
    done = db.session.scalars(select(JourneyModule).where(JourneyModule.status == "done")).all()
    assert done
    again = check(upload(bordeaux, data, name="coup-de-pouce-seances.csv", kind="sessions"))
    assert again.counts.get("create", 0) == 0


def test_sessions_fill_the_open_journey_or_open_one_and_undo_puts_everything_back(bordeaux):
    from intranet.calendar.models import Seat

    coach = make_user(name="Julie Perrin")
    make_membership(bordeaux, "volunteer", user=coach)
    helene = make_beneficiary(bordeaux, first_name="Hélène", last_name="Diallo", phone="+33689077716", email="")
    lucas = make_beneficiary(bordeaux, first_name="Lucas", last_name="Bonnet", phone="+33657997466", email="")
    journey = make_journey(bordeaux, beneficiary=helene, modules=2, started_on=date(2024, 12, 1))
    first, second = program("remote").modules[:2]
    data = csv_bytes([["Date", "Heure", "Candidat", "Téléphone", "Module", "Bénévole", "Présence"],
                      ["15/11/2024", "10h", "Diallo, Hélène", "06 89 07 77 16", first.name, "Julie Perrin", "Honoré"],
                      ["20/11/2024", "14h", "BONNET Lucas", "0657997466", first.name, "Julie Perrin", "Honoré"],
                      ["27/11/2024", "14h", "BONNET Lucas", "0657997466", second.name, "", "absente"]], delimiter=",")
    batch = commit(check(upload(bordeaux, data, name="seances.csv", kind="sessions"), consent=""))
    assert batch.counts["create"] == 3
    db.session.expire_all()
    assert journey.started_on == date(2024, 11, 15)  # the open journey started with the earlier session
    assert [(m.status, m.happened_on, m.coach_id) for m in journey.modules] == [
        ("done", date(2024, 11, 15), coach.id), ("to_plan", None, None)]
    opened = db.session.scalar(select(Journey).where(Journey.beneficiary_id == lucas.id))
    assert opened.started_on == date(2024, 11, 20)
    assert [(m.module_id, m.position, m.status) for m in opened.modules] == [(first.id, 1, "done"), (second.id, 2, "missed")]
    seats = {s.beneficiary_id: s for s in db.session.scalars(select(Seat))}
    assert seats[helene.id].journey_module_id == journey.modules[0].id  # no coach, no appointment for the 3rd
    assert seats[lucas.id].journey_module_id == opened.modules[0].id and len(seats) == 2
    services.undo(batch)
    db.session.expire_all()
    assert journey.started_on == date(2024, 12, 1)
    assert [(m.status, m.happened_on, m.coach_id) for m in journey.modules] == [("to_plan", None, None)] * 2
    assert db.session.scalar(select(func.count(Journey.id)).where(Journey.beneficiary_id == lucas.id)) == 0
    assert db.session.scalar(select(func.count(Appointment.id))) == 0


def test_the_volunteers_file_reads_with_windows_1252_and_semicolons(bordeaux):
    batch = upload(bordeaux, (SAMPLES / "benevoles.csv").read_bytes(), name="benevoles.csv")
    assert batch.options["encoding"] == "cp1252" and batch.options["delimiter"] == ";"
    assert "Prénom" in batch.preview["headers"]


# --- pages ----------------------------------------------------------------------------------------

def test_the_pages_walk_through_an_import(client, admin, bordeaux):
    page = client.get("/a/bordeaux/imports")
    assert page.status_code == 200 and "Déposer" in page.text
    response = client.post("/a/bordeaux/imports", data={"kind": "beneficiaries",
                                                        "file": (io.BytesIO(csv_bytes([HEADER, person(1)])), "c.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    batch = db.session.scalar(select(ImportBatch))
    assert client.get(f"/a/bordeaux/imports/{batch.id}").status_code == 200
    jobs.run(batch.id)
    page = client.get(f"/a/bordeaux/imports/{batch.id}")
    assert "Importer comme" in page.text and "Premières lignes brutes" in page.text
    form = {f"col_{i}": batch.mapping["columns"][h] for i, h in enumerate(batch.preview["headers"])}
    form["consent"] = "accompaniment_esf"
    for i, h in enumerate(batch.preview["headers"]):
        for j, (_value, _c, chosen) in enumerate(services.value_choices(batch).get(h, {}).get("values", [])):
            form[f"val_{i}_{j}"] = chosen
    assert client.post(f"/a/bordeaux/imports/{batch.id}/mapping", data=form).status_code == 303
    jobs.run(batch.id)
    page = client.get(f"/a/bordeaux/imports/{batch.id}")
    assert "à créer" in page.text
    assert client.post(f"/a/bordeaux/imports/{batch.id}/commit").status_code == 303
    jobs.run(batch.id)
    page = client.get(f"/a/bordeaux/imports/{batch.id}")
    assert "Annuler tout l’import" in page.text
    created = db.session.scalar(select(Beneficiary))
    assert "Créée par l’import « c.csv »" in client.get(f"/a/bordeaux/beneficiaries/{created.id}").text
    assert client.get(f"/a/bordeaux/imports/{batch.id}/errors?format=xlsx").status_code == 200


def test_an_upload_over_15_mb_is_refused_before_it_is_kept(client, admin, bordeaux):
    big = io.BytesIO(b"a;b\n" * (int(3.9 * 1024 * 1024)))  # 15.6 MB: under the request limit, over the file's
    response = client.post("/a/bordeaux/imports", data={"kind": "beneficiaries", "file": (big, "gros.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "15 Mo" in response.text
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0


def upload_too_large(client, slug="bordeaux"):
    big = io.BytesIO(b"a;b\n" * (5 * 1024 * 1024))  # 20 MB: over the request limit (MAX_CONTENT_LENGTH)
    return client.post(f"/a/{slug}/imports", data={"kind": "beneficiaries", "file": (big, "enorme.csv")},
                       content_type="multipart/form-data")


def test_a_request_over_the_limit_shows_the_form_with_the_reason_beside_the_file_field(client, admin, bordeaux):
    response = upload_too_large(client)
    assert response.status_code == 413
    field = re.search(r'<input[^>]*id="file"[^>]*>\s*<small id="file-error" class="field-error">([^<]*)</small>',
                      response.text)
    assert field and "15 Mo" in field[1] and 'aria-invalid="true"' in field[0]
    assert "<h1>Imports de tableurs</h1>" in response.text
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0


def test_a_request_over_the_limit_says_nothing_of_a_space_one_cannot_enter(client, login_as, bordeaux, lyon):
    login_as("admin", lyon)
    response = upload_too_large(client)
    assert response.status_code == 404 and "Imports de tableurs" not in response.text
    login_as("staff", bordeaux)
    assert upload_too_large(client).status_code == 403


def test_the_sessions_page_asks_no_consent(client, admin, bordeaux):
    batch = upload(bordeaux, (SAMPLES / "coup-de-pouce-seances.csv").read_bytes(), name="s.csv", kind="sessions")
    page = client.get(f"/a/bordeaux/imports/{batch.id}").text
    assert "Présence" in page and "Consentement recueilli" not in page
    form = {f"col_{i}": batch.mapping["columns"][h] for i, h in enumerate(batch.preview["headers"])}
    assert client.post(f"/a/bordeaux/imports/{batch.id}/mapping", data=form).status_code == 303


def test_staff_cannot_import(client, staff, bordeaux):
    assert client.get("/a/bordeaux/imports").status_code == 403


def test_batches_mappings_and_files_stay_in_their_association(client, login_as, bordeaux, lyon):
    batch = make_import_batch(bordeaux)
    login_as("admin", lyon)
    assert client.get(f"/a/lyon/imports/{batch.id}").status_code == 404
    assert client.get(f"/a/lyon/imports/{batch.id}/errors").status_code == 404
    assert "candidats-secrets" not in client.get("/a/lyon/imports").text
    assert Path(storage.path_of(batch)).parent.name == str(bordeaux.id)
