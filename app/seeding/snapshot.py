"""Build a matcher snapshot straight from the seed files (evaluation, benchmarks, unit tests).

The running service builds its snapshot from the database instead (``app.services.snapshot``),
so that edits made through the API are seen; both produce the same ``DirectorySnapshot``.
"""

from __future__ import annotations

from pathlib import Path

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
from app.seeding.loader import DEFAULT_SEED_DIR, SeedBundle, read_seed


def snapshot_from_bundle(bundle: SeedBundle, version: int = 0) -> DirectorySnapshot:
    return DirectorySnapshot(
        version=version,
        support_types=tuple(
            SupportTypeView(s.code.value, s.name, s.name_en, s.order)
            for s in sorted(bundle.support_types, key=lambda s: s.order)
        ),
        agencies={
            a.id: AgencyView(
                id=a.id,
                name=a.name,
                short_name=a.short_name,
                roles=frozenset(r.value for r in a.roles),
                parent_id=a.parent_id,
                role_label=a.role_label,
            )
            for a in bundle.agencies
        },
        actions={a.number: ActionView(a.number, a.title, a.pillar) for a in bundle.actions},
        programmes={
            g.id: ProgrammeView(
                id=g.id,
                name=g.name,
                kind=g.kind.value,
                operators=tuple(g.operators),
                actions=tuple(g.actions),
                support_types=tuple(s.value for s in g.support_types),
                description=g.description,
            )
            for g in bundle.programmes
        },
        needs={
            n.id: NeedView(
                id=n.id,
                label=n.label,
                support_type=n.support_type.value,
                actions=tuple(n.actions),
                agencies=tuple(n.agencies),
                in_figure=n.in_figure,
                general=n.general,
            )
            for n in bundle.needs
        },
        contact_points=tuple(
            ContactPointView(
                id=c.id,
                name=c.name,
                agency_id=c.agency_id,
                role=c.role,
                postal_code=c.postal_code,
                address=c.address,
                phones=tuple(PhoneView(ph.label, ph.number) for ph in c.phones),
                fax=c.fax,
                email=c.email,
                url=c.url,
                hours=c.hours,
                municipalities=tuple(c.municipalities),
                prefecture_wide=c.prefecture_wide,
                general_fallback=c.general_fallback,
                source=c.source,
                as_of=c.as_of,
                verified=c.verified,
                programme_id=c.programme_id,
            )
            for c in bundle.contact_points
        ),
        municipalities={m.code: MunicipalityView(m.code, m.name) for m in bundle.municipalities},
    )


def snapshot_from_seed(seed_dir: Path = DEFAULT_SEED_DIR) -> DirectorySnapshot:
    return snapshot_from_bundle(read_seed(seed_dir))
