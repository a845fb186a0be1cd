"""Helpers shared by the partner-access tests: keys written straight to the test database."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.services.access import Scope, create_key

INJECTIONS = ("'; DROP TABLE agency; --", "<script>alert(1)</script>")


def make_key(
    engine: Engine,
    scope: str,
    *,
    agency_id: str | None = None,
    municipality: str | None = None,
) -> tuple[int, str]:
    with Session(engine) as session:
        key, secret = create_key(
            session, scope=Scope(scope), agency_id=agency_id, municipality=municipality
        )
        session.commit()
        assert key.id is not None
        return key.id, secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert body["status"] == status
    assert any(ord(ch) > 0x3000 for ch in body["detail"]), "detail must be Japanese"
    return body
