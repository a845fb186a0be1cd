"""Editing the directory: rights, validation, ETag/If-Match, audit entries, snapshot refresh."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from partners import INJECTIONS, assert_problem, bearer, make_key, unique
from sqlalchemy.engine import Engine


class Keys:
    def __init__(self, engine: Engine, agency_id: str) -> None:
        self.admin_id, admin = make_key(engine, "admin")
        self.admin = bearer(admin)
        self.editor_id, editor = make_key(engine, "agency_editor", agency_id=agency_id)
        self.editor = bearer(editor)
        self.other_editor = bearer(make_key(engine, "agency_editor", agency_id="yipf")[1])
        self.desk = bearer(make_key(engine, "front_desk", municipality="萩市")[1])


def new_agency(client: TestClient, admin: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {
        "id": unique("test-agency"),
        "name": unique("テスト支援機関"),
        "short_name": "テスト機関",
        "category": "support_organisation",
        "roles": ["growth"],
        **extra,
    }
    resp = client.post("/v1/admin/agencies", headers=admin, json=body)
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


@pytest.fixture
def agency(client: TestClient, engine: Engine) -> dict[str, Any]:
    admin = bearer(make_key(engine, "admin")[1])
    return new_agency(client, admin)


@pytest.fixture
def keys(engine: Engine, agency: dict[str, Any]) -> Keys:
    return Keys(engine, agency["id"])


def audit(client: TestClient, keys: Keys, **params: Any) -> list[dict[str, Any]]:
    resp = client.get("/v1/admin/audit", headers=keys.admin, params=params)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


# ---------------------------------------------------------------- agencies


def test_editor_edits_its_agency_and_the_directory_follows(
    client: TestClient, keys: Keys, agency: dict[str, Any]
) -> None:
    aid = agency["id"]
    public = client.get(f"/v1/agencies/{aid}")
    assert public.headers["etag"] == '"1"'
    new_name = unique("周南ものづくり支援センター")
    resp = client.patch(
        f"/v1/admin/agencies/{aid}",
        headers={**keys.editor, "If-Match": public.headers["etag"]},
        json={"name": new_name, "aliases": ["ものづくりセンター"], "description": "説明"},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["name"] == new_name and body["revision"] == 2 and resp.headers["etag"] == '"2"'
    assert body["updated_at"] >= agency["updated_at"]
    # the public read and the in-memory search index see the change at once
    assert client.get(f"/v1/agencies/{aid}").json()["name"] == new_name
    assert client.get(f"/v1/agencies/{aid}").headers["etag"] == '"2"'
    found = client.get("/v1/agencies", params={"q": new_name}).json()
    assert [a["id"] for a in found["items"]] == [aid]
    # the audit entry has who, before and after
    [entry] = audit(client, keys, entity_type="agency", entity_id=aid, key_id=keys.editor_id)
    assert entry["action"] == "update" and entry["key_scope"] == "agency_editor"
    assert entry["before"]["name"] == agency["name"] and entry["after"]["name"] == new_name
    assert entry["before"]["revision"] == 1 and entry["after"]["revision"] == 2


def test_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, keys: Keys, agency: dict[str, Any]
) -> None:
    url = f"/v1/admin/agencies/{agency['id']}"
    assert client.patch(url, headers=keys.editor, json={"role_label": "一"}).status_code == 200
    resp = client.patch(url, headers={**keys.editor, "If-Match": '"1"'}, json={"role_label": "二"})
    assert_problem(resp, 412)
    assert resp.headers["etag"] == '"2"'
    current = client.get(url, headers=keys.editor)
    assert current.json()["role_label"] == "一" and current.headers["etag"] == '"2"'
    # the current ETag (or *) goes through; without If-Match the write is allowed too
    ok = client.patch(url, headers={**keys.editor, "If-Match": '"2"'}, json={"role_label": "三"})
    assert ok.status_code == 200 and ok.headers["etag"] == '"3"'
    star = client.patch(url, headers={**keys.editor, "If-Match": "*"}, json={"role_label": "四"})
    assert star.status_code == 200
    assert len(audit(client, keys, entity_type="agency", entity_id=agency["id"])) == 4


def test_agency_rights(client: TestClient, keys: Keys, agency: dict[str, Any]) -> None:
    url = f"/v1/admin/agencies/{agency['id']}"
    assert_problem(client.patch(url, headers=keys.other_editor, json={"name": "乗っ取り"}), 403)
    assert_problem(client.patch(url, headers=keys.desk, json={"name": "乗っ取り"}), 403)
    assert_problem(
        client.patch("/v1/admin/agencies/yipf", headers=keys.editor, json={"name": "x"}), 403
    )
    assert_problem(
        client.patch("/v1/admin/agencies/nobody", headers=keys.admin, json={"name": "x"}), 404
    )
    # admin-only operations
    assert_problem(
        client.put(f"{url}/roles", headers=keys.editor, json={"roles": ["finance"]}), 403
    )
    assert_problem(client.delete(url, headers=keys.editor), 403)
    assert_problem(client.post("/v1/admin/agencies", headers=keys.editor, json={"id": "x-y"}), 403)
    # an editor may not touch fields outside its list
    for body in ({"category": "x"}, {"roles": ["finance"]}, {"id": "other"}, {"name": None}):
        assert_problem(client.patch(url, headers=keys.editor, json=body), 422)
    assert client.get(url, headers=keys.desk).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "あ" * 301},
        {"description": "あ" * 4001},
        {"aliases": ["a"] * 31},
        {"aliases": "財団"},
        {"name_en": 5},
    ],
)
def test_agency_patch_validation(
    client: TestClient, keys: Keys, agency: dict[str, Any], body: dict[str, Any]
) -> None:
    resp = client.patch(f"/v1/admin/agencies/{agency['id']}", headers=keys.editor, json=body)
    assert_problem(resp, 422)


def test_admin_roles_create_and_delete(
    client: TestClient, keys: Keys, agency: dict[str, Any]
) -> None:
    aid = agency["id"]
    resp = client.put(
        f"/v1/admin/agencies/{aid}/roles",
        headers=keys.admin,
        json={"roles": ["technology", "startup"]},
    )
    # (not finance: a read test pins the exact set of finance agencies of the plan)
    assert resp.status_code == 200 and resp.json()["roles"] == ["startup", "technology"]
    tech = client.get("/v1/agencies", params={"support_type": "technology", "limit": 200}).json()
    assert aid in {a["id"] for a in tech["items"]}
    assert_problem(
        client.put(
            f"/v1/admin/agencies/{aid}/roles", headers=keys.admin, json={"roles": ["cooking"]}
        ),
        422,
    )
    assert_problem(
        client.post("/v1/admin/agencies", headers=keys.admin, json={**agency, "revision": 1}), 422
    )
    dup = {k: agency[k] for k in ("id", "name", "short_name", "category")}
    assert_problem(client.post("/v1/admin/agencies", headers=keys.admin, json=dup), 409)
    bad_id = {**dup, "id": "Bad Id!"}
    assert_problem(client.post("/v1/admin/agencies", headers=keys.admin, json=bad_id), 422)
    # an agency still referenced cannot go; an unused one can
    body = assert_problem(client.delete("/v1/admin/agencies/yipf", headers=keys.admin), 409)
    assert "窓口" in body["detail"]
    spare = new_agency(client, keys.admin)
    assert_problem(
        client.delete(
            f"/v1/admin/agencies/{spare['id']}", headers={**keys.admin, "If-Match": '"9"'}
        ),
        412,
    )
    assert client.delete(f"/v1/admin/agencies/{spare['id']}", headers=keys.admin).status_code == 204
    assert_problem(client.get(f"/v1/agencies/{spare['id']}"), 404)
    actions = [e["action"] for e in audit(client, keys, entity_id=spare["id"])]
    assert actions == ["delete", "create"]
    deleted = audit(client, keys, entity_id=spare["id"])[0]
    assert deleted["after"] is None and deleted["before"]["id"] == spare["id"]


# ---------------------------------------------------------------- contact points


def contact(agency_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": unique("test-desk"),
        "name": "テスト窓口",
        "agency_id": agency_id,
        "postal_code": "753-0077",
        "phones": [{"label": "代表", "number": "083-922-3700"}],
        "fax": "083-922-3701",
        "email": "desk@example.jp",
        "url": "https://www.example.jp/desk",
        "municipalities": ["35204"],
        **extra,
    }


def test_contact_point_lifecycle(client: TestClient, keys: Keys, agency: dict[str, Any]) -> None:
    aid = agency["id"]
    resp = client.post("/v1/admin/contact-points", headers=keys.editor, json=contact(aid))
    assert resp.status_code == 201, resp.text
    cp = resp.json()
    assert cp["municipalities"] == ["35204"] and cp["revision"] == 1
    listed = client.get("/v1/contact-points", params={"agency": aid}).json()
    assert [c["id"] for c in listed["items"]] == [cp["id"]]
    url = f"/v1/admin/contact-points/{cp['id']}"
    assert client.get(url, headers=keys.editor).headers["etag"] == '"1"'
    resp = client.patch(
        url,
        headers={**keys.editor, "If-Match": '"1"'},
        json={"hours": "平日 8:30〜17:15", "municipalities": ["35201", "35204"], "email": None},
    )
    assert resp.status_code == 200, resp.text
    patched = resp.json()
    assert patched["municipalities"] == ["35201", "35204"] and patched["email"] is None
    assert patched["revision"] == 2
    assert_problem(
        client.patch(url, headers={**keys.editor, "If-Match": '"1"'}, json={"hours": "x"}), 412
    )
    # other agencies' editors and front desks cannot touch it, nor move it away
    assert_problem(client.patch(url, headers=keys.other_editor, json={"hours": "x"}), 403)
    assert_problem(client.patch(url, headers=keys.editor, json={"agency_id": "yipf"}), 403)
    assert_problem(client.delete(url, headers=keys.desk), 403)
    assert_problem(
        client.post("/v1/admin/contact-points", headers=keys.editor, json=contact("yipf")), 403
    )
    assert client.delete(url, headers=keys.editor).status_code == 204
    assert_problem(client.get(url, headers=keys.admin), 404)
    assert [
        e["action"] for e in audit(client, keys, entity_type="contact_point", entity_id=cp["id"])
    ] == [
        "delete",
        "update",
        "create",
    ]


@pytest.mark.parametrize(
    "extra",
    [
        {"phones": [{"number": "call me"}]},
        {"fax": "12"},
        {"email": "not-an-email"},
        {"url": "javascript:alert(1)"},
        {"postal_code": "7530077"},
        {"municipalities": ["13101"]},
        {"municipalities": ["35999"]},
        {"programme_id": "no-such-programme"},
        {"name": "x" * 301},
        {"opening_hours": "always"},
        {"id": "'; DROP TABLE agency; --"},
    ],
)
def test_contact_point_validation(
    client: TestClient, keys: Keys, agency: dict[str, Any], extra: dict[str, Any]
) -> None:
    resp = client.post(
        "/v1/admin/contact-points", headers=keys.editor, json=contact(agency["id"], **extra)
    )
    assert_problem(resp, 422)


# ---------------------------------------------------------------- programmes


def programme(*operators: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": unique("test-programme"),
        "name": unique("テスト補助金"),
        "kind": "subsidy",
        "description": "テスト用の制度です。",
        "operators": list(operators),
        "actions": [6],
        "support_types": ["startup"],
        **extra,
    }


def test_programme_lifecycle(client: TestClient, keys: Keys, agency: dict[str, Any]) -> None:
    aid = agency["id"]
    # an editor registers programmes of its own agency only
    for operators in (["yipf"], [aid, "yipf"]):
        assert_problem(
            client.post("/v1/admin/programmes", headers=keys.editor, json=programme(*operators)),
            403,
        )
    resp = client.post("/v1/admin/programmes", headers=keys.editor, json=programme(aid))
    assert resp.status_code == 201, resp.text
    g = resp.json()
    assert g["operators"] == [aid] and g["actions"] == [6]
    public = client.get(f"/v1/programmes/{g['id']}")
    assert public.status_code == 200 and public.headers["etag"] == '"1"'
    found = client.get("/v1/programmes", params={"q": g["name"]}).json()
    assert [p["id"] for p in found["items"]] == [g["id"]]

    url = f"/v1/admin/programmes/{g['id']}"
    new_name = unique("テスト融資")
    resp = client.patch(
        url,
        headers={**keys.editor, "If-Match": '"1"'},
        json={"name": new_name, "kind": "loan", "actions": [12], "support_types": ["finance"]},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["actions"] == [12] and resp.json()["operators"] == [aid]
    assert client.get("/v1/programmes", params={"q": new_name}).json()["total"] == 1
    # admin makes it shared with the foundation
    shared = client.patch(url, headers=keys.admin, json={"operators": [aid, "yipf"]})
    assert shared.status_code == 200, shared.text
    # the editor may not remove or add another agency, nor name unknown ids
    assert_problem(client.patch(url, headers=keys.editor, json={"operators": [aid]}), 403)
    assert_problem(
        client.patch(url, headers=keys.editor, json={"operators": [aid, "yipf", "chuokai"]}),
        403,
    )
    assert_problem(
        client.patch(url, headers=keys.editor, json={"operators": [aid, "yipf", "ghost-x"]}), 422
    )
    assert_problem(client.patch(url, headers=keys.editor, json={"actions": [13]}), 422)
    assert_problem(client.patch(url, headers=keys.editor, json={"kind": "gift"}), 422)
    assert_problem(
        client.patch(url, headers={**keys.editor, "If-Match": '"1"'}, json={"name": "x"}), 412
    )
    # nor delete a programme another agency also runs
    assert_problem(client.delete(url, headers=keys.editor), 403)
    # the foundation's editor keeps its rights on the shared programme
    ok = client.patch(url, headers=keys.other_editor, json={"status_note": "共同運営"})
    assert ok.status_code == 200, ok.text
    # a non-operator editor cannot edit someone else's programme
    assert_problem(
        client.patch(
            "/v1/admin/programmes/business-succession-desk", headers=keys.editor, json={"name": "x"}
        ),
        403,
    )
    # the editor may take itself off; then the programme is no longer its to edit
    left = client.patch(url, headers=keys.editor, json={"operators": ["yipf"]})
    assert left.status_code == 200 and left.json()["operators"] == ["yipf"]
    assert_problem(client.patch(url, headers=keys.editor, json={"name": "x"}), 403)
    assert client.delete(url, headers=keys.admin).status_code == 204
    assert_problem(client.get(f"/v1/programmes/{g['id']}"), 404)
    entries = audit(client, keys, entity_type="programme", entity_id=g["id"])
    assert [e["action"] for e in entries][:2] == ["delete", "update"]
    assert entries[-1]["action"] == "create"


def test_an_editor_cannot_take_over_a_shared_programme(client: TestClient, engine: Engine) -> None:
    """The review's case: the centre's editor set itself as sole operator of a programme it
    shares with the foundation, and locked the foundation out."""
    itc = bearer(make_key(engine, "agency_editor", agency_id="yamaguchi-itc")[1])
    url = "/v1/admin/programmes/technology-innovation-plan-approval"
    before = client.get(url, headers=itc).json()["operators"]
    assert "yamaguchi-itc" in before and len(before) > 1
    assert_problem(client.patch(url, headers=itc, json={"operators": ["yamaguchi-itc"]}), 403)
    assert_problem(client.delete(url, headers=itc), 403)
    assert client.get(url, headers=itc).json()["operators"] == before


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_strings_are_stored_as_plain_data(
    client: TestClient, keys: Keys, agency: dict[str, Any], payload: str
) -> None:
    aid = agency["id"]
    resp = client.patch(
        f"/v1/admin/agencies/{aid}",
        headers=keys.editor,
        json={"name": payload, "short_name": payload, "description": payload, "aliases": [payload]},
    )
    assert resp.status_code == 200, resp.text
    public = client.get(f"/v1/agencies/{aid}").json()
    assert public["name"] == payload and public["description"] == payload
    assert public["aliases"] == [payload]
    cp = client.post(
        "/v1/admin/contact-points",
        headers=keys.editor,
        json=contact(aid, name=payload, address=payload, hours=payload, source=payload),
    )
    assert cp.status_code == 201, cp.text
    assert all(cp.json()[f] == payload for f in ("name", "address", "hours", "source"))
    g = client.post(
        "/v1/admin/programmes",
        headers=keys.editor,
        json=programme(aid, name=payload, description=payload, status_note=payload),
    )
    assert g.status_code == 201, g.text
    detail = client.get(f"/v1/programmes/{g.json()['id']}").json()
    assert detail["name"] == payload and detail["description"] == payload
    assert detail["contact_points"][0]["name"] == payload
    assert client.get("/v1/agencies/yipf").status_code == 200  # the table is still there
    assert client.get("/v1/agencies", params={"q": payload}).status_code == 200


def test_audit_filters_and_pagination(
    client: TestClient, keys: Keys, agency: dict[str, Any]
) -> None:
    url = f"/v1/admin/agencies/{agency['id']}"
    for n in range(3):
        assert (
            client.patch(url, headers=keys.editor, json={"role_label": f"版{n}"}).status_code == 200
        )
    page = client.get(
        "/v1/admin/audit",
        headers=keys.admin,
        params={"entity_id": agency["id"], "limit": 2, "offset": 1},
    ).json()
    assert page["total"] == 4 and len(page["items"]) == 2  # 1 create + 3 updates
    assert page["items"][0]["after"]["role_label"] == "版1"
    assert_problem(client.get("/v1/admin/audit", headers=keys.admin, params={"limit": 0}), 422)


def test_window_flags_and_programme_windows_are_admins(
    client: TestClient, keys: Keys, agency: dict[str, Any]
) -> None:
    """An editor's window may not become everyone's fallback, prefecture-wide or "confirmed", nor
    hang on another agency's programme: those put it in front of every owner."""
    for flag in ("general_fallback", "prefecture_wide", "verified"):
        body = contact(agency["id"], **{flag: True})
        assert_problem(client.post("/v1/admin/contact-points", headers=keys.editor, json=body), 403)
    foreign = contact(agency["id"], programme_id="business-succession-desk")
    assert_problem(client.post("/v1/admin/contact-points", headers=keys.editor, json=foreign), 403)
    plain = client.post("/v1/admin/contact-points", headers=keys.editor, json=contact(agency["id"]))
    assert plain.status_code == 201, plain.text
    url = f"/v1/admin/contact-points/{plain.json()['id']}"
    assert_problem(client.patch(url, headers=keys.editor, json={"verified": True}), 403)
    assert client.patch(url, headers=keys.editor, json={"verified": False}).status_code == 200
    assert client.patch(url, headers=keys.admin, json={"verified": True}).status_code == 200


