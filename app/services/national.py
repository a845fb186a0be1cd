"""The national subsidies: synced from jGrants into `national_programme`, in stages.

1. ``harvest``: every list query the sync needs (each jGrants use purpose x 山口県 / 全国 x each
   keyword, accepting applications now), the use purposes of each subsidy being those whose
   query returned it. Any failed query (no answer, timeout, an error status, not the documented
   JSON) stops the sync: nothing is stored.
2. ``in_area``: only the subsidies whose own target area names 山口県 or 全国 are kept.
3. ``replace``: all rows replaced in one transaction with the directory version moved on (every
   worker then rebuilds its in-memory snapshot, from which /v1/match picks them), or none.
Every attempt, failed or not, is a row of `national_sync_run` and a log line. Running the sync
twice against the same answers leaves the same rows (with the later fetch time).

`make sync-national` (python -m app.cli national sync) runs it once; with NATIONAL_SYNC_HOURS
set, each worker's background thread (``NationalSyncScheduler``, started in the app's lifespan)
runs it when the last attempt by any worker is older than that. Never on a request path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.matching.rules import JGRANTS_USE_PURPOSES
from app.matching.status import as_utc
from app.models import NationalProgramme, NationalSyncRun
from app.models.common import utcnow
from app.seeding.database import bump_directory_version
from app.services.jgrants import JGrantsClient, JGrantsError, Subsidy

log = logging.getLogger("madoguchi.national")

# The areas asked for and kept: subsidies open to Yamaguchi Prefecture or to the whole country.
AREAS = ("山口県", "全国")
# After a failed attempt the next one comes sooner than the interval (but not sooner than this).
RETRY_AFTER_FAILURE = timedelta(minutes=30)
# How often a worker's scheduler asks the database whether a sync is due.
CHECK_SECONDS = 300.0

Clock = Callable[[], datetime]


@dataclass
class Harvest:
    """What the list queries brought: each subsidy once, with the use purposes it was found by."""

    subsidies: dict[str, Subsidy] = field(default_factory=dict)
    purposes: dict[str, list[str]] = field(default_factory=dict)
    requests: int = 0
    unreadable: set[str] = field(default_factory=set)  # by id; those without one, one each


@dataclass(frozen=True)
class SyncOutcome:
    ok: bool
    started_at: datetime
    finished_at: datetime
    requests: int = 0
    kept: int = 0
    skipped: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "requests": self.requests,
            "kept": self.kept,
            "skipped": self.skipped,
            "error": self.error,
        }


def harvest(client: JGrantsClient, keywords: Iterable[str]) -> Harvest:
    """Stage 1: every query, in a fixed order; the first failure raises JGrantsError."""
    found = Harvest()
    words = list(keywords)
    for purpose in JGRANTS_USE_PURPOSES:
        for area in AREAS:
            for keyword in words:
                answer = client.accepting(keyword, purpose, area)
                found.requests += 1
                for key in answer.unreadable:
                    found.unreadable.add(key or f"#{len(found.unreadable)}")
                for s in answer.subsidies:
                    found.subsidies[s.id] = s
                    purposes = found.purposes.setdefault(s.id, [])
                    if purpose not in purposes:
                        purposes.append(purpose)
    return found


def in_area(found: Harvest, fetched_at: datetime) -> tuple[list[NationalProgramme], int]:
    """Stage 2: the rows to store (subsidies whose target area names 山口県 or 全国) and how
    many were dropped (another area, no area, or unreadable)."""
    rows: list[NationalProgramme] = []
    dropped = len(found.unreadable - found.subsidies.keys())
    for sid in sorted(found.subsidies):
        s = found.subsidies[sid]
        if not set(s.target_areas) & set(AREAS):
            dropped += 1
            continue
        rows.append(
            NationalProgramme(
                id=s.id,
                number=s.number,
                title=s.title,
                source_url=s.source_url,
                use_purposes=found.purposes[sid],
                target_areas=list(s.target_areas),
                target_employees=s.target_employees,
                max_amount=s.max_amount,
                acceptance_start=s.acceptance_start,
                acceptance_end=s.acceptance_end,
                fetched_at=fetched_at,
            )
        )
    return rows, dropped


def replace(session: Session, rows: list[NationalProgramme], run: NationalSyncRun) -> None:
    """Stage 3: the stored subsidies become `rows`, with the run recorded, in one transaction.

    The directory version moves first: its row lock makes a second sync running at the same
    time (another worker, the CLI) wait for this one, then replace what it wrote."""
    try:
        bump_directory_version(session)
        session.execute(delete(NationalProgramme))
        session.add_all(rows)
        session.add(run)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _record_failure(session_factory: Callable[[], Session], run: NationalSyncRun) -> None:
    try:
        with session_factory() as session:
            session.add(run)
            session.commit()
    except Exception as exc:  # the database may be what failed; the log line stays
        log.warning("could not record the failed national sync: %s", type(exc).__name__)


def sync_national(
    session_factory: Callable[[], Session],
    settings: Settings,
    clock: Clock = utcnow,
    transport: httpx.BaseTransport | None = None,
) -> SyncOutcome:
    """One sync: harvest, keep those in the area, replace. A failure (at any stage) keeps the
    stored subsidies as they were and is recorded; it never raises."""
    started = clock()
    source = settings.JGRANTS_BASE_URL
    requests = 0
    try:
        with JGrantsClient(source, settings.JGRANTS_TIMEOUT_SECONDS, transport) as client:
            found = harvest(client, settings.jgrants_keywords)
        requests = found.requests
        fetched_at = clock()
        rows, dropped = in_area(found, fetched_at)
        outcome = SyncOutcome(True, started, fetched_at, requests, len(rows), dropped)
        with session_factory() as session:
            replace(session, rows, _run(outcome, source))
    except Exception as exc:
        error = str(exc) if isinstance(exc, JGrantsError) else f"{type(exc).__name__}: {exc}"
        outcome = SyncOutcome(False, started, clock(), requests, error=error[:1000])
        _record_failure(session_factory, _run(outcome, source))
        log.warning(
            "national sync failed; the last good data stays",
            extra={"fields": {"error": outcome.error}},
        )
        return outcome
    log.info(
        "national sync done",
        extra={"fields": {"kept": outcome.kept, "skipped": outcome.skipped, "requests": requests}},
    )
    return outcome


def _run(outcome: SyncOutcome, source: str) -> NationalSyncRun:
    return NationalSyncRun(
        started_at=outcome.started_at,
        finished_at=outcome.finished_at,
        ok=outcome.ok,
        source=source[:500],
        requests=outcome.requests,
        kept=outcome.kept,
        skipped=outcome.skipped,
        error=outcome.error,
    )


# ---------------------------------------------------------------- schedule


def recent_runs(session: Session, limit: int = 5) -> list[NationalSyncRun]:
    """The last sync attempts, newest first."""
    return list(
        session.exec(select(NationalSyncRun).order_by(col(NationalSyncRun.id).desc()).limit(limit))
    )


def last_run(session: Session) -> NationalSyncRun | None:
    runs = recent_runs(session, 1)
    return runs[0] if runs else None


def sync_due(last: NationalSyncRun | None, now: datetime, hours: float) -> bool:
    """Whether a scheduled sync should run now: never synced, the last good sync older than
    `hours`, or the last attempt failed and is older than RETRY_AFTER_FAILURE (or `hours`)."""
    if hours <= 0:
        return False
    if last is None:
        return True
    interval = timedelta(hours=hours)
    wait = interval if last.ok else min(interval, RETRY_AFTER_FAILURE)
    return as_utc(now) - as_utc(last.started_at) >= wait


def sync_if_due(
    session_factory: Callable[[], Session],
    settings: Settings,
    clock: Clock = utcnow,
    transport: httpx.BaseTransport | None = None,
) -> SyncOutcome | None:
    with session_factory() as session:
        due = sync_due(last_run(session), clock(), settings.NATIONAL_SYNC_HOURS)
    return sync_national(session_factory, settings, clock, transport) if due else None


class NationalSyncScheduler:
    """A worker's background thread that syncs when due (NATIONAL_SYNC_HOURS > 0).

    A daemon thread of its own rather than a task in the request threadpool: a sync makes a few
    dozen HTTP requests, and stopping the app must not wait for them (a sync cut short stores
    nothing). Workers share the schedule through `national_sync_run`: one that finds a recent
    attempt by another skips its turn."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        settings: Settings,
        clock: Clock = utcnow,
        transport: Callable[[], httpx.BaseTransport | None] = lambda: None,
    ) -> None:
        self._session_factory = session_factory
        self._settings = settings
        self._clock = clock
        self._transport = transport
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._settings.NATIONAL_SYNC_HOURS <= 0 or self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="national-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join(timeout=1)

    def _loop(self) -> None:
        every = min(self._settings.NATIONAL_SYNC_HOURS * 3600, CHECK_SECONDS)
        while not self._stopping.is_set():
            try:
                sync_if_due(self._session_factory, self._settings, self._clock, self._transport())
            except Exception as exc:  # the database is away: try again at the next check
                log.warning("national sync check failed: %s", type(exc).__name__)
            self._stopping.wait(every)
