"""Optimistic concurrency: an ETag from a row's `revision`, checked against `If-Match`.

If-Match is optional: a write without it is applied to the current revision (last writer wins,
as with any client that does not care): when a concurrent writer moves the row between its read
and its guarded update, it reads again and re-applies (`last_writer_wins`), so it never gets
412. A write whose If-Match names no current ETag gets 412.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Header, Response
from sqlalchemy import update
from sqlmodel import Session, SQLModel

from app.core.errors import ApiError
from app.models.common import utcnow

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description=(
            "GET で受け取った ETag。省略すると現在の版に対して更新します。"
            "古い ETag なら 412 を返し、何も変更しません。"
        ),
    ),
]


P = ParamSpec("P")
T = TypeVar("T")
# How often a write without If-Match re-reads and re-applies before giving up with 412 (only
# under a storm of concurrent writers on one row).
UNCONDITIONAL_ATTEMPTS = 20


# Set on a session (session.info[BATCH] = True) while several edits run as one transaction.
BATCH = "madoguchi.batch"


class RevisionConflict(ApiError):
    """A concurrent writer moved the row between this write's read and its guarded update."""

    def __init__(self) -> None:
        super().__init__(
            412,
            "このデータは同時に他の更新で変更されました。GET で最新の内容を取得してからやり直してください。",
        )


def last_writer_wins(operation: Callable[P, T]) -> Callable[P, T]:
    """For a service write taking `if_match`: without If-Match, a `RevisionConflict` means
    "read again and re-apply" (the operation rolled back; it re-reads the row); with If-Match
    it stays 412, since the client asked for that revision and no other."""
    signature = inspect.signature(operation)

    @functools.wraps(operation)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        arguments = signature.bind(*args, **kwargs).arguments
        if_match = arguments.get("if_match")
        session = arguments.get("session")
        # In a batch (a CSV import: one transaction for every row) the conflict's rollback has
        # undone the rows before this one: retrying this row alone would lose them. The whole
        # batch fails instead.
        in_batch = session is not None and session.info.get(BATCH)
        for attempt in range(UNCONDITIONAL_ATTEMPTS):
            try:
                return operation(*args, **kwargs)
            except RevisionConflict:
                if if_match is not None or in_batch or attempt == UNCONDITIONAL_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    return wrapper


def etag(revision: int) -> str:
    return f'"{revision}"'


def set_etag(response: Response, revision: int) -> None:
    response.headers["ETag"] = etag(revision)


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
            en=f"This item was changed by another update (current ETag: {current}). "
            "GET it again for the latest content and ETag, then retry.",
        )


def claim_revision(
    session: Session,
    model: type[SQLModel],
    row: Any,
    expected: int,
    *,
    keys: dict[str, Any] | None = None,
) -> None:
    """Move the row to revision expected+1, or 412 if someone else got there first.

    A guarded UPDATE rather than read-check-write, so two concurrent writers cannot both win.
    `keys` names the row by its primary key columns when that is not a single `id`.
    """
    conditions = [getattr(model, k) == v for k, v in (keys or {"id": row.id}).items()]
    result = session.execute(
        update(model)
        .where(*conditions, model.revision == expected)  # type: ignore[attr-defined]
        .values(revision=expected + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise RevisionConflict()
    session.expire(row)
