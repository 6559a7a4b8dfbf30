"""Volunteers from a spreadsheet: accounts without e-mail, profiles, qualifications matched to the catalogue,
duplicates by e-mail, re-import, undo, the invitations sent later; and merging field by field."""

import csv
import io
import json
from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary
from intranet.clock import today_in
from intranet.extensions import db
from intranet.imports import jobs, services
from intranet.members.models import Membership
from intranet.notifications.models import OutboxMessage
from intranet.volunteers.models import Qualification, VolunteerProfile
from tests.factories import make_beneficiary, make_membership, make_user, network_training, profile_of
from tests.test_imports import SAMPLES, check, commit, csv_bytes, rows_by_n, steps_run_here, upload  # noqa: F401

HEADER = ["NOM", "Prénom", "Mail", "Tél", "Formation coach image", "Expiration coach image", "Formations", "Métier",
          "Dispo"]


def volunteer(i, **kw):
    row = {"NOM": f"Nom{i}", "Prénom": f"Prénom{i}", "Mail": f"b{i}@benevoles.fr", "Tél": f"06 12 34 56 {i:02d}",
           "Formation coach image": "", "Expiration coach image": "", "Formations": "", "Métier": "", "Dispo": ""}
    row.update(kw)
    return [row[h] for h in HEADER]


def volunteers_file(*rows) -> bytes:
    return csv_bytes([HEADER, *rows])


def import_volunteers(association, data, name="benevoles.csv", **kw):
    return check(upload(association, data, name=name, kind="volunteers"), consent="", **kw)


def membership_of(association, email) -> Membership | None:
    return db.session.scalar(select(Membership).join(User, User.id == Membership.user_id)
                             .where(Membership.association_id == association.id, User.email == email))


def held(association, email) -> dict[str, Qualification]:
    profile = profile_of(membership_of(association, email))
    return {q.code: q for q in db.session.scalars(select(Qualification).where(Qualification.profile_id == profile.id))}


# --- mapping and dry run --------------------------------------------------------------------------

def test_the_sample_file_is_mapped_to_volunteers_and_their_trainings(bordeaux):
    batch = upload(bordeaux, (SAMPLES / "benevoles.csv").read_bytes(), name="benevoles.csv", kind="volunteers")
    columns = batch.mapping["columns"]
    assert columns["Nom"] == "last_name" and columns["Prénom"] == "first_name"
    assert columns["Mail"] == "email" and columns["Tél"] == "phone"
    assert columns["Formation coach image"] == f"training:{network_training('coaching_image').id}"
    assert columns["Formation coach RH"] == f"training:{network_training('coaching_rh').id}"
    assert columns["Métier"] == "background" and columns["Dispo"] == "availability"


def test_a_crafted_file_gets_its_statuses_and_row_errors(bordeaux):
    today = today_in(bordeaux.timezone)
    data = volunteers_file(
        volunteer(1, **{"Formation coach image": "14/05/2024"}),
        volunteer(2, Formations="Coach RH (15/10/2023) ; Séance photo"),
        volunteer(3, Formations="Coach cuisine"),
        volunteer(4, Mail=""),
        volunteer(5, **{"Expiration coach image": "01/01/2030"}),
        volunteer(6, **{"Formation coach image": (today + relativedelta(days=3)).strftime("%d/%m/%Y")}),
        volunteer(7, **{"Formation coach image": "peut-être"}),
        volunteer(8, **{"Formation coach image": "31/02/2024"}),
        volunteer(9, **{"Formation coach image": "oui"}),
    )
    rows = rows_by_n(import_volunteers(bordeaux, data))
    assert rows[2]["status"] == rows[3]["status"] == rows[10]["status"] == "create"
    assert "inconnue du catalogue" in rows[4]["errors"][0][1] and "Coach image" in rows[4]["errors"][0][1]
    assert "e-mail manquant" in rows[5]["errors"][0][1]
    assert "sans date de formation" in rows[6]["errors"][0][1]
    assert "dans le futur" in rows[7]["errors"][0][1]
    assert "oui" in rows[8]["errors"][0][1] and rows[8]["errors"][0][0] == "Formation coach image"
    assert "n’existe pas" in rows[9]["errors"][0][1]
    assert any("datée du jour de l’import" in w[1] for w in rows[10]["warnings"])


