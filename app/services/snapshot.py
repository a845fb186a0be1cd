"""The in-memory directory: matcher snapshot, compiled rules and search indexes.

Built from the database at startup and rebuilt when `directory_state.version` changes. A worker
asks for the version at most every SNAPSHOT_CHECK_SECONDS, so the hot path costs one cheap query
now and then, and a database outage leaves the last good snapshot serving.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app.matching.matcher import snapshot_index
from app.matching.national import NationalProgrammeView
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
    AuditEntry,
    ContactPoint,
    ContactPointMunicipality,
    DirectoryState,
    Measure,
    Municipality,
    NationalProgramme,
    Need,
    NeedAction,
    NeedAgency,
    Programme,
    ProgrammeAction,
    ProgrammeMeasure,
    ProgrammeOperator,
    ProgrammeSupportType,
    SupportType,
)
from app.models.directory import ContactPointFields
from app.models.programmes import ProgrammeFields
from app.services.listings import Listings
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


def _details(fields: Any, view: Any) -> tuple[str, ...]:
    """The shared fields of an entity that its view does not type: carried as its details."""
    typed = {f.name for f in dataclasses.fields(view)}
    return tuple(name for name in fields.model_fields if name not in typed)


# What the matcher does not read itself of a contact point (it passes them on) or a programme.
CONTACT_DETAILS = _details(ContactPointFields, ContactPointView)
PROGRAMME_DETAILS = _details(ProgrammeFields, ProgrammeView)


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


class _Shared:
    """One object for equal values during a build (a source, hours, a list of 市町 repeat over
    thousands of contact points): the snapshot holds each once. Dropped after the build."""

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        return self._seen.setdefault(value, value) if value.__class__ is str else value

    def all(self, values: Any) -> tuple[Any, ...]:
        """A tuple of strings or numbers (never bools: (1,) == (True,)), shared as a whole."""
        found = tuple(values)
        return self._seen.setdefault(found, found)

    def each(self, values: Any) -> tuple[Any, ...]:
        """A tuple of its own, with each string in it shared."""
        seen = self._seen
        return tuple(seen.setdefault(v, v) if v.__class__ is str else v for v in values)


ROW_BATCH = 5000


class _Rows:
    """Views from the plain rows of a large table, read by column position: attribute access on
    a row, and ORM objects even more so, cost several times as much for 100k contact points.
    Every view field that is a column under the same name is taken as it is (a field added to
    the table and the view under one name needs no edit here); `named` ones are given by the
    caller; `details` are the shared fields the view does not type."""

    def __init__(self, view: Any, table: Any, named: set[str], details: tuple[str, ...]) -> None:
        self.table = table.__table__
        self.pos = {c.name: i for i, c in enumerate(self.table.columns)}
        self.direct = [
            (f.name, self.pos[f.name])
            for f in dataclasses.fields(view)
            if f.name in self.pos and f.name not in named and f.name not in details
        ]
        self.detail_pos = [self.pos[name] for name in details]

    def rows(self, session: Session, ids: Collection[str] | None = None) -> Any:
        stmt = select(*self.table.columns).order_by(self.table.c.id)
        if ids is not None:
            stmt = stmt.where(self.table.c.id.in_(list(ids)))
        # in batches (a server-side cursor on PostgreSQL): 100k rows never sit in memory at once
        return session.connection().execute(stmt.execution_options(yield_per=ROW_BATCH))

    def values(self, row: Any) -> dict[str, Any]:
        return {name: row[i] for name, i in self.direct}

    def details(self, row: Any, shared: _Shared) -> tuple[Any, ...]:
        return shared.each(row[i] for i in self.detail_pos)


_PROGRAMMES = _Rows(
    ProgrammeView,
    Programme,
    {"operators", "actions", "support_types", "aliases", "measures"},
    PROGRAMME_DETAILS,
)
_CONTACTS = _Rows(
    ContactPointView, ContactPoint, {"agency_id", "phones", "municipalities"}, CONTACT_DETAILS
)


def _links(session: Session, key: Any, value: Any, ids: Collection[str] | None) -> Any:
    """(row id, linked value) pairs of a link table, for the rows `ids` or for all."""
    stmt = select(key, value)
    if ids is not None:
        stmt = stmt.where(col(key).in_(list(ids)))
    return _grouped(session.exec(stmt))


def _programme_views(
    session: Session, shared: _Shared, ids: Collection[str] | None = None
) -> dict[str, ProgrammeView]:
    """The views of every programme, or of those `ids` that still exist."""
    operators = _links(session, ProgrammeOperator.programme_id, ProgrammeOperator.agency_id, ids)
    actions = _links(session, ProgrammeAction.programme_id, ProgrammeAction.action_number, ids)
    types = _links(
        session, ProgrammeSupportType.programme_id, ProgrammeSupportType.support_type_code, ids
    )
    measure_rows = (
        select(ProgrammeMeasure.programme_id, Measure.action_number, Measure.number)
        .join(Measure, col(Measure.id) == col(ProgrammeMeasure.measure_id))
        .order_by(col(Measure.action_number), col(Measure.number))
    )
    if ids is not None:
        measure_rows = measure_rows.where(col(ProgrammeMeasure.programme_id).in_(list(ids)))
    measures = _grouped((pid, f"{a}.{n}") for pid, a, n in session.exec(measure_rows))
    t = _PROGRAMMES
    aliases = t.pos["aliases"]
    out: dict[str, ProgrammeView] = {}
    for row in t.rows(session, ids):
        values = t.values(row)
        pid = values["id"]
        values["kind"] = shared(values["kind"])
        values["source_section"] = shared(values["source_section"])
        out[pid] = ProgrammeView(
            **values,
            operators=shared.all(sorted(operators.get(pid, []))),
            actions=shared.all(sorted(actions.get(pid, []))),
            support_types=shared.all(sorted(types.get(pid, []))),
            aliases=tuple(row[aliases]),
            measures=shared.all(measures.get(pid, [])),
            detail_names=PROGRAMME_DETAILS,
            detail_values=t.details(row, shared),
        )
    return out


def _contact_views(
    session: Session, shared: _Shared, ids: Collection[str] | None = None
) -> dict[str, ContactPointView]:
    """The views of every contact point (in id order), or of those `ids` that still exist."""
    municipalities = _links(
        session,
        ContactPointMunicipality.contact_point_id,
        ContactPointMunicipality.municipality_code,
        ids,
    )
    t = _CONTACTS
    agency, phones = t.pos["agency_id"], t.pos["phones"]
    out: dict[str, ContactPointView] = {}
    for row in t.rows(session, ids):
        values = t.values(row)
        values["programme_id"] = shared(values["programme_id"])
        out[values["id"]] = ContactPointView(
            **values,
            agency_id=shared(row[agency]),
            phones=tuple(PhoneView(shared(p.get("label")), str(p["number"])) for p in row[phones]),
            municipalities=shared.all(sorted(municipalities.get(values["id"], []))),
            detail_names=CONTACT_DETAILS,
            detail_values=t.details(row, shared),
        )
    return out


def _national_views(session: Session) -> tuple[NationalProgrammeView, ...]:
    """The synced jGrants subsidies (app/services/national.py), closing soonest first."""
    rows = session.exec(
        select(NationalProgramme).order_by(
            col(NationalProgramme.acceptance_end), col(NationalProgramme.id)
        )
    )
    return tuple(
        view_of(
            NationalProgrammeView,
            n,
            use_purposes=tuple(n.use_purposes),
            target_areas=tuple(n.target_areas),
        )
        for n in rows
    )


def build_snapshot(session: Session) -> DirectorySnapshot:
    version = read_version(session)
    shared = _Shared()
    roles = _grouped(session.exec(select(AgencyRole.agency_id, AgencyRole.support_type_code)))
    served = _grouped(
        session.exec(select(AgencyMunicipality.agency_id, AgencyMunicipality.municipality_code))
    )
    need_actions = _grouped(session.exec(select(NeedAction.need_id, NeedAction.action_number)))
    need_agencies = _grouped(
        session.exec(
            select(NeedAgency.need_id, NeedAgency.agency_id).order_by(
                col(NeedAgency.need_id), col(NeedAgency.position)
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
        programmes=_programme_views(session, shared),
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
        contact_points=tuple(_contact_views(session, shared).values()),
        municipalities={
            m.code: MunicipalityView(m.code, m.name)
            for m in session.exec(select(Municipality).order_by(col(Municipality.code)))
        },
        national_programmes=_national_views(session),
    )


@dataclass(frozen=True)
class Directory:
    """One consistent generation of everything derived from the database."""

    snapshot: DirectorySnapshot
    agency_index: SearchIndex
    programme_index: SearchIndex
    extras: dict[str, Any]
    listings: Listings
    patched: bool = False  # the previous generation with some rows read again, not a full build


# What else a generation holds (the compiled matcher): built from the session and the snapshot;
# on a patch (only programmes and contact points changed) also given the previous generation's
# extras, to keep what does not depend on those rows.
ExtraBuilder = Callable[[Session, DirectorySnapshot, dict[str, Any] | None], dict[str, Any]]


def _searched(g: ProgrammeView) -> list[str | None]:
    """What a programme search reads, most telling first (app/services/search.py ranks)."""
    return [g.name, *g.aliases, g.details.get("status_note"), g.description]


def _assemble(
    session: Session,
    snapshot: DirectorySnapshot,
    extra_builders: list[ExtraBuilder],
    agency_index: SearchIndex | None = None,
    programme_index: SearchIndex | None = None,
    previous: dict[str, Any] | None = None,
    previous_listings: Listings | None = None,
) -> Directory:
    """Everything derived from a snapshot (reusing the indexes given, which are unchanged)."""
    if agency_index is None:
        agency_index = SearchIndex(
            (a.id, [a.name, a.short_name, *a.aliases, a.name_en, a.role_label, a.description])
            for a in session.exec(select(Agency).order_by(col(Agency.id)))
        )
    if programme_index is None:
        programme_index = SearchIndex((g.id, _searched(g)) for g in snapshot.programmes.values())
    extras: dict[str, Any] = {}
    for builder in extra_builders:
        extras.update(builder(session, snapshot, previous))
    listings = Listings(
        session, snapshot, agency_index, programme_index, previous=previous_listings
    )
    snapshot_index(snapshot)  # the matcher's lookups, built here rather than on a request
    return Directory(snapshot, agency_index, programme_index, extras, listings)


def build_directory(session: Session, extra_builders: list[ExtraBuilder]) -> Directory:
    return _assemble(session, build_snapshot(session), extra_builders)


# Edits a worker applies to its directory row by row (see `edits_since`); any other edit, a
# version without an audit entry (seeding, a bulk load) or more rows than this rebuild it all.
PATCHABLE = frozenset({"programme", "contact_point"})
MAX_PATCHED_ROWS = 500


def edits_since(session: Session, version: int, upto: int) -> dict[str, set[str]] | None:
    """The programmes and contact points that the versions after `version` up to `upto` edited,
    from the audit entries those edits wrote with their version; None when that is not known
    for every one of those versions, or when one of them edited something else."""
    if upto <= version:
        return None
    rows = session.exec(
        select(AuditEntry.directory_version, AuditEntry.entity_type, AuditEntry.entity_id).where(
            col(AuditEntry.directory_version) > version,
            col(AuditEntry.directory_version) <= upto,
        )
    ).all()
    if {v for v, _, _ in rows} != set(range(version + 1, upto + 1)):
        return None
    changed: dict[str, set[str]] = defaultdict(set)
    for _, kind, key in rows:
        if kind not in PATCHABLE:
            return None
        changed[kind].add(key)
    if sum(len(keys) for keys in changed.values()) > MAX_PATCHED_ROWS:
        return None
    return changed


def patch_directory(
    session: Session,
    current: Directory,
    version: int,
    changed: dict[str, set[str]],
    extra_builders: list[ExtraBuilder],
) -> Directory | None:
    """The current directory with the edited programmes and contact points read again (added,
    changed or removed), and what derives from them rebuilt; None when a full build is needed
    (a programme was removed: its contact points may have changed with it)."""
    old = current.snapshot
    shared = _Shared()
    programmes = old.programmes
    edited = changed.get("programme", set())
    if edited:
        fresh = _programme_views(session, shared, edited)
        if edited - fresh.keys():
            return None
        programmes = dict(sorted({**old.programmes, **fresh}.items()))
    contacts = old.contact_points
    touched = changed.get("contact_point", set())
    if touched:
        found = _contact_views(session, shared, touched)
        kept = [c for c in old.contact_points if c.id not in touched]
        contacts = tuple(sorted([*kept, *found.values()], key=attrgetter("id")))
    snapshot = dataclasses.replace(
        old, version=version, programmes=programmes, contact_points=contacts
    )
    directory = _assemble(
        session,
        snapshot,
        extra_builders,
        agency_index=current.agency_index,
        programme_index=current.programme_index.replaced(
            {pid: _searched(programmes[pid]) for pid in edited}
        )
        if edited
        else current.programme_index,
        previous=current.extras,
        previous_listings=current.listings,
    )
    return dataclasses.replace(directory, patched=True)


# Every this many new directories, the frozen objects are thawed and swept with the rest.
FULL_SWEEP_EVERY = 50
_settled = 0


def _settle() -> None:
    """Keep the cyclic garbage collector from walking a directory that lives until the next
    version: with 100k contact points one full collection takes about 300 ms, a pause that
    would fall on whatever requests are running. Called once a new directory is in place and
    its build's session closed: the garbage is collected (cheap: what is frozen is not walked,
    so only what was made since the last freeze is), then everything alive is frozen
    (gc.freeze). Directories hold no reference cycles, so an old one is still freed, by
    reference counting, when it is replaced (tests/test_memory.py). What another thread held
    at that moment and drops later with a cycle stays frozen until the next full sweep, every
    FULL_SWEEP_EVERY directories, which pays the full collection once."""
    global _settled
    _settled += 1
    if _settled % FULL_SWEEP_EVERY == 0:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


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
        _settle()
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
        before = self._directory
        self._build_locked()
        if self._directory is not before:
            _settle()  # with the build's session closed

    def _build_locked(self) -> None:
        with self._session_factory() as session:
            version = read_version(session)
            current = self._directory
            if current is not None and version == current.snapshot.version:
                return
            if version == self._unbuildable_version:
                return
            started = time.perf_counter()
            try:
                directory = self._next(session, current, version)
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
                "directory snapshot %s at version %s in %.0f ms",
                "patched" if directory.patched else "rebuilt",
                version,
                (time.perf_counter() - started) * 1000,
            )

    def _next(self, session: Session, current: Directory | None, version: int) -> Directory:
        """The directory at `version`: the current one patched row by row when only programmes
        and contact points were edited since (a fraction of a second with 100k contact points),
        otherwise built again."""
        if current is not None:
            changed = edits_since(session, current.snapshot.version, version)
            if changed is not None:
                patched = patch_directory(session, current, version, changed, self._extra_builders)
                if patched is not None:
                    return patched
        return build_directory(session, self._extra_builders)

    def invalidate(self) -> None:
        self._next_check = 0.0

    def refresh_now(self) -> None:
        """Bring this worker up to the database's version before returning (read your writes:
        the editor's next request on this worker sees the edit; other workers follow within one
        check interval)."""
        with self._lock:
            self._check_locked()
