"""Load a synthetic directory (programmes and contact points) into a benchmark database.

    python -m bench.synthetic --programmes 10000 --contact-points 100000 \\
        --database-url sqlite:////tmp/bench.db

For capacity measurements only. Every row is clearly marked: ids start with ``synthetic-``,
names with 【合成】 and the source says 合成データ. The target database must already be migrated
and seeded (the synthetic rows link to the seed's agencies, municipalities, actions, measures and
support types). Earlier synthetic rows are deleted first, so a rerun gives the same directory.

The URL is required and the application's own database (the configured or default
DATABASE_URL) is refused unless ``--force`` is given. Rows are written with bulk INSERTs in one
transaction, then the directory version is bumped so running servers rebuild their snapshot.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from app.core.config import PROJECT_ROOT, Settings
from app.core.db import make_engine
from app.models import (
    Action,
    Agency,
    ContactPoint,
    ContactPointMunicipality,
    Measure,
    Municipality,
    Programme,
    ProgrammeAction,
    ProgrammeMeasure,
    ProgrammeOperator,
    ProgrammeSupportType,
    SupportType,
)
from app.seeding.database import bump_directory_version

PREFIX = "synthetic-"
SOURCE = "合成データ（ベンチマーク用。実在の制度・窓口ではありません）"
BATCH = 5000

KINDS = ["subsidy", "loan", "guarantee", "consultation", "expert_dispatch", "seminar_training"]
KIND_WORDS = {
    "subsidy": "補助金",
    "loan": "融資制度",
    "guarantee": "保証制度",
    "consultation": "相談窓口",
    "expert_dispatch": "専門家派遣事業",
    "seminar_training": "研修セミナー",
}
TOPICS = [
    "ものづくり設備投資",
    "創業・第二創業",
    "販路開拓",
    "事業承継",
    "新製品・新技術開発",
    "資金繰り安定化",
    "観光・地域資源活用",
    "人材育成",
    "海外展開",
    "省エネルギー・環境対策",
    "医療関連産業参入",
    "知的財産活用",
    "商店街活性化",
    "防災・事業継続計画",
    "水素関連技術",
]
PHRASES = [
    "中小企業・小規模事業者の{topic}を支援します。",
    "{topic}に取り組む県内の事業者が対象です。",
    "経費の一部を補助し、専門家による助言も受けられます。",
    "運転資金・設備資金の融資を低利で受けられます。",
    "商工会議所・商工会と連携して申請を支援します。",
    "大学や産業技術センターとの共同研究を後押しします。",
    "募集期間や要件は年度ごとに変わります。",
    "事業計画の策定から実施まで伴走型で支援します。",
]
CP_ROLES = ["経営相談", "融資相談", "技術相談", "創業相談", "事業承継相談", "販路開拓相談"]


def _now() -> datetime:
    return datetime.now(UTC)


def app_database_urls() -> set[str]:
    """The databases the application itself would use: refused as targets unless forced."""
    urls = {f"sqlite:///{PROJECT_ROOT / 'var' / 'madoguchi.db'}"}
    with contextlib.suppress(ValueError):  # an invalid environment must not hide the default
        urls.add(Settings().DATABASE_URL)
    return {_canonical(u) for u in urls}


def _canonical(url: str) -> str:
    return make_url(url).render_as_string(hide_password=False)


def _reference_data(session: Session) -> dict[str, list[Any]]:
    refs: dict[str, list[Any]] = {
        "agencies": list(session.exec(select(Agency.id).order_by(col(Agency.id)))),
        "municipalities": list(
            session.exec(select(Municipality.code).order_by(col(Municipality.code)))
        ),
        "actions": list(session.exec(select(Action.number).order_by(col(Action.number)))),
        "measures": list(session.exec(select(Measure.id).order_by(col(Measure.id)))),
        "support_types": list(
            session.exec(select(SupportType.code).order_by(col(SupportType.code)))
        ),
    }
    missing = [k for k, v in refs.items() if not v]
    if missing:
        raise SystemExit(
            "the database is not seeded (no " + ", ".join(missing) + "); "
            "run the migrations and `python -m app.seeding` against it first"
        )
    return refs


def delete_synthetic(session: Session) -> None:
    like = f"{PREFIX}%"
    session.execute(
        delete(ContactPointMunicipality).where(
            col(ContactPointMunicipality.contact_point_id).like(like)
        )
    )
    session.execute(delete(ContactPoint).where(col(ContactPoint.id).like(like)))
    for link in (ProgrammeOperator, ProgrammeAction, ProgrammeMeasure, ProgrammeSupportType):
        session.execute(delete(link).where(col(link.programme_id).like(like)))
    session.execute(delete(Programme).where(col(Programme.id).like(like)))


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(table), rows[start : start + BATCH])


def programme_rows(
    n: int, refs: dict[str, list[Any]], rng: random.Random
) -> dict[Any, list[dict[str, Any]]]:
    now = _now()
    out: dict[Any, list[dict[str, Any]]] = {
        Programme: [],
        ProgrammeOperator: [],
        ProgrammeAction: [],
        ProgrammeMeasure: [],
        ProgrammeSupportType: [],
    }
    for i in range(n):
        pid = f"{PREFIX}programme-{i:06d}"
        kind = rng.choice(KINDS)
        topic = rng.choice(TOPICS)
        description = "".join(p.format(topic=topic) for p in rng.sample(PHRASES, 3))
        out[Programme].append(
            {
                "id": pid,
                "name": f"【合成】{topic}{KIND_WORDS[kind]} No.{i:06d}",
                "aliases": [],
                "kind": kind,
                "description": description,
                "status_note": None,
                "source_section": SOURCE,
                "source_page": None,
                "revision": 1,
                "updated_at": now,
            }
        )
        for aid in rng.sample(refs["agencies"], rng.randint(1, 2)):
            out[ProgrammeOperator].append({"programme_id": pid, "agency_id": aid})
        for number in rng.sample(refs["actions"], rng.randint(1, 2)):
            out[ProgrammeAction].append({"programme_id": pid, "action_number": number})
        if rng.random() < 0.5:
            out[ProgrammeMeasure].append(
                {"programme_id": pid, "measure_id": rng.choice(refs["measures"])}
            )
        for code in rng.sample(refs["support_types"], rng.randint(1, 2)):
            out[ProgrammeSupportType].append({"programme_id": pid, "support_type_code": code})
    return out


def contact_point_rows(
    n: int, programmes: int, refs: dict[str, list[Any]], rng: random.Random
) -> dict[Any, list[dict[str, Any]]]:
    now = _now()
    out: dict[Any, list[dict[str, Any]]] = {ContactPoint: [], ContactPointMunicipality: []}
    for i in range(n):
        cid = f"{PREFIX}contact-point-{i:07d}"
        wide = rng.random() < 0.01
        programme_id = (
            f"{PREFIX}programme-{rng.randrange(programmes):06d}"
            if programmes and rng.random() < 0.1
            else None
        )
        out[ContactPoint].append(
            {
                "id": cid,
                "name": f"【合成】{rng.choice(CP_ROLES)}窓口 No.{i:07d}",
                "agency_id": rng.choice(refs["agencies"]),
                "role": rng.choice(CP_ROLES),
                "postal_code": None,
                "address": None,
                # 0000 area codes do not exist: clearly not a real number
                "phones": [{"label": "代表", "number": f"0000-{i // 10000:02d}-{i % 10000:04d}"}],
                "fax": None,
                "email": None,
                "url": None,
                "hours": "平日 9:00〜17:00",
                "prefecture_wide": wide,
                "general_fallback": False,
                "programme_id": programme_id,
                "source": SOURCE,
                "as_of": None,
                "verified": False,
                "revision": 1,
                "updated_at": now,
            }
        )
        if not wide:
            for code in rng.sample(refs["municipalities"], rng.randint(1, 3)):
                out[ContactPointMunicipality].append(
                    {"contact_point_id": cid, "municipality_code": code}
                )
    return out


def load_synthetic(
    engine: Engine, programmes: int, contact_points: int, seed: int = 20131001
) -> dict[str, int]:
    """Replace the synthetic rows with a fresh set; returns the row counts written."""
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    with Session(engine) as session:
        refs = _reference_data(session)
        delete_synthetic(session)
        tables = programme_rows(programmes, refs, rng)
        tables.update(contact_point_rows(contact_points, programmes, refs, rng))
        for table, rows in tables.items():
            _insert(session, table, rows)
            counts[table.__tablename__] = len(rows)
        bump_directory_version(session)
        session.commit()
    if engine.dialect.name == "postgresql":
        # Fresh statistics, as autovacuum would give a production database after a while.
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.synthetic",
        description="Load clearly marked synthetic programmes and contact points (benchmarks).",
    )
    parser.add_argument("--programmes", type=int, default=10000)
    parser.add_argument("--contact-points", type=int, default=100000)
    parser.add_argument(
        "--database-url", required=True, help="SQLAlchemy URL of a migrated, seeded bench DB"
    )
    parser.add_argument("--seed", type=int, default=20131001, help="random seed")
    parser.add_argument("--force", action="store_true", help="allow the application's own database")
    args = parser.parse_args(argv)
    if args.programmes < 0 or args.contact_points < 0:
        parser.error("counts must not be negative")
    if _canonical(args.database_url) in app_database_urls() and not args.force:
        print(
            "refusing to write synthetic data into the application's database "
            f"({make_url(args.database_url).render_as_string()}); use a benchmark database "
            "or --force",
            file=sys.stderr,
        )
        return 2
    engine = make_engine(args.database_url)
    t0 = time.perf_counter()
    counts = load_synthetic(engine, args.programmes, args.contact_points, args.seed)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    print(
        "synthetic rows: "
        + ", ".join(f"{k}={v}" for k, v in counts.items())
        + f" ({elapsed:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
