"""partners and referrals: the directory, contacts, stages, the contact log, referral links and referrals;
a file's referrer becomes a link to a partner (its original text kept)

Each association's free-text referrers are grouped by their folded text ("Mission Locale de Blaye",
"mission locale de blaye ") into one partner each, created at the stage "prescripteur actif" (they
sent people already), of the kind the text names when it names one (mission locale, France Travail or
Pôle emploi, PLIE, CCAS, Cap emploi, E2C, EPIDE, SIAE), "other" otherwise. The files keep their text.

Revision ID: 0016_partners_referrals
Revises: 0015_volunteers
Create Date: 2026-12-02 05:00:00

"""
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

from intranet.search import fold, search_key

KINDS = (
    (r"\bmissions? locales?\b", "mission_locale"),
    (r"\b(france travail|pole emploi)\b", "france_travail"),
    (r"\bplie\b", "plie"),
    (r"\bccas\b", "ccas"),
    (r"\bcap emploi\b", "cap_emploi"),
    (r"\b(e2c|ecole de la (2e|deuxieme) chance)\b", "e2c"),
    (r"\bepide\b", "epide"),
    (r"\b(siae|chantiers? d insertion|entreprises? d insertion|aci)\b", "siae"),
)


def kind_of(text: str) -> str:
    folded = fold(text.replace("'", " ").replace("’", " "))
    return next((kind for pattern, kind in KINDS if re.search(pattern, folded)), "other")


def link_referrers(bind) -> None:
    """One partner per association and folded referrer text; the files point to it, their text kept."""
    beneficiary = sa.table("beneficiary", sa.column("id", sa.Integer()), sa.column("association_id", sa.Integer()),
                           sa.column("referrer", sa.String()), sa.column("referrer_partner_id", sa.Integer()))
    moment = sa.DateTime(timezone=True)
    partner = sa.table("partner", sa.column("id", sa.Integer()), sa.column("active", sa.Boolean()),
                       sa.column("stage_changed_at", moment), sa.column("created_at", moment), *(sa.column(name) for name in (
                           "association_id", "name", "kind", "address", "postcode", "commune", "department_code", "rural",
                           "website", "siret", "notes", "stage", "name_key", "search_key")))
    stage_change = sa.table("stage_change", sa.column("changed_at", moment), *(sa.column(name) for name in (
        "association_id", "partner_id", "from_stage", "to_stage", "author_id")))
    texts = defaultdict(Counter)  # (association, folded text) -> {original text: files}
    for association_id, referrer, count in bind.execute(
            sa.select(beneficiary.c.association_id, beneficiary.c.referrer, sa.func.count())
            .where(beneficiary.c.referrer != "").group_by(beneficiary.c.association_id, beneficiary.c.referrer)):
        if fold(referrer):
            texts[association_id, fold(referrer)][referrer] += count
    now = datetime.now(UTC)
    for (association_id, folded), originals in sorted(texts.items()):
        name = sorted(originals.items(), key=lambda item: (-item[1], item[0]))[0][0].strip()[:160]
        partner_id = bind.execute(partner.insert().values(
            association_id=association_id, name=name, kind=kind_of(name), address="", postcode="", commune="",
            department_code="", rural="", website="", siret="", notes="", active=True, stage="active",
            stage_changed_at=now, name_key=folded[:160], search_key=search_key(name), created_at=now)
            .returning(partner.c.id)).scalar_one()
        bind.execute(stage_change.insert().values(association_id=association_id, partner_id=partner_id,
                                                  from_stage="", to_stage="active", changed_at=now, author_id=None))
        bind.execute(beneficiary.update().where(beneficiary.c.association_id == association_id,
                                                beneficiary.c.referrer.in_(list(originals)))
                     .values(referrer_partner_id=partner_id))


