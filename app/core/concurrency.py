"""Optimistic concurrency: an ETag from a row's `revision`, checked against `If-Match`.

If-Match is optional: a write without it is applied to the current revision (last writer wins,
as with any client that does not care). A write whose If-Match names no current ETag gets 412.
"""

from __future__ import annotations

from app.core.errors import ApiError


def etag(revision: int) -> str:
    return f'"{revision}"'


def check_if_match(if_match: str | None, revision: int) -> None:
    if if_match is None:
        return
    candidates = [c.strip() for c in if_match.split(",") if c.strip()]
    if "*" in candidates:
        return
    current = etag(revision)
    if not any(c.removeprefix("W/") == current for c in candidates):
        raise ApiError(
            412,
            f"このデータは他の更新で変更されています（現在の ETag: {current}）。"
            "GET で最新の内容と ETag を取得してからやり直してください。",
            headers={"ETag": current},
        )
