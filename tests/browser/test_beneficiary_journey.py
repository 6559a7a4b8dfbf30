"""Staff create a beneficiary, start a remote journey of 3 modules, mark one done, see it in the timeline."""

from intranet.demo import load_demo
from tests.browser.conftest import sign_in


def test_create_a_file_start_a_remote_journey_and_mark_a_module_done(page, live_server, db):
    load_demo()
    sign_in(page, live_server, "staff.lille@tremplin.test")
    page.get_by_role("link", name="Bénéficiaires", exact=True).click()
    page.get_by_role("button", name="Nouvelle fiche").click()

    page.get_by_label("Prénom").fill("Yasmine")
    page.get_by_label("Nom", exact=True).fill("Belkacem")
    page.get_by_label("Adresse e-mail").fill("yasmine.belkacem@exemple.test")
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label("Code postal").fill("59000")
    page.get_by_label("Commune").fill("Lille")
    page.get_by_label("Consentement").select_option("accompaniment_esf")
    page.get_by_label("Métier ou secteur visé").fill("Conseillère clientèle")
    page.get_by_label("Situation de handicap").select_option(label="Ne souhaite pas répondre")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Yasmine Belkacem"
    assert "06 11 22 33 44" in page.locator("main").inner_text()

    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Démarrer un parcours").click()
    checklist = page.locator("#start-journey")
    for name in ("Bilan et projet professionnel", "CV et candidatures", "Préparation à l’entretien"):
        checklist.get_by_label(name).check()
    page.locator("#journey-summary").get_by_text("3 modules choisis").wait_for()
    assert page.evaluate("window.__sameDocument === true")  # the checklist came in place
    checklist.get_by_role("button", name="Démarrer le parcours").click()
    page.wait_for_url("**#journey-*")
    timeline = page.locator("ol.timeline")
    assert timeline.locator("li").count() == 3

    page.evaluate("window.__sameDocument = true")
    item = timeline.locator("li", has_text="CV et candidatures")
    item.get_by_text("Mettre à jour").click()
    item.get_by_label("Statut").select_option(label="Réalisé")
    item.get_by_label("Notes").fill("CV refait, très clair.")
    item.get_by_role("button", name="Enregistrer").click()
    updated = page.locator("ol.timeline li", has_text="CV et candidatures")
    updated.locator(".badge", has_text="Réalisé").wait_for()
    assert "CV refait, très clair." in updated.inner_text()
    assert page.evaluate("window.__sameDocument === true")
    page.locator("#live-status").get_by_text("« CV et candidatures » : Réalisé.").wait_for()

    page.reload()
    assert "Réalisé" in page.locator("ol.timeline li", has_text="CV et candidatures").inner_text()
    assert "À planifier" in page.locator("ol.timeline li", has_text="Bilan et projet professionnel").inner_text()