# revision identifiers, used by Alembic.
revision = '0016_partners_referrals'
down_revision = "0015_volunteers"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('commune', sa.String(length=120), nullable=False),
    sa.Column('department_code', sa.String(length=3), nullable=False),
    sa.Column('rural', sa.String(length=12), nullable=False),
    sa.Column('website', sa.String(length=200), nullable=False),
    sa.Column('siret', sa.String(length=14), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('stage_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('name_key', sa.String(length=160), nullable=False),
    sa.Column('search_key', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('mission_locale', 'france_travail', 'plie', 'ccas', 'cap_emploi', 'siae', 'e2c', 'epide', 'company', 'association', 'other')", name=op.f('ck_partner_kind')),
    sa.CheckConstraint("rural IN ('', 'yes', 'no')", name=op.f('ck_partner_rural')),
    sa.CheckConstraint("stage IN ('prospect', 'first_contact', 'meetings', 'agreement', 'active', 'dormant')", name=op.f('ck_partner_stage')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_partner_association_id_association')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner'))
    )
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_association_id'), ['association_id'], unique=False)
        batch_op.create_index('ix_partner_department_kind', ['department_code', 'kind'], unique=False)
        batch_op.create_index('ix_partner_kind', ['association_id', 'kind', 'name_key'], unique=False)
        batch_op.create_index('ix_partner_list', ['association_id', 'active', 'name_key', 'id'], unique=False)
        batch_op.create_index('ix_partner_name_postcode', ['name_key', 'postcode'], unique=False)
        batch_op.create_index('ix_partner_recent', ['association_id', 'created_at'], unique=False)
        batch_op.create_index('ix_partner_rural', ['association_id', 'rural', 'name_key'], unique=False)
        batch_op.create_index('ix_partner_search', ['association_id', 'search_key'], unique=False, postgresql_using='gin', postgresql_ops={'search_key': 'gin_trgm_ops'})
        batch_op.create_index('ix_partner_siret', ['siret'], unique=False)
        batch_op.create_index('ix_partner_stage', ['association_id', 'stage', 'name_key'], unique=False)

    op.create_table('interaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('next_step', sa.String(length=300), nullable=False),
    sa.Column('next_step_due', sa.Date(), nullable=True),
    sa.Column('next_step_owner_id', sa.Integer(), nullable=True),
    sa.Column('next_step_done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('meeting', 'call', 'email', 'event', 'training', 'other')", name=op.f('ck_interaction_kind')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_interaction_association_id_association')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_interaction_author_id_user')),
    sa.ForeignKeyConstraint(['next_step_owner_id'], ['user.id'], name=op.f('fk_interaction_next_step_owner_id_user')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_interaction_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction'))
    )
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_association_id'), ['association_id'], unique=False)
        batch_op.create_index('ix_interaction_open_steps', ['association_id', 'next_step_due'], unique=False, sqlite_where=sa.text('next_step_due IS NOT NULL AND next_step_done_at IS NULL'), postgresql_where=sa.text('next_step_due IS NOT NULL AND next_step_done_at IS NULL'))
        batch_op.create_index('ix_interaction_owner_steps', ['next_step_owner_id', 'next_step_due'], unique=False, sqlite_where=sa.text('next_step_due IS NOT NULL AND next_step_done_at IS NULL'), postgresql_where=sa.text('next_step_due IS NOT NULL AND next_step_done_at IS NULL'))
        batch_op.create_index('ix_interaction_timeline', ['partner_id', 'happened_on', 'id'], unique=False)

    op.create_table('partner_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('email', 'phone', 'sms')", name=op.f('ck_partner_contact_channel')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_partner_contact_association_id_association')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_partner_contact_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_contact'))
    )
    with op.batch_alter_table('partner_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_contact_association_id'), ['association_id'], unique=False)
        batch_op.create_index('ix_partner_contact_partner', ['partner_id', 'active', 'name'], unique=False)

    op.create_table('referral_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_referral_link_association_id_association')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_referral_link_created_by_id_user')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_referral_link_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_referral_link_token_hash'))
    )
    with op.batch_alter_table('referral_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_link_association_id'), ['association_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_link_partner_id'), ['partner_id'], unique=False)

    op.create_table('stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=16), nullable=False),
    sa.Column('to_stage', sa.String(length=16), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("from_stage IN ('', 'prospect', 'first_contact', 'meetings', 'agreement', 'active', 'dormant')", name=op.f('ck_stage_change_from_stage')),
    sa.CheckConstraint("to_stage IN ('prospect', 'first_contact', 'meetings', 'agreement', 'active', 'dormant')", name=op.f('ck_stage_change_to_stage')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_stage_change_association_id_association')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_stage_change_author_id_user')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_stage_change_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_change'))
    )
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_change_association_id'), ['association_id'], unique=False)
        batch_op.create_index('ix_stage_change_partner', ['partner_id', 'changed_at'], unique=False)

    op.create_table('interaction_contact',
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['partner_contact.id'], name=op.f('fk_interaction_contact_contact_id_partner_contact')),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], name=op.f('fk_interaction_contact_interaction_id_interaction')),
    sa.PrimaryKeyConstraint('interaction_id', 'contact_id', name=op.f('pk_interaction_contact'))
    )
    op.create_table('referral_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['referral_link.id'], name=op.f('fk_referral_submission_link_id_referral_link')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_submission'))
    )
    with op.batch_alter_table('referral_submission', schema=None) as batch_op:
        batch_op.create_index('ix_referral_submission_client_at', ['client', 'at'], unique=False)
        batch_op.create_index('ix_referral_submission_link_at', ['link_id', 'at'], unique=False)

    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('situation', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('availability', sa.String(length=300), nullable=False),
    sa.Column('interview_on', sa.Date(), nullable=True),
    sa.Column('referrer_name', sa.String(length=120), nullable=False),
    sa.Column('referrer_email', sa.String(length=254), nullable=False),
    sa.Column('referrer_phone', sa.String(length=20), nullable=False),
    sa.Column('attested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submission_key', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('refusal_reason', sa.String(length=20), nullable=False),
    sa.Column('refusal_note', sa.Text(), nullable=False),
    sa.Column('info_request', sa.Text(), nullable=False),
    sa.Column('info_requests', sa.Integer(), nullable=False),
    sa.Column('completion_token_hash', sa.String(length=64), nullable=True),
    sa.Column('beneficiary_id', sa.Integer(), nullable=True),
    sa.Column('first_appointment_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("refusal_reason IN ('', 'out_of_area', 'not_eligible', 'already_followed', 'unreachable', 'declined', 'full', 'other')", name=op.f('ck_referral_refusal_reason')),
    sa.CheckConstraint("situation IN ('', 'job_seeker', 'long_term', 'young', 'minimum_income', 'back_to_work', 'other')", name=op.f('ck_referral_situation')),
    sa.CheckConstraint("status IN ('pending', 'info_requested', 'accepted', 'refused', 'expired')", name=op.f('ck_referral_status')),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_referral_association_id_association')),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiary.id'], name=op.f('fk_referral_beneficiary_id_beneficiary')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_referral_handled_by_id_user')),
    sa.ForeignKeyConstraint(['link_id'], ['referral_link.id'], name=op.f('fk_referral_link_id_referral_link')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_referral_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral')),
    sa.UniqueConstraint('completion_token_hash', name=op.f('uq_referral_completion_token_hash')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_referral_submission_key'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_association_id'), ['association_id'], unique=False)
        batch_op.create_index('ix_referral_association_received', ['association_id', 'received_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_beneficiary_id'), ['beneficiary_id'], unique=False)
        batch_op.create_index('ix_referral_inbox', ['association_id', 'status', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_referral_partner', ['partner_id', 'received_on'], unique=False)

    with op.batch_alter_table('beneficiary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_source', sa.String(length=10), server_default='', nullable=False))
        batch_op.add_column(sa.Column('referrer_partner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('referrer_contact_id', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('consent_source', "consent_source IN ('', 'person', 'referrer')")
        batch_op.drop_index(batch_op.f('ix_beneficiary_association_referrer'))
        batch_op.create_index('ix_beneficiary_referrer_partner', ['association_id', 'referrer_partner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_beneficiary_referrer_contact_id_partner_contact'), 'partner_contact', ['referrer_contact_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_beneficiary_referrer_partner_id_partner'), 'partner', ['referrer_partner_id'], ['id'])

    link_referrers(op.get_bind())


def downgrade():
    with op.batch_alter_table('beneficiary', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_beneficiary_referrer_partner_id_partner'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_beneficiary_referrer_contact_id_partner_contact'), type_='foreignkey')
        batch_op.drop_index('ix_beneficiary_referrer_partner')
        batch_op.create_index(batch_op.f('ix_beneficiary_association_referrer'), ['association_id', 'referrer'], unique=False)
        batch_op.drop_column('referrer_contact_id')
        batch_op.drop_column('referrer_partner_id')
        batch_op.drop_constraint('consent_source', type_='check')
        batch_op.drop_column('consent_source')

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_partner')
        batch_op.drop_index('ix_referral_inbox')
        batch_op.drop_index(batch_op.f('ix_referral_beneficiary_id'))
        batch_op.drop_index('ix_referral_association_received')
        batch_op.drop_index(batch_op.f('ix_referral_association_id'))

    op.drop_table('referral')
    with op.batch_alter_table('referral_submission', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_submission_link_at')
        batch_op.drop_index('ix_referral_submission_client_at')

    op.drop_table('referral_submission')
    op.drop_table('interaction_contact')
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_change_partner')
        batch_op.drop_index(batch_op.f('ix_stage_change_association_id'))

    op.drop_table('stage_change')
    with op.batch_alter_table('referral_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_link_partner_id'))
        batch_op.drop_index(batch_op.f('ix_referral_link_association_id'))

    op.drop_table('referral_link')
    with op.batch_alter_table('partner_contact', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_contact_partner')
        batch_op.drop_index(batch_op.f('ix_partner_contact_association_id'))

    op.drop_table('partner_contact')
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index('ix_interaction_timeline')
        batch_op.drop_index('ix_interaction_owner_steps', sqlite_where=sa.text('next_step_due IS NOT NULL AND next_step_done_at IS NULL'), postgresql_where=sa.text('next_step_due IS NOT NULL AND next_step_done_at IS NULL'))
        batch_op.drop_index('ix_interaction_open_steps', sqlite_where=sa.text('next_step_due IS NOT NULL AND next_step_done_at IS NULL'), postgresql_where=sa.text('next_step_due IS NOT NULL AND next_step_done_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_interaction_association_id'))

    op.drop_table('interaction')
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_stage')
        batch_op.drop_index('ix_partner_siret')
        batch_op.drop_index('ix_partner_search', postgresql_using='gin', postgresql_ops={'search_key': 'gin_trgm_ops'})
        batch_op.drop_index('ix_partner_rural')
        batch_op.drop_index('ix_partner_recent')
        batch_op.drop_index('ix_partner_name_postcode')
        batch_op.drop_index('ix_partner_list')
        batch_op.drop_index('ix_partner_kind')
        batch_op.drop_index('ix_partner_department_kind')
        batch_op.drop_index(batch_op.f('ix_partner_association_id'))

    op.drop_table('partner')
