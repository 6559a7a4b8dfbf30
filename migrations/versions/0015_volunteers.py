"""volunteers: profiles, the training catalogue (the network's seeded), training sessions, qualifications

Revision ID: 0015_volunteers
Revises: 0014_reliable_tick_and_mail
Create Date: 2026-12-02 04:48:58.798143

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_volunteers'
down_revision = '0014_reliable_tick_and_mail'
branch_labels = None
depends_on = None


# The network's catalogue, on every installation: the codes are those the network's modules require
# (0002_beneficiaries), "seance_photo" one the studio module may require once the network asks for it.
TRAININGS = [
    # name, description, minutes, validity in months (None: no expiry), codes granted
    ("Coach image", "Conseil en image et choix d’une tenue parmi les vêtements donnés : accueillir, écouter, "
     "conseiller sans juger.", 180, 24, "coaching_image"),
    ("Coach RH", "Travail sur le CV et simulation d’entretien d’embauche, avec la grille d’observation du réseau.",
     180, 24, "coaching_rh"),
    ("Séance photo", "Portrait professionnel en studio : lumière, cadrage, mise en confiance, droit à l’image.",
     120, None, "seance_photo"),
    ("Accompagnement à distance (Coup de Pouce à la Maison)", "Les 5 modules du programme à distance, par "
     "téléphone et en visio : posture, outils, suivi entre deux séances.", 360, 12, "coup_de_pouce"),
]


def seed_trainings():
    training = sa.table("training", sa.column("association_id", sa.Integer), sa.column("name", sa.String),
                        sa.column("description", sa.Text), sa.column("duration_minutes", sa.Integer),
                        sa.column("validity_months", sa.Integer), sa.column("grants", sa.String),
                        sa.column("active", sa.Boolean), sa.column("created_at", sa.DateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    op.bulk_insert(training, [
        {"association_id": None, "name": name, "description": description, "duration_minutes": minutes,
         "validity_months": months, "grants": codes, "active": True, "created_at": now}
        for name, description, minutes, months, codes in TRAININGS])


def upgrade():
    op.create_table('training',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('validity_months', sa.Integer(), nullable=True),
    sa.Column('grants', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_training_association_id_association')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training'))
    )
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_association_id'), ['association_id'], unique=False)

    op.create_table('training_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=255), nullable=False),
    sa.Column('video_link', sa.String(length=255), nullable=False),
    sa.Column('trainer', sa.String(length=120), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'completed', 'cancelled')", name=op.f('ck_training_session_status')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_training_session_association_id_association')),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], name=op.f('fk_training_session_training_id_training')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_session'))
    )
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_session_association_id'), ['association_id'], unique=False)
        batch_op.create_index('ix_training_session_association_starts_at', ['association_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_session_training_id'), ['training_id'], unique=False)

    op.create_table('volunteer_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('skills', sa.String(length=500), nullable=False),
    sa.Column('languages', sa.String(length=255), nullable=False),
    sa.Column('background', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('paused_from', sa.Date(), nullable=True),
    sa.Column('paused_until', sa.Date(), nullable=True),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('staff_notes', sa.Text(), nullable=False),
    sa.Column('search_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'paused', 'left')", name=op.f('ck_volunteer_profile_status')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_volunteer_profile_association_id_association')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_volunteer_profile_membership_id_membership')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_volunteer_profile_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_profile')),
    sa.UniqueConstraint('association_id', 'user_id', name=op.f('uq_volunteer_profile_association_id')),
    sa.UniqueConstraint('membership_id', name=op.f('uq_volunteer_profile_membership_id'))
    )
    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_profile_association_id'), ['association_id'], unique=False)

    op.create_table('qualification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('obtained_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('training_session_id', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.String(length=500), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_reason', sa.String(length=255), nullable=False),
    sa.Column('renewal_noticed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("source IN ('training', 'manual')", name=op.f('ck_qualification_source')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_qualification_association_id_association')),
    sa.ForeignKeyConstraint(['profile_id'], ['volunteer_profile.id'], name=op.f('fk_qualification_profile_id_volunteer_profile')),
    sa.ForeignKeyConstraint(['training_session_id'], ['training_session.id'], name=op.f('fk_qualification_training_session_id_training_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification'))
    )
    with op.batch_alter_table('qualification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_association_id'), ['association_id'], unique=False)
        batch_op.create_index('ix_qualification_association_valid_until', ['association_id', 'valid_until'], unique=False)
        batch_op.create_index('ix_qualification_profile_code', ['profile_id', 'code', 'valid_until'], unique=False)

    op.create_table('training_enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_session_id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attendance', sa.String(length=10), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("attendance IN ('', 'present', 'absent', 'excused')", name=op.f('ck_training_enrolment_attendance')),
    sa.CheckConstraint("status IN ('enrolled', 'waiting', 'cancelled')", name=op.f('ck_training_enrolment_status')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_training_enrolment_association_id_association')),
    sa.ForeignKeyConstraint(['profile_id'], ['volunteer_profile.id'], name=op.f('fk_training_enrolment_profile_id_volunteer_profile')),
    sa.ForeignKeyConstraint(['training_session_id'], ['training_session.id'], name=op.f('fk_training_enrolment_training_session_id_training_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_enrolment')),
    sa.UniqueConstraint('training_session_id', 'profile_id', name=op.f('uq_training_enrolment_training_session_id'))
    )
    with op.batch_alter_table('training_enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_enrolment_association_id'), ['association_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_enrolment_profile_id'), ['profile_id'], unique=False)

    seed_trainings()


def downgrade():
    with op.batch_alter_table('training_enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_enrolment_profile_id'))
        batch_op.drop_index(batch_op.f('ix_training_enrolment_association_id'))

    op.drop_table('training_enrolment')
    with op.batch_alter_table('qualification', schema=None) as batch_op:
        batch_op.drop_index('ix_qualification_profile_code')
        batch_op.drop_index('ix_qualification_association_valid_until')
        batch_op.drop_index(batch_op.f('ix_qualification_association_id'))

    op.drop_table('qualification')
    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_profile_association_id'))

    op.drop_table('volunteer_profile')
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_session_training_id'))
        batch_op.drop_index('ix_training_session_association_starts_at')
        batch_op.drop_index(batch_op.f('ix_training_session_association_id'))

    op.drop_table('training_session')
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_association_id'))

    op.drop_table('training')
