"""Small shared lookups used by several services (resolve a municipality, fetch or 404)."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel, select

from app.core.errors import ApiError
from app.core.i18n import noun_en
from app.matching.snapshot import DirectorySnapshot
from app.models import Municipality

T = TypeVar("T", bound=SQLModel)


def not_found(what: str, key: object) -> ApiError:
    return ApiError(
        404, f"{what}「{key}」は見つかりません。", en=f'{noun_en(what)} "{key}" was not found.'
    )


def get_or_404(session: Session, model: type[T], key: object, what: str) -> T:
    row = session.get(model, key)
    if row is None:
        raise not_found(what, key)
    return row


def unknown_agency(agency_id: str) -> ApiError:
    """An agency named in a filter or a body that does not exist: a bad parameter (422)."""
    return ApiError(
        422,
        f"機関「{agency_id[:80]}」は存在しません。GET /v1/agencies で id を確認してください。",
        en=f'Agency "{agency_id[:80]}" does not exist. Check the id with GET /v1/agencies.',
    )


# The HSDS identifiers a filter may name, with where to look them up.
HSDS_KINDS = {
    "taxonomy": ("分類", "Taxonomy", "/v1/hsds/taxonomies"),
    "taxonomy_term": ("分類の用語", "Taxonomy term", "/v1/hsds/taxonomy_terms"),
    "organization": ("組織", "Organization", "/v1/hsds/organizations"),
}


def unknown_hsds(kind: str, value: str) -> ApiError:
    """An HSDS taxonomy, taxonomy term or organization named in a filter that does not exist
    (422; `kind` is a key of HSDS_KINDS)."""
    ja, en, path = HSDS_KINDS[kind]
    return ApiError(
        422,
        f"{ja}「{value[:80]}」は存在しません。GET {path} で id を確認してください。",
        en=f'{en} "{value[:80]}" does not exist. Check the id with GET {path}.',
    )


def unknown_support_type(code: str, known: list[str]) -> ApiError:
    return ApiError(
        422,
        f"支援の種類「{code[:40]}」は存在しません。次のいずれかを指定してください: "
        + ", ".join(known),
        en=f'Support type "{code[:40]}" does not exist. Use one of: ' + ", ".join(known),
    )


def unknown_municipality(value: str) -> ApiError:
    return ApiError(
        422,
        f"市町「{value[:40]}」は山口県の19市町にありません。"
        "市町名（例: 萩市）か JIS コード（例: 35204）を指定してください。",
        en=f'"{value[:40]}" is not one of the 19 municipalities of Yamaguchi Prefecture. '
        "Give a municipality name (e.g. 萩市) or its JIS code (e.g. 35204).",
    )


def resolve_municipality(session: Session, value: str) -> Municipality:
    """Accept a JIS code (35204) or a name (萩市, or 萩 without the suffix)."""
    value = value.strip()
    row = session.get(Municipality, value)
    if row is None:
        row = session.exec(select(Municipality).where(Municipality.name == value)).first()
    if row is None:
        for candidate in session.exec(select(Municipality)):
            if candidate.name[:-1] == value:
                row = candidate
                break
    if row is None:
        raise unknown_municipality(value)
    return row


def resolve_municipality_code(snapshot: DirectorySnapshot, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value in snapshot.municipalities:
        return value
    for m in snapshot.municipalities.values():
        if value in (m.name, m.name[:-1]):
            return m.code
    raise unknown_municipality(value)
