"""national subsidies from jGrants; programmes say their source year and whether confirmed

- national_programme: the jGrants subsidies open to 山口県 or the whole country, as of the last
  good sync (replaced as a whole by each sync); national_sync_run: every sync attempt.
- programme.as_of: the year of the programme's source. Programmes already in the database that
  were not created through the API (no `create` audit entry) come from the 2013 plan: 2013.
- programme.status_confirmed_at: when an editor last confirmed the programme. NULL for all
  here: edits made before this migration did not mean to confirm anything.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'national_programme',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('use_purposes', sa.JSON(), nullable=False),
        sa.Column('target_areas', sa.JSON(), nullable=False),
        sa.Column('target_employees', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('max_amount', sa.BigInteger(), nullable=True),
        sa.Column('acceptance_start', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acceptance_end', sa.DateTime(timezone=True), nullable=True),
        sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'national_sync_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('requests', sa.Integer(), nullable=False),
        sa.Column('kept', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('programme') as batch:
        batch.add_column(sa.Column('as_of', sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column('status_confirmed_at', sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE programme SET as_of = 2013 WHERE id NOT IN ("
        "SELECT entity_id FROM audit_entry WHERE entity_type = 'programme' AND action = 'create')"
    )


def downgrade() -> None:
    with op.batch_alter_table('programme') as batch:
        batch.drop_column('status_confirmed_at')
        batch.drop_column('as_of')
    op.drop_table('national_sync_run')
    op.drop_table('national_programme')
