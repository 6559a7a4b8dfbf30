"""member search: a folded key on each membership (the name the association sees and the address), indexed

Revision ID: 0020_member_search
Revises: 0019_network_reporting
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa

from intranet.search import search_key


# revision identifiers, used by Alembic.
revision = "0020_member_search"
down_revision = "0019_network_reporting"
branch_labels = None
depends_on = None

BATCH = 1000
membership = sa.table("membership", sa.column("id", sa.Integer()), sa.column("user_id", sa.Integer()),
                      sa.column("accepted_at", sa.DateTime(timezone=True)), sa.column("invited_name", sa.String()),
                      sa.column("search_key", sa.Text()))
user = sa.table("user", sa.column("id", sa.Integer()), sa.column("name", sa.String()),
                sa.column("email", sa.String()))


def upgrade():
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_key", sa.Text(), server_default="", nullable=False))

    bind = op.get_bind()
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(membership.c.id, membership.c.accepted_at, membership.c.invited_name, user.c.name, user.c.email)
            .join(user, user.c.id == membership.c.user_id).where(membership.c.id > last_id)
            .order_by(membership.c.id).limit(BATCH)).all()
        if not rows:
            break
        # Until the person accepts, the association knows them by the name it typed (Membership.display_name).
        keys = [{"row_id": row.id,
                 "key": search_key(row.invited_name if row.accepted_at is None and row.invited_name else row.name,
                                   row.email)} for row in rows]
        bind.execute(membership.update().where(membership.c.id == sa.bindparam("row_id"))
                     .values(search_key=sa.bindparam("key")), keys)
        last_id = rows[-1].id

    # pg_trgm and btree_gin are there since 0009_phones_search_keys.
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index("ix_membership_search", ["association_id", "search_key"], unique=False,
                              postgresql_using="gin", postgresql_ops={"search_key": "gin_trgm_ops"})


def downgrade():
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index("ix_membership_search", postgresql_using="gin",
                            postgresql_ops={"search_key": "gin_trgm_ops"})
        batch_op.drop_column("search_key")
