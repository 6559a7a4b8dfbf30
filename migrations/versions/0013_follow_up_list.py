"""follow-up list and coming sessions: the association's follow-up mails in a partial index, seats by journey module

Revision ID: 0013_follow_up_list
Revises: 0012_beneficiary_list_order
Create Date: 2026-12-03 05:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0013_follow_up_list"
down_revision = "0012_beneficiary_list_order"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_outbox_message_follow_ups', 'outbox_message', ['association_id', 'created_at', 'id'],
                    unique=False, sqlite_where=sa.text('journey_id IS NOT NULL'),
                    postgresql_where=sa.text('journey_id IS NOT NULL'))
    with op.batch_alter_table('seat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seat_journey_module_id'), ['journey_module_id'], unique=False)


def downgrade():
    with op.batch_alter_table('seat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seat_journey_module_id'))
    op.drop_index('ix_outbox_message_follow_ups', table_name='outbox_message',
                  sqlite_where=sa.text('journey_id IS NOT NULL'), postgresql_where=sa.text('journey_id IS NOT NULL'))
