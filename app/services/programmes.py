"""Reading programmes with filters and Japanese substring search."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

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
from app.schemas.programmes import ProgrammeDetail, ProgrammeOut, status_values
from app.services.directory import _contact_points_out
from app.services.lookups import get_or_404


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


def programme_out(g: Any, values: dict[str, Any], links: dict[str, list[Any]]) -> ProgrammeOut:
    """The API shape of a programme, from a table row or a snapshot view (`g`: its aliases,
    source and confirmation time), its shared field values and its links (operators as
    AgencyRef, actions, measures, support types)."""
    return ProgrammeOut.model_validate(
        {
            **values,
            **status_values(values.get("as_of"), g.status_confirmed_at),
            "aliases": list(g.aliases),
            "operators": links.get("operators", []),
            "actions": links.get("actions", []),
            "measures": links.get("measures", []),
            "support_types": links.get("support_types", []),
            "source": SourceOut(section=g.source_section, page=g.source_page),
        }
    )


def _out(g: Programme, links: dict[str, list[Any]]) -> ProgrammeOut:
    return programme_out(g, shared_values(g, ProgrammeFields), links)


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
