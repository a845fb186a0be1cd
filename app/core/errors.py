"""Every error leaves as application/problem+json (RFC 9457) with a Japanese `detail`, or an
English one for a client that prefers English (`Accept-Language: en`, app/core/i18n.py): every
`ApiError` carries both texts (tests/test_english.py checks that none lacks its English)."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.headers import security_headers
from app.core.i18n import Language, current_language, language_of
from app.core.observability import request_id_of

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("madoguchi.errors")

# Errors that mean "the database cannot be used right now" rather than "this request is wrong":
# connection refused or lost, pool exhausted, SQLite file locked by another writer or unreadable.
# They are answered 503 with Retry-After; the in-memory matcher keeps answering meanwhile.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeoutError,
)
DATABASE_UNAVAILABLE_DETAIL = (
    "データベースに一時的に接続できないため、この操作を完了できませんでした。"
    "しばらくしてから再度お試しください。"
)
DATABASE_UNAVAILABLE_DETAIL_EN = (
    "The database cannot be reached for the moment, so the operation was not completed. "
    "Please try again shortly."
)
DATABASE_RETRY_AFTER_SECONDS = 5
# SQLite's driver reports a missing table or bad SQL as OperationalError too: only these messages
# mean "the file cannot be used right now"; the rest are bugs or a broken deployment (500).
SQLITE_UNAVAILABLE_MESSAGES = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)


def is_database_unavailable(exc: BaseException) -> bool:
    """True for an error that means the database is unreachable, locked or out of service."""
    if not isinstance(exc, DATABASE_UNAVAILABLE):
        return False
    cause = exc.orig if isinstance(exc, DBAPIError) else None
    if isinstance(cause, sqlite3.Error):
        message = str(cause).lower()
        return any(m in message for m in SQLITE_UNAVAILABLE_MESSAGES)
    return True


TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

DEFAULT_DETAILS = {
    400: "リクエストの形式が正しくありません。",
    401: "認証が必要です。",
    403: "この操作を行う権限がありません。",
    404: "指定されたリソースが見つかりません。",
    405: "このメソッドは使用できません。",
    413: "リクエストが大きすぎます。",
    415: "Content-Type は application/json を指定してください。",
    422: "入力内容に誤りがあります。",
    500: "サーバー内部でエラーが発生しました。時間をおいて再度お試しください。",
    503: "サービスが一時的に利用できません。時間をおいて再度お試しください。",
}


DEFAULT_DETAILS_EN = {
    400: "The request is malformed.",
    401: "Authentication is required.",
    403: "You are not allowed to do this.",
    404: "The requested resource was not found.",
    405: "This method is not allowed.",
    413: "The request is too large.",
    415: "Send the body as application/json.",
    422: "The input is not valid.",
    500: "An internal error occurred. Please try again later.",
    503: "The service is temporarily unavailable. Please try again later.",
}


class ProblemFieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemFieldError] | None = None


class ApiError(Exception):
    """Raised by services and routers for an expected error, with its message in Japanese
    (`detail`) and in English (`en`)."""

    def __init__(
        self,
        status: int,
        detail: str,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
        *,
        en: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.en = en
        self.headers = headers
        # RFC 9457 extension members (e.g. the metrics a rule change would break)
        self.extensions = extensions


def invalid_field(loc: list[str | int], msg: str, en: str) -> ApiError:
    """A 422 for one field that only the service can judge (a value that does not fit the record
    it is for), in the shape of a request validation error: the field in `detail` and `errors`
    (`msg` in Japanese, `en` in English)."""
    where = ".".join(str(p) for p in loc[1:] or loc)
    english = current_language() == "en"
    return ApiError(
        422,
        f"入力内容に誤りがあります。（{where}: {msg}）",
        extensions={"errors": [{"loc": loc, "msg": en if english else msg, "type": "value_error"}]},
        en=f"The input is not valid. ({where}: {en})",
    )


def problem_response(
    status: int,
    detail: str,
    *,
    en: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
    language: Language | None = None,
) -> JSONResponse:
    """The problem answer, in the request's language (`en` when English was asked for and an
    English text is given; the English default of the status otherwise)."""
    language = language or current_language()
    english = language == "en" and bool(en or status in DEFAULT_DETAILS_EN)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": (en or DEFAULT_DETAILS_EN[status]) if english else detail,
    }
    headers = {**(headers or {}), "Content-Language": "en" if english else "ja"}
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    for key, value in (extensions or {}).items():
        body.setdefault(key, value)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _ja_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    messages = {
        "missing": "必須項目です。",
        "string_too_short": "{min_length}文字以上で指定してください。",
        "string_too_long": "{max_length}文字以内で指定してください。",
        "too_short": "{min_length}件以上を指定してください。",
        "too_long": "{max_length}件以内で指定してください。",
        "int_parsing": "整数で指定してください。",
        "int_type": "整数で指定してください。",
        "float_parsing": "数値で指定してください。",
        "float_type": "数値で指定してください。",
        "finite_number": "有限の数値で指定してください。",
        "bool_parsing": "true または false を指定してください。",
        "bool_type": "true または false を指定してください。",
        "string_type": "文字列で指定してください。",
        "greater_than_equal": "{ge}以上の値を指定してください。",
        "greater_than": "{gt}より大きい値を指定してください。",
        "less_than_equal": "{le}以下の値を指定してください。",
        "less_than": "{lt}未満の値を指定してください。",
        "enum": "次のいずれかを指定してください: {expected}",
        "literal_error": "次のいずれかを指定してください: {expected}",
        "string_pattern_mismatch": "形式が正しくありません。",
        "json_invalid": "JSON として解釈できません。",
        "dict_type": "JSON オブジェクトで指定してください。",
        "model_attributes_type": "JSON オブジェクトで指定してください。",
        "list_type": "配列で指定してください。",
        "extra_forbidden": "この項目は指定できません。",
        "value_error": "{error}",
        "assertion_error": "{error}",
    }
    template = messages.get(kind)
    if template is None:
        return "値が正しくありません。"
    try:
        return template.format(**{k: str(v) for k, v in ctx.items()})
    except (KeyError, IndexError):
        return "値が正しくありません。"


def _clean_loc(loc: Any) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


def _en_message(err: dict[str, Any]) -> str:
    """Pydantic's own message (English), without its "Value error, " prefix."""
    return str(err.get("msg") or "Invalid value.").removeprefix("Value error, ")


