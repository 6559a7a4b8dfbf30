"""outbox secrets: personal links kept apart from stored mails until sent; calendar feed tokens as digests

Revision ID: 0007_outbox_secrets
Revises: 0006_session_hardening
Create Date: 2026-12-02 10:00:00

"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007_outbox_secrets"
down_revision = "0006_session_hardening"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_links', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))

    # Existing feed addresses keep working: their tokens are replaced by their digests.
    user = sa.table('user', sa.column('id', sa.Integer()), sa.column('calendar_token', sa.String()),
                    sa.column('calendar_token_hash', sa.String()))
    bind = op.get_bind()
    for user_id, token in bind.execute(sa.select(user.c.id, user.c.calendar_token)
                                       .where(user.c.calendar_token.is_not(None))).all():
        bind.execute(user.update().where(user.c.id == user_id)
                     .values(calendar_token_hash=hashlib.sha256(token.encode()).hexdigest()))

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_calendar_token'), type_='unique')
        batch_op.drop_column('calendar_token')
        batch_op.create_unique_constraint(batch_op.f('uq_user_calendar_token_hash'), ['calendar_token_hash'])


def downgrade():
    # Digests cannot be turned back into addresses: feeds are switched off, their owners make new ones.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_calendar_token_hash'), type_='unique')
        batch_op.drop_column('calendar_token_hash')
        batch_op.add_column(sa.Column('calendar_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_calendar_token'), ['calendar_token'])

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('secret_links')
