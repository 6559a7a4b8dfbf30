"""imports from the old spreadsheets: batches, the mapping kept per association, what each batch wrote

Revision ID: 0017_imports
Revises: 0016_partners_referrals
Create Date: 2026-12-02 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_imports'
down_revision = "0016_partners_referrals"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('file_type', sa.String(length=8), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('preview', sa.JSON(), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('beneficiaries', 'sessions')", name=op.f('ck_import_batch_kind')),
    sa.CheckConstraint("status IN ('reading', 'read', 'checking', 'checked', 'committing', 'committed', 'undone', 'cancelled', 'failed')", name=op.f('ck_import_batch_status')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_import_batch_association_id_association')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_import_batch_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.create_index('ix_import_batch_association_created', ['association_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_batch_association_id'), ['association_id'], unique=False)

    op.create_table('import_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('beneficiaries', 'sessions')", name=op.f('ck_import_mapping_kind')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_import_mapping_association_id_association')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mapping')),
    sa.UniqueConstraint('association_id', 'kind', name=op.f('uq_import_mapping_association_id'))
    )
    with op.batch_alter_table('import_mapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_mapping_association_id'), ['association_id'], unique=False)

    op.create_table('import_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('created', sa.Boolean(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('stamp', sa.DateTime(timezone=True), nullable=True),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_import_record_association_id_association')),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_record_batch_id_import_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_record'))
    )
    with op.batch_alter_table('import_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_record_association_id'), ['association_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_record_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_import_record_object', ['association_id', 'object_type', 'object_id'], unique=False)



def downgrade():
    with op.batch_alter_table('import_record', schema=None) as batch_op:
        batch_op.drop_index('ix_import_record_object')
        batch_op.drop_index(batch_op.f('ix_import_record_batch_id'))
        batch_op.drop_index(batch_op.f('ix_import_record_association_id'))

    op.drop_table('import_record')
    with op.batch_alter_table('import_mapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_mapping_association_id'))

    op.drop_table('import_mapping')
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batch_association_id'))
        batch_op.drop_index('ix_import_batch_association_created')

    op.drop_table('import_batch')
