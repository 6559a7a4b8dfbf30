"""Each status and kind is one enum with its French labels, and the database keeps to its values."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, inspect, text
from sqlalchemy.exc import IntegrityError

from intranet.beneficiaries.models import (
    Beneficiary,
    BeneficiaryStatus,
    ConsentScope,
    ConsentSource,
    ContactChannel,
    EducationLevel,
    Gender,
    LabourStatus,
    SensitiveAnswer,
    YesNo,
)
from intranet.calendar.models import (
    Appointment,
    AppointmentAction,
    AppointmentEvent,
    AppointmentStatus,
    Resource,
    Seat,
    SeatStatus,
)
from intranet.enums import LabelledEnum, all_enums
from intranet.exports.models import ExportFormat, ExportJob, ExportStatus
from intranet.imports.models import BatchStatus, ImportBatch, ImportKind, ImportMapping
from intranet.journeys.models import (
    ExitSituation,
    FollowUpAnswer,
    FollowUpResult,
    Journey,
    JourneyModule,
    ModuleStatus,
)
from intranet.members.models import Membership, MembershipState
from intranet.network.models import Association, AssociationKind
from intranet.notifications.models import OutboxMessage, OutboxStatus
from intranet.partners.models import (
    Interaction,
    InteractionKind,
    Partner,
    PartnerContact,
    PartnerKind,
    PartnerStage,
    StageChange,
)
from intranet.partners.referrals.models import CandidateSituation, Referral, ReferralStatus, RefusalReason
from intranet.programs.models import Mode, Module, ResourceKind
from intranet.tenancy import Role
from intranet.volunteers.models import (
    ActivityCategory,
    Attendance,
    EnrolmentStatus,
    Qualification,
    QualificationSource,
    SessionLog,
    SessionOutcome,
    TrainingEnrolment,
    TrainingSession,
    TrainingSessionStatus,
    VolunteerActivity,
    VolunteerProfile,
    VolunteerStatus,
)
from tests.factories import (
    make_appointment,
    make_association,
    make_beneficiary,
    make_journey,
    make_membership,
    make_resource,
)

ROOT = Path(__file__).resolve().parent.parent

# Every stored status or kind: (model, column, enum, whether "" (no answer yet) is allowed).
STORED = [
    (Association, "kind", AssociationKind, False),
    (Membership, "role", Role, False),
    (Membership, "state", MembershipState, False),
    (Module, "mode", Mode, False),
    (Module, "resource_kind", ResourceKind, True),
    (Beneficiary, "status", BeneficiaryStatus, False),
    (Beneficiary, "contact_channel", ContactChannel, False),
    (Beneficiary, "consent_scope", ConsentScope, True),
    (Beneficiary, "gender", Gender, True),
    (Beneficiary, "labour_status", LabourStatus, True),
    (Beneficiary, "education_level", EducationLevel, True),
    *((Beneficiary, item, SensitiveAnswer, True)
      for item in ("disability", "third_country_national", "foreign_background", "minority", "homeless")),
    (Beneficiary, "rural", YesNo, True),
    (Journey, "exit_situation", ExitSituation, True),
    (Journey, "follow_up_result", FollowUpResult, True),
    (Journey, "answer_1m", FollowUpAnswer, True),
    (Journey, "answer_6m", FollowUpAnswer, True),
    (JourneyModule, "status", ModuleStatus, False),
    (Resource, "kind", ResourceKind, False),
    (Appointment, "mode", Mode, False),
    (Appointment, "status", AppointmentStatus, False),
    (Seat, "status", SeatStatus, False),
    (AppointmentEvent, "action", AppointmentAction, False),
    (OutboxMessage, "status", OutboxStatus, False),
    (ExportJob, "status", ExportStatus, False),
    (ExportJob, "fmt", ExportFormat, False),
    (ImportBatch, "kind", ImportKind, False),
    (ImportBatch, "status", BatchStatus, False),
    (ImportMapping, "kind", ImportKind, False),
    (Beneficiary, "consent_source", ConsentSource, True),
    (Partner, "kind", PartnerKind, False),
    (Partner, "stage", PartnerStage, False),
    (Partner, "rural", YesNo, True),
    (PartnerContact, "channel", ContactChannel, False),
    (StageChange, "from_stage", PartnerStage, True),
    (StageChange, "to_stage", PartnerStage, False),
    (Interaction, "kind", InteractionKind, False),
    (Referral, "status", ReferralStatus, False),
    (Referral, "refusal_reason", RefusalReason, True),
    (Referral, "situation", CandidateSituation, True),
    (VolunteerProfile, "status", VolunteerStatus, False),
    (Qualification, "source", QualificationSource, False),
    (TrainingSession, "status", TrainingSessionStatus, False),
    (TrainingEnrolment, "status", EnrolmentStatus, False),
    (TrainingEnrolment, "attendance", Attendance, True),
    (SessionLog, "outcome", SessionOutcome, False),
    (VolunteerActivity, "category", ActivityCategory, False),
]
_IN_LIST = re.compile(r"^\(*\s*(\w+)\b")


def _values(sql: str) -> tuple[str, set[str]]:
    """The column and the set of strings a `column IN (...)` check allows, as written or as reflected."""
    return _IN_LIST.match(sql).group(1), set(re.findall(r"'([^']*)'", sql))


def _expected(enum: type[LabelledEnum], blank: bool) -> set[str]:
    return set(enum.values()) | ({""} if blank else set())


def _model_checks() -> dict[tuple[str, str], tuple[str, set[str]]]:
    """(table, column) -> (constraint name, allowed values), from the models' metadata."""
    from intranet.extensions import db

    found = {}
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                column, values = _values(str(constraint.sqltext))
                found[table.name, column] = (constraint.name, values)
    return found


