"""An association admin invites people, changes roles, removes access."""

import pytest
from sqlalchemy import select

from intranet.auth.models import User
from intranet.members import services
from intranet.members.models import Membership
from tests.factories import make_association, make_membership, make_user


def invite(client, **fields):
    data = {"name": "Julien Moreau", "email": "julien@exemple.test", "role": "staff", **fields}
    return client.post("/a/bordeaux/members", data=data)


def test_inviting_someone_new_creates_an_account_and_mails_a_link(client, admin, db, sent_mail):
    response = invite(client)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "julien@exemple.test"))
    assert user.password_hash == "" and user.memberships[0].role == "staff"
    subject, text = sent_mail("julien@exemple.test")[0]
    assert "Tremplin Bordeaux" in subject
    assert "Nadia Benali vous invite" in text and "http://localhost/invitation/" in text


def test_the_invitation_link_activates_the_account(client, admin, db, sent_mail, app):
    invite(client)
    link = next(line for line in sent_mail("julien@exemple.test")[0][1].splitlines() if "/invitation/" in line)
    newcomer = app.test_client()
    page = newcomer.get(link.removeprefix("http://localhost"))
    assert "Bienvenue sur Tremplin, Julien Moreau" in page.get_data(as_text=True)
    response = newcomer.post(link.removeprefix("http://localhost"),
                             data={"password": "mon beau secret", "confirm": "mon beau secret"})
    assert response.headers["Location"] == "/a/bordeaux/"
    assert newcomer.get("/").headers["Location"] == "/a/bordeaux/"
    assert newcomer.get(link.removeprefix("http://localhost")).status_code == 410


def test_inviting_someone_who_has_an_account_adds_a_pending_membership(client, admin, db, sent_mail, bordeaux):
    existing = make_user("aicha@exemple.test")
    make_membership(make_association("lille"), "volunteer", existing)
    assert invite(client, email="AICHA@exemple.test", role="volunteer").status_code == 302
    states = {m.association.slug: m.state for m in existing.memberships}
    assert states == {"lille": "active", "bordeaux": "invited"}
    subject, _ = sent_mail("aicha@exemple.test")[0]
    assert subject == "Invitation à rejoindre Tremplin Bordeaux sur Tremplin"


def test_inviting_a_current_member_is_refused_next_to_the_email(client, admin, bordeaux, db):
    make_membership(bordeaux, "staff", make_user("julien@exemple.test"))
    response = invite(client)
    assert response.status_code == 422
    assert "fait déjà partie de Tremplin Bordeaux" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(User).where(User.email == "julien@exemple.test")).all()) == 1


def test_inviting_someone_already_invited_again_replaces_the_link(client, admin, db, sent_mail, app):
    invite(client)
    assert invite(client, role="admin").status_code == 302
    first, second = (next(line for line in text.splitlines() if "/invitation/" in line).removeprefix("http://localhost")
                     for _, text in sent_mail("julien@exemple.test", 2))
    assert "Administrateur·rice" in sent_mail("julien@exemple.test", 2)[1][1]
    assert app.test_client().get(first).status_code == 404 and app.test_client().get(second).status_code == 200
    assert len(db.session.scalars(select(Membership).join(User).where(User.email == "julien@exemple.test")).all()) == 1


@pytest.mark.parametrize("fields,message", [
    ({"email": "pas-une-adresse"}, "Cette adresse e-mail n’est pas valide."),
    ({"name": ""}, "Indiquez le nom de la personne."),
    ({"role": "superadmin"}, "Not a valid choice"),
])
def test_bad_input_is_explained_and_nothing_is_written(client, admin, db, fields, message):
    count = len(db.session.scalars(select(User)).all())
    response = invite(client, **fields)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body or "Choix non valide" in body or "pas un choix valide" in body
    assert len(db.session.scalars(select(User)).all()) == count


