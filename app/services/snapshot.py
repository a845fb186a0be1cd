"""The in-memory directory: matcher snapshot, compiled rules and search indexes.

Built from the database at startup and rebuilt when `directory_state.version` changes. A worker
asks for the version at most every SNAPSHOT_CHECK_SECONDS, so the hot path costs one cheap query
now and then, and a database outage leaves the last good snapshot serving.
"""

from __future__ import annotations

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


def build_snapshot(session: Session) -> DirectorySnapshot:
    version = read_version(session)
    roles = _grouped(session.exec(select(AgencyRole.agency_id, AgencyRole.support_type_code)))
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
            a.id: AgencyView(
                id=a.id,
                name=a.name,
                short_name=a.short_name,
                roles=frozenset(roles.get(a.id, [])),
                parent_id=a.parent_id,
                role_label=a.role_label,
            )
            for a in session.exec(select(Agency).order_by(col(Agency.id)))
        },
        actions={
            a.number: ActionView(a.number, a.title, a.pillar_number)
            for a in session.exec(select(Action).order_by(col(Action.number)))
        },
        programmes={
            g.id: ProgrammeView(
                id=g.id,
                name=g.name,
                kind=g.kind,
                operators=tuple(sorted(operators.get(g.id, []))),
                actions=tuple(sorted(prog_actions.get(g.id, []))),
                support_types=tuple(sorted(prog_types.get(g.id, []))),
                description=g.description,
            )
            for g in session.exec(select(Programme).order_by(col(Programme.id)))
        },
        needs={
            n.id: NeedView(
                id=n.id,
                label=n.label,
                support_type=n.support_type_code,
                actions=tuple(sorted(need_actions.get(n.id, []))),
                agencies=tuple(need_agencies.get(n.id, [])),
                in_figure=n.in_figure,
            )
            for n in session.exec(select(Need).order_by(col(Need.id)))
        },
        contact_points=tuple(
            ContactPointView(
                id=c.id,
                name=c.name,
                agency_id=c.agency_id,
                role=c.role,
                postal_code=c.postal_code,
                address=c.address,
                phones=tuple(PhoneView(p.get("label"), str(p["number"])) for p in c.phones),
                fax=c.fax,
                email=c.email,
                url=c.url,
                hours=c.hours,
                municipalities=tuple(sorted(cp_municipalities.get(c.id, []))),
                prefecture_wide=c.prefecture_wide,
                general_fallback=c.general_fallback,
                source=c.source,
                as_of=c.as_of,
                verified=c.verified,
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
    """Holds the current Directory and rebuilds it when the database version moves."""

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
        self._last_check = 0.0

    def load(self) -> Directory:
        with self._session_factory() as session:
            directory = build_directory(session, self._extra_builders)
        self._directory = directory
        self._last_check = time.monotonic()
        return directory

    @property
    def loaded(self) -> bool:
        return self._directory is not None

    def get(self) -> Directory:
        directory = self._directory
        now = time.monotonic()
        if directory is not None and now - self._last_check < self._check_seconds:
            return directory
        with self._lock:
            directory = self._directory
            if directory is not None and time.monotonic() - self._last_check < self._check_seconds:
                return directory
            try:
                with self._session_factory() as session:
                    version = read_version(session)
                    if directory is None or version != directory.snapshot.version:
                        directory = build_directory(session, self._extra_builders)
                        self._directory = directory
                        log.info("directory snapshot rebuilt at version %s", version)
            except SQLAlchemyError:
                if directory is None:
                    raise
                log.warning(
                    "database unavailable; serving snapshot version %s", directory.snapshot.version
                )
            self._last_check = time.monotonic()
            return directory

    def invalidate(self) -> None:
        self._last_check = 0.0
