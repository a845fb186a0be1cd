"""schemathesis against our own OpenAPI document: every operation, a bounded number of examples.

Each operation of /openapi.json is called with generated requests (valid and invalid ones) and
every response must be a documented status code with the documented content type, headers and
schema, and never a 5xx. The app runs on its own freshly migrated and seeded SQLite file, not on
the session database of the other tests: fuzzed writes (new agencies, edited programmes, revoked
keys, deleted contact points) would change what those tests see.

Requests carry the bootstrap admin key (BOOTSTRAP_ADMIN_KEY, not stored in the database), so the
write and admin operations get past authentication and no fuzzed DELETE can revoke it. A second,
cheaper pass sends no key to the operations that need one: never a 2xx, and every refusal as
documented.

No operation is excluded: schemathesis picks up every router registered in app/main.py (for
GET /metrics, whose body is Prometheus text, the status code and content type are checked).
Operations that fuzzing alone cannot drive to a 2xx: those keyed by a random id created at run
time (a conversation), the LINE webhook (404 while LINE_CHANNEL_SECRET is unset, as here) and
deleting a referenced agency (409 by design); tests/test_conversations.py, tests/test_line.py and
tests/test_admin_edit.py cover those paths.

Runtime: about 45 s of CPU on the 2-core machine (derandomized, so the same every run).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fresh_app import seeded_app
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.main import create_app
from app.seeding.loader import SeedBundle

ADMIN_SECRET = "schemathesis-bootstrap-admin-key-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_SECRET}"}

# schemathesis.checks resolves the built-in checks by name.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]

# Bounded, reproducible runs: the same examples every time, no per-example deadline (the first
# match request builds the matcher, which is slower than hypothesis' default 200 ms), no example
# database on disk. Health checks are off because they judge the generator, not the app: large
# generated bodies and rejected draws trip data_too_large / filter_too_much / too_slow.
FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
UNAUTHENTICATED = settings(FUZZ, max_examples=5)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, seed_bundle: SeedBundle) -> Iterator[Any]:
    with seeded_app(
        tmp_path_factory.mktemp("fuzz"), seed_bundle, BOOTSTRAP_ADMIN_KEY=ADMIN_SECRET
    ) as app:
        yield app


# The document is generated from the application object (no database needed to build it); the
# requests go to `fuzz_app`, which has its own database. (schemathesis' lazy `from_fixture` loader
# is not usable here: it relies on a pytest internal that pytest 9.2 removed.)
DOCUMENT = create_app().openapi()
SECURED = {
    f"{method.upper()} {path}"
    for path, item in DOCUMENT["paths"].items()
    for method, op in item.items()
    if isinstance(op, dict) and op.get("security")
}

# With the admin key: the examples phase (the documented examples, real ids from the seed), the
# coverage phase (boundary values of every parameter and field; not bounded by max_examples) and
# `max_examples` generated cases per operation, valid and invalid.
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT))

# Without a key, only the operations that require one (the others behave exactly as in the pass
# above) and without the coverage phase: every request stops at authentication anyway.
unauthenticated_schema = schemathesis.openapi.from_dict(
    copy.deepcopy(DOCUMENT),
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}}),
).include(lambda ctx: ctx.operation.label in SECURED)


@schema.parametrize()
@FUZZ
def test_operations_conform_to_openapi(case: schemathesis.Case, fuzz_app: Any) -> None:
    case.call_and_validate(app=fuzz_app, headers=ADMIN, checks=CHECKS)


@unauthenticated_schema.parametrize()
@UNAUTHENTICATED
def test_secured_operations_without_key_conform_to_openapi(
    case: schemathesis.Case, fuzz_app: Any
) -> None:
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    response = case.call_and_validate(app=fuzz_app, checks=CHECKS)
    # Rejected before or at authentication (400/413/422 for a broken request, 401 otherwise).
    assert response.status_code >= 400, f"{case.operation.label} answered without a key"
