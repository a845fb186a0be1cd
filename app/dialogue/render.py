"""The bot's words: chat-bubble texts built from a /v1/match result (plain text, no HTML).

Everything shown comes from the match result: agency and programme names, the reasons, and
contact details. A contact field that is null is left out; an agency without any contact point
is said to be 未登録. Nothing is made up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from app.matching.status import japan_date

MAX_REPLY_CHARS = 500
MAX_AGENCIES_SHOWN = 3
MAX_PROGRAMMES_SHOWN = 3
MAX_NATIONAL_SHOWN = 2
MAX_CONTACTS_IN_REFERRAL = 2
MAX_CONTACTS_IN_DETAIL = 4

KIND_JA = {
    "subsidy": "補助金",
    "loan": "融資",
    "guarantee": "保証",
    "investment": "出資",
    "tax_incentive": "税制",
    "consultation": "相談窓口",
    "expert_dispatch": "専門家派遣",
    "seminar_training": "セミナー・研修",
    "certification": "認定制度",
    "matching_event": "商談会・交流",
    "facility": "施設",
    "network_council": "協議会",
    "other": "その他",
}

_REASON = re.compile(r"^ルール \S+ が『(?P<words>.+?)』に一致: (?P<what>.+)$")
_ROLE = re.compile(r"^(?P<role>.+?)の役割を持つ機関")


def fit(lines: Iterable[str], limit: int = MAX_REPLY_CHARS, tail: str | None = None) -> str:
    """Join lines while the bubble stays within `limit` characters (the tail always fits)."""
    budget = limit - (len(tail) + 1 if tail else 0)
    out: list[str] = []
    used = 0
    for line in lines:
        cost = len(line) + (1 if out else 0)
        if used + cost > budget:
            break
        out.append(line)
        used += cost
    if tail:
        out.append(tail)
    text = "\n".join(out)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(text: str, limit: int = 30) -> str:
    """A user's words echoed back, on one line and short."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def agency_why(agency: Mapping[str, Any]) -> str:
    """A short, friendly reason: the matcher's plain explanation (no rule ids), or one built
    from its first reason when an older answer has none."""
    if agency.get("explanation"):
        return str(agency["explanation"])
    reasons: Sequence[str] = agency.get("reasons") or ()
    if not reasons:
        return "ご相談の内容に対応する機関です"
    m = _REASON.match(reasons[0])
    if not m:
        return quote(reasons[0], 60)
    what = m.group("what").split("、")[0]
    role = _ROLE.match(what)
    if role:
        return f"{role.group('role')}を担う機関です（「{quote(m.group('words'), 20)}」に該当）"
    return f"ご相談の分野を直接扱う機関です（「{quote(m.group('words'), 20)}」に該当）"


def phones_text(contact: Mapping[str, Any]) -> str:
    parts = []
    for phone in contact.get("phones") or ():
        label = phone.get("label")
        parts.append(f"{label} {phone['number']}" if label else str(phone["number"]))
    return "／".join(parts)


def contact_line(contact: Mapping[str, Any], *, with_url: bool = True) -> str:
    """One line: the window's name, its phones and its web page, whichever are known."""
    bits = [f"・{contact['name']}"]
    phones = phones_text(contact)
    if phones:
        bits.append(f"電話 {phones}")
    if with_url and contact.get("url"):
        bits.append(str(contact["url"]))
    if len(bits) == 1:
        bits.append("電話番号は未登録です")
    return " ".join(bits)


def window_name(agency: Mapping[str, Any]) -> str:
    """Whom to call for an agency: its local office for the owner's town (商工会議所 → 萩商工会議所
    （商工会議所）), or the agency itself."""
    offices = agency.get("local_offices") or ()
    if offices and offices[0]["name"] != agency["name"]:
        return f"{offices[0]['name']}（{agency['name']}）"
    return str(agency["name"])


def contacts_by_agency(
    match: Mapping[str, Any], agencies: Sequence[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], list[str]]:
    """The match's contact points of the shown agencies (their local offices' first), and the
    shown agencies without one."""
    contacts = list(match.get("contact_points") or ())
    found: list[Mapping[str, Any]] = []
    missing: list[str] = []
    for agency in agencies:
        prefix = f"{agency['name']}の"
        office_windows = [
            c for office in agency.get("local_offices") or () for c in office["contact_points"]
        ]
        own = office_windows + [
            c
            for c in contacts
            if (str(c.get("reason", "")).startswith(prefix) or c.get("agency_id") == agency["id"])
            and c not in office_windows
        ]
        if not own:
            missing.append(str(agency["name"]))
        for c in own:
            if c not in found:
                found.append(c)
    return found, missing