def test_the_error_file_lists_the_volunteers_rows_in_error(bordeaux):
    batch = import_volunteers(bordeaux, volunteers_file(volunteer(1), volunteer(2, Formations="Coach cuisine")))
    lines = list(csv.reader(io.StringIO(services.error_file(batch, "csv").decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["ligne", *HEADER, "motif"]
    assert lines[1][0] == "3" and "Coach cuisine" in lines[1][-1]


# --- commit, re-import ----------------------------------------------------------------------------

def test_the_sample_file_creates_volunteers_without_sending_anything(bordeaux):
    data = (SAMPLES / "benevoles.csv").read_bytes()
    batch = commit(import_volunteers(bordeaux, data))
    assert batch.counts["create"] == 8 and batch.counts.get("error", 0) == 0
    dubois = membership_of(bordeaux, "claire.dubois@benevoles.exemple.fr")
    assert dubois.role == "volunteer" and dubois.state == "invited" and dubois.never_invited
    assert dubois.display_name == "Claire Dubois" and dubois.invitation_digest is None
    profile = profile_of(dubois)
    assert profile.phone == "+33640932479" and profile.background == "DRH retraitée"
    assert "Disponibilités : samedi" in profile.staff_notes
    rh = held(bordeaux, "claire.dubois@benevoles.exemple.fr")["coaching_rh"]
    assert (rh.obtained_on, rh.valid_until) == (date(2024, 1, 22), date(2026, 1, 22))
    assert "benevoles.csv" in rh.evidence
    marc = held(bordeaux, "marc.antoine@benevoles.exemple.fr")
    assert set(marc) == {"coaching_image"} and marc["coaching_image"].obtained_on == today_in(bordeaux.timezone)
    assert held(bordeaux, "sophie.lemaire@benevoles.exemple.fr") == {}  # "non"
    assert profile_of(membership_of(bordeaux, "marc.antoine@benevoles.exemple.fr")).phone == "+590690547568"
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    again = import_volunteers(bordeaux, data)
    assert again.counts.get("create", 0) == 0 and again.counts.get("update", 0) == 0
    assert again.counts["unchanged"] == 8
    assert db.session.scalar(select(func.count(Membership.id)).where(Membership.association_id == bordeaux.id,
                                                                     Membership.role == "volunteer")) == 8


def test_an_existing_member_is_updated_never_made_twice(bordeaux):
    user = make_user("b1@benevoles.fr", name="Prénom1 Nom1")
    membership = make_membership(bordeaux, "volunteer", user=user)
    profile = profile_of(membership)
    profile.phone = ""
    db.session.flush()
    data = volunteers_file(volunteer(1, Formations="Coach RH 15/10/2023"))
    batch = import_volunteers(bordeaux, data)
    row = rows_by_n(batch)[2]
    assert row["status"] == "update" and row["match"] == membership.id
    assert row["changes"]["phone"] == ["", "+33612345601"]
    commit(batch)
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "b1@benevoles.fr")) == 1
    assert db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == user.id)) == 1
    assert profile_of(membership).phone == "+33612345601"
    assert held(bordeaux, "b1@benevoles.fr")["coaching_rh"].obtained_on == date(2023, 10, 15)
    assert rows_by_n(import_volunteers(bordeaux, data))[2]["status"] == "unchanged"


def test_a_person_of_another_association_is_linked_and_nothing_of_it_shows(bordeaux, lyon):
    user = make_user("b1@benevoles.fr", name="Docteure Jeanne Secrète")
    make_membership(lyon, "staff", user=user)
    batch = import_volunteers(bordeaux, volunteers_file(volunteer(1)))
    row = rows_by_n(batch)[2]
    assert row["status"] == "create" and row["match"] is None
    assert "Secrète" not in json.dumps(batch.report, ensure_ascii=False)
    assert "Lyon" not in json.dumps(batch.report, ensure_ascii=False)
    commit(batch)
    membership = membership_of(bordeaux, "b1@benevoles.fr")
    assert membership.user_id == user.id and membership.state == "invited"  # joining is the person's own decision
    assert membership.display_name == "Prénom1 Nom1" and user.name == "Docteure Jeanne Secrète"
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "b1@benevoles.fr")) == 1


