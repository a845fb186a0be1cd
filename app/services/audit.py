"""The audit log: every write to the directory, with who, when, and the record before/after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.concurrency import BATCH
from app.core.pagination import Page, PageParams
from app.models import AuditEntry
from app.schemas.access import AuditEntryOut
from app.seeding.database import bump_directory_version
from app.services.access import Principal


def record(
    session: Session,
    principal: Principal,
    *,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    entry = AuditEntry(
        key_id=principal.key_id,
        key_prefix=principal.prefix,
        key_scope=principal.scope.value,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


# In a batch (session.info[BATCH] = True, app/core/concurrency.py) each edit flushes and writes
# its audit entry, and the caller commits or rolls back them all.


def commit_edit(
    session: Session,
    principal: Principal,
    *,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Finish a directory or rule edit: its audit entry and the directory version bump (which
    makes every worker rebuild its snapshot) commit in the edit's own transaction."""
    entry = record(
        session,
        principal,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    # which version this edit made: a worker that missed it reloads only what it names
    entry.directory_version = bump_directory_version(session)
    if not session.info.get(BATCH):
        session.commit()


def list_entries(
    session: Session,
    page: PageParams,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    key_id: int | None = None,
    since: datetime | None = None,
) -> Page[AuditEntryOut]:
    conditions: list[Any] = []
    if entity_type is not None:
        conditions.append(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        conditions.append(AuditEntry.entity_id == entity_id)
    if key_id is not None:
        conditions.append(AuditEntry.key_id == key_id)
    if since is not None:
        conditions.append(col(AuditEntry.at) >= since)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*conditions)).one()
    rows = session.exec(
        select(AuditEntry)
        .where(*conditions)
        .order_by(col(AuditEntry.id).desc())
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    return Page(
        items=[AuditEntryOut.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
