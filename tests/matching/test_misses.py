from __future__ import annotations

import threading

import pytest

from app.matching import MissCounter
from app.matching.misses import MAX_TEXT, mask


def test_masks_personal_strings() -> None:
    out = mask("連絡は taro@example.jp か 083-933-3110 へ。会員番号12345 https://x.example/a")
    assert "taro" not in out and "example" not in out
    assert "083" not in out and "12345" not in out
    assert "〈メール〉" in out and "〈電話番号〉" in out and "#" in out


def test_counts_by_normalized_text_and_kind() -> None:
    mc = MissCounter(max_entries=10)
    mc.record("ラーメン おいしい", "unmatched")
    mc.record("ラーメン　おいしい", "unmatched")  # full-width space folds to the same text
    mc.record("ラーメン おいしい", "clarified")
    top = mc.top()
    assert top[0].count == 2 and top[0].kind == "unmatched"
    assert {(e.kind, e.count) for e in top} == {("unmatched", 2), ("clarified", 1)}
    assert mc.stats()["totals"] == {"unmatched": 2, "clarified": 1}


def test_truncates_and_bounds() -> None:
    mc = MissCounter(max_entries=5)
    for i in range(50):
        mc.record(f"{'あ' * 300}{chr(0x3042 + i)}", "unmatched")
    for i in range(20):
        mc.record(f"質問{chr(0x4E00 + i)}", "unmatched")
    assert len(mc) == 5
    assert all(len(e.text) <= MAX_TEXT for e in mc.top())


def test_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        MissCounter().record("x", "other")  # type: ignore[arg-type]


def test_thread_safe_counts() -> None:
    mc = MissCounter(max_entries=3)

    def work() -> None:
        for _ in range(500):
            mc.record("同じ質問", "clarified")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mc.top()[0].count == 2000
