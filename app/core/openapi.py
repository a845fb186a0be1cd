"""Completing the OpenAPI document: shared errors, and examples exactly as written.

Routers document the errors of their own logic (403, 404, 409 ...) with `problem_responses()`.
Some statuses come from middleware or shared dependencies and can be returned by every
operation of a kind; they are added here, derived from the route itself, so that no router can
forget them and the document says exactly what a partner may receive:

- 400, 413, 422 on every operation with a request body: a body that is not UTF-8 (400), larger
  than MAX_BODY_BYTES (413, BodySizeLimitMiddleware) or not valid (422);
- 422 on every operation with parameters, as problem+json (FastAPI's default 422 documents
  its own `HTTPValidationError` shape, which this API never sends);
- 401 (with `WWW-Authenticate`) on every operation that takes an API key;
- 412 on every operation that accepts `If-Match`;
- 429 (with `Retry-After`) on every operation the rate limit applies to (all but the health
  checks, see app/core/security.py);
- 503 (with `Retry-After`) on every operation that uses the database session (the database is
  unreachable or locked; see app/core/errors.py).

Existing entries written by a router are kept; an error documented with `problem_responses()`
loses the `application/json` twin that FastAPI derives from its `model` (errors are only ever
sent as application/problem+json).

FastAPI drops every null from the document it generates (it serialises with exclude_none), so a
response example such as `{"key_id": null, ...}` would lose its nullable-but-required fields
and stop matching its own schema; the examples declared in the routes' `responses=` are put
back as written.

The contract is also shaped for client generators (openapi-python-client, openapi-generator):
every operationId is the route function's snake_case name (`operation_id`), tags are ASCII with
a Japanese description (`Tag`, `TAG_METADATA`), every response has a description, and the HSDS
objects are schemas inside the document (app/schemas/hsds.py), not references to github.com.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.core.db import get_session
from app.core.errors import DEFAULT_DETAILS, PROBLEM_JSON, TITLES, problem_responses
from app.core.security import UNLIMITED_PATHS


class Tag(StrEnum):
    """The operation groups of the document: ASCII names (generated client modules are named
    after them), described in Japanese in TAG_METADATA."""

    MATCH = "match"
    CONVERSATIONS = "conversations"
    SUPPORT_TYPES = "support_types"
    AGENCIES = "agencies"
    PLAN = "plan"
    PROGRAMMES = "programmes"
    CONTACTS = "contacts"
    REFERRALS = "referrals"
    EXPORTS = "exports"
    HSDS = "hsds"
    ADMIN = "admin"
    OPERATIONS = "operations"


TAG_METADATA: list[dict[str, str]] = [
    # x-displayName: the Japanese name ReDoc shows in place of the ASCII one.
    {
        "name": Tag.MATCH,
        "x-displayName": "紹介 (match)",
        "description": "相談内容から支援の種類・機関・制度・窓口を探す",
    },
    {
        "name": Tag.CONVERSATIONS,
        "x-displayName": "会話 (conversations)",
        "description": "チャットボット向けの会話（聞き返しの状態を保ち、複数回のやり取りで紹介する）と LINE の Webhook",
    },
    {
        "name": Tag.SUPPORT_TYPES,
        "x-displayName": "支援の種類 (support types)",
        "description": "役割表の6つの支援の種類",
    },
    {
        "name": Tag.AGENCIES,
        "x-displayName": "支援機関 (agencies)",
        "description": "支援機関と役割表",
    },
    {
        "name": Tag.PLAN,
        "x-displayName": "計画 (plan)",
        "description": "3つの柱、12のアクション、取組方針、工程表、数値目標と、その進行管理（年度ごとの実績と紹介の状況）",
    },
    {
        "name": Tag.PROGRAMMES,
        "x-displayName": "制度 (programmes)",
        "description": "補助金・融資・保証・ファンド・窓口などの制度",
    },
    {
        "name": Tag.CONTACTS,
        "x-displayName": "市町・窓口 (contacts)",
        "description": "19市町と窓口の連絡先（出典付き）",
    },
    {
        "name": Tag.REFERRALS,
        "x-displayName": "紹介の記録 (referrals)",
        "description": "窓口から機関への紹介と、その後の経過",
    },
    {
        "name": Tag.EXPORTS,
        "x-displayName": "CSV エクスポート (exports)",
        "description": "表計算ソフトで開ける CSV（UTF-8 BOM 付き）",
    },
    {
        "name": Tag.HSDS,
        "x-displayName": "HSDS 3.0（Open Referral 形式）",
        "description": "Open Referral Human Services Data Specification 3.0 の形のディレクトリ",
    },
    {
        "name": Tag.ADMIN,
        "x-displayName": "管理 (admin)",
        "description": "API キーの発行、ディレクトリ・照合ルールの編集、監査ログ",
    },
    {
        "name": Tag.OPERATIONS,
        "x-displayName": "運用 (operations)",
        "description": "稼働確認とメトリクス",
    },
]

SERVERS = [{"url": "/", "description": "この API を配信しているサーバー（同じホスト）"}]


def operation_id(route: APIRoute) -> str:
    """The operationId of a route: its function's name (short snake_case, unique; see
    tests/test_openapi_contract.py), so that generated clients get `list_programmes`, not
    `programmes_v1_programmes_get`."""
    return route.name


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

RETRY_AFTER = {
    "Retry-After": {
        "description": "再試行まで待つ秒数",
        "schema": {"type": "string", "examples": ["5"]},
    }
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "認証方式（Bearer）",
        "schema": {"type": "string", "examples": ["Bearer"]},
    }
}
DESCRIPTIONS = {
    400: "リクエスト本文を読み取れません（UTF-8 でない、など）。",
    413: "リクエスト本文が大きすぎます（上限 {max_body_bytes} バイト）。",
    422: "入力内容に誤りがあります（`errors` に項目ごとの理由）。",
    401: "API キーがない、または無効です。",
    412: "`If-Match` の ETag が現在の版と一致しません（他の更新と衝突）。",
    429: "リクエストが多すぎます（`Retry-After` 秒後に再試行してください）。",
    503: "データベースに一時的に接続できません（`Retry-After` 秒後に再試行してください）。",
}


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _dependency_calls(dep)


def _operations(app: FastAPI) -> Iterator[tuple[str, set[str], Dependant, APIRoute]]:
    """(path, methods, dependant, route) of every documented API route, included routers too."""
    # FastAPI >= 0.16x keeps included routers as nested route groups; iter_route_contexts
    # flattens them (with the router-level dependencies). Older versions list APIRoutes.
    iter_contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    items: Any = iter_contexts(app.routes) if iter_contexts is not None else app.routes
    for item in items:
        route = getattr(item, "original_route", item)
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        dependant = getattr(item, "dependant", None) or route.dependant
        yield item.path_format, set(item.methods or ()), dependant, route


def uses_database(dependant: Dependant) -> bool:
    return any(call is get_session for call in _dependency_calls(dependant))


def _problem(
    status: int, headers: dict[str, Any] | None = None, max_body_bytes: int = 0
) -> dict[str, Any]:
    entry = dict(problem_responses(status)[status])
    entry.pop("model", None)
    entry["description"] = DESCRIPTIONS.get(
        status, DEFAULT_DETAILS.get(status, TITLES.get(status, "Error"))
    ).format(max_body_bytes=max_body_bytes)
    if headers:
        entry["headers"] = headers
    return entry


def _only_problem_json(status: str, response: dict[str, Any]) -> None:
    content = response.get("content", {})
    if status[:1] in ("4", "5") and PROBLEM_JSON in content:
        schema = content.get("application/json", {}).get("schema", {})
        if schema.get("$ref", "").endswith("/Problem"):
            del content["application/json"]


def _is_fastapi_validation_error(response: dict[str, Any]) -> bool:
    for media in response.get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        if ref.endswith("/HTTPValidationError"):
            return True
    return False


def complete_openapi(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error responses to every operation of `schema` and restore the examples
    of the routes' responses (in place; returned)."""
    settings = getattr(app.state, "settings", None)
    max_body_bytes = int(getattr(settings, "MAX_BODY_BYTES", 64 * 1024))
    db_operations = set()
    paths = schema.get("paths", {})
    for path, methods, dependant, route in _operations(app):
        for method in (m.lower() for m in methods):
            if uses_database(dependant):
                db_operations.add((path, method))
            op = paths.get(path, {}).get(method)
            if op is not None:
                _restore_examples(route, op)
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            responses: dict[str, Any] = op.setdefault("responses", {})
            params = op.get("parameters", [])
            wanted: dict[int, dict[str, Any] | None] = {}
            if "requestBody" in op:
                wanted.update({400: None, 413: None, 422: None})
            if params:
                wanted[422] = None
            if op.get("security"):
                wanted[401] = WWW_AUTHENTICATE
            if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in params):
                wanted[412] = None
            if path not in UNLIMITED_PATHS:
                wanted[429] = RETRY_AFTER
            if (path, method) in db_operations:
                wanted[503] = RETRY_AFTER
            for key, response in responses.items():
                _only_problem_json(key, response)
                if response.get("description") in (None, "", FASTAPI_DEFAULT_DESCRIPTION):
                    response["description"] = _success_description(key, op)
            for status, headers in wanted.items():
                key = str(status)
                existing = responses.get(key)
                if existing is None or _is_fastapi_validation_error(existing):
                    responses[key] = _problem(status, headers, max_body_bytes)
                elif headers:
                    existing.setdefault("headers", headers)
    _drop_unused_validation_schemas(schema)
    return schema


FASTAPI_DEFAULT_DESCRIPTION = "Successful Response"
SUCCESS = {"200": "成功: {}", "201": "作成しました: {}", "202": "受け付けました: {}"}


def _success_description(status: str, op: dict[str, Any]) -> str:
    """A response FastAPI describes only as "Successful Response": say what it is."""
    summary = op.get("summary") or op.get("operationId", "")
    if status == "204":
        return f"完了しました（本文なし）: {summary}"
    return SUCCESS.get(status, "応答: {}").format(summary)


def _restore_examples(route: APIRoute, op: dict[str, Any]) -> None:
    for status, declared in (route.responses or {}).items():
        documented = op.get("responses", {}).get(str(status), {}).get("content", {})
        for media_type, media in (declared.get("content") or {}).items():
            if isinstance(media, dict) and "example" in media and media_type in documented:
                documented[media_type]["example"] = media["example"]


def _drop_unused_validation_schemas(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    paths_text = repr(schema.get("paths", {}))
    if "HTTPValidationError" in components and "/HTTPValidationError'" not in paths_text:
        components.pop("HTTPValidationError", None)
        rest = repr({k: v for k, v in components.items() if k != "ValidationError"})
        if "/ValidationError'" not in rest:
            components.pop("ValidationError", None)
