"""The public lists answer from the in-memory directory: no query on the directory's tables,
the same shapes as the detail endpoints, ETag/If-None-Match, and search ranked by relevance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from partners import assert_problem, bearer, make_key, unique
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.core.caching import etag_matches
from app.services.search import SearchIndex

LISTS = [
    ("/v1/support-types", {}),
    ("/v1/role-matrix", {}),
    ("/v1/agencies", {}),
    ("/v1/agencies", {"support_type": "finance", "q": "保証"}),
    ("/v1/programmes", {}),
    ("/v1/programmes", {"support_type": "finance", "kind": "loan", "limit": 5}),
    ("/v1/programmes", {"q": "資金", "action": 12}),
    ("/v1/programmes", {"agency": "yipf", "offset": 2, "limit": 3}),
    ("/v1/contact-points", {}),
    ("/v1/contact-points", {"municipality": "萩市", "agency": "hagi-cci"}),
    ("/v1/hsds/services", {}),
    ("/v1/hsds/services", {"taxonomy_term_id": "pillar-3", "search": "資金", "per_page": 5}),
]
DIRECTORY_TABLES = ("programme", "contact_point", "agency", "support_type", "measure")


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine of this process runs meanwhile."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.lower())

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@pytest.mark.parametrize(("path", "params"), LISTS)
def test_lists_never_query_the_directory_tables(
    client: TestClient, path: str, params: dict[str, Any]
) -> None:
    client.get(path, params=params)  # the directory may be (re)built once: not measured
    with statements() as seen:
        resp = client.get(path, params=params)
    assert resp.status_code == 200, resp.text
    touched = [s for s in seen if any(f" {t}" in s for t in DIRECTORY_TABLES)]
    assert touched == [], touched


@pytest.mark.parametrize(("path", "params"), LISTS)
def test_if_none_match_gets_304_without_a_body(
    client: TestClient, path: str, params: dict[str, Any]
) -> None:
    first = client.get(path, params=params)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('"') and len(tag) > 10
    again = client.get(path, params=params, headers={"If-None-Match": f'W/{tag}, "other"'})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    stale = client.get(path, params=params, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.json() == first.json()


def test_an_edit_changes_the_etag_of_the_lists_it_shows_up_in(
    client: TestClient, engine: Engine
) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    before = client.get("/v1/programmes", params={"agency": "yipf", "limit": 200})
    tag = before.headers["etag"]
    types_tag = client.get("/v1/support-types").headers["etag"]
    body = {
        "id": unique("listing-test"),
        "name": unique("一覧確認用の補助金"),
        "kind": "subsidy",
        "description": "一覧の ETag の確認用です。",
        "operators": ["yipf"],
        "actions": [6],
        "support_types": ["startup"],
    }
    created = client.post("/v1/admin/programmes", headers=admin, json=body)
    assert created.status_code == 201, created.text
    after = client.get(
        "/v1/programmes", params={"agency": "yipf", "limit": 200}, headers={"If-None-Match": tag}
    )
    assert after.status_code == 200
    assert after.headers["etag"] != tag
    assert body["id"] in [p["id"] for p in after.json()["items"]]
    # an edit that does not change a list leaves its ETag as it was
    assert client.get("/v1/support-types", headers={"If-None-Match": types_tag}).status_code == 304


def test_list_items_have_the_shape_of_their_detail(client: TestClient) -> None:
    listed = client.get("/v1/programmes", params={"limit": 200}).json()
    assert listed["total"] == len(listed["items"])
    for item in listed["items"]:
        detail = client.get(f"/v1/programmes/{item['id']}").json()
        detail.pop("contact_points")
        assert item == detail
    for agency in client.get("/v1/agencies", params={"limit": 200}).json()["items"]:
        detail = client.get(f"/v1/agencies/{agency['id']}").json()
        shown = client.get("/v1/contact-points", params={"agency": agency["id"]}).json()["items"]
        assert shown == detail["contact_points"]
        assert {k: detail[k] for k in agency} == agency


def test_a_programme_detail_is_answered_from_memory_with_the_windows_of_the_database(
    client: TestClient, engine: Engine
) -> None:
    """Its own windows and its operators' general ones, in id order, as the tables say, and its
    revision as the ETag: with no query on the directory's tables."""
    from sqlmodel import Session, col, select

    from app.models import ContactPoint, Programme, ProgrammeOperator

    with Session(engine) as session:
        programmes = {p.id: p.revision for p in session.exec(select(Programme))}
        operators: dict[str, set[str]] = {}
        for link in session.exec(select(ProgrammeOperator)):
            operators.setdefault(link.programme_id, set()).add(link.agency_id)
        contacts = list(session.exec(select(ContactPoint).order_by(col(ContactPoint.id))))
    checked_with_windows = 0
    for pid, revision in sorted(programmes.items()):
        expected = [
            c.id
            for c in contacts
            if c.programme_id == pid
            or (c.programme_id is None and c.agency_id in operators.get(pid, set()))
        ]
        client.get(f"/v1/programmes/{pid}")  # rendered once
        with statements() as seen:
            resp = client.get(f"/v1/programmes/{pid}")
        assert resp.status_code == 200, resp.text
        assert [s for s in seen if any(f" {t}" in s for t in DIRECTORY_TABLES)] == []
        assert resp.headers["etag"] == f'"{revision}"'
        assert [c["id"] for c in resp.json()["contact_points"]] == expected
        checked_with_windows += bool(expected)
    assert checked_with_windows >= 10
    missing = client.get("/v1/programmes/no-such-programme")
    assert_problem(missing, 404)


