"""payment plan change requests (a debtor's date change, amount change or hardship pause, decided by staff), one
pending per plan, and the day a paused plan resumes

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

PENDING = "status = 'pending'"


def upgrade():
    with op.batch_alter_table('payment_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_until', sa.Date(), nullable=True))

    op.create_table(
        'payment_plan_change_requests',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('business_id', sa.Uuid(), nullable=False),
        sa.Column('plan_id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('requested_date', sa.Date(), nullable=True),
        sa.Column('requested_amount', app.models.types.Money(precision=12, scale=2), nullable=True),
        sa.Column('requested_count', sa.Integer(), nullable=True),
        sa.Column('pause_periods', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('decided_by_id', sa.Uuid(), nullable=True),
        sa.Column('decided_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.Column('plan_version', sa.Integer(), nullable=True),
        sa.Column('resumes_on', sa.Date(), nullable=True),
        sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_payment_plan_change_requests_account_id_accounts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['business_id'], ['businesses.id'],
                                name=op.f('fk_payment_plan_change_requests_business_id_businesses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_payment_plan_change_requests_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['plan_id'], ['payment_plans.id'],
                                name=op.f('fk_payment_plan_change_requests_plan_id_payment_plans'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_plan_change_requests')),
    )
    with op.batch_alter_table('payment_plan_change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_plan_change_requests_business_id'), ['business_id'])
        batch_op.create_index(batch_op.f('ix_payment_plan_change_requests_plan_id'), ['plan_id'])
        batch_op.create_index(batch_op.f('ix_payment_plan_change_requests_account_id'), ['account_id'])
        batch_op.create_index('ix_payment_plan_change_requests_business_id_status',
                              ['business_id', 'status', 'created_at'])
        batch_op.create_index('ix_payment_plan_change_requests_one_pending_per_plan', ['plan_id'], unique=True,
                              sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))


def downgrade():
    op.drop_table('payment_plan_change_requests')
    with op.batch_alter_table('payment_plans', schema=None) as batch_op:
        batch_op.drop_column('paused_until')
