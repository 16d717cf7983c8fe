"""Grid sort indexes end with the id, the page order's tie-break: an import gives thousands of accounts one
created_at, and without the id in the index the first page of them is a sort of them all.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 04:45:00

"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

INDEXES = {
    "ix_pg_accounts_business_balance_id": "ON accounts (business_id, current_balance, id)",
    "ix_pg_accounts_business_due_date_id": "ON accounts (business_id, due_date, id)",
}
REPLACED = {
    "ix_pg_accounts_business_balance": "ON accounts (business_id, current_balance)",
    "ix_pg_accounts_business_due_date": "ON accounts (business_id, due_date)",
}


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_accounts_business_id_created_at')
        batch_op.create_index('ix_accounts_business_id_created_at_id', ['business_id', 'created_at', 'id'],
                              unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")
    for name in REPLACED:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, definition in REPLACED.items():
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")
        for name in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_accounts_business_id_created_at_id')
        batch_op.create_index('ix_accounts_business_id_created_at', ['business_id', 'created_at'], unique=False)