def test_rows_of_one_email_are_merged_field_by_field(bordeaux):
    data = volunteers_file(volunteer(1, Métier="styliste", **{"Formation coach image": "14/05/2024"}),
                           volunteer(2, Mail="B1@benevoles.fr", Métier="photographe", Formations="Coach RH"))
    batch = import_volunteers(bordeaux, data)
    group = batch.report["groups"][0]
    assert group["id"] == "v2" and {c["key"] for c in group["fields"]} >= {"background", "phone", "first_name"}
    background = next(c for c in group["fields"] if c["key"] == "background")
    assert background["chosen"] == "2"
    services.set_decisions(batch, {"v2": {"action": "merge", "keep": 2, "fields": {"background": "3"}}})
    jobs.run(batch.id)
    rows = rows_by_n(batch)
    assert rows[2]["status"] == "create" and rows[3]["status"] == "merged"
    commit(batch)
    assert profile_of(membership_of(bordeaux, "b1@benevoles.fr")).background == "photographe"
    assert set(held(bordeaux, "b1@benevoles.fr")) == {"coaching_image", "coaching_rh"}


def test_the_import_fails_whole_or_not_at_all(bordeaux):
    batch = import_volunteers(bordeaux, volunteers_file(volunteer(1), volunteer(2)))
    with pytest.raises(RuntimeError), db.session.begin_nested():
        services.commit(batch, fail_at=3)
    assert db.session.scalar(select(func.count(Membership.id)).where(Membership.association_id == bordeaux.id)) == 0


# --- undo and the invitations sent later ------------------------------------------------------------

def test_undo_removes_the_volunteers_added_and_puts_back_what_changed(bordeaux, lyon):
    member = make_membership(bordeaux, "volunteer", user=make_user("b1@benevoles.fr"))
    profile_of(member).background = "juriste"
    elsewhere = make_user("b2@benevoles.fr")
    make_membership(lyon, "volunteer", user=elsewhere)
    data = volunteers_file(volunteer(1, Métier="avocate", Formations="Coach RH"), volunteer(2), volunteer(3))
    batch = commit(import_volunteers(bordeaux, data))
    assert profile_of(member).background == "avocate"
    assert services.undo_blockers(batch) == []
    services.undo(batch)
    assert batch.status == "undone"
    assert profile_of(member).background == "juriste"
    assert held(bordeaux, "b1@benevoles.fr") == {}
    assert membership_of(bordeaux, "b2@benevoles.fr") is None and membership_of(bordeaux, "b3@benevoles.fr") is None
    assert db.session.get(User, elsewhere.id) is not None  # the account of another association stays
    assert db.session.scalar(select(User).where(User.email == "b3@benevoles.fr")) is None
    assert db.session.scalar(select(func.count(VolunteerProfile.id))
                             .where(VolunteerProfile.association_id == bordeaux.id)) == 1


def test_invitations_are_sent_later_and_then_undo_is_refused(bordeaux, admin, client):
    batch = commit(import_volunteers(bordeaux, volunteers_file(volunteer(1), volunteer(2))))
    page = client.get(f"/a/bordeaux/imports/{batch.id}").text
    assert "Envoyer les 2 invitations" in page
    assert "Importé·e, à inviter" in client.get("/a/bordeaux/members").text
    waiting = membership_of(bordeaux, "b1@benevoles.fr")
    assert "Prénom1 Nom1" in client.get(f"/a/bordeaux/volunteers/{waiting.id}").text
    assert client.post(f"/a/bordeaux/imports/{batch.id}/invite").status_code == 303
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "invitation")) == 2
    assert membership_of(bordeaux, "b1@benevoles.fr").invitation_digest is not None
    assert "Envoyer les" not in client.get(f"/a/bordeaux/imports/{batch.id}").text
    blockers = services.undo_blockers(batch)
    assert any("Prénom1 Nom1 a été invité·e" in b for b in blockers)
    with pytest.raises(services.ImportError_):
        services.undo(batch)


