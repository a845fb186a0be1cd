"""A replaced directory is freed at once: it holds no reference cycles (the cyclic collector is
kept off it with gc.freeze, see app/services/snapshot.py), and the matcher's lookups live on
the snapshot, not in a cache that would keep old snapshots of 100k contact points alive."""

from __future__ import annotations

import gc
import weakref

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import get_settings
from app.matching import match_need
from app.services.matching import matcher_builder
from app.services.snapshot import build_directory


def test_a_replaced_directory_is_freed_without_a_collection(engine: Engine) -> None:
    builders = [matcher_builder(get_settings().SEED_DIR)]
    with Session(engine) as session:
        old = build_directory(session, builders)
    match_need("創業したいので融資も受けたい", old.extras["compiled_rules"], old.snapshot)
    parts = [old, old.snapshot, old.listings, old.extras["matcher"], old.programme_index]
    refs = [weakref.ref(p) for p in parts]
    del parts
    gc.disable()
    try:
        with Session(engine) as session:
            new = build_directory(session, builders)
        del old
        alive = [type(r()).__name__ for r in refs if r() is not None]
        assert alive == [], f"kept alive without a garbage collection: {alive}"
    finally:
        gc.enable()
    assert new.snapshot.derived["index"] is not None  # the new one has its own lookups


def test_frozen_objects_do_not_pile_up_over_rebuilds(engine: Engine) -> None:
    """Each new directory is settled (collected, then frozen) with its build's session closed:
    what stays frozen is what is alive, so rebuild after rebuild the count stays level."""
    from app.seeding.database import bump_directory_version
    from app.services.snapshot import DirectoryCache

    cache = DirectoryCache(lambda: Session(engine), 0, [matcher_builder(get_settings().SEED_DIR)])
    cache.load()

    def rebuild() -> int:
        with Session(engine) as session:
            bump_directory_version(session)  # no audit entry: a full rebuild
            session.commit()
        cache.refresh_now()
        return gc.get_freeze_count()

    first = rebuild()
    counts = [rebuild() for _ in range(4)]
    # about ±100 objects from one rebuild to the next; a leak of the build's session and its
    # cycles (about a thousand objects a rebuild) would climb past this
    assert max(counts) - first < 1000, (first, counts)
