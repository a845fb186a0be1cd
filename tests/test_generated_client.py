"""A partner's Python client, generated from the OpenAPI document, against a real server.

`openapi-python-client` (the generator partners use) builds a client from /openapi.json of a
running server; the calls a chatbot or a front-desk integration makes then go through it:
a match, a programme search, a referral created and read back with a front-desk key, an HSDS
service, and errors (404 and 422), each parsed into the generated models. The generator must
drop nothing but the CSV body of the import endpoint (it has no text/csv support; the same
endpoint also documents application/octet-stream, which it generates).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from bench.servers import ServerProcess, issue_front_desk_key, prepare_database, start_server

ADMIN_SECRET = "generated-client-admin-key-0123456789abcdef"
PACKAGE = "madoguchi_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
# The generator formats its output with ruff when it finds it; not needed to import it.
CONFIG = "post_hooks: []\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    work = tmp_path_factory.mktemp("generated-client")
    url = f"sqlite:///{work / 'madoguchi.db'}"
    prepare_database(url)
    with start_server(
        url, log_path=work / "server.log", env={"BOOTSTRAP_ADMIN_KEY": ADMIN_SECRET}
    ) as proc:
        yield proc


@pytest.fixture(scope="module")
def generated(
    server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ModuleType, str]]:
    if not GENERATOR.exists():
        pytest.fail(f"{GENERATOR} is missing: `make install` installs the dev extras")
    work = tmp_path_factory.mktemp("client")
    spec = work / "openapi.json"
    spec.write_text(json.dumps(httpx.get(server.base + "/openapi.json").json()), "utf-8")
    (work / "config.yaml").write_text(CONFIG)
    out = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--config",
            str(work / "config.yaml"),
            "--output-path",
            str(work / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module(PACKAGE), out.stdout + out.stderr
    finally:
        sys.path.remove(str(work))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generator_drops_nothing_but_the_csv_body(
    generated: tuple[ModuleType, str], server: ServerProcess
) -> None:
    _, output = generated
    warnings = [line for line in output.splitlines() if line.startswith("WARNING")]
    assert warnings == ["WARNING parsing POST /v1/admin/imports/{kind} within admin."], output
    assert "Remote references" not in output
    doc = httpx.get(server.base + "/openapi.json").json()
    for item in doc["paths"].values():
        for op in item.values():
            tag, op_id = op["tags"][0], op["operationId"]
            assert hasattr(module(f"api.{tag}.{op_id}"), "sync_detailed"), op_id


def test_match_and_programme_search(
    generated: tuple[ModuleType, str], server: ServerProcess
) -> None:
    client_module, _ = generated
    client = client_module.Client(base_url=server.base, raise_on_unexpected_status=True)
    models = module("models")
    answer = module("api.match.match").sync(
        client=client, body=models.MatchRequest(text="大学と共同研究したい", municipality="萩市")
    )
    assert isinstance(answer, models.MatchResponse)
    assert answer.matched is True
    assert answer.support_types[0].code == "technology"
    assert answer.agencies and answer.agencies[0].id

    page = module("api.programmes.list_programmes").sync(client=client, q="融資", limit=5)
    assert isinstance(page, models.PageProgrammeOut)
    assert 0 < len(page.items) <= 5 and page.total >= len(page.items)
    assert all(isinstance(item, models.ProgrammeOut) for item in page.items)

    service = module("api.hsds.get_hsds_service").sync(client=client, id=page.items[0].id)
    assert service is not None and service.name == page.items[0].name


def test_referral_created_and_read_back(
    generated: tuple[ModuleType, str], server: ServerProcess
) -> None:
    client_module, _ = generated
    models = module("models")
    secret = issue_front_desk_key(server.base, ADMIN_SECRET, "generated client")
    desk = client_module.AuthenticatedClient(
        base_url=server.base, token=secret, raise_on_unexpected_status=True
    )
    created = module("api.referrals.create_referral").sync_detailed(
        client=desk,
        body=models.ReferralCreate(
            text="融資の保証を受けたい",
            agency_id="credit-guarantee-corporation",
            municipality="萩市",
            consent=True,
        ),
    )
    assert created.status_code == 201
    referral = created.parsed
    assert referral.agency_id == "credit-guarantee-corporation"
    again = module("api.referrals.get_referral").sync(client=desk, referral_id=referral.id)
    assert again.id == referral.id and again.status == referral.status


def test_errors_are_parsed_as_problems(
    generated: tuple[ModuleType, str], server: ServerProcess
) -> None:
    client_module, _ = generated
    client = client_module.Client(base_url=server.base, raise_on_unexpected_status=True)
    models = module("models")
    missing = module("api.programmes.get_programme").sync_detailed(
        client=client, programme_id="no-such-programme"
    )
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Problem)
    assert "見つかりません" in missing.parsed.detail

    empty = module("api.match.match").sync_detailed(
        client=client, body=models.MatchRequest(text=" ")
    )
    assert empty.status_code == 422
    assert isinstance(empty.parsed, models.Problem) and empty.parsed.errors
