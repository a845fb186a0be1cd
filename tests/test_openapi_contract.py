"""The OpenAPI document as a client generator reads it, and the docs pages on a closed network.

- every operationId is a short snake_case name, unique (the route function's name);
- tags are ASCII, every tag an operation uses is declared, each with a Japanese description;
- every `$ref` points inside the document (the HSDS objects are components, not github.com);
- every response has a description of its own (not FastAPI's "Successful Response");
- `servers` is declared;
- /docs and /redoc load their scripts and styles from this server only, and their CSP allows
  no other origin. (tests/e2e/test_console.py opens both in Chromium with the network blocked;
  tests/test_generated_client.py generates a client and calls a real server with it.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

METHODS = ("get", "put", "post", "delete", "patch")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@pytest.fixture(scope="module")
def doc(app_client: TestClient) -> dict[str, Any]:
    response = app_client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_operation_ids_are_short_unique_snake_case(doc: dict[str, Any]) -> None:
    ids = [op.get("operationId", "") for _, _, op in operations(doc)]
    assert len(ids) > 60
    bad = [i for i in ids if not SNAKE.match(i) or len(i) > 40 or "_v1_" in i]
    assert bad == []
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)
    assert {"match", "list_programmes", "create_referral", "get_programme"} <= set(ids)


def test_tags_are_ascii_declared_and_described_in_japanese(doc: dict[str, Any]) -> None:
    declared = {tag["name"]: tag for tag in doc["tags"]}
    used = {tag for _, _, op in operations(doc) for tag in op.get("tags", [])}
    assert used <= set(declared), used - set(declared)
    for _, path, op in operations(doc):
        assert len(op.get("tags", [])) == 1, path
    for name, tag in declared.items():
        assert re.fullmatch(r"[a-z_]+", name), name
        assert JAPANESE.search(tag["description"]), name
        assert JAPANESE.search(tag["x-displayName"]), name


def test_every_reference_is_inside_the_document(doc: dict[str, Any]) -> None:
    found = list(refs(doc))
    assert found
    outside = [ref for ref in found if not ref.startswith("#/")]
    assert outside == []
    for ref in found:
        node: Any = doc
        for part in ref[2:].split("/"):
            node = node[part]  # KeyError: a dangling reference


def test_hsds_objects_are_components(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    service = schemas["HsdsService"]
    assert service["properties"]["phones"]["items"] == {"$ref": "#/components/schemas/HsdsPhone"}
    assert {"id", "name", "status"} <= set(service["required"])
    assert "datapackage_metadata" not in json.dumps(schemas)
    detail = doc["paths"]["/v1/hsds/services/{id}"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HsdsService"
    }


def test_every_response_has_its_own_description(doc: dict[str, Any]) -> None:
    generic = [
        f"{method.upper()} {path} {status}"
        for method, path, op in operations(doc)
        for status, response in op["responses"].items()
        if response.get("description") in (None, "", "Successful Response")
    ]
    assert generic == []
    match = doc["paths"]["/v1/match"]["post"]["responses"]["200"]
    assert "相談内容から紹介先を探す" in match["description"]


def test_servers_are_declared(doc: dict[str, Any]) -> None:
    assert doc["servers"] and doc["servers"][0]["url"] == "/"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_nothing_from_outside(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/docs/assets/") or a == "/openapi.json" for a in assets)
    csp = page.headers["content-security-policy"]
    assert "http" not in csp and "'self'" in csp
    for asset in assets:
        if asset.startswith("/docs/assets/"):
            served = client.get(asset)
            assert served.status_code == 200 and len(served.content) > 1000, asset
            assert b"cdn.redoc.ly" not in served.content


def test_only_the_docs_files_are_served(client: TestClient) -> None:
    for name in ("core.py", "..%2F..%2Fconsts.py", "LICENSE"):
        response = client.get(f"/docs/assets/{name}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
