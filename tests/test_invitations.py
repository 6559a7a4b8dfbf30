"""An invitation is bound to one membership and answered by its own recipient only."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from intranet.auth.models import User
from intranet.auth.services import check_password
from intranet.auth.sessions import signed_in_state
from intranet.extensions import db
from intranet.extensions import db as _db
from intranet.journeys.services import coaches
from intranet.members import services
from intranet.members.models import Membership
from tests.factories import PASSWORD, make_association, make_membership, make_user

NEW_PASSWORD = "un secret choisi par B"


def invite(association, email="julien@exemple.test", name="Julien Moreau", role="staff", by=None):
    membership = services.invite(association, email=email, name=name, role=role, invited_by=by)
    _db.session.commit()  # as the request that invites does: the mail leaves after its commit
    return membership


def link(sent_mail, email="julien@exemple.test", index=-1) -> str:
    """The path of an invitation link mailed to `email` (the latest by default)."""
    text = sent_mail(email, abs(index) if index < 0 else index + 1)[index][1]
    return next(line for line in text.splitlines() if "/invitation/" in line).removeprefix("http://localhost")


def signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(signed_in_state(user))
    return client


def sign_in(client, email, password=PASSWORD, next_url=None):
    return client.post("/login", data={"email": email, "password": password},
                       query_string={"next": next_url} if next_url else None)


def membership_of(association, email="julien@exemple.test") -> Membership:
    return db.session.scalar(select(Membership).join(User).where(
        Membership.association_id == association.id, User.email == email))


# --- the takeover of the issue ------------------------------------------------------------


def test_a_second_association_s_link_does_not_open_the_first_one(app, db, lyon, bordeaux, sent_mail):
    invite(lyon, role="admin")  # the account is created, still without a password
    invite(bordeaux, role="volunteer")
    b_link = link(sent_mail, index=1)  # what Bordeaux's mailbox shows
    holder = app.test_client()
    assert holder.post(b_link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert holder.get("/a/lyon/").status_code == 404
    assert membership_of(lyon).state == "invited" and membership_of(bordeaux).state == "active"
    again = app.test_client()
    sign_in(again, "julien@exemple.test", NEW_PASSWORD)
    assert again.get("/a/lyon/").status_code == 404


def test_the_first_association_s_link_no_longer_sets_a_password_once_one_exists(app, db, lyon, bordeaux, sent_mail):
    invite(lyon, role="admin")
    invite(bordeaux, role="volunteer")
    app.test_client().post(link(sent_mail, index=1), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    a_link = link(sent_mail, index=0)
    anonymous = app.test_client()
    response = anonymous.post(a_link, data={"password": "encore un autre secret", "confirm": "encore un autre secret"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    user = db.session.scalar(select(User).where(User.email == "julien@exemple.test"))
    db.session.refresh(user)
    assert check_password(user, NEW_PASSWORD) and membership_of(lyon).state == "invited"


# --- an existing account -------------------------------------------------------------------


@pytest.fixture
def aicha(lyon):
    user = make_user("aicha@exemple.test", name="Aïcha Diallo")
    make_membership(lyon, "admin", user)
    return user


def test_an_existing_account_gets_no_access_until_it_accepts_while_signed_in(app, db, aicha, bordeaux, sent_mail):
    invite(bordeaux, email="aicha@exemple.test", name="Aïcha D.")
    path = link(sent_mail, "aicha@exemple.test")
    client = app.test_client()
    assert client.get(path).headers["Location"] == f"/login?next={path}"
    assert sign_in(client, "aicha@exemple.test", next_url=path).headers["Location"] == path
    assert client.get("/a/bordeaux/").status_code == 404
    page = client.get(path).get_data(as_text=True)
    assert "Rejoindre Tremplin Bordeaux ?" in page and "Nouveau mot de passe" not in page
    assert client.post(path, data={"answer": "accept"}).headers["Location"] == "/a/bordeaux/"
    assert client.get("/a/bordeaux/").status_code == 200 and client.get("/a/lyon/").status_code == 200


def test_the_link_never_sets_the_password_of_an_existing_account(app, db, aicha, bordeaux, sent_mail):
    invite(bordeaux, email="aicha@exemple.test")
    app.test_client().post(link(sent_mail, "aicha@exemple.test"),
                           data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "answer": "accept"})
    db.session.refresh(aicha)
    assert check_password(aicha, PASSWORD) and membership_of(bordeaux, "aicha@exemple.test").state == "invited"


@pytest.mark.parametrize("email", ["aicha@exemple.test", "nouvelle@exemple.test"])
def test_another_signed_in_person_cannot_use_the_link(app, db, aicha, bordeaux, sent_mail, email):
    invite(bordeaux, email=email)
    path = link(sent_mail, email)
    intruder = signed_in(app, make_membership(bordeaux, "admin").user)
    page = intruder.get(path)
    assert page.status_code == 403 and "ne vous est pas adressée" in page.get_data(as_text=True)
    assert intruder.post(path, data={"answer": "accept", "password": NEW_PASSWORD,
                                     "confirm": NEW_PASSWORD}).status_code == 403
    assert membership_of(bordeaux, email).state == "invited"
    assert db.session.scalar(select(User.password_hash).where(User.email == "nouvelle@exemple.test")) in (None, "")


def test_declining_leaves_the_membership_without_access(app, db, aicha, bordeaux, sent_mail):
    invite(bordeaux, email="aicha@exemple.test")
    path = link(sent_mail, "aicha@exemple.test")
    client = signed_in(app, aicha)
    client.post(path, data={"answer": "decline"})
    assert membership_of(bordeaux, "aicha@exemple.test").state == "deactivated"
    assert client.get("/a/bordeaux/").status_code == 404
    assert "annulée ou déclinée" in client.get(path).get_data(as_text=True)


def test_a_pending_member_is_neither_in_the_space_nor_offered_as_coach(app, db, aicha, bordeaux):
    invite(bordeaux, email="aicha@exemple.test", role="volunteer")
    assert aicha.id not in {u.id for u in coaches(bordeaux.id)}
    assert signed_in(app, aicha).get("/a/bordeaux/calendar").status_code == 404


def test_the_network_office_s_first_admin_goes_through_the_same_acceptance(app, client, db, aicha, login_as,
                                                                           sent_mail):
    tours = make_association("tours", name="Tremplin Tours")
    login_as("network")
    client.post(f"/network/associations/{tours.id}/invite",
                data={"name": "Aïcha D.", "email": "aicha@exemple.test", "role": "admin"})
    assert membership_of(tours, "aicha@exemple.test").state == "invited"
    path = link(sent_mail, "aicha@exemple.test")
    own = signed_in(app, aicha)
    assert own.get("/a/tours/").status_code == 404
    own.post(path, data={"answer": "accept"})
    assert own.get("/a/tours/").status_code == 200


# --- what the inviter sees ------------------------------------------------------------------


def _without_link(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "/invitation/" not in line)


def test_the_mail_reads_the_same_for_a_new_and_an_existing_account(db, bordeaux, lyon, sent_mail):
    make_membership(lyon, "staff", make_user("ancienne@exemple.test", name="Nom du compte", locale="en"))
    invite(bordeaux, email="nouvelle@exemple.test", name="Camille Petit")
    invite(bordeaux, email="ancienne@exemple.test", name="Camille Petit")
    (new_subject, new_text), = sent_mail("nouvelle@exemple.test")
    (old_subject, old_text), = sent_mail("ancienne@exemple.test")
    assert new_subject == old_subject
    assert _without_link(new_text) == _without_link(old_text)
    assert "Nom du compte" not in old_text


def _row(client, membership) -> str:
    """The membership's row on the members page, its e-mail and id blanked out."""
    page = client.get("/a/bordeaux/members").get_data(as_text=True)
    row = page.split(f'id="membership-{membership.id}"')[1].split("</tr>")[0]
    return row.replace(membership.user.email, "EMAIL").replace(f"/members/{membership.id}/", "/members/ID/")


