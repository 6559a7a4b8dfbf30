"""memberships: invited / active / deactivated, with one invitation per membership

Revision ID: 0005_membership_invitations
Revises: 0004_notifications
Create Date: 2026-12-01 09:00:00

An active membership of someone who never chose a password was an invitation not yet
accepted: it becomes "invited" (its old link no longer works; the association resends it).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005_membership_invitations"
down_revision = "0004_notifications"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=20), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('invitation_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('invited_name', sa.String(length=120), nullable=True))

    op.execute("UPDATE membership SET state = 'deactivated' WHERE active = false")
    op.execute("UPDATE membership SET state = 'invited', invited_at = created_at WHERE active = true "
               "AND user_id IN (SELECT id FROM \"user\" WHERE password_hash = '')")
    op.execute("UPDATE membership SET accepted_at = created_at WHERE state = 'active'")

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('active')
        batch_op.create_unique_constraint(batch_op.f('uq_membership_invitation_digest'), ['invitation_digest'])
        batch_op.create_check_constraint('state', "state IN ('invited', 'active', 'deactivated')")


def downgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))

    op.execute("UPDATE membership SET active = false WHERE state = 'deactivated'")

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_constraint('state', type_='check')
        batch_op.drop_constraint(batch_op.f('uq_membership_invitation_digest'), type_='unique')
        batch_op.drop_column('invited_name')
        batch_op.drop_column('invitation_digest')
        batch_op.drop_column('invited_at')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('state')
