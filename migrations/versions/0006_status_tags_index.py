"""One GIN index over (business, status, tags) for the grid's status + tag filter (PostgreSQL, btree_gin):
a single index scan instead of ANDing a status bitmap with a tag bitmap over every business's accounts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 03:20:00

"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

INDEXES = {
    "ix_pg_accounts_business_status_tags": "ON accounts USING gin (business_id, status, tags)",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
