"""The directory as Open Referral HSDS 3.0 documents (organizations, services, taxonomies).

Mapping (documented in docs/partners.md, section 8):

- agencies -> organizations; their contact points -> contacts (phones and fax nested as phones);
  their ○ of the role matrix -> attributes linking to support-type taxonomy terms; our agency id
  -> an organization_identifier.
- programmes -> services with status "active" (HSDS has no "unchecked" status), with an
  `assured_date` once an editor confirmed the programme and, until then, an `alert` saying
  「2013年の計画に記載（現状は要確認）」 (service_status); the organization is the first operator (operators
  ordered by agency id, as in /v1/programmes), further operators are attributes with
  link_type "additional_operator" whose value is the organization id; support types and plan
  actions -> attributes linking to taxonomy terms; a contact point whose programme_id is the
  programme -> a contact of the service.
- two taxonomies: the 6 support types, and the plan's 3 pillars (top-level terms) with its 12
  actions (children of their pillar).
- source and as_of -> metadata entries (last_action_type "seed").

HSDS ids must be UUIDs (`format: uuid`); they are uuid5 values derived from our ids with a fixed
namespace, so they never change between deployments. Every lookup by id also accepts our own id.
Unknown values (addresses, phones, e-mail) are omitted, never invented.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.core.errors import ApiError
from app.matching.status import japan_date, status_label
from app.models import (
    Action,
    Agency,
    AgencyRole,
    ContactPoint,
    Pillar,
    Programme,
    ProgrammeAction,
    ProgrammeOperator,
    ProgrammeSupportType,
    SupportType,
)
from app.services.lookups import unknown_hsds
from app.services.search import SearchIndex

HSDS_VERSION = "3.0"
HSDS_PROFILE = "https://github.com/openreferral/specification/tree/3.0"
# Fixed forever: uuid5(NAMESPACE_URL, "https://madoguchi.example/hsds/3.0").
NAMESPACE = uuid.UUID("c6cd3486-feaf-5184-b483-ba6a70c8828d")
PLAN_SOURCE = "やまぐち商工業推進計画（山口県、2013年10月）"
LANGUAGE = "ja"

SUPPORT_TYPES_TAXONOMY = "support-types"
PLAN_TAXONOMY = "plan-actions"
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def hsds_id(kind: str, key: object) -> str:
    """The stable HSDS UUID of one of our records (`kind` is the HSDS object type)."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values: HSDS fields are typed without null, so unknown means omitted."""
    return {k: v for k, v in doc.items() if v is not None}


def _timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _date(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).date().isoformat()


def _metadata(
    resource_type: str,
    native_key: str,
    fields: Iterable[tuple[str, str | None]],
    *,
    updated_by: str,
    last_action_date: str,
) -> list[dict[str, Any]]:
    resource_id = hsds_id(resource_type, native_key)
    return [
        {
            "id": hsds_id("metadata", f"{resource_type}:{native_key}:{name}"),
            "resource_id": resource_id,
            "resource_type": resource_type,
            "last_action_date": last_action_date,
            "last_action_type": "seed",
            "field_name": name,
            "previous_value": "",
            "replacement_value": value,
            "updated_by": updated_by,
        }
        for name, value in fields
        if value is not None
    ]


def _plan_source(section: str, page: int | None) -> str:
    return f"{PLAN_SOURCE} {section}" + (f" p.{page}" if page is not None else "")


def page_envelope(total: int, page: int, per_page: int, contents: Sequence[Any]) -> dict[str, Any]:
    """The HSDS `Page` schema of openapi.json plus `contents`."""
    total_pages = math.ceil(total / per_page) if total else 0
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def api_info(openapi_url: str) -> dict[str, Any]:
    return {"version": HSDS_VERSION, "profile": HSDS_PROFILE, "openapi_url": openapi_url}


# --- taxonomies -------------------------------------------------------------------------------


@dataclass
class Term:
    id: str
    taxonomy_key: str
    code: str
    name: str
    description: str
    parent_id: str | None = None
    support_type: str | None = None
    action: int | None = None
    pillar: int | None = None
    children: list[int] = field(default_factory=list)


@dataclass
class Catalogue:
    taxonomies: dict[str, dict[str, Any]]
    terms: list[Term]

    def taxonomy_key(self, value: str) -> str:
        for key, doc in self.taxonomies.items():
            if value in (key, doc["id"]):
                return key
        raise KeyError(value)

    def term(self, value: str) -> Term:
        for t in self.terms:
            if value in (t.id, t.code):
                return t
        raise KeyError(value)

    def support_type_term(self, code: str) -> Term:
        return self.term(hsds_id("taxonomy_term", f"support-type:{code}"))

    def action_term(self, number: int) -> Term:
        return self.term(hsds_id("taxonomy_term", f"action:{number}"))


