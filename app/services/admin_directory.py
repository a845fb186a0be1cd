"""Writing the directory: agencies, their roles, contact points and programmes.

Each write, in one transaction: checks the caller's right and the If-Match precondition, claims
the next revision with a guarded UPDATE (so two concurrent writers cannot both win), applies the
change, writes an audit entry with the record before and after, and bumps the directory version
so every worker rebuilds its in-memory snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, SQLModel, col, select

from app.core.concurrency import check_if_match, claim_revision, last_writer_wins
from app.core.errors import ApiError
from app.core.i18n import noun_en
from app.models import (
    Action,
    Agency,
    AgencyMunicipality,
    AgencyRole,
    ApiKey,
    ContactPoint,
    ContactPointMunicipality,
    InitiativeBody,
    Measure,
    Municipality,
    NeedAgency,
    Programme,
    ProgrammeAction,
    ProgrammeMeasure,
    ProgrammeOperator,
    ProgrammeSupportType,
    Referral,
    SupportType,
)
from app.models.common import shared_values, utcnow
from app.models.directory import AgencyFields
from app.models.programmes import ProgrammeFields
from app.schemas.admin import (
    AgencyCreate,
    AgencyEditOut,
    AgencyPatch,
    ContactPointCreate,
    ContactPointEditOut,
    ContactPointPatch,
    ProgrammeCreate,
    ProgrammeEditOut,
    ProgrammePatch,
)
from app.schemas.programmes import status_values
from app.services import audit
from app.services.access import Principal, Scope
from app.services.directory import contact_point_out as public_contact_point_out
from app.services.lookups import get_or_404

# ---------------------------------------------------------------- shared helpers


def _forbid(detail: str, en: str) -> ApiError:
    return ApiError(403, detail, en=en)


def _missing(session: Session, model: type[SQLModel], keys: Iterable[Any]) -> list[Any]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return []
    pk = next(iter(model.__table__.primary_key.columns))  # type: ignore[attr-defined]
    found = set(session.exec(select(pk).where(pk.in_(wanted))))
    return [k for k in wanted if k not in found]


def _require_exist(session: Session, model: type[SQLModel], keys: Iterable[Any], what: str) -> None:
    missing = _missing(session, model, keys)
    if missing:
        names = "、".join(str(m)[:80] for m in missing[:5])
        raise ApiError(
            422, f"{what}「{names}」は存在しません。", en=f"{noun_en(what)} not found: {names}."
        )


def _count(session: Session, model: type[SQLModel], condition: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(condition)).one())


# ---------------------------------------------------------------- agencies


def _agency_roles(session: Session, agency_id: str) -> list[str]:
    order = {s.code: s.sort_order for s in session.exec(select(SupportType))}
    codes = session.exec(
        select(AgencyRole.support_type_code).where(AgencyRole.agency_id == agency_id)
    ).all()
    return sorted(codes, key=lambda c: order.get(c, 99))


def _agency_municipalities(session: Session, agency_id: str) -> list[str]:
    return list(
        session.exec(
            select(AgencyMunicipality.municipality_code)
            .where(AgencyMunicipality.agency_id == agency_id)
            .order_by(col(AgencyMunicipality.municipality_code))
        )
    )


def _set_agency_municipalities(session: Session, agency_id: str, codes: list[str]) -> None:
    _require_exist(session, Municipality, codes, "市町コード")
    session.execute(
        delete(AgencyMunicipality).where(col(AgencyMunicipality.agency_id) == agency_id)
    )
    for code in dict.fromkeys(codes):
        session.add(AgencyMunicipality(agency_id=agency_id, municipality_code=code))


def agency_out(session: Session, a: Agency) -> AgencyEditOut:
    return AgencyEditOut.model_validate(
        {
            **shared_values(a, AgencyFields),
            "aliases": list(a.aliases),
            "roles": _agency_roles(session, a.id),
            "municipalities": _agency_municipalities(session, a.id),
            "source_section": a.source_section,
            "revision": a.revision,
            "updated_at": a.updated_at,
        }
    )


def _agency_state(session: Session, a: Agency) -> dict[str, Any]:
    return agency_out(session, a).model_dump(mode="json", exclude={"updated_at"})


def can_edit_agency(session: Session, principal: Principal, agency_id: str) -> bool:
    """Admin edits every agency; an agency editor its own agency and the offices under it
    (萩商工会議所's key edits 萩商工会議所 and any office registered under it)."""
    if principal.is_admin:
        return True
    if principal.scope is not Scope.agency_editor or principal.agency_id is None:
        return False
    current: str | None = agency_id
    for _ in range(10):  # the agency tree is shallow; a cycle cannot hold the request
        if current is None:
            return False
        if current == principal.agency_id:
            return True
        row = session.get(Agency, current)
        current = row.parent_id if row else None
    return False


def get_agency(session: Session, principal: Principal, agency_id: str) -> AgencyEditOut:
    a = get_or_404(session, Agency, agency_id, "機関")
    if not can_edit_agency(session, principal, a.id):
        raise _forbid("この機関を編集する権限がありません。", "You may not edit this agency.")
    return agency_out(session, a)


@last_writer_wins
def update_agency(
    session: Session, principal: Principal, agency_id: str, patch: AgencyPatch, if_match: str | None
) -> AgencyEditOut:
    a = get_or_404(session, Agency, agency_id, "機関")
    if not can_edit_agency(session, principal, a.id):
        raise _forbid("この機関を編集する権限がありません。", "You may not edit this agency.")
    check_if_match(if_match, a.revision)
    before = _agency_state(session, a)
    claim_revision(session, Agency, a, a.revision)
    changes = patch.changes()
    if "municipalities" in changes:
        _set_agency_municipalities(session, a.id, changes.pop("municipalities"))
    for name, value in changes.items():
        setattr(a, name, value)
    session.add(a)
    session.flush()
    after = _agency_state(session, a)
    out = agency_out(session, a)
    audit.commit_edit(
        session,
        principal,
        action="update",
        entity_type="agency",
        entity_id=a.id,
        before=before,
        after=after,
    )
    return out


def create_agency(session: Session, principal: Principal, body: AgencyCreate) -> AgencyEditOut:
    if session.get(Agency, body.id) is not None:
        raise ApiError(
            409, f"機関「{body.id}」はすでに存在します。", en=f'Agency "{body.id}" already exists.'
        )
    if body.parent_id is not None:
        _require_exist(session, Agency, [body.parent_id], "親機関")
    a = Agency(
        **shared_values(body, AgencyFields),
        aliases=list(body.aliases),
        source_section=body.source_section,
    )
    session.add(a)
    session.flush()
    for code in dict.fromkeys(body.roles):
        session.add(AgencyRole(agency_id=a.id, support_type_code=code.value))
    _set_agency_municipalities(session, a.id, list(body.municipalities))
    session.flush()
    out = agency_out(session, a)
    audit.commit_edit(
        session,
        principal,
        action="create",
        entity_type="agency",
        entity_id=a.id,
        before=None,
        after=_agency_state(session, a),
    )
    return out


@last_writer_wins
def put_agency_roles(
    session: Session, principal: Principal, agency_id: str, roles: list[str], if_match: str | None
) -> AgencyEditOut:
    a = get_or_404(session, Agency, agency_id, "機関")
    check_if_match(if_match, a.revision)
    before = _agency_state(session, a)
    claim_revision(session, Agency, a, a.revision)
    session.execute(delete(AgencyRole).where(col(AgencyRole.agency_id) == a.id))
    for code in dict.fromkeys(roles):
        session.add(AgencyRole(agency_id=a.id, support_type_code=code))
    session.flush()
    after = _agency_state(session, a)
    out = agency_out(session, a)
    audit.commit_edit(
        session,
        principal,
        action="update_roles",
        entity_type="agency",
        entity_id=a.id,
        before=before,
        after=after,
    )
    return out


@last_writer_wins
def delete_agency(
    session: Session, principal: Principal, agency_id: str, if_match: str | None
) -> None:
    a = get_or_404(session, Agency, agency_id, "機関")
    check_if_match(if_match, a.revision)
    references = {
        "子機関": _count(session, Agency, col(Agency.parent_id) == a.id),
        "窓口": _count(session, ContactPoint, col(ContactPoint.agency_id) == a.id),
        "制度の運営機関": _count(
            session, ProgrammeOperator, col(ProgrammeOperator.agency_id) == a.id
        ),
        "相談ニーズ": _count(session, NeedAgency, col(NeedAgency.agency_id) == a.id),
        "計画の実施主体": _count(session, InitiativeBody, col(InitiativeBody.agency_id) == a.id),
        "API キー": _count(session, ApiKey, col(ApiKey.agency_id) == a.id),
        "紹介": _count(session, Referral, col(Referral.agency_id) == a.id),
    }
    used = [f"{name} {n} 件" for name, n in references.items() if n]
    if used:
        raise ApiError(
            409,
            f"機関「{a.id}」は次から参照されているため削除できません: {'、'.join(used)}。",
            en=f'Agency "{a.id}" cannot be deleted: it is referred to by {", ".join(used)}.',
        )
    before = _agency_state(session, a)
    # One delete wins: the guarded revision bump makes a concurrent one a 412, not a second 204.
    claim_revision(session, Agency, a, a.revision)
    session.execute(delete(AgencyRole).where(col(AgencyRole.agency_id) == a.id))
    session.execute(delete(AgencyMunicipality).where(col(AgencyMunicipality.agency_id) == a.id))
    session.delete(a)
    session.flush()
    audit.commit_edit(
        session,
        principal,
        action="delete",
        entity_type="agency",
        entity_id=agency_id,
        before=before,
        after=None,
    )


# ---------------------------------------------------------------- contact points


def _cp_municipalities(session: Session, cp_id: str) -> list[str]:
    return list(
        session.exec(
            select(ContactPointMunicipality.municipality_code)
            .where(ContactPointMunicipality.contact_point_id == cp_id)
            .order_by(col(ContactPointMunicipality.municipality_code))
        )
    )


def contact_point_out(session: Session, c: ContactPoint) -> ContactPointEditOut:
    public = public_contact_point_out(c, _cp_municipalities(session, c.id))
    return ContactPointEditOut(**public.model_dump(), revision=c.revision, updated_at=c.updated_at)


def _cp_state(session: Session, c: ContactPoint) -> dict[str, Any]:
    return contact_point_out(session, c).model_dump(mode="json", exclude={"updated_at"})


def _check_cp_links(session: Session, values: dict[str, Any]) -> None:
    if values.get("agency_id") is not None:
        _require_exist(session, Agency, [values["agency_id"]], "機関")
    if values.get("programme_id") is not None:
        _require_exist(session, Programme, [values["programme_id"]], "制度")
    if values.get("municipalities"):
        _require_exist(session, Municipality, values["municipalities"], "市町コード")


def _set_cp_municipalities(session: Session, cp_id: str, codes: list[str]) -> None:
    session.execute(
        delete(ContactPointMunicipality).where(
            col(ContactPointMunicipality.contact_point_id) == cp_id
        )
    )
    for code in dict.fromkeys(codes):
        session.add(ContactPointMunicipality(contact_point_id=cp_id, municipality_code=code))


# Flags that put a window in front of every owner (the general fallback of every out-of-scope
# answer, the prefecture-wide window, the "confirmed" mark): admin's to set.
ADMIN_CP_FLAGS = ("general_fallback", "prefecture_wide", "verified")


def _check_cp_rights(
    session: Session, principal: Principal, values: dict[str, Any], current: ContactPoint | None
) -> None:
    if principal.is_admin:
        return
    for flag in ADMIN_CP_FLAGS:
        if flag in values and values[flag] != (getattr(current, flag) if current else False):
            raise _forbid(f"{flag} は管理者だけが設定できます。", f"Only an admin may set {flag}.")
    programme_id = values.get("programme_id")
    if programme_id is not None and programme_id != (current.programme_id if current else None):
        operators = _programme_links(session, programme_id)["operators"]
        if not any(can_edit_agency(session, principal, op) for op in operators):
            raise _forbid(
                "自機関が運営する制度の窓口だけを登録できます。",
                "You may only register contact points of programmes your agency runs.",
            )


def _cp_for_editing(session: Session, principal: Principal, cp_id: str) -> ContactPoint:
    c = get_or_404(session, ContactPoint, cp_id, "窓口")
    if not can_edit_agency(session, principal, c.agency_id):
        raise _forbid(
            "この窓口を編集する権限がありません（自機関の窓口のみ編集できます）。",
            "You may not edit this contact point (only your own agency's).",
        )
    return c


def get_contact_point(session: Session, principal: Principal, cp_id: str) -> ContactPointEditOut:
    return contact_point_out(session, _cp_for_editing(session, principal, cp_id))


def create_contact_point(
    session: Session, principal: Principal, body: ContactPointCreate
) -> ContactPointEditOut:
    if not can_edit_agency(session, principal, body.agency_id):
        raise _forbid(
            "自機関以外の窓口は登録できません。",
            "You may only register contact points of your own agency.",
        )
    if session.get(ContactPoint, body.id) is not None:
        raise ApiError(
            409,
            f"窓口「{body.id}」はすでに存在します。",
            en=f'Contact point "{body.id}" already exists.',
        )
    values = body.model_dump(mode="json")
    _check_cp_links(session, values)
    _check_cp_rights(session, principal, values, None)
    municipalities = values.pop("municipalities")
    c = ContactPoint(**values)
    session.add(c)
    session.flush()
    _set_cp_municipalities(session, c.id, municipalities)
    session.flush()
    out = contact_point_out(session, c)
    audit.commit_edit(
        session,
        principal,
        action="create",
        entity_type="contact_point",
        entity_id=c.id,
        before=None,
        after=_cp_state(session, c),
    )
    return out


@last_writer_wins
def update_contact_point(
    session: Session,
    principal: Principal,
    cp_id: str,
    patch: ContactPointPatch,
    if_match: str | None,
) -> ContactPointEditOut:
    c = _cp_for_editing(session, principal, cp_id)
    changes = patch.changes()
    if "agency_id" in changes and not can_edit_agency(session, principal, changes["agency_id"]):
        raise _forbid(
            "窓口を自機関以外の機関に移すことはできません。",
            "You may not move a contact point to another agency.",
        )
    check_if_match(if_match, c.revision)
    _check_cp_links(session, changes)
    _check_cp_rights(session, principal, changes, c)
    before = _cp_state(session, c)
    claim_revision(session, ContactPoint, c, c.revision)
    municipalities = changes.pop("municipalities", None)
    for name, value in changes.items():
        setattr(c, name, value)
    session.add(c)
    if municipalities is not None:
        _set_cp_municipalities(session, c.id, municipalities)
    session.flush()
    after = _cp_state(session, c)
    out = contact_point_out(session, c)
    audit.commit_edit(
        session,
        principal,
        action="update",
        entity_type="contact_point",
        entity_id=c.id,
        before=before,
        after=after,
    )
    return out


@last_writer_wins
def delete_contact_point(
    session: Session, principal: Principal, cp_id: str, if_match: str | None
) -> None:
    c = _cp_for_editing(session, principal, cp_id)
    check_if_match(if_match, c.revision)
    before = _cp_state(session, c)
    claim_revision(session, ContactPoint, c, c.revision)
    _set_cp_municipalities(session, c.id, [])
    session.delete(c)
    session.flush()
    audit.commit_edit(
        session,
        principal,
        action="delete",
        entity_type="contact_point",
        entity_id=cp_id,
        before=before,
        after=None,
    )


# ---------------------------------------------------------------- programmes


def _programme_links(session: Session, pid: str) -> dict[str, list[Any]]:
    return {
        "operators": list(
            session.exec(
                select(ProgrammeOperator.agency_id)
                .where(ProgrammeOperator.programme_id == pid)
                .order_by(col(ProgrammeOperator.agency_id))
            )
        ),
        "actions": list(
            session.exec(
                select(ProgrammeAction.action_number)
                .where(ProgrammeAction.programme_id == pid)
                .order_by(col(ProgrammeAction.action_number))
            )
        ),
        "support_types": list(
            session.exec(
                select(ProgrammeSupportType.support_type_code)
                .where(ProgrammeSupportType.programme_id == pid)
                .order_by(col(ProgrammeSupportType.support_type_code))
            )
        ),
        "measures": [
            f"{an}.{mn}"
            for an, mn in session.exec(
                select(Measure.action_number, Measure.number)
                .join(ProgrammeMeasure, col(ProgrammeMeasure.measure_id) == col(Measure.id))
                .where(ProgrammeMeasure.programme_id == pid)
                .order_by(col(Measure.action_number), col(Measure.number))
            )
        ],
    }


def programme_out(session: Session, g: Programme) -> ProgrammeEditOut:
    return ProgrammeEditOut.model_validate(
        {
            **shared_values(g, ProgrammeFields),
            **status_values(g.as_of, g.status_confirmed_at),
            "aliases": list(g.aliases),
            "source_section": g.source_section,
            "source_page": g.source_page,
            "revision": g.revision,
            "updated_at": g.updated_at,
            **_programme_links(session, g.id),
        }
    )


def _programme_state(session: Session, g: Programme) -> dict[str, Any]:
    return programme_out(session, g).model_dump(mode="json", exclude={"updated_at"})


def can_edit_programme(session: Session, principal: Principal, pid: str) -> bool:
    if principal.is_admin:
        return True
    if principal.scope is not Scope.agency_editor or principal.agency_id is None:
        return False
    return principal.agency_id in _programme_links(session, pid)["operators"]


def _programme_for_editing(session: Session, principal: Principal, pid: str) -> Programme:
    g = get_or_404(session, Programme, pid, "制度")
    if not can_edit_programme(session, principal, g.id):
        raise _forbid(
            "この制度を編集する権限がありません（自機関が運営する制度のみ編集できます）。",
            "You may not edit this programme (only those your agency runs).",
        )
    return g


def _check_programme_links(
    session: Session,
    principal: Principal,
    values: dict[str, Any],
    current_operators: list[str] | None = None,
) -> None:
    """Operators: admin may set any. An agency editor creates a programme naming only its own
    agency, and on a shared programme adds or removes only itself: another agency's place as
    operator is that agency's (or admin's) to change."""
    if "operators" in values:
        _require_exist(session, Agency, values["operators"], "運営機関")
        if not principal.is_admin:
            own = principal.agency_id
            new = set(values["operators"])
            if current_operators is None and new != {own}:
                raise _forbid(
                    "制度の登録では、運営機関に自機関だけを指定してください。",
                    "A programme you register may name only your own agency as operator.",
                )
            if current_operators is not None and (new ^ set(current_operators)) - {own}:
                raise _forbid(
                    "運営機関の変更は自機関の追加・削除だけができます"
                    "（他の機関の追加・削除は、その機関か管理者にご依頼ください）。",
                    "You may only add or remove your own agency as an operator (ask that agency "
                    "or an admin for the others).",
                )
    if values.get("actions"):
        _require_exist(session, Action, values["actions"], "アクション番号")


def _set_programme_links(session: Session, pid: str, values: dict[str, Any]) -> None:
    for field, model, column, attr in (
        ("operators", ProgrammeOperator, ProgrammeOperator.programme_id, "agency_id"),
        ("actions", ProgrammeAction, ProgrammeAction.programme_id, "action_number"),
        (
            "support_types",
            ProgrammeSupportType,
            ProgrammeSupportType.programme_id,
            "support_type_code",
        ),
    ):
        if field not in values:
            continue
        session.execute(delete(model).where(col(column) == pid))
        for value in dict.fromkeys(values[field]):
            session.add(model(programme_id=pid, **{attr: value}))


def get_programme(session: Session, principal: Principal, pid: str) -> ProgrammeEditOut:
    return programme_out(session, _programme_for_editing(session, principal, pid))


def create_programme(
    session: Session, principal: Principal, body: ProgrammeCreate
) -> ProgrammeEditOut:
    if session.get(Programme, body.id) is not None:
        raise ApiError(
            409,
            f"制度「{body.id}」はすでに存在します。",
            en=f'Programme "{body.id}" already exists.',
        )
    values = body.model_dump(mode="json")
    _check_programme_links(session, principal, values)
    links = {k: values.pop(k) for k in ("operators", "actions", "support_types")}
    g = Programme(**values, status_confirmed_at=utcnow())  # its editor vouches for it
    session.add(g)
    session.flush()
    _set_programme_links(session, g.id, links)
    session.flush()
    out = programme_out(session, g)
    audit.commit_edit(
        session,
        principal,
        action="create",
        entity_type="programme",
        entity_id=g.id,
        before=None,
        after=_programme_state(session, g),
    )
    return out


@last_writer_wins
def update_programme(
    session: Session,
    principal: Principal,
    pid: str,
    patch: ProgrammePatch,
    if_match: str | None,
) -> ProgrammeEditOut:
    g = _programme_for_editing(session, principal, pid)
    changes = patch.changes()
    check_if_match(if_match, g.revision)
    _check_programme_links(
        session, principal, changes, _programme_links(session, g.id)["operators"]
    )
    before = _programme_state(session, g)
    claim_revision(session, Programme, g, g.revision)
    links: dict[str, Any] = {
        k: changes.pop(k) for k in ("operators", "actions", "support_types") if k in changes
    }
    for name, value in changes.items():
        setattr(g, name, value)
    # Any write of a programme, an empty PATCH too, is its editor confirming it as it now is.
    g.status_confirmed_at = utcnow()
    session.add(g)
    _set_programme_links(session, g.id, links)
    session.flush()
    after = _programme_state(session, g)
    out = programme_out(session, g)
    audit.commit_edit(
        session,
        principal,
        action="update",
        entity_type="programme",
        entity_id=g.id,
        before=before,
        after=after,
    )
    return out


@last_writer_wins
def delete_programme(
    session: Session, principal: Principal, pid: str, if_match: str | None
) -> None:
    g = _programme_for_editing(session, principal, pid)
    check_if_match(if_match, g.revision)
    operators = set(_programme_links(session, g.id)["operators"])
    if not principal.is_admin and operators - {principal.agency_id}:
        raise _forbid(
            "他の機関も運営する制度は削除できません（自機関を運営機関から外すか、管理者にご依頼ください）。",
            "A programme other agencies also run cannot be deleted (remove your agency as an "
            "operator, or ask an admin).",
        )
    contacts = _count(session, ContactPoint, col(ContactPoint.programme_id) == g.id)
    if contacts:
        raise ApiError(
            409,
            f"制度「{g.id}」は窓口 {contacts} 件から参照されているため削除できません。"
            "先に窓口の programme_id を外してください。",
            en=f'Programme "{g.id}" cannot be deleted: {contacts} contact point(s) refer to '
            "it. Remove their programme_id first.",
        )
    before = _programme_state(session, g)
    claim_revision(session, Programme, g, g.revision)
    for model in (ProgrammeOperator, ProgrammeAction, ProgrammeMeasure, ProgrammeSupportType):
        session.execute(delete(model).where(col(model.programme_id) == g.id))
    session.delete(g)
    session.flush()
    audit.commit_edit(
        session,
        principal,
        action="delete",
        entity_type="programme",
        entity_id=pid,
        before=before,
        after=None,
    )
