"""Honesty about the plan's programmes: they come from a 2013 plan, so every answer says so
(「2013年の計画に記載（現状は要確認）」) until an editor confirms one, by an admin POST or PATCH or a
programme CSV import; the programme API, /v1/match, the HSDS export (status, assured_date,
alert), the CSV export and the chatbot all read the one vocabulary (app/matching/status.py)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from partners import assert_problem, bearer, make_key, unique
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from test_hsds import BASE, assert_valid

from app.matching.status import JST, status_label
from app.models import AuditEntry

UNCONFIRMED = "2013年の計画に記載（現状は要確認）"


def all_programmes(client: TestClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = client.get("/v1/programmes", params={"limit": 200, "offset": len(items)}).json()
        items += page["items"]
        if len(items) >= page["total"]:
            return items


def written_through_the_api(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(
            session.exec(
                select(AuditEntry.entity_id).where(col(AuditEntry.entity_type) == "programme")
            )
        )


def confirmed_label(at: datetime) -> str:
    day = at.astimezone(JST).date()
    return f"{day.year}年{day.month}月{day.day}日に確認済み"


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_the_plan_programmes_say_2013_until_someone_confirms_them(
    client: TestClient, engine: Engine
) -> None:
    edited = written_through_the_api(engine)  # other tests edit some programmes
    untouched = [p for p in all_programmes(client) if p["id"] not in edited]
    assert len(untouched) > 100
    for p in untouched:
        assert p["as_of"] == 2013, p["id"]
        assert p["status"] == "unconfirmed" and p["status_confirmed_at"] is None, p["id"]
        assert p["status_label"] == UNCONFIRMED, p["id"]
    detail = client.get("/v1/programmes/credit-guarantee").json()
    assert (detail["status"], detail["status_label"]) == ("unconfirmed", UNCONFIRMED)


def test_an_admin_edit_confirms_the_programme_everywhere(
    client: TestClient, engine: Engine
) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    pid = "strategic-industry-rd-subsidy"
    before = datetime.now(UTC)
    resp = client.patch(
        f"/v1/admin/programmes/{pid}", json={}, headers=admin
    )  # nothing but "as is"
    after = datetime.now(UTC)
    assert resp.status_code == 200, resp.text
    edited = resp.json()
    at = parse(edited["status_confirmed_at"])
    assert before - timedelta(seconds=1) <= at <= after + timedelta(seconds=1)
    assert edited["status"] == "confirmed" and edited["as_of"] == 2013
    assert edited["status_label"] == confirmed_label(at) == status_label(2013, at)
    public = client.get(f"/v1/programmes/{pid}").json()
    assert public["status"] == "confirmed" and parse(public["status_confirmed_at"]) == at
    listed = client.get("/v1/programmes", params={"q": "やまぐち産業戦略研究開発等補助金"}).json()
    assert next(p for p in listed["items"] if p["id"] == pid)["status_label"] == confirmed_label(at)
    service = client.get(f"/v1/hsds/services/{pid}").json()
    assert service["status"] == "active" and "alert" not in service
    assert service["assured_date"] == at.astimezone(JST).date().isoformat()
    assert_valid(service, BASE + "compiled/service.json")
    audit = client.get(
        "/v1/admin/audit", headers=admin, params={"entity_type": "programme", "entity_id": pid}
    ).json()["items"][0]
    assert audit["before"]["status"] == "unconfirmed"
    assert audit["after"]["status"] == "confirmed"
    rows = list(
        csv.reader(
            io.StringIO(client.get("/v1/exports/programmes.csv").content.decode("utf-8-sig"))
        )
    )
    header = rows[0]
    row = next(r for r in rows if r[0] == pid)
    assert row[header.index("確認状況")] == confirmed_label(at)
    assert row[header.index("出典の年")] == "2013"
    untouched = next(r for r in rows if r[0] == "credit-guarantee")
    assert untouched[header.index("確認状況")] == UNCONFIRMED
    assert untouched[header.index("確認日時（日本時間）")] == ""


def test_a_programme_created_through_the_api_is_confirmed(
    client: TestClient, engine: Engine
) -> None:
    editor = bearer(make_key(engine, "agency_editor", agency_id="yamaguchi-itc")[1])
    pid = unique("itc-new-programme")
    resp = client.post(
        "/v1/admin/programmes",
        json={
            "id": pid,
            "name": "技術相談（産業技術センター）",
            "kind": "consultation",
            "description": "県内企業の技術的な課題の相談に応じる。",
            "operators": ["yamaguchi-itc"],
        },
        headers=editor,
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["status"] == "confirmed" and created["as_of"] is None
    assert created["status_label"] == confirmed_label(parse(created["status_confirmed_at"]))
    # the body cannot set the confirmation itself
    bad = client.patch(
        f"/v1/admin/programmes/{pid}",
        json={"status_confirmed_at": "2013-01-01T00:00:00Z"},
        headers=editor,
    )
    assert_problem(bad, 422)


def test_the_hsds_services_say_what_is_unconfirmed_within_the_schema(
    client: TestClient, engine: Engine
) -> None:
    edited = written_through_the_api(engine)
    page = client.get("/v1/hsds/services", params={"per_page": 200}).json()
    assert page["contents"]
    unconfirmed = 0
    for service in page["contents"]:
        assert service["status"] in ("active", "inactive", "defunct", "temporarily closed")
        assert_valid(service, BASE + "compiled/service.json")
        if "assured_date" not in service:
            assert service["alert"].endswith("（現状は要確認）")
            unconfirmed += 1
    assert unconfirmed >= page["total_items"] - len(edited) > 0
    full = client.get("/v1/hsds/services/credit-guarantee").json()
    assert full["alert"] == UNCONFIRMED and "assured_date" not in full
    assert {"field_name": "as_of", "replacement_value": "2013"}.items() <= next(
        m for m in full["metadata"] if m["field_name"] == "as_of"
    ).items()


def test_match_and_the_chatbot_say_the_programmes_are_from_2013(client: TestClient) -> None:
    body = client.post("/v1/match", json={"text": "融資を受けたい"}).json()
    assert body["programmes"]
    for p in body["programmes"]:
        assert p["status"] in ("unconfirmed", "confirmed") and p["status_label"]
    assert any(p["status_label"] == UNCONFIRMED for p in body["programmes"])
    started = client.post("/v1/conversations", json={}).json()
    reply = client.post(
        f"/v1/conversations/{started['id']}/messages", json={"text": "融資を受けたい"}
    ).json()
    assert reply["kind"] == "referral"
    assert UNCONFIRMED in reply["reply"]


# --- the programme CSV import -------------------------------------------------------------------


def export(client: TestClient) -> tuple[list[str], list[list[str]]]:
    rows = list(
        csv.reader(
            io.StringIO(client.get("/v1/exports/programmes.csv").content.decode("utf-8-sig"))
        )
    )
    return rows[0], rows[1:]


def to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def post(client: TestClient, headers: dict[str, str], body: bytes, dry_run: bool) -> Any:
    return client.post(
        "/v1/admin/imports/programmes",
        params={"dry_run": str(dry_run).lower()},
        content=body,
        headers={**headers, "Content-Type": "text/csv; charset=utf-8"},
    )


def test_the_programme_export_comes_back_unchanged(client: TestClient, engine: Engine) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    header, rows = export(client)
    # the whole file is over the request body limit (MAX_BODY_BYTES): in parts, as an editor would
    parts = [rows[i : i + 30] for i in range(0, len(rows), 30)]
    assert len(parts) > 1
    for part in parts:
        resp = post(client, admin, to_csv(header, part), dry_run=True)
        assert resp.status_code == 200, resp.text
        assert resp.json() == {
            "dry_run": True,
            "created": 0,
            "updated": 0,
            "unchanged": len(part),
            "errors": [],
        }


def test_a_programme_import_confirms_every_row_it_applies(
    client: TestClient, engine: Engine
) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    header, rows = export(client)
    col_of = {h: i for i, h in enumerate(header)}
    ids = ["renewable-energy-loan", "youth-employment-loan"]
    picked = [r for r in rows if r[0] in ids]
    assert len(picked) == 2
    tried = post(client, admin, to_csv(header, picked), dry_run=True)
    assert tried.json()["unchanged"] == 2
    for pid in ids:  # a dry run confirms nothing
        assert client.get(f"/v1/programmes/{pid}").json()["status"] == "unconfirmed"
    picked[1][col_of["経緯・状況"]] = "取り込みで確認（テスト）"
    before = datetime.now(UTC)
    applied = post(client, admin, to_csv(header, picked), dry_run=False)
    assert applied.status_code == 200, applied.text
    assert (applied.json()["updated"], applied.json()["unchanged"]) == (1, 1)
    for pid in ids:  # the changed row and the unchanged one alike
        p = client.get(f"/v1/programmes/{pid}").json()
        assert p["status"] == "confirmed", pid
        assert parse(p["status_confirmed_at"]) >= before - timedelta(seconds=1)
    assert (
        client.get(f"/v1/programmes/{ids[1]}").json()["status_note"] == "取り込みで確認（テスト）"
    )
    untouched = client.get("/v1/programmes/credit-guarantee").json()
    assert untouched["status"] == "unconfirmed"


def test_a_programme_import_checks_cells_and_rights(client: TestClient, engine: Engine) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    itc = bearer(make_key(engine, "agency_editor", agency_id="yamaguchi-itc")[1])
    header, rows = export(client)
    col_of = {h: i for i, h in enumerate(header)}
    base = next(r for r in rows if r[0] == "credit-guarantee")

    def changed(**cells: str) -> list[str]:
        row = list(base)
        for column, value in cells.items():
            row[col_of[column]] = value
        return row

    wrong = [
        changed(出典の年="二〇一三"),
        changed(支援の種類="なんでも支援"),
        changed(アクション="十二 資金"),
        changed(種類="grant"),
    ]
    resp = post(client, admin, to_csv(header, wrong), dry_run=False)
    body = assert_problem(resp, 422)
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (2, "出典の年"),
        (3, "支援の種類"),
        (4, "アクション"),
        (5, "種類"),
    ]
    # the technology centre's editor: not the guarantee corporation's programme, and a new one
    # only with itself as operator
    new = changed(制度ID=unique("itc-imported"), 運営機関ID="yamaguchi-itc、yipf")
    refused = post(client, itc, to_csv(header, [base, new]), dry_run=True).json()
    assert [(e["row"], e["column"]) for e in refused["errors"]] == [
        (2, "制度ID"),
        (3, "運営機関ID"),
    ]
    own = changed(制度ID=unique("itc-imported"), 運営機関ID="yamaguchi-itc")
    created = post(client, itc, to_csv(header, [own]), dry_run=False)
    assert created.status_code == 200 and created.json()["created"] == 1, created.text
    fresh = client.get(f"/v1/programmes/{own[0]}").json()
    assert fresh["status"] == "confirmed" and fresh["operators"][0]["id"] == "yamaguchi-itc"
    assert fresh["as_of"] == 2013  # the year as the file says


def test_migration_0013_dates_the_plan_programmes_and_confirms_none(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    from alembic import command
    from app.devtools.fresh import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0011")
    engine = create_engine(url)
    with engine.begin() as conn:
        for pid in ("from-the-plan", "made-by-an-agency"):
            conn.execute(
                text(
                    "INSERT INTO programme (id, name, kind, description, aliases, source_section, "
                    "revision, updated_at) VALUES (:id, '制度', 'subsidy', '説明', '[]', 'test', 2, "
                    "'2026-01-01 00:00:00')"
                ),
                {"id": pid},
            )
        conn.execute(
            text(
                "INSERT INTO audit_entry (at, key_prefix, key_scope, action, entity_type, "
                "entity_id) VALUES ('2026-01-01 00:00:00', 'abcd1234', 'agency_editor', 'create', "
                "'programme', 'made-by-an-agency')"
            )
        )
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        rows = {pid: as_of for pid, as_of in conn.execute(text("SELECT id, as_of FROM programme"))}
        confirmed = conn.execute(
            text("SELECT count(*) FROM programme WHERE status_confirmed_at IS NOT NULL")
        ).scalar_one()
    engine.dispose()
    assert rows == {"from-the-plan": 2013, "made-by-an-agency": None}
    assert confirmed == 0
