"""Reading programmes with filters and Japanese substring search."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from app.core.pagination import Page, PageParams
from app.matching.snapshot import DirectorySnapshot, ProgrammeView
from app.models import (
    Agency,
    ContactPoint,
    Measure,
    Programme,
    ProgrammeAction,
    ProgrammeMeasure,
    ProgrammeOperator,
    ProgrammeSupportType,
)
from app.models.common import shared_values
from app.models.programmes import ProgrammeFields
from app.schemas.directory import AgencyRef, SourceOut
from app.schemas.programmes import ProgrammeDetail, ProgrammeOut
from app.services.directory import _contact_points_out, ensure_support_type, get_or_404_as_422
from app.services.lookups import get_or_404
from app.services.search import SearchIndex


def _links(session: Session, ids: list[str]) -> dict[str, dict[str, list[Any]]]:
    out: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    if not ids:
        return out
    agency_names = {a.id: a.name for a in session.exec(select(Agency))}
    for pid, aid in session.exec(
        select(ProgrammeOperator.programme_id, ProgrammeOperator.agency_id)
        .where(col(ProgrammeOperator.programme_id).in_(ids))
        .order_by(col(ProgrammeOperator.agency_id))
    ):
        out[pid]["operators"].append(AgencyRef(id=aid, name=agency_names.get(aid, aid)))
    for pid, n in session.exec(
        select(ProgrammeAction.programme_id, ProgrammeAction.action_number)
        .where(col(ProgrammeAction.programme_id).in_(ids))
        .order_by(col(ProgrammeAction.action_number))
    ):
        out[pid]["actions"].append(n)
    for pid, an, mn in session.exec(
        select(ProgrammeMeasure.programme_id, Measure.action_number, Measure.number)
        .join(Measure, col(Measure.id) == col(ProgrammeMeasure.measure_id))
        .where(col(ProgrammeMeasure.programme_id).in_(ids))
        .order_by(col(Measure.action_number), col(Measure.number))
    ):
        out[pid]["measures"].append(f"{an}.{mn}")
    for pid, code in session.exec(
        select(ProgrammeSupportType.programme_id, ProgrammeSupportType.support_type_code)
        .where(col(ProgrammeSupportType.programme_id).in_(ids))
        .order_by(col(ProgrammeSupportType.support_type_code))
    ):
        out[pid]["support_types"].append(code)
    return out


def _out(g: Programme, links: dict[str, list[Any]]) -> ProgrammeOut:
    return ProgrammeOut.model_validate(
        {
            **shared_values(g, ProgrammeFields),
            "aliases": list(g.aliases),
            "operators": links.get("operators", []),
            "actions": links.get("actions", []),
            "measures": links.get("measures", []),
            "support_types": links.get("support_types", []),
            "source": SourceOut(section=g.source_section, page=g.source_page),
        }
    )


def _search_page(
    session: Session,
    page: PageParams,
    q: str,
    index: SearchIndex,
    snapshot: DirectorySnapshot,
    support_type: str | None,
    action: int | None,
    kind: str | None,
    agency: str | None,
) -> tuple[list[Programme], int]:
    """Filter the search hits on the in-memory snapshot and read only the page's rows: a common
    word in a large directory matches thousands of programmes, too many for an `IN (...)`."""

    def keeps(view: ProgrammeView) -> bool:
        return (
            (support_type is None or support_type in view.support_types)
            and (action is None or action in view.actions)
            and (kind is None or view.kind == kind)
            and (agency is None or agency in view.operators)
        )

    views = snapshot.programmes
    ids = sorted(pid for pid in index.search(q) if pid in views and keeps(views[pid]))
    page_ids = ids[page.offset : page.offset + page.limit]
    found = {
        g.id: g for g in session.exec(select(Programme).where(col(Programme.id).in_(page_ids)))
    }
    return [found[pid] for pid in page_ids if pid in found], len(ids)


def list_programmes(
    session: Session,
    page: PageParams,
    *,
    support_type: str | None,
    action: int | None,
    kind: str | None,
    agency: str | None,
    q: str | None,
    index: SearchIndex,
    snapshot: DirectorySnapshot,
) -> Page[ProgrammeOut]:
    conditions: list[Any] = []
    if support_type is not None:
        ensure_support_type(session, support_type)
        conditions.append(
            col(Programme.id).in_(
                select(ProgrammeSupportType.programme_id).where(
                    ProgrammeSupportType.support_type_code == support_type
                )
            )
        )
    if action is not None:
        conditions.append(
            col(Programme.id).in_(
                select(ProgrammeAction.programme_id).where(ProgrammeAction.action_number == action)
            )
        )
    if kind is not None:
        conditions.append(Programme.kind == kind)
    if agency is not None:
        get_or_404_as_422(session, agency)
        conditions.append(
            col(Programme.id).in_(
                select(ProgrammeOperator.programme_id).where(ProgrammeOperator.agency_id == agency)
            )
        )
    if q:
        rows, total = _search_page(
            session, page, q, index, snapshot, support_type, action, kind, agency
        )
    else:
        stmt = select(Programme).where(*conditions)
        total = session.exec(select(func.count()).select_from(Programme).where(*conditions)).one()
        rows = list(
            session.exec(stmt.order_by(col(Programme.id)).offset(page.offset).limit(page.limit))
        )
    links = _links(session, [g.id for g in rows])
    return Page(
        items=[_out(g, links[g.id]) for g in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def get_programme(session: Session, programme_id: str) -> ProgrammeDetail:
    g = get_or_404(session, Programme, programme_id, "制度")
    links = _links(session, [g.id])[g.id]
    operator_ids = [a.id for a in links.get("operators", [])]
    contacts = session.exec(
        select(ContactPoint)
        .where(
            or_(
                col(ContactPoint.programme_id) == g.id,
                and_(
                    col(ContactPoint.agency_id).in_(operator_ids),
                    col(ContactPoint.programme_id).is_(None),
                ),
            )
        )
        .order_by(col(ContactPoint.id))
    ).all()
    return ProgrammeDetail(
        **_out(g, links).model_dump(), contact_points=_contact_points_out(session, list(contacts))
    )
