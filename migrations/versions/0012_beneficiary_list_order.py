"""beneficiary list order: an index that matches the list's default order (closest interview first)

Revision ID: 0012_beneficiary_list_order
Revises: 0011_follow_up_journey
Create Date: 2026-12-02 12:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0012_beneficiary_list_order"
down_revision = "0011_follow_up_journey"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('beneficiary', schema=None) as batch_op:
        batch_op.create_index('ix_beneficiary_list_interview',
                              ['association_id', 'active', 'interview_on', 'last_name', 'id'], unique=False)
        batch_op.drop_index('ix_beneficiary_association_interview')


def downgrade():
    with op.batch_alter_table('beneficiary', schema=None) as batch_op:
        batch_op.create_index('ix_beneficiary_association_interview', ['association_id', 'interview_on'], unique=False)
        batch_op.drop_index('ix_beneficiary_list_interview')
