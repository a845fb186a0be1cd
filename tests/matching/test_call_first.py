"""call_first: the order a desk calls the ranked agencies in (issue: whom to call)."""

from __future__ import annotations

from app.matching.result import AgencyMatch, ContactMatch, LocalOffice, MatchResult, Vocabularies
from app.matching.snapshot import PhoneView
from matching.conftest import contact


def result(agencies: tuple[AgencyMatch, ...], windows: tuple[ContactMatch, ...]) -> MatchResult:
    return MatchResult(
        matched=True,
        needs=(),
        support_types=(),
        agencies=agencies,
        programmes=(),
        actions=(),
        contact_points=windows,
        clarifying_questions=(),
        vocabularies=Vocabularies(),
    )


def test_a_window_with_a_phone_comes_first_then_a_window_then_the_rest() -> None:
    phone = (PhoneView(None, "0838-25-3333"),)
    no_phone_window = ContactMatch(contact("web-only", "first"), "first", "")
    office_window = ContactMatch(contact("hagi-window", "hagi-office", phones=phone), "office", "")
    agencies = (
        AgencyMatch("first", "一番目（窓口はあるが電話なし）", 0.9, ()),
        AgencyMatch("nothing", "二番目（窓口なし）", 0.8, ()),
        AgencyMatch(
            "third",
            "三番目（地域の事務所に電話あり）",
            0.7,
            (),
            local_offices=(LocalOffice("hagi-office", "萩の事務所", (office_window,)),),
        ),
    )
    found = result(agencies, (no_phone_window,))
    assert found.call_first == ("third", "first", "nothing")
    # the ranking itself is unchanged
    assert [a.id for a in found.agencies] == ["first", "nothing", "third"]
