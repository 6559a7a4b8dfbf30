def test_login_page_answers(client):
    assert client.get("/login").status_code == 200
