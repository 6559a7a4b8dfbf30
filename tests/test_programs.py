"""Programs: present on every installation, edited by the network, adapted by each association."""

from sqlalchemy import select

from intranet.programs import services
from intranet.programs.models import Module, Program
from tests.factories import make_association, program


def test_the_two_programs_exist_without_demo_data(db):
    programs = db.session.scalars(select(Program).order_by(Program.position)).all()
    assert [p.code for p in programs] == ["in_person", "remote"]
    in_person, remote = programs
    assert [m.duration_minutes for m in in_person.modules] == [30, 60, 60, 30]
    assert in_person.modules[3].resource_kind == "studio"
    assert [m.name for m in remote.modules] == ["Bilan et projet professionnel", "CV et candidatures",
                                                "Image et posture à distance", "Préparation à l’entretien",
                                                "Confiance et communication"]
    assert all(45 <= m.duration_minutes <= 60 and m.mode in ("phone", "video") for m in remote.modules)


def test_a_local_adaptation_changes_one_association_only(db):
    bordeaux, lille = make_association("bordeaux"), make_association("lille")
    module = program("remote").modules[1]
    services.adapt_module(bordeaux.id, module, offered=True, name="CV express", duration_minutes=45)
    local = {m.id: m for m in services.local_modules(bordeaux.id)}[module.id]
    other = {m.id: m for m in services.local_modules(lille.id)}[module.id]
    assert (local.name, local.duration_minutes, local.adapted) == ("CV express", 45, True)
    assert (other.name, other.duration_minutes, other.adapted) == ("CV et candidatures", 60, False)
    db.session.refresh(module)
    assert module.name == "CV et candidatures"


def test_a_module_or_program_can_be_left_out_locally(db):
    bordeaux = make_association("bordeaux")
    services.adapt_module(bordeaux.id, program("in_person").modules[3], offered=False)
    services.set_program_offered(bordeaux.id, program("remote").id, False)
    names = [m.name for m in services.local_modules(bordeaux.id)]
    assert names == [m.name for m in program("in_person").modules[:3]]


def test_the_network_office_edits_a_module(client, login_as, db):
    login_as("network")
    module = program("remote").modules[0]
    response = client.post(f"/network/modules/{module.id}", data={
        "name": "Bilan et projet", "description": "Nouveau texte", "duration_minutes": "50", "mode": "phone",
        "position": "1", "qualification": "coup_de_pouce", "resource_kind": "", "capacity": "1", "active": "y"})
    assert response.status_code == 302
    db.session.refresh(module)
    assert (module.name, module.duration_minutes) == ("Bilan et projet", 50)


def test_the_network_office_adds_a_module(client, login_as, db):
    login_as("network")
    remote = program("remote")
    client.post(f"/network/programs/{remote.id}/modules/new", data={
        "name": "Réseaux sociaux pro", "description": "", "duration_minutes": "45", "mode": "video",
        "position": "6", "qualification": "", "resource_kind": "", "capacity": "8", "active": "y"})
    assert db.session.scalar(select(Module.program_id).where(Module.name == "Réseaux sociaux pro")) == remote.id


def test_a_bad_duration_is_explained(client, login_as, db):
    login_as("network")
    module = program("remote").modules[0]
    response = client.post(f"/network/modules/{module.id}", data={"name": "X", "duration_minutes": "900",
                                                                  "mode": "phone"})
    assert response.status_code == 422 and "entre 5 et 480 minutes" in response.get_data(as_text=True)
    db.session.refresh(module)
    assert module.duration_minutes == 60


def test_an_admin_adapts_a_module_for_the_association(client, login_as, db):
    bordeaux = make_association("bordeaux")
    login_as("admin", bordeaux)
    module = program("in_person").modules[2]
    response = client.post("/a/bordeaux/programs/adapt", data={
        "module_id": module.id, "offered": "y", "name": "Coaching RH et CV", "duration_minutes": "75",
        "description": module.description})
    assert response.status_code == 302
    page = client.get("/a/bordeaux/programs").get_data(as_text=True)
    assert "Coaching RH et CV" in page and "Adapté localement" in page


def test_a_bad_local_duration_is_explained_and_not_saved(client, login_as, db):
    bordeaux = make_association("bordeaux")
    login_as("admin", bordeaux)
    module = program("in_person").modules[2]
    response = client.post("/a/bordeaux/programs/adapt", data={"module_id": module.id, "offered": "y",
                                                               "name": "", "duration_minutes": "1"})
    assert response.status_code == 422 and "entre 5 et 480 minutes" in response.get_data(as_text=True)
    assert {m.id: m for m in services.local_modules(bordeaux.id)}[module.id].duration_minutes == 60


def test_an_unknown_module_is_a_bad_request(client, login_as):
    login_as("admin", make_association("bordeaux"))
    assert client.post("/a/bordeaux/programs/adapt", data={"module_id": "999999"}).status_code == 400
    assert client.post("/a/bordeaux/programs/adapt", data={"module_id": "abc"}).status_code == 400


def test_an_admin_stops_offering_a_program(client, login_as):
    bordeaux = make_association("bordeaux")
    login_as("admin", bordeaux)
    client.post("/a/bordeaux/programs/offer", data={"program_id": program("remote").id})
    assert program("remote").id not in services.offered_programs(bordeaux.id)