def test_concurrent_deletes_delete_once(
    client: TestClient, keys: Keys, agency: dict[str, Any]
) -> None:
    """Ten parallel DELETEs with the same If-Match: one 204 and one audit entry; the others are
    told the row changed (412) or is gone (404), never a second success."""
    from concurrent.futures import ThreadPoolExecutor

    created = client.post(
        "/v1/admin/contact-points", headers=keys.admin, json=contact(agency["id"])
    ).json()
    url = f"/v1/admin/contact-points/{created['id']}"

    def delete_once(_: int) -> int:
        return client.delete(url, headers={**keys.admin, "If-Match": '"1"'}).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(delete_once, range(10)))
    assert codes.count(204) == 1, codes
    assert set(codes) <= {204, 404, 412}, codes
    entries = audit(client, keys, entity_type="contact_point", entity_id=created["id"])
    assert [e["action"] for e in entries].count("delete") == 1


def test_concurrent_creates_of_one_id_conflict_instead_of_failing(
    client: TestClient, keys: Keys, agency: dict[str, Any]
) -> None:
    """Ten parallel POSTs with the same new id: one 201, the others 409 (or 503 while SQLite's
    file is locked), never a 500."""
    from concurrent.futures import ThreadPoolExecutor

    body = programme(agency["id"])

    def create(_: int) -> int:
        return client.post("/v1/admin/programmes", headers=keys.admin, json=body).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(create, range(10)))
    assert codes.count(201) == 1, codes
    assert set(codes) <= {201, 409, 503}, codes


