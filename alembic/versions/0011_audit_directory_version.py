"""audit_entry.directory_version: the directory version each edit produced

A worker that sees the directory version move reads the audit entries of the versions it
missed: when they are all edits of programmes or contact points, it reloads only those rows
instead of the whole directory (app/services/snapshot.py). Older entries keep NULL.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("directory_version", sa.Integer(), nullable=True))
        batch.create_index("ix_audit_entry_directory_version", ["directory_version"])


def downgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_index("ix_audit_entry_directory_version")
        batch.drop_column("directory_version")
