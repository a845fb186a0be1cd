"""Closed-loop referrals: a front desk sends a case to an agency, the agency reports back.

Visibility: a front desk sees the referrals its key created, an agency editor those addressed to
its agency, an admin all. Anything a caller may not see is reported as missing (404), so the
existence of another desk's case does not leak.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, false, func, insert, true
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.concurrency import check_if_match, claim_revision, last_writer_wins
from app.core.errors import ApiError
from app.core.pagination import Page, PageParams
from app.matching.pii import mask_personal_data
from app.matching.snapshot import DirectorySnapshot
from app.models import Agency, Municipality, Need, Programme, Referral, ReferralEvent
from app.models.common import utcnow
from app.schemas.referrals import (
    STATUS_LABELS,
    TRANSITIONS,
    CountOut,
    ReferralCreate,
    ReferralDetail,
    ReferralEventOut,
    ReferralOut,
    ReferralStats,
    ReferralStatus,
)
from app.services.access import Principal, Scope
from app.services.lookups import resolve_municipality, resolve_municipality_code, unknown_agency


def _visible(principal: Principal) -> Any:
    """A SQL condition selecting the referrals this principal may see."""
    if principal.is_admin:
        return true()
    if principal.scope is Scope.agency_editor:
        return col(Referral.agency_id) == principal.agency_id
    if principal.scope is Scope.front_desk and principal.key_id is not None:
        return col(Referral.created_by_key_id) == principal.key_id
    return false()


def _not_found(referral_id: int) -> ApiError:
    return ApiError(
        404, f"紹介 {referral_id} は見つかりません。", en=f"Referral {referral_id} was not found."
    )


def _get_visible(session: Session, principal: Principal, referral_id: int) -> Referral:
    row = session.exec(
        select(Referral).where(Referral.id == referral_id, _visible(principal))
    ).first()
    if row is None:
        raise _not_found(referral_id)
    return row


def _names(session: Session, rows: list[Referral]) -> tuple[dict[str, str], dict[str, str]]:
    agency_ids = {r.agency_id for r in rows}
    codes = {r.municipality_code for r in rows}
    agencies = {
        a.id: a.name for a in session.exec(select(Agency).where(col(Agency.id).in_(agency_ids)))
    }
    municipalities = {
        m.code: m.name
        for m in session.exec(select(Municipality).where(col(Municipality.code).in_(codes)))
    }
    return agencies, municipalities


def _out(r: Referral, agencies: dict[str, str], municipalities: dict[str, str]) -> ReferralOut:
    status = ReferralStatus(r.status)
    assert r.id is not None
    return ReferralOut(
        id=r.id,
        status=status,
        status_label=STATUS_LABELS[status],
        text=r.text,
        agency_id=r.agency_id,
        agency_name=agencies.get(r.agency_id, r.agency_id),
        programme_ids=list(r.programme_ids),
        need_ids=list(r.need_ids) if r.need_ids is not None else None,
        municipality_code=r.municipality_code,
        municipality_name=municipalities.get(r.municipality_code, r.municipality_code),
        consent=r.consent,
        enterprise_name=r.enterprise_name,
        enterprise_contact=r.enterprise_contact,
        created_by_key_id=r.created_by_key_id,
        created_by_scope=r.created_by_scope,
        created_at=r.created_at,
        updated_at=r.updated_at,
        personal_data_erased_at=r.personal_data_erased_at,
        allowed_transitions=sorted(TRANSITIONS.get(status, frozenset())),
        revision=r.revision,
    )


def _detail(session: Session, r: Referral) -> ReferralDetail:
    agencies, municipalities = _names(session, [r])
    events = session.exec(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == r.id)
        .order_by(col(ReferralEvent.id))
    ).all()
    return ReferralDetail(
        **_out(r, agencies, municipalities).model_dump(),
        history=[ReferralEventOut.model_validate(e, from_attributes=True) for e in events],
    )


def _event(
    session: Session,
    principal: Principal,
    referral_id: int,
    *,
    kind: str,
    from_status: str | None,
    to_status: str,
    note: str | None = None,
) -> ReferralEvent:
    event = ReferralEvent(
        referral_id=referral_id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=note,
        key_id=principal.key_id,
        key_prefix=principal.prefix,
        key_scope=principal.scope.value,
    )
    session.add(event)
    return event


def _keeps_personal_data(r: Referral) -> bool:
    """Personal data typed into a referral's text and notes (names, addresses, phones,
    e-mail) is kept only while the owner's consent holds and it has not been erased; otherwise
    it is masked before it is stored."""
    return r.consent and r.personal_data_erased_at is None


def _stored_text(r: Referral, text: str | None) -> str | None:
    return text if text is None or _keeps_personal_data(r) else mask_personal_data(text)


def _fingerprint(body: ReferralCreate) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def _replay(
    session: Session, principal: Principal, idempotency_key: str, fingerprint: str
) -> ReferralDetail | None:
    """The referral an earlier try with this key created, or None; 409 if the key was used for
    a different referral."""
    creator = (
        col(Referral.created_by_key_id) == principal.key_id
        if principal.key_id is not None
        else col(Referral.created_by_key_id).is_(None)
    )
    row = session.exec(
        select(Referral).where(creator, col(Referral.idempotency_key) == idempotency_key)
    ).first()
    if row is None:
        return None
    if row.request_fingerprint != fingerprint:
        raise ApiError(
            409,
            "この Idempotency-Key は内容の異なる紹介にすでに使われています。"
            "新しい紹介には新しいキーを使ってください。",
            en="This Idempotency-Key was already used for a different referral. Use a new key "
            "for a new referral.",
        )
    return _detail(session, row)


def _known(snapshot: DirectorySnapshot | None, session: Session, body: ReferralCreate) -> Any:
    """The 市町 (code, name) of a referral, its agency checked and its programmes (unique, in
    order) checked. The 市町 and the agency come from the in-memory directory when it knows
    them (no query), else from the database (an agency created a moment ago on another worker;
    one removed since is refused by its foreign key). Programmes are stored as a list without a
    foreign key, so they are always checked in the database: one query, never a removed one."""
    if snapshot is not None:
        code = resolve_municipality_code(snapshot, body.municipality)
        assert code is not None
        municipality = (code, snapshot.municipalities[code].name)
    else:
        row = resolve_municipality(session, body.municipality)
        municipality = (row.code, row.name)
    known_agency = snapshot is not None and body.agency_id in snapshot.agencies
    if not known_agency and session.get(Agency, body.agency_id) is None:
        raise unknown_agency(body.agency_id)
    programme_ids = list(dict.fromkeys(body.programme_ids))
    if programme_ids:
        found = set(session.exec(select(Programme.id).where(col(Programme.id).in_(programme_ids))))
        missing = [p for p in programme_ids if p not in found]
        if missing:
            raise ApiError(
                422,
                f"制度「{'、'.join(missing[:5])}」は存在しません。",
                en=f"Programme(s) not found: {', '.join(missing[:5])}.",
            )
    return municipality, programme_ids


def create_referral(
    session: Session,
    principal: Principal,
    body: ReferralCreate,
    need_ids: list[str] | None = None,
    idempotency_key: str | None = None,
    snapshot: DirectorySnapshot | None = None,
) -> tuple[ReferralDetail, bool]:
    """Create a referral; with an Idempotency-Key, a retry of the same request returns the
    referral the first try created. Returns the referral and whether it was a replay.

    With the in-memory directory (`snapshot`) the 市町, agency and programmes are checked
    without a query, and the referral and its first event are written by one statement
    (`_insert`); the answer is built from what was written, with no read back. On PostgreSQL,
    when the session has not begun a transaction yet (the API key came from the cache), that
    statement runs on its own in autocommit: one round trip in all, atomic as any statement."""
    if _postgres(session) and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    fingerprint = _fingerprint(body) if idempotency_key is not None else None
    if idempotency_key is not None and fingerprint is not None:
        earlier = _replay(session, principal, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier, True
    if principal.scope not in (Scope.front_desk, Scope.admin):
        raise ApiError(
            403,
            "紹介を作成できるのは front_desk（市町の窓口）または admin の API キーです。",
            en="Referrals are created with a front_desk (municipal desk) or admin API key.",
        )
    (municipality_code, municipality_name), programme_ids = _known(snapshot, session, body)
    if principal.scope is Scope.front_desk and municipality_code != principal.municipality_code:
        raise ApiError(
            403,
            f"この API キーは市町 {principal.municipality_code} の窓口用です。"
            f"{municipality_name}からの紹介は作成できません。",
            en=f"This API key belongs to the desk of municipality {principal.municipality_code}; "
            f"it cannot create referrals from {municipality_name}.",
        )
    now = utcnow()
    # Personal data typed into the text is masked before it is stored unless the owner
    # consented (the enterprise's name and contact are not even accepted without consent).
    text = body.text if body.consent else mask_personal_data(body.text)
    referral = {
        "status": ReferralStatus.sent.value,
        "text": text,
        "agency_id": body.agency_id,
        "programme_ids": programme_ids,
        "need_ids": need_ids,
        "municipality_code": municipality_code,
        "consent": body.consent,
        "enterprise_name": body.enterprise_name if body.consent else None,
        "enterprise_contact": body.enterprise_contact if body.consent else None,
        "created_by_key_id": principal.key_id,
        "created_by_scope": principal.scope.value,
        "created_at": now,
        "updated_at": now,
        "personal_data_erased_at": None,
        "revision": 1,
        "idempotency_key": idempotency_key,
        "request_fingerprint": fingerprint,
    }
    event = {
        "kind": "created",
        "from_status": None,
        "to_status": ReferralStatus.sent.value,
        "note": None,
        "key_id": principal.key_id,
        "key_prefix": principal.prefix,
        "key_scope": principal.scope.value,
        "at": now,
    }
    try:
        referral_id = _insert(session, referral, event)
    except IntegrityError:
        # a concurrent try with the same key got there first: answer with its referral
        session.rollback()
        earlier = (
            _replay(session, principal, idempotency_key, fingerprint)
            if idempotency_key is not None and fingerprint is not None
            else None
        )
        if earlier is None:
            if session.get(Agency, body.agency_id) is None:  # removed since the snapshot
                raise unknown_agency(body.agency_id) from None
            raise
        return earlier, True
    session.commit()  # nothing left to send in autocommit
    status = ReferralStatus.sent
    detail = ReferralDetail(
        id=referral_id,
        status=status,
        status_label=STATUS_LABELS[status],
        agency_name=_agency_name(snapshot, session, body.agency_id),
        municipality_name=municipality_name,
        allowed_transitions=sorted(TRANSITIONS.get(status, frozenset())),
        history=[ReferralEventOut(**event)],
        **{k: v for k, v in referral.items() if k in _DETAIL_FIELDS and k != "status"},
    )
    return detail, False


_DETAIL_FIELDS = frozenset(ReferralDetail.model_fields)
_REFERRAL = Referral.__table__  # type: ignore[attr-defined]
_EVENT = ReferralEvent.__table__  # type: ignore[attr-defined]
_REFERRAL_COLUMNS = tuple(c.name for c in _REFERRAL.columns if c.name != "id")
_EVENT_COLUMNS = tuple(c.name for c in _EVENT.columns if c.name not in ("id", "referral_id"))


def _bind(table: Any, columns: tuple[str, ...], prefix: str) -> dict[str, Any]:
    return {c: bindparam(prefix + c, type_=table.c[c].type) for c in columns}


# Built once (only the values change): building and keying a statement per request costs more
# than executing it.
_INSERT_REFERRAL = (
    insert(_REFERRAL).values(_bind(_REFERRAL, _REFERRAL_COLUMNS, "r_")).returning(_REFERRAL.c.id)
)
_INSERT_EVENT = insert(_EVENT).values(
    referral_id=bindparam("referral_id"), **_bind(_EVENT, _EVENT_COLUMNS, "e_")
)
_new_referral = _INSERT_REFERRAL.cte("new_referral")
_INSERT_BOTH = (
    insert(_EVENT)
    .from_select(
        ["referral_id", *_EVENT_COLUMNS],
        core_select(_new_referral.c.id, *_bind(_EVENT, _EVENT_COLUMNS, "e_").values()),
    )
    .returning(_EVENT.c.referral_id)
)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert(session: Session, referral: dict[str, Any], event: dict[str, Any]) -> int:
    """Insert a referral and its first event; returns the referral's id. PostgreSQL: one
    statement (the event inserted from the referral's RETURNING in a CTE). SQLite (no data-
    modifying CTE; no round trips either, it is in the process): two, in the transaction."""
    params = {f"r_{k}": referral[k] for k in _REFERRAL_COLUMNS}
    events = {f"e_{k}": event[k] for k in _EVENT_COLUMNS}
    if _postgres(session):
        return int(session.execute(_INSERT_BOTH, {**params, **events}).scalar_one())
    referral_id = int(session.execute(_INSERT_REFERRAL, params).scalar_one())
    session.execute(_INSERT_EVENT, {"referral_id": referral_id, **events})
    return referral_id


def _agency_name(snapshot: DirectorySnapshot | None, session: Session, agency_id: str) -> str:
    if snapshot is not None and agency_id in snapshot.agencies:
        return snapshot.agencies[agency_id].name
    row = session.get(Agency, agency_id)
    return row.name if row is not None else agency_id


def get_referral(session: Session, principal: Principal, referral_id: int) -> ReferralDetail:
    return _detail(session, _get_visible(session, principal, referral_id))


@last_writer_wins
def change_status(
    session: Session,
    principal: Principal,
    referral_id: int,
    status: ReferralStatus,
    note: str | None,
    if_match: str | None = None,
) -> ReferralDetail:
    r = _get_visible(session, principal, referral_id)
    if not (principal.is_admin or principal.scope is Scope.agency_editor):
        raise ApiError(
            403,
            "紹介の状態を変更できるのは、紹介先の機関（agency_editor）か admin です。",
            en="Only the receiving agency (agency_editor) or an admin can change a referral's "
            "status.",
        )
    current = ReferralStatus(r.status)
    if status not in TRANSITIONS.get(current, frozenset()):
        allowed = "、".join(
            f"{s.value}（{STATUS_LABELS[s]}）" for s in TRANSITIONS.get(current, [])
        )
        raise ApiError(
            409,
            f"状態を {current.value}（{STATUS_LABELS[current]}）から "
            f"{status.value}（{STATUS_LABELS[status]}）には変更できません。"
            + (f"変更できる状態: {allowed}" if allowed else "この紹介は完了した状態です。"),
            en=f"The status cannot change from {current.value} to {status.value}. "
            + (f"Allowed: {allowed}" if allowed else "This referral is closed."),
        )
    check_if_match(if_match, r.revision)
    # Guarded on the revision read above: of two concurrent changes from the same status
    # (accepted and declined, say), exactly one wins and the other gets 412.
    claim_revision(session, Referral, r, r.revision)
    r.status = status.value
    session.add(r)
    assert r.id is not None
    _event(
        session,
        principal,
        r.id,
        kind="status_changed",
        from_status=current.value,
        to_status=status.value,
        note=_stored_text(r, note),
    )
    session.commit()
    session.refresh(r)
    return _detail(session, r)


def erase_personal_data(session: Session, principal: Principal, referral_id: int) -> ReferralDetail:
    r = _get_visible(session, principal, referral_id)
    claim_revision(session, Referral, r, r.revision)
    r.enterprise_name = None
    r.enterprise_contact = None
    if r.personal_data_erased_at is None:
        r.personal_data_erased_at = utcnow()
    # What was typed into the request and the notes goes too (GET, history, CSV read these).
    r.text = mask_personal_data(r.text)
    session.add(r)
    assert r.id is not None
    for earlier in session.exec(
        select(ReferralEvent).where(
            col(ReferralEvent.referral_id) == r.id, col(ReferralEvent.note).is_not(None)
        )
    ):
        earlier.note = mask_personal_data(earlier.note or "")
        session.add(earlier)
    _event(
        session,
        principal,
        r.id,
        kind="personal_data_erased",
        from_status=r.status,
        to_status=r.status,
    )
    session.commit()
    session.refresh(r)
    return _detail(session, r)


def referral_conditions(
    principal: Principal,
    *,
    status: ReferralStatus | None,
    agency_id: str | None,
    municipality_code: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
) -> list[Any]:
    """SQL conditions for the referrals this principal may see, narrowed by the filters."""
    conditions: list[Any] = [_visible(principal)]
    if status is not None:
        conditions.append(col(Referral.status) == status.value)
    if agency_id is not None:
        conditions.append(col(Referral.agency_id) == agency_id)
    if municipality_code is not None:
        conditions.append(col(Referral.municipality_code) == municipality_code)
    if created_from is not None:
        conditions.append(col(Referral.created_at) >= created_from)
    if created_to is not None:
        conditions.append(col(Referral.created_at) < created_to)
    return conditions


def list_referrals(
    session: Session,
    principal: Principal,
    page: PageParams,
    **filters: Any,
) -> Page[ReferralOut]:
    conditions = referral_conditions(principal, **filters)
    total = session.exec(select(func.count()).select_from(Referral).where(*conditions)).one()
    rows = list(
        session.exec(
            select(Referral)
            .where(*conditions)
            .order_by(col(Referral.id).desc())
            .offset(page.offset)
            .limit(page.limit)
        )
    )
    agencies, municipalities = _names(session, rows)
    return Page(
        items=[_out(r, agencies, municipalities) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def stats(session: Session, principal: Principal, **filters: Any) -> ReferralStats:
    """Counts only; no text and no personal data leave this function."""
    conditions = referral_conditions(principal, **filters)
    rows = session.exec(
        select(
            Referral.status, Referral.agency_id, Referral.municipality_code, Referral.need_ids
        ).where(*conditions)
    ).all()
    by_status: Counter[str] = Counter()
    by_agency: Counter[str] = Counter()
    by_municipality: Counter[str] = Counter()
    by_need: Counter[str] = Counter()
    for status, agency_id, code, need_ids in rows:
        by_status[status] += 1
        by_agency[agency_id] += 1
        by_municipality[code] += 1
        for need in dict.fromkeys(need_ids or []):
            by_need[need] += 1
    agency_names = {
        a.id: a.name for a in session.exec(select(Agency).where(col(Agency.id).in_(by_agency)))
    }
    municipality_names = {
        m.code: m.name
        for m in session.exec(
            select(Municipality).where(col(Municipality.code).in_(by_municipality))
        )
    }
    need_labels = {
        n.id: n.label for n in session.exec(select(Need).where(col(Need.id).in_(by_need)))
    }

    def counts(counter: Counter[str], labels: dict[str, str]) -> list[CountOut]:
        return [
            CountOut(key=k, label=labels.get(k), count=n)
            for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        ]

    status_labels = {s.value: label for s, label in STATUS_LABELS.items()}
    return ReferralStats(
        total=len(rows),
        by_status=counts(by_status, status_labels),
        by_agency=counts(by_agency, agency_names),
        by_municipality=counts(by_municipality, municipality_names),
        by_need=counts(by_need, need_labels),
    )
