"""match_need: from a business owner's words to needs, support types, agencies, programmes,
actions and contact points, with reasons that name the rule and the matched words.

Scoring (all scores in [0, 1], combined by noisy-or, rounded to 4 decimals, ties broken by id):
- rule strength = rule.weight + 0.05 per extra token of the longest matched pattern;
- need = noisy-or of its non-negated rules (a need is negated if all its hits are negated);
- support type = noisy-or of its needs (+ half strength for extra types a rule lists);
- agency = for each need, every agency holding the need's support type in the role matrix
  gets score x (0.35 + 0.45 x position bonus if the need lists the agency); agencies
  without the role only come in through a rule's ``agency_boosts`` (strength x boost);
- action = need.actions x 0.8 and rule.actions x 0.9;
- programme = rule.programmes x 0.9, plus programmes of the top 3 actions whose support types
  meet the matched ones (or that have none) x 0.45.
``matched`` is true when at least one non-negated need was found; vague texts (or texts whose
needs are all negated) get clarifying questions; otherwise only general fallback contacts.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from itertools import islice

from app.matching.compiler import KIND_NEGATION, KIND_TERM, KIND_VAGUE, SEP, CompiledRules
from app.matching.normalize import MAX_INPUT_CHARS, NormalizedText
from app.matching.result import (
    ActionMatch,
    AgencyMatch,
    ClarifyingQuestionView,
    ContactMatch,
    Evidence,
    MatchResult,
    NeedMatch,
    ProgrammeMatch,
    QuickReplyOption,
    SupportTypeMatch,
    Vocabularies,
)
from app.matching.rules import Negation, Rule
from app.matching.snapshot import (
    AgencyView,
    ContactPointView,
    DirectorySnapshot,
    NeedView,
    ProgrammeView,
)

# Scoring constants (documented in the README of the matcher / module docstring).
ROLE_BASE = 0.35  # an agency holding the support type in the role matrix
NEED_AGENCY_BONUS = 0.45  # ... and listed for the need (推進体制図), decaying with its position
EXTRA_SUPPORT_FACTOR = 0.5  # support types a rule lists besides its need's type
NEED_ACTION_FACTOR = 0.8
RULE_ACTION_FACTOR = 0.9
RULE_PROGRAMME_FACTOR = 0.9
ACTION_PROGRAMME_FACTOR = 0.45
SPECIFICITY_BONUS = 0.05  # per extra token of the matched pattern
MAX_CONTACTS = 12
MAX_CONTACTS_PER_AGENCY = 3


def _r(x: float) -> float:
    return round(min(1.0, max(0.0, x)), 4)


def _combine(values: list[float]) -> float:
    """Noisy-or of contributions in [0, 1]."""
    p = 1.0
    for v in values:
        p *= 1.0 - min(0.999, max(0.0, v))
    return 1.0 - p


@dataclass(slots=True)
class _Hit:
    rule_index: int
    start: int  # token indexes (inclusive)
    end: int
    clause: int
    token_len: int
    text: str
    normalized: str
    negated: bool = False


@dataclass(slots=True)
class _RuleMatch:
    rule: Rule
    negated: bool
    strength: float
    hits: list[_Hit]
    words: str = ""

    def __post_init__(self) -> None:
        self.words = "』『".join(dict.fromkeys(h.text for h in self.hits))


# --- snapshot indexes (bounded cache: a few most recent snapshots) ---------------------------


@dataclass(frozen=True)
class _SnapshotIndex:
    descendants: dict[str, tuple[str, ...]]
    # An agency's own windows (not a programme's), by the municipality they serve, and those
    # serving the whole prefecture: a lookup per agency, not a scan of every contact point.
    local_contacts: dict[tuple[str, str], tuple[ContactPointView, ...]]
    wide_contacts: dict[str, tuple[ContactPointView, ...]]
    programme_contacts: dict[str, tuple[ContactPointView, ...]]
    fallback: tuple[ContactPointView, ...]
    municipality_codes: dict[str, str]  # folded name or code -> code
    agencies_by_role: dict[str, tuple[AgencyView, ...]]
    programmes_by_action: dict[int, tuple[ProgrammeView, ...]]


_index_lock = threading.Lock()
_index_cache: list[tuple[DirectorySnapshot, _SnapshotIndex]] = []
_INDEX_CACHE_SIZE = 4


def _snapshot_index(snapshot: DirectorySnapshot) -> _SnapshotIndex:
    with _index_lock:
        for snap, idx in _index_cache:
            if snap is snapshot:
                return idx
    children: dict[str, list[str]] = defaultdict(list)
    for a in snapshot.agencies.values():
        if a.parent_id:
            children[a.parent_id].append(a.id)
    descendants: dict[str, tuple[str, ...]] = {}
    for aid in snapshot.agencies:
        seen: list[str] = []
        stack = [aid]
        while stack:
            cur = stack.pop()
            if cur in seen:
                continue
            seen.append(cur)
            stack.extend(sorted(children.get(cur, ())))
        descendants[aid] = tuple(seen)
    local: dict[tuple[str, str], list[ContactPointView]] = defaultdict(list)
    wide: dict[str, list[ContactPointView]] = defaultdict(list)
    by_programme: dict[str, list[ContactPointView]] = defaultdict(list)
    for cp in sorted(snapshot.contact_points, key=lambda c: c.id):
        if cp.programme_id is not None:
            by_programme[cp.programme_id].append(cp)
            continue
        for code in cp.municipalities:
            local[(cp.agency_id, code)].append(cp)
        if cp.prefecture_wide or not cp.municipalities:
            wide[cp.agency_id].append(cp)
    codes: dict[str, str] = {}
    for code, m in snapshot.municipalities.items():
        codes[code] = m.code
        codes[m.code] = m.code
        codes[m.name] = m.code
    by_role: dict[str, list[AgencyView]] = defaultdict(list)
    for a in sorted(snapshot.agencies.values(), key=lambda a: a.id):
        for role in a.roles:
            by_role[role].append(a)
    by_action: dict[int, list[ProgrammeView]] = defaultdict(list)
    for p in sorted(snapshot.programmes.values(), key=lambda p: p.id):
        for act in p.actions:
            by_action[act].append(p)
    idx = _SnapshotIndex(
        agencies_by_role={k: tuple(v) for k, v in by_role.items()},
        programmes_by_action={k: tuple(v) for k, v in by_action.items()},
        descendants=descendants,
        local_contacts={k: tuple(v) for k, v in local.items()},
        wide_contacts={k: tuple(v) for k, v in wide.items()},
        programme_contacts={k: tuple(v) for k, v in by_programme.items()},
        fallback=tuple(
            sorted((c for c in snapshot.contact_points if c.general_fallback), key=lambda c: c.id)
        ),
        municipality_codes=codes,
    )
    with _index_lock:
        _index_cache.append((snapshot, idx))
        del _index_cache[:-_INDEX_CACHE_SIZE]
    return idx


# --- finding rule hits --------------------------------------------------------------------


def _find_hits(nt: NormalizedText, compiled: CompiledRules) -> tuple[list[_Hit], bool]:
    tokens = nt.tokens
    if not tokens:
        hits: list[_Hit] = []
        return _regex_hits(nt, compiled, hits, []), False
    parts = [SEP]
    end_of: dict[int, int] = {}
    pos = 1
    for i, tok in enumerate(tokens):
        parts.append(tok.norm)
        parts.append(SEP)
        pos += len(tok.norm)
        end_of[pos] = i
        pos += 1
    stream = "".join(parts)

    term_hits: dict[int, list[tuple[int, int]]] = defaultdict(list)
    cues: list[tuple[int, int]] = []  # (clause, start token)
    vague = False
    kinds = compiled.key_kinds
    for end_idx, key in compiled.automaton.iter(stream):
        tok_end = end_of[end_idx]
        tok_start = tok_end - compiled.key_token_len[key] + 1
        kind = kinds[key]
        if kind & KIND_TERM:
            for tid in compiled.key_terms[key]:
                term_hits[tid].append((tok_start, tok_end))
        if kind & KIND_NEGATION:
            cues.append((tokens[tok_start].clause, tok_start))
        if kind & KIND_VAGUE:
            vague = True

    hits = []
    for tid in sorted(term_hits):
        for pat in compiled.patterns_by_first_term.get(tid, ()):
            for s0, e0 in term_hits[tid]:
                clause = tokens[s0].clause
                cur_end = e0
                ok = True
                for t in pat.terms[1:]:
                    best = None
                    for s1, e1 in term_hits.get(t, ()):
                        if (
                            s1 > cur_end
                            and tokens[s1].clause == clause
                            and (best is None or s1 < best[0])
                        ):
                            best = (s1, e1)
                    if best is None:
                        ok = False
                        break
                    cur_end = best[1]
                if not ok:
                    continue
                if len(pat.terms) == 1:
                    text = nt.text[tokens[s0].begin : tokens[cur_end].end]
                else:
                    text = nt.text[tokens[s0].begin : tokens[cur_end].end]
                hits.append(
                    _Hit(
                        rule_index=pat.rule_index,
                        start=s0,
                        end=cur_end,
                        clause=clause,
                        token_len=pat.token_len,
                        text=text,
                        normalized=" ".join(tok.norm for tok in tokens[s0 : cur_end + 1]),
                    )
                )
                break  # first occurrence of the pattern is enough
    _regex_hits(nt, compiled, hits, cues)
    for h in hits:
        if compiled.rules[h.rule_index].negation is Negation.scoped:
            h.negated = any(c == h.clause and s > h.end for c, s in cues)
    return hits, vague


def _regex_hits(
    nt: NormalizedText, compiled: CompiledRules, hits: list[_Hit], cues: list[tuple[int, int]]
) -> list[_Hit]:
    for cr in compiled.regexes:
        m = cr.regex.search(nt.text)
        if m is None:
            continue
        end_tok = -1
        for i, tok in enumerate(nt.tokens):
            if tok.begin < m.end():
                end_tok = i
        hits.append(
            _Hit(
                rule_index=cr.rule_index,
                start=max(0, end_tok),
                end=end_tok,
                clause=nt.clause_at(m.start()),
                token_len=1,
                text=m.group(0),
                normalized=m.group(0),
            )
        )
    return hits


# --- ranking ------------------------------------------------------------------------------


def _rule_matches(hits: list[_Hit], compiled: CompiledRules) -> list[_RuleMatch]:
    grouped: dict[int, list[_Hit]] = defaultdict(list)
    for h in hits:
        grouped[h.rule_index].append(h)
    out = []
    for ri in sorted(grouped):
        rule = compiled.rules[ri]
        rhits = grouped[ri]
        positive = [h for h in rhits if not h.negated]
        use = positive or rhits
        use.sort(key=lambda h: (-h.token_len, h.start))
        best = use[0]
        strength = min(1.0, rule.weight + SPECIFICITY_BONUS * (best.token_len - 1))
        out.append(_RuleMatch(rule, not positive, strength, use[:3]))
    return out


def _reason(rm: _RuleMatch, what: str) -> str:
    return f"ルール {rm.rule.id} が『{rm.words}』に一致: {what}"


def match_need(
    text: str,
    compiled: CompiledRules,
    snapshot: DirectorySnapshot,
    *,
    municipality: str | None = None,
    limit: int = 5,
) -> MatchResult:
    limit = max(1, min(int(limit), 50))
    truncated = len(text) > MAX_INPUT_CHARS
    nt = compiled.normalizer.normalize(text)
    hits, vague = _find_hits(nt, compiled)
    rms = [rm for rm in _rule_matches(hits, compiled) if rm.rule.need in snapshot.needs]
    index = _snapshot_index(snapshot)

    # needs
    by_need: dict[str, list[_RuleMatch]] = defaultdict(list)
    for rm in rms:
        by_need[rm.rule.need].append(rm)
    need_rows: list[tuple[NeedView, float, bool, list[_RuleMatch]]] = []
    for nid, group in by_need.items():
        pos = [rm for rm in group if not rm.negated]
        negated = not pos
        used = pos or group
        used.sort(key=lambda rm: (-rm.strength, rm.rule.id))
        score = _combine([rm.strength for rm in used])
        need_rows.append((snapshot.needs[nid], score, negated, used))
    need_rows.sort(key=lambda r: (r[2], -round(r[1], 4), r[0].id))
    positive_needs = [r for r in need_rows if not r[2]]

    # support types
    st_contrib: dict[str, list[float]] = defaultdict(list)
    for need, score, _neg, used in positive_needs:
        st_contrib[need.support_type].append(score)
        for rm in used:
            for st in rm.rule.support_types:
                if st != need.support_type:
                    st_contrib[st].append(rm.strength * EXTRA_SUPPORT_FACTOR)
    order = {st.code: st.order for st in snapshot.support_types}
    st_scores = {code: _combine(v) for code, v in st_contrib.items() if code in order}
    st_ranked = sorted(st_scores.items(), key=lambda kv: (-round(kv[1], 4), order[kv[0]]))
    support_types = tuple(
        SupportTypeMatch(code, snapshot.support_type_by_code[code].name, _r(score))
        for code, score in st_ranked
    )

    # actions
    act_contrib: dict[int, list[float]] = defaultdict(list)
    for need, score, _neg, used in positive_needs:
        for a in need.actions:
            act_contrib[a].append(score * NEED_ACTION_FACTOR)
        for rm in used:
            for a in rm.rule.actions:
                act_contrib[a].append(rm.strength * RULE_ACTION_FACTOR)
    act_scores = {a: _combine(v) for a, v in act_contrib.items() if a in snapshot.actions}
    act_ranked = sorted(act_scores.items(), key=lambda kv: (-round(kv[1], 4), kv[0]))
    actions = tuple(ActionMatch(a, snapshot.actions[a].title, _r(s)) for a, s in act_ranked[:limit])

    # agencies
    ag_contrib: dict[str, list[float]] = defaultdict(list)
    # reasons are formatted only for the agencies that are returned
    ag_reasons: dict[str, list[tuple[_RuleMatch, str, str | None]]] = defaultdict(list)
    for need, score, _neg, used in positive_needs:
        top = used[0]
        need_agencies = need.agencies
        for agency in index.agencies_by_role.get(need.support_type, ()):
            base = ROLE_BASE
            label = None
            if agency.id in need_agencies:
                rank = need_agencies.index(agency.id)
                base += NEED_AGENCY_BONUS * (1.0 - rank / len(need_agencies))
                label = need.label
            ag_contrib[agency.id].append(score * base)
            ag_reasons[agency.id].append((top, need.support_type, label))
        for rm in used:
            for st in rm.rule.support_types:
                if st == need.support_type:
                    continue
                for agency in index.agencies_by_role.get(st, ()):
                    ag_contrib[agency.id].append(rm.strength * EXTRA_SUPPORT_FACTOR * ROLE_BASE)
                    ag_reasons[agency.id].append((rm, st, None))
            for aid, w in sorted(rm.rule.agency_boosts.items()):
                if aid in snapshot.agencies:
                    ag_contrib[aid].append(rm.strength * w)
                    ag_reasons[aid].append((rm, "", None))

    def agency_reason(rm: _RuleMatch, st: str, label: str | None) -> str:
        if not st:
            return _reason(rm, "ルールが名指しする機関")
        what = f"{snapshot.support_type_by_code[st].name}の役割を持つ機関（役割表）"
        if label:
            what += f"、ニーズ「{label}」の支援機関"
        return _reason(rm, what)

    ag_scores = {a: _combine(v) for a, v in ag_contrib.items()}
    ag_ranked = sorted(ag_scores.items(), key=lambda kv: (-round(kv[1], 4), kv[0]))[:limit]
    agencies = tuple(
        AgencyMatch(
            aid,
            snapshot.agencies[aid].name,
            _r(s),
            tuple(dict.fromkeys(agency_reason(*x) for x in ag_reasons[aid]))[:4],
        )
        for aid, s in ag_ranked
    )

    # programmes
    pr_contrib: dict[str, list[float]] = defaultdict(list)
    pr_reasons: dict[str, list[str]] = defaultdict(list)
    for _need, _score, _neg, used in positive_needs:
        for rm in used:
            for pid in rm.rule.programmes:
                if pid in snapshot.programmes:
                    pr_contrib[pid].append(rm.strength * RULE_PROGRAMME_FACTOR)
                    pr_reasons[pid].append(_reason(rm, "ルールが挙げる施策"))
    active_sts = set(st_scores)
    for a, s in act_ranked[:3]:
        title = snapshot.actions[a].title
        for prog in index.programmes_by_action.get(a, ()):
            # a programme without support types is classified only by its actions
            if not prog.support_types or active_sts.intersection(prog.support_types):
                pr_contrib[prog.id].append(s * ACTION_PROGRAMME_FACTOR)
                pr_reasons[prog.id].append(
                    f"アクション{a}「{title}」の施策で、一致した支援の種類に該当"
                )
    pr_scores = {p: _combine(v) for p, v in pr_contrib.items()}
    pr_ranked = sorted(pr_scores.items(), key=lambda kv: (-round(kv[1], 4), kv[0]))[:limit]
    programmes = tuple(
        ProgrammeMatch(
            pid,
            snapshot.programmes[pid].name,
            snapshot.programmes[pid].kind,
            _r(s),
            tuple(dict.fromkeys(pr_reasons[pid]))[:4],
        )
        for pid, s in pr_ranked
    )

    # clarifying questions: nothing positive matched but the text asks for help
    questions: tuple[ClarifyingQuestionView, ...] = ()
    if not positive_needs and (vague or need_rows):
        questions = tuple(
            ClarifyingQuestionView(
                q.question, tuple(QuickReplyOption(o.label, o.text) for o in q.options)
            )
            for q in compiled.clarifying_questions
        )
    matched = bool(positive_needs)

    # contact points
    contacts = _contacts(
        agencies,
        [p.id for p in programmes],
        snapshot,
        index,
        municipality,
        bool(positive_needs),
    )

    # vocabularies
    jg: list[str] = []
    ms: list[str] = []
    for need, _s, _n, _u in positive_needs:
        vocab = compiled.vocabularies.get(need.id)
        if vocab:
            jg.extend(vocab.jgrants_use_purpose)
            ms.extend(vocab.mirasapo_purpose)

    needs = tuple(
        NeedMatch(
            need.id,
            need.label,
            need.support_type,
            _r(score),
            neg,
            tuple(Evidence(rm.rule.id, h.text, h.normalized) for rm in used for h in rm.hits[:2])[
                :6
            ],
        )
        for need, score, neg, used in need_rows
    )
    return MatchResult(
        matched=matched,
        needs=needs,
        support_types=support_types,
        agencies=agencies,
        programmes=programmes,
        actions=actions,
        contact_points=contacts,
        clarifying_questions=questions,
        vocabularies=Vocabularies(tuple(dict.fromkeys(jg)), tuple(dict.fromkeys(ms))),
        truncated=truncated,
    )


def _contacts(
    agencies: tuple[AgencyMatch, ...],
    programme_ids: list[str],
    snapshot: DirectorySnapshot,
    index: _SnapshotIndex,
    municipality: str | None,
    referral: bool,
) -> tuple[ContactMatch, ...]:
    def agency_name(cp: ContactPointView) -> str:
        a = snapshot.agencies.get(cp.agency_id)
        return a.name if a else cp.agency_id

    if not referral:
        return tuple(
            ContactMatch(cp, agency_name(cp), "総合的な相談窓口（該当する支援を特定できないため）")
            for cp in index.fallback
        )
    code = None
    muni_name = None
    if municipality:
        key = municipality.strip()
        code = index.municipality_codes.get(key)
        if code and code in snapshot.municipalities:
            muni_name = snapshot.municipalities[code].name
        elif code:
            muni_name = key
    out: list[ContactMatch] = []
    seen: set[str] = set()
    # A programme's own window comes first, whoever ranks as agency.
    for pid in programme_ids:
        for cp in index.programme_contacts.get(pid, ()):
            if cp.id not in seen:
                seen.add(cp.id)
                name = snapshot.programmes[pid].name
                out.append(ContactMatch(cp, agency_name(cp), f"制度「{name}」の窓口"))
    for am in agencies:
        family = index.descendants.get(am.id, (am.id,))
        local = list(
            islice(
                (cp for aid in family for cp in index.local_contacts.get((aid, code or ""), ())),
                MAX_CONTACTS_PER_AGENCY,
            )
        )
        if local:
            chosen = local
            reason = f"{am.name}の{muni_name}の窓口"
        else:
            chosen = list(
                islice(
                    (cp for aid in family for cp in index.wide_contacts.get(aid, ())),
                    MAX_CONTACTS_PER_AGENCY,
                )
            )
            reason = f"{am.name}の県内全域の窓口"
        for cp in chosen[:MAX_CONTACTS_PER_AGENCY]:
            if cp.id in seen:
                continue
            seen.add(cp.id)
            out.append(ContactMatch(cp, agency_name(cp), reason))
        if len(out) >= MAX_CONTACTS:
            break
    if not out:
        # None of the ranked agencies has a registered window yet: the clerk still gets the
        # prefecture's general consultation points rather than nothing.
        out = [
            ContactMatch(cp, agency_name(cp), "紹介先の窓口が未登録のため、県の総合的な相談窓口")
            for cp in index.fallback
        ]
    return tuple(out[:MAX_CONTACTS])