def test_concurrent_patches_without_if_match_all_apply(
    client: TestClient, keys: Keys, agency: dict[str, Any]
) -> None:
    """Ten parallel PATCHes without If-Match: each is applied to the revision current when it
    lands (last writer wins), so all succeed and the revision moves by ten, never a 412."""
    from concurrent.futures import ThreadPoolExecutor

    created = client.post(
        "/v1/admin/contact-points", headers=keys.admin, json=contact(agency["id"])
    ).json()
    url = f"/v1/admin/contact-points/{created['id']}"
    before = client.get(url, headers=keys.admin).json()["revision"]

    def patch(i: int) -> int:
        return client.patch(url, headers=keys.admin, json={"hours": f"平日 {i} 時から"}).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(patch, range(10)))
    assert codes == [200] * 10, codes
    after = client.get(url, headers=keys.admin).json()
    assert after["revision"] == before + 10


def test_a_lost_race_is_retried_without_if_match_and_refused_with_it() -> None:
    from app.core.concurrency import RevisionConflict, last_writer_wins

    calls: list[str | None] = []

    @last_writer_wins
    def write(if_match: str | None) -> str:
        calls.append(if_match)
        if len(calls) < 3:
            raise RevisionConflict()
        return "applied"

    assert write(None) == "applied" and len(calls) == 3
    calls.clear()
    with pytest.raises(RevisionConflict):
        write('"4"')
    assert calls == ['"4"']


def test_a_lost_race_inside_a_batch_fails_the_batch() -> None:
    """In a CSV import every row is one transaction: the conflict's rollback undid the rows
    before, so the row is not retried alone (the import answers 412 and writes nothing)."""
    from types import SimpleNamespace

    from app.core.concurrency import BATCH, RevisionConflict, last_writer_wins

    calls: list[int] = []

    @last_writer_wins
    def write(session: object, if_match: str | None) -> str:
        calls.append(1)
        raise RevisionConflict()

    with pytest.raises(RevisionConflict):
        write(SimpleNamespace(info={BATCH: True}), None)
    assert calls == [1]
