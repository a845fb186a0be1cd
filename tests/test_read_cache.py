"""The read cache: a public list asked again is answered without routing or rendering, from the
answers of the directory generation now served, and never after that generation is replaced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Query, Request, Response
from fastapi.testclient import TestClient
from partners import bearer, make_key, unique
from prometheus_client import REGISTRY
from sqlalchemy.engine import Engine

from app.core.caching import (
    CACHEABLE,
    Answer,
    AnswerStore,
    ReadCache,
    ReadCacheMiddleware,
    conditional,
    rendered,
)
from app.core.edge import EdgeMiddleware
from app.devtools.fresh import app_on


class Generation:
    """A stand-in for a directory generation: what the handler renders from."""

    def __init__(self, text: str) -> None:
        self.text = text


class World:
    def __init__(self) -> None:
        self.generation: Generation | None = Generation("one")
        self.calls = 0
        self.epoch = 0  # what a kept POST's answers also depend on (`vary`)
        self.counted: list[Any] = []  # the notes of the POST answers the cache gave again

    @property
    def text(self) -> str:
        return self.generation.text if self.generation else "none"


def tiny_app(world: World, max_bytes: int = 1 << 20) -> FastAPI:
    app = FastAPI()

    @app.get("/list")
    async def listed(request: Request, q: str = Query("", max_length=5)) -> Response:
        world.calls += 1
        return conditional(request, rendered(f'{{"{world.text}":"{q}"}}'.encode()))

    @app.get("/plain")
    async def plain() -> dict[str, int]:
        world.calls += 1
        return {"calls": world.calls}

    @app.post("/list")
    async def posted(request: Request) -> Response:
        world.calls += 1
        return conditional(request, rendered(b"{}"))

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        """A pure function of its body, marked cacheable with a note."""
        world.calls += 1
        body = await request.body()
        if request.headers.get("content-type") != "application/json":
            return Response(b"{}", status_code=415)
        request.scope[CACHEABLE] = ("note", world.calls)
        answer = f'{{"{world.text}":{world.epoch},"body":{body.decode()}}}'
        return Response(answer.encode(), media_type="application/json")

    cache = ReadCache(lambda: world.generation, max_bytes)
    cache.keep_posts("/echo", vary=lambda generation: world.epoch, on_hit=world.counted.append)
    app.add_middleware(ReadCacheMiddleware, cache=cache)
    app.add_middleware(EdgeMiddleware)
    return app


def test_the_same_get_is_answered_once_per_generation() -> None:
    world = World()
    client = TestClient(tiny_app(world))
    first = client.get("/list?q=a")
    again = client.get("/list?q=a")
    assert world.calls == 1
    assert again.content == first.content == b'{"one":"a"}'
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-language"] == "ja"
    assert "Accept-Language" in again.headers["vary"]  # the outer middleware still ran

    client.get("/list?q=b")  # another query string is another answer
    assert world.calls == 2

    world.generation = Generation("two")  # the directory was rebuilt: nothing old is served
    changed = client.get("/list?q=a")
    assert changed.content == b'{"two":"a"}'
    assert world.calls == 3


def test_a_cached_answer_honours_if_none_match() -> None:
    world = World()
    client = TestClient(tiny_app(world))
    tag = client.get("/list").headers["etag"]
    resp = client.get("/list", headers={"If-None-Match": f'W/{tag}, "other"'})
    assert resp.status_code == 304
    assert resp.content == b""
    assert resp.headers["etag"] == tag
    assert world.calls == 1
    assert client.get("/list", headers={"If-None-Match": '"stale"'}).status_code == 200
    assert world.calls == 1


def test_each_language_has_its_own_answer() -> None:
    world = World()
    client = TestClient(tiny_app(world))
    client.get("/list")
    client.get("/list", headers={"Accept-Language": "en"})
    assert world.calls == 2
    client.get("/list", headers={"Accept-Language": "en-GB"})
    assert world.calls == 2


def test_what_is_not_kept() -> None:
    world = World()
    client = TestClient(tiny_app(world))
    for _ in range(2):
        assert client.get("/list?q=toolong").status_code == 422  # an error
        client.get("/plain")  # a handler that did not mark its answer cacheable
        client.post("/list")  # not a GET
    assert world.calls == 4  # /plain and POST twice each; the 422s never reach the handler

    world.generation = None  # serving would need a database check first: no cache
    client.get("/list")
    client.get("/list")
    assert world.calls == 6


def test_a_post_asked_once_is_not_kept() -> None:
    world = World()
    app = tiny_app(world)
    client = TestClient(app)
    for n in range(5):
        client.post("/echo", json={"text": f"one-off {n}"})
    assert world.calls == 5
    cache = next(m.kwargs["cache"] for m in app.user_middleware if "cache" in m.kwargs)
    assert cache.store is not None and len(cache.store) == 0
    assert len(cache.posts_seen) == 5


def test_a_kept_post_is_answered_again_by_its_body() -> None:
    world = World()
    client = TestClient(tiny_app(world))
    first = client.post("/echo", json={"text": "a"})
    second = client.post("/echo", json={"text": "a"})  # asked again: kept from now on
    again = client.post("/echo", json={"text": "a"})
    assert first.status_code == second.status_code == again.status_code == 200
    assert again.content == first.content == b'{"one":0,"body":{"text":"a"}}'  # the body arrived
    assert world.calls == 2
    assert world.counted == [("note", 2)]  # what the handler counted is counted again
    assert again.headers["x-request-id"] != first.headers["x-request-id"]  # the edge still ran

    # the same bytes streamed in pieces are the same body
    pieces = [b'{"text"', b': "a"}']
    json_type = {"Content-Type": "application/json"}
    for _ in range(3):
        assert client.post("/echo", content=iter(pieces), headers=json_type).status_code == 200
    assert world.calls == 4  # other bytes than the first body ('": "' vs '":"'), kept once seen

    client.post("/echo", json={"text": "b"})  # another body
    client.post("/echo", json={"text": "a"}, headers={"Accept-Language": "en"})  # language
    assert world.calls == 6
    for _ in range(3):  # not JSON: the handler's 415 is never kept
        assert client.post("/echo", content=first.request.content).status_code == 415
    assert world.calls == 9

    world.epoch = 1  # what the path said its answers also depend on
    assert client.post("/echo", json={"text": "a"}).content == b'{"one":1,"body":{"text":"a"}}'
    world.generation = Generation("two")
    assert client.post("/echo", json={"text": "a"}).content == b'{"two":1,"body":{"text":"a"}}'
    assert world.calls == 11
    world.generation = None  # a database check is due first: nothing is answered from here
    for _ in range(3):
        client.post("/echo", json={"text": "a"})
    assert world.calls == 14


def test_a_first_request_answered_304_is_not_kept() -> None:
    world = World()
    client = TestClient(tiny_app(world))
    tag = client.get("/list").headers["etag"]
    world.generation = Generation("one")  # same content, new generation
    assert client.get("/list", headers={"If-None-Match": tag}).status_code == 304
    assert client.get("/list").status_code == 200
    assert world.calls == 3


def test_the_store_is_bounded_and_keeps_the_recently_used() -> None:
    store = AnswerStore(object(), max_bytes=1000)

    def put(path: str, n: int) -> None:
        answer = Answer(None, [(b"etag", b'"x"')], b"x" * n, '"x"', [])
        store.put((path, b"", "ja"), answer, answer.size)

    put("/a", 250)
    put("/b", 250)
    assert store.get(("/a", b"", "ja")) is not None  # /a is now the most recently used
    put("/c", 250)
    assert store.get(("/b", b"", "ja")) is None
    assert store.get(("/a", b"", "ja")) is not None
    assert store.weight <= 1000
    put("/d", 5000)  # larger than the whole store: not kept
    assert store.get(("/d", b"", "ja")) is None
    assert len(store) == 2


def test_max_bytes_zero_turns_it_off() -> None:
    world = World()
    client = TestClient(tiny_app(world, max_bytes=0))
    client.get("/list")
    client.get("/list")
    assert world.calls == 2


# --- the application -------------------------------------------------------------------------
# As deployed: the directory is checked in the background (SNAPSHOT_CHECK_SECONDS > 0), so a
# request never needs a database check first and the cache answers.


@pytest.fixture(scope="module")
def served(engine: Engine, database_url: str) -> Iterator[TestClient]:
    with TestClient(app_on(engine, database_url, SNAPSHOT_CHECK_SECONDS=0.25)) as client:
        yield client


@pytest.mark.parametrize(
    "path",
    ["/v1/programmes?limit=3", "/v1/agencies?support_type=finance", "/v1/hsds/services?per_page=2"],
)
def test_a_list_asked_again_is_the_same_answer(served: TestClient, path: str) -> None:
    cache = served.app.state.read_cache  # type: ignore[attr-defined]
    first = served.get(path)
    hits = cache.hits
    again = served.get(path)
    assert cache.hits == hits + 1
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    for name in ("etag", "cache-control", "content-language", "x-content-type-options", "vary"):
        assert again.headers[name] == first.headers[name]
    assert again.headers["x-request-id"] != first.headers["x-request-id"]


def test_an_edit_is_seen_by_the_next_read_of_a_cached_list(
    served: TestClient, engine: Engine
) -> None:
    _, key = make_key(engine, "admin")
    path = "/v1/programmes?agency=yipf&limit=200"
    before = served.get(path)
    served.get(path)  # now cached
    programme_id = unique("cache-probe")
    body: dict[str, Any] = {
        "id": programme_id,
        "name": unique("キャッシュ確認用の制度"),
        "kind": "subsidy",
        "description": "テスト用の制度です。",
        "operators": ["yipf"],
        "actions": [6],
        "support_types": ["startup"],
    }
    created = served.post("/v1/admin/programmes", json=body, headers=bearer(key))
    assert created.status_code == 201, created.text
    after = served.get(path)  # the write's answer came after this worker had rebuilt
    assert after.headers["etag"] != before.headers["etag"]
    assert programme_id in after.text
    removed = served.delete(
        f"/v1/admin/programmes/{programme_id}",
        headers={**bearer(key), "If-Match": created.headers["etag"]},
    )
    assert removed.status_code == 204, removed.text
    assert programme_id not in served.get(path).text


def outcome_count(outcome: str) -> float:
    return REGISTRY.get_sample_value("madoguchi_match_outcomes_total", {"outcome": outcome}) or 0.0


def test_a_match_asked_again_is_answered_by_the_read_cache_and_still_counted(
    served: TestClient, engine: Engine
) -> None:
    app: Any = served.app
    cache, answers = app.state.read_cache, app.state.match_answers
    text = f"今日の天気は{unique('晴れ')}ですか"  # unmatched: every request is counted
    first = served.post("/v1/match", json={"text": text})
    served.post("/v1/match", json={"text": text})  # asked again: kept from now on
    hits, matcher_calls, unmatched = (
        cache.hits,
        answers.hits + answers.misses,
        outcome_count("unmatched"),
    )
    again = served.post("/v1/match", json={"text": text})
    assert cache.hits == hits + 1
    assert answers.hits + answers.misses == matcher_calls  # the route was not reached
    assert again.content == first.content and first.json()["matched"] is False
    assert again.headers["content-language"] == "ja"
    assert outcome_count("unmatched") == unmatched + 1
    admin = bearer(make_key(engine, "admin")[1])
    stats = served.get("/v1/match/stats", params={"limit": 200}, headers=admin).json()
    entry = next(e for e in stats["top"] if e["text"].startswith("今日の天気は"))
    assert entry["count"] == 3 and entry["kind"] == "unmatched"

    # the body's hash is the key: the text itself is not kept
    store = cache.store
    assert store is not None
    kept = [part for key in store._items for part in key if isinstance(part, bytes)]
    assert kept and not any(text.encode() in part for part in kept)
    # a broken body is never answered from here
    for _ in range(3):
        assert served.post("/v1/match", json={"text": ""}).status_code == 422


def test_health_is_answered_by_the_read_cache(served: TestClient) -> None:
    cache = served.app.state.read_cache  # type: ignore[attr-defined]
    first = served.get("/healthz")
    hits = cache.hits
    again = served.get("/healthz")
    assert cache.hits == hits + 1
    assert again.json() == {"status": "ok"}
    assert again.headers["x-instance-id"] == first.headers["x-instance-id"]


def test_a_streamed_match_body_over_the_limit_is_413(served: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(80):
            yield "融資".encode() * 512
        yield b'"}'

    resp = served.post("/v1/match", headers={"Content-Type": "application/json"}, content=chunks())
    assert "content-length" not in resp.request.headers
    assert resp.status_code == 413
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "大きすぎ" in resp.json()["detail"]
