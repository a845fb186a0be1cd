"""An edit of a programme or a contact point reaches the in-memory directory by reading only
those rows again (a fraction of a second with 100k contact points, not a full rebuild); the
patched directory must be the one a full build gives."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from partners import bearer, make_key, unique
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import AuditEntry
from app.services.listings import ProgrammeFilter, ServiceFilter
from app.services.snapshot import Directory, build_directory, edits_since, read_version


def current(client: TestClient) -> Directory:
    directory: Directory = client.app.state.directory_cache.get()  # type: ignore[attr-defined]
    return directory


LISTS: list[tuple[str, Any]] = [
    ("programmes", (200, 0, ProgrammeFilter())),
    ("programmes", (200, 0, ProgrammeFilter(agency="yipf"))),
    ("programmes", (200, 0, ProgrammeFilter(agency="chuokai", q="パッチ確認"))),
    ("programmes", (200, 0, ProgrammeFilter(action=12, kind="loan"))),
    ("contact_points", (200, 0, "yipf", None)),
    ("contact_points", (200, 0, None, "35201")),
    ("contact_points", (200, 0, None, "35204")),
    ("services", (1, 200, ServiceFilter())),
    ("services", (1, 200, ServiceFilter(agency="chuokai"))),
]


def assert_same_as_a_full_build(client: TestClient, engine: Engine) -> Directory:
    served = current(client)
    with Session(engine) as session:
        built = build_directory(session, [])
    assert served.snapshot.version == built.snapshot.version
    assert served.snapshot.programmes == built.snapshot.programmes
    assert served.snapshot.contact_points == built.snapshot.contact_points
    for word in ("資金", "パッチ確認", "相談"):
        assert served.programme_index.search(word) == built.programme_index.search(word)
    # and the lists they serve, body for body (so ETag for ETag)
    for method, args in LISTS:
        mine = getattr(served.listings, method)(*args)
        theirs = getattr(built.listings, method)(*args)
        assert mine == theirs, (method, args)
    return served


def test_programme_and_contact_point_edits_patch_the_directory(
    client: TestClient, engine: Engine
) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    programme: dict[str, Any] = {
        "id": unique("patch-programme"),
        "name": unique("パッチ確認の補助金"),
        "kind": "subsidy",
        "description": "行単位の更新の確認用です。",
        "operators": ["yipf"],
        "actions": [6],
        "support_types": ["startup"],
    }
    assert client.post("/v1/admin/programmes", headers=admin, json=programme).status_code == 201
    served = assert_same_as_a_full_build(client, engine)
    assert served.patched
    url = f"/v1/admin/programmes/{programme['id']}"
    edit = {
        "name": unique("パッチ確認の融資"),
        "kind": "loan",
        "actions": [12],
        "aliases": ["別名"],
    }
    assert client.patch(url, headers=admin, json=edit).status_code == 200
    served = assert_same_as_a_full_build(client, engine)
    assert served.patched and served.snapshot.programmes[programme["id"]].kind == "loan"
    found = client.get("/v1/programmes", params={"q": "別名"}).json()["items"]
    assert programme["id"] in [p["id"] for p in found]

    desk = {
        "id": unique("patch-desk"),
        "name": "パッチ確認窓口",
        "agency_id": "yipf",
        "phones": [{"label": "代表", "number": "083-922-3700"}],
        "municipalities": ["35204"],
    }
    assert client.post("/v1/admin/contact-points", headers=admin, json=desk).status_code == 201
    desk_url = f"/v1/admin/contact-points/{desk['id']}"
    moved = {"municipalities": ["35201"], "hours": "平日 9:00〜17:00"}
    assert client.patch(desk_url, headers=admin, json=moved).status_code == 200
    served = assert_same_as_a_full_build(client, engine)
    assert served.patched
    hagi = client.get("/v1/contact-points", params={"municipality": "萩市", "limit": 200}).json()
    assert desk["id"] not in [c["id"] for c in hagi["items"]]
    assert client.delete(desk_url, headers=admin).status_code == 204
    served = assert_same_as_a_full_build(client, engine)
    assert served.patched and desk["id"] not in {c.id for c in served.snapshot.contact_points}


def test_other_edits_and_unknown_versions_rebuild_everything(
    client: TestClient, engine: Engine
) -> None:
    admin = bearer(make_key(engine, "admin")[1])
    agency = {
        "id": unique("patch-agency"),
        "name": unique("パッチ確認機関"),
        "short_name": "確認機関",
        "category": "support_organisation",
        "roles": ["growth"],
    }
    assert client.post("/v1/admin/agencies", headers=admin, json=agency).status_code == 201
    served = assert_same_as_a_full_build(client, engine)
    assert not served.patched  # an agency edit is not applied row by row
    with Session(engine) as session:
        version = read_version(session)
        # a version with no audit entry (seeding, a bulk load) is not known: rebuild
        assert edits_since(session, version - 1, version) is None  # the agency edit
        assert edits_since(session, version, version + 1) is None
        assert edits_since(session, version, version) is None
        # a gap: an audit entry for the version after next, none for the next
        gap = AuditEntry(
            key_prefix="test",
            key_scope="admin",
            action="update",
            entity_type="programme",
            entity_id="no-such-programme",
            directory_version=version + 2,
        )
        session.add(gap)
        session.commit()
        try:
            assert edits_since(session, version, version + 2) is None
            assert edits_since(session, version + 1, version + 2) == {
                "programme": {"no-such-programme"}
            }
        finally:
            session.delete(gap)
            session.commit()


def test_a_patch_keeps_the_agency_lists_of_its_snapshot(client: TestClient, engine: Engine) -> None:
    """The agency-level lists of a patched generation are those of the generation it patches:
    an agency written behind the API's back (no version of its own) does not show up in
    /v1/agencies while the snapshot, and so every agency filter, does not know it."""
    from app.models import Agency

    hidden = unique("agency-behind-the-back")
    with Session(engine) as session:
        session.add(
            Agency(
                id=hidden,
                name="裏から書かれた機関",
                short_name="裏の機関",
                category="support_organisation",
                source_section="テスト",
            )
        )
        session.commit()
    admin = bearer(make_key(engine, "admin")[1])
    programme = {
        "id": unique("patch-agency-lists"),
        "name": unique("一覧の一貫性確認"),
        "kind": "subsidy",
        "description": "一覧の一貫性の確認用です。",
        "operators": ["yipf"],
        "actions": [6],
        "support_types": ["startup"],
    }
    try:
        resp = client.post("/v1/admin/programmes", headers=admin, json=programme)
        assert resp.status_code == 201
        assert current(client).patched
        listed = client.get("/v1/agencies", params={"limit": 200}).json()["items"]
        assert hidden not in [a["id"] for a in listed]
        for agency in listed:
            resp = client.get("/v1/contact-points", params={"agency": agency["id"]})
            assert resp.status_code == 200, agency["id"]
    finally:  # gone again, as unseen as it came: the other tests compare the database's lists
        with Session(engine) as session:
            row = session.get(Agency, hidden)
            assert row is not None
            session.delete(row)
            session.commit()
