"""The public lists, answered from the in-memory directory: never a database query.

/v1/support-types, /v1/agencies (and an agency's detail), /v1/role-matrix, /v1/programmes (and a
programme's detail), /v1/contact-points and /v1/hsds/services answer from one generation of the
directory (app.services.snapshot), which every worker already holds and rebuilds when the directory version moves:

- the small lists (support types, agencies, the role matrix, HSDS taxonomies) are rendered when
  the generation is built, by the same service functions the detail endpoints use;
- a programme, contact point or HSDS service is rendered to JSON the first time a page shows it
  (from its snapshot view, through the same API shape as its detail) and kept for the generation;
- a filtered list of ids is kept per filter (a few hundred, least recently used dropped), so the
  next page of the same search costs a slice;
- a page's body is joined from those rendered items, and its ETag is a hash of the body: two
  workers on the same version give the same ETag, and an edit elsewhere leaves it unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.core.caching import BoundedLru, Rendered, json_bytes, rendered
from app.matching.snapshot import (
    ContactPointView,
    DirectorySnapshot,
    ProgrammeView,
    field_values,
    in_id_order,
)
from app.models import Agency
from app.models.directory import ContactPointFields
from app.models.programmes import ProgrammeFields
from app.schemas.directory import (
    AgencyDetail,
    AgencyRef,
    AgencySummary,
    PhoneOut,
    ProgrammeRef,
    SourceOut,
)
from app.schemas.programmes import ProgrammeDetail, ProgrammeOut
from app.services import directory as directory_service
from app.services import english, hsds
from app.services import programmes as programmes_service
from app.services.lookups import (
    not_found,
    resolve_municipality_code,
    unknown_agency,
    unknown_hsds,
    unknown_support_type,
)
from app.services.search import SearchIndex

LIST_CACHE_SIZE = 512
ITEM_CACHE_SIZE = 50_000


def _json(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        return value.model_dump_json().encode()
    if isinstance(value, list):
        return b"[" + b",".join(_json(v) for v in value) + b"]"
    return json_bytes(value)


def _page(items: list[bytes], total: int, limit: int, offset: int) -> Rendered:
    tail = f'],"total":{total},"limit":{limit},"offset":{offset}}}'.encode()
    return rendered(b'{"items":[' + b",".join(items) + tail)


@dataclass(frozen=True, slots=True)
class ProgrammeFilter:
    support_type: str | None = None
    action: int | None = None
    kind: str | None = None
    agency: str | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceFilter:
    support_type: str | None = None
    actions: tuple[int, ...] | None = None  # a pillar's actions, or one action
    classified: str | None = None  # "support_type" or "action": has any term of that taxonomy
    agency: str | None = None
    modified_after: datetime | None = None
    q: str | None = None


class Listings:
    """The public lists of one directory generation."""

    def __init__(
        self,
        session: Session,
        snapshot: DirectorySnapshot,
        agency_index: SearchIndex,
        programme_index: SearchIndex,
        previous: Listings | None = None,
    ) -> None:
        """`previous`: the lists of the generation this one patches (only programmes and
        contact points changed), whose agency-level lists are kept as they are, so that they
        always describe the same agencies as the snapshot."""
        self.snapshot = snapshot
        self.agency_index = agency_index
        self.programme_index = programme_index
        self.support_types: Rendered
        self.role_matrix: Rendered
        self.support_types_en: Rendered
        self.role_matrix_en: Rendered
        # (id, roles, JSON, JSON with the English name)
        self._agencies: list[tuple[str, tuple[str, ...], bytes, bytes]]
        self._agency_rows: dict[str, Agency]
        self._agency_summaries: dict[str, AgencySummary]
        self.hsds_catalogue: hsds.Catalogue
        if previous is not None:
            self.support_types = previous.support_types
            self.role_matrix = previous.role_matrix
            self.support_types_en = previous.support_types_en
            self.role_matrix_en = previous.role_matrix_en
            self._agencies = previous._agencies
            self._agency_rows = previous._agency_rows
            self._agency_summaries = previous._agency_summaries
            self.hsds_catalogue = previous.hsds_catalogue
        else:
            types = [t.model_dump() for t in directory_service.list_support_types(session)]
            matrix = directory_service.role_matrix(session).model_dump()
            self.support_types = rendered(json_bytes(types))
            self.role_matrix = rendered(json_bytes(matrix))
            self.support_types_en = rendered(
                json_bytes([english.support_type(t, snapshot) for t in types])
            )
            self.role_matrix_en = rendered(json_bytes(english.role_matrix(matrix, snapshot)))
            summaries = directory_service.agency_summaries(session)
            self._agencies = [
                (
                    a.id,
                    tuple(a.roles),
                    _json(a),
                    json_bytes(english.agency(a.model_dump(mode="json"), snapshot)),
                )
                for a in summaries
            ]
            self._agency_summaries = {a.id: a for a in summaries}
            rows = session.exec(select(Agency).order_by(col(Agency.id)))
            self._agency_rows = {a.id: a for a in rows}
            for row in self._agency_rows.values():
                session.expunge(row)
            self.hsds_catalogue = hsds.load_catalogue(session)
        self._programme_ids = sorted(snapshot.programmes)
        contacts = in_id_order(snapshot.contact_points)
        self._contacts = {c.id: c for c in contacts}
        self._contact_ids = [c.id for c in contacts]
        by_agency: dict[str, list[str]] = defaultdict(list)
        by_programme: dict[str, list[str]] = defaultdict(list)
        for c in contacts:
            by_agency[c.agency_id].append(c.id)
            if c.programme_id:
                by_programme[c.programme_id].append(c.id)
        self._contacts_by_agency = by_agency
        self._contacts_by_programme = by_programme
        operated: dict[str, list[str]] = defaultdict(list)
        for pid in self._programme_ids:
            for agency_id in snapshot.programmes[pid].operators:
                operated[agency_id].append(pid)
        self._programmes_by_agency = operated
        websites: dict[str, str] = {}
        for c in contacts:
            if c.programme_id:
                url = c.details.get("url")
                if url:
                    websites.setdefault(c.programme_id, url)
        self._programme_websites = websites
        self._items: BoundedLru[tuple[str, str], bytes] = BoundedLru(ITEM_CACHE_SIZE)
        self._lists: BoundedLru[Any, list[str]] = BoundedLru(LIST_CACHE_SIZE)
        self._pages: BoundedLru[Any, Rendered] = BoundedLru(LIST_CACHE_SIZE)

    def _page_of(
        self, key: Any, make: Callable[[], Rendered], cached_only: bool
    ) -> Rendered | None:
        """The page for `key`, rendered now if need be; with `cached_only`, None unless it was
        rendered before (the caller then renders it off the event loop)."""
        return self._pages.get(key) if cached_only else self._pages.get_or_make(key, make)

    # --- validation of filters (the same 422s as ever, from memory) --------------------------

    def ensure_support_type(self, code: str) -> None:
        if code not in self.snapshot.support_type_by_code:
            raise unknown_support_type(code, [s.code for s in self.snapshot.support_types])

    def ensure_agency(self, agency_id: str) -> None:
        if agency_id not in self.snapshot.agencies:
            raise unknown_agency(agency_id)

    # --- agencies ------------------------------------------------------------------------

    def agencies(
        self,
        limit: int,
        offset: int,
        support_type: str | None,
        q: str | None,
        *,
        cached_only: bool = False,
        language: str = "ja",
    ) -> Rendered | None:
        if support_type is not None:
            self.ensure_support_type(support_type)

        def make() -> Rendered:
            rows = self._agencies
            if support_type is not None:
                rows = [r for r in rows if support_type in r[1]]
            if q:
                rank = {aid: i for i, aid in enumerate(self.agency_index.search(q))}
                rows = sorted((r for r in rows if r[0] in rank), key=lambda r: rank[r[0]])
            in_english = language == "en"
            window = [r[3] if in_english else r[2] for r in rows[offset : offset + limit]]
            return _page(window, len(rows), limit, offset)

        key = ("agencies", limit, offset, support_type, q, language)
        return self._page_of(key, make, cached_only)

    # --- programmes ----------------------------------------------------------------------

    def _programme_ids_for(self, f: ProgrammeFilter) -> list[str]:
        def make() -> list[str]:
            views = self.snapshot.programmes
            ids = self.programme_index.search(f.q) if f.q else self._programme_ids
            return [
                pid
                for pid in ids
                if pid in views
                and (f.support_type is None or f.support_type in views[pid].support_types)
                and (f.action is None or f.action in views[pid].actions)
                and (f.kind is None or views[pid].kind == f.kind)
                and (f.agency is None or f.agency in views[pid].operators)
            ]

        if f == ProgrammeFilter():
            return self._programme_ids
        return self._lists.get_or_make(("programmes", f), make)

    def _programme_item(self, pid: str) -> bytes:
        return self._items.get_or_make(
            ("programme", pid), lambda: _json(self.programme_out(self.snapshot.programmes[pid]))
        )

    def programme_out(self, view: ProgrammeView) -> ProgrammeOut:
        agencies = self.snapshot.agencies
        operators = [
            AgencyRef(id=a, name=agencies[a].name if a in agencies else a) for a in view.operators
        ]
        return programmes_service.programme_out(
            view,
            field_values(view, ProgrammeFields.model_fields),
            {
                "operators": operators,
                "actions": list(view.actions),
                "measures": list(view.measures),
                "support_types": list(view.support_types),
            },
        )

    def agency_revision(self, agency_id: str) -> int:
        """Its version, the ETag of its detail (404 when this generation has no such agency)."""
        row = self._agency_rows.get(agency_id)
        if row is None or agency_id not in self._agency_summaries:
            raise not_found("機関", agency_id)
        return row.revision

    def agency_detail(self, agency_id: str, *, cached_only: bool = False) -> Rendered | None:
        """GET /v1/agencies/{id} (without `municipality`): the agency as its list shows it, its
        place among the agencies, the programmes it operates and its windows, in id order (404
        when this generation has no such agency). The same answer as the database's
        (`directory_service.get_agency`: tests compare the two for every agency)."""
        self.agency_revision(agency_id)

        def make() -> Rendered:
            return rendered(_json(self.agency_detail_out(agency_id)))

        return self._page_of(("agency", agency_id), make, cached_only)

    def agency_detail_out(self, agency_id: str) -> AgencyDetail:
        row = self._agency_rows[agency_id]
        rows = self._agency_rows
        parent = rows.get(row.parent_id) if row.parent_id else None
        programmes = self.snapshot.programmes
        return AgencyDetail(
            **self._agency_summaries[agency_id].model_dump(),
            aliases=list(row.aliases),
            matrix_row_label=row.matrix_row_label,
            source=SourceOut(section=row.source_section, page=row.source_page),
            parent=AgencyRef(id=parent.id, name=parent.name) if parent else None,
            children=[
                AgencyRef(id=c.id, name=c.name) for c in rows.values() if c.parent_id == agency_id
            ],
            programmes=[
                ProgrammeRef(id=pid, name=programmes[pid].name, kind=programmes[pid].kind)
                for pid in self._programmes_by_agency.get(agency_id, ())
            ],
            contact_points=[
                contact_point_out(self._contacts[cid])
                for cid in self._contacts_by_agency.get(agency_id, ())
            ],
        )

    def programme_revision(self, programme_id: str) -> int:
        """Its version, the ETag of its detail (404 when this generation has no such programme)."""
        view = self.snapshot.programmes.get(programme_id)
        if view is None:
            raise not_found("制度", programme_id)
        return view.revision

    def programme_detail(self, programme_id: str, *, cached_only: bool = False) -> Rendered | None:
        """GET /v1/programmes/{id}: the programme, its own windows and its operators' general
        ones (in id order) (404 when this generation has no such programme)."""
        view = self.snapshot.programmes.get(programme_id)
        if view is None:
            raise not_found("制度", programme_id)

        def make() -> Rendered:
            contacts = self._contacts
            ids = set(self._contacts_by_programme.get(view.id, ()))
            for agency_id in view.operators:
                ids.update(
                    cid
                    for cid in self._contacts_by_agency.get(agency_id, ())
                    if contacts[cid].programme_id is None
                )
            detail = ProgrammeDetail(
                **self.programme_out(view).model_dump(),
                contact_points=[contact_point_out(contacts[cid]) for cid in sorted(ids)],
            )
            return rendered(_json(detail))

        return self._page_of(("programme", view.id), make, cached_only)

    def programmes(
        self, limit: int, offset: int, f: ProgrammeFilter, *, cached_only: bool = False
    ) -> Rendered | None:
        if f.support_type is not None:
            self.ensure_support_type(f.support_type)
        if f.agency is not None:
            self.ensure_agency(f.agency)

        def make() -> Rendered:
            ids = self._programme_ids_for(f)
            items = [self._programme_item(pid) for pid in ids[offset : offset + limit]]
            return _page(items, len(ids), limit, offset)

        return self._page_of(("programmes", limit, offset, f), make, cached_only)

    # --- contact points -------------------------------------------------------------------

    def _contact_item(self, cid: str) -> bytes:
        return self._items.get_or_make(
            ("contact", cid), lambda: _json(contact_point_out(self._contacts[cid]))
        )

    def contact_points(
        self,
        limit: int,
        offset: int,
        agency: str | None,
        municipality: str | None,
        *,
        cached_only: bool = False,
    ) -> Rendered | None:
        if agency is not None:
            self.ensure_agency(agency)
        code = resolve_municipality_code(self.snapshot, municipality)

        def make() -> list[str]:
            ids: Sequence[str] = (
                self._contacts_by_agency.get(agency, []) if agency else self._contact_ids
            )
            if code is None:
                return list(ids)
            contacts = self._contacts
            return [
                cid
                for cid in ids
                if contacts[cid].prefecture_wide or code in contacts[cid].municipalities
            ]

        def page() -> Rendered:
            if agency is None and code is None:
                ids: list[str] = self._contact_ids
            else:
                ids = self._lists.get_or_make(("contacts", agency, code), make)
            items = [self._contact_item(cid) for cid in ids[offset : offset + limit]]
            return _page(items, len(ids), limit, offset)

        return self._page_of(("contacts", limit, offset, agency, code), page, cached_only)

    # --- HSDS services --------------------------------------------------------------------

    def _service_doc(self, pid: str) -> bytes:
        def make() -> bytes:
            view = self.snapshot.programmes[pid]
            doc = hsds.service_basic(
                view,
                list(view.operators),
                self._agency_rows,
                self._programme_websites.get(pid),
            )
            return _json(doc)

        return self._items.get_or_make(("service", pid), make)

    def service_filter(
        self,
        *,
        taxonomy_term_id: str | None,
        taxonomy_id: str | None,
        organization_id: str | None,
        modified_after: datetime | None,
        q: str | None,
    ) -> ServiceFilter:
        """The /v1/hsds/services filters resolved (HSDS UUIDs or our ids), or a 422."""
        cat = self.hsds_catalogue
        support_type: str | None = None
        actions: tuple[int, ...] | None = None
        classified: str | None = None
        agency: str | None = None
        if taxonomy_term_id is not None:
            try:
                term = cat.term(taxonomy_term_id)
            except KeyError:
                raise unknown_hsds("taxonomy_term", taxonomy_term_id) from None
            if term.support_type:
                support_type = term.support_type
            elif term.action is not None:
                actions = (term.action,)
            else:
                actions = tuple(term.children)
        if taxonomy_id is not None:
            try:
                key = cat.taxonomy_key(taxonomy_id)
            except KeyError:
                raise unknown_hsds("taxonomy", taxonomy_id) from None
            classified = "support_type" if key == hsds.SUPPORT_TYPES_TAXONOMY else "action"
        if organization_id is not None:
            agency = hsds.resolve_id(organization_id, self.snapshot.agencies, "organization")
            if agency is None:
                raise unknown_hsds("organization", organization_id)
        return ServiceFilter(support_type, actions, classified, agency, modified_after, q)

    def services(
        self, page: int, per_page: int, f: ServiceFilter, *, cached_only: bool = False
    ) -> Rendered | None:
        def ids_for() -> list[str]:
            views = self.snapshot.programmes
            bound = f.modified_after
            if bound is not None and bound.tzinfo is None:
                bound = bound.replace(tzinfo=UTC)
            ids = self.programme_index.search(f.q) if f.q else self._programme_ids
            out = []
            for pid in ids:
                v = views.get(pid)
                if v is None:
                    continue
                if f.support_type is not None and f.support_type not in v.support_types:
                    continue
                if f.actions is not None and not set(f.actions).intersection(v.actions):
                    continue
                if f.classified == "support_type" and not v.support_types:
                    continue
                if f.classified == "action" and not v.actions:
                    continue
                if f.agency is not None and f.agency not in v.operators:
                    continue
                if bound is not None and _aware(v.updated_at) < bound:
                    continue
                out.append(pid)
            return out

        def make() -> Rendered:
            ids = self._lists.get_or_make(("services", f), ids_for)
            start = (page - 1) * per_page
            window = ids[start : start + per_page]
            head = hsds.page_envelope(len(ids), page, per_page, window)
            del head["contents"]  # joined from the rendered services below
            items = b",".join(self._service_doc(pid) for pid in window)
            return rendered(_json(head)[:-1] + b',"contents":[' + items + b"]}")

        return self._page_of(("services", page, per_page, f), make, cached_only)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def contact_point_out(c: ContactPointView) -> Any:
    """The API shape of a contact point from its snapshot view (as its detail shows it)."""
    return directory_service.contact_point_values_out(
        field_values(c, ContactPointFields.model_fields),
        [PhoneOut(label=p.label, number=p.number) for p in c.phones],
        list(c.municipalities),
    )
