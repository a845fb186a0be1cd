"""An adversarial pass over the admin rule endpoints (security review): hypothesis builds rule
patterns out of regex syntax that backtracking engines and careless validators trip on (nested
quantifiers, huge repetition counts, back-references, lookarounds, unbalanced brackets, control
characters, surrogates spelled as escapes), lexicon entries and long adversarial texts, and sends
them through the dry run, rule edits and matching.

Whatever comes in: never a 5xx; a refusal is problem+json with a Japanese `detail`; an accepted
rule leaves /v1/match and /healthz answering. (That no regex can stall a worker is guaranteed by
RE2's linear-time matching, app/matching/compiler.py, not by a timing assertion here.)

The app runs on a freshly seeded SQLite file of its own: accepted edits must not leak into the
other tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fresh_app import seeded_app
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.seeding.loader import SeedBundle

ADMIN_SECRET = "fuzz-rules-bootstrap-admin-key-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_SECRET}"}

REGEX_ATOMS = [
    "き", "ょう", "どう", "融資", "資金", "ー", "ｶﾅ", "a", ".", "\\d", "\\w", "\\s", "\\p{Han}",
    "(", ")", "(?:", "(?P<n>", "(?i)", "|", "*", "+", "?", "*?", "++", "{2}", "{0,1000}",
    "{100000}", "{1,}", "[", "]", "[^", "[き-ん]", "\\", "\\1", "\\k<n>", "(?=", "(?!",
    "(?<=", "(?<!", "^", "$", "\\b", "\\x00", "\\ud800", "\\u{10FFFF}", "{", "}", "\x00",
    "\u200b", "𠮷", "🍞",
]  # fmt: skip
TEXT_ATOMS = [
    "き", "ょ", "う", "ど", "融資", "したい", "共同研究", "ー", "ｷ", "、", "。", " ", "\u3000",
    "🍞", "𠮷", "\u200b", "A", "1", "\\", "(", "*",
]  # fmt: skip

regexes = st.lists(st.sampled_from(REGEX_ATOMS), min_size=1, max_size=12).map("".join)
words = st.lists(st.sampled_from(TEXT_ATOMS), min_size=1, max_size=6).map("".join)
patterns = st.one_of(
    words,
    st.lists(words, min_size=1, max_size=3),
    st.builds(lambda r: {"regex": r}, regexes),
)
texts = st.one_of(
    st.lists(st.sampled_from(TEXT_ATOMS), min_size=1, max_size=400).map("".join),
    st.integers(min_value=1, max_value=999).map(lambda n: "き" * n + "ょうどう"),
)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory, seed_bundle: SeedBundle) -> Iterator[TestClient]:
    with (
        seeded_app(
            tmp_path_factory.mktemp("fuzz-rules"), seed_bundle, BOOTSTRAP_ADMIN_KEY=ADMIN_SECRET
        ) as app,
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        yield client


def assert_sane(resp: Any, allowed: set[int]) -> None:
    event(f"{resp.request.method} {resp.request.url.path}: {resp.status_code}")
    assert resp.status_code < 500, resp.text
    assert resp.status_code in allowed, (resp.status_code, resp.text)
    if resp.status_code >= 400:
        assert resp.headers["content-type"].startswith("application/problem+json")
        detail = resp.json()["detail"]
        assert any(ord(ch) > 0x3000 for ch in detail), detail


def assert_still_answering(client: TestClient, text: str) -> None:
    assert_sane(client.post("/v1/match", json={"text": text}), {200, 422})
    assert client.get("/healthz").status_code == 200


@given(pattern_list=st.lists(patterns, min_size=1, max_size=4), text=texts)
@FUZZ
def test_dry_run_survives_any_pattern(fuzz: TestClient, pattern_list: list[Any], text: str) -> None:
    body = {
        "changes": [
            {
                "op": "upsert",
                "theme": "fuzz",
                "rule": {"id": "fuzz.rule", "need": "loan", "patterns": pattern_list},
            }
        ],
        "texts": [text],
    }
    assert_sane(fuzz.post("/v1/admin/rules/dry-run", headers=ADMIN, json=body), {200, 422})
    assert_still_answering(fuzz, text)


@given(pattern_list=st.lists(patterns, min_size=1, max_size=3), text=texts)
@settings(FUZZ, max_examples=25)
def test_rule_edits_survive_any_pattern(
    fuzz: TestClient, pattern_list: list[Any], text: str
) -> None:
    """A new rule with fuzzed patterns, forced past the publish gate when it is valid, then
    matched against a fuzzed text, then deleted: the worker answers throughout."""
    created = fuzz.post(
        "/v1/admin/rules?force=true",
        headers=ADMIN,
        json={
            "theme": "fuzz",
            "rule": {"id": "fuzz.edited", "need": "loan", "patterns": pattern_list},
        },
    )
    assert_sane(created, {201, 409, 422})
    assert_still_answering(fuzz, text)
    if created.status_code == 201:
        deleted = fuzz.delete("/v1/admin/rules/fuzz.edited?force=true", headers=ADMIN)
        assert_sane(deleted, {204})


@given(
    kind=st.sampled_from(["synonyms", "vague_terms", "negation_cues", "ghost_kind"]),
    entry=st.dictionaries(
        st.sampled_from(["id", "term", "canonical", "variants", "cue", "scope", "x"]),
        st.one_of(words, regexes, st.lists(words, max_size=3), st.integers(), st.none()),
        max_size=4,
    ),
)
@settings(FUZZ, max_examples=30)
def test_lexicon_dry_run_survives_any_entry(
    fuzz: TestClient, kind: str, entry: dict[str, Any]
) -> None:
    body = {
        "changes": [{"op": "upsert_lexicon", "kind": kind, "entry": entry}],
        "texts": ["融資を受けたい"],
    }
    assert_sane(fuzz.post("/v1/admin/rules/dry-run", headers=ADMIN, json=body), {200, 422})
