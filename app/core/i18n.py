"""The language of an answer: Japanese by default, English when the client prefers it.

`Accept-Language: en` (or `en-US`, `en;q=0.9, ja;q=0.5` ...) asks for English. The answer says
what it is in with `Content-Language`: problem details, the match (support types, agency names,
explanations) and the directory's support types, agencies and role matrix are translated where an
English text is known; everything else is Japanese and says `ja`. Every answer carries
`Vary: Accept-Language`, so that no cache hands one language to a client that asked for the other.

`LanguageMiddleware` reads the header once per request into a context variable (and the ASGI
scope, for the handler of unexpected errors, which runs after the middleware has finished).
"""

from __future__ import annotations

import contextvars
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class LanguageMiddleware:
    """Sets the request's language, and `Content-Language` (`ja` unless the route says
    otherwise) and `Vary: Accept-Language` on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next(
            (v.decode("latin-1") for k, v in scope.get("headers") or () if k == b"accept-language"),
            None,
        )
        language = negotiate(header)
        scope[SCOPE_KEY] = language
        token = LANGUAGE.set(language)

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-language" not in names:
                    headers.append((b"content-language", DEFAULT.encode()))
                if b"vary" not in names:
                    headers.append((b"vary", b"Accept-Language"))
                else:
                    headers = [
                        (n, v + b", Accept-Language" if n.lower() == b"vary" else v)
                        for n, v in headers
                    ]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_language)
        finally:
            LANGUAGE.reset(token)


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
