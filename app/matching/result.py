"""The MatchResult tree returned by ``match_need`` (frozen; ``to_dict()`` is the API JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.matching.national import NationalProgrammeMatch
from app.matching.snapshot import ContactPointView


@dataclass(frozen=True, slots=True)
class Evidence:
    rule_id: str
    matched_text: str
    normalized: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "matched_text": self.matched_text,
            "normalized": self.normalized,
        }


@dataclass(frozen=True, slots=True)
class NeedMatch:
    id: str
    label: str
    support_type: str
    score: float
    negated: bool
    evidence: tuple[Evidence, ...]
    topic: str = ""  # the need as a noun phrase (資金の融資)
    explanation: str = ""  # plain Japanese, no rule ids: 『資金が足りない』から、…と判断しました
    inferred: bool = False  # no rule matched: the classifier's guess

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "topic": self.topic,
            "support_type": self.support_type,
            "score": self.score,
            "negated": self.negated,
            "explanation": self.explanation,
            "inferred": self.inferred,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class SupportTypeMatch:
    code: str
    name: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "score": self.score}


@dataclass(frozen=True, slots=True)
class LocalOffice:
    """A concrete office of a ranked agency that serves the owner's 市町 (萩商工会議所 for
    商工会議所 in 萩市), with its windows (none when nobody has registered one yet)."""

    id: str
    name: str
    contact_points: tuple[ContactMatch, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "contact_points": [c.to_dict() for c in self.contact_points],
        }


@dataclass(frozen=True, slots=True)
class AgencyMatch:
    id: str
    name: str
    score: float
    reasons: tuple[str, ...]
    local_offices: tuple[LocalOffice, ...] = ()
    explanation: str = ""  # plain Japanese, no rule ids: 資金の融資のご相談に対応する機関です…

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "score": self.score,
            "explanation": self.explanation,
            "reasons": list(self.reasons),
            "local_offices": [o.to_dict() for o in self.local_offices],
        }


@dataclass(frozen=True, slots=True)
class ProgrammeMatch:
    id: str
    name: str
    kind: str
    score: float
    reasons: tuple[str, ...]
    status: str = "unconfirmed"  # app.matching.status: confirmed by an editor or not
    status_label: str = ""  # 2013年の計画に記載（現状は要確認）

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "score": self.score,
            "status": self.status,
            "status_label": self.status_label,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class ActionMatch:
    number: int
    title: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "score": self.score}


@dataclass(frozen=True, slots=True)
class ContactMatch:
    contact: ContactPointView
    agency_name: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        c = self.contact
        return {
            **c.details,
            "id": c.id,
            "name": c.name,
            "agency_id": c.agency_id,
            "phones": [{"label": p.label, "number": p.number} for p in c.phones],
            "municipalities": list(c.municipalities),
            "prefecture_wide": c.prefecture_wide,
            "general_fallback": c.general_fallback,
            "programme_id": c.programme_id,
            "verified": c.verified,
            "agency_name": self.agency_name,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class QuickReplyOption:
    label: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "text": self.text}


@dataclass(frozen=True, slots=True)
class ClarifyingQuestionView:
    question: str
    options: tuple[QuickReplyOption, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "options": [o.to_dict() for o in self.options]}


@dataclass(frozen=True, slots=True)
class Vocabularies:
    jgrants_use_purpose: tuple[str, ...] = ()
    mirasapo_purpose: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "jgrants_use_purpose": list(self.jgrants_use_purpose),
            "mirasapo_purpose": list(self.mirasapo_purpose),
        }


@dataclass(frozen=True, slots=True)
class MatchResult:
    matched: bool
    needs: tuple[NeedMatch, ...]
    support_types: tuple[SupportTypeMatch, ...]
    agencies: tuple[AgencyMatch, ...]
    programmes: tuple[ProgrammeMatch, ...]
    actions: tuple[ActionMatch, ...]
    contact_points: tuple[ContactMatch, ...]
    clarifying_questions: tuple[ClarifyingQuestionView, ...]
    vocabularies: Vocabularies
    truncated: bool = False
    # Only everyday life was said (住宅ローン, 年金 …): no business-support body handles it.
    out_of_scope: bool = False
    # "en" when the text is written in English (the matcher reads Japanese: it asks for that)
    input_language: str = "ja"
    # jGrants subsidies accepting applications at the time the caller gave (none without one)
    national_programmes: tuple[NationalProgrammeMatch, ...] = ()

    @property
    def clarified(self) -> bool:
        return bool(self.clarifying_questions)

    @property
    def call_first(self) -> tuple[str, ...]:
        """The ranked agencies in the order a desk calls them: those with a window that has a
        phone (a local office's or their own) first, then those with a window without one
        (an address, a URL), then the rest; each group in rank order."""
        windows: dict[str, list[ContactPointView]] = {}
        for c in self.contact_points:
            windows.setdefault(c.contact.agency_id, []).append(c.contact)

        def reach(a: AgencyMatch) -> int:
            mine = windows.get(a.id, []) + [
                cm.contact for o in a.local_offices for cm in o.contact_points
            ]
            if any(c.phones for c in mine):
                return 0
            return 1 if mine else 2

        return tuple(a.id for a in sorted(self.agencies, key=reach))

    def to_dict(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "out_of_scope": self.out_of_scope,
            "input_language": self.input_language,
            "call_first": list(self.call_first),
            "needs": [n.to_dict() for n in self.needs],
            "support_types": [s.to_dict() for s in self.support_types],
            "agencies": [a.to_dict() for a in self.agencies],
            "programmes": [p.to_dict() for p in self.programmes],
            "national_programmes": [p.to_dict() for p in self.national_programmes],
            "actions": [a.to_dict() for a in self.actions],
            "contact_points": [c.to_dict() for c in self.contact_points],
            "clarifying_questions": [q.to_dict() for q in self.clarifying_questions],
            "vocabularies": self.vocabularies.to_dict(),
        }
