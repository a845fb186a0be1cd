"""Recording a KPI's actual for a fiscal year (admin): create or replace, read, delete.

Each write, in one transaction: the KPI must exist; the fiscal year and the value must make
sense for it (a year of the plan's era up to this one, inside the plan period for a total over
that period; a whole number for a count, at most 100 for a share); If-Match is checked and the
next revision claimed with a guarded UPDATE (two concurrent writers cannot both win); the change
is written to the audit log with the record before and after. KPIs are read from the database,
not from the in-memory directory, so the directory version is left alone and the next read of
GET /v1/kpis shows the change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.core.concurrency import RevisionConflict, check_if_match, claim_revision, last_writer_wins
from app.core.errors import ApiError, invalid_field
from app.core.fiscal import current_fiscal_year
from app.models import Kpi, KpiActual
from app.models.common import shared_values, utcnow
from app.models.plan import KpiActualFields
from app.models.types import FIRST_FISCAL_YEAR, KpiAccumulation, KpiValueKind
from app.schemas.plan import KpiActualOut, KpiActualPut
from app.services import audit
from app.services.access import Principal
from app.services.lookups import get_or_404
from app.services.plan import actuals_out, kpi_actuals

ENTITY_TYPE = "kpi_actual"
FISCAL_YEAR_LOC: list[str | int] = ["path", "fiscal_year"]
VALUE_LOC: list[str | int] = ["body", "value"]


def _kpi(session: Session, kpi_id: str) -> Kpi:
    return get_or_404(session, Kpi, kpi_id, "数値目標")


def _not_recorded(kpi_id: str, fiscal_year: int) -> ApiError:
    return ApiError(
        404,
        f"数値目標「{kpi_id}」の {fiscal_year} 年度の実績は記録されていません。",
        en=f'No actual of KPI "{kpi_id}" is recorded for fiscal year {fiscal_year}.',
    )


def check_actual(k: Kpi, fiscal_year: int, value: float) -> None:
    """422 naming the field when the year or the value makes no sense for this KPI."""
    latest = current_fiscal_year()
    if not FIRST_FISCAL_YEAR <= fiscal_year <= latest:
        raise invalid_field(
            FISCAL_YEAR_LOC,
            f"年度は {FIRST_FISCAL_YEAR} 年度（計画の初年度）から {latest} 年度（今年度）までの"
            "数字で指定してください。",
            f"Give a fiscal year from {FIRST_FISCAL_YEAR} (the plan's first) to {latest} "
            "(this one).",
        )
    start, end = k.period_start_fiscal_year, k.period_end_fiscal_year
    if (
        k.accumulation == KpiAccumulation.period_total
        and start is not None
        and end is not None
        and not start <= fiscal_year <= end
    ):
        raise invalid_field(
            FISCAL_YEAR_LOC,
            f"この指標は {start}〜{end} 年度（計画期間）の累計です。"
            "期間外の年度の実績は記録できません。",
            f"This KPI totals fiscal years {start} to {end} (the plan's period); no actual can be "
            "recorded for another year.",
        )
    unit = f"（単位: {k.target_unit}）" if k.target_unit else ""
    kind = KpiValueKind(k.value_kind)
    if kind is KpiValueKind.integer and value != int(value):
        raise invalid_field(
            VALUE_LOC,
            f"この指標の値は件数です。0以上の整数で指定してください{unit}。",
            "This KPI counts: give a whole number of 0 or more.",
        )
    if kind is KpiValueKind.percent and value > 100:
        raise invalid_field(
            VALUE_LOC,
            f"この指標の値は割合です。0〜100 の％で指定してください{unit}。",
            "This KPI is a share: give a percentage from 0 to 100.",
        )


def _state(a: KpiActual) -> dict[str, Any]:
    """What the audit keeps of an actual."""
    return {
        "kpi_id": a.kpi_id,
        "fiscal_year": a.fiscal_year,
        **shared_values(a, KpiActualFields),
        "revision": a.revision,
    }


def _out(session: Session, k: Kpi, fiscal_year: int) -> KpiActualOut:
    """The actual of this year as the KPI reads it (a period total adds up the earlier years)."""
    for out in actuals_out(k, kpi_actuals(session, [k.id])[k.id]):
        if out.fiscal_year == fiscal_year:
            return out
    raise _not_recorded(k.id, fiscal_year)


def get_actual(session: Session, kpi_id: str, fiscal_year: int) -> KpiActualOut:
    return _out(session, _kpi(session, kpi_id), fiscal_year)


@last_writer_wins
def put_actual(
    session: Session,
    principal: Principal,
    kpi_id: str,
    fiscal_year: int,
    body: KpiActualPut,
    if_match: str | None,
) -> tuple[KpiActualOut, bool]:
    """Record (create or replace) the actual; returns it and whether it was created."""
    k = _kpi(session, kpi_id)
    check_actual(k, fiscal_year, body.value)
    values = shared_values(body, KpiActualFields)
    row = session.get(KpiActual, (kpi_id, fiscal_year))
    before: dict[str, Any] | None = None
    if row is None:
        if if_match is not None:
            raise ApiError(
                412,
                f"{fiscal_year} 年度の実績はまだ記録されていません（If-Match の版がありません）。"
                "新しく記録するときは If-Match を付けずに送ってください。",
                en=f"No actual is recorded for fiscal year {fiscal_year} yet (nothing for "
                "If-Match to match). Send a new one without If-Match.",
            )
        row = KpiActual(kpi_id=kpi_id, fiscal_year=fiscal_year, updated_at=utcnow(), **values)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            # another request recorded this year meanwhile: read it again and replace it
            session.rollback()
            raise RevisionConflict() from None
    else:
        check_if_match(if_match, row.revision)
        before = _state(row)
        claim_revision(
            session,
            KpiActual,
            row,
            row.revision,
            keys={"kpi_id": kpi_id, "fiscal_year": fiscal_year},
        )
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.flush()
    after = _state(row)
    out = _out(session, k, fiscal_year)
    audit.record(
        session,
        principal,
        action="create" if before is None else "update",
        entity_type=ENTITY_TYPE,
        entity_id=f"{kpi_id}/{fiscal_year}",
        before=before,
        after=after,
    )
    session.commit()
    return out, before is None


def delete_actual(
    session: Session, principal: Principal, kpi_id: str, fiscal_year: int, if_match: str | None
) -> None:
    _kpi(session, kpi_id)
    row = session.get(KpiActual, (kpi_id, fiscal_year))
    if row is None:
        raise _not_recorded(kpi_id, fiscal_year)
    check_if_match(if_match, row.revision)
    before = _state(row)
    # One delete wins: the guarded revision bump makes a concurrent one a 412, not a second 204.
    claim_revision(
        session, KpiActual, row, row.revision, keys={"kpi_id": kpi_id, "fiscal_year": fiscal_year}
    )
    session.delete(row)
    session.flush()
    audit.record(
        session,
        principal,
        action="delete",
        entity_type=ENTITY_TYPE,
        entity_id=f"{kpi_id}/{fiscal_year}",
        before=before,
        after=None,
    )
    session.commit()
