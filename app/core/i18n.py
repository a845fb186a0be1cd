"""The language of an answer: Japanese by default, English when the client prefers it.

`Accept-Language: en` (or `en-US`, `en;q=0.9, ja;q=0.5` ...) asks for English. The answer says
what it is in with `Content-Language`: problem details, the match (support types, agency names,
explanations) and the directory's support types, agencies and role matrix are translated where an
English text is known; everything else is Japanese and says `ja`. Every answer carries
`Vary: Accept-Language`, so that no cache hands one language to a client that asked for the other.

The edge (app/core/edge.py) reads the header once per request into a context variable (and the
ASGI scope, for the handler of unexpected errors, which runs after the middleware has finished)
and adds the two headers.
"""

from __future__ import annotations

import contextvars
from typing import Literal

from starlette.types import Scope

Language = Literal["ja", "en"]
SUPPORTED: tuple[Language, ...] = ("ja", "en")
DEFAULT: Language = "ja"
LANGUAGE: contextvars.ContextVar[Language] = contextvars.ContextVar("language", default=DEFAULT)
SCOPE_KEY = "madoguchi.language"
MAX_HEADER = 200  # longer Accept-Language values are read up to here


def negotiate(header: str | None) -> Language:
    """The supported language the client prefers most (RFC 9110 12.5.4 q-values); Japanese
    when it names neither, prefers Japanese, or ties (the order of the header breaks a tie)."""
    if not header:
        return DEFAULT
    best, best_q = DEFAULT, 0.0
    for item in header[:MAX_HEADER].split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        language = DEFAULT if primary == "*" else primary
        if language not in SUPPORTED:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:  # the first of equal preferences wins
            best = "en" if language == "en" else "ja"
            best_q = q
    return best


def current_language() -> Language:
    return LANGUAGE.get()


def language_of(scope: Scope) -> Language:
    """The language negotiated for a request (also after the middleware has finished)."""
    value = scope.get(SCOPE_KEY)
    return value if value in SUPPORTED else DEFAULT


# The names of the directory's entities, for messages built around one (「制度「x」は…」).
NOUNS_EN = {
    "機関": "Agency",
    "窓口": "Contact point",
    "制度": "Programme",
    "アクション": "Action",
    "市町": "Municipality",
    "支援の種類": "Support type",
    "数値目標": "KPI",
    "紹介": "Referral",
    "市町コード": "Municipality code",
    "親機関": "Parent agency",
    "運営機関": "Operating agency",
    "アクション番号": "Action number",
}


def noun_en(noun: str) -> str:
    """The English name of a directory entity named in Japanese (unknown ones as given)."""
    return NOUNS_EN.get(noun, noun)
