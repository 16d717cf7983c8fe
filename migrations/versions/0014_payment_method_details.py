"""payment method details: the card's brand and last 4 (a bank debit's bank name and last 4) stored when a payment
is charged, and the debtor's own request for a receipt (CEASE-3)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_brand', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('card_last4', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('bank_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('bank_last4', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('receipt_request_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('receipt_requested_at', app.models.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('receipt_requested_at')
        batch_op.drop_column('receipt_request_id')
        batch_op.drop_column('bank_last4')
        batch_op.drop_column('bank_name')
        batch_op.drop_column('card_last4')
        batch_op.drop_column('card_brand')
