"""Reading pillars, actions (with measures, initiatives, schedules) and KPIs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, col, select

from app.core.fiscal import fiscal_year_label
from app.core.pagination import Page, PageParams
from app.models import (
    Action,
    Agency,
    Initiative,
    InitiativeBody,
    Kpi,
    KpiAction,
    KpiActual,
    Measure,
    Pillar,
    Programme,
    ProgrammeAction,
    ScheduleEntry,
)
from app.models.common import shared_values
from app.models.plan import KpiActualFields
from app.models.types import ACCUMULATION_LABELS, KpiAccumulation
from app.schemas.directory import SourceOut
from app.schemas.plan import (
    ActionDetail,
    ActionSummary,
    ChallengeOut,
    InitiativeOut,
    KpiActualOut,
    KpiOut,
    KpiProgressOut,
    MeasureOut,
    PillarOut,
    PillarRef,
    ProgrammeBrief,
    ResponsibleBodyOut,
    ScheduleOut,
    ValueOut,
)
from app.services.lookups import get_or_404


def heisei(fiscal_year: int) -> str:
    return f"H{fiscal_year - 1988}"


def list_pillars(session: Session) -> list[PillarOut]:
    actions: dict[int, list[int]] = defaultdict(list)
    for a in session.exec(select(Action).order_by(col(Action.number))):
        actions[a.pillar_number].append(a.number)
    return [
        PillarOut(
            number=p.number, title=p.title, slogan=p.slogan, goal=p.goal, actions=actions[p.number]
        )
        for p in session.exec(select(Pillar).order_by(col(Pillar.number)))
    ]


def _summary(a: Action, pillars: dict[int, Pillar]) -> ActionSummary:
    p = pillars[a.pillar_number]
    return ActionSummary(
        number=a.number,
        title=a.title,
        pillar=PillarRef(number=p.number, title=p.title),
        strategic=a.strategic,
        focus=a.focus,
    )


def list_actions(session: Session, *, pillar: int | None) -> list[ActionSummary]:
    pillars = {p.number: p for p in session.exec(select(Pillar))}
    stmt = select(Action).order_by(col(Action.number))
    if pillar is not None:
        stmt = stmt.where(Action.pillar_number == pillar)
    return [_summary(a, pillars) for a in session.exec(stmt)]


def progress_start(k: Kpi) -> float:
    """Where a KPI's way to its target starts: its baseline, or nothing for a total over the
    plan period (the years' values add up from zero; a baseline such as 27件(H24) is a yearly
    figure of the year before, not part of that total)."""
    if k.accumulation == KpiAccumulation.period_total or k.baseline_value is None:
        return 0.0
    return k.baseline_value


def progress_rate(value: float, start: float, target: float | None) -> float | None:
    """The share of the way from `start` to `target` that `value` has come (1: reached)."""
    if target is None or target == start:
        return None
    return round((value - start) / (target - start), 4)


def actuals_out(k: Kpi, actuals: Iterable[KpiActual]) -> list[KpiActualOut]:
    """A KPI's actuals in fiscal-year order, each with the value it counts for against the
    target: a total over the plan period adds the years up, other KPIs take the year's value."""
    start = progress_start(k)
    total = 0.0
    out = []
    for a in sorted(actuals, key=lambda a: a.fiscal_year):
        total += a.value
        compared = total if k.accumulation == KpiAccumulation.period_total else a.value
        out.append(
            KpiActualOut(
                **shared_values(a, KpiActualFields),
                kpi_id=a.kpi_id,
                fiscal_year=a.fiscal_year,
                fiscal_year_label=fiscal_year_label(a.fiscal_year),
                compared_value=compared,
                rate=progress_rate(compared, start, k.target_value),
                revision=a.revision,
                updated_at=a.updated_at,
            )
        )
    return out


def progress_of(k: Kpi, actuals: list[KpiActualOut]) -> KpiProgressOut | None:
    """The progress of the latest fiscal year with an actual, or None without one."""
    if not actuals:
        return None
    latest = actuals[-1]
    return KpiProgressOut(
        fiscal_year=latest.fiscal_year,
        fiscal_year_label=latest.fiscal_year_label,
        value=latest.compared_value,
        baseline=progress_start(k),
        target=k.target_value,
        rate=latest.rate,
    )


def kpi_out(k: Kpi, actions: list[int], actuals: Iterable[KpiActual] = ()) -> KpiOut:
    baseline = None
    if k.baseline_text is not None or k.baseline_value is not None:
        baseline = ValueOut(
            value=k.baseline_value, unit=k.baseline_unit, year=k.baseline_year, text=k.baseline_text
        )
    recorded = actuals_out(k, actuals)
    # (validated from a dict: mypy's pydantic plugin cannot follow the SQLModel base)
    return KpiOut.model_validate(
        {
            "id": k.id,
            "category": k.category,
            "name": k.name,
            "baseline": baseline,
            "target": ValueOut(value=k.target_value, unit=k.target_unit, text=k.target_text),
            "period": k.period,
            "accumulation": k.accumulation,
            "value_kind": k.value_kind,
            "period_start_fiscal_year": k.period_start_fiscal_year,
            "period_end_fiscal_year": k.period_end_fiscal_year,
            "accumulation_label": ACCUMULATION_LABELS[KpiAccumulation(k.accumulation)],
            "actions": actions,
            "industrial_strategy_target": k.industrial_strategy_target,
            "note": k.note,
            "source": SourceOut(section=k.source_section),
            "actuals": recorded,
            "progress": progress_of(k, recorded),
        }
    )


