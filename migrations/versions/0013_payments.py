"""payments: receipt numbers per business, the account's Stripe customer, what a payment needs to be applied once
(idempotency key, settled time, balance after, failure code, the payer's address for ACH mandates), and an index
for the payments in flight on an account

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_number_seq', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_customer_id', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_accounts_stripe_customer_id'), ['stripe_customer_id'], unique=False)

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure_code', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('succeeded_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('balance_after', app.models.types.Money(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('payer_ip', sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column('payer_user_agent', sa.Text(), nullable=True))
        batch_op.create_index('ix_payments_account_id_status', ['account_id', 'status'], unique=False)
        batch_op.create_index('ix_payments_business_id_receipt_number', ['business_id', 'receipt_number'],
                              unique=True, sqlite_where=sa.text('receipt_number IS NOT NULL'),
                              postgresql_where=sa.text('receipt_number IS NOT NULL'))
        batch_op.create_index('ix_payments_account_id_idempotency_key', ['account_id', 'idempotency_key'],
                              unique=True, sqlite_where=sa.text('idempotency_key IS NOT NULL'),
                              postgresql_where=sa.text('idempotency_key IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_account_id_idempotency_key',
                            sqlite_where=sa.text('idempotency_key IS NOT NULL'),
                            postgresql_where=sa.text('idempotency_key IS NOT NULL'))
        batch_op.drop_index('ix_payments_business_id_receipt_number',
                            sqlite_where=sa.text('receipt_number IS NOT NULL'),
                            postgresql_where=sa.text('receipt_number IS NOT NULL'))
        batch_op.drop_index('ix_payments_account_id_status')
        batch_op.drop_column('payer_user_agent')
        batch_op.drop_column('payer_ip')
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('balance_after')
        batch_op.drop_column('succeeded_at')
        batch_op.drop_column('failure_code')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_stripe_customer_id'))
        batch_op.drop_column('stripe_customer_id')

    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_column('receipt_number_seq')
