"""The network office creates associations, invites their first admin, closes them."""

import pytest
from sqlalchemy import select

from intranet.auth.sessions import signed_in_state
from intranet.extensions import db
from intranet.network import services
from intranet.network.models import Association
from tests.factories import make_association, make_membership


@pytest.fixture
def office(login_as):
    return login_as("network", name="Claire Fontaine")


def test_the_overview_lists_associations_with_their_counts(client, office):
    bordeaux = make_association("bordeaux", name="Tremplin Bordeaux")
    make_membership(bordeaux, "admin")
    make_membership(bordeaux, "volunteer")
    make_membership(bordeaux, "volunteer", active=False)
    make_association("lille", name="Tremplin Lille")
    body = client.get("/network/associations").get_data(as_text=True)
    assert "Tremplin Bordeaux" in body and "Tremplin Lille" in body
    rows = {a.slug: (members, admins) for a, members, admins in db.session.execute(services.overview())}
    assert rows == {"bordeaux": (2, 1), "lille": (0, 0)}


def test_the_overview_is_paged_with_the_same_statements_whatever_the_number_of_associations(
        client, office, count_queries):
    for n in range(30):
        make_membership(make_association(f"asso-{n:02d}", name=f"Tremplin {n:02d}"), "admin")
    with count_queries() as first:
        body = client.get("/network/associations").get_data(as_text=True)
    assert "Tremplin 00" in body and "Tremplin 29" not in body and 'rel="next"' in body
    with count_queries() as second:
        body = client.get("/network/associations?page=2").get_data(as_text=True)
    assert "Tremplin 29" in body and "Tremplin 00" not in body
    assert len(first) == len(second)


def test_creating_an_association_derives_the_slug_and_goes_to_its_page(client, office, db):
    response = client.post("/network/associations/new", data={
        "name": "Tremplin Saint-Étienne", "slug": "", "kind": "local", "city": "Saint-Étienne",
        "department_code": "42", "timezone": "Europe/Paris"})
    association = db.session.scalar(select(Association).where(Association.slug == "tremplin-saint-etienne"))
    assert response.headers["Location"] == f"/network/associations/{association.id}"


@pytest.mark.parametrize("fields,message", [
    ({"name": ""}, "Indiquez le nom de l’association."),
    ({"slug": "Pas Bon!"}, "Uniquement des lettres minuscules"),
    ({"department_code": "999x"}, "Un numéro de département"),
    ({"department_code": "٣٣"}, "Un numéro de département"),
    ({"slug": "bordeaux"}, "L’identifiant « bordeaux » est déjà pris."),
])
def test_bad_association_input_is_explained_and_nothing_is_created(client, office, db, fields, message):
    make_association("bordeaux")
    data = {"name": "Tremplin Test", "slug": "test", "kind": "local", "city": "", "department_code": "",
            "timezone": "Europe/Paris", **fields}
    response = client.post("/network/associations/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(Association.slug)).all() == ["bordeaux"]


def test_overseas_time_zones_are_offered(client, office):
    assert "Indian/Reunion" in client.get("/network/associations/new").get_data(as_text=True)


def test_inviting_the_first_admin(client, office, db, sent_mail):
    association = make_association("tours", name="Tremplin Tours")
    response = client.post(f"/network/associations/{association.id}/invite",
                           data={"name": "Luc Martin", "email": "luc@exemple.test", "role": "volunteer"})
    assert response.status_code == 302
    assert association.id and db.session.scalar(select(Association).where(Association.slug == "tours"))
    page = client.get(f"/network/associations/{association.id}").get_data(as_text=True)
    assert "Luc Martin" in page and "Invitation envoyée le" in page
    subject, text = sent_mail("luc@exemple.test")[0]
    assert "Administrateur·rice" in text  # invited as admin, whatever the form said


def test_closing_an_association_asks_first_then_locks_its_members_out(client, office, db, app):
    association = make_association("tours", name="Tremplin Tours")
    member = make_membership(association, "admin")
    assert "Fermer l’espace de Tremplin Tours ?" in client.get(
        f"/network/associations/{association.id}/deactivate").get_data(as_text=True)
    client.post(f"/network/associations/{association.id}/deactivate")
    db.session.refresh(association)
    assert association.active is False
    other = app.test_client()
    with other.session_transaction() as session:
        session.update(signed_in_state(member.user))
    assert other.get("/a/tours/").status_code == 404
    client.post(f"/network/associations/{association.id}/reactivate")
    assert other.get("/a/tours/").status_code == 200


def test_an_unknown_association_is_404(client, office):
    assert client.get("/network/associations/424242").status_code == 404


def test_slugify_handles_accents_and_spaces():
    assert services.slugify("  Le Mans (Sarthe) ") == "le-mans-sarthe"
    assert services.slugify("Île-de-France") == "ile-de-france"
    assert services.slugify("Cœur de Loire") == "coeur-de-loire"
    assert services.slugify("L’Envol & Co") == "lenvol-co"


def test_the_network_office_reaches_its_own_space_from_my_spaces(client, office):
    national = make_association("national", name="Coup de Pouce à la Maison", kind="national")
    make_membership(national, "admin", office)
    assert client.get("/").headers["Location"] == "/network/"
    page = client.get("/spaces").get_data(as_text=True)
    assert "Coup de Pouce à la Maison" in page and "/a/national/" in page
