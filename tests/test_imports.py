"""Bulk import of agencies and contact points: the export's CSV comes back, checked row by row,
tried first (dry run), applied all at once or not at all, audited, within the editor's rights."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from partners import assert_problem, bearer, make_key, unique
from sqlalchemy.engine import Engine


def export_rows(client: TestClient, what: str) -> tuple[list[str], list[list[str]]]:
    resp = client.get(f"/v1/exports/{what}.csv")
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    return rows[0], rows[1:]


def to_csv(header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def post(
    client: TestClient,
    headers: dict[str, str],
    what: str,
    body: bytes,
    dry_run: bool,
    charset: str = "",
) -> Any:
    content_type = "text/csv" + (f"; charset={charset}" if charset else "")
    return client.post(
        f"/v1/admin/imports/{what}",
        params={"dry_run": str(dry_run).lower()},
        content=body,
        headers={**headers, "Content-Type": content_type},
    )


def test_the_export_comes_back_unchanged(client: TestClient, engine: Engine) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    for what in ("agencies", "contact-points"):
        header, rows = export_rows(client, what)
        resp = post(client, admin, what, to_csv(header, rows), dry_run=True)
        assert resp.status_code == 200, resp.text
        report = resp.json()
        assert report == {
            "dry_run": True,
            "created": 0,
            "updated": 0,
            "unchanged": len(rows),
            "errors": [],
        }, what


def test_dry_run_then_apply_in_excel_shift_jis(client: TestClient, engine: Engine) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    header, rows = export_rows(client, "agencies")
    col = {h: i for i, h in enumerate(header)}
    hagi = next(r for r in rows if r[col["機関ID"]] == "hagi-cci")
    new_text = f"萩市の商工会議所（{unique('取込')}）"
    hagi[col["説明"]] = new_text
    office = [""] * len(header)
    office_id = unique("hagi-cci-branch")
    office[col["機関ID"]] = office_id
    office[col["機関名"]] = "萩商工会議所 須佐支所"
    office[col["略称"]] = "須佐支所"
    office[col["区分"]] = "local_support"
    office[col["親機関ID"]] = "hagi-cci"
    office[col["担当市町"]] = "萩市"
    body = to_csv(header, [hagi, office], encoding="cp932")  # as Excel saves a CSV
    tried = post(client, admin, "agencies", body, dry_run=True)
    assert tried.status_code == 200, tried.text
    assert tried.json()["created"] == 1 and tried.json()["updated"] == 1
    assert client.get("/v1/agencies/hagi-cci").json()["description"] != new_text  # nothing written
    applied = post(client, admin, "agencies", body, dry_run=False)
    assert applied.status_code == 200, applied.text
    assert applied.json()["dry_run"] is False
    assert client.get("/v1/agencies/hagi-cci").json()["description"] == new_text
    created = client.get(f"/v1/agencies/{office_id}").json()
    assert created["parent_id"] == "hagi-cci" and created["municipalities"] == ["35204"]
    audit = client.get("/v1/admin/audit", headers=admin, params={"entity_id": office_id})
    assert [e["action"] for e in audit.json()["items"]] == ["create"]


def test_one_wrong_row_writes_nothing(client: TestClient, engine: Engine) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    header, _rows = export_rows(client, "contact-points")
    col = {h: i for i, h in enumerate(header)}
    good = [""] * len(header)
    good_id = unique("hagi-desk")
    good[col["窓口ID"]] = good_id
    good[col["窓口名"]] = "萩商工会議所（取込テスト）"
    good[col["機関ID"]] = "hagi-cci"
    good[col["担当市町"]] = "萩市"
    no_id = list(good)
    no_id[col["窓口ID"]] = ""
    bad_town = list(good)
    bad_town[col["窓口ID"]] = unique("hagi-desk")
    bad_town[col["担当市町"]] = "東京都"
    resp = post(client, admin, "contact-points", to_csv(header, [good, no_id, bad_town]), False)
    body = assert_problem(resp, 422)
    assert {(e["row"], e["column"]) for e in body["errors"]} == {(3, "窓口ID"), (4, "担当市町")}
    assert client.get(f"/v1/admin/contact-points/{good_id}", headers=admin).status_code == 404
    tried = post(client, admin, "contact-points", to_csv(header, [good, no_id]), True)
    assert tried.status_code == 200 and tried.json()["created"] == 1
    assert [e["row"] for e in tried.json()["errors"]] == [3]


def test_an_editor_imports_only_its_own_agency_and_offices(
    client: TestClient, engine: Engine
) -> None:
    foundation = bearer(make_key(engine, "agency_editor", agency_id="yipf")[1])
    hagi_editor = bearer(make_key(engine, "agency_editor", agency_id="hagi-cci")[1])
    header, _rows = export_rows(client, "contact-points")
    col = {h: i for i, h in enumerate(header)}
    row = [""] * len(header)
    row[col["窓口ID"]] = unique("hagi-desk")
    row[col["窓口名"]] = "萩商工会議所 窓口"
    row[col["機関ID"]] = "hagi-cci"
    refused = post(client, foundation, "contact-points", to_csv(header, [row]), True)
    assert refused.status_code == 200
    assert [e["column"] for e in refused.json()["errors"]] == ["機関ID"]
    allowed = post(client, hagi_editor, "contact-points", to_csv(header, [row]), False)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["created"] == 1


def test_unreadable_files_are_clear_422s(client: TestClient, engine: Engine) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    assert_problem(post(client, admin, "agencies", b"", True), 422)
    assert_problem(post(client, admin, "agencies", "機関ID,機関名\r\n".encode(), True), 422)
    assert_problem(post(client, admin, "agencies", b"\xff\xfe\x00\x81", True, charset="utf-8"), 422)
    assert_problem(post(client, admin, "agencies", "機関ID,機\x00関名\r\n".encode(), True), 422)
    assert_problem(post(client, admin, "agencies", '機関ID,"機関名\r\n'.encode(), True), 422)
    assert post(client, admin, "programmes", b"x", True).status_code == 422
    assert post(client, {}, "agencies", b"x", True).status_code == 401