def load_catalogue(session: Session) -> Catalogue:
    taxonomies = {
        SUPPORT_TYPES_TAXONOMY: {
            "id": hsds_id("taxonomy", SUPPORT_TYPES_TAXONOMY),
            "name": "madoguchi support types",
            "description": (
                "やまぐち商工業推進計画 第2章「支援機関等の役割」の役割表にある6つの支援の種類"
                "（創業支援・成長支援・技術支援・事業活動支援・経営基盤安定支援・金融支援）。"
            ),
            "version": "1",
        },
        PLAN_TAXONOMY: {
            "id": hsds_id("taxonomy", PLAN_TAXONOMY),
            "name": "やまぐち商工業推進計画 actions",
            "description": (
                "やまぐち商工業推進計画（山口県、2013年）の3つの柱（上位の用語）と12のアクション"
                "（各柱の下位の用語）。"
            ),
            "version": "2013",
        },
    }
    terms: list[Term] = []
    for s in session.exec(select(SupportType).order_by(col(SupportType.sort_order))):
        terms.append(
            Term(
                id=hsds_id("taxonomy_term", f"support-type:{s.code}"),
                taxonomy_key=SUPPORT_TYPES_TAXONOMY,
                code=s.code,
                name=s.name,
                description=s.description,
                support_type=s.code,
            )
        )
    actions = session.exec(select(Action).order_by(col(Action.number))).all()
    for p in session.exec(select(Pillar).order_by(col(Pillar.number))):
        terms.append(
            Term(
                id=hsds_id("taxonomy_term", f"pillar:{p.number}"),
                taxonomy_key=PLAN_TAXONOMY,
                code=f"pillar-{p.number}",
                name=f"柱{p.number} {p.title}",
                description=p.goal,
                pillar=p.number,
                children=[a.number for a in actions if a.pillar_number == p.number],
            )
        )
    for a in actions:
        terms.append(
            Term(
                id=hsds_id("taxonomy_term", f"action:{a.number}"),
                taxonomy_key=PLAN_TAXONOMY,
                code=f"action-{a.number}",
                name=f"アクション{a.number} {a.title}",
                description=a.focus or f"やまぐち商工業推進計画 {a.source_section}",
                parent_id=hsds_id("taxonomy_term", f"pillar:{a.pillar_number}"),
                action=a.number,
            )
        )
    return Catalogue(taxonomies=taxonomies, terms=terms)


def taxonomy_doc(cat: Catalogue, key: str) -> dict[str, Any]:
    return dict(cat.taxonomies[key])


def term_doc(cat: Catalogue, t: Term) -> dict[str, Any]:
    taxonomy = cat.taxonomies[t.taxonomy_key]
    return _clean(
        {
            "id": t.id,
            "code": t.code,
            "name": t.name,
            "description": t.description,
            "parent_id": t.parent_id,
            "taxonomy": taxonomy["name"],
            "taxonomy_detail": dict(taxonomy),
            "language": LANGUAGE,
            "taxonomy_id": taxonomy["id"],
        }
    )


def _taxonomy_page(
    docs: list[dict[str, Any]], page: int, per_page: int, q: str | None, keys: tuple[str, ...]
) -> dict[str, Any]:
    if q:
        needle = q.casefold()
        docs = [d for d in docs if any(needle in str(d.get(k, "")).casefold() for k in keys)]
    start = (page - 1) * per_page
    return page_envelope(len(docs), page, per_page, docs[start : start + per_page])


def list_taxonomies(session: Session, page: int, per_page: int, q: str | None) -> dict[str, Any]:
    cat = load_catalogue(session)
    docs = [taxonomy_doc(cat, k) for k in cat.taxonomies]
    return _taxonomy_page(docs, page, per_page, q, ("name", "description"))


def get_taxonomy(session: Session, taxonomy_id: str) -> dict[str, Any]:
    cat = load_catalogue(session)
    try:
        return taxonomy_doc(cat, cat.taxonomy_key(taxonomy_id))
    except KeyError:
        raise ApiError(
            404,
            f"分類「{taxonomy_id}」は見つかりません。",
            en=f'Taxonomy "{taxonomy_id}" was not found.',
        ) from None