def test_an_agency_detail_is_answered_from_memory_as_the_database_has_it(
    client: TestClient, engine: Engine
) -> None:
    """Every agency: the same JSON as the database's detail (app.services.directory.get_agency),
    its revision as the ETag, with no query on the directory's tables; in English and with a
    市町 too; and an edited window is in the next answer."""
    from sqlmodel import Session, select

    from app.models import Agency
    from app.services.directory import get_agency

    with Session(engine) as session:
        agencies = {a.id: a.revision for a in session.exec(select(Agency))}
        expected = {aid: get_agency(session, aid).model_dump(mode="json") for aid in agencies}
    with_programmes = with_children = 0
    for aid, revision in sorted(agencies.items()):
        client.get(f"/v1/agencies/{aid}")  # rendered once
        with statements() as seen:
            resp = client.get(f"/v1/agencies/{aid}")
            english = client.get(f"/v1/agencies/{aid}", headers={"Accept-Language": "en"})
            local = client.get(f"/v1/agencies/{aid}", params={"municipality": "萩市"})
        assert [s for s in seen if any(f" {t}" in s for t in DIRECTORY_TABLES)] == []
        assert resp.status_code == english.status_code == local.status_code == 200
        assert resp.json() == expected[aid]
        assert resp.headers["etag"] == english.headers["etag"] == f'"{revision}"'
        assert english.headers["content-language"] == "en"
        assert {k: v for k, v in local.json().items() if k != "local_offices"} == {
            k: v for k, v in expected[aid].items() if k != "local_offices"
        }
        with_programmes += bool(expected[aid]["programmes"])
        with_children += bool(expected[aid]["children"])
    assert with_programmes >= 10 and with_children >= 1
    assert_problem(client.get("/v1/agencies/no-such-agency"), 404)
    assert_problem(client.get("/v1/agencies/yipf", params={"municipality": "東京都"}), 422)

    admin = bearer(make_key(engine, "admin")[1])
    window = client.get("/v1/agencies/yipf").json()["contact_points"][0]
    label = unique("窓口名")
    url = f"/v1/admin/contact-points/{window['id']}"
    tag = client.get(url, headers=admin).headers["etag"]
    edited = client.patch(url, json={"name": label}, headers={**admin, "If-Match": tag})
    assert edited.status_code == 200, edited.text
    names = [c["name"] for c in client.get("/v1/agencies/yipf").json()["contact_points"]]
    assert label in names


