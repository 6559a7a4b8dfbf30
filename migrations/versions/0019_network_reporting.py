"""network reporting: the exports people ask for, their progress and file (kept 24 hours), and the log of them

Revision ID: 0019_network_reporting
Revises: 0018_volunteer_logs
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019_network_reporting"
down_revision = "0018_volunteer_logs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'export_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('association_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=40), nullable=False),
        sa.Column('fmt', sa.String(length=4), nullable=False),
        sa.Column('args', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_done', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=120), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed', 'purged')",
                           name=op.f('ck_export_job_status')),
        sa.CheckConstraint("fmt IN ('csv', 'xlsx')", name=op.f('ck_export_job_fmt')),
        sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_export_job_association_id_association')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_export_job_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job')),
    )
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.create_index('ix_export_job_association_user', ['association_id', 'user_id', 'created_at'], unique=False)
        batch_op.create_index('ix_export_job_status_created_at', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_index('ix_export_job_status_created_at')
        batch_op.drop_index('ix_export_job_association_user')
    op.drop_table('export_job')
