"""Rendered bodies with entity tags, and conditional GET (`If-None-Match` → 304).

A list endpoint that answers from the in-memory directory returns a `Rendered`: the JSON body as
bytes and a strong ETag that is a hash of those bytes. A client (a chatbot backend, the console,
a partner's mirror) that sends the ETag back in `If-None-Match` gets 304 Not Modified with no
body while nothing it lists has changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

from fastapi import Request, Response

# Public directory data: a cache may keep it but must ask again (cheaply, with the ETag).
REVALIDATE = "no-cache"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A response body and its entity tag."""

    body: bytes
    etag: str


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, as FastAPI writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def rendered(body: bytes) -> Rendered:
    return Rendered(body, '"' + blake2b(body, digest_size=12).hexdigest() + '"')


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2): any listed tag, W/ or not, or *."""
    if not header:
        return False
    bare = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == bare:
            return True
    return False


def conditional(
    request: Request, body: Rendered, cache_control: str = REVALIDATE, language: str = "ja"
) -> Response:
    """200 with the body, or 304 when the client already holds this version. `language`: the
    language of the body (each language's body has its own ETag)."""
    headers = {"ETag": body.etag, "Cache-Control": cache_control, "Content-Language": language}
    if etag_matches(request.headers.get("if-none-match"), body.etag):
        return Response(status_code=304, headers=headers)
    return Response(body.body, media_type="application/json", headers=headers)


# For the OpenAPI document of an endpoint answered by `conditional`.
NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {
        "description": (
            "If-None-Match の ETag と同じ内容です（本文なし）。"
            " Not modified: the ETag sent in If-None-Match is still current."
        ),
        "headers": {"ETag": {"description": "この一覧の版", "schema": {"type": "string"}}},
    }
}
