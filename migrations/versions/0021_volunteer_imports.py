"""volunteer imports: a third kind of spreadsheet, and the time each journey module last changed

Revision ID: 0021_volunteer_imports
Revises: 0020_member_search
Create Date: 2026-12-04 09:00:00

`journey_module.updated_at` stays empty for the rows already there: an import's undo compares it with the
time of the import, so a module changed since (logged, moved, another status) refuses the undo.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021_volunteer_imports"
down_revision = "0020_member_search"
branch_labels = None
depends_on = None

BEFORE = "kind IN ('beneficiaries', 'sessions')"
AFTER = "kind IN ('beneficiaries', 'sessions', 'volunteers')"


def _kinds(condition: str) -> None:
    for table in ("import_batch", "import_mapping"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint("kind", type_="check")
            batch_op.create_check_constraint("kind", condition)


def upgrade():
    _kinds(AFTER)
    with op.batch_alter_table("journey_module", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("journey_module", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM import_record WHERE batch_id IN "
                         "(SELECT id FROM import_batch WHERE kind = 'volunteers')"))
    for table in ("import_mapping", "import_batch"):
        bind.execute(sa.text(f"DELETE FROM {table} WHERE kind = 'volunteers'"))
    _kinds(BEFORE)
