"""What the matcher says, in Japanese (the default) or English (`Accept-Language: en`).

Every sentence of a match answer (why a need was read, why an agency or a programme ranks, whose
window a contact point is, the clarifying questions) and every name in it comes from one
`Wording`. Japanese names and texts stand where no English one is known (programme names,
action titles and the owner's own words stay as they are); `name_en` (support types, agencies),
`label_en` (needs) and `question_en` / `label_en` (clarifying questions) are the English data.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.matching.snapshot import AgencyView, NeedView, SupportTypeView


def _quoted_ja(words: list[str]) -> str:
    return "・".join(f"『{w}』" for w in words)


def _quoted_en(words: list[str]) -> str:
    return ", ".join(f'"{w}"' for w in words)


@dataclass(frozen=True, slots=True)
class Wording:
    language: str

    @property
    def english(self) -> bool:
        return self.language == "en"

    # --- names -----------------------------------------------------------------------------

    def agency_name(self, agency: AgencyView) -> str:
        return (agency.name_en or agency.name) if self.english else agency.name

    def support_type_name(self, support_type: SupportTypeView) -> str:
        return (support_type.name_en or support_type.name) if self.english else support_type.name

    def need_label(self, need: NeedView) -> str:
        return (need.label_en or need.label) if self.english else need.label

    def need_topic(self, need: NeedView) -> str:
        """The need as a noun phrase for sentences (資金の融資; in English its label)."""
        if self.english:
            return need.label_en or need.topic or need.label
        return need.topic or need.label

    # --- why a need was read -------------------------------------------------------------

    def need_read(self, words: list[str], topic: str) -> str:
        if self.english:
            return f"Read as a request to {topic.lower()} from {_quoted_en(words)}"
        return f"{_quoted_ja(words)}から、{topic}のご相談と判断しました"

    def need_refused(self, words: list[str], topic: str) -> str:
        if self.english:
            return f"{_quoted_en(words)} says this is not wanted, so '{topic}' was left out"
        return f"{_quoted_ja(words)}は不要とのことなので、{topic}は候補から外しました"

    def need_inferred(self, topic: str) -> str:
        """A need no rule named, guessed from the whole text (app/matching/classifier.py)."""
        if self.english:
            return f"No rule matched; the text as a whole reads most like a request to {topic.lower()} (an estimate: please confirm)"
        return f"ルールに当たる言葉はありませんが、お話の全体から{topic}のご相談と推定しました（ご確認ください）"

    # --- why an agency or a programme ranks (with the rule's id, for editors) ------------

    def rule_reason(self, rule_id: str, words: str, what: str) -> str:
        if self.english:
            return f'Rule {rule_id} matched "{words}": {what}'
        return f"ルール {rule_id} が『{words}』に一致: {what}"

    def inferred_reason(self, what: str) -> str:
        if self.english:
            return f"Estimated from the whole text (no rule matched): {what}"
        return f"お話の全体からの推定（一致したルールなし）: {what}"

    def named_by_rule(self) -> str:
        return "an agency the rule names" if self.english else "ルールが名指しする機関"

    def holds_role(self, role: str, need_label: str | None) -> str:
        if self.english:
            what = f"holds the role '{role}' in the plan's role matrix"
            return what + (f", a provider for the need '{need_label}'" if need_label else "")
        what = f"{role}の役割を持つ機関（役割表）"
        return what + (f"、ニーズ「{need_label}」の支援機関" if need_label else "")

    def agency_for_topic(self, topic: str, role: str | None) -> str:
        """The desk's plain explanation of an agency (no rule ids)."""
        if self.english:
            if role is None:
                return f"The plan names this agency as a provider for: {topic}"
            return f"Handles requests to {topic.lower()} (role '{role}' in the plan's role matrix)"
        if role is None:
            return f"{topic}のご相談で、計画がこの取組の担い手に挙げる機関です"
        return f"{topic}のご相談に対応する機関です（役割表の「{role}」）"

    def programme_by_rule(self) -> str:
        return "a measure the rule lists" if self.english else "ルールが挙げる施策"

    def programme_by_action(self, number: int, title: str) -> str:
        if self.english:
            return f"A measure of action {number} 「{title}」 for the matched support type"
        return f"アクション{number}「{title}」の施策で、一致した支援の種類に該当"

    # --- whose window a contact point is ---------------------------------------------------

    def local_window(self, agency: str, place: str) -> str:
        return f"{agency}'s window for {place}" if self.english else f"{agency}の{place}の窓口"

    def prefecture_window(self, agency: str) -> str:
        if self.english:
            return f"{agency}'s prefecture-wide window"
        return f"{agency}の県内全域の窓口"

    def programme_window(self, programme: str) -> str:
        return f"The window of 「{programme}」" if self.english else f"制度「{programme}」の窓口"

    def general_window(self) -> str:
        if self.english:
            return "A general consultation window (the support needed could not be identified)"
        return "総合的な相談窓口（該当する支援を特定できないため）"

    def fallback_window(self) -> str:
        if self.english:
            return (
                "The prefecture's general consultation window (no window of the agencies found "
                "is registered yet)"
            )
        return "紹介先の窓口が未登録のため、県の総合的な相談窓口"

    # --- questions -------------------------------------------------------------------------

    def nearest_question(self) -> str:
        if self.english:
            return "Is your request one of these?"
        return "もしかして、次のようなご相談ですか？"

    def in_english_question(self) -> str:
        """Asked when the text is English: the service reads Japanese."""
        return (
            "英語のご相談のようです。日本語で入力するか、近いものを選んでください。"
            " / This looks like English. Please describe your need in Japanese, or choose the "
            "closest topic below."
        )


JAPANESE = Wording("ja")
ENGLISH = Wording("en")
WORDINGS = {"ja": JAPANESE, "en": ENGLISH}
