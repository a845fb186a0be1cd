"""National subsidies (jGrants) for a match: those accepting applications now whose jGrants
use purposes (利用目的) meet the purposes the owner's needs map to (seed/need_vocabularies.yaml).

The subsidies are synced into the database by ``app.services.national`` and held in memory with
the directory snapshot (``DirectorySnapshot.national_programmes``); choosing among them reads
nothing else and takes the time as an argument, so answers never depend on today's date unless
the caller passes it. Pure Python: no web framework or database imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.matching.status import as_utc


def iso_utc(value: datetime | None) -> str | None:
    """A timestamp as the API writes it (UTC, `Z`), the same text pydantic writes."""
    if value is None:
        return None
    return as_utc(value).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class NationalProgrammeView:
    """One jGrants subsidy open to 山口県 or the whole country, as last synced."""

    id: str  # jGrants subsidy id
    title: str
    source_url: str
    use_purposes: tuple[str, ...]  # jGrants 利用目的 whose search returned it
    target_areas: tuple[str, ...]  # 全国, 山口県 …
    fetched_at: datetime
    number: str | None = None  # jGrants `name` (S-00001234)
    max_amount: int | None = None  # yen; None when jGrants gives none (or 0)
    acceptance_start: datetime | None = None
    acceptance_end: datetime | None = None
    target_employees: str | None = None

    def accepting(self, now: datetime) -> bool:
        """Open now: both ends of the acceptance window are known and `now` is inside it."""
        if self.acceptance_start is None or self.acceptance_end is None:
            return False
        at = as_utc(now)
        return as_utc(self.acceptance_start) <= at <= as_utc(self.acceptance_end)


@dataclass(frozen=True, slots=True)
class NationalProgrammeMatch:
    programme: NationalProgrammeView
    use_purposes: tuple[str, ...]  # the purposes it shares with the owner's needs
    reason: str

    def to_dict(self) -> dict[str, Any]:
        p = self.programme
        return {
            "id": p.id,
            "name": p.title,
            "number": p.number,
            "source_url": p.source_url,
            "target_areas": list(p.target_areas),
            "acceptance_start": iso_utc(p.acceptance_start),
            "acceptance_end": iso_utc(p.acceptance_end),
            "max_amount": p.max_amount,
            "target_employees": p.target_employees,
            "use_purposes": list(self.use_purposes),
            "fetched_at": iso_utc(p.fetched_at),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class PurposeOfNeed:
    """A jGrants use purpose and the need (its topic, 事業承継) that maps to it."""

    purpose: str
    topic: str


def _reason(shared: Sequence[PurposeOfNeed]) -> str:
    purposes = "』『".join(dict.fromkeys(p.purpose for p in shared))
    topics = "・".join(dict.fromkeys(p.topic for p in shared))
    return f"ご相談（{topics}）に当たる jGrants の利用目的『{purposes}』の補助金で、現在受付中です"


def choose_national(
    programmes: Iterable[NationalProgrammeView],
    wanted: Sequence[PurposeOfNeed],
    now: datetime,
    limit: int,
) -> tuple[NationalProgrammeMatch, ...]:
    """The subsidies accepting applications at `now` that share a use purpose with `wanted`
    (in the needs' order): those of the first need's purposes first, then the ones closing
    soonest, then by id; at most `limit`."""
    if not wanted:
        return ()
    rank: dict[str, int] = {}
    for i, p in enumerate(wanted):
        rank.setdefault(p.purpose, i)
    found: list[tuple[int, datetime, str, NationalProgrammeMatch]] = []
    for programme in programmes:
        shared = [w for w in wanted if w.purpose in programme.use_purposes]
        if not shared or not programme.accepting(now):
            continue
        purposes = tuple(dict.fromkeys(w.purpose for w in shared))
        assert programme.acceptance_end is not None  # accepting() checked it
        found.append(
            (
                min(rank[p] for p in purposes),
                as_utc(programme.acceptance_end),
                programme.id,
                NationalProgrammeMatch(programme, purposes, _reason(shared)),
            )
        )
    found.sort(key=lambda item: item[:3])
    return tuple(item[3] for item in found[:limit])
