"""line_event: webhook event ids already answered (a replayed body is ignored)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'line_event',
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('event_id'),
    )
    with op.batch_alter_table('line_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_line_event_seen_at'), ['seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('line_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_line_event_seen_at'))
    op.drop_table('line_event')