def test_the_inviter_sees_the_same_for_a_new_and_an_existing_account(client, db, bordeaux, lyon, login_as):
    make_membership(lyon, "staff", make_user("ancienne@exemple.test", name="Nom du compte"))
    login_as("admin", bordeaux)
    seen = []
    for email in ("nouvelle@exemple.test", "ancienne@exemple.test"):
        page = client.post("/a/bordeaux/members", data={"name": "Camille Petit", "email": email, "role": "staff"},
                           follow_redirects=True).get_data(as_text=True)
        flash = page[page.index('class="flash'):].split("</", 1)[0].replace(email, "EMAIL")
        seen.append((flash, _row(client, membership_of(bordeaux, email))))
    assert seen[0] == seen[1]
    assert "Invitation envoyée le" in seen[0][1] and "Camille Petit" in seen[0][1]
    assert "Nom du compte" not in client.get("/a/bordeaux/members?q=compte").get_data(as_text=True)


# --- revoking and replacing -------------------------------------------------------------------


def test_cancelling_a_pending_invitation_revokes_its_link(app, client, db, bordeaux, login_as, sent_mail):
    admin = login_as("admin", bordeaux)
    membership = invite(bordeaux, by=admin)
    path = link(sent_mail)
    client.post(f"/a/bordeaux/members/{membership.id}/deactivate")
    newcomer = app.test_client()
    assert newcomer.get(path).status_code == 410
    newcomer.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert db.session.scalar(select(User.password_hash).where(User.email == "julien@exemple.test")) == ""
    assert membership_of(bordeaux).state == "deactivated"


def test_resending_replaces_the_older_link(app, client, db, bordeaux, login_as, sent_mail):
    login_as("admin", bordeaux)
    membership = invite(bordeaux)
    client.post(f"/a/bordeaux/members/{membership.id}/resend")
    old, new = link(sent_mail, index=0), link(sent_mail, index=1)
    assert old != new
    newcomer = app.test_client()
    assert newcomer.post(old, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 404
    assert newcomer.post(new, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert membership_of(bordeaux).state == "active"


def test_an_invitation_link_expires(app, db, bordeaux, sent_mail):
    membership = invite(bordeaux)
    membership.invited_at -= timedelta(seconds=app.config["INVITATION_MAX_AGE"] + 1)
    db.session.commit()
    response = app.test_client().get(link(sent_mail))
    assert response.status_code == 410 and "expiré" in response.get_data(as_text=True)


def test_a_link_serves_once(db, bordeaux, aicha, sent_mail):
    membership = invite(bordeaux, email="aicha@exemple.test")
    services.accept_invitation(membership, aicha)
    with pytest.raises(services.InvitationError, match="used"):
        services.accept_invitation(membership, aicha)
    with pytest.raises(services.InvitationError, match="used"):
        services.find_invitation(link(sent_mail, "aicha@exemple.test").removeprefix("/invitation/"))


def test_giving_access_back_to_someone_who_never_accepted_invites_again(client, db, bordeaux, login_as, sent_mail):
    login_as("admin", bordeaux)
    membership = invite(bordeaux)
    client.post(f"/a/bordeaux/members/{membership.id}/deactivate")
    client.post(f"/a/bordeaux/members/{membership.id}/reactivate")
    db.session.refresh(membership)
    assert membership.state == "invited" and len(sent_mail("julien@exemple.test", 2)) == 2