def kpi_actions(session: Session) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for kpi_id, n in session.exec(
        select(KpiAction.kpi_id, KpiAction.action_number).order_by(col(KpiAction.action_number))
    ):
        out[kpi_id].append(n)
    return out


def kpi_actuals(
    session: Session, kpi_ids: Iterable[str] | None = None
) -> dict[str, list[KpiActual]]:
    """The recorded actuals of the KPIs (all KPIs when `kpi_ids` is None), by KPI id."""
    stmt = select(KpiActual).order_by(col(KpiActual.kpi_id), col(KpiActual.fiscal_year))
    if kpi_ids is not None:
        stmt = stmt.where(col(KpiActual.kpi_id).in_(list(kpi_ids)))
    out: dict[str, list[KpiActual]] = defaultdict(list)
    for a in session.exec(stmt):
        out[a.kpi_id].append(a)
    return out


def ordered_kpis(session: Session) -> list[Kpi]:
    return list(session.exec(select(Kpi).order_by(col(Kpi.sort_order), col(Kpi.id))))


def list_kpis(
    session: Session, page: PageParams, *, category: str | None, action: int | None
) -> Page[KpiOut]:
    links = kpi_actions(session)
    rows = ordered_kpis(session)
    if category is not None:
        rows = [k for k in rows if k.category == category]
    if action is not None:
        rows = [k for k in rows if action in links.get(k.id, [])]
    window = rows[page.offset : page.offset + page.limit]
    actuals = kpi_actuals(session, [k.id for k in window])
    return Page(
        items=[kpi_out(k, links.get(k.id, []), actuals.get(k.id, [])) for k in window],
        total=len(rows),
        limit=page.limit,
        offset=page.offset,
    )


def get_kpi(session: Session, kpi_id: str) -> KpiOut:
    k = get_or_404(session, Kpi, kpi_id, "数値目標")
    return kpi_out(k, kpi_actions(session).get(k.id, []), kpi_actuals(session, [k.id])[k.id])


def get_action(session: Session, number: int) -> ActionDetail:
    a = get_or_404(session, Action, number, "アクション")
    pillars = {p.number: p for p in session.exec(select(Pillar))}
    measures = session.exec(
        select(Measure).where(Measure.action_number == number).order_by(col(Measure.number))
    ).all()
    measure_ids = [m.id for m in measures]
    initiatives = session.exec(
        select(Initiative)
        .where(col(Initiative.measure_id).in_(measure_ids))
        .order_by(col(Initiative.measure_id), col(Initiative.position))
    ).all()
    ini_ids = [i.id for i in initiatives]
    bodies: dict[int, list[InitiativeBody]] = defaultdict(list)
    for b in session.exec(
        select(InitiativeBody)
        .where(col(InitiativeBody.initiative_id).in_(ini_ids))
        .order_by(col(InitiativeBody.initiative_id), col(InitiativeBody.position))
    ):
        bodies[b.initiative_id].append(b)
    schedule: dict[int, list[ScheduleEntry]] = defaultdict(list)
    for s in session.exec(
        select(ScheduleEntry)
        .where(col(ScheduleEntry.initiative_id).in_(ini_ids))
        .order_by(
            col(ScheduleEntry.initiative_id),
            col(ScheduleEntry.start_fiscal_year),
            col(ScheduleEntry.id),
        )
    ):
        schedule[s.initiative_id].append(s)
    agency_names = {ag.id: ag.name for ag in session.exec(select(Agency))}
    by_measure: dict[int, list[InitiativeOut]] = defaultdict(list)
    for i in initiatives:
        assert i.id is not None
        by_measure[i.measure_id].append(
            InitiativeOut(
                title=i.title,
                responsible=[
                    ResponsibleBodyOut(
                        label=b.label,
                        agency_id=b.agency_id,
                        agency_name=agency_names.get(b.agency_id) if b.agency_id else None,
                    )
                    for b in bodies[i.id]
                ],
                points=list(i.points),
                schedule=[
                    ScheduleOut(
                        start_fiscal_year=s.start_fiscal_year,
                        end_fiscal_year=s.end_fiscal_year,
                        start_label=heisei(s.start_fiscal_year),
                        end_label=heisei(s.end_fiscal_year),
                        text=s.text,
                        inferred=s.inferred,
                        note=s.note,
                    )
                    for s in schedule[i.id]
                ],
            )
        )
    links = kpi_actions(session)
    linked = [k for k in ordered_kpis(session) if number in links.get(k.id, [])]
    actuals = kpi_actuals(session, [k.id for k in linked])
    kpis = [kpi_out(k, links.get(k.id, []), actuals.get(k.id, [])) for k in linked]
    programmes = session.exec(
        select(Programme)
        .join(ProgrammeAction, col(ProgrammeAction.programme_id) == col(Programme.id))
        .where(ProgrammeAction.action_number == number)
        .order_by(col(Programme.id))
    ).all()
    summary = _summary(a, pillars)
    return ActionDetail(
        **summary.model_dump(),
        challenges=[ChallengeOut(**c) for c in a.challenges],
        measures=[
            MeasureOut(
                number=m.number,
                title=m.title,
                text=m.text,
                strategic=m.strategic,
                initiatives=by_measure.get(m.id or 0, []),
            )
            for m in measures
        ],
        past_initiatives=list(a.past_initiatives),
        notes=list(a.notes),
        kpis=kpis,
        programmes=[ProgrammeBrief(id=g.id, name=g.name, kind=g.kind) for g in programmes],
        source=SourceOut(section=a.source_section, page=a.source_page),
    )