# --- the base -------------------------------------------------------------------------------


class Colour(LabelledEnum):
    RED = "red", _l("Rouge")
    BLUE = "blue", _l("Bleu")


def test_a_member_is_its_stored_string_and_carries_its_label():
    assert Colour.RED == "red" and f"{Colour.RED}" == "red" and Colour("blue") is Colour.BLUE
    assert str(Colour.RED.label) == "Rouge"


def test_choices_values_and_check_come_from_the_members():
    assert Colour.values() == ("red", "blue")
    assert [(v, str(label)) for v, label in Colour.choices("Choisir…")] == [("", "Choisir…"), ("red", "Rouge"),
                                                                             ("blue", "Bleu")]
    assert Colour.check("colour") == "colour IN ('red', 'blue')"
    assert Colour.check("colour", blank=True) == "colour IN ('', 'red', 'blue')"


def test_label_of_a_stored_value_shows_a_dash_for_no_answer_and_an_unknown_value_as_it_is():
    assert str(Colour.label_of("red")) == "Rouge"
    assert Colour.label_of("") == "—"
    assert Colour.label_of("green") == "green"


def test_every_enum_is_a_template_global_with_the_label_filter(app):
    assert all_enums()["BeneficiaryStatus"] is BeneficiaryStatus
    template = app.jinja_env.from_string("{{ s|label(BeneficiaryStatus) }}/{{ Role.ADMIN.label }}")
    assert template.render(s="withdrawn") == "Abandon/Administrateur·rice"


# --- enums and constraints --------------------------------------------------------------------


@pytest.mark.parametrize(("model", "column", "enum", "blank"), STORED,
                         ids=[f"{m.__tablename__}.{c}" for m, c, _, _ in STORED])
def test_each_stored_enum_is_the_check_constraint_of_its_column(model, column, enum, blank):
    name, values = _model_checks()[model.__tablename__, column]
    assert name == f"ck_{model.__tablename__}_{column}"
    assert values == _expected(enum, blank)


def test_every_check_constraint_of_the_models_is_a_listed_enum():
    assert set(_model_checks()) == {(model.__tablename__, column) for model, column, _, _ in STORED}


def test_the_migrated_database_holds_the_same_checks_as_the_models(db):
    reflected = {}
    inspector = inspect(db.engine)
    for table in inspector.get_table_names():
        for check in inspector.get_check_constraints(table):
            column, values = _values(check["sqltext"])
            reflected[table, column] = (check["name"], values)
    assert reflected == _model_checks()


@pytest.mark.parametrize(("table", "column", "make"), [
    ("beneficiary", "status", lambda a: make_beneficiary(a)),
    ("beneficiary", "disability", lambda a: make_beneficiary(a)),
    ("journey", "answer_6m", lambda a: make_journey(a)),
    ("appointment", "status", lambda a: make_appointment(a)),
    ("membership", "role", lambda a: make_membership(a, "staff")),
    ("resource", "kind", lambda a: make_resource(a)),
])
def test_the_database_refuses_a_value_outside_the_list(db, table, column, make):
    row = make(make_association("bordeaux"))
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text(f'UPDATE "{table}" SET {column} = :value WHERE id = :id'),
                           {"value": "lost", "id": row.id})


