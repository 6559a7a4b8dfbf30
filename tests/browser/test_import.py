"""An admin imports the Bordeaux workbook: sheet and header found, mapping accepted with a correction,
problem rows named, duplicates merged, everything committed, the people found; a second upload changes nothing."""

from pathlib import Path

from sqlalchemy import func, select

from intranet.beneficiaries.models import Beneficiary
from intranet.demo import load_demo
from tests.browser.conftest import sign_in

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "samples" / "candidats-bordeaux-2024.xlsx"
if not SAMPLE.exists():
    SAMPLE = Path("/work/shared/samples/candidats-bordeaux-2024.xlsx")


def _upload(page, live_server):
    page.goto(live_server + "/a/bordeaux/imports")
    page.get_by_label("Le fichier contient").select_option("beneficiaries")
    page.get_by_label("Fichier CSV ou Excel").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Déposer et lire le fichier").click()
    page.get_by_role("heading", name="2. À quoi correspond chaque colonne").wait_for(timeout=30_000)


def test_import_the_bordeaux_workbook(page, live_server, db):
    load_demo()
    before = db.session.scalar(select(func.count(Beneficiary.id)))
    sign_in(page, live_server, "admin.bordeaux@tremplin.test")
    _upload(page, live_server)
    main = page.locator("main")
    assert page.get_by_label("Feuille").input_value() == "Candidats 2024"
    assert page.get_by_label("Ligne des en-têtes").input_value() == "3"
    assert "Listes" not in page.get_by_label("Feuille").inner_text()  # the hidden sheet is not offered
    assert page.get_by_label("Importer « NOM » comme").input_value() == "last_name"
    page.get_by_label("Importer « Sortie » comme").select_option("")
    assert page.get_by_label("« Madame »").input_value() == "woman"
    page.get_by_label("Consentement recueilli").select_option("accompaniment_esf")
    page.get_by_role("button", name="Enregistrer et vérifier tout le fichier").click()
    page.get_by_role("heading", name="3. Vérification ligne par ligne").wait_for(timeout=30_000)
    assert "la date 31/02/1995 n’existe pas" in main.inner_text()
    assert "numéro trop court" in main.inner_text()
    assert page.locator("fieldset.duplicate-group").count() == 3
    page.get_by_role("button", name="Appliquer ces choix et vérifier à nouveau").click()
    page.get_by_role("heading", name="3. Vérification ligne par ligne").wait_for(timeout=30_000)
    page.get_by_role("button", name="Importer").click()
    page.get_by_role("heading", name="Ce qui a été importé").wait_for(timeout=30_000)
    assert page.get_by_role("link", name="fichier d’erreurs CSV").is_visible()
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Beneficiary.id))) == before + 141

    page.goto(live_server + "/a/bordeaux/beneficiaries?q=coulibaly")
    assert "coulibaly" in page.locator("main").inner_text().lower()

    _upload(page, live_server)
    page.get_by_label("Consentement recueilli").select_option("accompaniment_esf")
    page.get_by_label("Importer « Sortie » comme").select_option("")
    page.get_by_role("button", name="Enregistrer et vérifier tout le fichier").click()
    page.get_by_role("heading", name="3. Vérification ligne par ligne").wait_for(timeout=30_000)
    counts = page.locator("ul.import-counts").inner_text()
    assert "0 à créer" in " ".join(counts.split()) and "0 à mettre à jour" in " ".join(counts.split())
    page.get_by_role("button", name="Abandonner cet import").click()
    page.get_by_text("Import abandonné ; le fichier déposé est supprimé.").wait_for()


def test_a_file_over_the_limit_is_refused_with_the_reason_beside_its_field(page, live_server, db, tmp_path):
    load_demo()
    big = tmp_path / "enorme.csv"
    big.write_bytes(b"NOM;Prenom\n" * (2 * 1024 * 1024))  # 23 MB: over the request limit
    sign_in(page, live_server, "admin.bordeaux@tremplin.test")
    page.goto(live_server + "/a/bordeaux/imports")
    page.get_by_label("Fichier CSV ou Excel").set_input_files(str(big))
    page.get_by_role("button", name="Déposer et lire le fichier").click()
    error = page.locator("#file-error")
    error.wait_for(timeout=30_000)
    assert "15 Mo" in error.inner_text() and page.get_by_label("Fichier CSV ou Excel").get_attribute("aria-invalid")
