"""Accounts remember the import batch that created them, so a batch writes one audit row naming its accounts
instead of one row per account (the account file's trail finds it by this id).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 04:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Uuid(), nullable=True))


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('import_batch_id')
