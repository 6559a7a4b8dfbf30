"""French by default, English for those who choose it."""

from tests.factories import make_association


def test_pages_are_in_french_by_default(client):
    assert "Connexion" in client.get("/login").get_data(as_text=True)


def test_an_english_browser_gets_the_sign_in_page_in_english(client):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in html and "Sign in" in html


def test_a_user_who_chose_english_sees_english_pages(client, login_as, db):
    login_as("admin", make_association("bordeaux"), locale="en")
    html = client.get("/a/bordeaux/members", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Members of" in html and "Membres de" not in html


def test_choosing_a_language_in_the_account_page(client, login_as):
    login_as("admin", make_association("bordeaux"))
    client.post("/account", data={"name": "Nadia", "locale": "en"})
    assert "My account" in client.get("/account").get_data(as_text=True)
