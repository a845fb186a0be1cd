"""`python -m app.seeding [--if-empty]`: validate seed/ and load it into DATABASE_URL."""

from __future__ import annotations

import argparse
import sys

from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import make_engine
from app.seeding.database import (
    bump_directory_version,
    database_is_empty,
    load_rules_into_database,
    load_seed_into_database,
    rules_table_is_empty,
)
from app.seeding.loader import SeedError, read_seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.seeding")
    parser.add_argument("--if-empty", action="store_true", help="only seed an empty database")
    parser.add_argument("--check", action="store_true", help="validate the seed, write nothing")
    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        bundle = read_seed(settings.SEED_DIR)
    except SeedError as exc:
        print(f"seed error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print("seed is valid")
        return 0
    with Session(make_engine(get_settings().DATABASE_URL)) as session:
        if args.if_empty and not database_is_empty(session):
            if rules_table_is_empty(session):
                # A database seeded before the rules moved into it (migration 0003).
                counts = load_rules_into_database(session, bundle)
                bump_directory_version(session)
                session.commit()
                print("seeded matcher rules: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
                return 0
            print("database already seeded; nothing to do")
            return 0
        counts = load_seed_into_database(session, bundle)
        session.commit()
    print("seeded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
