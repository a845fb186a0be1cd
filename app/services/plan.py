"""Reading pillars, actions (with measures, initiatives, schedules) and KPIs."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from app.core.pagination import Page, PageParams
from app.models import (
    Action,
    Agency,
    Initiative,
    InitiativeBody,
    Kpi,
    KpiAction,
    Measure,
    Pillar,
    Programme,
    ProgrammeAction,
    ScheduleEntry,
)
from app.schemas.directory import SourceOut
from app.schemas.plan import (
    ActionDetail,
    ActionSummary,
    ChallengeOut,
    InitiativeOut,
    KpiOut,
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


def _kpi_out(k: Kpi, actions: list[int]) -> KpiOut:
    baseline = None
    if k.baseline_text is not None or k.baseline_value is not None:
        baseline = ValueOut(
            value=k.baseline_value, unit=k.baseline_unit, year=k.baseline_year, text=k.baseline_text
        )
    return KpiOut(
        id=k.id,
        category=k.category,
        name=k.name,
        baseline=baseline,
        target=ValueOut(value=k.target_value, unit=k.target_unit, text=k.target_text),
        period=k.period,
        actions=actions,
        industrial_strategy_target=k.industrial_strategy_target,
        note=k.note,
        source=SourceOut(section=k.source_section),
    )


def _kpi_actions(session: Session) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for kpi_id, n in session.exec(
        select(KpiAction.kpi_id, KpiAction.action_number).order_by(col(KpiAction.action_number))
    ):
        out[kpi_id].append(n)
    return out


def list_kpis(
    session: Session, page: PageParams, *, category: str | None, action: int | None
) -> Page[KpiOut]:
    links = _kpi_actions(session)
    rows = list(session.exec(select(Kpi).order_by(col(Kpi.sort_order), col(Kpi.id))))
    if category is not None:
        rows = [k for k in rows if k.category == category]
    if action is not None:
        rows = [k for k in rows if action in links.get(k.id, [])]
    window = rows[page.offset : page.offset + page.limit]
    return Page(
        items=[_kpi_out(k, links.get(k.id, [])) for k in window],
        total=len(rows),
        limit=page.limit,
        offset=page.offset,
    )


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
    links = _kpi_actions(session)
    kpis = [
        _kpi_out(k, links.get(k.id, []))
        for k in session.exec(select(Kpi).order_by(col(Kpi.sort_order)))
        if number in links.get(k.id, [])
    ]
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
