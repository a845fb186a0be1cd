"""agency_municipality: the 市町 a local office serves

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'agency_municipality',
        sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('municipality_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code']),
        sa.PrimaryKeyConstraint('agency_id', 'municipality_code'),
    )
    with op.batch_alter_table('agency_municipality', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_municipality_municipality_code'), ['municipality_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agency_municipality', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_municipality_municipality_code'))
    op.drop_table('agency_municipality')
