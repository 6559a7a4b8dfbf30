"""Partners in the browser: an exchange noted in place from the list; a referral sent from a phone, then accepted."""

from datetime import UTC, date, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.factories import (
    PASSWORD,
    make_association,
    make_interaction,
    make_membership,
    make_partner,
    make_partner_contact,
    make_referral,
    make_referral_link,
    make_user,
)

PHONE = (375, 740)


def _staff(association, name="Julien Moreau"):
    user = make_user(name=name)
    make_membership(association, "staff", user)
    return user


def test_an_exchange_noted_from_the_list_updates_the_timeline_without_reload(new_page, live_server, db):
    association = make_association("bordeaux", name="Tremplin Bordeaux")
    staff = _staff(association)
    partner = make_partner(association, name="CCAS de Pessac")
    make_partner_contact(association, partner, name="Sandrine Morel")
    page = new_page(signed_in_as=staff.email, password=PASSWORD)
    page.goto(f"{live_server}/a/bordeaux/partners")
    page.evaluate("window.__sameDocument = true")

    page.get_by_role("link", name="Noter un échange — CCAS de Pessac").click()
    panel = page.locator(f"#log-slot-{partner.id}")
    panel.get_by_role("heading", name="Noter un échange avec CCAS de Pessac").wait_for()
    panel.get_by_role("button", name="Noter l’échange").click()  # nothing said yet: refused in place
    alert = panel.get_by_role("alert")
    alert.wait_for()
    assert "Résumez l’échange en quelques mots." in panel.inner_text()
    # Focus moves once htmx has settled the swap: wait for it rather than read it at once.
    page.wait_for_function("document.activeElement && document.activeElement.getAttribute('role') === 'alert'")

    panel.get_by_label("Ce qui s’est dit").fill("Appel avec Sandrine : trois personnes à orienter.")
    panel.get_by_label("Sandrine Morel").check()
    panel.get_by_role("button", name="Noter l’échange").click()
    item = panel.locator(".timeline-item").first
    item.get_by_text("Appel avec Sandrine : trois personnes à orienter.").wait_for()
    assert "avec Sandrine Morel" in item.inner_text()
    page.locator("#live-status").get_by_text("avec CCAS de Pessac noté.").wait_for()
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=item.get_attribute("id"))
    assert page.evaluate("window.__sameDocument === true")


def test_a_referral_sent_from_a_phone_is_accepted_and_the_file_names_its_referrer(new_page, live_server, db):
    association = make_association("bordeaux", name="Tremplin Bordeaux")
    staff = _staff(association)
    partner = make_partner(association, name="Mission locale des Graves", stage="active")
    link = make_referral_link(association, partner)

    phone = new_page(*PHONE)
    phone.goto(f"{live_server}/p/{link.token}/orientation")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    phone.get_by_label("Prénom").fill("Inès")
    phone.get_by_label("Nom", exact=True).fill("Bouvier")
    phone.get_by_label("Téléphone de la personne").fill("06 12 34 56 78")
    phone.get_by_label("Code postal de la personne").fill("33000")
    phone.get_by_label("Pourquoi l’orientez-vous vers nous ?").fill("Cherche un emploi dans la vente.")
    phone.get_by_label("Votre nom").fill("Fatou Ndiaye")
    phone.get_by_label("Votre e-mail").fill("fatou@ml-graves.test")
    phone.get_by_role("button", name="Envoyer l’orientation").click()
    phone.get_by_text("avec l’accord de la personne").wait_for()  # the attestation is required: said next to it
    phone.get_by_label("La personne est d’accord").check()
    send = phone.get_by_role("button", name="Envoyer l’orientation")
    assert send.bounding_box()["height"] >= 44
    send.click()
    phone.get_by_role("heading", name="Merci, c’est envoyé").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE[0]

    desk = new_page(signed_in_as=staff.email, password=PASSWORD)
    desk.goto(f"{live_server}/a/bordeaux/referrals")
    desk.get_by_role("link", name="BOUVIER Inès").click()
    desk.get_by_role("button", name="Accepter et créer la fiche").click()
    desk.get_by_role("heading", name="Inès Bouvier").wait_for()
    context = desk.locator("section", has=desk.get_by_role("heading", name="Contexte"))
    assert "Mission locale des Graves" in context.inner_text()
    assert "attesté par le prescripteur" in context.inner_text()
    desk.goto(f"{live_server}/a/bordeaux/beneficiaries?q=bouvier")
    assert "Mission locale des Graves" in desk.locator("#results").inner_text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_partners_pages_have_no_contrast_or_structure_violations(new_page, live_server, db, scheme):
    association = make_association("bordeaux", name="Tremplin Bordeaux")
    staff = _staff(association)
    partner = make_partner(association, name="Mission locale des Graves", stage="active", rural="yes")
    make_partner_contact(association, partner, name="Fatou Ndiaye")
    make_interaction(association, partner, next_step="Rappeler", next_step_due=date.today() - timedelta(days=2))
    link = make_referral_link(association, partner)
    referral = make_referral(association, partner, received_at=datetime.now(UTC) - timedelta(days=9))
    page = new_page(signed_in_as=staff.email, password=PASSWORD, color_scheme=scheme)
    violations = []
    for path in ("/a/bordeaux/partners", f"/a/bordeaux/partners/{partner.id}", "/a/bordeaux/partners/follow-ups",
                 "/a/bordeaux/partners/figures", "/a/bordeaux/referrals", f"/a/bordeaux/referrals/{referral.id}",
                 f"/a/bordeaux/partners/{partner.id}/poster", f"/p/{link.token}/orientation"):
        page.goto(live_server + path)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
        violations += [f"{path} {v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]]
    assert violations == []
