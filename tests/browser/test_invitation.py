"""An admin invites people by e-mail: someone new chooses a password through the link, someone who
already has an account signs in and accepts; nobody gets access before answering."""

import re

import pytest

from intranet.demo import load_demo

pytestmark = pytest.mark.commits(scope="module")


@pytest.fixture(scope="module", autouse=True)
def demo(app, module_rows):
    """The demo network, loaded once: each test invites someone else."""
    with app.app_context():
        load_demo()


def _invite(admin, app, mail_sink, live_server, name: str, email: str, role: str) -> str:
    """Invite someone from the members page and return the link the mail carries.

    The admin reads the mail in the association's mailbox. With SMTP it really left, and the mailbox
    masks the personal link; without, the mailbox stands in for delivery and shows it.
    """
    admin.locator("summary", has_text="Paramètres").click()
    admin.get_by_role("link", name="Membres", exact=True).click()
    admin.get_by_text("Inviter une personne").click()
    admin.get_by_label("Nom et prénom").fill(name)
    admin.get_by_label("Adresse e-mail").fill(email)
    admin.get_by_label("Rôle", exact=True).select_option(label=role)
    admin.get_by_role("button", name="Envoyer l’invitation").click()
    assert f"Invitation envoyée à {email}." in admin.locator(".flash").inner_text()
    assert "Invitation envoyée le" in admin.locator("tr", has_text=name).inner_text()
    admin.locator("summary", has_text="Paramètres").click()
    admin.get_by_role("link", name="Courriels", exact=True).click()
    admin.locator("tr", has_text=email).get_by_role(
        "link", name="Invitation à rejoindre Tremplin Bordeaux sur Tremplin").click()
    if not app.config["MAIL_SERVER"]:
        return admin.locator(".mail-text a").first.get_attribute("href")
    assert "lien personnel masqué" in admin.locator(".mail-text").inner_text()
    pattern = re.escape(live_server) + r"/invitation/\S+"
    for count in range(1, 6):  # the person may have had other mail (the demo's) before the invitation
        for message in mail_sink.wait_for(email, count):
            found = re.search(pattern, message.get_body(("plain",)).get_content())
            if found:
                return found.group(0)
    raise AssertionError(f"no invitation mail reached {email}")


def test_invite_a_staff_member_who_then_sets_a_password(new_page, live_server, db, app, mail_sink):
    admin = new_page(signed_in_as="admin.bordeaux@tremplin.test")
    link = _invite(admin, app, mail_sink, live_server, "Inès Roux", "ines.roux@exemple.test", "Salarié·e")
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


def test_someone_with_an_account_signs_in_then_accepts(new_page, live_server, db, app, mail_sink):
    admin = new_page(signed_in_as="admin.bordeaux@tremplin.test")
    link = _invite(admin, app, mail_sink, live_server, "Sophie V.", "admin.lille@tremplin.test", "Salarié·e")

    sophie = new_page()
    sophie.goto(link)  # not signed in: the link asks to sign in, never for a new password
    sophie.wait_for_url(f"{live_server}/login?**")
    assert "Connectez-vous pour répondre à l’invitation de Tremplin Bordeaux" in sophie.locator(".flash").inner_text()
    sophie.get_by_label("Adresse e-mail").fill("admin.lille@tremplin.test")
    sophie.get_by_label("Mot de passe").fill("tremplin-demo")
    sophie.get_by_role("button", name="Se connecter").click()
    sophie.wait_for_url(link)
    assert sophie.get_by_role("heading", level=1).inner_text() == "Rejoindre Tremplin Bordeaux ?"
    sophie.get_by_role("button", name="Accepter l’invitation").click()
    sophie.wait_for_url(live_server + "/a/bordeaux/")
    assert "Vous avez rejoint Tremplin Bordeaux." in sophie.locator(".flash").inner_text()

    admin.locator("summary", has_text="Paramètres").click()
    admin.get_by_role("link", name="Membres", exact=True).click()
    assert "Actif" in admin.locator("tr", has_text="admin.lille@tremplin.test").inner_text()
