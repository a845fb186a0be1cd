"""API keys and scopes, the bootstrap key, the CLI, and the HTTP hardening."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from partners import assert_problem, bearer, make_key
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.cli import main as cli_main
from app.core.config import PROJECT_ROOT, Settings
from app.core.db import get_session, make_engine
from app.main import create_app
from app.models import ApiKey
from app.models.common import utcnow
from app.services.access import Principal, PrincipalCache, Scope


@pytest.fixture
def admin(engine: Engine) -> dict[str, str]:
    return bearer(make_key(engine, "admin")[1])


def test_missing_key_is_401_with_challenge(client: TestClient) -> None:
    for resp in (
        client.get("/v1/admin/api-keys"),
        client.get("/v1/referrals"),
        client.patch("/v1/admin/agencies/yipf", json={"name": "x"}),
    ):
        assert_problem(resp, 401)
        assert resp.headers["www-authenticate"].startswith("Bearer")


def test_unknown_key_is_401(client: TestClient) -> None:
    for token in ("not-a-real-key-at-all", "x", "a" * 500):
        resp = client.get("/v1/admin/api-keys", headers=bearer(token))
        assert_problem(resp, 401)
        assert "Bearer" in resp.headers["www-authenticate"]
    # a non-bearer scheme is not a key either
    resp = client.get("/v1/admin/api-keys", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert_problem(resp, 401)


def test_issue_list_and_revoke_a_key(client: TestClient, admin: dict[str, str]) -> None:
    resp = client.post(
        "/v1/admin/api-keys",
        headers=admin,
        json={"scope": "front_desk", "municipality": "萩市", "label": "萩市 商工振興課"},
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    secret = created["secret"]
    assert created["scope"] == "front_desk" and created["municipality_code"] == "35204"
    assert created["prefix"] == secret[:8] and len(secret) >= 40
    # the new key works at once
    assert client.get("/v1/referrals", headers=bearer(secret)).status_code == 200

    listing = client.get("/v1/admin/api-keys", headers=admin)
    assert listing.status_code == 200
    assert secret not in listing.text
    mine = [k for k in listing.json() if k["id"] == created["id"]]
    assert mine and "secret" not in mine[0] and "secret_hash" not in mine[0]
    assert mine[0]["revoked_at"] is None

    revoked = client.delete(f"/v1/admin/api-keys/{created['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert_problem(client.get("/v1/referrals", headers=bearer(secret)), 401)
    assert_problem(client.delete("/v1/admin/api-keys/999999", headers=admin), 404)


@pytest.mark.parametrize(
    "body",
    [
        {"scope": "agency_editor"},
        {"scope": "agency_editor", "agency_id": "no-such-agency"},
        {"scope": "front_desk"},
        {"scope": "front_desk", "municipality": "大阪市"},
        {"scope": "admin", "agency_id": "yipf"},
        {"scope": "analyst", "agency_id": "yipf"},
        {"scope": "analyst", "municipality": "萩市"},
        {"scope": "owner"},
        {"scope": "admin", "label": "x" * 201},
        {"scope": "admin", "secret": "mine"},
    ],
)
def test_bad_key_requests_are_422(
    client: TestClient, admin: dict[str, str], body: dict[str, str]
) -> None:
    assert_problem(client.post("/v1/admin/api-keys", headers=admin, json=body), 422)


def test_wrong_scope_is_403(client: TestClient, engine: Engine) -> None:
    desk = bearer(make_key(engine, "front_desk", municipality="萩市")[1])
    editor = bearer(make_key(engine, "agency_editor", agency_id="yipf")[1])
    for headers in (desk, editor):
        assert_problem(client.get("/v1/admin/api-keys", headers=headers), 403)
        assert_problem(
            client.post("/v1/admin/api-keys", headers=headers, json={"scope": "admin"}), 403
        )
        assert_problem(client.get("/v1/admin/audit", headers=headers), 403)
    assert_problem(client.get("/v1/admin/agencies/yipf", headers=desk), 403)


def test_an_analyst_key_reads_the_yearly_review_and_nothing_else(
    client: TestClient, admin: dict[str, str], engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    resp = client.post(
        "/v1/admin/api-keys", headers=admin, json={"scope": "analyst", "label": "進行管理"}
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["scope"] == "analyst"
    assert created["agency_id"] is None and created["municipality_code"] is None
    analyst = bearer(created["secret"])
    assert client.get("/v1/progress", headers=analyst).status_code == 200
    assert client.get("/v1/exports/progress.csv", headers=analyst).status_code == 200
    # no referral is visible to it, and it writes nothing
    assert client.get("/v1/referrals", headers=analyst).json()["total"] == 0
    assert client.get("/v1/referrals/stats", headers=analyst).json()["total"] == 0
    assert_problem(client.get("/v1/admin/api-keys", headers=analyst), 403)
    assert_problem(client.get("/v1/admin/agencies/yipf", headers=analyst), 403)
    assert_problem(
        client.patch("/v1/admin/agencies/yipf", headers=analyst, json={"role_label": "x"}), 403
    )
    assert_problem(
        client.put(
            "/v1/admin/kpis/startups-supported/actuals/2014",
            headers=analyst,
            json={"value": 150, "source": "x"},
        ),
        403,
    )
    # the command line issues one too, and the key list names its scope
    assert cli_main(["keys", "create", "--scope", "analyst", "--label", "CLI"], engine=engine) == 0
    from_cli = json.loads(capsys.readouterr().out)
    assert from_cli["scope"] == "analyst"
    assert client.get("/v1/progress", headers=bearer(from_cli["secret"])).status_code == 200
    listed = {k["id"]: k["scope"] for k in client.get("/v1/admin/api-keys", headers=admin).json()}
    assert listed[created["id"]] == "analyst" and listed[from_cli["id"]] == "analyst"
    assert (
        cli_main(["keys", "create", "--scope", "analyst", "--agency-id", "yipf"], engine=engine)
        == 2
    )
    assert "analyst" in capsys.readouterr().err


def test_openapi_declares_the_bearer_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    op = spec["paths"]["/v1/admin/api-keys"]["post"]
    assert op["security"] and "401" in op["responses"] and "403" in op["responses"]


@pytest.fixture
def bootstrap_client(engine: Engine, database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        DATABASE_URL=database_url,
        SNAPSHOT_CHECK_SECONDS=0.0,
        BOOTSTRAP_ADMIN_KEY="bootstrap-secret-for-tests-0123456789",
        RATE_LIMIT_PER_MINUTE=0,
    )
    app = create_app(settings, session_factory=lambda: Session(engine), extra_builders=[])

    def override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = override
    with TestClient(app) as c:
        yield c


def test_bootstrap_admin_key(bootstrap_client: TestClient, client: TestClient) -> None:
    good = bearer("bootstrap-secret-for-tests-0123456789")
    assert bootstrap_client.get("/v1/admin/api-keys", headers=good).status_code == 200
    created = bootstrap_client.post(
        "/v1/admin/api-keys", headers=good, json={"scope": "admin", "label": "first admin"}
    )
    assert created.status_code == 201
    assert_problem(
        bootstrap_client.get("/v1/admin/api-keys", headers=bearer("bootstrap-secret-wrong")), 401
    )
    # an app without the setting does not accept it
    assert_problem(client.get("/v1/admin/api-keys", headers=good), 401)


def test_cli_create_list_revoke(
    client: TestClient, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(
        ["keys", "create", "--scope", "agency_editor", "--agency-id", "yipf", "--label", "CLI"],
        engine=engine,
    )
    assert code == 0
    created = json.loads(capsys.readouterr().out)
    secret, key_id = created["secret"], created["id"]
    assert created["scope"] == "agency_editor" and created["agency_id"] == "yipf"
    assert client.get("/v1/admin/agencies/yipf", headers=bearer(secret)).status_code == 200

    assert cli_main(["keys", "list"], engine=engine) == 0
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if line.startswith(f"{key_id}\t"))
    assert created["prefix"] in row and "active" in row and secret not in table

    assert cli_main(["keys", "revoke", str(key_id)], engine=engine) == 0
    capsys.readouterr()
    assert_problem(client.get("/v1/admin/agencies/yipf", headers=bearer(secret)), 401)
    assert cli_main(["keys", "list", "--json"], engine=engine) == 0
    rows = json.loads(capsys.readouterr().out)
    assert next(r for r in rows if r["id"] == key_id)["revoked_at"] is not None

    assert cli_main(["keys", "create", "--scope", "front_desk"], engine=engine) == 2
    assert "municipality" in capsys.readouterr().err
    assert cli_main(["keys", "revoke", "987654"], engine=engine) == 2


def test_cli_runs_as_a_module_against_database_url(database_url: str, engine: Engine) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", "create", "--scope", "front_desk",
         "--municipality", "35201"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    created = json.loads(out.stdout)
    assert created["municipality_code"] == "35201"
    listing = subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", "list"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert created["prefix"] in listing.stdout


# ---------------------------------------------------------------- hardening


def test_security_headers_on_success_and_error(client: TestClient) -> None:
    for resp in (client.get("/v1/support-types"), client.get("/v1/agencies/nope")):
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["x-frame-options"] == "DENY"
        assert resp.headers["referrer-policy"] == "no-referrer"
        csp = resp.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    docs = client.get("/docs")
    # the docs' own policy: their inline bootstrap script, and no other origin
    assert docs.status_code == 200 and "'unsafe-inline'" in docs.headers["content-security-policy"]
    assert "https:" not in docs.headers["content-security-policy"]


def test_oversize_body_is_413(client: TestClient, engine: Engine) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    big = {"scope": "admin", "label": "x" * (70 * 1024)}
    resp = client.post("/v1/admin/api-keys", headers=admin, json=big)
    assert_problem(resp, 413)
    assert resp.headers["x-content-type-options"] == "nosniff"

    # streamed without Content-Length: the received bytes are counted
    def chunks() -> Iterator[bytes]:
        yield b'{"scope": "admin", "label": "'
        for _ in range(80):
            yield b"y" * 1024
        yield b'"}'

    resp = client.post(
        "/v1/admin/api-keys",
        headers={**admin, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert "content-length" not in resp.request.headers
    assert_problem(resp, 413)
    # just under the limit is handled normally (here: the label is too long → 422)
    resp = client.post(
        "/v1/admin/api-keys", headers=admin, json={"scope": "admin", "label": "z" * 60_000}
    )
    assert_problem(resp, 422)


def test_rate_limit_per_ip_with_retry_after(engine: Engine, database_url: str) -> None:
    settings = Settings(
        DATABASE_URL=database_url, SNAPSHOT_CHECK_SECONDS=0.0, RATE_LIMIT_PER_MINUTE=3
    )
    app = create_app(settings, session_factory=lambda: Session(engine), extra_builders=[])

    def override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = override
    with TestClient(app) as c:
        assert [c.get("/v1/support-types").status_code for _ in range(3)] == [200, 200, 200]
        resp = c.get("/v1/support-types")
        assert_problem(resp, 429)
        assert 1 <= int(resp.headers["retry-after"]) <= 60
        assert resp.headers["x-frame-options"] == "DENY"
        # health checks are never limited
        assert c.get("/healthz").status_code == 200


def test_rate_limit_off_when_zero(client: TestClient) -> None:
    # the shared test app runs with RATE_LIMIT_PER_MINUTE=0
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))
    assert all(client.get("/v1/support-types").status_code == 200 for _ in range(20))


def test_database_errors_leak_no_sql_or_trace(engine: Engine, database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables at all
    settings = Settings(DATABASE_URL=database_url, RATE_LIMIT_PER_MINUTE=0)
    app = create_app(settings, session_factory=lambda: Session(engine), extra_builders=[])

    def override() -> Iterator[Session]:
        with Session(broken) as session:
            yield session

    app.dependency_overrides[get_session] = override
    with TestClient(app, raise_server_exceptions=False) as c:
        for resp in (
            c.get("/v1/actions/8"),  # the plan is read from the database
            c.get("/v1/admin/api-keys", headers=bearer("whatever-key-123")),
        ):
            assert_problem(resp, 500)
            # answered outside every middleware, yet with the security headers
            assert resp.headers["x-content-type-options"] == "nosniff"
            assert resp.headers["x-frame-options"] == "DENY"
            assert "default-src 'none'" in resp.headers["content-security-policy"]
            text = resp.text.lower()
            assert "select" not in text and "traceback" not in text and "sqlite" not in text
    broken.dispose()


def test_issuing_and_revoking_keys_are_audited(client: TestClient, engine: Engine) -> None:
    admin_id, admin_secret = make_key(engine, "admin")
    admin = bearer(admin_secret)
    created = client.post(
        "/v1/admin/api-keys",
        headers=admin,
        json={"scope": "front_desk", "municipality": "萩市", "label": "監査の確認"},
    )
    assert created.status_code == 201, created.text
    key = created.json()
    assert client.delete(f"/v1/admin/api-keys/{key['id']}", headers=admin).status_code == 200
    entries = client.get(
        "/v1/admin/audit",
        headers=admin,
        params={"entity_type": "api_key", "entity_id": str(key["id"])},
    ).json()["items"]
    assert [e["action"] for e in entries] == ["revoke", "create"]
    assert all(e["key_id"] == admin_id for e in entries)
    assert entries[1]["after"]["label"] == "監査の確認"
    assert key["secret"] not in str(entries) and "secret_hash" not in str(entries)


def test_personal_data_and_secrets_are_never_cached(client: TestClient, engine: Engine) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    created = client.post(
        "/v1/admin/api-keys", headers=admin, json={"scope": "front_desk", "municipality": "萩市"}
    )
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    assert client.get("/v1/referrals", headers=admin).headers["cache-control"] == "no-store"
    # a public read keeps its own caching
    assert client.get("/v1/support-types").headers.get("cache-control") != "no-store"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _key_reads(engine: Engine) -> tuple[list[str], Any]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM api_key" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen, record


def test_a_worker_reads_a_key_once_then_serves_it_from_its_cache(
    client: TestClient, engine: Engine
) -> None:
    clock = FakeClock()
    app: Any = client.app
    cache = PrincipalCache(ttl=0.25, clock=clock)
    app.state.principal_cache = cache
    secret = make_key(engine, "front_desk", municipality="萩市")[1]
    reads, hook = _key_reads(engine)
    try:
        for _ in range(3):
            assert client.get("/v1/referrals", headers=bearer(secret)).status_code == 200
        assert len(reads) == 1
        clock.now += 0.25  # trusted for 0.25 s, then read again
        assert client.get("/v1/referrals", headers=bearer(secret)).status_code == 200
        assert len(reads) == 2
        # an unknown secret is never cached: looked up every time
        for _ in range(2):
            assert_problem(client.get("/v1/referrals", headers=bearer("x" * 43)), 401)
        assert len(reads) == 4
    finally:
        event.remove(engine, "before_cursor_execute", hook)
        del app.state.principal_cache


def test_a_revocation_is_honoured_at_once_by_this_process_and_within_the_ttl_elsewhere(
    client: TestClient, engine: Engine
) -> None:
    clock = FakeClock()
    app: Any = client.app
    app.state.principal_cache = PrincipalCache(ttl=0.25, clock=clock)
    admin = bearer(make_key(engine, "admin")[1])
    try:
        # revoked through this process (the API or the CLI): refused at once, though cached
        key_id, secret = make_key(engine, "front_desk", municipality="萩市")
        assert client.get("/v1/referrals", headers=bearer(secret)).status_code == 200
        assert client.delete(f"/v1/admin/api-keys/{key_id}", headers=admin).status_code == 200
        assert_problem(client.get("/v1/referrals", headers=bearer(secret)), 401)

        # revoked by another process (another worker, the CLI on the server, SQL): this
        # worker's cache may still accept the key until the entry is 0.25 s old, not after
        key_id, secret = make_key(engine, "front_desk", municipality="萩市")
        assert client.get("/v1/referrals", headers=bearer(secret)).status_code == 200
        with Session(engine) as session:
            session.execute(
                update(ApiKey).where(col(ApiKey.id) == key_id).values(revoked_at=utcnow())
            )
            session.commit()
        clock.now += 0.25
        assert_problem(client.get("/v1/referrals", headers=bearer(secret)), 401)
    finally:
        del app.state.principal_cache


def test_the_principal_cache_forgets_and_bounds_itself() -> None:
    clock = FakeClock()
    cache = PrincipalCache(ttl=1.0, clock=clock)
    desk = Principal(key_id=7, prefix="abcdefgh", scope=Scope.front_desk, municipality_code="1")
    cache.put("digest-a", desk)
    assert cache.get("digest-a") == desk
    cache.forget(8)
    assert cache.get("digest-a") == desk
    cache.forget(7)
    assert cache.get("digest-a") is None
    off = PrincipalCache(ttl=0.0, clock=clock)  # API_KEY_CACHE_SECONDS=0: read every time
    off.put("digest-a", desk)
    assert off.get("digest-a") is None
    for i in range(PrincipalCache.MAX_ENTRIES + 1):
        cache.put(f"digest-{i}", desk)
    assert len(cache._entries) <= PrincipalCache.MAX_ENTRIES
