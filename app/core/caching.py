"""Rendered bodies with entity tags, and conditional GET (`If-None-Match` → 304).

A list endpoint that answers from the in-memory directory returns a `Rendered`: the JSON body as
bytes and a strong ETag that is a hash of those bytes. A client (a chatbot backend, the console,
a partner's mirror) that sends the ETag back in `If-None-Match` gets 304 Not Modified with no
body while nothing it lists has changed.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any, Generic, TypeVar

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.i18n import language_of

# Public directory data: a cache may keep it but must ask again (cheaply, with the ETag).
REVALIDATE = "no-cache"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A response body and its entity tag."""

    body: bytes
    etag: str


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, as FastAPI writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def rendered(body: bytes) -> Rendered:
    return Rendered(body, '"' + blake2b(body, digest_size=12).hexdigest() + '"')


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2): any listed tag, W/ or not, or *."""
    if not header:
        return False
    bare = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == bare:
            return True
    return False


def conditional(
    request: Request, body: Rendered, cache_control: str = REVALIDATE, language: str = "ja"
) -> Response:
    """200 with the body, or 304 when the client already holds this version. `language`: the
    language of the body (each language's body has its own ETag)."""
    headers = {"ETag": body.etag, "Cache-Control": cache_control, "Content-Language": language}
    if etag_matches(request.headers.get("if-none-match"), body.etag):
        return Response(status_code=304, headers=headers)
    # The answer depends on nothing but the path, the query, the language and the directory's
    # generation: the read cache may keep it (see ReadCacheMiddleware).
    request.scope[CACHEABLE] = True
    return Response(body.body, media_type="application/json", headers=headers)


# For the OpenAPI document of an endpoint answered by `conditional`.
NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {
        "description": (
            "If-None-Match の ETag と同じ内容です（本文なし）。"
            " Not modified: the ETag sent in If-None-Match is still current."
        ),
        "headers": {"ETag": {"description": "この一覧の版", "schema": {"type": "string"}}},
    }
}


# --- The read cache: a list answered again without routing, parameters or rendering ----------
#
# A public list (`conditional` above) is rendered once per directory generation already; what
# is left of its cost is the framework's: matching the route and parsing and validating a
# handful of query parameters costs more than the rest of the request (measured: a FastAPI
# endpoint with seven query parameters takes twice the time of one with none). The read cache
# keeps the finished answer (status line headers and body) of each (path, query string,
# language) that a handler marked cacheable, for as long as the directory generation it was
# rendered from is the current one: the next identical GET is answered from here, inside every
# other middleware (request id, access log, rate limits, security headers, language), with a
# 304 when the client's If-None-Match names its ETag.
#
# A POST whose answer is a pure function of its body can be kept too (`ReadCache.keep_posts`:
# POST /v1/match, where a chatbot's buttons and the desks' common questions send the same texts
# again and again): keyed by a hash of the body (the body itself, which may hold personal data,
# is not kept), its content type, the language and what the path says its answers also depend
# on (`vary`: for a match, the stretch of time in which the same national subsidies accept
# applications); the handler marks an answer cacheable with a note of what it counted, and
# `on_hit` counts it again when the cache answers. Only a body asked a second time is kept, so
# that one-off texts do not push the lists' answers out.

CACHEABLE = "madoguchi.cacheable"
POSTS_SEEN = 10_000  # POST keys remembered (a tuple and a 16-byte hash each: about 2 MB)
K = TypeVar("K")
V = TypeVar("V")
NOT_MODIFIED_HEADERS = frozenset({b"etag", b"cache-control", b"content-language"})


@dataclass(frozen=True, slots=True)
class Answer:
    """A 200 answer as the handler sent it, and the route that made it (for the access log)."""

    route: Any
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    not_modified: list[tuple[bytes, bytes]]
    note: Any = None  # what the handler marked it cacheable with (`CACHEABLE`), for `on_hit`

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(n) + len(v) for n, v in self.headers) + 200


class BoundedLru(Generic[K, V]):
    """Least recently used first out, at most `capacity` in total weight (a value's bytes, or 1
    per value for a count). Thread-safe: lists are rendered in worker threads too."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.weight = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)  # asked for: in use
            return item[0]

    def put(self, key: K, value: V, weight: int = 1) -> None:
        if weight > self.capacity:
            return
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self.weight -= previous[1]
            self._items[key] = (value, weight)
            self.weight += weight
            while self.weight > self.capacity:
                _, (_, evicted) = self._items.popitem(last=False)
                self.weight -= evicted

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value of `key`, made (outside the lock) and kept if missing; weight 1."""
        found = self.get(key)
        if found is None:
            found = make()
            self.put(key, found)
        return found


