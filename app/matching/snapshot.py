"""The read-only view of the directory that the matcher works on.

Built from the database at startup (and again whenever the data changes) by
``app.services.snapshot``; the matcher itself never touches the database.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.matching.national import NationalProgrammeView
from app.matching.status import ProgrammeStatus, programme_status, status_label


@dataclass(frozen=True, slots=True)
class SupportTypeView:
    code: str
    name: str
    name_en: str
    order: int


@dataclass(frozen=True, slots=True)
class AgencyView:
    id: str
    name: str
    short_name: str
    roles: frozenset[str]
    parent_id: str | None = None
    role_label: str | None = None
    municipalities: tuple[str, ...] = ()  # the 市町 a local office serves; () = prefecture-wide
    name_en: str | None = None


@dataclass(frozen=True, slots=True)
class ActionView:
    number: int
    title: str
    pillar: int


@dataclass(frozen=True, slots=True)
class ProgrammeView:
    """A programme: what the matcher reads, typed, and what only the API's lists show (the
    rest of its shared fields as `details`, its aliases, measures, source and last change)."""

    id: str
    name: str
    kind: str
    operators: tuple[str, ...]
    actions: tuple[int, ...]
    support_types: tuple[str, ...]
    description: str = ""
    aliases: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()  # "6.2": action number . measure number
    source_section: str = ""
    source_page: int | None = None
    updated_at: Any = None
    as_of: int | None = None  # the year of its source (the plan: 2013)
    status_confirmed_at: Any = None  # when an editor last confirmed it; None: never
    revision: int = 1  # its version for If-Match (the ETag of its detail)
    detail_names: tuple[str, ...] = ()
    detail_values: tuple[Any, ...] = ()

    @property
    def details(self) -> dict[str, Any]:
        return dict(zip(self.detail_names, self.detail_values, strict=True))

    @property
    def status(self) -> ProgrammeStatus:
        return programme_status(self.status_confirmed_at)

    @property
    def status_label(self) -> str:
        return status_label(self.as_of, self.status_confirmed_at)


@dataclass(frozen=True, slots=True)
class NeedView:
    id: str
    label: str
    support_type: str
    actions: tuple[int, ...]
    agencies: tuple[str, ...]
    in_figure: bool = False
    general: bool = False  # gives way to a specific need said in the same text
    topic: str = ""  # the need as a noun phrase (資金の融資), for sentences
    label_en: str | None = None


@dataclass(frozen=True, slots=True)
class PhoneView:
    label: str | None
    number: str


@dataclass(frozen=True, slots=True)
class ContactPointView:
    """A contact point: what the matcher reads of it, typed, and the rest of what the API shows
    (address, hours, source ...) as `details`: names and values, so that a field added to the
    contact point reaches every answer without an edit here. The names tuple is one object
    shared by every view."""

    id: str
    name: str
    agency_id: str
    phones: tuple[PhoneView, ...]
    municipalities: tuple[str, ...]
    prefecture_wide: bool
    general_fallback: bool
    verified: bool
    programme_id: str | None = None  # a window of one programme, not of the agency as a whole
    detail_names: tuple[str, ...] = ()
    detail_values: tuple[Any, ...] = ()

    @property
    def details(self) -> dict[str, Any]:
        return dict(zip(self.detail_names, self.detail_values, strict=True))


def in_id_order(items: Iterable[Any]) -> Sequence[Any]:
    """Views sorted by id: those already in that order (a snapshot keeps its programmes and
    contact points so) come back as they are, without a sort of 100k objects by a key."""
    seq = items if isinstance(items, list | tuple) else list(items)
    ids = [item.id for item in seq]
    if all(a <= b for a, b in itertools.pairwise(ids)):
        return seq
    return sorted(seq, key=lambda item: item.id)


def field_values(view: Any, names: Iterable[str]) -> dict[str, Any]:
    """A view's values for `names` (a shared fields class's fields): typed attributes first,
    then its details, so an API shape can be built from a view as from a table row."""
    details = view.details
    return {n: details[n] if n in details else getattr(view, n) for n in names}


@dataclass(frozen=True, slots=True)
class MunicipalityView:
    code: str
    name: str


@dataclass(frozen=True)
class DirectorySnapshot:
    """Everything the matcher needs to rank agencies, programmes, actions and contacts."""

    version: int
    support_types: tuple[SupportTypeView, ...]
    agencies: dict[str, AgencyView]
    actions: dict[int, ActionView]
    programmes: dict[str, ProgrammeView]
    needs: dict[str, NeedView]
    contact_points: tuple[ContactPointView, ...]
    municipalities: dict[str, MunicipalityView]
    # jGrants subsidies open to 山口県 or the whole country, as last synced (app.services.national)
    national_programmes: tuple[NationalProgrammeView, ...] = ()
    support_type_by_code: dict[str, SupportTypeView] = field(init=False)
    # What the matcher derives from this snapshot (its lookups), kept with it and gone with it;
    # not copied by dataclasses.replace (init=False): a patched snapshot derives its own.
    derived: dict[str, Any] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "support_type_by_code", {st.code: st for st in self.support_types})
        object.__setattr__(self, "derived", {})
