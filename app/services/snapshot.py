"""The in-memory directory: matcher snapshot, compiled rules and search indexes.

Built from the database at startup and rebuilt when `directory_state.version` changes. A worker
asks for the version at most every SNAPSHOT_CHECK_SECONDS, so the hot path costs one cheap query
now and then, and a database outage leaves the last good snapshot serving.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app.matching.snapshot import (
    ActionView,
    AgencyView,
    ContactPointView,
    DirectorySnapshot,
    MunicipalityView,
    NeedView,
    PhoneView,
    ProgrammeView,
    SupportTypeView,
)
from app.models import (
    Action,
    Agency,
    AgencyMunicipality,
    AgencyRole,
    ContactPoint,
    ContactPointMunicipality,
    DirectoryState,
    Municipality,
    Need,
    NeedAction,
    NeedAgency,
    Programme,
    ProgrammeAction,
    ProgrammeOperator,
    ProgrammeSupportType,
    SupportType,
)
from app.models.directory import ContactPointFields
from app.services.search import SearchIndex

log = logging.getLogger("madoguchi.snapshot")


def read_version(session: Session) -> int:
    state = session.get(DirectoryState, 1)
    return state.version if state else 0


def _grouped(rows: Any) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for key, value in rows:
        out[key].append(value)
    return out


# The shared fields of a contact point that the matcher does not read itself: it passes them on.
CONTACT_DETAILS = tuple(
    name
    for name in ContactPointFields.model_fields
    if name not in {f.name for f in dataclasses.fields(ContactPointView)}
)


def view_of(view: Any, row: Any, **named: Any) -> Any:
    """A snapshot view from a table row: every view field that is an attribute of the row under
    the same name, plus `named` for what is stored elsewhere or in another shape (links, renamed
    columns). A field added to the table and the view under one name needs no edit here."""
    values = {
        f.name: getattr(row, f.name)
        for f in dataclasses.fields(view)
        if f.name not in named and hasattr(row, f.name)
    }
    return view(**values, **named)


def build_snapshot(session: Session) -> DirectorySnapshot:
    version = read_version(session)
    roles = _grouped(session.exec(select(AgencyRole.agency_id, AgencyRole.support_type_code)))
    served = _grouped(
        session.exec(select(AgencyMunicipality.agency_id, AgencyMunicipality.municipality_code))
    )
    operators = _grouped(
        session.exec(select(ProgrammeOperator.programme_id, ProgrammeOperator.agency_id))
    )
    prog_actions = _grouped(
        session.exec(select(ProgrammeAction.programme_id, ProgrammeAction.action_number))
    )
    prog_types = _grouped(
        session.exec(
            select(ProgrammeSupportType.programme_id, ProgrammeSupportType.support_type_code)
        )
    )
    need_actions = _grouped(session.exec(select(NeedAction.need_id, NeedAction.action_number)))
    need_agencies = _grouped(
        session.exec(
            select(NeedAgency.need_id, NeedAgency.agency_id).order_by(
                col(NeedAgency.need_id), col(NeedAgency.position)
            )
        )
    )
    cp_municipalities = _grouped(
        session.exec(
            select(
                ContactPointMunicipality.contact_point_id,
                ContactPointMunicipality.municipality_code,
            )
        )
    )
    return DirectorySnapshot(
        version=version,
        support_types=tuple(
            SupportTypeView(s.code, s.name, s.name_en, s.sort_order)
            for s in session.exec(select(SupportType).order_by(col(SupportType.sort_order)))
        ),
        agencies={
            a.id: view_of(
                AgencyView,
                a,
                roles=frozenset(roles.get(a.id, [])),
                municipalities=tuple(sorted(served.get(a.id, []))),
            )
            for a in session.exec(select(Agency).order_by(col(Agency.id)))
        },
        actions={
            a.number: ActionView(a.number, a.title, a.pillar_number)
            for a in session.exec(select(Action).order_by(col(Action.number)))
        },
        programmes={
            g.id: view_of(
                ProgrammeView,
                g,
                operators=tuple(sorted(operators.get(g.id, []))),
                actions=tuple(sorted(prog_actions.get(g.id, []))),
                support_types=tuple(sorted(prog_types.get(g.id, []))),
            )
            for g in session.exec(select(Programme).order_by(col(Programme.id)))
        },
        needs={
            n.id: view_of(
                NeedView,
                n,
                support_type=n.support_type_code,
                actions=tuple(sorted(need_actions.get(n.id, []))),
                agencies=tuple(need_agencies.get(n.id, [])),
                topic=n.topic or n.label,
            )
            for n in session.exec(select(Need).order_by(col(Need.id)))
        },
        contact_points=tuple(
            view_of(
                ContactPointView,
                c,
                phones=tuple(PhoneView(p.get("label"), str(p["number"])) for p in c.phones),
                municipalities=tuple(sorted(cp_municipalities.get(c.id, []))),
                detail_names=CONTACT_DETAILS,
                detail_values=tuple(getattr(c, name) for name in CONTACT_DETAILS),
            )
            for c in session.exec(select(ContactPoint).order_by(col(ContactPoint.id)))
        ),
        municipalities={
            m.code: MunicipalityView(m.code, m.name)
            for m in session.exec(select(Municipality).order_by(col(Municipality.code)))
        },
    )


@dataclass(frozen=True)
class Directory:
    """One consistent generation of everything derived from the database."""

    snapshot: DirectorySnapshot
    agency_index: SearchIndex
    programme_index: SearchIndex
    extras: dict[str, Any]


ExtraBuilder = Callable[[Session, DirectorySnapshot], dict[str, Any]]


def build_directory(session: Session, extra_builders: list[ExtraBuilder]) -> Directory:
    snapshot = build_snapshot(session)
    agency_rows = session.exec(select(Agency)).all()
    programme_rows = session.exec(select(Programme)).all()
    agency_index = SearchIndex(
        (
            a.id,
            " ".join(
                filter(
                    None, [a.name, a.short_name, a.name_en, a.role_label, a.description, *a.aliases]
                )
            ),
        )
        for a in sorted(agency_rows, key=lambda a: a.id)
    )
    programme_index = SearchIndex(
        (g.id, " ".join(filter(None, [g.name, g.description, g.status_note, *g.aliases])))
        for g in sorted(programme_rows, key=lambda g: g.id)
    )
    extras: dict[str, Any] = {}
    for builder in extra_builders:
        extras.update(builder(session, snapshot))
    return Directory(snapshot, agency_index, programme_index, extras)


class DirectoryCache:
    """Holds the current Directory and rebuilds it when the database version moves.

    Started (`start()`, from the app's lifespan), a background thread asks for the version every
    `check_seconds` and rebuilds when it moved, so requests never touch the database and a worker
    that has been idle still answers with an edit at most `check_seconds` + one rebuild old. Not
    started (or with `check_seconds` 0, as the tests use), the check runs on the request path, by
    one thread at a time while the others go on serving the current directory.

    When the database cannot be reached the last directory keeps serving: a warning is logged
    once, checks go on every max(check_seconds, RETRY_MIN_SECONDS), and the first success brings
    the directory up to date. A directory that fails to build for another reason (a bad rule,
    say) is logged and skipped until the version moves again.
    """

    RETRY_MIN_SECONDS = 0.5

    def __init__(
        self,
        session_factory: Callable[[], Session],
        check_seconds: float,
        extra_builders: list[ExtraBuilder] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._check_seconds = check_seconds
        self._extra_builders = extra_builders or []
        self._lock = threading.Lock()
        self._directory: Directory | None = None
        self._next_check = 0.0
        self._unbuildable_version: int | None = None
        self._unreachable_since: float | None = None
        self._stopping = threading.Event()
        self._refresher: threading.Thread | None = None

    def load(self) -> Directory:
        with self._lock:
            with self._session_factory() as session:
                directory = build_directory(session, self._extra_builders)
            self._directory = directory
            self._next_check = time.monotonic() + self._check_seconds
            return directory

    @property
    def loaded(self) -> bool:
        return self._directory is not None

    @property
    def database_unreachable(self) -> bool:
        """True while the last check could not reach the database (the snapshot may be stale)."""
        return self._unreachable_since is not None

    def start(self) -> None:
        """Check for new versions in a background thread (not when check_seconds is 0)."""
        if self._check_seconds <= 0 or self._refresher is not None:
            return
        self._stopping.clear()
        self._refresher = threading.Thread(
            target=self._refresh_loop, name="directory-refresher", daemon=True
        )
        self._refresher.start()

    def stop(self) -> None:
        refresher, self._refresher = self._refresher, None
        if refresher is not None:
            self._stopping.set()
            refresher.join(timeout=30)

    def _refresh_loop(self) -> None:
        while not self._stopping.wait(max(0.0, self._next_check - time.monotonic())):
            with self._lock:
                self._check_locked()

    def current_if_fresh(self) -> Directory | None:
        """The directory when serving it needs no database check now (the background refresher
        runs, or the last check is recent enough); None when `get()` would ask the database."""
        directory = self._directory
        if directory is not None and (
            self._refresher is not None or time.monotonic() < self._next_check
        ):
            return directory
        return None

    def get(self) -> Directory:
        directory = self._directory
        if directory is None:
            return self.load()
        if self._refresher is not None or time.monotonic() < self._next_check:
            return directory
        if not self._lock.acquire(blocking=False):
            return directory  # another thread is checking right now
        try:
            if time.monotonic() >= self._next_check:
                self._check_locked()
        finally:
            self._lock.release()
        return self._directory or directory

    def _check_locked(self) -> None:
        """Rebuild if the version moved; on a database error keep the current directory."""
        try:
            self._refresh_locked()
        except SQLAlchemyError as exc:
            delay = max(self._check_seconds, self.RETRY_MIN_SECONDS)
            self._next_check = time.monotonic() + delay
            if self._unreachable_since is None:
                self._unreachable_since = time.monotonic()
                log.warning(
                    "database unavailable (%s); serving snapshot version %s, retrying every %.1f s",
                    type(exc).__name__,
                    self._directory.snapshot.version if self._directory else None,
                    delay,
                )
            return
        except Exception:  # never let the refresher thread die
            self._next_check = time.monotonic() + max(self._check_seconds, 1.0)
            log.exception("directory check failed")
            return
        self._next_check = time.monotonic() + self._check_seconds
        if self._unreachable_since is not None:
            log.warning(
                "database reachable again after %.1f s; serving snapshot version %s",
                time.monotonic() - self._unreachable_since,
                self._directory.snapshot.version if self._directory else None,
            )
            self._unreachable_since = None

    def _refresh_locked(self) -> None:
        with self._session_factory() as session:
            version = read_version(session)
            current = self._directory
            if current is not None and version == current.snapshot.version:
                return
            if version == self._unbuildable_version:
                return
            started = time.perf_counter()
            try:
                directory = build_directory(session, self._extra_builders)
            except SQLAlchemyError:
                raise
            except Exception:
                self._unbuildable_version = version
                log.exception(
                    "directory version %s cannot be built; still serving version %s",
                    version,
                    current.snapshot.version if current else None,
                )
                return
            self._directory = directory
            self._unbuildable_version = None
            log.info(
                "directory snapshot rebuilt at version %s in %.0f ms",
                version,
                (time.perf_counter() - started) * 1000,
            )

    def invalidate(self) -> None:
        self._next_check = 0.0

    def refresh_now(self) -> None:
        """Bring this worker up to the database's version before returning (read your writes:
        the editor's next request on this worker sees the edit; other workers follow within one
        check interval)."""
        with self._lock:
            self._check_locked()
