"""status checks: every status and kind column keeps to its list of values

Revision ID: 0008_status_checks
Revises: 0007_outbox_secrets
Create Date: 2026-12-03 09:00:00

The lists are written out here as they stand today (a migration does not follow later changes of
the application's enums). Nothing is rewritten: a row holding a value outside its list stops the
upgrade with a message naming the table, the column and the values to correct.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008_status_checks"
down_revision = "0007_outbox_secrets"
branch_labels = None
depends_on = None

SENSITIVE = ("yes", "no", "undisclosed")

# table -> [(column, allowed values, whether "" (no answer yet) is allowed)]
CHECKS = {
    "association": [("kind", ("local", "national"), False)],
    "membership": [("role", ("volunteer", "staff", "admin"), False)],
    "module": [("mode", ("in_person", "phone", "video"), False),
               ("resource_kind", ("room", "studio"), True)],
    "beneficiary": [
        ("status", ("new", "in_progress", "completed", "withdrawn"), False),
        ("contact_channel", ("email", "phone", "sms"), False),
        ("consent_scope", ("accompaniment", "accompaniment_esf"), True),
        ("gender", ("woman", "man", "non_binary"), True),
        ("labour_status", ("unemployed", "long_term_unemployed", "inactive", "employed"), True),
        ("education_level", ("isced_0_2", "isced_3_4", "isced_5_8"), True),
        ("disability", SENSITIVE, True),
        ("third_country_national", SENSITIVE, True),
        ("foreign_background", SENSITIVE, True),
        ("minority", SENSITIVE, True),
        ("homeless", SENSITIVE, True),
        ("rural", ("yes", "no"), True),
    ],
    "journey": [
        ("exit_situation", ("job_searching", "education_training", "qualification", "employment"), True),
        ("follow_up_result", ("employment", "improved", "no_change"), True),
        ("answer_1m", ("job", "training", "searching", "other"), True),
        ("answer_6m", ("job", "training", "searching", "other"), True),
    ],
    "journey_module": [("status", ("to_plan", "planned", "done", "missed", "skipped"), False)],
    "resource": [("kind", ("room", "studio"), False)],
    "appointment": [("mode", ("in_person", "phone", "video"), False),
                    ("status", ("planned", "done", "no_show", "excused", "cancelled"), False)],
    "seat": [("status", ("booked", "cancelled"), False)],
    "appointment_event": [("action", ("booked", "seat", "moved", "planned", "done", "no_show", "excused", "cancelled",
                                      "seat_cancelled"), False)],
    "outbox_message": [("status", ("pending", "sent", "failed", "cancelled"), False)],
}


def _allowed(values: tuple[str, ...], blank: bool) -> tuple[str, ...]:
    return ("",) + values if blank else values


def _condition(column: str, values: tuple[str, ...], blank: bool) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in _allowed(values, blank))})"


def _refuse_unknown_values() -> None:
    bind = op.get_bind()
    problems = []
    for table, checks in CHECKS.items():
        for column, values, blank in checks:
            rows = bind.execute(sa.text(
                f'SELECT DISTINCT {column} FROM "{table}" WHERE {column} IS NULL OR NOT ({_condition(column, values, blank)})'
            )).scalars().all()
            if rows:
                problems.append(f"{table}.{column}: {sorted(rows, key=str)!r} (allowed: {_allowed(values, blank)!r})")
    if problems:
        raise RuntimeError("Values outside their list; correct them, then upgrade again:\n" + "\n".join(problems))


def upgrade():
    _refuse_unknown_values()
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values, blank in checks:
                batch_op.create_check_constraint(column, _condition(column, values, blank))


def downgrade():
    for table, checks in reversed(CHECKS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, _values, _blank in checks:
                batch_op.drop_constraint(column, type_="check")
