"""Indexes that keep the account grid fast at a million rows (PostgreSQL): trigram full-name search,
lower(email), second phone, balance sort.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 02:45:00

"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Named ix_pg_*: PostgreSQL-only, left out of model comparisons (migrations/env.py) and schema parity tests.
INDEXES = {
    "ix_pg_accounts_name_trgm": "ON accounts USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops)",
    "ix_pg_accounts_email_lower": "ON accounts (business_id, lower(email))",
    "ix_pg_accounts_phone_secondary": "ON accounts (business_id, phone_secondary)",
    "ix_pg_accounts_business_balance": "ON accounts (business_id, current_balance)",
    "ix_pg_accounts_business_due_date": "ON accounts (business_id, due_date)",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
