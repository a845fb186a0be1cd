"""API keys: creation (the secret is shown once), lookup by prefix and hash, revocation.

A secret is 32 random bytes in URL-safe base64 (secrets.token_urlsafe). Such a secret has far too
much entropy to be guessed, so a plain SHA-256 is a sufficient hash; it is compared in constant
time. The first 8 characters are stored in clear as `prefix` so a key can be named in lists,
logs and the audit trail without revealing it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import event
from sqlmodel import Session, col, select

from app.core.errors import ApiError
from app.models import Agency, ApiKey, AuditEntry
from app.models.common import utcnow
from app.services.lookups import resolve_municipality

PREFIX_LENGTH = 8
BOOTSTRAP_PREFIX = "bootstrap"


class Scope(StrEnum):
    admin = "admin"
    agency_editor = "agency_editor"
    front_desk = "front_desk"
    # Reads the yearly review (GET /v1/progress and its CSV) and nothing else: no referral,
    # no personal data, no write.
    analyst = "analyst"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key (None for the bootstrap key) and what it may do."""

    key_id: int | None
    prefix: str
    scope: Scope
    agency_id: str | None = None
    municipality_code: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.scope is Scope.admin


# Who issued or revoked a key from the command line (python -m app.cli keys …).
CLI_PRINCIPAL = Principal(key_id=None, prefix="cli", scope=Scope.admin)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(
    session: Session,
    *,
    scope: Scope,
    agency_id: str | None = None,
    municipality: str | None = None,
    label: str | None = None,
    actor: Principal | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the secret (which is not stored anywhere). The issue is
    in the audit log (by `actor`, or the command line), in the caller's transaction."""
    municipality_code: str | None = None
    if scope is Scope.agency_editor:
        if not agency_id:
            raise ApiError(
                422,
                "agency_editor の鍵には agency_id（機関の id）が必要です。",
                en="An agency_editor key needs agency_id (the agency's id).",
            )
        if session.get(Agency, agency_id) is None:
            raise ApiError(
                422,
                f"機関「{agency_id[:80]}」は存在しません。",
                en=f'Agency "{agency_id[:80]}" does not exist.',
            )
        if municipality:
            raise ApiError(
                422,
                "agency_editor の鍵には municipality を指定できません。",
                en="An agency_editor key cannot have a municipality.",
            )
    elif scope is Scope.front_desk:
        if not municipality:
            raise ApiError(
                422,
                "front_desk の鍵には municipality（市町名または JIS コード）が必要です。",
                en="A front_desk key needs municipality (a name or JIS code).",
            )
        if agency_id:
            raise ApiError(
                422,
                "front_desk の鍵には agency_id を指定できません。",
                en="A front_desk key cannot have an agency_id.",
            )
        municipality_code = resolve_municipality(session, municipality).code
    elif agency_id or municipality:
        raise ApiError(
            422,
            f"{scope.value} の鍵には agency_id も municipality も指定できません。",
            en=f"An {scope.value} key can have neither agency_id nor municipality.",
        )
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        prefix=secret[:PREFIX_LENGTH],
        secret_hash=hash_secret(secret),
        scope=scope.value,
        agency_id=agency_id if scope is Scope.agency_editor else None,
        municipality_code=municipality_code,
        label=label,
    )
    session.add(key)
    session.flush()
    _audit_key(session, actor, "create", key)
    return key, secret


def _key_state(key: ApiKey) -> dict[str, object]:
    """What the audit keeps of a key: never the secret, nor its hash."""
    return {
        "id": key.id,
        "prefix": key.prefix,
        "scope": key.scope,
        "agency_id": key.agency_id,
        "municipality_code": key.municipality_code,
        "label": key.label,
        "revoked": key.revoked_at is not None,
    }


def _audit_key(session: Session, actor: Principal | None, action: str, key: ApiKey) -> None:
    who = actor or CLI_PRINCIPAL
    session.add(
        AuditEntry(
            key_id=who.key_id,
            key_prefix=who.prefix,
            key_scope=who.scope.value,
            action=action,
            entity_type="api_key",
            entity_id=str(key.id),
            before=None,
            after=_key_state(key),
        )
    )
    session.flush()