# --- labels where people read them ---------------------------------------------------------------


def test_the_file_shows_each_answer_by_its_french_label(login_as, client, db):
    bordeaux = make_association("bordeaux")
    login_as("staff", bordeaux)
    b = make_beneficiary(bordeaux, status=BeneficiaryStatus.IN_PROGRESS, contact_channel=ContactChannel.SMS,
                         phone="+33612345678", consent_at=datetime(2026, 1, 5, tzinfo=UTC), consent_scope=ConsentScope.ACCOMPANIMENT_ESF,
                         gender=Gender.NON_BINARY, disability=SensitiveAnswer.UNDISCLOSED,
                         education_level=EducationLevel.ISCED_3_4, birth_date=date(1990, 5, 1))
    page = client.get(f"/a/bordeaux/beneficiaries/{b.id}").get_data(as_text=True)
    for label in ("En cours", "SMS", "Non binaire", "Ne souhaite pas répondre", "Lycée, CAP, BEP, bac (CITE 3 et 4)",
                  "30 à 54 ans"):
        assert label in page
    for value in ("in_progress", "non_binary", "undisclosed", "isced_3_4", "30_54"):
        assert f">{value}<" not in page


def test_resources_are_chosen_and_shown_by_their_french_kind(login_as, client, db):
    bordeaux = make_association("bordeaux")
    login_as("admin", bordeaux)
    make_resource(bordeaux, name="Le studio", kind=ResourceKind.STUDIO)
    page = client.get("/a/bordeaux/resources").get_data(as_text=True)
    assert "Le studio</a> — Studio photo" in page
    assert '<option selected value="room">Salle</option>' in page


# --- one definition ---------------------------------------------------------------------------------


def test_no_label_dict_of_a_status_is_left_in_forms_views_or_templates():
    allowed: set[str] = set()  # "path: line" of a dict of labels that is not a status list, if one must stay
    found = []
    for path in [*ROOT.glob("intranet/**/*.py"), *ROOT.glob("templates/**/*.html")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if (re.search(r"\b[A-Z_]*_LABELS\b|\b\w+_labels(\[|\s*=|\.items\(\)|\.get\()", line)
                    and "day_labels" not in line):  # the week's "book on <day>" texts, not a status
                where = f"{path.relative_to(ROOT)}:{number}"
                if where not in allowed:
                    found.append(f"{where}: {line.strip()}")
    assert found == []


def test_no_template_spells_out_labels_of_stored_values():
    values = {value for enum in all_enums().values() for value in enum.values()}
    found = []
    # A coach's mail opens with a sentence per event (confirmed, moved, cancelled, reminder): not a list of labels.
    # A personal link's problems (unknown, expired, replaced…) are reasons of a page, not stored values.
    allowed = {"templates/emails/coach_session.html", "templates/selfbooking/problem.html"}
    for path in ROOT.glob("templates/**/*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            keys = set(re.findall(r'"(\w+)"\s*:\s*_\(', line))
            if keys & values and str(path.relative_to(ROOT)) not in allowed:
                found.append(f"{path.relative_to(ROOT)}:{number}: {sorted(keys & values)}")
    assert found == []


@pytest.mark.commits  # migrations run on their own connection
def test_the_migration_names_the_values_to_correct_and_changes_nothing_before_they_are(app, db, capsys):
    from flask_migrate import downgrade, upgrade

    migrations = str(ROOT / "migrations")
    association_id = make_association("bordeaux").id
    db.session.remove()  # the migration needs the database to itself (SQLite)
    downgrade(directory=migrations, revision="0007_outbox_secrets")
    try:
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO resource (association_id, name, kind, capacity, open_days, opens_at, "
                              "closes_at, active) VALUES (:id, 'Salle info', 'salle_info', 1, '01234', '09:00:00', "
                              "'18:00:00', :yes)"), {"id": association_id, "yes": True})
        with pytest.raises(SystemExit):
            upgrade(directory=migrations)
        assert "resource.kind: ['salle_info']" in capsys.readouterr().err
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0007_outbox_secrets"
            assert conn.execute(text("SELECT kind FROM resource")).scalars().all() == ["salle_info"]
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM resource"))
        upgrade(directory=migrations)
    assert inspect(db.engine).get_check_constraints("resource") != []
