"""The OpenAPI document as partners read it: every operation has a summary, a Japanese
description, its errors, and examples that are valid and real.

- Every operation: a summary, a description with Japanese in it, and (unless it cannot fail) at
  least one documented 4xx/5xx, each as application/problem+json.
- Every path parameter has an example; every JSON request body has an example; every JSON 2xx
  response has an example (on the media type, or on the schema it refers to).
- Every example validates against the schema it illustrates.
- The read examples in app/schemas/examples.py are trimmed copies of what the seeded service
  really answers (tests/fresh_app.py: a pristine database, not the session one that other tests
  edit), so no contact fact in the documentation is invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fresh_app import seeded_app
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.schemas import examples
from app.seeding.loader import SeedBundle

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
METHODS = ("get", "put", "post", "delete", "patch")
DOC_URI = "urn:madoguchi:openapi.json"
ADMIN_SECRET = "openapi-docs-bootstrap-admin-key-0123456789"

# Operations that cannot fail, so document no error: the liveness probe answers whenever the
# process does (it reads neither the database nor the body, and is exempt from rate limits).
CANNOT_FAIL = {("get", "/healthz")}

# Values that differ from one run of the service to the next (load time, host name).
VOLATILE_KEYS = {"last_modified", "updated_at", "created_at", "openapi_url"}


@pytest.fixture(scope="module")
def doc(pristine: TestClient) -> dict[str, Any]:
    response = pristine.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        resolved: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return resolved
    return schema


def has_example(doc: dict[str, Any], media: dict[str, Any]) -> bool:
    if media.get("example") is not None or media.get("examples"):
        return True
    schema = resolve(doc, media.get("schema", {}))
    return bool(schema.get("examples") or schema.get("example") is not None)


def media_examples(doc: dict[str, Any], media: dict[str, Any]) -> Iterator[Any]:
    if "example" in media:
        yield media["example"]
    for named in (media.get("examples") or {}).values():
        if "value" in named:
            yield named["value"]
    schema = resolve(doc, media.get("schema", {}))
    yield from schema.get("examples") or []


def registry(doc: dict[str, Any]) -> Registry:
    """The document itself: every schema, the HSDS ones too, is inside it."""
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    return Registry().with_resources([(DOC_URI, resource)])


def pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def test_every_operation_has_summary_japanese_description_and_errors(
    doc: dict[str, Any],
) -> None:
    problems = []
    for method, path, op in operations(doc):
        where = f"{method.upper()} {path}"
        if not (op.get("summary") or "").strip():
            problems.append(f"{where}: no summary")
        if not JAPANESE.search(op.get("description") or ""):
            problems.append(f"{where}: no Japanese description")
        errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        if not errors and (method, path) not in CANNOT_FAIL:
            problems.append(f"{where}: no documented error response")
        for code, response in errors.items():
            content = response.get("content", {})
            if list(content) != ["application/problem+json"]:
                problems.append(f"{where}: {code} is not documented as problem+json")
    assert not problems, "\n".join(problems)


def test_every_operation_documents_the_shared_errors(doc: dict[str, Any]) -> None:
    """Errors that come from shared machinery (app/core/openapi.py) on every operation they
    apply to: body limits, validation, authentication, If-Match, rate limits."""
    problems = []
    for method, path, op in operations(doc):
        codes = set(op["responses"])
        wanted = set()
        if "requestBody" in op:
            wanted |= {"400", "413", "422"}
        if op.get("parameters"):
            wanted.add("422")
        if op.get("security"):
            wanted.add("401")
        if any(p["in"] == "header" and p["name"] == "If-Match" for p in op.get("parameters", [])):
            wanted.add("412")
        if path not in ("/healthz", "/readyz"):
            wanted.add("429")
        if missing := wanted - codes:
            problems.append(f"{method.upper()} {path}: missing {sorted(missing)}")
    assert not problems, "\n".join(problems)
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_database_backed_operations_document_503(doc: dict[str, Any]) -> None:
    assert "503" in doc["paths"]["/v1/actions/{number}"]["get"]["responses"]
    assert "503" in doc["paths"]["/v1/referrals"]["post"]["responses"]
    assert "503" in doc["paths"]["/readyz"]["get"]["responses"]
    # The matcher, the public lists and a programme's or an agency's detail answer from the
    # in-memory snapshot, without the database.
    assert "503" not in doc["paths"]["/v1/match"]["post"]["responses"]
    for path in (
        "/v1/programmes",
        "/v1/programmes/{programme_id}",
        "/v1/agencies/{agency_id}",
        "/v1/contact-points",
        "/v1/agencies",
        "/v1/hsds/services",
    ):
        assert "503" not in doc["paths"][path]["get"]["responses"], path


def test_every_request_and_json_response_has_an_example(doc: dict[str, Any]) -> None:
    problems = []
    for method, path, op in operations(doc):
        where = f"{method.upper()} {path}"
        for param in op.get("parameters", []):
            if param["in"] != "path":
                continue
            schema = param.get("schema", {})
            if not (param.get("example") or param.get("examples") or schema.get("examples")):
                problems.append(f"{where}: path parameter {param['name']} has no example")
        body = op.get("requestBody", {}).get("content", {})
        for media_type, media in body.items():
            if not has_example(doc, media):
                problems.append(f"{where}: request body {media_type} has no example")
        for code, response in op["responses"].items():
            if not code.startswith("2"):
                continue
            for media_type, media in response.get("content", {}).items():
                if "json" in media_type and not has_example(doc, media):
                    problems.append(f"{where}: {code} {media_type} has no example")
    assert not problems, "\n".join(problems)


def test_every_example_matches_its_schema(doc: dict[str, Any]) -> None:
    reg = registry(doc)
    checked = 0
    problems = []
    for method, path, op in operations(doc):
        where = f"{method.upper()} {path}"
        places = [
            ("requestBody", media_type, media)
            for media_type, media in op.get("requestBody", {}).get("content", {}).items()
        ]
        places += [
            (code, media_type, media)
            for code, response in op["responses"].items()
            if code.startswith("2")
            for media_type, media in response.get("content", {}).items()
        ]
        for code, media_type, media in places:
            if "json" not in media_type or "schema" not in media:
                continue
            base = ["paths", path, method]
            base += ["requestBody"] if code == "requestBody" else ["responses", code]
            ref = f"{DOC_URI}#/{pointer(*base, 'content', media_type, 'schema')}"
            validator = Draft202012Validator({"$ref": ref}, registry=reg)
            for example in media_examples(doc, media):
                checked += 1
                for error in validator.iter_errors(example):
                    problems.append(f"{where} {code}: {list(error.absolute_path)} {error.message}")
    assert checked > 50
    assert not problems, "\n".join(problems[:30])


# --- the read examples are real ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pristine(
    tmp_path_factory: pytest.TempPathFactory, seed_bundle: SeedBundle
) -> Iterator[TestClient]:
    directory = tmp_path_factory.mktemp("pristine")
    with (
        seeded_app(directory, seed_bundle, BOOTSTRAP_ADMIN_KEY=ADMIN_SECRET) as app,
        TestClient(app) as client,
    ):
        yield client


def trimmed_copy_problems(example: Any, real: Any, where: str = "$") -> list[str]:
    """Where `example` is not `real` with its lists cut short (volatile values aside)."""
    if isinstance(example, dict):
        if not isinstance(real, dict):
            return [f"{where}: an object in the example, {type(real).__name__} in reality"]
        problems = [f"{where}: keys differ" for _ in [0] if set(example) != set(real)]
        for key in example.keys() & real.keys() - VOLATILE_KEYS:
            problems += trimmed_copy_problems(example[key], real[key], f"{where}.{key}")
        return problems
    if isinstance(example, list):
        if not isinstance(real, list) or len(example) > len(real):
            return [f"{where}: not a prefix of the real list"]
        problems = []
        for i, item in enumerate(example):
            problems += trimmed_copy_problems(item, real[i], f"{where}[{i}]")
        return problems
    return [] if example == real else [f"{where}: {example!r} in the example, {real!r} really"]


@pytest.mark.parametrize("name", sorted(examples.SOURCES))
def test_read_examples_are_trimmed_copies_of_real_answers(pristine: TestClient, name: str) -> None:
    method, path, body = examples.SOURCES[name]
    response = pristine.request(
        method, path, json=body, headers={"Authorization": f"Bearer {ADMIN_SECRET}"}
    )
    assert response.status_code == 200, response.text
    problems = trimmed_copy_problems(getattr(examples, name), response.json())
    assert not problems, f"{name} ({method} {path}):\n" + "\n".join(problems[:20])


def test_detection_of_invented_values() -> None:
    real = {"items": [{"phone": "083-933-3110"}, {"phone": "083-234-1104"}], "total": 2}
    assert trimmed_copy_problems({"items": [{"phone": "083-933-3110"}], "total": 2}, real) == []
    assert trimmed_copy_problems({"items": [{"phone": "083-922-3700"}], "total": 2}, real)
    assert trimmed_copy_problems(
        {"items": [{"phone": "083-933-3110", "fax": "1"}], "total": 2}, real
    )
    assert trimmed_copy_problems({"items": real["items"] * 2, "total": 2}, real)


def test_every_example_file_is_written_by_the_generator() -> None:
    """`make examples` owns app/schemas/examples/*.json: each file is one it writes (a read
    source or a step of the sample session), so none is left over or typed by hand."""
    from app.devtools.examples import SESSION

    produced = {examples.example_file(name).name for name in examples.SOURCES}
    produced |= {examples.example_file(step.name).name for step in SESSION if step.name}
    present = {p.name for p in examples.EXAMPLES_DIR.glob("*.json")}
    assert present == produced


def test_trimming_keeps_prefixes_and_whole_lists() -> None:
    from app.devtools.examples import trimmed

    value = {"items": [1, 2, 3], "rule": {"patterns": ["a", "b", "c"], "x": [[1, 2, 3]]}}
    assert trimmed(value, frozenset({"patterns"})) == {
        "items": [1, 2],
        "rule": {"patterns": ["a", "b", "c"], "x": [[1, 2]]},
    }
    assert not trimmed_copy_problems(trimmed(value), value)
