"""phones through phonenumbers (overseas country codes), a folded search key on beneficiary files

Revision ID: 0009_phones_search_keys
Revises: 0008_status_checks
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

from intranet.beneficiaries.models import beneficiary_search_key
from intranet.phones import normalize_phone
from intranet.values import InvalidValue


# revision identifiers, used by Alembic.
revision = "0009_phones_search_keys"
down_revision = "0008_status_checks"
branch_labels = None
depends_on = None

BATCH = 1000
beneficiary = sa.table("beneficiary", sa.column("id", sa.Integer()), sa.column("first_name", sa.String()),
                       sa.column("last_name", sa.String()), sa.column("commune", sa.String()),
                       sa.column("email", sa.String()), sa.column("phone", sa.String()),
                       sa.column("search_key", sa.Text()))


def renormalised(stored: str) -> str:
    """The stored phone read again by today's rule; a value it cannot read stays as it was.

    The former rule turned every 0X XX XX XX XX into +33, overseas numbers included
    (0692 12 34 56 became +33692123456): those are read again as the national numbers they were typed as.
    """
    typed = "0" + stored[3:] if stored.startswith("+33") else stored
    for candidate in (typed, stored):
        try:
            return normalize_phone(candidate)
        except InvalidValue:
            continue
    return stored


def upgrade():
    with op.batch_alter_table("beneficiary", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_key", sa.Text(), server_default="", nullable=False))

    bind = op.get_bind()
    last_id = 0
    while True:
        rows = bind.execute(sa.select(beneficiary).where(beneficiary.c.id > last_id)
                            .order_by(beneficiary.c.id).limit(BATCH)).mappings().all()
        if not rows:
            break
        changes = []
        for row in rows:
            values = dict(row)
            values["phone"] = renormalised(row["phone"]) if row["phone"] else ""
            changes.append({"row_id": row["id"], "new_phone": values["phone"],
                            "new_search_key": beneficiary_search_key(values)})
        bind.execute(beneficiary.update().where(beneficiary.c.id == sa.bindparam("row_id"))
                     .values(phone=sa.bindparam("new_phone"), search_key=sa.bindparam("new_search_key")), changes)
        last_id = rows[-1]["id"]

    if bind.dialect.name == "postgresql":
        # Trusted extensions (PostgreSQL 13+): the database owner may create them, no superuser needed.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    # SQLite: a b-tree its LIKE '%…%' scans without reading the table; PostgreSQL: a trigram GIN index.
    op.create_index("ix_beneficiary_association_search", "beneficiary", ["association_id", "search_key"],
                    unique=False, postgresql_using="gin", postgresql_ops={"search_key": "gin_trgm_ops"})


def downgrade():
    op.drop_index("ix_beneficiary_association_search", table_name="beneficiary")
    with op.batch_alter_table("beneficiary", schema=None) as batch_op:
        batch_op.drop_column("search_key")
