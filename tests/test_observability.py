"""Request ids, metrics."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_request_id_is_taken_or_generated(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "desk-42.abc"})
    assert given.headers["x-request-id"] == "desk-42.abc"
    generated = client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 300})
    assert hostile.headers["x-request-id"] != "<script>" + "x" * 300
    assert len(hostile.headers["x-request-id"]) == 32
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(50)}
    assert len(ids) == 50 and generated.headers["x-request-id"] not in ids


def test_errors_carry_the_request_id_too(client: TestClient) -> None:
    resp = client.get("/v1/agencies/nobody", headers={"X-Request-ID": "trace-1"})
    assert resp.status_code == 404 and resp.headers["x-request-id"] == "trace-1"


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_routes_and_match_outcomes(client: TestClient) -> None:
    before = client.get("/metrics").text
    client.post("/v1/match", json={"text": "共同研究したい"})
    client.post("/v1/match", json={"text": "今日の天気"})
    after = client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    name = "madoguchi_match_outcomes_total"
    assert _sample(text, name, outcome="matched") == _sample(before, name, outcome="matched") + 1
    assert (
        _sample(text, name, outcome="unmatched") == _sample(before, name, outcome="unmatched") + 1
    )
    route = _sample(
        text, "madoguchi_http_requests_total", method="POST", route="/v1/match", status="200"
    )
    assert route >= 2
    assert _sample(text, "madoguchi_snapshot_version") >= 1


def test_access_lines_are_json_with_the_request_id(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import logging

    from app.core.observability import ACCESS_LOG, access_log

    ACCESS_LOG.flush()
    capsys.readouterr()
    client.get("/v1/support-types", headers={"X-Request-ID": "access-line-1"})
    ACCESS_LOG.flush()
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    mine = [x for x in lines if x.get("request_id") == "access-line-1"]
    assert len(mine) == 1
    line = mine[0]
    assert line["logger"] == "madoguchi.access" and line["status"] == 200
    assert line["route"] == "/v1/support-types" and line["method"] == "GET"
    assert line["duration_ms"] >= 0 and line["time"][:2] == "20"
    level = access_log.level
    access_log.setLevel(logging.WARNING)
    try:
        client.get("/v1/support-types", headers={"X-Request-ID": "access-line-2"})
        ACCESS_LOG.flush()
        assert "access-line-2" not in capsys.readouterr().err
    finally:
        access_log.setLevel(level)


@pytest.mark.parametrize(
    ("method", "route", "status", "ms"),
    [
        ("GET", "/v1/programmes", 200, 0.123456),
        ("POST", "/v1/admin/agencies/{agency_id}", 422, 1234.5),
        ("BREW", "unmatched", 404, 0.0),
        ('WEIRD"\\', "/パス", 500, 7.0),  # whatever a client sends is escaped as JSON would
    ],
)
def test_the_access_line_is_what_json_line_writes(
    method: str, route: str, status: int, ms: float
) -> None:
    import json
    import time

    from app.core.observability import AccessLineFormat, json_line

    at = time.time()
    fast = AccessLineFormat()
    for _ in range(2):  # the second time from its caches
        line = fast.line(at, "req-1.a:b", method, route, status, ms)
        general = json_line(
            at,
            "info",
            "madoguchi.access",
            "request",
            "req-1.a:b",
            {"method": method, "route": route, "status": status, "duration_ms": round(ms, 2)},
        )
        assert json.loads(line) == json.loads(general)
        assert line == general
