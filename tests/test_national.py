"""National subsidies from jGrants: the sync (against a local fake, tests/jgrants_fake.py),
what it keeps when it fails, and /v1/match choosing the subsidies open now for the need, from
memory only. Every time comes from an injected clock: nothing depends on today's date."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from jgrants_fake import EQUIPMENT_IT, KEPT, NEW_BUSINESS, NOW, RND, SUCCESSION, FakeJGrants, serve
from sqlalchemy import delete, event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app import cli
from app.core.config import Settings
from app.devtools.fresh import app_on
from app.matching.rules import JGRANTS_USE_PURPOSES
from app.matching.status import as_utc
from app.models import NationalProgramme, NationalSyncRun
from app.schemas.match import MatchResponse
from app.seeding.database import bump_directory_version
from app.services import jgrants, national
from app.services.snapshot import read_version

SUCCESSION_ID = "a0W0000000TEST0001"
MONOZUKURI_ID = "a0W0000000TEST0002"
IT_ID = "a0W0000000TEST0003"
YAMAGUCHI_ID = "a0W0000000TEST0004"
KEYWORDS = Settings().jgrants_keywords


@pytest.fixture
def clean(engine: Engine) -> Iterator[None]:
    """The session database without national subsidies or sync runs afterwards."""
    yield
    with Session(engine) as session:
        session.execute(delete(NationalProgramme))
        session.execute(delete(NationalSyncRun))
        bump_directory_version(session)
        session.commit()


@pytest.fixture
def at_now(client: TestClient) -> Iterator[None]:
    """The app answers as if it were NOW (2031-01-15 12:00 in Japan)."""
    app: Any = client.app
    before = app.state.clock
    app.state.clock = lambda: NOW
    yield
    app.state.clock = before


def sync(
    engine: Engine, fake: FakeJGrants | httpx.BaseTransport, at: datetime = NOW, **settings: Any
) -> national.SyncOutcome:
    transport = fake.transport if isinstance(fake, FakeJGrants) else fake
    return national.sync_national(
        lambda: Session(engine), Settings(**settings), lambda: at, transport
    )


def stored(engine: Engine) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        rows = session.exec(select(NationalProgramme)).all()
        return {r.id: r.model_dump() for r in rows}


def directory_version(engine: Engine) -> int:
    with Session(engine) as session:
        return read_version(session)


def last_run(engine: Engine) -> NationalSyncRun:
    with Session(engine) as session:
        run = national.last_run(session)
        assert run is not None
        return run


def match(client: TestClient, text: str, **body: Any) -> dict[str, Any]:
    resp = client.post("/v1/match", json={"text": text, **body})
    assert resp.status_code == 200, resp.text
    payload: dict[str, Any] = resp.json()
    return payload


def national_ids(body: dict[str, Any]) -> list[str]:
    return [p["id"] for p in body["national_programmes"]]


# --- the sync -----------------------------------------------------------------------------------


def test_sync_keeps_the_subsidies_open_to_yamaguchi_or_the_whole_country(
    engine: Engine, clean: None
) -> None:
    fake = FakeJGrants()
    before = directory_version(engine)
    outcome = sync(engine, fake)
    assert outcome.ok and outcome.error is None
    rows = stored(engine)
    # 東京都 only is dropped; the item without a title is skipped; the rest is kept
    assert set(rows) == KEPT
    assert outcome.kept == len(KEPT) and outcome.skipped == 2
    assert directory_version(engine) == before + 1  # every worker rebuilds its snapshot
    # one query per use purpose, area and keyword, each with the required parameters
    assert outcome.requests == len(fake.requests) == len(JGRANTS_USE_PURPOSES) * 2 * len(KEYWORDS)
    for request in fake.requests:
        params = request.url.params
        assert params["sort"] == "acceptance_end_datetime" and params["order"] == "ASC"
        assert params["acceptance"] == "1" and len(params["keyword"]) >= 2
        assert params["use_purpose"] in JGRANTS_USE_PURPOSES
        assert params["target_area_search"] in ("山口県", "全国")
    # the use purposes are those whose queries returned it
    assert set(rows[MONOZUKURI_ID]["use_purposes"]) == {NEW_BUSINESS, EQUIPMENT_IT, RND}
    assert rows[SUCCESSION_ID]["use_purposes"] == [SUCCESSION]
    mine = rows[YAMAGUCHI_ID]
    assert mine["target_areas"] == ["広島県", "山口県"]
    assert mine["max_amount"] is None  # jGrants' 0: not stated
    assert mine["title"] == "中国地方新事業展開支援補助金（テスト）"
    succession = rows[SUCCESSION_ID]
    assert succession["number"] == "S-90000001" and succession["max_amount"] == 8000000
    assert succession["source_url"] == (
        "https://www.jgrants-portal.go.jp/subsidy/a0W0000000TEST0001"
    )
    assert as_utc(succession["acceptance_end"]) == datetime(2031, 2, 28, 8, 0, tzinfo=UTC)
    assert as_utc(succession["fetched_at"]) == NOW
    assert rows[IT_ID]["source_url"].endswith("/subsidy/a0W0000000TEST0003")
    run = last_run(engine)
    assert run.ok and run.kept == len(KEPT) and run.error is None
    assert run.source == Settings().JGRANTS_BASE_URL


def test_syncing_again_replaces_the_rows_and_changes_nothing_else(
    engine: Engine, clean: None
) -> None:
    fake = FakeJGrants()
    assert sync(engine, fake).ok
    first = stored(engine)
    later = NOW + timedelta(hours=6)
    assert sync(engine, fake, at=later).ok
    second = stored(engine)
    assert set(second) == set(first)
    for sid, row in second.items():
        assert as_utc(row.pop("fetched_at")) == later
        first[sid].pop("fetched_at")
        assert row == first[sid]
    # a subsidy jGrants no longer lists is gone after the next sync (replaced, not merged)
    fake.subsidies = [s for s in fake.subsidies if s["id"] != SUCCESSION_ID]
    assert sync(engine, fake, at=later).ok
    assert set(stored(engine)) == KEPT - {SUCCESSION_ID}


def refusing(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def failing(kind: str) -> FakeJGrants | httpx.BaseTransport:
    """jGrants failing in one way, with other subsidies than the good sync stored (so that a
    half-replaced table would show)."""
    if kind == "refused":
        return httpx.MockTransport(refusing)
    fake = FakeJGrants([s for s in FakeJGrants().subsidies if s["id"] == IT_ID])
    if kind == "5xx":
        fake.fail_from = 1
    elif kind == "5xx on a later page":
        fake.fail_from = 40  # 39 answers were good
        fake.fail_status = 500
    elif kind == "malformed JSON":
        fake.fail_from = 10
        fake.fail_body = b'{"metadata": {"resultset": {"count": 1}}, "result": [{"id": '
    elif kind == "not the documented envelope":
        fake.fail_from = 2
        fake.fail_body = json.dumps({"message": "OK", "items": []}).encode()
    elif kind == "timeout":
        fake.fail_from = 25
        fake.fail_timeout = True
    return fake


FAILURES = {
    "refused": "ConnectError",
    "5xx": "HTTP 503",
    "5xx on a later page": "HTTP 500",
    "malformed JSON": "not JSON",
    "not the documented envelope": "no `result` list",
    "timeout": "ReadTimeout",
}


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_a_failed_sync_keeps_the_last_good_data(engine: Engine, clean: None, kind: str) -> None:
    assert sync(engine, FakeJGrants()).ok
    good = stored(engine)
    version = directory_version(engine)
    outcome = sync(engine, failing(kind), at=NOW + timedelta(hours=6))
    assert not outcome.ok and outcome.kept == 0
    assert outcome.error is not None and FAILURES[kind] in outcome.error
    assert stored(engine) == good  # every row as it was, none half replaced
    assert directory_version(engine) == version  # nothing for the workers to rebuild
    run = last_run(engine)
    assert not run.ok and run.error == outcome.error
    assert as_utc(run.started_at) == NOW + timedelta(hours=6)


def test_a_list_item_is_read_defensively() -> None:
    read = jgrants.read_item
    assert read({"title": "名前だけ"}) is None
    assert read({"id": "x" * 41, "title": "長すぎる id"}) is None
    item = read(
        {
            "id": "S0J0w00wer0wUgr77E",
            "title": " 小規模事業者補助金 ",
            "target_area_search": "東京都 / 大阪府",
            "subsidy_max_limit": "10000000",  # not a number: unknown, not a crash
            "acceptance_start_datetime": "2020-02-28T16:41:41.090Z",
            "acceptance_end_datetime": "2021-02-28 10:00:00",  # no zone: Japan time
            "front_subsidy_detail_page_url": "javascript:alert(1)",
        }
    )
    assert item is not None and item.title == "小規模事業者補助金"
    assert item.target_areas == ("東京都", "大阪府") and item.max_amount is None
    assert item.acceptance_start == datetime(2020, 2, 28, 16, 41, 41, 90000, tzinfo=UTC)
    assert item.acceptance_end == datetime(2021, 2, 28, 1, 0, tzinfo=UTC)
    assert item.source_url == "https://www.jgrants-portal.go.jp/subsidy/S0J0w00wer0wUgr77E"


# --- /v1/match ----------------------------------------------------------------------------------


def test_match_lists_the_subsidies_open_now_for_the_need(
    client: TestClient, engine: Engine, clean: None, at_now: None
) -> None:
    assert sync(engine, FakeJGrants()).ok
    body = match(client, "事業承継したい", municipality="萩市")
    # not the one that closed on 1月10日, nor the one opening in February, nor 東京都's, nor the
    # one without a window
    assert national_ids(body) == [SUCCESSION_ID]
    found = body["national_programmes"][0]
    assert found["name"] == "事業承継・引継ぎ補助金（テスト）"
    assert found["source_url"] == "https://www.jgrants-portal.go.jp/subsidy/a0W0000000TEST0001"
    assert found["acceptance_end"] == "2031-02-28T08:00:00Z"
    assert found["max_amount"] == 8000000
    assert found["fetched_at"] == "2031-01-15T03:00:00Z"
    assert found["use_purposes"] == [SUCCESSION]
    assert "『事業を引き継ぎたい』" in found["reason"] and "受付中" in found["reason"]
    # equipment and IT: both that accept it, the one closing sooner first
    assert national_ids(match(client, "設備を導入したい")) == [IT_ID, MONOZUKURI_ID]
    assert national_ids(match(client, "大学と共同研究したい")) == [MONOZUKURI_ID]
    assert national_ids(match(client, "住宅ローンを借りたい")) == []
    assert national_ids(match(client, "相談したい")) == []
    assert national_ids(match(client, "設備を導入したい", limit=1)) == [IT_ID]


def test_what_is_open_follows_the_clock(
    client: TestClient, engine: Engine, clean: None, at_now: None
) -> None:
    assert sync(engine, FakeJGrants()).ok
    app: Any = client.app
    app.state.clock = lambda: datetime(2031, 1, 5, 0, 0, tzinfo=UTC)
    assert national_ids(match(client, "事業承継したい")) == [
        "a0W0000000TEST0005",  # closes 1月10日
        SUCCESSION_ID,
    ]
    assert national_ids(match(client, "設備を導入したい")) == [
        IT_ID
    ]  # ものづくり opens 1月5日 10時
    app.state.clock = lambda: datetime(2031, 3, 1, 0, 0, tzinfo=UTC)
    assert national_ids(match(client, "事業承継したい")) == ["a0W0000000TEST0006"]
    assert national_ids(match(client, "設備を導入したい")) == [MONOZUKURI_ID]


def test_an_answer_asked_again_follows_the_clock_to_the_second(
    client: TestClient, engine: Engine, clean: None, at_now: None
) -> None:
    """The same text asked again is answered from the kept answers, but never across the
    instant a subsidy opens or closes (ものづくり opens at 2031-01-05T01:00:00Z, inclusive)."""
    assert sync(engine, FakeJGrants()).ok
    app: Any = client.app
    answers = app.state.match_answers
    opening = datetime(2031, 1, 5, 1, 0, 0, tzinfo=UTC)
    app.state.clock = lambda: opening - timedelta(seconds=1)
    assert national_ids(match(client, "設備を導入したい")) == [IT_ID]
    hits = answers.hits
    assert national_ids(match(client, "設備を導入したい")) == [IT_ID]
    assert answers.hits == hits + 1  # kept: nothing opened or closed meanwhile
    app.state.clock = lambda: opening
    assert national_ids(match(client, "設備を導入したい")) == [IT_ID, MONOZUKURI_ID]
    app.state.clock = lambda: opening + timedelta(microseconds=1)
    assert national_ids(match(client, "設備を導入したい")) == [IT_ID, MONOZUKURI_ID]


def test_match_answers_with_national_subsidies_have_the_documented_shape(
    client: TestClient, engine: Engine, clean: None, at_now: None
) -> None:
    assert sync(engine, FakeJGrants()).ok
    for text in ("事業承継したい", "新しい事業を始めて設備も入れたい", "共同研究したい"):
        payload = match(client, text, municipality="萩市")
        assert payload["national_programmes"], text
        assert MatchResponse.model_validate(payload).model_dump(mode="json") == payload


def test_nothing_is_asked_of_jgrants_or_the_database_on_the_request_path(
    client: TestClient, engine: Engine, clean: None, at_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeJGrants()
    assert sync(engine, fake).ok
    app: Any = client.app
    app.state.jgrants_transport = fake.transport  # within the app's reach, all the same
    match(client, "事業承継したい")  # the worker takes the new directory version in
    fake.requests.clear()
    clients: list[object] = []
    real_init = jgrants.JGrantsClient.__init__

    def watched_init(self: Any, *args: Any, **kwargs: Any) -> None:
        clients.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(jgrants.JGrantsClient, "__init__", watched_init)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        for text in ("事業承継したい", "設備を導入したい", "共同研究したい"):
            assert national_ids(match(client, text, municipality="萩市"))
        started = client.post("/v1/conversations", json={"municipality": "萩市"}).json()
        reply = client.post(
            f"/v1/conversations/{started['id']}/messages", json={"text": "事業承継したい"}
        ).json()
        assert reply["match"]["national_programmes"]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        del app.state.jgrants_transport
    assert fake.requests == [] and clients == []
    assert statements  # the listener was live (the conversation is stored)
    assert not [s for s in statements if "national_programme" in s]


def test_the_chatbot_names_the_open_subsidies(
    client: TestClient, engine: Engine, clean: None, at_now: None
) -> None:
    assert sync(engine, FakeJGrants()).ok
    started = client.post("/v1/conversations", json={"municipality": "萩市"}).json()
    reply = client.post(
        f"/v1/conversations/{started['id']}/messages", json={"text": "事業承継したい"}
    ).json()
    assert reply["kind"] == "referral"
    assert (
        "受付中の国の補助金（jGrants）：事業承継・引継ぎ補助金（テスト）（2月28日締切）"
        in (reply["reply"])
    )
    assert len(reply["reply"]) <= 500


# --- the schedule and the command -----------------------------------------------------------


def run(ok: bool, at: datetime) -> NationalSyncRun:
    return NationalSyncRun(started_at=at, finished_at=at, ok=ok, source="x")


def test_a_sync_is_due_after_the_interval_and_sooner_after_a_failure() -> None:
    hour = timedelta(hours=1)
    assert national.sync_due(None, NOW, 6)
    assert not national.sync_due(None, NOW, 0)  # off
    assert not national.sync_due(run(True, NOW - 5 * hour), NOW, 6)  # another worker's, recent
    assert national.sync_due(run(True, NOW - 6 * hour), NOW, 6)
    assert not national.sync_due(run(False, NOW - timedelta(minutes=10)), NOW, 6)
    assert national.sync_due(run(False, NOW - timedelta(minutes=30)), NOW, 6)
    naive = run(True, (NOW - 7 * hour).replace(tzinfo=None))  # as SQLite gives it back
    assert national.sync_due(naive, NOW, 6)


def test_the_app_syncs_in_the_background_when_a_schedule_is_set(
    engine: Engine, database_url: str, clean: None
) -> None:
    later = NOW + timedelta(days=400)
    fake = FakeJGrants()
    app = app_on(engine, database_url, NATIONAL_SYNC_HOURS=6)
    app.state.clock = lambda: later
    app.state.jgrants_transport = fake.transport
    with TestClient(app):
        deadline = datetime.now(UTC) + timedelta(seconds=60)
        while datetime.now(UTC) < deadline:
            with Session(engine) as session:
                done = session.exec(
                    select(NationalSyncRun).where(col(NationalSyncRun.started_at) == later)
                ).first()
            if done is not None:
                break
            time.sleep(0.05)
        assert done is not None and done.ok and done.kept == len(KEPT)
    assert set(stored(engine)) == KEPT
    # another worker checking now finds that sync and skips its turn
    asked = len(fake.requests)
    settings = Settings(NATIONAL_SYNC_HOURS=6)
    factory = partial(Session, engine)
    assert national.sync_if_due(factory, settings, lambda: later, fake.transport) is None
    assert len(fake.requests) == asked


def test_the_command_syncs_from_a_local_server(
    engine: Engine, clean: None, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeJGrants()
    with serve(fake) as url:
        settings = Settings(
            JGRANTS_BASE_URL=url, JGRANTS_KEYWORDS="補助金", JGRANTS_TIMEOUT_SECONDS=0.5
        )
        assert cli.main(["national", "sync"], engine=engine, settings=settings) == 0
        done = json.loads(capsys.readouterr().out)
        assert done["ok"] is True and done["kept"] == len(KEPT)
        assert done["requests"] == len(JGRANTS_USE_PURPOSES) * 2
        good = stored(engine)
        # jGrants goes silent: the command fails after its timeout and the data stays
        fake.fail_from = len(fake.requests) + 3
        fake.fail_timeout = True
        assert cli.main(["national", "sync"], engine=engine, settings=settings) == 1
        captured = capsys.readouterr()
        failed = json.loads(captured.out)
        assert failed["ok"] is False and "Timeout" in failed["error"]
        assert "前回取得したデータ" in captured.err
        assert stored(engine) == good
    assert cli.main(["national", "status", "--limit", "2"], engine=engine) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["ok"] for line in lines] == [False, True]
    assert lines[1]["source"] == url
