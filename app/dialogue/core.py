"""The chatbot's dialogue: previous state + the user's text + a match function → the next turn.

Pure Python (no web framework, no database): the caller stores the state (a JSON dict) between
turns and passes a function that runs the referral matcher (the /v1/match result as a dict).

Phases:
- ``idle``: nothing pending; a text is matched as it is.
- ``clarifying``: the last reply asked a clarifying question. The next text (a quick-reply
  option, its label, or free text) is matched together with what was said before, so that a
  negation or a detail given earlier is kept ("融資は要らない" … "技術のこと").
- ``referred``: the last reply was a referral; 「窓口の連絡先」 shows the contacts of that
  referral again in detail, and any other text starts a new topic.

Greetings, thanks and reset words are answered without matching (``match`` is None).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from app.dialogue import render

MatchFn = Callable[[str], Mapping[str, Any]]
Phase = Literal["idle", "clarifying", "referred"]
TurnKind = Literal[
    "greeting",
    "clarify",
    "referral",
    "contacts",
    "out_of_scope",
    "thanks",
    "reset",
    "another",
]

MAX_QUERY_CHARS = 1000  # the matcher's text limit (POST /v1/match)
MAX_CONTEXT_ITEMS = 3
MAX_CONTEXT_CHARS = 300
MAX_QUICK_REPLIES = 13  # LINE's limit for quick reply items
MAX_LABEL_CHARS = 20  # LINE's limit for an action label


@dataclass(frozen=True, slots=True)
class QuickReply:
    label: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "text": self.text}


RESET = QuickReply("最初からやり直す", "最初からやり直す")
ANOTHER = QuickReply("ほかの相談をする", "ほかの相談をする")
CONTACTS = QuickReply("窓口の連絡先", "窓口の連絡先")

# Example needs offered at the start; each text is resolved by the matcher (tested).
STARTERS: tuple[QuickReply, ...] = (
    QuickReply("創業・開業", "創業したい"),
    QuickReply("資金・融資", "融資を受けたい"),
    QuickReply("技術・共同研究", "共同研究したい"),
    QuickReply("販路開拓", "販路を開拓したい"),
    QuickReply("事業承継", "事業承継について相談したい"),
    QuickReply("相談先がわからない", "相談したい"),
)

_SENTENCE_END = "。．.！!？? 　"
_PUNCT = "、。，．,.!！?？・~〜～ー-―…♪☆★ 　\t\r\n"
RESET_WORDS = frozenset(
    {
        "最初からやり直す",
        "最初からやりなおす",
        "最初から",
        "はじめから",
        "初めから",
        "はじめからやり直す",
        "やり直す",
        "やりなおす",
        "やり直し",
        "リセット",
        "reset",
        "restart",
    }
)
ANOTHER_WORDS = frozenset(
    {"ほかの相談をする", "他の相談をする", "ほかの相談", "他の相談", "別の相談", "別の相談をする"}
)
CONTACT_WORDS = frozenset(
    {
        "窓口の連絡先",
        "連絡先",
        "連絡先を教えて",
        "連絡先を教えてください",
        "窓口の連絡先を教えて",
        "窓口の連絡先を教えてください",
        "電話番号",
        "電話番号を教えて",
        "電話番号を教えてください",
        "問い合わせ先",
    }
)
_GREETING = re.compile(
    r"こんにちは|こんにちわ|こんばんは|こんばんわ|おはようございます|おはよう|はじめまして|"
    r"初めまして|よろしくお願いいたします|よろしくお願いします|よろしくおねがいします|よろしく|"
    r"もしもし|どうも|hello|hi|hey"
)
_THANKS = re.compile(
    r"ありがとうございました|ありがとうございます|ありがとう|有難うございました|有難うございます|"
    r"助かりました|助かります|了解しました|了解です|了解|わかりました|分かりました|承知しました|"
    r"さようなら|失礼します|以上です|thanks|thank you|ok"
)


def normalize_command(text: str) -> str:
    """NFKC, lower case, without surrounding punctuation or spaces: for command words."""
    return unicodedata.normalize("NFKC", text).strip(_PUNCT).lower()


def social_kind(text: str) -> Literal["greeting", "thanks"] | None:
    """ "thanks" or "greeting" when the text is only such words (and punctuation), else None."""
    key = normalize_command(text)
    found_thanks = bool(_THANKS.search(key))
    found_greeting = bool(_GREETING.search(key))
    if not key or not (found_thanks or found_greeting):
        return None
    rest = _GREETING.sub("", _THANKS.sub("", key))
    for filler in ("ございます", "です", "ます", "どうも", "本当に", "ほんとうに", "とても"):
        rest = rest.replace(filler, "")
    if rest.strip(_PUNCT):
        return None
    return "thanks" if found_thanks else "greeting"


@dataclass
class DialogueState:
    phase: Phase = "idle"
    context: list[str] = field(default_factory=list)  # what was said while clarifying
    clarify_count: int = 0
    last_query: str | None = None  # the text matched for the last referral
    last_needs: list[str] = field(default_factory=list)
    offered: list[dict[str, str]] = field(default_factory=list)  # the last quick replies

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DialogueState:
        """Tolerant: unknown keys are ignored and malformed values fall back to defaults."""
        data = data or {}
        phase = data.get("phase")
        context = data.get("context")
        offered = data.get("offered")
        needs = data.get("last_needs")
        count = data.get("clarify_count")
        last = data.get("last_query")
        return cls(
            phase=phase if phase in ("idle", "clarifying", "referred") else "idle",
            context=[str(c) for c in context][-MAX_CONTEXT_ITEMS:]
            if isinstance(context, list)
            else [],
            clarify_count=count if isinstance(count, int) and count >= 0 else 0,
            last_query=last if isinstance(last, str) and last else None,
            last_needs=[str(n) for n in needs] if isinstance(needs, list) else [],
            offered=[
                {"label": str(o["label"]), "text": str(o["text"])}
                for o in offered
                if isinstance(o, dict) and "label" in o and "text" in o
            ][:MAX_QUICK_REPLIES]
            if isinstance(offered, list)
            else [],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "context": list(self.context),
            "clarify_count": self.clarify_count,
            "last_query": self.last_query,
            "last_needs": list(self.last_needs),
            "offered": [dict(o) for o in self.offered],
        }


@dataclass(frozen=True)
class Turn:
    kind: TurnKind
    reply: str
    quick_replies: tuple[QuickReply, ...]
    state: DialogueState
    query: str | None = None  # the text given to the matcher (None: no matching this turn)
    match: Mapping[str, Any] | None = None


def _with_offer(state: DialogueState, replies: tuple[QuickReply, ...]) -> DialogueState:
    state.offered = [r.to_dict() for r in replies]
    return state


def _turn(
    kind: TurnKind,
    reply: str,
    replies: tuple[QuickReply, ...],
    state: DialogueState,
    query: str | None = None,
    match: Mapping[str, Any] | None = None,
) -> Turn:
    replies = tuple(dict.fromkeys(replies))[:MAX_QUICK_REPLIES]
    return Turn(kind, reply, replies, _with_offer(state, replies), query, match)


def opening(municipality: str | None = None) -> Turn:
    """The first bubble of a new conversation."""
    return _turn("greeting", render.greeting(municipality), STARTERS, DialogueState())


def combine(context: list[str], text: str) -> str:
    """The earlier context and the new text as one utterance within the matcher's limit."""
    parts = [text]
    room = MAX_QUERY_CHARS - len(text)
    for earlier in reversed(context):
        if len(earlier) + 1 > room:
            break
        parts.insert(0, earlier)
        room -= len(earlier) + 1
    return "。".join(p.rstrip(_SENTENCE_END) or p for p in parts)


def _resolve_offered(state: DialogueState, text: str) -> str:
    """A quick reply's label typed (or sent) as text means the option's utterance."""
    key = normalize_command(text)
    for option in state.offered:
        if key and key in (normalize_command(option["label"]), normalize_command(option["text"])):
            return option["text"]
    return text


def _bounded_context(context: list[str], text: str) -> list[str]:
    items = [*context, text][-MAX_CONTEXT_ITEMS:]
    while len(items) > 1 and sum(len(i) for i in items) > MAX_CONTEXT_CHARS:
        items.pop(0)
    return [i[:MAX_CONTEXT_CHARS] for i in items]


def take_turn(
    previous: DialogueState | Mapping[str, Any] | None,
    text: str,
    match: MatchFn,
    *,
    municipality: str | None = None,
) -> Turn:
    """Answer one user message. `match(query)` must return the /v1/match result as a dict."""
    state = (
        DialogueState.from_dict(previous.to_dict())
        if isinstance(previous, DialogueState)
        else DialogueState.from_dict(previous)
    )
    text = _resolve_offered(state, text.strip())
    key = normalize_command(text)

    if key in RESET_WORDS:
        return _turn("reset", render.reset(municipality), STARTERS, DialogueState())
    if key in ANOTHER_WORDS:
        fresh = DialogueState(last_query=state.last_query, last_needs=state.last_needs)
        return _turn("another", render.another(), (*STARTERS, RESET), fresh)
    if key in CONTACT_WORDS:
        if state.last_query is None:
            return _turn("contacts", render.no_referral_yet(), STARTERS, state)
        result = match(state.last_query)
        state.phase = "referred"
        return _turn(
            "contacts",
            render.contacts_detail(result),
            (ANOTHER, RESET),
            state,
            state.last_query,
            result,
        )
    social = social_kind(text)
    if social == "greeting":
        return _turn("greeting", render.hello_again(), STARTERS, state)
    if social == "thanks":
        replies = (ANOTHER, CONTACTS, RESET) if state.last_query else (*STARTERS, RESET)
        return _turn("thanks", render.thanks(), replies, state)
    return _need_turn(state, text, match)


def _need_turn(state: DialogueState, text: str, match: MatchFn) -> Turn:
    clarifying = state.phase == "clarifying" and bool(state.context)
    query = combine(state.context, text) if clarifying else text
    result = match(query)

    if result.get("matched"):
        new = DialogueState(
            phase="referred",
            last_query=query,
            last_needs=render.need_labels(result, limit=5),
        )
        return _turn(
            "referral",
            render.referral(result),
            (CONTACTS, ANOTHER, RESET),
            new,
            query,
            result,
        )

    questions = list(result.get("clarifying_questions") or ())
    if questions:
        question = questions[0]
        attempt = state.clarify_count + 1 if clarifying else 1
        new = DialogueState(
            phase="clarifying",
            context=_bounded_context(state.context if clarifying else [], text),
            clarify_count=attempt,
            last_query=state.last_query,
            last_needs=state.last_needs,
        )
        options = tuple(
            QuickReply(o["label"][:MAX_LABEL_CHARS], o["text"]) for o in question["options"]
        )[: MAX_QUICK_REPLIES - 1]
        return _turn(
            "clarify",
            render.clarify(question["question"], attempt, result),
            (*options, RESET),
            new,
            query,
            result,
        )

    new = DialogueState(last_query=state.last_query, last_needs=state.last_needs)
    return _turn(
        "out_of_scope",
        render.out_of_scope(text, result),
        (*STARTERS, RESET),
        new,
        query,
        result,
    )
