"""The read cache: a public list asked again is answered without routing or rendering, from the
answers of the directory generation now served, and never after that generation is replaced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Query, Request, Response
from fastapi.testclient import TestClient
from partners import bearer, make_key, unique
from sqlalchemy.engine import Engine

from app.core.caching import (
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

    app.add_middleware(ReadCacheMiddleware, cache=ReadCache(lambda: world.generation, max_bytes))
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
