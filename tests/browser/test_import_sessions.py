"""The network office imports the remote program's past sessions: mapping accepted with a correction, dry run,
commit, and the sessions found on the person's journey; a second upload creates nothing."""

import re
from pathlib import Path

from sqlalchemy import func, select

from intranet.calendar.models import Appointment
from intranet.demo import load_demo
from intranet.network.models import Association
from tests.browser.conftest import sign_in
from tests.factories import make_beneficiary, make_membership, make_user

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "samples" / "coup-de-pouce-seances.csv"
if not SAMPLE.exists():
    SAMPLE = Path("/work/shared/samples/coup-de-pouce-seances.csv")


def _upload(page, live_server):
    page.goto(live_server + "/a/national/imports")
    page.get_by_label("Le fichier contient").select_option("sessions")
    page.get_by_label("Fichier CSV ou Excel").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Déposer et lire le fichier").click()
    page.get_by_role("heading", name="2. À quoi correspond chaque colonne").wait_for(timeout=30_000)


def _check(page):
    page.get_by_label("Importer « Commentaire » comme").select_option("")
    page.get_by_role("button", name="Enregistrer et vérifier tout le fichier").click()
    page.get_by_role("heading", name="3. Vérification ligne par ligne").wait_for(timeout=30_000)


def test_import_the_remote_programs_sessions(page, live_server, db):
    load_demo()
    national = db.session.scalar(select(Association).where(Association.slug == "national"))
    coach = make_user("julie.perrin@exemple.test", name="Julie Perrin")
    make_membership(national, "volunteer", user=coach)
    helene = make_beneficiary(national, first_name="Hélène", last_name="Diallo", phone="+33689077716", email="")
    make_beneficiary(national, first_name="Lucas", last_name="Bonnet", phone="+33657997466", email="")
    sign_in(page, live_server, "reseau@tremplin.test")
    _upload(page, live_server)
    main = page.locator("main")
    assert page.get_by_label("Encodage").input_value() == "utf-8"
    assert page.get_by_label("Importer « Date » comme").input_value() == "date"
    assert page.get_by_label("Importer « Candidat » comme").input_value() == "full_name"
    assert page.get_by_label("Importer « Présence » comme").input_value() == "attendance"
    assert page.get_by_label(re.compile("^« Honoré »")).input_value() == "done"
    assert page.get_by_label(re.compile("^« excusée »")).input_value() == "excused"
    assert page.get_by_label("« Module 1 - Se présenter »").input_value() != ""
    assert "Consentement recueilli" not in main.inner_text()
    _check(page)
    counts = " ".join(page.locator("ul.import-counts").inner_text().split())
    assert "4 à créer" in counts
    assert "personne introuvable parmi les fiches" in main.inner_text()
    page.get_by_role("button", name="Importer").click()
    page.get_by_role("heading", name="Ce qui a été importé").wait_for(timeout=30_000)
    assert page.get_by_role("link", name="fichier d’erreurs CSV").is_visible()
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Appointment.id)).where(Appointment.volunteer_id == coach.id)) == 4

    page.goto(live_server + f"/a/national/beneficiaries/{helene.id}")
    journey = page.locator("#journeys article.journey").first
    journey.wait_for()
    text = " ".join(journey.inner_text().split())
    assert "repris de l’import « coup-de-pouce-seances.csv »" in text
    assert "Bilan et projet professionnel" in text and "Réalisé" in text and "avec Julie Perrin" in text

    _upload(page, live_server)
    _check(page)
    counts = " ".join(page.locator("ul.import-counts").inner_text().split())
    assert "0 à créer" in counts and "4 inchangées" in counts
    page.get_by_role("button", name="Abandonner cet import").click()
    page.get_by_text("Import abandonné ; le fichier déposé est supprimé.").wait_for()