def test_undo_is_refused_once_an_added_volunteer_was_given_something(bordeaux):
    from intranet.volunteers import services as volunteers

    batch = commit(import_volunteers(bordeaux, volunteers_file(volunteer(1), volunteer(2))))
    profile = profile_of(membership_of(bordeaux, "b1@benevoles.fr"))
    volunteers.update_profile(profile, {"skills": "couture"})
    assert any("fiche bénévole de Prénom1 Nom1 a été modifiée" in b for b in services.undo_blockers(batch))


def test_past_sessions_find_their_coach_among_the_volunteers_imported(bordeaux):
    from intranet.calendar.models import Appointment

    commit(import_volunteers(bordeaux, (SAMPLES / "benevoles.csv").read_bytes()))
    make_beneficiary(bordeaux, first_name="Hélène", last_name="Diallo", phone="+33689077716", email="")
    batch = check(upload(bordeaux, (SAMPLES / "coup-de-pouce-seances.csv").read_bytes(), name="s.csv",
                         kind="sessions"))
    assert not any("Julie Perrin" in w[1] for w in rows_by_n(batch)[2]["warnings"])
    commit(batch)
    julie = membership_of(bordeaux, "julie.perrin@benevoles.exemple.fr")
    assert db.session.scalar(select(func.count(Appointment.id)).where(Appointment.volunteer_id == julie.user_id))


# --- merging beneficiaries field by field (the form works without JavaScript) ---------------------------

BENEFICIARY = ["NOM", "Prénom", "Mail", "Ville", "CP"]


def test_a_duplicate_group_is_merged_with_the_values_chosen_field_by_field(bordeaux, admin, client):
    existing = make_beneficiary(bordeaux, first_name="Awa", last_name="Traoré", email="awa@exemple.fr",
                                commune="Talence", postcode="33400")
    data = csv_bytes([BENEFICIARY, ["Traoré", "Awa", "awa@exemple.fr", "Bordeaux", "33000"],
                      ["TRAORE", "Awa", "AWA@exemple.fr", "Pessac", "33600"]])
    batch = check(upload(bordeaux, data))
    group = batch.report["groups"][0]
    commune = next(c for c in group["fields"] if c["key"] == "commune")
    assert commune["chosen"] == "existing"  # the file already there is preselected
    assert [o["value"] for o in commune["options"]] == ["Talence", "Bordeaux", "Pessac"]
    page = client.get(f"/a/bordeaux/imports/{batch.id}").text
    assert "« Talence » — fiche existante" in page and "« Pessac » — ligne 3" in page
    form = {f"action_{group['id']}": "merge"}
    form.update({f"pick_{group['id']}_{c['key']}": c["chosen"] for c in group["fields"]})
    form[f"pick_{group['id']}_commune"] = "3"
    form[f"pick_{group['id']}_postcode"] = "2"
    assert client.post(f"/a/bordeaux/imports/{batch.id}/decisions", data=form).status_code == 303
    jobs.run(batch.id)
    row = rows_by_n(batch)[2]
    assert row["status"] == "update" and row["changes"]["commune"] == ["Talence", "Pessac"]
    commit(batch)
    db.session.refresh(existing)
    assert (existing.commune, existing.postcode) == ("Pessac", "33000")
    assert db.session.scalar(select(func.count(Beneficiary.id))) == 1


def test_a_value_that_was_not_offered_is_refused(bordeaux, admin, client):
    data = csv_bytes([BENEFICIARY, ["Traoré", "Awa", "awa@exemple.fr", "Bordeaux", "33000"],
                      ["Traoré", "Awa", "awa@exemple.fr", "Pessac", "33000"]])
    batch = check(upload(bordeaux, data))
    gid = batch.report["groups"][0]["id"]
    response = client.post(f"/a/bordeaux/imports/{batch.id}/decisions",
                           data={f"action_{gid}": "merge", f"pick_{gid}_commune": "existing"})
    assert response.status_code == 400 and "Que faire ?" in response.text