def test_search_ranks_a_name_hit_above_a_description_hit(
    client: TestClient, engine: Engine
) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    word = unique("ランク確認語")
    in_description = {
        "id": unique("aaa-rank-description"),
        "name": unique("説明にだけ語がある制度"),
        "kind": "subsidy",
        "description": f"{word}を説明に含みます。",
        "operators": ["yipf"],
        "actions": [6],
        "support_types": ["startup"],
    }
    in_name = {**in_description, "id": unique("zzz-rank-name"), "name": f"{word}の支援"}
    in_name["description"] = "名前にだけ語があります。"
    for body in (in_description, in_name):
        resp = client.post("/v1/admin/programmes", headers=admin, json=body)
        assert resp.status_code == 201, resp.text
    found = [p["id"] for p in client.get("/v1/programmes", params={"q": word}).json()["items"]]
    assert found == [in_name["id"], in_description["id"]]
    services = client.get("/v1/hsds/services", params={"search": word}).json()["contents"]
    assert [s["name"] for s in services] == [in_name["name"], in_description["name"]]


def test_search_index_tiers() -> None:
    index = SearchIndex(
        [
            ("a", ["信用保証の案内", None, "融資の説明"]),
            ("b", ["融資制度", "ゆうし"]),
            ("c", ["設備資金", "融資"]),
            ("d", ["融資", None]),
            ("e", ["経営相談", "創業の融資相談"]),
            ("f", ["創業支援", "資金", "融資"]),
        ]
    )
    # the name itself, a name that starts with it, then other fields in their order
    assert index.search("融資") == ["d", "b", "a", "c", "e", "f"]
    # words only found across two fields still match, after every single-field hit
    assert index.search("創業 融資") == ["e", "f"]
    assert index.search("保証 説明") == ["a"]
    assert index.search("ない語") == []


def test_bad_filters_are_still_422_from_memory(client: TestClient) -> None:
    assert_problem(client.get("/v1/programmes", params={"support_type": "nope"}), 422)
    assert_problem(client.get("/v1/programmes", params={"agency": "nope"}), 422)
    assert_problem(client.get("/v1/contact-points", params={"municipality": "大阪市"}), 422)
    assert_problem(client.get("/v1/agencies", params={"support_type": "nope"}), 422)
    assert_problem(client.get("/v1/hsds/services", params={"organization_id": "nope"}), 422)


def test_etag_comparison() -> None:
    assert etag_matches('"a"', '"a"')
    assert etag_matches('W/"a"', '"a"')
    assert etag_matches('"b", "a"', '"a"')
    assert etag_matches("*", '"a"')
    assert not etag_matches('"ab"', '"a"')
    assert not etag_matches(None, '"a"')


def test_a_replaced_search_index_answers_as_one_built_afresh() -> None:
    import random

    rng = random.Random(3)
    words = ["融資", "創業", "資金", "補助金", "販路", "技術", "承継", "相談", "萩", "設備"]

    def doc() -> list[str | None]:
        return [
            "".join(rng.sample(words, 2)),
            rng.choice([None, "".join(rng.sample(words, 1))]),
            "".join(rng.sample(words, 3)),
        ]

    docs = {f"p-{i:03d}": doc() for i in range(60)}
    before = SearchIndex(sorted(docs.items()))
    answers = {w: before.search(w) for w in words}
    edits: dict[str, list[str | None] | None] = {f"p-{i:03d}": doc() for i in range(0, 60, 7)}
    edits |= {"p-005": None, "p-011": None, "p-999": doc(), "a-new": doc()}
    after = before.replaced(edits)
    for key, fields in edits.items():
        if fields is None:
            docs.pop(key)
        else:
            docs[key] = fields
    fresh = SearchIndex(sorted(docs.items()))
    for query in [*words, "融資 創業", "資金 萩", "ない語"]:
        assert after.search(query) == fresh.search(query), query
    assert {w: before.search(w) for w in words} == answers  # the old index is untouched
