"""Editing the matcher rules and the lexicon: rights, validation, ETag, the publish gate,
dry-run, audit entries, and the matcher following every write."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from partners import assert_problem, bearer, make_key, unique
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.matching.evaluate import THRESHOLDS
from app.matching.rules import vague_term_id
from app.models import LexiconEntry, MatcherRule
from app.seeding.database import bump_directory_version, load_rules_into_database
from app.seeding.loader import SeedBundle, SeedError, read_seed
from app.services.snapshot import read_version

SEED = Path(__file__).resolve().parents[1] / "seed"

# An over-broad pattern: every vague request ("相談したい") would become a loan request, so the
# clarification rate of the labelled set drops below its threshold.
BREAKING_PATCH = {"patterns": ["相談"]}


@pytest.fixture(autouse=True)
def restore_rules(engine: Engine) -> Iterator[None]:
    """The database is shared by the whole session: put every rule and entry back as it was."""
    with Session(engine) as session:
        rules = [r.model_dump() for r in session.exec(select(MatcherRule))]
        entries = [e.model_dump() for e in session.exec(select(LexiconEntry))]
    yield
    with Session(engine) as session:
        session.execute(delete(MatcherRule))
        session.execute(delete(LexiconEntry))
        session.add_all(MatcherRule(**r) for r in rules)
        session.add_all(LexiconEntry(**e) for e in entries)
        bump_directory_version(session)
        session.commit()


class Keys:
    def __init__(self, engine: Engine) -> None:
        self.admin_id, secret = make_key(engine, "admin")
        self.admin = bearer(secret)
        self.editor = bearer(make_key(engine, "agency_editor", agency_id="yipf")[1])
        self.desk = bearer(make_key(engine, "front_desk", municipality="萩市")[1])


@pytest.fixture
def keys(engine: Engine) -> Keys:
    return Keys(engine)


def match(client: TestClient, text: str) -> dict[str, Any]:
    resp = client.post("/v1/match", json={"text": text})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def rule_ids_of(result: dict[str, Any]) -> set[str]:
    return {e["rule_id"] for need in result["needs"] for e in need["evidence"]}


def audit(client: TestClient, keys: Keys, **params: Any) -> list[dict[str, Any]]:
    resp = client.get("/v1/admin/audit", headers=keys.admin, params=params)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def rule_id() -> str:
    return "testing." + unique("gacha")


# ---------------------------------------------------------------- seeding


def test_seeded_rules_equal_the_files(engine: Engine) -> None:
    files = sorted((SEED / "rules").glob("*.yaml"))
    expected = [
        (path.stem, body)
        for path in files
        for body in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
    ]
    lexicon = yaml.safe_load((SEED / "lexicon.yaml").read_text(encoding="utf-8"))
    with Session(engine) as session:
        rows = {r.id: r for r in session.exec(select(MatcherRule))}
        entries = {(e.kind, e.id): e for e in session.exec(select(LexiconEntry))}
    assert len(rows) == len(expected) >= 50
    assert set(rows) == {body["id"] for _, body in expected}
    for theme, body in expected:
        assert (rows[body["id"]].theme, rows[body["id"]].body) == (theme, body)
    for kind in ("synonyms", "negation_cues", "clarifying_questions"):
        for position, entry in enumerate(lexicon[kind]):
            row = entries[(kind, entry["id"])]
            assert (row.position, row.body) == (position, entry)
    for term in lexicon["vague_terms"]:
        assert entries[("vague_terms", vague_term_id(term))].body == {"term": term}
    assert len(entries) == sum(len(lexicon[k]) for k in lexicon)


def test_reseeding_is_idempotent_and_restores_edited_rules(
    engine: Engine, seed_bundle: SeedBundle
) -> None:
    with Session(engine) as session:
        row = session.get(MatcherRule, "finance.loan")
        assert row is not None and row.revision == 1
        original = dict(row.body)
        row.body = {**original, "weight": 0.1}
        session.add(row)
        session.commit()
    for _ in range(2):
        with Session(engine) as session:
            load_rules_into_database(session, seed_bundle)
            session.commit()
    with Session(engine) as session:
        row = session.get(MatcherRule, "finance.loan")
        assert row is not None and row.body == original and row.revision == 2
        others = session.exec(select(MatcherRule).where(MatcherRule.id != "finance.loan"))
        assert {r.revision for r in others} == {1}
        assert {e.revision for e in session.exec(select(LexiconEntry))} == {1}


def _edit_yaml(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "change", "parts"),
    [
        (
            "rules/finance.yaml",
            lambda d: d["rules"][0].update(weight=3),
            ["finance.yaml", "finance.loan", "field weight"],
        ),
        (
            "rules/finance.yaml",
            lambda d: d["rules"][0].update(programmes=["ghost-programme"]),
            ["finance.yaml", "finance.loan", "field programmes", "ghost-programme"],
        ),
        (
            "lexicon.yaml",
            lambda d: d["synonyms"][0].update(variants=[]),
            ["lexicon.yaml", "money", "variants"],
        ),
        (
            "lexicon.yaml",
            lambda d: d["vague_terms"].append(d["vague_terms"][0]),
            ["lexicon.yaml", "vague_terms", "duplicate"],
        ),
    ],
)
def test_seed_check_validates_rules_and_lexicon(
    tmp_path: Path, file: str, change: Any, parts: list[str]
) -> None:
    seed = tmp_path / "seed"
    shutil.copytree(SEED, seed)
    _edit_yaml(seed / file, change)
    with pytest.raises(SeedError) as err:
        read_seed(seed)
    for part in parts:
        assert part in str(err.value), str(err.value)


def test_the_matcher_reads_the_database(client: TestClient, keys: Keys) -> None:
    resp = client.get("/v1/admin/rules", headers=keys.admin, params={"limit": 200})
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert page["total"] >= 50 and len(page["items"]) == page["total"]
    assert {"finance.loan", "technology.joint-research"} <= {r["id"] for r in page["items"]}
    assert "technology.joint-research" in rule_ids_of(match(client, "大学と共同研究したい"))


# ---------------------------------------------------------------- reading


def test_list_filters_and_get_with_etag(client: TestClient, keys: Keys) -> None:
    by_theme = client.get("/v1/admin/rules", headers=keys.admin, params={"theme": "technology"})
    assert by_theme.status_code == 200
    assert by_theme.json()["total"] >= 3
    assert {r["theme"] for r in by_theme.json()["items"]} == {"technology"}
    positions = [r["position"] for r in by_theme.json()["items"]]
    assert positions == sorted(positions)
    by_need = client.get("/v1/admin/rules", headers=keys.admin, params={"need": "joint-research"})
    assert {r["rule"]["need"] for r in by_need.json()["items"]} == {"joint-research"}
    by_q = client.get("/v1/admin/rules", headers=keys.admin, params={"q": "共同研究"})
    assert "technology.joint-research" in {r["id"] for r in by_q.json()["items"]}

    one = client.get("/v1/admin/rules/technology.joint-research", headers=keys.admin)
    assert one.status_code == 200
    body = one.json()
    assert set(body) == {"id", "theme", "position", "revision", "rule"}
    assert body["theme"] == "technology" and body["rule"]["need"] == "joint-research"
    assert one.headers["etag"] == f'"{body["revision"]}"'
    assert_problem(client.get("/v1/admin/rules/finance.nothing", headers=keys.admin), 404)

    lex = client.get("/v1/admin/lexicon", headers=keys.admin, params={"kind": "synonyms"})
    assert lex.status_code == 200
    assert {e["kind"] for e in lex.json()["items"]} == {"synonyms"}
    entry = client.get("/v1/admin/lexicon/synonyms/borrow", headers=keys.admin)
    assert entry.status_code == 200 and entry.json()["entry"]["canonical"] == "融資"
    assert entry.headers["etag"] == f'"{entry.json()["revision"]}"'
    vague = client.get(f"/v1/admin/lexicon/vague_terms/{vague_term_id('相談')}", headers=keys.admin)
    assert vague.status_code == 200 and vague.json()["entry"] == {"term": "相談"}
    assert_problem(client.get("/v1/admin/lexicon/colours/red", headers=keys.admin), 422)


# ---------------------------------------------------------------- rights


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("GET", "/v1/admin/rules", None),
        ("GET", "/v1/admin/rules/finance.loan", None),
        ("POST", "/v1/admin/rules", {"theme": "testing", "rule": {}}),
        ("PATCH", "/v1/admin/rules/finance.loan", {"weight": 0.5}),
        ("DELETE", "/v1/admin/rules/finance.loan", None),
        ("POST", "/v1/admin/rules/dry-run", {"changes": [], "texts": []}),
        ("GET", "/v1/admin/lexicon", None),
        ("POST", "/v1/admin/lexicon", {"kind": "vague_terms", "entry": {"term": "x"}}),
        ("PATCH", "/v1/admin/lexicon/synonyms/borrow", {"variants": ["借入"]}),
        ("DELETE", "/v1/admin/lexicon/synonyms/borrow", None),
    ],
)
def test_only_admin_keys_may_read_or_edit_rules(
    client: TestClient, keys: Keys, method: str, path: str, json: Any
) -> None:
    assert_problem(client.request(method, path, json=json), 401)
    assert_problem(client.request(method, path, json=json, headers=bearer("nope")), 401)
    assert_problem(client.request(method, path, json=json, headers=keys.editor), 403)
    assert_problem(client.request(method, path, json=json, headers=keys.desk), 403)
    # nothing changed
    assert client.get("/v1/admin/rules/finance.loan", headers=keys.admin).json()["revision"] == 1
    assert (
        client.get("/v1/admin/lexicon/synonyms/borrow", headers=keys.admin).json()["revision"] == 1
    )


# ---------------------------------------------------------------- round trip


def test_rule_round_trip_changes_the_match(client: TestClient, keys: Keys) -> None:
    rid = rule_id()
    assert not match(client, "ガチャガチャを作りたい")["matched"]
    created = client.post(
        "/v1/admin/rules",
        headers=keys.admin,
        json={
            "theme": "testing",
            "rule": {
                "id": rid,
                "need": "new-product-development",
                "description": "カプセル玩具の商品開発",
                "patterns": ["ガチャガチャ"],
                "programmes": ["new-product-fair"],
                "weight": 0.8,
            },
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] == rid and body["theme"] == "testing" and body["revision"] == 1
    assert body["rule"]["patterns"] == ["ガチャガチャ"]
    assert created.headers["etag"] == '"1"'
    evaluation = body["evaluation"]
    assert evaluation["broken"] == [] and evaluation["forced"] is False
    assert set(evaluation["candidate"]) == set(THRESHOLDS) == set(evaluation["thresholds"])
    assert evaluation["elapsed_ms"] > 0

    # the new rule matches at once (every write bumps the directory version)
    result = match(client, "ガチャガチャを作りたい")
    assert result["matched"] and rid in rule_ids_of(result)
    assert "new-product-fair" in {p["id"] for p in result["programmes"]}
    assert not match(client, "ガチャポン")["matched"]

    # add a pattern: a text only that pattern matches now gives this rule
    etag = client.get(f"/v1/admin/rules/{rid}", headers=keys.admin).headers["etag"]
    patched = client.patch(
        f"/v1/admin/rules/{rid}",
        headers={**keys.admin, "If-Match": etag},
        json={"patterns": ["ガチャガチャ", "ガチャポン"], "description": None},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["revision"] == 2 and patched.headers["etag"] == '"2"'
    assert patched.json()["rule"]["patterns"] == ["ガチャガチャ", "ガチャポン"]
    assert "description" not in patched.json()["rule"]
    assert patched.json()["rule"]["weight"] == 0.8  # untouched fields stay
    assert "evaluation" in patched.json()
    assert rid in rule_ids_of(match(client, "ガチャポン"))

    # delete it: it no longer matches
    deleted = client.delete(f"/v1/admin/rules/{rid}", headers={**keys.admin, "If-Match": '"2"'})
    assert deleted.status_code == 204, deleted.text
    assert not match(client, "ガチャポン")["matched"]
    assert not match(client, "ガチャガチャを作りたい")["matched"]
    assert_problem(client.get(f"/v1/admin/rules/{rid}", headers=keys.admin), 404)

    entries = audit(client, keys, entity_type="matcher_rule", entity_id=rid)
    assert [e["action"] for e in entries] == ["delete", "update", "create"]
    delete_entry, update_entry, create_entry = entries
    assert create_entry["before"] is None and create_entry["after"]["rule"]["id"] == rid
    assert update_entry["before"]["rule"]["patterns"] == ["ガチャガチャ"]
    assert update_entry["after"]["rule"]["patterns"] == ["ガチャガチャ", "ガチャポン"]
    assert delete_entry["after"] is None and delete_entry["before"]["revision"] == 2
    assert all(e["key_id"] == keys.admin_id for e in entries)


def test_patch_can_move_a_rule_to_another_theme(client: TestClient, keys: Keys) -> None:
    resp = client.patch(
        "/v1/admin/rules/technology.testing", headers=keys.admin, json={"theme": "testing"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["theme"] == "testing" and resp.json()["position"] == 0
    listed = client.get("/v1/admin/rules", headers=keys.admin, params={"theme": "testing"})
    assert [r["id"] for r in listed.json()["items"]] == ["technology.testing"]


def test_stale_if_match_is_412_and_changes_nothing(client: TestClient, keys: Keys) -> None:
    before = client.get("/v1/admin/rules/finance.loan", headers=keys.admin).json()
    stale = {**keys.admin, "If-Match": '"999"'}
    resp = client.patch("/v1/admin/rules/finance.loan", headers=stale, json={"weight": 0.5})
    assert_problem(resp, 412)
    assert resp.headers["etag"] == f'"{before["revision"]}"'
    assert_problem(client.delete("/v1/admin/rules/finance.loan", headers=stale), 412)
    resp = client.patch(
        "/v1/admin/lexicon/synonyms/borrow", headers=stale, json={"variants": ["借入"]}
    )
    assert_problem(resp, 412)
    assert_problem(client.delete("/v1/admin/lexicon/synonyms/borrow", headers=stale), 412)
    assert client.get("/v1/admin/rules/finance.loan", headers=keys.admin).json() == before


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight": 3}, "weight"),
        ({"patterns": []}, "patterns"),
        ({"need": "Not A Slug"}, "need"),
        ({"negation": "maybe"}, "negation"),
        ({"wieght": 0.5}, "wieght"),
        ({"id": "finance.other"}, "id"),
        ({"need": None}, "need"),
        ({"patterns": [{"regex": "ローン[0-9"}]}, "patterns.0.regex"),
        ({"patterns": ["融資", {"regex": "融資(?!制度)"}]}, "patterns.1.regex"),
        ({"patterns": ["融資", "ばかり"]}, "patterns.1"),
        ({"need": "no-such-need"}, "need"),
        ({"programmes": ["ghost-programme"]}, "programmes"),
        ({"agency_boosts": {"ghost-agency": 0.5}}, "agency_boosts"),
        ({"theme": "Bad Theme"}, "theme"),
    ],
)
def test_invalid_patch_is_422_naming_the_field(
    client: TestClient, keys: Keys, change: dict[str, Any], field: str
) -> None:
    resp = client.patch("/v1/admin/rules/finance.loan", headers=keys.admin, json=change)
    body = assert_problem(resp, 422)
    assert field in body["detail"], body["detail"]
    assert client.get("/v1/admin/rules/finance.loan", headers=keys.admin).json()["revision"] == 1


def test_invalid_or_unknown_references_on_create_are_422(client: TestClient, keys: Keys) -> None:
    base = {"id": rule_id(), "need": "loan", "patterns": ["ガチャガチャ"]}
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({**base, "programmes": ["ghost-programme"]}, ["programmes", "ghost-programme"]),
        ({**base, "need": "no-such-need"}, ["need", "no-such-need"]),
        ({**base, "actions": [13]}, ["actions"]),
        ({**base, "weight": 0}, ["weight"]),
        ({**base, "id": "NoDots"}, ["id"]),
        ({k: v for k, v in base.items() if k != "patterns"}, ["patterns"]),
    ]
    for rule, parts in cases:
        resp = client.post(
            "/v1/admin/rules", headers=keys.admin, json={"theme": "testing", "rule": rule}
        )
        body = assert_problem(resp, 422)
        for part in parts:
            assert part in body["detail"], body["detail"]
    assert_problem(client.post("/v1/admin/rules", headers=keys.admin, json={"rule": base}), 422)
    duplicate = {"theme": "finance", "rule": {**base, "id": "finance.loan"}}
    assert_problem(client.post("/v1/admin/rules", headers=keys.admin, json=duplicate), 409)
    listed = client.get("/v1/admin/rules", headers=keys.admin, params={"theme": "testing"})
    assert listed.json()["total"] == 0


# ---------------------------------------------------------------- the publish gate


def test_a_change_that_breaks_a_metric_is_refused_unless_forced(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    assert match(client, "相談したい")["clarifying_questions"]
    with Session(engine) as session:
        version = read_version(session)
    resp = client.patch("/v1/admin/rules/finance.loan", headers=keys.admin, json=BREAKING_PATCH)
    body = assert_problem(resp, 409)
    assert "clarification_rate" in body["detail"] and "force=true" in body["detail"]
    broken = {b["metric"]: b for b in body["broken"]}
    assert "clarification_rate" in broken
    clar = broken["clarification_rate"]
    assert clar["value"] < clar["threshold"] == THRESHOLDS["clarification_rate"]
    assert clar["current"] >= clar["threshold"]
    texts = {c["text"] for c in clar["cases"]}
    assert "相談したい" in texts
    case = next(c for c in clar["cases"] if c["text"] == "相談したい")
    assert case["expected"] == ["questions"] and case["got"][0] == "0 questions"
    # refused: nothing written, the matcher unchanged, no audit entry
    rule = client.get("/v1/admin/rules/finance.loan", headers=keys.admin).json()
    assert rule["revision"] == 1 and rule["rule"]["patterns"] != BREAKING_PATCH["patterns"]
    with Session(engine) as session:
        assert read_version(session) == version
    assert audit(client, keys, entity_type="matcher_rule", entity_id="finance.loan") == []
    assert match(client, "相談したい")["clarifying_questions"]

    # the same change, forced: accepted, and the audit entry says so
    forced = client.patch(
        "/v1/admin/rules/finance.loan",
        headers=keys.admin,
        params={"force": "true"},
        json=BREAKING_PATCH,
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["evaluation"]["forced"] is True
    assert "clarification_rate" in {b["metric"] for b in forced.json()["evaluation"]["broken"]}
    assert "finance.loan" in rule_ids_of(match(client, "相談したい"))
    (entry,) = audit(client, keys, entity_type="matcher_rule", entity_id="finance.loan")
    assert entry["action"] == "update_forced"
    assert entry["after"]["gate"]["forced"] is True
    assert "clarification_rate" in {b["metric"] for b in entry["after"]["gate"]["broken"]}
    assert entry["after"]["rule"]["patterns"] == ["相談"]

    # while a metric is already low, a change that does not make it worse is not blocked
    resp = client.patch("/v1/admin/rules/finance.loan", headers=keys.admin, json={"weight": 0.7})
    assert resp.status_code == 200, resp.text
    assert resp.json()["evaluation"]["broken"] == []


def test_deletions_are_gated_too(client: TestClient, keys: Keys) -> None:
    """A deletion goes through the same gate as an edit: one that repairs a metric is
    allowed, one that breaks a metric is refused. (No single seed rule is indispensable any
    more, since situation and theme rules overlap; a negation cue is.)"""
    created = client.post(
        "/v1/admin/rules?force=true",
        headers=keys.admin,
        json={
            "theme": "finance",
            "rule": {
                "id": "finance.every-consultation",
                "need": "loan",
                "patterns": ["相談"],
                "weight": 0.5,
            },
        },
    )
    assert created.status_code == 201, created.text
    resp = client.delete("/v1/admin/rules/finance.every-consultation", headers=keys.admin)
    assert resp.status_code == 204, resp.text  # deleting it repairs the metric: allowed
    resp = client.delete("/v1/admin/lexicon/negation_cues/not-needed", headers=keys.admin)
    body = assert_problem(resp, 409)
    assert "negation" in {b["metric"] for b in body["broken"]}
    assert (
        client.get("/v1/admin/lexicon/negation_cues/not-needed", headers=keys.admin).status_code
        == 200
    )


# ---------------------------------------------------------------- dry run


def test_dry_run_compares_and_writes_nothing(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    with Session(engine) as session:
        version = read_version(session)
    loan = client.get("/v1/admin/rules/finance.loan", headers=keys.admin).json()
    rid = rule_id()
    resp = client.post(
        "/v1/admin/rules/dry-run",
        headers=keys.admin,
        json={
            "changes": [
                {"op": "upsert", "rule": {**loan["rule"], **BREAKING_PATCH}},
                {
                    "op": "upsert",
                    "theme": "testing",
                    "rule": {
                        "id": rid,
                        "need": "new-product-development",
                        "patterns": ["ガチャガチャ"],
                    },
                },
                {"op": "upsert_lexicon", "kind": "vague_terms", "entry": {"term": "どげんしたら"}},
            ],
            "texts": ["相談したい", "ガチャガチャを作りたい", "大学と共同研究したい"],
        },
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["publishable"] is False
    results = {r["text"]: r for r in body["results"]}
    vague = results["相談したい"]
    assert vague["changed"] is True
    assert (
        vague["current"]["clarifying_questions"] and not vague["candidate"]["clarifying_questions"]
    )
    assert "finance.loan" in rule_ids_of(vague["candidate"])
    gacha = results["ガチャガチャを作りたい"]
    assert not gacha["current"]["matched"] and rid in rule_ids_of(gacha["candidate"])
    assert results["大学と共同研究したい"]["changed"] is False
    evaluation = body["evaluation"]
    assert evaluation["thresholds"] == THRESHOLDS
    assert evaluation["current"]["clarification_rate"] >= THRESHOLDS["clarification_rate"]
    assert evaluation["candidate"]["clarification_rate"] < THRESHOLDS["clarification_rate"]
    assert "clarification_rate" in {b["metric"] for b in evaluation["broken"]}

    # nothing was written
    with Session(engine) as session:
        assert read_version(session) == version
        assert session.get(MatcherRule, rid) is None
        assert session.get(LexiconEntry, ("vague_terms", vague_term_id("どげんしたら"))) is None
    assert client.get("/v1/admin/rules/finance.loan", headers=keys.admin).json() == loan
    assert not match(client, "ガチャガチャを作りたい")["matched"]

    # a harmless change is publishable; deleting a rule shows what it matched
    resp = client.post(
        "/v1/admin/rules/dry-run",
        headers=keys.admin,
        json={
            "changes": [{"op": "delete", "id": "technology.joint-research"}],
            "texts": ["産学共同で研究したい"],
        },
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["publishable"] is True and resp.json()["evaluation"]["broken"] == []


@pytest.mark.parametrize(
    ("payload", "part"),
    [
        ({"changes": [], "texts": ["あ"] * 51}, "texts"),
        ({"changes": [], "texts": ["あ" * 1001]}, "texts.0"),
        ({"changes": [], "texts": ["   "]}, "texts.0"),
        ({"changes": [{"op": "delete", "id": "finance.nothing"}]}, "changes.0"),
        ({"changes": [{"op": "rename", "id": "finance.loan"}]}, "changes.0"),
        ({"changes": [{"op": "upsert", "rule": {"id": "x.y", "need": "loan"}}]}, "patterns"),
        (
            {
                "changes": [
                    {"op": "upsert", "rule": {"id": "x.y", "need": "loan", "patterns": ["融資"]}}
                ]
            },
            "theme",
        ),
        (
            {"changes": [{"op": "upsert_lexicon", "kind": "synonyms", "entry": {"id": "a"}}]},
            "changes.0.entry",
        ),
    ],
)
def test_dry_run_validation(
    client: TestClient, keys: Keys, payload: dict[str, Any], part: str
) -> None:
    body = assert_problem(
        client.post("/v1/admin/rules/dry-run", headers=keys.admin, json=payload), 422
    )
    assert part in body["detail"], body["detail"]


# ---------------------------------------------------------------- lexicon


def test_lexicon_entry_changes_matching(client: TestClient, keys: Keys) -> None:
    text = "ファクタリングを受けたい"
    # no rule reads it as a loan (the classifier may still guess some need for it)
    assert "finance.loan" not in rule_ids_of(match(client, text))
    entry_id = unique("factoring")
    created = client.post(
        "/v1/admin/lexicon",
        headers=keys.admin,
        json={
            "kind": "synonyms",
            "entry": {"id": entry_id, "canonical": "融資", "variants": ["ファクタリング"]},
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["entry"]["variants"] == ["ファクタリング"]
    assert created.json()["evaluation"]["broken"] == []
    assert created.headers["etag"] == '"1"'
    assert "finance.loan" in rule_ids_of(match(client, text))

    path = f"/v1/admin/lexicon/synonyms/{entry_id}"
    patched = client.patch(
        path,
        headers={**keys.admin, "If-Match": '"1"'},
        json={"variants": ["ファクタリング", "売掛金の早期資金化"]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["revision"] == 2
    assert_problem(client.patch(path, headers=keys.admin, json={"id": "other"}), 422)
    body = assert_problem(client.patch(path, headers=keys.admin, json={"variants": []}), 422)
    assert "variants" in body["detail"]

    assert client.delete(path, headers=keys.admin).status_code == 204
    assert "finance.loan" not in rule_ids_of(match(client, text))
    assert_problem(client.get(path, headers=keys.admin), 404)
    entries = audit(client, keys, entity_type="lexicon_entry", entity_id=f"synonyms/{entry_id}")
    assert [e["action"] for e in entries] == ["delete", "update", "create"]
    assert entries[1]["after"]["entry"]["variants"] == ["ファクタリング", "売掛金の早期資金化"]


def test_vague_term_gets_a_derived_id_and_asks_back(client: TestClient, keys: Keys) -> None:
    assert not match(client, "ガチャガチャ")["clarifying_questions"]
    resp = client.post(
        "/v1/admin/lexicon",
        headers=keys.admin,
        json={"kind": "vague_terms", "entry": {"term": "ガチャガチャ"}},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["id"] == vague_term_id("ガチャガチャ")
    assert resp.json()["entry"] == {"term": "ガチャガチャ"}
    assert match(client, "ガチャガチャ")["clarifying_questions"]
    again = client.post(
        "/v1/admin/lexicon",
        headers=keys.admin,
        json={"kind": "vague_terms", "entry": {"term": "ガチャガチャ"}},
    )
    assert_problem(again, 409)


@pytest.mark.parametrize(
    ("payload", "part"),
    [
        (
            {"kind": "synonyms", "entry": {"id": "x1", "canonical": "融資", "variants": []}},
            "entry.variants",
        ),
        (
            {"kind": "synonyms", "entry": {"id": "Bad Id", "canonical": "a", "variants": ["b"]}},
            "entry.id",
        ),
        ({"kind": "negation_cues", "entry": {"id": "x2"}}, "entry.phrases"),
        ({"kind": "vague_terms", "entry": {"term": ""}}, "entry.term"),
        ({"kind": "colours", "entry": {}}, "kind"),
        (
            {
                "kind": "clarifying_questions",
                "entry": {
                    "id": "topic2",
                    "question": "どれですか？",
                    "options": [
                        {"label": "資金", "text": "融資を受けたい"},
                        {"label": "その他", "text": "今日の天気は？"},
                    ],
                },
            },
            "options.1.text",
        ),
    ],
)
def test_invalid_lexicon_entry_is_422(
    client: TestClient, keys: Keys, payload: dict[str, Any], part: str
) -> None:
    body = assert_problem(client.post("/v1/admin/lexicon", headers=keys.admin, json=payload), 422)
    assert part in body["detail"], body["detail"]


def test_lexicon_ids_are_unique_across_sections(client: TestClient, keys: Keys) -> None:
    resp = client.post(
        "/v1/admin/lexicon",
        headers=keys.admin,
        json={"kind": "negation_cues", "entry": {"id": "borrow", "phrases": ["借りない"]}},
    )
    assert_problem(resp, 409)


def test_openapi_documents_the_rule_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method, codes in [
        ("/v1/admin/rules", "get", {"401", "403"}),
        ("/v1/admin/rules", "post", {"201", "401", "403", "409", "422"}),
        ("/v1/admin/rules/{rule_id}", "patch", {"200", "409", "412", "422"}),
        ("/v1/admin/rules/{rule_id}", "delete", {"204", "409", "412"}),
        ("/v1/admin/rules/dry-run", "post", {"200", "422"}),
        ("/v1/admin/lexicon", "post", {"201", "409", "422"}),
        ("/v1/admin/lexicon/{kind}/{entry_id}", "patch", {"200", "412"}),
    ]:
        op = paths[path][method]
        assert op["tags"] == ["admin"]
        assert op["summary"] and any(ord(ch) > 0x3000 for ch in op["description"])
        assert codes <= set(op["responses"]), (path, method)


def test_empty_rule_tables_fall_back_to_the_files_and_refuse_edits(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    # a database seeded before the rules moved into it (the fixture restores the rows)
    with Session(engine) as session:
        session.execute(delete(MatcherRule))
        session.execute(delete(LexiconEntry))
        bump_directory_version(session)
        session.commit()
    assert "technology.joint-research" in rule_ids_of(match(client, "大学と共同研究したい"))
    resp = client.patch("/v1/admin/rules/finance.loan", headers=keys.admin, json={"weight": 0.5})
    assert_problem(resp, 404)
    resp = client.post(
        "/v1/admin/rules/dry-run", headers=keys.admin, json={"changes": [], "texts": ["融資"]}
    )
    body = assert_problem(resp, 409)
    assert "app.seeding" in body["detail"]
