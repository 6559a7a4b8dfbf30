"""list indexes: the mailboxes' newest-first order is read from an index, not sorted

Revision ID: 0010_list_indexes
Revises: 0007_outbox_secrets
Create Date: 2026-12-02 11:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0010_list_indexes"
down_revision = "0007_outbox_secrets"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_outbox_message_association_id_created_at_id',
                              ['association_id', 'created_at', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_outbox_message_association_id'))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_association_id'), ['association_id'], unique=False)
        batch_op.drop_index('ix_outbox_message_association_id_created_at_id')
        batch_op.drop_index('ix_outbox_message_created_at_id')