def test_changing_a_role_with_htmx_returns_the_row_and_announces_it(client, admin, bordeaux, db):
    member = make_membership(bordeaux, "volunteer", make_user(name="Martine Lefèvre"))
    response = client.post(f"/a/bordeaux/members/{member.id}/role", data={"role": "staff"},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<tr") and "<html" not in body
    assert "Martine Lefèvre a maintenant le rôle" in response.headers["HX-Trigger"].encode().decode("unicode_escape")
    db.session.refresh(member)
    assert member.role == "staff"


def test_changing_a_role_without_javascript_redirects_with_a_message(client, admin, bordeaux, db):
    member = make_membership(bordeaux, "volunteer")
    response = client.post(f"/a/bordeaux/members/{member.id}/role", data={"role": "staff"}, follow_redirects=True)
    assert "a maintenant le rôle « Salarié·e »" in response.get_data(as_text=True)


def test_the_last_admin_keeps_the_role(client, admin, db):
    own = admin.memberships[0]
    response = client.post(f"/a/bordeaux/members/{own.id}/role", data={"role": "staff"}, headers={"HX-Request": "true"})
    assert "dernier administrateur" in response.get_data(as_text=True)
    db.session.refresh(own)
    assert own.role == "admin"


def test_with_two_admins_one_can_step_down(client, admin, bordeaux, db):
    make_membership(bordeaux, "admin")
    own = admin.memberships[0]
    client.post(f"/a/bordeaux/members/{own.id}/role", data={"role": "staff"})
    db.session.refresh(own)
    assert own.role == "staff"


def test_deactivating_asks_for_confirmation_first(client, admin, bordeaux, db):
    member = make_membership(bordeaux, "staff", make_user(name="Julien Moreau"))
    page = client.get(f"/a/bordeaux/members/{member.id}/deactivate")
    assert "Retirer l’accès de Julien Moreau ?" in page.get_data(as_text=True)
    db.session.refresh(member)
    assert member.active


def test_deactivating_keeps_the_history_and_can_be_undone(client, admin, bordeaux, db):
    member = make_membership(bordeaux, "staff")
    client.post(f"/a/bordeaux/members/{member.id}/deactivate")
    db.session.refresh(member)
    assert member.active is False and db.session.get(Membership, member.id) is not None
    client.post(f"/a/bordeaux/members/{member.id}/reactivate")
    db.session.refresh(member)
    assert member.active is True


def test_an_admin_cannot_remove_their_own_access(admin, db):
    with pytest.raises(services.MembershipError):
        services.deactivate(admin.memberships[0], admin)


def test_the_last_admin_cannot_be_deactivated(bordeaux, db):
    only_admin = make_membership(bordeaux, "admin")
    other_admin_elsewhere = make_user()
    with pytest.raises(services.MembershipError, match="dernier"):
        services.deactivate(only_admin, other_admin_elsewhere)


def test_search_filters_the_list_in_place(client, admin, bordeaux):
    make_membership(bordeaux, "volunteer", make_user(name="Martine Lefèvre"))
    make_membership(bordeaux, "volunteer", make_user(name="Pierre Garnier"))
    response = client.get("/a/bordeaux/members?q=garn", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="member-list"')
    assert "Pierre Garnier" in body and "Martine Lefèvre" not in body


@pytest.mark.parametrize("q", ["helene", "HELENE", "Hélène", "hélene dupre", "DUPRÉ"])
def test_search_ignores_accents_and_case(client, admin, bordeaux, q):
    make_membership(bordeaux, "staff", make_user(name="Hélène Dupré"))
    make_membership(bordeaux, "staff", make_user(name="Henri Duval"))
    body = client.get("/a/bordeaux/members", query_string={"q": q}).get_data(as_text=True)
    assert "Hélène Dupré" in body and "Henri Duval" not in body


def test_search_finds_an_address(client, admin, bordeaux):
    make_membership(bordeaux, "staff", make_user("noel.ndiaye@exemple.test", name="Noël N’Diaye"))
    body = client.get("/a/bordeaux/members?q=noel.ndiaye@").get_data(as_text=True)
    assert "Noël N’Diaye" in body


def test_an_invited_person_is_found_by_the_name_typed_not_by_their_account(client, admin, bordeaux, db):
    make_user("compte@exemple.test", name="Zoé Secrète")
    services.invite(bordeaux, email="compte@exemple.test", name="Élise Invitée", role="staff", invited_by=None)
    assert "compte@exemple.test" in client.get("/a/bordeaux/members?q=elise invitee").get_data(as_text=True)
    assert "compte@exemple.test" not in client.get("/a/bordeaux/members?q=zoe").get_data(as_text=True)


def test_the_search_key_follows_acceptance_and_a_new_account_name(bordeaux, db):
    user = make_user("camille@exemple.test", name="Camille Roux")
    membership = services.invite(bordeaux, email="camille@exemple.test", name="Cam R.", role="staff", invited_by=None)
    assert membership.search_key == "cam r. camille@exemple.test"
    services.accept_invitation(membership, user)
    assert membership.search_key == "camille roux camille@exemple.test"
    user.name = "Camille Roux-Léger"
    db.session.flush()
    assert membership.search_key == "camille roux leger camille@exemple.test"


def test_search_with_no_match_says_so(client, admin):
    body = client.get("/a/bordeaux/members?q=zzz").get_data(as_text=True)
    assert "Personne ne correspond à « zzz »" in body


def test_the_list_is_paginated(client, admin, bordeaux):
    for i in range(30):
        make_membership(bordeaux, "volunteer", make_user(name=f"Bénévole {i:02d}"))
    first = client.get("/a/bordeaux/members").get_data(as_text=True)
    second = client.get("/a/bordeaux/members?page=2").get_data(as_text=True)
    assert "Page 1" in first and 'rel="next"' in first and "31 membres" in first
    assert "Page 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert first.count("<tr id=") == 25 and second.count("<tr id=") == 6


def test_the_list_runs_a_constant_number_of_queries(client, admin, bordeaux, count_queries):
    def queries():
        with count_queries() as statements:
            assert client.get("/a/bordeaux/members").status_code == 200
        return len(statements)

    for _ in range(3):
        make_membership(bordeaux, "volunteer")
    few = queries()
    for _ in range(40):
        make_membership(bordeaux, "volunteer")
    assert queries() == few


def test_a_long_list_says_more_than_the_cap_instead_of_counting_everything(client, admin, bordeaux, monkeypatch):
    monkeypatch.setattr("intranet.args.COUNT_CAP", 20)
    for i in range(30):
        make_membership(bordeaux, "volunteer", make_user(name=f"Bénévole {i:02d}"))
    assert "plus de 20 membres" in client.get("/a/bordeaux/members").get_data(as_text=True)
