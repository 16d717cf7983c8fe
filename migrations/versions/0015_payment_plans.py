"""payment plans: the schedules a reschedule replaced (kept on the plan), the anchor the current schedule's dates
count from, and one open plan (pending, active or paused) per account

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 10:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OPEN = "status IN ('pending', 'active', 'paused')"


def upgrade():
    with op.batch_alter_table('payment_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_versions', sa.JSON().with_variant(
            postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('schedule_anchor', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('schedule_anchor_number', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_payment_plans_one_open_per_account', ['account_id'], unique=True,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('payment_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_plans_one_open_per_account')
        batch_op.drop_column('schedule_anchor_number')
        batch_op.drop_column('schedule_anchor')
        batch_op.drop_column('schedule_versions')
