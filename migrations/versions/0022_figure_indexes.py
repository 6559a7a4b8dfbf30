"""figures of volunteers: qualifications by the day they were obtained (volunteers trained in a period)

Revision ID: 0022_figure_indexes
Revises: 0021_volunteer_imports
Create Date: 2026-12-02 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0022_figure_indexes"
down_revision = "0021_volunteer_imports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('qualification', schema=None) as batch_op:
        batch_op.create_index('ix_qualification_obtained_on', ['obtained_on', 'association_id'], unique=False)


def downgrade():
    with op.batch_alter_table('qualification', schema=None) as batch_op:
        batch_op.drop_index('ix_qualification_obtained_on')