def list_keys(session: Session, *, include_revoked: bool = True) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(col(ApiKey.id))
    if not include_revoked:
        stmt = stmt.where(col(ApiKey.revoked_at).is_(None))
    return list(session.exec(stmt))


def revoke_key(session: Session, key_id: int, actor: Principal | None = None) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiError(
            404, f"API キー {key_id} は見つかりません。", en=f"API key {key_id} was not found."
        )
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
        _audit_key(session, actor, "revoke", key)
        # Once committed, no cache of this process accepts the key any more (before the commit
        # a concurrent request could still read it as valid and cache it again).
        event.listen(session, "after_commit", lambda _s: _forget_everywhere(key_id), once=True)
    return key


class PrincipalCache:
    """The principals of the keys a worker has recently read from the database, by the hash of
    their secret, so that a client's requests do not each cost a query (and a transaction).

    An entry is trusted for `ttl` seconds after it was read; the next request after that reads
    the key again. So a key revoked by another process (a worker, the CLI, SQL) is refused by
    this worker within `ttl` seconds, and one revoked by this process at once: `revoke_key`
    empties every cache of the process of that key when the revocation commits. Only valid keys
    are kept: an unknown secret is looked up every time, so a key created a moment ago works at
    once in every worker. Thread-safe (single dict operations)."""

    MAX_ENTRIES = 10_000

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}
        _caches.add(self)

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if self._clock() >= entry[0]:
            self._entries.pop(digest, None)
            return None
        return entry[1]

    def put(self, digest: str, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()  # a flood of distinct keys: start again rather than grow
        self._entries[digest] = (self._clock() + self.ttl, principal)

    def forget(self, key_id: int | None) -> None:
        """Drop the entries of a key (after its revocation is committed)."""
        for digest, (_, principal) in list(self._entries.items()):
            if principal.key_id == key_id:
                self._entries.pop(digest, None)

    def clear(self) -> None:
        self._entries.clear()


# Every cache of this process (one per app), so that a revocation reaches them all.
_caches: weakref.WeakSet[PrincipalCache] = weakref.WeakSet()


def _forget_everywhere(key_id: int | None) -> None:
    for cache in list(_caches):
        cache.forget(key_id)


def bootstrap_principal(secret: str, bootstrap_secret: str | None) -> Principal | None:
    if bootstrap_secret and hmac.compare_digest(
        secret.encode("utf-8"), bootstrap_secret.encode("utf-8")
    ):
        return Principal(key_id=None, prefix=BOOTSTRAP_PREFIX, scope=Scope.admin)
    return None


def cached_principal(
    cache: PrincipalCache, secret: str, bootstrap_secret: str | None
) -> Principal | None:
    """The principal of a secret when it needs no query: the bootstrap key, or a key in the
    cache. None means "ask `authenticate`" (not "unknown")."""
    principal = bootstrap_principal(secret, bootstrap_secret)
    if principal is not None or len(secret) < PREFIX_LENGTH or len(secret) > 200:
        return principal
    return cache.get(hash_secret(secret))


def authenticate(
    session: Session,
    secret: str,
    bootstrap_secret: str | None,
    cache: PrincipalCache | None = None,
) -> Principal | None:
    """The principal of a presented secret, or None if it is unknown or revoked. With a
    `cache`, a key read from the database is remembered there (see PrincipalCache)."""
    principal = bootstrap_principal(secret, bootstrap_secret)
    if principal is not None:
        return principal
    if len(secret) < PREFIX_LENGTH or len(secret) > 200:
        return None
    digest = hash_secret(secret)
    candidates = session.exec(select(ApiKey).where(ApiKey.prefix == secret[:PREFIX_LENGTH]))
    for key in candidates:
        if hmac.compare_digest(key.secret_hash, digest) and key.revoked_at is None:
            principal = Principal(
                key_id=key.id,
                prefix=key.prefix,
                scope=Scope(key.scope),
                agency_id=key.agency_id,
                municipality_code=key.municipality_code,
            )
            if cache is not None:
                cache.put(digest, principal)
            return principal
    return None