def list_taxonomy_terms(
    session: Session,
    page: int,
    per_page: int,
    *,
    q: str | None,
    taxonomy_id: str | None,
    parent_id: str | None,
    top_only: bool,
) -> dict[str, Any]:
    cat = load_catalogue(session)
    terms = cat.terms
    if taxonomy_id is not None:
        try:
            key = cat.taxonomy_key(taxonomy_id)
        except KeyError:
            raise unknown_hsds("taxonomy", taxonomy_id) from None
        terms = [t for t in terms if t.taxonomy_key == key]
    if parent_id is not None:
        try:
            parent = cat.term(parent_id)
        except KeyError:
            raise unknown_hsds("taxonomy_term", parent_id) from None
        terms = [t for t in terms if t.parent_id == parent.id]
    if top_only:
        terms = [t for t in terms if t.parent_id is None]
    docs = [term_doc(cat, t) for t in terms]
    return _taxonomy_page(docs, page, per_page, q, ("name", "description", "code"))


def get_taxonomy_term(session: Session, term_id: str) -> dict[str, Any]:
    cat = load_catalogue(session)
    try:
        return term_doc(cat, cat.term(term_id))
    except KeyError:
        raise ApiError(
            404,
            f"分類の用語「{term_id}」は見つかりません。",
            en=f'Taxonomy term "{term_id}" was not found.',
        ) from None


# --- contacts ---------------------------------------------------------------------------------


def _contact_doc(c: ContactPoint, *, service_key: str | None) -> dict[str, Any]:
    contact_id = hsds_id("contact", c.id)
    organization_id = hsds_id("organization", c.agency_id)
    service_id = hsds_id("service", service_key) if service_key else None
    phones: list[dict[str, Any]] = []
    for i, p in enumerate(c.phones):
        phones.append(
            _clean(
                {
                    "id": hsds_id("phone", f"{c.id}:{i}"),
                    "organization_id": organization_id,
                    "service_id": service_id,
                    "contact_id": contact_id,
                    "number": str(p["number"]),
                    "type": "voice",
                    "description": p.get("label") or None,
                }
            )
        )
    if c.fax:
        phones.append(
            _clean(
                {
                    "id": hsds_id("phone", f"{c.id}:fax"),
                    "organization_id": organization_id,
                    "service_id": service_id,
                    "contact_id": contact_id,
                    "number": c.fax,
                    "type": "fax",
                    "description": "FAX",
                }
            )
        )
    updated = _date(c.updated_at)
    return _clean(
        {
            "id": contact_id,
            "organization_id": organization_id,
            "service_id": service_id,
            "name": c.name,
            "title": c.role,
            "email": c.email,
            "phones": phones,
            "metadata": _metadata(
                "contact",
                c.id,
                [
                    ("source", c.source),
                    ("as_of", c.as_of),
                    ("verified", "true" if c.verified else "false"),
                ],
                updated_by=c.source,
                last_action_date=c.as_of if c.as_of and _DATE.match(c.as_of) else updated,
            ),
        }
    )


# --- organizations ----------------------------------------------------------------------------


def _agency_order(a: Agency) -> tuple[int, str]:
    return (a.matrix_order if a.matrix_order is not None else 10_000, a.id)


def resolve_id(value: str, keys: Iterable[str], kind: str) -> str | None:
    """Our id for an HSDS UUID or for our own id."""
    for key in keys:
        if value == key or value == hsds_id(kind, key):
            return key
    return None


def _website(contacts: list[ContactPoint]) -> str | None:
    for c in contacts:
        if c.url and c.programme_id is None:
            return c.url
    return None


def _organization_basic(a: Agency, website: str | None) -> dict[str, Any]:
    return _clean(
        {
            "id": hsds_id("organization", a.id),
            "name": a.name,
            "alternate_name": a.short_name if a.short_name != a.name else None,
            "description": a.description or a.role_label or a.name,
            "website": website,
            "parent_organization_id": hsds_id("organization", a.parent_id) if a.parent_id else None,
        }
    )


def _contacts_by_agency(session: Session, agency_ids: list[str]) -> dict[str, list[ContactPoint]]:
    out: dict[str, list[ContactPoint]] = defaultdict(list)
    if agency_ids:
        for c in session.exec(
            select(ContactPoint)
            .where(col(ContactPoint.agency_id).in_(agency_ids))
            .order_by(col(ContactPoint.id))
        ):
            out[c.agency_id].append(c)
    return out