class AnswerStore(BoundedLru[tuple[Any, ...], Answer]):
    """The cached answers of one directory generation."""

    def __init__(self, generation: object, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self.generation = generation


@dataclass(frozen=True, slots=True)
class PostKeeping:
    """A POST path whose 200 answers the read cache may keep (`ReadCache.keep_posts`)."""

    # what else than the body, its content type and the language an answer depends on, from
    # the directory generation (e.g. the stretch of time of the national subsidies)
    vary: Callable[[Any], Hashable]
    # what the handler does besides answering (counting), done again for a kept answer, with
    # the note the handler marked the answer with
    on_hit: Callable[[Any], None]


class ReadCache:
    """The answers of the directory generation now served.

    `current()` gives that generation (any object; a new object is a new generation and empties
    the cache), or None when serving it would need a database check first: then requests go the
    normal way. `max_bytes` 0 turns the cache off."""

    def __init__(self, current: Callable[[], object | None], max_bytes: int) -> None:
        self.current = current
        self.max_bytes = max_bytes
        self.store: AnswerStore | None = None
        self.hits = 0
        self.posts: dict[str, PostKeeping] = {}
        # the keys of POST bodies asked once (answers are kept when asked again)
        self.posts_seen: BoundedLru[tuple[Any, ...], bool] = BoundedLru(POSTS_SEEN)

    def keep_posts(
        self, path: str, vary: Callable[[Any], Hashable], on_hit: Callable[[Any], None]
    ) -> None:
        """Let the answers of POST `path` be kept: its handler promises that a 200 answer it
        marks `CACHEABLE` depends on nothing but the body, the content type, the language,
        the directory generation and `vary(generation)`."""
        self.posts[path] = PostKeeping(vary, on_hit)

    def now(self) -> AnswerStore | None:
        if self.max_bytes <= 0:
            return None
        generation = self.current()
        if generation is None:
            return None
        store = self.store
        if store is None or store.generation is not generation:
            store = self.store = AnswerStore(generation, self.max_bytes)
        return store


class ReadCacheMiddleware:
    """Answers a GET (or a kept POST) from the `ReadCache`, and keeps the answers handlers mark
    cacheable."""

    def __init__(self, app: ASGIApp, cache: ReadCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "GET":
            await self._get(scope, receive, send)
        elif method == "POST" and scope["path"] in self.cache.posts:
            await self._post(scope, receive, send, self.cache.posts[scope["path"]])
        else:
            await self.app(scope, receive, send)

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        store = self.cache.now()
        if store is None:
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"], language_of(scope))
        answer = store.get(key)
        if answer is not None:
            self.cache.hits += 1
            scope["route"] = answer.route
            if etag_matches(_header(scope, b"if-none-match"), answer.etag):
                await send(
                    {"type": "http.response.start", "status": 304, "headers": answer.not_modified}
                )
                await send({"type": "http.response.body", "body": b""})
                return
            await _answer(send, answer)
            return
        await self.app(scope, receive, self._keeper(scope, send, store, key))

    async def _post(self, scope: Scope, receive: Receive, send: Send, keeping: PostKeeping) -> None:
        store = self.cache.now()
        if store is None:
            await self.app(scope, receive, send)
            return
        # The whole body first (the body size limit, outside, counts it as it comes).
        received: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        key = (
            scope["path"],
            scope["query_string"],
            language_of(scope),
            _header(scope, b"content-type"),
            blake2b(b"".join(chunks), digest_size=16).digest(),
            keeping.vary(store.generation),
        )
        answer = store.get(key) if received[-1]["type"] == "http.request" else None
        if answer is not None:
            self.cache.hits += 1
            scope["route"] = answer.route
            keeping.on_hit(answer.note)
            await _answer(send, answer)
            return

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        # Kept from the second time a body is asked on: a one-off text (most of a chatbot's)
        # never pushes the lists' answers out.
        if self.cache.posts_seen.get(key) is None:
            self.cache.posts_seen.put(key, True)
            await self.app(scope, replay, send)
            return
        await self.app(scope, replay, self._keeper(scope, send, store, key))

    def _keeper(self, scope: Scope, send: Send, store: AnswerStore, key: Any) -> Send:
        """`send`, keeping a 200 answer the handler marked cacheable."""
        started: Message | None = None
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if message["status"] == 200 and scope.get(CACHEABLE):
                    started = message
            elif started is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and self.cache.now() is store:
                    headers = list(started.get("headers", []))
                    etag = next((v for n, v in headers if n.lower() == b"etag"), b"")
                    answer = Answer(
                        route=scope.get("route"),
                        headers=headers,
                        body=b"".join(chunks),
                        etag=etag.decode("latin-1"),
                        not_modified=[h for h in headers if h[0].lower() in NOT_MODIFIED_HEADERS],
                        note=scope.get(CACHEABLE),
                    )
                    store.put(key, answer, answer.size)
            await send(message)

        return keep


async def _answer(send: Send, answer: Answer) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return str(value.decode("latin-1"))
    return None
