"""An admin invites a staff member, who follows the e-mailed link and chooses a password."""

import re

from intranet.demo import load_demo
from tests.browser.conftest import sign_in


def test_invite_a_staff_member_who_then_sets_a_password(new_page, live_server, db, app, mail_sink):
    load_demo()
    admin = new_page()
    sign_in(admin, live_server, "admin.bordeaux@tremplin.test")
    admin.get_by_role("link", name="Membres", exact=True).click()
    admin.get_by_text("Inviter une personne").click()
    admin.get_by_label("Nom et prénom").fill("Inès Roux")
    admin.get_by_label("Adresse e-mail").fill("ines.roux@exemple.test")
    admin.get_by_label("Rôle", exact=True).select_option(label="Salarié·e")
    admin.get_by_role("button", name="Envoyer l’invitation").click()
    assert "Invitation envoyée à ines.roux@exemple.test." in admin.locator(".flash").inner_text()
    assert "Invitation en attente" in admin.locator("tr", has_text="Inès Roux").inner_text()

    # The admin reads the mail in the association's mailbox. With SMTP it really left, and the mailbox
    # masks the personal link; without, the mailbox stands in for delivery and shows it.
    admin.get_by_role("link", name="Courriels", exact=True).click()
    admin.get_by_role("link", name="Invitation à rejoindre Tremplin Bordeaux sur Tremplin").click()
    if app.config["MAIL_SERVER"]:
        assert "lien personnel masqué" in admin.locator(".mail-text").inner_text()
        sent = mail_sink.wait_for("ines.roux@exemple.test")[0].get_body(("plain",)).get_content()
        link = re.search(re.escape(live_server) + r"/invitation/\S+", sent).group(0)
    else:
        link = admin.locator(".mail-text a").first.get_attribute("href")
    assert link.startswith(live_server + "/invitation/")

    newcomer = new_page()
    newcomer.goto(link)
    assert newcomer.get_by_role("heading", level=1).inner_text() == "Bienvenue sur Tremplin, Inès Roux"
    newcomer.get_by_label("Nouveau mot de passe").fill("mon secret à moi")
    newcomer.get_by_label("Confirmez le mot de passe").fill("mon secret à moi")
    newcomer.get_by_role("button", name="Enregistrer le mot de passe").click()
    newcomer.wait_for_url(live_server + "/a/bordeaux/")
    assert "Bienvenue, Inès Roux" in newcomer.locator(".flash").inner_text()

    newcomer.goto(link)
    assert "déjà servi" in newcomer.locator("main").inner_text()
