"""Chatbot conversations: the dialogue state lives in the `conversation` table, so any worker
can answer any turn. A turn is written with a compare-and-set on `turns`: two messages racing
on one conversation cannot both win (the loser gets 409 and may resend)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col

from app.core.errors import ApiError
from app.dialogue import DialogueState, Turn, opening, take_turn
from app.matching import MatchResult
from app.matching.pii import mask_personal_data
from app.models.common import utcnow
from app.models.conversations import Conversation
from app.services.matching import resolve_municipality_code, run_match
from app.services.snapshot import Directory

TRANSCRIPT_TURNS = 20  # kept exchanges (a user message and the bot's reply each)
MATCH_LIMIT = 5

NOT_FOUND = (
    "会話が見つからないか、有効期限が切れています。"
    "POST /v1/conversations で新しい会話を始めてください。"
)
CONFLICT = (
    "同じ会話に同時に複数のメッセージが送られました。少し待ってからもう一度送信してください。"
)
NOT_FOUND_EN = (
    "The conversation was not found or has expired. Start a new one with POST /v1/conversations."
)
CONFLICT_EN = "Several messages were sent to one conversation at once. Wait a moment and resend."

Observer = Callable[[str, MatchResult], None]


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they are stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ttl(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def purge_expired(session: Session, now: datetime | None = None) -> int:
    """Delete conversations past their expiry (when one starts, and on a schedule)."""
    result = session.execute(
        delete(Conversation).where(col(Conversation.expires_at) <= (now or utcnow()))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _masked_state(state: dict[str, Any]) -> dict[str, Any]:
    """The dialogue state as stored: the owner's texts in it masked."""
    masked = dict(state)
    if isinstance(masked.get("last_query"), str):
        masked["last_query"] = mask_personal_data(masked["last_query"])
    if isinstance(masked.get("context"), list):
        masked["context"] = [mask_personal_data(str(c)) for c in masked["context"]]
    return masked


def purge_expired_now(session_factory: Callable[[], Session]) -> int:
    """One scheduled purge (a worker runs it every CONVERSATION_PURGE_SECONDS)."""
    with session_factory() as session:
        removed = purge_expired(session)
        session.commit()
        return removed


def make_matcher(
    directory: Directory,
    municipality_code: str | None,
    observe: Observer | None = None,
    now: datetime | None = None,
) -> Callable[[str], dict[str, Any]]:
    """The dialogue's match function: the same dict POST /v1/match returns (at time `now`)."""

    def match(text: str) -> dict[str, Any]:
        result = run_match(directory, text, municipality_code, MATCH_LIMIT, now=now)
        if observe is not None:
            observe(text, result)
        payload = result.to_dict()
        payload["snapshot_version"] = directory.snapshot.version
        return payload

    return match


def _municipality_name(directory: Directory, code: str | None) -> str | None:
    if code is None:
        return None
    m = directory.snapshot.municipalities.get(code)
    return m.name if m else None


def _entry(role: str, text: str, at: datetime, kind: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"role": role, "text": text, "at": at.isoformat()}
    if kind is not None:
        entry["kind"] = kind
    return entry


def _bounded(transcript: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return transcript[-2 * TRANSCRIPT_TURNS :]


def get_live(session: Session, conversation_id: str, now: datetime | None = None) -> Conversation:
    """The conversation, or 404 when it does not exist or has expired."""
    conv = session.get(Conversation, conversation_id) if len(conversation_id) <= 36 else None
    if conv is None or as_utc(conv.expires_at) <= (now or utcnow()):
        raise ApiError(404, NOT_FOUND, en=NOT_FOUND_EN)
    return conv


def start(
    session: Session,
    directory: Directory,
    ttl_minutes: float,
    municipality: str | None = None,
    conversation_id: str | None = None,
) -> dict[str, Any]:
    now = utcnow()
    code = resolve_municipality_code(directory.snapshot, municipality)
    purge_expired(session, now)
    turn = opening(_municipality_name(directory, code))
    expires_at = now + ttl(ttl_minutes)
    conv = Conversation(
        id=conversation_id or str(uuid.uuid4()),
        municipality_code=code,
        state=turn.state.to_dict(),
        transcript=[_entry("bot", turn.reply, now, turn.kind)],
        turns=0,
        created_at=now,
        updated_at=now,
        expires_at=expires_at,
    )
    session.add(conv)
    session.commit()
    return {
        "id": conv.id,
        "municipality_code": code,
        "expires_at": expires_at,
        "reply": turn.reply,
        "quick_replies": [q.to_dict() for q in turn.quick_replies],
        "state": turn.state.to_dict(),
    }


def post_message(
    session: Session,
    directory: Directory,
    ttl_minutes: float,
    conversation_id: str,
    text: str,
    observe: Observer | None = None,
    match_at: datetime | None = None,
) -> dict[str, Any]:
    """One turn. `match_at`: the time the match is made at, which decides the national
    subsidies open for applications (the app's clock; now when not given)."""
    now = utcnow()
    conv = get_live(session, conversation_id, now)
    code = conv.municipality_code
    turn: Turn = take_turn(
        DialogueState.from_dict(conv.state),
        text,
        make_matcher(directory, code, observe, match_at or now),
        municipality=_municipality_name(directory, code),
    )
    # The match reads the owner's words as written; what is stored (the transcript and the
    # state's texts) has names, addresses, phones and e-mail masked.
    transcript = _bounded(
        [
            *(conv.transcript or []),
            _entry("user", mask_personal_data(text), now),
            _entry("bot", mask_personal_data(turn.reply), now, turn.kind),
        ]
    )
    stored_state = _masked_state(turn.state.to_dict())
    expires_at = now + ttl(ttl_minutes)
    previous_turns = conv.turns
    result = session.execute(
        update(Conversation)
        .where(col(Conversation.id) == conv.id, col(Conversation.turns) == previous_turns)
        .values(
            state=stored_state,
            transcript=transcript,
            turns=previous_turns + 1,
            updated_at=now,
            expires_at=expires_at,
        )
    )
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        session.rollback()
        raise ApiError(409, CONFLICT, en=CONFLICT_EN)
    session.commit()
    return {
        "kind": turn.kind,
        "reply": turn.reply,
        "quick_replies": [q.to_dict() for q in turn.quick_replies],
        "query": turn.query,
        "match": dict(turn.match) if turn.match is not None else None,
        "state": turn.state.to_dict(),
        "turns": previous_turns + 1,
        "expires_at": expires_at,
    }


def detail(session: Session, conversation_id: str) -> dict[str, Any]:
    conv = get_live(session, conversation_id)
    return {
        "id": conv.id,
        "municipality_code": conv.municipality_code,
        "state": DialogueState.from_dict(conv.state).to_dict(),
        "transcript": list(conv.transcript or []),
        "turns": conv.turns,
        "created_at": as_utc(conv.created_at),
        "updated_at": as_utc(conv.updated_at),
        "expires_at": as_utc(conv.expires_at),
    }


def remove(session: Session, conversation_id: str) -> None:
    conv = get_live(session, conversation_id)
    session.delete(conv)
    session.commit()