def validation_problem(request: Request, errors: list[dict[str, Any]]) -> JSONResponse:
    english = language_of(request.scope) == "en"
    items: list[dict[str, Any]] = []
    parts: list[str] = []
    for err in errors:
        msg = _en_message(err) if english else _ja_message(err).removeprefix("Value error, ")
        loc = _clean_loc(err.get("loc", ()))
        items.append({"loc": loc, "msg": msg, "type": err.get("type")})
        if len(parts) < 3:
            parts.append(f"{'.'.join(str(p) for p in loc[1:] or loc)}: {msg}")
    if english:
        summary = "; ".join(parts)
        detail = "The input is not valid." + (f" ({summary})" if summary else "")
    else:
        summary = "、".join(parts)
        detail = "入力内容に誤りがあります。" + (f"（{summary}）" if summary else "")
    return problem_response(422, detail, en=detail, instance=request.url.path, errors=items)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.detail,
            en=exc.en,
            instance=request.url.path,
            headers=exc.headers,
            extensions=exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(request, list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
        return problem_response(
            exc.status_code,
            detail or DEFAULT_DETAILS.get(exc.status_code, "エラーが発生しました。"),
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(DataError)
    async def _bad_data(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value (e.g. NUL characters on PostgreSQL): the client's input,
        # not a server fault. The transaction is rolled back with the session.
        return problem_response(
            422,
            "入力に使用できない文字（NUL 文字など）または範囲外の値が含まれています。",
            en="The input holds a character that cannot be stored (such as NUL) or a value out "
            "of range.",
            instance=request.url.path,
        )

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        # Requests are checked before they write, so a constraint that still fails at commit is
        # a concurrent change (the same id created twice, a referenced row deleted meanwhile):
        # a conflict to retry, not a server fault. The log names the constraint's kind only,
        # never the statement's parameters (they may hold personal data).
        log.info(
            "write conflict on %s: %s",
            request.url.path,
            type(exc.orig).__name__ if exc.orig is not None else "IntegrityError",
            extra={"fields": {"request_id": request_id_of(request.scope)}},
        )
        return problem_response(
            409,
            "同時に行われた別の変更と衝突したため、保存できませんでした（同じ ID の登録や、"
            "参照先の削除など）。最新の内容を確認してから、もう一度お試しください。",
            en="The change conflicted with another change made at the same time (the same id "
            "created twice, or a referenced item deleted). Check the latest data and try again.",
            instance=request.url.path,
        )

    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not is_database_unavailable(exc):
            return internal_error(request, exc)
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        first_line = (str(cause).strip().splitlines() or [""])[0][:300]
        log.warning(
            "database unavailable on %s: %s: %s",
            request.url.path,
            type(cause).__name__,
            first_line,
            extra={"fields": {"request_id": request_id_of(request.scope)}},
        )
        return problem_response(
            503,
            DATABASE_UNAVAILABLE_DETAIL,
            en=DATABASE_UNAVAILABLE_DETAIL_EN,
            instance=request.url.path,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )

    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, _database_unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return internal_error(request, exc)


def internal_error(request: Request, exc: BaseException) -> JSONResponse:
    """500 problem+json, logged with the traceback and the request id.

    The handler of unexpected errors runs in Starlette's outermost middleware, after the
    request-id middleware has finished: the id comes from the scope, and goes on the log line
    and on the response."""
    request_id = request_id_of(request.scope)
    log.error(
        "unhandled error on %s",
        request.url.path,
        exc_info=exc,
        extra={"fields": {"request_id": request_id}},
    )
    # Starlette answers this outside every middleware: the security headers are added here.
    headers = {name.decode(): value.decode() for name, value in security_headers(request.url.path)}
    return problem_response(
        500,
        DEFAULT_DETAILS[500],
        instance=request.url.path,
        language=language_of(request.scope),
        headers={**headers, "X-Request-ID": request_id},
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem+json errors."""
    return {
        s: {
            "model": Problem,
            "description": DEFAULT_DETAILS.get(s, TITLES.get(s, "Error")),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }
