"""The chatbot's dialogue (pure Python: no web framework or database imports)."""

from app.dialogue.core import (
    STARTERS,
    DialogueState,
    MatchFn,
    QuickReply,
    Turn,
    opening,
    take_turn,
)
from app.dialogue.render import MAX_REPLY_CHARS

__all__ = [
    "MAX_REPLY_CHARS",
    "STARTERS",
    "DialogueState",
    "MatchFn",
    "QuickReply",
    "Turn",
    "opening",
    "take_turn",
]