def need_labels(match: Mapping[str, Any], limit: int = 2) -> list[str]:
    labels = [n["label"] for n in match.get("needs") or () if not n.get("negated")]
    return list(dict.fromkeys(labels))[:limit]


def subject_line(match: Mapping[str, Any], limit: int = 2) -> str:
    """What the owner asked, in a sentence: the needs' noun phrases (「資金の融資」についての
    ご相談ですね), or their labels where an older answer carries no topic."""
    needs = [n for n in match.get("needs") or () if not n.get("negated")]
    if not needs:
        return "ご相談の内容を確認しました。"
    if all(n.get("inferred") for n in needs):
        # no rule matched: the classifier's guess, said as a guess
        topic = str(needs[0].get("topic") or needs[0]["label"])
        return (
            f"お話からすると「{topic}」についてのご相談でしょうか。違う場合は言い換えてください。"
        )
    if all(n.get("topic") for n in needs):
        topics = list(dict.fromkeys(str(n["topic"]) for n in needs))[:limit]
        return "・".join(f"「{t}」" for t in topics) + "についてのご相談ですね。"
    labels = need_labels(match, limit)
    return "".join(f"「{label}」" for label in labels) + "というご相談ですね。"


def shown_agencies(match: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The agencies to name, in the order a desk calls them (`call_first`), at most three."""
    agencies = list(match.get("agencies") or ())
    by_id = {a["id"]: a for a in agencies}
    order = [by_id[i] for i in match.get("call_first") or () if i in by_id]
    return (order if len(order) == len(agencies) else agencies)[:MAX_AGENCIES_SHOWN]


def referral(match: Mapping[str, Any]) -> str:
    agencies = shown_agencies(match)
    lines = [subject_line(match)]
    if agencies:
        lines.append("次の機関にご相談いただけます。")
        lines.extend(f"・{window_name(a)}：{agency_why(a)}" for a in agencies)
    programmes = list(match.get("programmes") or ())[:MAX_PROGRAMMES_SHOWN]
    if programmes:
        names = "、".join(f"{p['name']}（{KIND_JA.get(p['kind'], p['kind'])}）" for p in programmes)
        lines.append(f"主な制度：{names}")
        lines.extend(unconfirmed_notes(programmes))
    found, missing = contacts_by_agency(match, agencies)
    shown = (found or other_contacts(match, found))[:MAX_CONTACTS_IN_REFERRAL]
    if shown:
        lines.append("連絡先：" if found else "お問い合わせ先（県の総合的な相談窓口）：")
        lines.extend(contact_line(c, with_url=False) for c in shown)
    if missing:
        lines.append(f"※{'、'.join(missing)}の連絡先は未登録です。")
    # last, so that a long answer drops it before the contacts
    national = national_line(match)
    if national:
        lines.append(national)
    return fit(lines, tail="詳しい連絡先は「窓口の連絡先」でご案内します。")


def unconfirmed_notes(programmes: Sequence[Mapping[str, Any]]) -> list[str]:
    """A note on the shown programmes nobody has confirmed since their source: 「※上の制度は
    2013年の計画に記載（現状は要確認）です。」, or which ones when only some are."""
    by_label: dict[str, list[str]] = {}
    for p in programmes:
        if p.get("status", "unconfirmed") != "confirmed":
            label = str(p.get("status_label") or "現状は要確認")
            by_label.setdefault(label, []).append(str(p["name"]))
    if len(by_label) == 1 and sum(map(len, by_label.values())) == len(programmes):
        return [f"※上の制度は{next(iter(by_label))}です。"]
    return [f"※{'、'.join(names)}は{label}です。" for label, names in by_label.items()]


def _deadline(value: Any) -> str | None:
    try:
        day = japan_date(datetime.fromisoformat(str(value)))
    except ValueError:
        return None
    return f"{day.month}月{day.day}日"


def national_line(match: Mapping[str, Any]) -> str | None:
    """The national subsidies (jGrants) open now, with their closing day in Japan."""
    national = list(match.get("national_programmes") or ())[:MAX_NATIONAL_SHOWN]
    if not national:
        return None
    names = []
    for p in national:
        deadline = _deadline(p.get("acceptance_end"))
        names.append(f"{p['name']}（{deadline}締切）" if deadline else str(p["name"]))
    return f"受付中の国の補助金（jGrants）：{'、'.join(names)}"


def contacts_detail(match: Mapping[str, Any]) -> str:
    agencies = shown_agencies(match)
    found, missing = contacts_by_agency(match, agencies)
    lines: list[str] = []
    if found:
        lines.append("ご案内した機関の窓口です。")
    else:
        # the matcher then offers the prefecture's general windows (or a programme's own)
        found = other_contacts(match, found)
        if found:
            lines.append("ご案内した機関の窓口は未登録のため、次の窓口をご案内します。")
        else:
            lines.append("ご案内した機関の窓口の連絡先は、まだ登録されていません。")
    for c in found[:MAX_CONTACTS_IN_DETAIL]:
        owner = c.get("agency_name") or c.get("agency_id")
        lines.append(f"・{c['name']}" + (f"（{owner}）" if owner and owner != c["name"] else ""))
        phones = phones_text(c)
        lines.append(f"　電話：{phones}" if phones else "　電話：未登録")
        for key, label in (("url", "URL"), ("hours", "受付"), ("address", "住所")):
            if c.get(key):
                lines.append(f"　{label}：{c[key]}")
    if missing:
        lines.append(f"{'、'.join(missing)}の連絡先は未登録です。")
    tail = None
    if any(not c.get("verified") for c in found[:MAX_CONTACTS_IN_DETAIL]):
        tail = "※確認中の情報を含みます。お出かけの前に各機関の案内もご確認ください。"
    return fit(lines, tail=tail)


def other_contacts(
    match: Mapping[str, Any], found: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The match's contact points not tied to a shown agency: a programme's own window, or the
    prefecture's general ones when no ranked agency has a registered window."""
    return [c for c in match.get("contact_points") or () if c not in found]


def general_contact_lines(match: Mapping[str, Any], limit: int = 2) -> list[str]:
    """The prefecture's general windows that the matcher returns when nothing matched."""
    return [contact_line(c) for c in list(match.get("contact_points") or ())[:limit]]


def clarify(question: str, attempt: int, match: Mapping[str, Any]) -> str:
    if attempt <= 1:
        lines = [
            "ご相談ありがとうございます。",
            question,
            "下の選択肢から選ぶか、「資金のこと」のように短い言葉で入力してください。",
        ]
        return fit(lines)
    lines = [
        "すみません、ご相談の内容をうまく特定できませんでした。",
        question,
        "選択肢にない場合は、次の総合窓口でもご相談を承っています。",
        *general_contact_lines(match),
    ]
    return fit(lines)


def out_of_scope(text: str, match: Mapping[str, Any]) -> str:
    lines = [
        f"申し訳ありません。「{quote(text)}」は、このチャットでご案内している商工業の支援"
        "（創業・資金・技術・販路・事業承継など）には当てはまらないようです。",
    ]
    contacts = general_contact_lines(match)
    if contacts:
        lines.append("事業に関するご相談は、次の総合窓口でも承っています。")
        lines.extend(contacts)
    return fit(lines, tail="事業のお困りごとでしたら、言葉を変えてもう一度入力してください。")


def greeting(municipality: str | None = None) -> str:
    lines = [
        "こんにちは。山口県の商工業の支援窓口をご案内するチャットです。",
        "お困りごとを「融資を受けたい」「共同研究したい」のように短い言葉で入力してください。"
        "相談先の機関・使える制度・窓口の連絡先をご案内します。",
    ]
    if municipality:
        lines.append(f"{municipality}の窓口を優先してご案内します。")
    lines.append("「最初からやり直す」と入力すると、いつでも最初に戻れます。")
    return fit(lines)


def hello_again() -> str:
    return fit(
        [
            "こんにちは。ご相談の内容を短い言葉で入力してください。",
            "例えば「創業したい」「販路を開拓したい」のように入力いただくと、相談先をご案内します。",
        ]
    )


def thanks() -> str:
    return fit(
        [
            "どういたしまして。お役に立てましたら幸いです。",
            "ほかにもご相談があれば、いつでも入力してください。",
        ]
    )


def another() -> str:
    return fit(
        [
            "承知しました。ほかにどのようなことでお困りですか？",
            "ご相談の内容を短い言葉で入力するか、下の例から選んでください。",
        ]
    )


def reset(municipality: str | None = None) -> str:
    return fit(["最初からやり直します。", greeting(municipality)])


def no_referral_yet() -> str:
    return fit(
        [
            "まだ相談先をご案内していないため、お伝えできる窓口がありません。",
            "先にご相談の内容を入力してください。",
        ]
    )
