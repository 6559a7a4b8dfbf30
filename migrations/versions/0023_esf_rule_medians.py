"""esf rule and medians: the network office's participant rule, the network's medians as last computed for each
period, and the modules done by association and day (the ESF+ report reads its period from it)

Revision ID: 0023_esf_rule_medians
Revises: 0022_figure_indexes
Create Date: 2026-12-03 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023_esf_rule_medians"
down_revision = "0022_figure_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'participant_rule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('remote_min_days', sa.Integer(), nullable=False),
        sa.Column('in_person_min_days', sa.Integer(), nullable=False),
        sa.Column('collective_only_counts', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_participant_rule_updated_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_participant_rule')),
    )
    op.create_table(
        'median_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period_kind', sa.String(length=12), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('medians', sa.Text(), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False, server_default='{}'),
        sa.Column('associations', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_median_snapshot')),
        sa.UniqueConstraint('period_start', 'period_end', name=op.f('uq_median_snapshot_period_start')),
    )
    with op.batch_alter_table('journey_module', schema=None) as batch_op:
        batch_op.create_index('ix_journey_module_association_happened_on', ['association_id', 'happened_on'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('journey_module', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_module_association_happened_on')
    op.drop_table('median_snapshot')
    op.drop_table('participant_rule')
