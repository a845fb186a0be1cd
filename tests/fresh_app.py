"""An app on a database of its own: a fresh SQLite file, migrated and seeded.

For tests that must not share the session database: fuzzing (its writes would disturb other
tests) and comparisons with the pristine seed (other tests edit the session database).
Always SQLite, even when TEST_DATABASE_URL points the suite at a shared PostgreSQL.
"""

from app.devtools.fresh import seeded_app

__all__ = ["seeded_app"]
