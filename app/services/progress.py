"""進行管理: what became of the referrals of a fiscal year, beside the KPIs' recorded actuals.

Everything is derived from the referrals and their status history (no second copy is kept):
`sent` counts the referrals created in the fiscal year, `accepted` / `declined` / `completed`
the status changes to that status made in it (a referral sent in March and accepted in April
counts in both years, each for what happened then), and the days to accept are measured from
the referral's creation to its change to accepted. A referral is grouped by the needs the
matcher read in it: under every plan action and support type of those needs (so one referral
may count in several groups), and under the 市町 it came from. Fiscal years run April to March
in Japan time (app/core/fiscal.py).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.core.errors import invalid_field
from app.core.fiscal import (
    JST,
    as_aware,
    current_fiscal_year,
    fiscal_year_bounds,
    fiscal_year_label,
)
from app.models import (
    Action,
    Municipality,
    Need,
    NeedAction,
    Referral,
    ReferralEvent,
    SupportType,
)
from app.models.types import FIRST_FISCAL_YEAR, KpiAccumulation
from app.schemas.progress import (
    ObservedOut,
    OutcomeColumn,
    OutcomeCounts,
    OutcomeGroup,
    PeriodOut,
    ProgressKpiOut,
    ProgressOut,
)
from app.schemas.referrals import STATUS_LABELS, ReferralStatus
from app.services.plan import kpi_actions, kpi_actuals, kpi_out, ordered_kpis

OUTCOMES = (
    ReferralStatus.sent,
    ReferralStatus.accepted,
    ReferralStatus.declined,
    ReferralStatus.completed,
)
MEDIAN_LABEL = "受付までの日数（中央値）"
UNCLASSIFIED_LABEL = "ニーズを読み取れなかった紹介"
TIME_ZONE = "Asia/Tokyo"


def check_fiscal_year(fiscal_year: int | None) -> int:
    """The fiscal year asked for (this one when none): from the plan's first year to the next
    one, else a 422 naming the parameter."""
    current = current_fiscal_year()
    if fiscal_year is None:
        return current
    if not FIRST_FISCAL_YEAR <= fiscal_year <= current + 1:
        raise invalid_field(
            ["query", "fiscal_year"],
            f"年度は {FIRST_FISCAL_YEAR} 年度（計画の初年度）から {current + 1} 年度までの"
            "数字で指定してください。",
            f"Give a fiscal year from {FIRST_FISCAL_YEAR} (the plan's first) to {current + 1}.",
        )
    return fiscal_year


@dataclass
class Tally:
    sent: int = 0
    accepted: int = 0
    declined: int = 0
    completed: int = 0
    days_to_accept: list[float] = field(default_factory=list)

    def add(self, status: str, days: float | None = None) -> None:
        setattr(self, status, getattr(self, status) + 1)
        if days is not None:
            self.days_to_accept.append(days)

    def counts(self) -> OutcomeCounts:
        median = round(statistics.median(self.days_to_accept), 1) if self.days_to_accept else None
        return OutcomeCounts(
            sent=self.sent,
            accepted=self.accepted,
            declined=self.declined,
            completed=self.completed,
            median_days_to_accept=median,
        )

    def group(self, key: str, label: str) -> OutcomeGroup:
        return OutcomeGroup(key=key, label=label, **self.counts().model_dump())


@dataclass(frozen=True)
class Happening:
    """One thing that happened to a referral in the year: sent, or moved to an outcome."""

    status: str
    municipality_code: str
    need_ids: tuple[str, ...]
    days: float | None = None  # from sending to accepting, for an acceptance


def happenings(session: Session, fiscal_year: int) -> list[Happening]:
    start, end = fiscal_year_bounds(fiscal_year)
    out = [
        Happening(ReferralStatus.sent.value, code, tuple(need_ids or ()))
        for code, need_ids in session.exec(
            select(Referral.municipality_code, Referral.need_ids).where(
                col(Referral.created_at) >= start, col(Referral.created_at) < end
            )
        )
    ]
    # (five columns: SQLAlchemy's select; sqlmodel's is typed for four at most)
    moved = session.execute(
        sa_select(
            col(ReferralEvent.to_status),
            col(ReferralEvent.at),
            col(Referral.created_at),
            col(Referral.municipality_code),
            col(Referral.need_ids),
        )
        .join(Referral, col(Referral.id) == col(ReferralEvent.referral_id))
        .where(
            col(ReferralEvent.kind) == "status_changed",
            col(ReferralEvent.to_status).in_([s.value for s in OUTCOMES[1:]]),
            col(ReferralEvent.at) >= start,
            col(ReferralEvent.at) < end,
        )
    )
    for status, at, created_at, code, need_ids in moved:
        days = None
        if status == ReferralStatus.accepted.value:
            days = (as_aware(at) - as_aware(created_at)) / timedelta(days=1)
        out.append(Happening(status, code, tuple(need_ids or ()), days))
    return out


def _observed(kpi_needs: list[str] | None, events: Iterable[Happening]) -> ObservedOut | None:
    if not kpi_needs:
        return None
    wanted = set(kpi_needs)
    n = sum(
        1
        for e in events
        if e.status == ReferralStatus.completed.value and wanted.intersection(e.need_ids)
    )
    return ObservedOut(value=n, need_ids=list(kpi_needs), status=ReferralStatus.completed.value)


def _kpis(session: Session, fiscal_year: int, events: list[Happening]) -> list[ProgressKpiOut]:
    """Each KPI as of the fiscal year: its actual of that year, and the progress its actuals up
    to that year make."""
    links = kpi_actions(session)
    actuals = kpi_actuals(session)
    rows = []
    for k in ordered_kpis(session):
        so_far = [a for a in actuals.get(k.id, []) if a.fiscal_year <= fiscal_year]
        whole = kpi_out(k, links.get(k.id, []), so_far)
        rows.append(
            ProgressKpiOut(
                id=k.id,
                name=k.name,
                category=k.category,
                actions=whole.actions,
                baseline=whole.baseline,
                target=whole.target,
                accumulation=KpiAccumulation(k.accumulation),
                accumulation_label=whole.accumulation_label,
                actual=next((a for a in whole.actuals if a.fiscal_year == fiscal_year), None),
                progress=whole.progress,
                observed=_observed(k.observed_need_ids, events),
            )
        )
    return rows


def progress(session: Session, fiscal_year: int | None) -> ProgressOut:
    fy = check_fiscal_year(fiscal_year)
    events = happenings(session, fy)
    need_types = dict(session.exec(select(Need.id, Need.support_type_code)).all())
    need_actions: dict[str, set[int]] = defaultdict(set)
    for need_id, number in session.exec(select(NeedAction.need_id, NeedAction.action_number)):
        need_actions[need_id].add(number)

    totals, unclassified = Tally(), Tally()
    by_action: dict[int, Tally] = defaultdict(Tally)
    by_type: dict[str, Tally] = defaultdict(Tally)
    by_municipality: dict[str, Tally] = defaultdict(Tally)
    for e in events:
        totals.add(e.status, e.days)
        by_municipality[e.municipality_code].add(e.status, e.days)
        known = [n for n in e.need_ids if n in need_types]
        if not known:
            unclassified.add(e.status, e.days)
        for number in sorted({a for n in known for a in need_actions[n]}):
            by_action[number].add(e.status, e.days)
        for code in {need_types[n] for n in known}:
            by_type[code].add(e.status, e.days)

    start, end = fiscal_year_bounds(fy)
    actions = session.exec(select(Action).order_by(col(Action.number))).all()
    types = session.exec(select(SupportType).order_by(col(SupportType.sort_order))).all()
    municipalities = session.exec(select(Municipality).order_by(col(Municipality.code))).all()
    return ProgressOut(
        fiscal_year=fy,
        fiscal_year_label=fiscal_year_label(fy),
        period=PeriodOut(
            first_day=start.astimezone(JST).date(),
            last_day=(end.astimezone(JST) - timedelta(days=1)).date(),
            time_zone=TIME_ZONE,
        ),
        columns=outcome_columns(),
        totals=totals.counts(),
        unclassified=unclassified.counts(),
        by_action=[by_action[a.number].group(str(a.number), a.title) for a in actions],
        by_support_type=[by_type[t.code].group(t.code, t.name) for t in types],
        by_municipality=[by_municipality[m.code].group(m.code, m.name) for m in municipalities],
        kpis=_kpis(session, fy, events),
    )


def outcome_columns() -> list[OutcomeColumn]:
    """The count columns with their Japanese headings (the API, the page and the CSV)."""
    return [
        *(OutcomeColumn(key=s.value, label=STATUS_LABELS[s]) for s in OUTCOMES),
        OutcomeColumn(key="median_days_to_accept", label=MEDIAN_LABEL),
    ]
