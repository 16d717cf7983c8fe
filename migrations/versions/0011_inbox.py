"""inbox: availability, skills and capacity, round robin, escalation, notification links

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 09:34:19.850539

"""
from alembic import op
import sqlalchemy as sa

from sqlalchemy.dialects import postgresql

import app.models.types

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_assigned_agent_id', sa.Uuid(), nullable=True))

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalated_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalation_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', app.models.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conversation_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('emailed_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_conversation_id_conversations'), 'conversations', ['conversation_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('availability', sa.String(length=20), server_default='offline', nullable=False))
        batch_op.add_column(sa.Column('availability_changed_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('availability_source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('max_open_conversations', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('max_open_conversations')
        batch_op.drop_column('skills')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('availability_source')
        batch_op.drop_column('availability_changed_at')
        batch_op.drop_column('availability')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_conversation_id_conversations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notifications_conversation_id'))
        batch_op.drop_column('emailed_at')
        batch_op.drop_column('conversation_id')

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('escalation_reason')
        batch_op.drop_column('escalated_at')

    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_column('last_assigned_agent_id')

