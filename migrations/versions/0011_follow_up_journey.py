"""follow-up mails name their journey: the follow-ups join on a key column instead of a built string

Revision ID: 0011_follow_up_journey
Revises: 0010_list_indexes
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_follow_up_journey"
down_revision = "0010_list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('journey_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_journey_id_journey'), 'journey', ['journey_id'], ['id'])
    # Follow-up mails already queued carry their journey in their key: "follow-up-<period>-<journey id>".
    outbox = sa.table('outbox_message', sa.column('id', sa.Integer()), sa.column('key', sa.String()),
                      sa.column('journey_id', sa.Integer()))
    bind = op.get_bind()
    for message_id, key in bind.execute(sa.select(outbox.c.id, outbox.c.key)
                                        .where(outbox.c.key.like('follow-up-%'))).all():
        journey_id = key.rsplit('-', 1)[-1]
        if journey_id.isdigit():
            bind.execute(outbox.update().where(outbox.c.id == message_id).values(journey_id=int(journey_id)))
    op.create_index('ix_outbox_message_journey_id', 'outbox_message', ['journey_id'], unique=False,
                    sqlite_where=sa.text('journey_id IS NOT NULL'), postgresql_where=sa.text('journey_id IS NOT NULL'))


def downgrade():
    op.drop_index('ix_outbox_message_journey_id', table_name='outbox_message')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_journey_id_journey'), type_='foreignkey')
        batch_op.drop_column('journey_id')
