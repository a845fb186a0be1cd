"""Reading support types, agencies, the role matrix, municipalities and contact points."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.pagination import Page, PageParams
from app.models import (
    Agency,
    AgencyMunicipality,
    AgencyRole,
    ContactPoint,
    ContactPointMunicipality,
    Municipality,
    Programme,
    ProgrammeOperator,
    SupportType,
)
from app.models.common import shared_values
from app.models.directory import AgencyFields, ContactPointFields
from app.schemas.directory import (
    AgencyDetail,
    AgencyRef,
    AgencySummary,
    ContactPointOut,
    MunicipalityOut,
    PhoneOut,
    ProgrammeRef,
    RoleMatrixOut,
    RoleMatrixRow,
    RoleMatrixSupportType,
    SourceOut,
    SupportTypeOut,
)
from app.services.lookups import get_or_404


def list_support_types(session: Session) -> list[SupportTypeOut]:
    return [
        SupportTypeOut(
            code=s.code,
            name=s.name,
            name_en=s.name_en,
            description=s.description,
            order=s.sort_order,
        )
        for s in session.exec(select(SupportType).order_by(col(SupportType.sort_order)))
    ]


def _roles_by_agency(session: Session) -> dict[str, list[str]]:
    order = {s.code: s.sort_order for s in session.exec(select(SupportType))}
    roles: dict[str, list[str]] = defaultdict(list)
    for agency_id, code in session.exec(select(AgencyRole.agency_id, AgencyRole.support_type_code)):
        roles[agency_id].append(code)
    return {k: sorted(v, key=lambda c: order.get(c, 99)) for k, v in roles.items()}


def _served_by_agency(session: Session) -> dict[str, list[str]]:
    served: dict[str, list[str]] = defaultdict(list)
    for agency_id, code in session.exec(
        select(AgencyMunicipality.agency_id, AgencyMunicipality.municipality_code)
    ):
        served[agency_id].append(code)
    return {k: sorted(v) for k, v in served.items()}


def _agency_order(a: Agency) -> tuple[int, str]:
    return (a.matrix_order if a.matrix_order is not None else 10_000, a.id)


def _summary(a: Agency, roles: list[str], served: list[str]) -> AgencySummary:
    return AgencySummary.model_validate(
        {
            **shared_values(a, AgencyFields),
            "roles": roles,
            "in_role_matrix": a.matrix_order is not None,
            "municipalities": served,
        }
    )


def agency_summaries(session: Session) -> list[AgencySummary]:
    """Every agency as a list shows it: the role matrix's agencies first, in the plan's order."""
    roles = _roles_by_agency(session)
    served = _served_by_agency(session)
    agencies = sorted(session.exec(select(Agency)).all(), key=_agency_order)
    return [_summary(a, roles.get(a.id, []), served.get(a.id, [])) for a in agencies]


def contact_point_out(c: ContactPoint, municipalities: list[str]) -> ContactPointOut:
    return contact_point_values_out(
        shared_values(c, ContactPointFields),
        [PhoneOut(label=p.get("label"), number=str(p["number"])) for p in c.phones],
        municipalities,
    )


def contact_point_values_out(
    values: dict[str, Any], phones: list[PhoneOut], municipalities: list[str]
) -> ContactPointOut:
    """The API shape of a contact point from its shared field values (of a row or a view)."""
    return ContactPointOut.model_validate(
        {**values, "phones": phones, "municipalities": municipalities}
    )


def _contact_points_out(session: Session, rows: list[ContactPoint]) -> list[ContactPointOut]:
    ids = [c.id for c in rows]
    munis: dict[str, list[str]] = defaultdict(list)
    if ids:
        for cp_id, code in session.exec(
            select(
                ContactPointMunicipality.contact_point_id,
                ContactPointMunicipality.municipality_code,
            )
            .where(col(ContactPointMunicipality.contact_point_id).in_(ids))
            .order_by(col(ContactPointMunicipality.municipality_code))
        ):
            munis[cp_id].append(code)
    return [contact_point_out(c, munis.get(c.id, [])) for c in rows]


def get_agency(session: Session, agency_id: str) -> AgencyDetail:
    a = get_or_404(session, Agency, agency_id, "機関")
    roles = _roles_by_agency(session).get(a.id, [])
    parent = session.get(Agency, a.parent_id) if a.parent_id else None
    children = session.exec(
        select(Agency).where(Agency.parent_id == a.id).order_by(col(Agency.id))
    ).all()
    programmes = session.exec(
        select(Programme)
        .join(ProgrammeOperator, col(ProgrammeOperator.programme_id) == col(Programme.id))
        .where(ProgrammeOperator.agency_id == a.id)
        .order_by(col(Programme.id))
    ).all()
    contacts = session.exec(
        select(ContactPoint).where(ContactPoint.agency_id == a.id).order_by(col(ContactPoint.id))
    ).all()
    summary = _summary(a, roles, _served_by_agency(session).get(a.id, []))
    return AgencyDetail(
        **summary.model_dump(),
        aliases=list(a.aliases),
        matrix_row_label=a.matrix_row_label,
        source=SourceOut(section=a.source_section, page=a.source_page),
        parent=AgencyRef(id=parent.id, name=parent.name) if parent else None,
        children=[AgencyRef(id=c.id, name=c.name) for c in children],
        programmes=[ProgrammeRef(id=g.id, name=g.name, kind=g.kind) for g in programmes],
        contact_points=_contact_points_out(session, list(contacts)),
    )


def role_matrix(session: Session) -> RoleMatrixOut:
    types = session.exec(select(SupportType).order_by(col(SupportType.sort_order))).all()
    roles = _roles_by_agency(session)
    rows = session.exec(
        select(Agency)
        .where(col(Agency.matrix_order).is_not(None))
        .order_by(col(Agency.matrix_order))
    ).all()
    return RoleMatrixOut(
        support_types=[RoleMatrixSupportType(code=t.code, name=t.name) for t in types],
        rows=[
            RoleMatrixRow(
                agency=AgencyRef(id=a.id, name=a.name),
                roles={t.code: t.code in roles.get(a.id, []) for t in types},
            )
            for a in rows
        ],
    )


def list_municipalities(session: Session, page: PageParams) -> Page[MunicipalityOut]:
    total = session.exec(select(func.count()).select_from(Municipality)).one()
    rows = session.exec(
        select(Municipality).order_by(col(Municipality.code)).offset(page.offset).limit(page.limit)
    ).all()
    return Page(
        items=[MunicipalityOut(code=m.code, name=m.name, kind=m.kind) for m in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
