"""kpi actuals: yearly values of the plan's KPIs (進行管理), and how each KPI reads them

kpi gains how its actuals meet its target (accumulation, value_kind and, for a total over the
plan period, the period's first and last fiscal year) and the needs whose completed referrals
the service counts beside it. A database seeded before this revision is given the values that
seed/kpis.yaml now states for the 13 KPIs of the plan (an unknown KPI keeps the defaults: each
year's value on its own, a count), so it needs no reseeding. kpi_actual holds one value per KPI
and fiscal year, recorded by an admin.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAN_PERIOD = (2013, 2016)  # H25～H28
# id: (accumulation, value_kind, period), as in seed/kpis.yaml
KPIS = {
    'industrial-shipments': ('annual', 'amount', None),
    'new-investment-indicator': ('period_total', 'integer', PLAN_PERIOD),
    'new-employment': ('period_total', 'integer', PLAN_PERIOD),
    'medical-commercialisation': ('period_total', 'integer', PLAN_PERIOD),
    'environment-energy-commercialisation': ('period_total', 'integer', PLAN_PERIOD),
    'hydrogen-commercialisation': ('period_total', 'integer', PLAN_PERIOD),
    'new-investment-count': ('period_total', 'integer', PLAN_PERIOD),
    'startups-supported': ('annual', 'integer', None),
    'management-innovation-achievers': ('running_total', 'integer', None),
    'dream-fund-investments': ('period_total', 'integer', PLAN_PERIOD),
    'brand-technology-plan-achievement': ('annual', 'percent', None),
    'regional-resource-plans': ('running_total', 'integer', None),
    'agri-commerce-plans': ('running_total', 'integer', None),
}
OBSERVED = {'startups-supported': ['start-business']}


def upgrade() -> None:
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accumulation', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='annual'))
        batch_op.add_column(sa.Column('value_kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='integer'))
        batch_op.add_column(sa.Column('period_start_fiscal_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('period_end_fiscal_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('observed_need_ids', sa.JSON(), nullable=True))

    kpi = sa.table(
        'kpi',
        sa.column('id', sa.String),
        sa.column('accumulation', sa.String),
        sa.column('value_kind', sa.String),
        sa.column('period_start_fiscal_year', sa.Integer),
        sa.column('period_end_fiscal_year', sa.Integer),
        sa.column('observed_need_ids', sa.JSON),
    )
    for kpi_id, (accumulation, value_kind, period) in KPIS.items():
        op.execute(
            kpi.update()
            .where(kpi.c.id == kpi_id)
            .values(
                accumulation=accumulation,
                value_kind=value_kind,
                period_start_fiscal_year=period[0] if period else None,
                period_end_fiscal_year=period[1] if period else None,
                observed_need_ids=OBSERVED.get(kpi_id),
            )
        )

    op.create_table('kpi_actual',
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('kpi_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpi.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kpi_id', 'fiscal_year')
    )


def downgrade() -> None:
    op.drop_table('kpi_actual')
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.drop_column('observed_need_ids')
        batch_op.drop_column('period_end_fiscal_year')
        batch_op.drop_column('period_start_fiscal_year')
        batch_op.drop_column('value_kind')
        batch_op.drop_column('accumulation')
