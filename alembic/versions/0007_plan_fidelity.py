"""plan fidelity: schedule entries say they are inferred (and carry a note); actions carry notes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('schedule_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inferred', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True))
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_column('notes')
    with op.batch_alter_table('schedule_entry', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('inferred')
