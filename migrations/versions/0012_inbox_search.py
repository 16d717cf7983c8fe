"""Indexes that keep the inbox list fast at 10,000 open conversations (PostgreSQL): the list's order (latest
activity first, the id as tie-break), a trigram index on message text for the inbox search, each conversation's
messages in time order (the row's last-message preview and the thread), and the few deleted accounts (so the view
totals leave their conversations out without joining every account).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 10:30:00

"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Named ix_pg_*: PostgreSQL-only, left out of model comparisons (migrations/env.py) and schema parity tests. SQLite
# keeps the model's indexes: the embedded database never holds an inbox this size.
INDEXES = {
    "ix_pg_conversations_business_activity":
        "ON conversations (business_id, last_message_at DESC NULLS LAST, id DESC)",
    "ix_pg_messages_content_trgm": "ON messages USING gin (lower(content) gin_trgm_ops)",
    "ix_pg_messages_conversation_created": "ON messages (conversation_id, created_at DESC, id DESC)",
    "ix_pg_accounts_deleted": "ON accounts (business_id, id) WHERE deleted_at IS NOT NULL",
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
