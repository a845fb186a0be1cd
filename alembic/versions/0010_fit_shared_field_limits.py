"""fit stored values to the shared field limits (contact point as_of <= 40, agency category <= 80)

The answers are now built from the same field classes as the requests (ContactPointFields,
AgencyFields), which check these lengths. The columns always had them, but SQLite does not
enforce a VARCHAR length and the API used to accept longer values, so an older SQLite database
may hold some; they are cut to the column's length here rather than fail an answer later.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE contact_point SET as_of = substr(as_of, 1, 40) WHERE length(as_of) > 40")
    op.execute("UPDATE agency SET category = substr(category, 1, 80) WHERE length(category) > 80")


def downgrade() -> None:
    pass  # what was cut is not restored
