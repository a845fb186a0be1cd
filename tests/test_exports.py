"""CSV exports for Excel: BOM, CRLF, Japanese headers, totals, the role matrix, formula escaping,
streaming."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Agency, ContactPoint
from app.services import exports
from app.services.exports import encode_csv, escape_cell


def _get_csv(client: TestClient, name: str) -> tuple[Any, list[list[str]]]:
    resp = client.get(f"/v1/exports/{name}")
    assert resp.status_code == 200, resp.text
    raw = resp.content
    assert raw.startswith("\ufeff".encode()), "UTF-8 BOM first"
    text = raw.decode("utf-8")[1:]
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", ""), "every line ends with CRLF"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return resp, rows


@pytest.mark.parametrize(
    ("name", "ascii_name", "japanese_name", "first_headers", "api", "params"),
    [
        (
            "agencies.csv",
            "agencies.csv",
            "支援機関.csv",
            ["機関ID", "機関名", "略称"],
            "/v1/agencies",
            {},
        ),
        (
            "programmes.csv",
            "programmes.csv",
            "制度.csv",
            ["制度ID", "制度名", "別名"],
            "/v1/programmes",
            {},
        ),
        (
            "contact-points.csv",
            "contact-points.csv",
            "窓口.csv",
            ["窓口ID", "窓口名", "機関ID"],
            "/v1/contact-points",
            {},
        ),
    ],
)
def test_csv_format_and_row_counts(
    client: TestClient,
    name: str,
    ascii_name: str,
    japanese_name: str,
    first_headers: list[str],
    api: str,
    params: dict[str, Any],
) -> None:
    resp, rows = _get_csv(client, name)
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="{ascii_name}"' in disposition
    assert f"filename*=UTF-8''{quote(japanese_name)}" in disposition
    assert disposition.isascii()
    header, body = rows[0], rows[1:]
    assert header[:3] == first_headers
    assert all(len(r) == len(header) for r in body)
    total = client.get(api, params={"limit": 1, **params}).json()["total"]
    assert len(body) == total
    ids = [r[0] for r in body]
    assert len(set(ids)) == total
    listed: set[str] = set()
    offset = 0
    while offset < total:
        page = client.get(api, params={"limit": 200, "offset": offset}).json()
        listed |= {item["id"] for item in page["items"]}
        offset += 200
    assert set(ids) == listed


def test_agency_role_columns_equal_the_role_matrix(client: TestClient) -> None:
    _, rows = _get_csv(client, "agencies.csv")
    header, body = rows[0], rows[1:]
    matrix = client.get("/v1/role-matrix").json()
    type_names = [t["name"] for t in matrix["support_types"]]
    assert type_names == [
        "創業支援",
        "成長支援",
        "技術支援",
        "事業活動支援",
        "経営基盤安定支援",
        "金融支援",
    ]
    columns = [header.index(n) for n in type_names]
    by_id = {r[0]: r for r in body}
    assert matrix["rows"]
    for row in matrix["rows"]:
        csv_row = by_id[row["agency"]["id"]]
        marks = [csv_row[i] for i in columns]
        assert set(marks) <= {"○", ""}
        assert marks == ["○" if row["roles"][t["code"]] else "" for t in matrix["support_types"]]
        assert csv_row[header.index("役割表の機関")] == "○"
    for agency in client.get("/v1/agencies", params={"limit": 200}).json()["items"]:
        csv_row = by_id[agency["id"]]
        assert csv_row[header.index("機関名")] == agency["name"]
        assert csv_row[header.index("親機関ID")] == (agency["parent_id"] or "")
        held = [t["code"] for t in matrix["support_types"] if csv_row[header.index(t["name"])]]
        assert held == agency["roles"]


def test_programme_and_contact_columns(client: TestClient) -> None:
    _, rows = _get_csv(client, "programmes.csv")
    header = rows[0]
    row = next(r for r in rows[1:] if r[0] == "business-succession-desk")
    programme = client.get("/v1/programmes/business-succession-desk").json()
    assert row[header.index("運営機関ID")].split("、") == [o["id"] for o in programme["operators"]]
    assert row[header.index("取組方針")].split("、") == programme["measures"]
    assert row[header.index("出典")].startswith("やまぐち商工業推進計画")

    _, rows = _get_csv(client, "contact-points.csv")
    header = rows[0]
    points = client.get("/v1/contact-points", params={"limit": 200}).json()["items"]
    for p in points:
        r = next(r for r in rows[1:] if r[0] == p["id"])
        assert r[header.index("住所")] == (p["address"] or "")
        assert r[header.index("FAX")] == (p["fax"] or "")
        assert r[header.index("出典")] == p["source"]
        for phone in p["phones"]:
            assert phone["number"] in r[header.index("電話")]
        assert r[header.index("確認済み")] == ("○" if p["verified"] else "")


def test_escape_cell() -> None:
    for dangerous in ("=1+1", "+81-83-933", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'):
        assert escape_cell(dangerous) == "'" + dangerous
    for harmless in ("山口県", "083-933-3185", "a=b", "", "1", " =x"):
        assert escape_cell(harmless) == harmless
    assert escape_cell(None) == ""
    assert escape_cell(True) == "○" and escape_cell(False) == ""
    assert escape_cell(12) == "12"


def test_formula_injection_is_escaped_through_the_endpoint(
    client: TestClient, engine: Engine
) -> None:
    evil_name = '=HYPERLINK("http://evil.example","click")'
    with Session(engine) as session:
        session.add(
            Agency(
                id="zz-injection-test",
                name=evil_name,
                short_name="@SUM(1+1)",
                category="test",
                source_section="-test",
            )
        )
        session.commit()
        session.add(
            ContactPoint(
                id="zz-injection-test",
                name="+cmd",
                agency_id="zz-injection-test",
                address="=1+2",
                phones=[{"label": None, "number": "083-000-0000"}],
                source="test",
            )
        )
        session.commit()
    try:
        _, rows = _get_csv(client, "agencies.csv")
        header = rows[0]
        row = next(r for r in rows[1:] if r[0] == "zz-injection-test")
        assert row[header.index("機関名")] == "'" + evil_name
        assert row[header.index("略称")] == "'@SUM(1+1)"
        _, rows = _get_csv(client, "contact-points.csv")
        header = rows[0]
        row = next(r for r in rows[1:] if r[0] == "zz-injection-test")
        assert row[header.index("窓口名")] == "'+cmd"
        assert row[header.index("住所")] == "'=1+2"
        assert row[header.index("電話")] == "083-000-0000"
        assert row[header.index("機関名")] == "'" + evil_name
    finally:
        with Session(engine) as session:
            cp = session.get(ContactPoint, "zz-injection-test")
            if cp is not None:
                session.delete(cp)
                session.commit()
            agency = session.get(Agency, "zz-injection-test")
            if agency is not None:
                session.delete(agency)
                session.commit()


def test_encode_csv_streams_in_chunks() -> None:
    produced = 0

    def rows() -> Any:
        nonlocal produced
        for i in range(exports.BATCH * 3 + 7):
            produced += 1
            yield [f"id-{i}", "山口", "=x" if i == 5 else i]

    stream = encode_csv(["ID", "名前", "値"], rows())
    first = next(stream)
    assert first.startswith("\ufeff".encode())
    assert produced <= exports.BATCH, "the first chunk is sent before all rows are read"
    chunks = [first, *stream]
    assert len(chunks) == 4
    parsed = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8")[1:], newline="")))
    assert parsed[0] == ["ID", "名前", "値"]
    assert len(parsed) == exports.BATCH * 3 + 8
    assert parsed[6] == ["id-5", "山口", "'=x"]


def test_keyset_batches_cover_every_row(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, full = _get_csv(client, "agencies.csv")
    monkeypatch.setattr(exports, "BATCH", 4)
    _, small = _get_csv(client, "agencies.csv")
    assert small == full
    _, programmes = _get_csv(client, "programmes.csv")
    total = client.get("/v1/programmes", params={"limit": 1}).json()["total"]
    assert len(programmes) - 1 == total
