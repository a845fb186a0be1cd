"""Closed-loop referrals: creation rules, the status machine, visibility, stats, erasure."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from partners import INJECTIONS, assert_problem, bearer, make_key
from sqlalchemy.engine import Engine


class Keys:
    def __init__(self, engine: Engine) -> None:
        self.desk_id, desk = make_key(engine, "front_desk", municipality="萩市")
        self.desk = bearer(desk)
        self.other_desk = bearer(make_key(engine, "front_desk", municipality="下関市")[1])
        self.editor = bearer(make_key(engine, "agency_editor", agency_id="yamaguchi-itc")[1])
        self.other_editor = bearer(make_key(engine, "agency_editor", agency_id="yipf")[1])
        self.admin = bearer(make_key(engine, "admin")[1])


@pytest.fixture
def keys(engine: Engine) -> Keys:
    return Keys(engine)


def referral(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": "大学と共同研究して新製品を開発したい",
        "agency_id": "yamaguchi-itc",
        "municipality": "萩市",
        "consent": True,
        "enterprise_name": "株式会社萩テック",
        "enterprise_contact": "0838-00-0000",
    }
    body.update(overrides)
    return body


def create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    resp = client.post("/v1/referrals", headers=headers, json=referral(**overrides))
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_front_desk_creates_a_referral(client: TestClient, keys: Keys) -> None:
    body = create(client, keys.desk, programme_ids=["business-succession-desk"])
    assert body["status"] == "sent" and body["status_label"] == "送付済み"
    assert body["municipality_code"] == "35204" and body["agency_id"] == "yamaguchi-itc"
    assert body["programme_ids"] == ["business-succession-desk"]
    assert body["enterprise_name"] == "株式会社萩テック"
    assert body["created_by_key_id"] == keys.desk_id and body["created_by_scope"] == "front_desk"
    # the matcher's reading of the text is kept for the statistics
    assert "joint-research" in body["need_ids"]
    assert [(h["kind"], h["to_status"], h["key_id"]) for h in body["history"]] == [
        ("created", "sent", keys.desk_id)
    ]
    assert set(body["allowed_transitions"]) == {"accepted", "declined"}
    # the municipality may be given by code too
    assert create(client, keys.desk, municipality="35204")["municipality_code"] == "35204"


def test_front_desk_only_for_its_own_municipality(client: TestClient, keys: Keys) -> None:
    resp = client.post("/v1/referrals", headers=keys.desk, json=referral(municipality="下関市"))
    assert_problem(resp, 403)
    # an agency editor cannot create referrals; an admin can, for any municipality
    assert_problem(client.post("/v1/referrals", headers=keys.editor, json=referral()), 403)
    assert create(client, keys.admin, municipality="下関市")["created_by_scope"] == "admin"


def test_consent_rule(client: TestClient, keys: Keys) -> None:
    for extra in ({"enterprise_name": "株式会社A"}, {"enterprise_contact": "a@example.jp"}):
        resp = client.post(
            "/v1/referrals",
            headers=keys.desk,
            json=referral(
                **{"consent": False, "enterprise_name": None, "enterprise_contact": None, **extra}
            ),
        )
        body = assert_problem(resp, 422)
        assert "同意" in body["detail"]
    anonymous = create(
        client, keys.desk, consent=False, enterprise_name=None, enterprise_contact=None
    )
    assert anonymous["consent"] is False and anonymous["enterprise_name"] is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"text": ""},
        {"text": "あ" * 1001},
        {"agency_id": "no-such-agency"},
        {"programme_ids": ["no-such-programme"]},
        {"programme_ids": [f"p-{i:02d}" for i in range(21)]},
        {"municipality": "大阪市"},
        {"enterprise_name": "x" * 201},
        {"enterprise_contact": "x" * 201},
        {"consent": "maybe"},
        {"status": "completed"},
    ],
)
def test_bad_referrals_are_422(client: TestClient, keys: Keys, overrides: dict[str, Any]) -> None:
    assert_problem(client.post("/v1/referrals", headers=keys.desk, json=referral(**overrides)), 422)


def test_status_machine_and_history(client: TestClient, keys: Keys) -> None:
    rid = create(client, keys.desk)["id"]
    url = f"/v1/referrals/{rid}"
    # the front desk that sent it may not move it; another agency cannot even see it
    assert_problem(client.patch(url, headers=keys.desk, json={"status": "accepted"}), 403)
    assert_problem(client.patch(url, headers=keys.other_editor, json={"status": "accepted"}), 404)
    # skipping a step is a conflict that names both states
    body = assert_problem(client.patch(url, headers=keys.editor, json={"status": "completed"}), 409)
    assert "sent" in body["detail"] and "completed" in body["detail"]

    steps = [("accepted", "担当者から連絡します"), ("in_progress", None), ("completed", "解決")]
    for status, note in steps:
        resp = client.patch(url, headers=keys.editor, json={"status": status, "note": note})
        assert resp.status_code == 200, resp.text
        assert resp.json()["status"] == status
    # a finished referral cannot move any more
    body = assert_problem(
        client.patch(url, headers=keys.admin, json={"status": "in_progress"}), 409
    )
    assert "completed" in body["detail"] and "in_progress" in body["detail"]

    detail = client.get(url, headers=keys.desk).json()
    assert [(h["from_status"], h["to_status"]) for h in detail["history"]] == [
        (None, "sent"),
        ("sent", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert [h["key_scope"] for h in detail["history"]] == [
        "front_desk",
        "agency_editor",
        "agency_editor",
        "agency_editor",
    ]
    assert detail["history"][1]["note"] == "担当者から連絡します"
    assert detail["allowed_transitions"] == []


@pytest.mark.parametrize(
    "path",
    [
        ("sent", "declined"),
        ("sent", "accepted", "in_progress", "unreachable"),
        ("sent", "accepted", "in_progress", "withdrawn"),
    ],
)
def test_every_allowed_path(client: TestClient, keys: Keys, path: tuple[str, ...]) -> None:
    rid = create(client, keys.desk)["id"]
    for status in path[1:]:
        resp = client.patch(f"/v1/referrals/{rid}", headers=keys.admin, json={"status": status})
        assert resp.status_code == 200, resp.text
    assert_problem(
        client.patch(f"/v1/referrals/{rid}", headers=keys.admin, json={"status": "accepted"}), 409
    )


def test_bad_status_patch_is_422(client: TestClient, keys: Keys) -> None:
    rid = create(client, keys.desk)["id"]
    url = f"/v1/referrals/{rid}"
    for body in ({"status": "lost"}, {"status": "accepted", "note": "x" * 1001}, {"note": "x"}):
        assert_problem(client.patch(url, headers=keys.editor, json=body), 422)


def test_visibility(client: TestClient, keys: Keys) -> None:
    mine = create(client, keys.desk)["id"]
    elsewhere = create(client, keys.other_desk, municipality="下関市", agency_id="yipf")["id"]
    # another desk's referral and another agency's referral look missing, like unknown ids
    for headers, rid in (
        (keys.other_desk, mine),
        (keys.desk, elsewhere),
        (keys.other_editor, mine),
        (keys.editor, elsewhere),
        (keys.desk, 99_999_999),
    ):
        assert_problem(client.get(f"/v1/referrals/{rid}", headers=headers), 404)
        assert_problem(client.delete(f"/v1/referrals/{rid}/personal-data", headers=headers), 404)
    assert client.get(f"/v1/referrals/{mine}", headers=keys.editor).status_code == 200
    assert client.get(f"/v1/referrals/{elsewhere}", headers=keys.other_editor).status_code == 200
    for rid in (mine, elsewhere):
        assert client.get(f"/v1/referrals/{rid}", headers=keys.admin).status_code == 200

    def ids(headers: dict[str, str], **params: Any) -> set[int]:
        resp = client.get("/v1/referrals", headers=headers, params={"limit": 200, **params})
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert set(page) == {"items", "total", "limit", "offset"}
        return {r["id"] for r in page["items"]}

    assert ids(keys.desk) == {mine}
    assert elsewhere in ids(keys.other_desk) and mine not in ids(keys.other_desk)
    editor_ids = ids(keys.editor)
    assert mine in editor_ids and elsewhere not in editor_ids
    assert {mine, elsewhere} <= ids(keys.admin)
    assert ids(keys.admin, municipality="下関市") >= {elsewhere}
    assert mine not in ids(keys.admin, municipality="35201")
    assert mine not in ids(keys.admin, agency_id="yipf")


def test_list_filters(client: TestClient, engine: Engine, keys: Keys) -> None:
    desk = bearer(make_key(engine, "front_desk", municipality="萩市")[1])
    first = create(client, desk)["id"]
    second = create(client, desk)["id"]
    client.patch(f"/v1/referrals/{second}", headers=keys.editor, json={"status": "declined"})
    page = client.get("/v1/referrals", headers=desk).json()
    assert [r["id"] for r in page["items"]] == [second, first] and page["total"] == 2
    declined = client.get("/v1/referrals", headers=desk, params={"status": "declined"}).json()
    assert [r["id"] for r in declined["items"]] == [second]
    created_at = page["items"][1]["created_at"]
    later = client.get(
        "/v1/referrals", headers=desk, params={"created_from": "2999-01-01T00:00:00Z"}
    )
    assert later.json()["total"] == 0
    earlier = client.get(
        "/v1/referrals", headers=desk, params={"created_to": "2000-01-01T00:00:00"}
    )
    assert earlier.json()["total"] == 0
    since = client.get("/v1/referrals", headers=desk, params={"created_from": created_at})
    assert since.json()["total"] == 2
    assert_problem(client.get("/v1/referrals", headers=desk, params={"status": "lost"}), 422)
    assert_problem(
        client.get("/v1/referrals", headers=desk, params={"created_from": "yesterday"}), 422
    )


def test_stats_are_scoped_and_anonymous(client: TestClient, engine: Engine, keys: Keys) -> None:
    desk = bearer(make_key(engine, "front_desk", municipality="萩市")[1])
    create(client, desk)
    create(client, desk, agency_id="yipf")
    rid = create(client, desk, agency_id="yipf")["id"]
    client.patch(f"/v1/referrals/{rid}", headers=keys.admin, json={"status": "accepted"})
    stats = client.get("/v1/referrals/stats", headers=desk).json()
    assert stats["total"] == 3
    assert {c["key"]: c["count"] for c in stats["by_agency"]} == {"yipf": 2, "yamaguchi-itc": 1}
    assert {c["key"]: c["count"] for c in stats["by_status"]} == {"sent": 2, "accepted": 1}
    assert stats["by_municipality"] == [{"key": "35204", "label": "萩市", "count": 3}]
    by_need = {c["key"]: (c["label"], c["count"]) for c in stats["by_need"]}
    assert by_need["joint-research"] == ("共同研究したい", 3)
    assert "株式会社萩テック" not in str(stats) and "大学と共同研究" not in str(stats)
    # the agency sees only the referrals addressed to it
    editor_stats = client.get("/v1/referrals/stats", headers=keys.other_editor).json()
    assert {c["key"] for c in editor_stats["by_agency"]} == {"yipf"}
    assert_problem(client.get("/v1/referrals/stats"), 401)


def test_personal_data_erasure(client: TestClient, keys: Keys) -> None:
    for who in ("desk", "editor", "admin"):
        rid = create(client, keys.desk)["id"]
        resp = client.delete(f"/v1/referrals/{rid}/personal-data", headers=getattr(keys, who))
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["enterprise_name"] is None and body["enterprise_contact"] is None
        assert body["personal_data_erased_at"] is not None
        assert body["text"] and body["status"] == "sent"  # kept as an anonymous record
        assert body["history"][-1]["kind"] == "personal_data_erased"
        again = client.get(f"/v1/referrals/{rid}", headers=keys.admin).json()
        assert again["enterprise_name"] is None and again["enterprise_contact"] is None
    listed = client.get("/v1/referrals", headers=keys.desk, params={"limit": 200}).json()
    assert rid in {r["id"] for r in listed["items"]}


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_strings_come_back_as_plain_data(
    client: TestClient, keys: Keys, payload: str
) -> None:
    body = create(
        client, keys.desk, text=payload, enterprise_name=payload, enterprise_contact=payload
    )
    rid = body["id"]
    assert (body["text"], body["enterprise_name"], body["enterprise_contact"]) == (payload,) * 3
    resp = client.patch(
        f"/v1/referrals/{rid}", headers=keys.editor, json={"status": "accepted", "note": payload}
    )
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    detail = client.get(f"/v1/referrals/{rid}", headers=keys.desk).json()
    assert detail["text"] == payload and detail["history"][-1]["note"] == payload
    assert client.get("/v1/agencies/yipf").status_code == 200  # the table is still there


def test_etag_and_if_match_on_status_changes(client: TestClient, keys: Keys) -> None:
    created = client.post("/v1/referrals", headers=keys.desk, json=referral())
    assert created.headers["ETag"] == '"1"' and created.json()["revision"] == 1
    url = f"/v1/referrals/{created.json()['id']}"
    assert client.get(url, headers=keys.editor).headers["ETag"] == '"1"'

    stale = client.patch(
        url, headers={**keys.editor, "If-Match": '"0"'}, json={"status": "accepted"}
    )
    body = assert_problem(stale, 412)
    assert "ETag" in body["detail"] and stale.headers["ETag"] == '"1"'
    unchanged = client.get(url, headers=keys.editor).json()
    assert unchanged["status"] == "sent" and len(unchanged["history"]) == 1

    ok = client.patch(url, headers={**keys.editor, "If-Match": '"1"'}, json={"status": "accepted"})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"' and ok.json()["revision"] == 2
    # the declined that raced against it, sent with the ETag both clients read, loses
    late = client.patch(
        url, headers={**keys.editor, "If-Match": '"1"'}, json={"status": "declined"}
    )
    assert late.status_code in (409, 412)
    erased = client.delete(f"{url}/personal-data", headers=keys.desk)
    assert erased.headers["ETag"] == '"3"'


def test_guarded_update_lets_one_of_two_concurrent_writers_win(
    client: TestClient, engine: Engine, keys: Keys
) -> None:
    from sqlmodel import Session

    from app.core.concurrency import claim_revision
    from app.core.errors import ApiError
    from app.models import Referral

    rid = create(client, keys.desk)["id"]
    with Session(engine) as first, Session(engine) as second:
        mine, theirs = first.get(Referral, rid), second.get(Referral, rid)
        assert mine is not None and theirs is not None
        claim_revision(first, Referral, mine, 1)
        first.commit()
        with pytest.raises(ApiError) as refused:
            claim_revision(second, Referral, theirs, 1)
        assert refused.value.status == 412
    assert client.get(f"/v1/referrals/{rid}", headers=keys.admin).json()["revision"] == 2


def _referrals_csv(client: TestClient, headers: dict[str, str], **params: Any) -> list[list[str]]:
    import csv
    import io

    resp = client.get("/v1/exports/referrals.csv", headers=headers, params=params)
    assert resp.status_code == 200, resp.text
    assert resp.content.startswith("\ufeff".encode())
    assert "filename*=UTF-8''%E7%B4%B9%E4%BB%8B.csv" in resp.headers["content-disposition"]
    return list(csv.reader(io.StringIO(resp.content.decode("utf-8")[1:], newline="")))


def test_referral_csv_is_scoped_like_the_api(client: TestClient, engine: Engine) -> None:
    desk = bearer(make_key(engine, "front_desk", municipality="長門市")[1])
    other_desk = bearer(make_key(engine, "front_desk", municipality="長門市")[1])
    editor = bearer(make_key(engine, "agency_editor", agency_id="yamaguchi-itc")[1])
    kept = create(client, desk, municipality="長門市", enterprise_name="長門精工")["id"]
    erased = create(client, desk, municipality="長門市", agency_id="yipf")["id"]
    client.delete(f"/v1/referrals/{erased}/personal-data", headers=desk)
    create(client, other_desk, municipality="長門市", enterprise_name="他の窓口の事業者")

    rows = _referrals_csv(client, desk)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["紹介ID", "状態", "作成日時（日本時間）"]
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in body}
    assert set(by_id) == {kept, erased}  # not the other desk's referral
    row = by_id[kept]
    assert row["状態"] == "送付済み（sent）" and row["市町"] == "長門市"
    assert row["紹介先機関名"] == "地方独立行政法人山口県産業技術センター"
    assert row["事業者名"] == "長門精工" and row["同意"] == "○"
    assert "共同研究したい" in row["ニーズ"]
    assert len(row["作成日時（日本時間）"]) == len("2026-11-28 10:15")
    assert by_id[erased]["事業者名"] == "" and by_id[erased]["個人情報削除日時（日本時間）"]
    assert "他の窓口の事業者" not in str(rows)

    # the agency sees what was addressed to it; filters narrow as in GET /v1/referrals
    editor_ids = {int(r[0]) for r in _referrals_csv(client, editor)[1:]}
    assert kept in editor_ids and erased not in editor_ids
    sent_only = _referrals_csv(client, desk, status="accepted")
    assert sent_only[1:] == []
    assert_problem(client.get("/v1/exports/referrals.csv"), 401)


def test_idempotency_key_makes_a_retry_safe(client: TestClient, engine: Engine) -> None:
    desk = bearer(make_key(engine, "front_desk", municipality="萩市")[1])
    other_desk = bearer(make_key(engine, "front_desk", municipality="萩市")[1])
    key = {"Idempotency-Key": "retry-0001"}
    first = client.post("/v1/referrals", headers={**desk, **key}, json=referral())
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = client.post("/v1/referrals", headers={**desk, **key}, json=referral())
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    listed = client.get("/v1/referrals", headers=desk, params={"limit": 200}).json()
    assert [r["id"] for r in listed["items"]].count(first.json()["id"]) == 1
    assert listed["total"] == 1  # the retry created nothing

    # the same key with other content is a client error, and writes nothing
    body = assert_problem(
        client.post("/v1/referrals", headers={**desk, **key}, json=referral(text="別の相談")), 409
    )
    assert "Idempotency-Key" in body["detail"]
    assert client.get("/v1/referrals", headers=desk).json()["total"] == 1
    # keys are per API key: another desk's identical key is its own referral
    theirs = client.post("/v1/referrals", headers={**other_desk, **key}, json=referral())
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    # without a key every post is a new referral, as before
    assert create(client, desk)["id"] != first.json()["id"]
    for bad in ("x" * 101, " ", "two words"):
        headers = {**desk, "Idempotency-Key": bad}
        assert_problem(client.post("/v1/referrals", headers=headers, json=referral()), 422)


def test_a_concurrent_retry_that_loses_the_insert_race_gets_the_winner(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlmodel import Session

    from app.schemas.referrals import ReferralCreate
    from app.services import access
    from app.services import referrals as service

    key_id, secret = make_key(engine, "front_desk", municipality="萩市")
    headers = {**bearer(secret), "Idempotency-Key": "race-0001"}
    winner = client.post("/v1/referrals", headers=headers, json=referral())
    assert winner.status_code == 201
    # the loser looked before the winner's commit was visible: its lookup found nothing
    real_replay = service._replay
    calls: list[int] = []

    def late_replay(*args: Any) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else real_replay(*args)

    monkeypatch.setattr(service, "_replay", late_replay)
    with Session(engine) as session:
        principal = access.authenticate(session, secret, None)
        assert principal is not None and principal.key_id == key_id
        out, replayed = service.create_referral(
            session, principal, ReferralCreate(**referral()), None, "race-0001"
        )
    assert replayed and out.id == winner.json()["id"] and len(calls) == 2
    assert client.get("/v1/referrals", headers=bearer(secret)).json()["total"] == 1


PERSONAL_TEXT = "山田太郎です。萩市椿東1234-5、090-1111-2222 に連絡を。大学と共同研究したい"
PERSONAL_NOTE = "山田様（taro.yamada@example.jp）に連絡済み"
PERSONAL_STRINGS = ("山田", "太郎", "椿東", "1234-5", "090-1111", "taro.yamada", "example.jp")


def _assert_masked(text: str) -> None:
    for personal in PERSONAL_STRINGS:
        assert personal not in text, text


def test_erasure_also_masks_what_was_typed_into_the_text_and_the_notes(
    client: TestClient, keys: Keys
) -> None:
    rid = create(client, keys.desk, text=PERSONAL_TEXT)["id"]
    url = f"/v1/referrals/{rid}"
    changed = client.patch(
        url, headers=keys.editor, json={"status": "accepted", "note": PERSONAL_NOTE}
    )
    assert changed.status_code == 200, changed.text
    kept = client.get(url, headers=keys.desk).json()  # consent given: kept as typed until erased
    assert kept["text"] == PERSONAL_TEXT and kept["history"][-1]["note"] == PERSONAL_NOTE

    assert client.delete(f"{url}/personal-data", headers=keys.desk).status_code == 200
    erased = client.get(url, headers=keys.admin).json()
    _assert_masked(erased["text"])
    assert "〈氏名〉" in erased["text"] and "〈住所〉" in erased["text"]
    assert "〈電話番号〉" in erased["text"] and "共同研究" in erased["text"]
    notes = [event["note"] for event in erased["history"] if event["note"]]
    assert notes and all("〈メール〉" in note for note in notes)
    for note in notes:
        _assert_masked(note)
    csv_text = "\n".join(",".join(row) for row in _referrals_csv(client, keys.desk))
    _assert_masked(csv_text)


def test_without_consent_personal_data_is_masked_before_it_is_stored(
    client: TestClient, keys: Keys
) -> None:
    created = create(
        client,
        keys.desk,
        text=PERSONAL_TEXT,
        consent=False,
        enterprise_name=None,
        enterprise_contact=None,
    )
    _assert_masked(created["text"])
    assert "共同研究" in created["text"]
    url = f"/v1/referrals/{created['id']}"
    changed = client.patch(
        url, headers=keys.editor, json={"status": "accepted", "note": PERSONAL_NOTE}
    )
    assert changed.status_code == 200
    _assert_masked(changed.json()["history"][-1]["note"])


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {
            "consent": False,
            "enterprise_name": None,
            "enterprise_contact": None,
            "text": "山田太郎です。090-1234-5678 に連絡ください。融資の相談",
        },
        {"municipality": "35204", "programme_ids": ["startup-consultation"]},
    ],
)
def test_the_created_referral_is_what_is_stored(
    client: TestClient, keys: Keys, overrides: dict[str, Any]
) -> None:
    """The answer to a creation is built from what was written, without reading it back: it
    must be exactly what a GET of the stored referral gives."""
    created = create(client, keys.desk, **overrides)
    stored = client.get(f"/v1/referrals/{created['id']}", headers=keys.desk).json()
    assert created == stored
    assert created["municipality_name"] == "萩市" and created["agency_name"]


def test_a_referral_to_an_agency_created_on_another_worker_is_accepted(
    client: TestClient, engine: Engine, keys: Keys
) -> None:
    """An agency this worker's snapshot does not know yet is looked up in the database."""
    from sqlmodel import Session

    from app.models import Agency

    with Session(engine) as session:  # written behind the API's back: no version bump
        session.add(
            Agency(
                id="agency-behind-the-snapshot",
                name="スナップショット外の機関",
                short_name="外の機関",
                category="support_organisation",
                source_section="テスト",
            )
        )
        session.commit()
    created = create(client, keys.desk, agency_id="agency-behind-the-snapshot")
    assert created["agency_name"] == "スナップショット外の機関"
    assert_problem(
        client.post("/v1/referrals", headers=keys.desk, json=referral(agency_id="no-such")), 422
    )


def test_the_needs_kept_with_a_referral_are_those_of_the_match(client: TestClient) -> None:
    """need_ids_of runs only the first stages of match_need: for every development utterance
    (negations, the classifier's guesses, English, vague and private texts) it must give the
    needs /v1/match gives."""
    from app.core.config import PROJECT_ROOT
    from app.matching.evaluate import load_utterances
    from app.services.matching import need_ids_of, run_match

    app: Any = client.app
    directory = app.state.directory_cache.get()
    texts = [u.text for u in load_utterances(PROJECT_ROOT / "seed/eval/dev-2026-12.yaml")]
    texts += ["融資は必要ないが技術の相談をしたい", "I want a loan", "相談したい", "子どもの学校"]
    assert len(texts) > 20
    for text in texts:
        match = run_match(directory, text, None, 5)
        assert need_ids_of(directory, text) == [n.id for n in match.needs if not n.negated], text
