"""reliable tick and mail: the period each periodic schedule last ran in (any live worker takes the next),
and the outbox messages held while the SMTP server fails

Revision ID: 0014_reliable_tick_and_mail
Revises: 0013_follow_up_list
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_reliable_tick_and_mail"
down_revision = "0013_follow_up_list"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'periodic_run',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sa.String(length=100), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_periodic_run')),
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waits_for_server', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_outbox_message_waiting', ['next_attempt_at'], unique=False,
                              sqlite_where=sa.text('waits_for_server'), postgresql_where=sa.text('waits_for_server'))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_waiting', sqlite_where=sa.text('waits_for_server'),
                            postgresql_where=sa.text('waits_for_server'))
        batch_op.drop_column('waits_for_server')
    op.drop_table('periodic_run')
