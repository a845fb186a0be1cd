"""CSV exports for Excel: UTF-8 with BOM, CRLF, Japanese headers, formula-injection safe, streamed.

Rows are read from the database in keyset batches and written a batch at a time, so a table of
100k contact points never becomes one string in memory. Each export opens its own session on the
request session's engine, because the response body is produced after the request's session may
already be closed.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.fiscal import JST
from app.matching.status import status_label
from app.models import (
    Action,
    Agency,
    AgencyMunicipality,
    AgencyRole,
    ContactPoint,
    ContactPointMunicipality,
    Measure,
    Municipality,
    Need,
    Programme,
    ProgrammeAction,
    ProgrammeMeasure,
    ProgrammeOperator,
    ProgrammeSupportType,
    Referral,
    SupportType,
)
from app.models.common import shared_values
from app.models.directory import AgencyFields, ContactPointFields
from app.models.plan import KpiActualFields
from app.models.programmes import ProgrammeFields
from app.models.types import OBSERVED_LABEL
from app.schemas.progress import OutcomeCounts, ProgressOut
from app.schemas.referrals import STATUS_LABELS, ReferralStatus

BOM = "\ufeff"
MARK = "○"
SEPARATOR = "、"
BATCH = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> str:
    """Text for one cell. A cell Excel would read as a formula (=, +, -, @, tab, CR first) gets a
    leading apostrophe, which Excel shows as plain text (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return MARK if value else ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


@dataclass(frozen=True)
class CsvExport:
    ascii_name: str
    japanese_name: str
    header: list[str]
    rows: Iterator[Sequence[object]]


def content_disposition(ascii_name: str, japanese_name: str) -> str:
    """attachment with an ASCII fallback and the RFC 5987/6266 UTF-8 `filename*`."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(japanese_name)}"


def encode_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """Yield the CSV as UTF-8 chunks: the BOM and header first, then one chunk per BATCH rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    buffer.write(BOM)
    writer.writerow([escape_cell(h) for h in header])
    pending = 0
    for row in rows:
        writer.writerow([escape_cell(v) for v in row])
        pending += 1
        if pending >= BATCH:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def _batches(
    engine: Engine, model: Any, key: Any, where: Sequence[Any] = ()
) -> Iterator[tuple[Session, list[Any]]]:
    """Rows of `model` in primary-key order, BATCH at a time (keyset pagination)."""
    with Session(engine) as session:
        last: str | int | None = None
        while True:
            stmt = select(model).where(*where).order_by(col(key)).limit(BATCH)
            if last is not None:
                stmt = stmt.where(col(key) > last)
            rows = list(session.exec(stmt).all())
            if not rows:
                return
            yield session, rows
            last = getattr(rows[-1], key.key)


def _support_types(session: Session) -> list[SupportType]:
    return list(session.exec(select(SupportType).order_by(col(SupportType.sort_order))).all())


def _grouped(rows: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for k, v in rows:
        out[k].append(v)
    return out


def _source(section: str, page: int | None) -> str:
    return f"やまぐち商工業推進計画 {section}" + (f" p.{page}" if page is not None else "")


# --- agencies ---------------------------------------------------------------------------------


def _columns_of(fields: Any, inserted: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Field name -> CSV header: the shared fields by their `title`, in their order, with
    `inserted` (name: (header, after which field)) for the fields each shape adds itself."""
    columns: dict[str, str] = {}
    for name, info in fields.model_fields.items():
        columns[name] = info.title or name
        for extra, (header, after) in inserted.items():
            if after == name:
                columns[extra] = header
    return columns


# The columns of 支援機関.csv, export and import alike; the export adds the role matrix's marks
# (one column per support type) and the plan's source.
AGENCY_COLUMNS = _columns_of(AgencyFields, {"municipalities": ("担当市町", "parent_id")})
# The columns of 窓口.csv, export and import alike; the export adds the agency's name.
CONTACT_POINT_COLUMNS = _columns_of(
    ContactPointFields,
    {"phones": ("電話", "address"), "municipalities": ("担当市町", "hours")},
)
CONTACT_POINT_FLAGS = tuple(
    name for name, info in ContactPointFields.model_fields.items() if info.annotation is bool
)


def agencies_export(engine: Engine) -> CsvExport:
    with Session(engine) as session:
        types = _support_types(session)
    # the role matrix's ○ per support type, after the agency's role
    marks = [t.name for t in types] + ["役割表の機関"]
    header = [*AGENCY_COLUMNS.values(), "出典"]
    at = header.index(AGENCY_COLUMNS["role_label"]) + 1
    header[at:at] = marks

    def rows() -> Iterator[list[object]]:
        with Session(engine) as s:
            municipality_names = dict(s.exec(select(Municipality.code, Municipality.name)).all())
        for session, batch in _batches(engine, Agency, Agency.id):
            ids = [a.id for a in batch]
            served = _grouped(
                session.exec(
                    select(AgencyMunicipality.agency_id, AgencyMunicipality.municipality_code)
                    .where(col(AgencyMunicipality.agency_id).in_(ids))
                    .order_by(col(AgencyMunicipality.municipality_code))
                )
            )
            roles = _grouped(
                session.exec(
                    select(AgencyRole.agency_id, AgencyRole.support_type_code).where(
                        col(AgencyRole.agency_id).in_(ids)
                    )
                )
            )
            for a in batch:
                held = set(roles.get(a.id, []))
                values = {
                    **shared_values(a, AgencyFields),
                    "municipalities": SEPARATOR.join(
                        municipality_names.get(m, m) for m in served.get(a.id, [])
                    ),
                }
                row: list[object] = [values[name] for name in AGENCY_COLUMNS]
                row.append(_source(a.source_section, a.source_page))
                row[at:at] = [*[t.code in held for t in types], a.matrix_order is not None]
                yield row

    return CsvExport("agencies.csv", "支援機関.csv", header, rows())


# --- programmes -------------------------------------------------------------------------------


# The columns of 制度.csv that are the programme's own (the links to agencies and the plan follow).
PROGRAMME_COLUMNS = _columns_of(ProgrammeFields, {"aliases": ("別名", "name")})


def programmes_export(engine: Engine) -> CsvExport:
    header = [
        *PROGRAMME_COLUMNS.values(),
        "運営機関ID",
        "運営機関名",
        "アクション",
        "取組方針",
        "支援の種類",
        "出典",
        "確認状況",
        "確認日時（日本時間）",
    ]

    def rows() -> Iterator[list[object]]:
        with Session(engine) as s:
            agency_names = dict(s.exec(select(Agency.id, Agency.name)).all())
            type_names = {t.code: t.name for t in _support_types(s)}
            type_order = {t.code: t.sort_order for t in _support_types(s)}
            action_titles = dict(s.exec(select(Action.number, Action.title)).all())
        for session, batch in _batches(engine, Programme, Programme.id):
            ids = [g.id for g in batch]
            operators = _grouped(
                session.exec(
                    select(ProgrammeOperator.programme_id, ProgrammeOperator.agency_id)
                    .where(col(ProgrammeOperator.programme_id).in_(ids))
                    .order_by(col(ProgrammeOperator.agency_id))
                )
            )
            actions = _grouped(
                session.exec(
                    select(ProgrammeAction.programme_id, ProgrammeAction.action_number)
                    .where(col(ProgrammeAction.programme_id).in_(ids))
                    .order_by(col(ProgrammeAction.action_number))
                )
            )
            measures = _grouped(
                (pid, f"{an}.{mn}")
                for pid, an, mn in session.exec(
                    select(ProgrammeMeasure.programme_id, Measure.action_number, Measure.number)
                    .join(Measure, col(Measure.id) == col(ProgrammeMeasure.measure_id))
                    .where(col(ProgrammeMeasure.programme_id).in_(ids))
                    .order_by(col(Measure.action_number), col(Measure.number))
                )
            )
            types = _grouped(
                session.exec(
                    select(
                        ProgrammeSupportType.programme_id, ProgrammeSupportType.support_type_code
                    ).where(col(ProgrammeSupportType.programme_id).in_(ids))
                )
            )
            for g in batch:
                ops = operators.get(g.id, [])
                codes = sorted(types.get(g.id, []), key=lambda c: type_order.get(c, 99))
                values = {
                    **shared_values(g, ProgrammeFields),
                    "aliases": SEPARATOR.join(g.aliases),
                }
                yield [
                    *(values[name] for name in PROGRAMME_COLUMNS),
                    SEPARATOR.join(ops),
                    SEPARATOR.join(agency_names.get(a, a) for a in ops),
                    SEPARATOR.join(
                        f"{n} {action_titles.get(n, '')}".strip() for n in actions.get(g.id, [])
                    ),
                    SEPARATOR.join(measures.get(g.id, [])),
                    SEPARATOR.join(type_names.get(c, c) for c in codes),
                    _source(g.source_section, g.source_page),
                    status_label(g.as_of, g.status_confirmed_at),
                    _local(g.status_confirmed_at),
                ]

    return CsvExport("programmes.csv", "制度.csv", header, rows())


# --- contact points ---------------------------------------------------------------------------


def _phones(phones: list[dict[str, Any]]) -> str:
    return " / ".join(
        f"{p['label']}: {p['number']}" if p.get("label") else str(p["number"]) for p in phones
    )


def contact_points_export(engine: Engine) -> CsvExport:
    header = list(CONTACT_POINT_COLUMNS.values())
    header.insert(header.index("機関ID") + 1, "機関名")

    def rows() -> Iterator[list[object]]:
        with Session(engine) as s:
            agency_names = dict(s.exec(select(Agency.id, Agency.name)).all())
            municipality_names = dict(s.exec(select(Municipality.code, Municipality.name)).all())
        for session, batch in _batches(engine, ContactPoint, ContactPoint.id):
            ids = [c.id for c in batch]
            munis = _grouped(
                session.exec(
                    select(
                        ContactPointMunicipality.contact_point_id,
                        ContactPointMunicipality.municipality_code,
                    )
                    .where(col(ContactPointMunicipality.contact_point_id).in_(ids))
                    .order_by(col(ContactPointMunicipality.municipality_code))
                )
            )
            for c in batch:
                values = {
                    **shared_values(c, ContactPointFields),
                    "phones": _phones(c.phones),
                    "municipalities": SEPARATOR.join(
                        municipality_names.get(m, m) for m in munis.get(c.id, [])
                    ),
                }
                row: list[object] = [values[name] for name in CONTACT_POINT_COLUMNS]
                row.insert(
                    list(CONTACT_POINT_COLUMNS).index("agency_id") + 1,
                    agency_names.get(c.agency_id, ""),
                )
                yield row

    return CsvExport("contact-points.csv", "窓口.csv", header, rows())


# --- referrals --------------------------------------------------------------------------------


def _local(at: datetime | None) -> str | None:
    """Times as municipal staff read them: Japan time, to the minute."""
    if at is None:
        return None
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def referrals_export(engine: Engine, conditions: Sequence[Any]) -> CsvExport:
    """Referrals matching `conditions` (which carry the caller's visibility), oldest first.

    Personal data appears only where it is still held (consent given, not erased)."""
    header = [
        "紹介ID",
        "状態",
        "作成日時（日本時間）",
        "更新日時（日本時間）",
        "市町コード",
        "市町",
        "紹介先機関ID",
        "紹介先機関名",
        "制度ID",
        "ニーズ",
        "相談内容",
        "同意",
        "事業者名",
        "事業者連絡先",
        "個人情報削除日時（日本時間）",
    ]

    def rows() -> Iterator[list[object]]:
        with Session(engine) as s:
            agency_names = dict(s.exec(select(Agency.id, Agency.name)).all())
            municipality_names = dict(s.exec(select(Municipality.code, Municipality.name)).all())
            need_labels = dict(s.exec(select(Need.id, Need.label)).all())
        for _session, batch in _batches(engine, Referral, Referral.id, conditions):
            for r in batch:
                status = ReferralStatus(r.status)
                yield [
                    r.id,
                    f"{STATUS_LABELS[status]}（{status.value}）",
                    _local(r.created_at),
                    _local(r.updated_at),
                    r.municipality_code,
                    municipality_names.get(r.municipality_code, ""),
                    r.agency_id,
                    agency_names.get(r.agency_id, ""),
                    SEPARATOR.join(r.programme_ids),
                    SEPARATOR.join(need_labels.get(n, n) for n in r.need_ids or []),
                    r.text,
                    r.consent,
                    r.enterprise_name,
                    r.enterprise_contact,
                    _local(r.personal_data_erased_at),
                ]

    return CsvExport("referrals.csv", "紹介.csv", header, rows())


# --- the yearly review (進行管理) ---------------------------------------------------------------

# The columns of an actual that are its own fields, by their `title` (実績値, 実績（表記）, 出典, 備考).
KPI_ACTUAL_COLUMNS = _columns_of(KpiActualFields, {})
PROGRESS_GROUPS = {
    "totals": "合計",
    "unclassified": "ニーズ不明",
    "by_action": "アクション",
    "by_support_type": "支援の種類",
    "by_municipality": "市町",
    "kpis": "数値目標",
}


def _number(value: float | None) -> str | None:
    """158.0 -> 158, 6.3 -> 6.3 (as Excel reads a number, without a trailing .0)."""
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def progress_export(progress: ProgressOut) -> CsvExport:
    """The figures of GET /v1/progress as one table: a row per group of referrals (the count
    columns), then a row per KPI (its baseline, target, this year's actual and progress, and
    the service's own count beside it where there is one)."""
    counts = [c.label for c in progress.columns]
    header = [
        "区分",
        "キー",
        "名称",
        "年度",
        *counts,
        "現状値",
        "目標値",
        "単位",
        KPI_ACTUAL_COLUMNS["value"],
        KPI_ACTUAL_COLUMNS["text"],
        "目標と比べる値",
        "達成率（%）",
        OBSERVED_LABEL,
        KPI_ACTUAL_COLUMNS["source"],
        KPI_ACTUAL_COLUMNS["note"],
    ]
    year = progress.fiscal_year_label
    blank_kpi = [None] * (len(header) - 4 - len(counts))

    def count_cells(c: OutcomeCounts) -> list[object]:
        values = c.model_dump()
        return [values[col.key] for col in progress.columns]

    def rows() -> Iterator[list[object]]:
        yield [
            PROGRESS_GROUPS["totals"],
            "",
            "すべての紹介",
            year,
            *count_cells(progress.totals),
            *blank_kpi,
        ]
        yield [
            PROGRESS_GROUPS["unclassified"],
            "",
            "ニーズを読み取れなかった紹介",
            year,
            *count_cells(progress.unclassified),
            *blank_kpi,
        ]
        for kind in ("by_action", "by_support_type", "by_municipality"):
            for g in getattr(progress, kind):
                yield [PROGRESS_GROUPS[kind], g.key, g.label, year, *count_cells(g), *blank_kpi]
        for k in progress.kpis:
            a, p = k.actual, k.progress
            yield [
                PROGRESS_GROUPS["kpis"],
                k.id,
                k.name,
                year,
                *[None] * len(counts),
                (k.baseline.text if k.baseline else None),
                k.target.text,
                k.target.unit,
                _number(a.value) if a else None,
                a.text if a else None,
                _number(p.value) if p and a else None,
                _number(round(p.rate * 100, 1)) if p and a and p.rate is not None else None,
                k.observed.value if k.observed else None,
                a.source if a else None,
                a.note if a else None,
            ]

    name = f"progress-{progress.fiscal_year}.csv"
    return CsvExport(name, f"進行管理_{progress.fiscal_year}年度.csv", header, rows())


EXPORTS: dict[str, Callable[[Engine], CsvExport]] = {
    "agencies": agencies_export,
    "programmes": programmes_export,
    "contact-points": contact_points_export,
}