def list_organizations(
    session: Session, page: int, per_page: int, *, q: str | None, index: SearchIndex
) -> dict[str, Any]:
    agencies = sorted(session.exec(select(Agency)).all(), key=_agency_order)
    if q:
        hits = set(index.search(q))
        agencies = [a for a in agencies if a.id in hits]
    start = (page - 1) * per_page
    window = agencies[start : start + per_page]
    contacts = _contacts_by_agency(session, [a.id for a in window])
    docs = [_organization_basic(a, _website(contacts.get(a.id, []))) for a in window]
    return page_envelope(len(agencies), page, per_page, docs)


def _organization_full(session: Session, a: Agency, cat: Catalogue) -> dict[str, Any]:
    org_id = hsds_id("organization", a.id)
    contacts = _contacts_by_agency(session, [a.id]).get(a.id, [])
    doc = _organization_basic(a, _website(contacts))
    doc["contacts"] = [_contact_doc(c, service_key=c.programme_id) for c in contacts]
    doc["organization_identifiers"] = [
        {
            "id": hsds_id("organization_identifier", a.id),
            "organization_id": org_id,
            "identifier_type": "madoguchi agency id",
            "identifier": a.id,
        }
    ]
    type_order = {t.support_type: i for i, t in enumerate(cat.terms) if t.support_type}
    codes = sorted(
        session.exec(
            select(AgencyRole.support_type_code).where(AgencyRole.agency_id == a.id)
        ).all(),
        key=lambda code: type_order.get(code, 99),
    )
    doc["attributes"] = [
        _attribute(cat, "organization", a.id, cat.support_type_term(code), "role") for code in codes
    ]
    doc["metadata"] = _metadata(
        "organization",
        a.id,
        [("source", _plan_source(a.source_section, a.source_page))],
        updated_by=PLAN_SOURCE,
        last_action_date=_date(a.updated_at),
    )
    programmes = session.exec(
        select(Programme)
        .join(ProgrammeOperator, col(ProgrammeOperator.programme_id) == col(Programme.id))
        .where(ProgrammeOperator.agency_id == a.id)
        .order_by(col(Programme.id))
    ).all()
    doc["services"] = [
        {
            "id": hsds_id("service", g.id),
            "organization_id": org_id,
            "name": g.name,
            "description": g.description,
            **service_status(g),
        }
        for g in programmes
    ]
    return doc


def get_organization(session: Session, organization_id: str) -> dict[str, Any]:
    key = resolve_id(organization_id, session.exec(select(Agency.id)).all(), "organization")
    a = session.get(Agency, key) if key else None
    if a is None:
        raise ApiError(
            404,
            f"組織「{organization_id}」は見つかりません。",
            en=f'Organization "{organization_id}" was not found.',
        )
    return _organization_full(session, a, load_catalogue(session))


# --- services ---------------------------------------------------------------------------------


def _attribute(
    cat: Catalogue, link_entity: str, link_key: str, term: Term, link_type: str
) -> dict[str, Any]:
    return {
        "id": hsds_id("attribute", f"{link_entity}:{link_key}:{term.id}"),
        "link_id": hsds_id(link_entity, link_key),
        "taxonomy_term_id": term.id,
        "link_type": link_type,
        "link_entity": link_entity,
        "taxonomy_term": term_doc(cat, term),
    }


@dataclass
class _Links:
    operators: dict[str, list[str]]
    actions: dict[str, list[int]]
    support_types: dict[str, list[str]]


def _programme_links(session: Session, ids: list[str]) -> _Links:
    links = _Links(defaultdict(list), defaultdict(list), defaultdict(list))
    if not ids:
        return links
    for pid, aid in session.exec(
        select(ProgrammeOperator.programme_id, ProgrammeOperator.agency_id)
        .where(col(ProgrammeOperator.programme_id).in_(ids))
        .order_by(col(ProgrammeOperator.agency_id))
    ):
        links.operators[pid].append(aid)
    for pid, n in session.exec(
        select(ProgrammeAction.programme_id, ProgrammeAction.action_number)
        .where(col(ProgrammeAction.programme_id).in_(ids))
        .order_by(col(ProgrammeAction.action_number))
    ):
        links.actions[pid].append(n)
    order = {s.code: s.sort_order for s in session.exec(select(SupportType))}
    for pid, code in session.exec(
        select(ProgrammeSupportType.programme_id, ProgrammeSupportType.support_type_code).where(
            col(ProgrammeSupportType.programme_id).in_(ids)
        )
    ):
        links.support_types[pid].append(code)
    for codes in links.support_types.values():
        codes.sort(key=lambda c: order.get(c, 99))
    return links


