"""Property tests: any text up to the limit is handled, within bounds, deterministically."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.matching import CompiledRules, Normalizer, match_need
from app.matching.snapshot import DirectorySnapshot

JAPANESE = st.text(
    alphabet=st.sampled_from(
        list(
            "融資保証創業技術研究相談したいがないはのでも資金補助金工場承継後継者ＢＣＰｾﾐﾅｰ、。！？ 　\n"
        )
    ),
    max_size=200,
)
ANY_TEXT = st.text(max_size=1000)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(ANY_TEXT, JAPANESE))
def test_normalizer_never_fails_and_is_stable(normalizer: Normalizer, text: str) -> None:
    first = normalizer.normalize(text)
    second = normalizer.normalize(text)
    assert first == second


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(ANY_TEXT, JAPANESE), limit=st.integers(min_value=1, max_value=20))
def test_match_is_bounded_and_deterministic(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str, limit: int
) -> None:
    result = match_need(text, seed_rules, seed_snapshot, limit=limit)
    again = match_need(text, seed_rules, seed_snapshot, limit=limit)
    assert result.to_dict() == again.to_dict()
    body = result.to_dict()
    for key in ("needs", "support_types", "agencies", "programmes", "actions"):
        assert all(0.0 <= item["score"] <= 1.0 for item in body[key]), key
    for key in ("agencies", "programmes", "actions"):
        assert len(body[key]) <= limit
    if not result.matched:
        assert body["support_types"] == [] and body["agencies"] == []
    assert all(n["id"] in seed_snapshot.needs for n in body["needs"])
    assert all(a["id"] in seed_snapshot.agencies for a in body["agencies"])


@settings(max_examples=2000, deadline=None)
@given(
    x=st.one_of(
        st.floats(min_value=0.0, max_value=1.0),
        st.integers(min_value=0, max_value=20000).map(lambda k: k / 20000),
        st.floats(allow_nan=False),
    )
)
def test_the_fast_rounding_is_round(x: float) -> None:
    """matcher._round4 rounds a score as round(x, 4) does, to the bit (ties and zeros too)."""
    import math

    from app.matching.matcher import _round4

    expected = round(x, 4)
    got = _round4(x)
    assert got == expected and math.copysign(1.0, got) == math.copysign(1.0, expected)
