"""list indexes and mail retention: the mailboxes' newest-first order is read from an index, not sorted;
old mail bodies are cleared after the retention period

Revision ID: 0010_list_indexes
Revises: 0009_phones_search_keys
Create Date: 2026-12-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_list_indexes"
down_revision = "0009_phones_search_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_outbox_message_association_id_created_at_id',
                              ['association_id', 'created_at', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_outbox_message_association_id'))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_outbox_message_unpurged_created_at', 'outbox_message', ['created_at'], unique=False,
                    sqlite_where=sa.text('purged_at IS NULL'), postgresql_where=sa.text('purged_at IS NULL'))


def downgrade():
    op.drop_index('ix_outbox_message_unpurged_created_at', table_name='outbox_message')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
        batch_op.create_index(batch_op.f('ix_outbox_message_association_id'), ['association_id'], unique=False)
        batch_op.drop_index('ix_outbox_message_association_id_created_at_id')
        batch_op.drop_index('ix_outbox_message_created_at_id')