def service_status(g: Any) -> dict[str, Any]:
    """A programme's HSDS status fields, from a row or a snapshot view.

    HSDS 3.0 allows only active, inactive, defunct and temporarily closed (service.json), none of
    which means "not checked": `status` stays the source's last word (`active`: the plan names
    the programme as running) and the rest says how sure that is. A confirmed programme has an
    `assured_date` (the day in Japan an editor confirmed it: "the date that the information
    about the service was last checked"); an unconfirmed one has none, and its `alert` says
    「2013年の計画に記載（現状は要確認）」."""
    if g.status_confirmed_at is None:
        return {"status": "active", "alert": status_label(g.as_of, None)}
    return {"status": "active", "assured_date": japan_date(g.status_confirmed_at).isoformat()}


def service_basic(
    g: Any, operators: list[str], agencies: dict[str, Agency], url: str | None
) -> dict[str, Any]:
    """A service as a list shows it, from a programme row or its snapshot view."""
    primary = agencies.get(operators[0]) if operators else None
    return _clean(
        {
            "id": hsds_id("service", g.id),
            "organization_id": hsds_id("organization", primary.id) if primary else None,
            "name": g.name,
            "alternate_name": "、".join(g.aliases) or None,
            "description": g.description,
            "url": url,
            **service_status(g),
            "last_modified": _timestamp(g.updated_at),
            "organization": _organization_basic(primary, None) if primary else None,
        }
    )


def _own_contacts(session: Session, ids: list[str]) -> dict[str, list[ContactPoint]]:
    out: dict[str, list[ContactPoint]] = defaultdict(list)
    if ids:
        for c in session.exec(
            select(ContactPoint)
            .where(col(ContactPoint.programme_id).in_(ids))
            .order_by(col(ContactPoint.id))
        ):
            out[c.programme_id or ""].append(c)
    return out


def _website_any(contacts: list[ContactPoint]) -> str | None:
    return next((c.url for c in contacts if c.url), None)


def get_service(session: Session, service_id: str) -> dict[str, Any]:
    key = resolve_id(service_id, session.exec(select(Programme.id)).all(), "service")
    g = session.get(Programme, key) if key else None
    if g is None:
        raise ApiError(
            404,
            f"サービス（制度）「{service_id}」は見つかりません。",
            en=f'Service (programme) "{service_id}" was not found.',
        )
    cat = load_catalogue(session)
    links = _programme_links(session, [g.id])
    operators = links.operators.get(g.id, [])
    agencies = {a.id: a for a in session.exec(select(Agency).where(col(Agency.id).in_(operators)))}
    own = _own_contacts(session, [g.id]).get(g.id, [])
    doc = service_basic(g, operators, agencies, _website_any(own))
    if operators:
        primary = agencies[operators[0]]
        org_contacts = _contacts_by_agency(session, [primary.id]).get(primary.id, [])
        org = _organization_basic(primary, _website(org_contacts))
        org["contacts"] = [_contact_doc(c, service_key=c.programme_id) for c in org_contacts]
        doc["organization"] = org
    doc["contacts"] = [_contact_doc(c, service_key=g.id) for c in own]
    attributes = [
        _attribute(cat, "service", g.id, cat.support_type_term(code), "support_type")
        for code in links.support_types.get(g.id, [])
    ]
    attributes += [
        _attribute(cat, "service", g.id, cat.action_term(n), "plan_action")
        for n in links.actions.get(g.id, [])
    ]
    attributes += [
        {
            "id": hsds_id("attribute", f"service:{g.id}:operator:{aid}"),
            "link_id": hsds_id("service", g.id),
            "link_type": "additional_operator",
            "link_entity": "service",
            "value": hsds_id("organization", aid),
        }
        for aid in operators[1:]
    ]
    attributes.append(
        {
            "id": hsds_id("attribute", f"service:{g.id}:madoguchi-id"),
            "link_id": hsds_id("service", g.id),
            "link_type": "madoguchi_programme_id",
            "link_entity": "service",
            "value": g.id,
        }
    )
    doc["attributes"] = attributes
    doc["metadata"] = _metadata(
        "service",
        g.id,
        [
            ("source", _plan_source(g.source_section, g.source_page)),
            ("status_note", g.status_note),
            ("as_of", str(g.as_of) if g.as_of is not None else None),
        ],
        updated_by=PLAN_SOURCE,
        last_action_date=_date(g.updated_at),
    )
    return doc
