"""match_need: from a business owner's words to needs, support types, agencies, programmes,
actions and contact points, with reasons that name the rule and the matched words.

Stages (each a function with a small dataclass between them):
1. ``analyse``: rule hits in the token stream and in the reading stream (kana, wrong kanji of
   the right sound), negation cues (not in a question; a contrast AではなくB negates A only and
   ends a term sequence), vague terms, everyday-life terms (hits inside them are dropped).
   Readings are also matched loosely (voicing marks, small kana, long vowels) over typed kana;
   a wanted_only rule keeps only the owner's own plan (not 〜てもらう, not a partner Xと);
2. ``score_needs``: need = noisy-or of its non-negated rules (negated if all its hits are); a
   general need (経営の相談) said beside a specific one counts GENERAL_NEED_FACTOR of itself; a
   verb phrase that only describes a later need's words counts MODIFIER_FACTOR of itself;
   ``classifier_guess`` and ``second_opinion``: the need classifier's guess where the rules
   found nothing (also when only the needs of one support type together are clear, beside a
   business word), only a general need, near ties, another need than the one the whole text
   is about, or a need the rules took for background that the whole text is about; ``vague_by_classifier``: no need, and the classifier's guess is its class for
   vague requests: clarifying questions;
3. ``rank_support_types`` (extra types a rule lists count half, and only where no need of that
   type was said; needs named only in the background count once per type; a type the owner
   turned down ranks after the others), ``rank_actions``
   (need.actions x 0.8, rule.actions x 0.9),
   ``rank_agencies`` (every agency holding the need's support type in the role matrix gets
   score x (0.35 + 0.45 x position bonus if the need lists it); others only through a rule's
   ``agency_boosts``), ``rank_programmes`` (rule.programmes x 0.9, plus programmes of the top
   3 actions whose support types meet the matched ones x 0.45), ``choose_national``
   (app/matching/national.py: the synced jGrants subsidies accepting applications at the
   caller's `now` whose use purposes meet those the needs map to);
4. clarifying questions whenever no need was found (never a dead end), unless only everyday
   life was said, and beside a general need said as a worry with nothing asked; contact points
   (``_contacts``).
All scores are in [0, 1], combined by noisy-or, rounded to 4 decimals, ties broken by id.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from itertools import chain, islice

from app.matching.classifier import MIN_LIFT, VAGUE, NeedClassifier, NeedGuess
from app.matching.compiler import (
    KIND_AVOIDANCE,
    KIND_BUSINESS,
    KIND_CONTRAST,
    KIND_PRIVATE,
    KIND_TERM,
    KIND_VAGUE,
    SEP,
    VAGUE_READING,
    CompiledRules,
)
from app.matching.national import PurposeOfNeed, choose_national
from app.matching.normalize import (
    MAX_INPUT_CHARS,
    NormalizedText,
    Token,
    alternative_spellings,
    devoiced,
    display_form,
    is_kana,
    looks_english,
    loose_reading,
)
from app.matching.result import (
    ActionMatch,
    AgencyMatch,
    ClarifyingQuestionView,
    ContactMatch,
    Evidence,
    LocalOffice,
    MatchResult,
    NeedMatch,
    ProgrammeMatch,
    QuickReplyOption,
    SupportTypeMatch,
    Vocabularies,
)
from app.matching.rules import Negation, Rule
from app.matching.similarity import need_profiles
from app.matching.snapshot import (
    AgencyView,
    ContactPointView,
    DirectorySnapshot,
    NeedView,
    ProgrammeView,
    in_id_order,
)
from app.matching.wording import ENGLISH, JAPANESE, WORDINGS, Wording

# Scoring constants (documented in the README of the matcher / module docstring).
ROLE_BASE = 0.35  # an agency holding the support type in the role matrix
NEED_AGENCY_BONUS = 0.45  # ... and listed for the need (推進体制図), decaying with its position
EXTRA_SUPPORT_FACTOR = 0.5  # support types a rule lists besides its need's type
NEED_ACTION_FACTOR = 0.8
RULE_ACTION_FACTOR = 0.9
RULE_PROGRAMME_FACTOR = 0.9
ACTION_PROGRAMME_FACTOR = 0.45
PROGRAMME_ORDER_DECAY = 0.02  # per place down a rule's list of programmes
SPECIFICITY_BONUS = 0.05  # per extra token of the matched pattern
# A hit in a clause that only gives background (売上が落ちて、) weighs this much of itself when
# another clause says what the owner wants (〜したい, 〜してほしい).
BACKGROUND_FACTOR = 0.7
_PREDICATE_POS = frozenset({"動詞", "形容詞"})
# A hit followed in its clause by a hit of another need (the head comes last) weighs this much.
MODIFIER_FACTOR = 0.95
# The terms of a sequence pattern stand at most this many words apart.
MAX_SEQUENCE_GAP = 6
# A general need (経営の相談) said beside a specific one weighs this much of its score.
GENERAL_NEED_FACTOR = 0.5
MAX_CONTACTS = 12
# Characters that continue a mora: a reading hit may not start on one or stop before one.
_MORA_TAIL = frozenset("ァィゥェォャュョヮッー")
MAX_CONTACTS_PER_AGENCY = 3


def _r(x: float) -> float:
    return _round4(min(1.0, max(0.0, x)))


def _round4(x: float) -> float:
    """round(x, 4), bit for bit, without its decimal conversion for a score in (0, 1]: x * 10^4
    is exact to ~1e-12 there, so away from a tie (.5) its rounding is decided by arithmetic, and
    k / 10^4 is the double nearest to that decimal, as round's own result is. Ties, zeros and
    anything else go to round."""
    if 0.0 < x <= 1.0:
        scaled = x * 10000.0
        whole = math.floor(scaled)
        frac = scaled - whole
        if abs(frac - 0.5) > 1e-6:
            return (whole + (frac > 0.5)) / 10000.0
    return round(x, 4)


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
    last: int = -1  # where its last hit ends (token index)
    last_negated: bool = False  # whether that last hit is negated

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
    # need id -> the agencies holding its support type (`need_agencies`), kept per snapshot
    agencies_of_need: dict[str, tuple[tuple[str, float, bool], ...]]
    programmes_by_action: dict[int, tuple[ProgrammeView, ...]]
    # (actions, support types, limit) -> the programmes that can rank by those actions alone
    action_candidates: dict[tuple[object, ...], tuple[tuple[str, tuple[int, ...]], ...]] = field(
        default_factory=dict
    )

    def candidates_by_action(
        self, actions: tuple[int, ...], active: frozenset[str], limit: int
    ) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """The programmes of `actions` that fit a support type of `active` (or have none), each
        with the actions it belongs to: for every such set of actions only the first `limit` by
        id, since all of them score alike and ties go by id. Kept per key for the snapshot, so
        a directory of thousands of programmes is scanned once per kind of answer, not per
        request."""
        key = (actions, active, limit)
        found = self.action_candidates.get(key)
        if found is not None:
            return found
        per_set: dict[tuple[int, ...], list[str]] = defaultdict(list)
        for a in actions:
            for prog in self.programmes_by_action.get(a, ()):
                if prog.support_types and not active.intersection(prog.support_types):
                    continue
                member = tuple(x for x in actions if x in prog.actions)
                # a programme of several of the actions is taken from its first one's list
                if member[0] == a and len(per_set[member]) < limit:
                    per_set[member].append(prog.id)
        found = tuple((pid, member) for member, ids in per_set.items() for pid in ids)
        if len(self.action_candidates) >= _CANDIDATE_KEYS:
            self.action_candidates.clear()
        self.action_candidates[key] = found
        return found


_index_lock = threading.Lock()
_CANDIDATE_KEYS = 2048


def snapshot_index(snapshot: DirectorySnapshot) -> _SnapshotIndex:
    """The matcher's lookups for a snapshot, built once and kept on the snapshot itself (so
    they go when it goes: an old directory of 100k contact points is not held by a cache)."""
    found: _SnapshotIndex | None = snapshot.derived.get("index")
    if found is not None:
        return found
    with _index_lock:
        found = snapshot.derived.get("index")
        if found is None:
            found = _build_index(snapshot)
            snapshot.derived["index"] = found
        return found


def _build_index(snapshot: DirectorySnapshot) -> _SnapshotIndex:
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
    for cp in in_id_order(snapshot.contact_points):
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
    for p in in_id_order(snapshot.programmes.values()):
        for act in p.actions:
            by_action[act].append(p)
    idx = _SnapshotIndex(
        agencies_by_role={k: tuple(v) for k, v in by_role.items()},
        agencies_of_need={nid: need_agencies(n, by_role) for nid, n in snapshot.needs.items()},
        programmes_by_action={k: tuple(v) for k, v in by_action.items()},
        descendants=descendants,
        local_contacts={k: tuple(v) for k, v in local.items()},
        wide_contacts={k: tuple(v) for k, v in wide.items()},
        programme_contacts={k: tuple(v) for k, v in by_programme.items()},
        fallback=tuple(in_id_order(c for c in snapshot.contact_points if c.general_fallback)),
        municipality_codes=codes,
    )
    return idx


def need_agencies(
    need: NeedView, agencies_by_role: Mapping[str, Sequence[AgencyView]]
) -> tuple[tuple[str, float, bool], ...]:
    """The agencies holding a need's support type in the role matrix (by id), each with the
    base of its weight (`ROLE_BASE`, plus `NEED_AGENCY_BONUS` decaying with its position where
    the need lists it) and whether the need lists it."""
    out = []
    for agency in agencies_by_role.get(need.support_type, ()):
        base = ROLE_BASE
        listed = agency.id in need.agencies
        if listed:
            rank = need.agencies.index(agency.id)
            base += NEED_AGENCY_BONUS * (1.0 - rank / len(need.agencies))
        out.append((agency.id, base, listed))
    return tuple(out)


# --- stage 1: finding rule hits -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cue:
    clause: int
    start: int  # token index
    contrast: bool
    avoidance: bool = False  # 〜たくない, 〜ずに: no refusal of a trouble (Negation.avoided)


@dataclass(slots=True)
class _Scan:
    """What the automata found in one text, before any rule is applied."""

    # term id -> (start, end) token spans; a term is a key only once it has a span
    term_hits: dict[int, list[tuple[int, int]]]
    cues: list[_Cue]
    private: list[tuple[int, int]]  # spans of everyday-life terms
    vague: bool
    business: bool = False  # a business-context word (店, 会社 …) was said


@dataclass(frozen=True, slots=True)
class Analysis:
    """Stage 1: the rule hits in a text, with what makes them negated or out of scope."""

    hits: tuple[_Hit, ...]
    background: frozenset[int]  # clauses that give background to a wanted clause
    vague: bool  # a vague term (相談, 困る …) was said
    private: bool  # an everyday-life term (住宅ローン, 年金 …) was said
    business: bool  # a business-context word (店, 会社, 商売 …) was said
    tokens: tuple[Token, ...] = ()


def _scan(nt: NormalizedText, compiled: CompiledRules) -> _Scan:
    tokens = nt.tokens
    scan = _Scan(defaultdict(list), [], [], False)
    if not tokens:
        return scan
    parts = [SEP]
    end_of: dict[int, int] = {}
    pos = 1
    for i, tok in enumerate(tokens):
        parts.append(tok.norm)
        parts.append(SEP)
        pos += len(tok.norm)
        end_of[pos] = i
        pos += 1
    kinds = compiled.key_kinds
    for end_idx, key in compiled.automaton.iter("".join(parts)):
        tok_end = end_of[end_idx]
        tok_start = tok_end - compiled.key_token_len[key] + 1
        kind = kinds[key]
        if kind & KIND_TERM:
            for tid in compiled.key_terms[key]:
                scan.term_hits[tid].append((tok_start, tok_end))
        if kind & KIND_VAGUE:
            scan.vague = True
        if kind & KIND_PRIVATE:
            scan.private.append((tok_start, tok_end))
        if kind & KIND_BUSINESS:
            scan.business = True
    _scan_readings(nt, compiled, scan)
    _scan_cues(nt, compiled, scan.cues)
    return scan


# What comes before たくない when it is something that would happen to the owner (passive or
# a misfortune): されたくない, 盗まれたくない, 潰れたくない.
_SUFFERED = frozenset({"され", "られ", "まれ", "ぶれ", "潰れ"})
_MANAGES = ("済", "すむ", "すみ", "すん")
# 〜ずにいる, 言い出せずに困っている: stuck, not doing it; the trouble itself, no refusal
_STUCK = ("いる", "いま", "いて", "おり", "おる", "困")
# After a verb: someone else does it for the owner (〜てもらう, 〜ていただく, 〜てほしい).
_DONE_BY_OTHERS = frozenset({"貰う", "頂く", "て欲しい"})


def _scan_cues(nt: NormalizedText, compiled: CompiledRules, cues: list[_Cue]) -> None:
    """Negation cues in the folded text; a cue sits at the first content token it covers (or
    that follows it), in that token's clause."""
    if compiled.cue_automaton is None:
        return
    tokens = nt.tokens
    for end, (length, kind) in compiled.cue_automaton.iter(nt.text):
        begin = end - length + 1
        # 〜されたくない, 潰れたくない: a wish that something not happen to the owner (to be
        # copied, to go under), which asks for help; not a refusal of it.
        if nt.text.startswith("たく", begin) and nt.text[max(0, begin - 2) : begin] in _SUFFERED:
            continue
        # 〜ずに済む / 〜ないで済む: managing to avoid something is the wish itself, no refusal
        if nt.text.startswith(_MANAGES, end + 1):
            continue
        if nt.text.endswith("ずに", 0, end + 1) and nt.text.startswith(_STUCK, end + 1):
            continue
        at = next((i for i, t in enumerate(tokens) if t.end > begin), len(tokens))
        # A cue that begins inside a verb is part of that verb: いらん in はいらん (売掛が入らん)
        # is no refusal. (Inside a noun it still is one: 不必要.)
        if at < len(tokens) and tokens[at].begin < begin and tokens[at].pos == "動詞":
            continue
        clause = tokens[at].clause if at < len(tokens) else nt.clause_count - 1
        cues.append(_Cue(clause, at, bool(kind & KIND_CONTRAST), bool(kind & KIND_AVOIDANCE)))


def _scan_readings(nt: NormalizedText, compiled: CompiledRules, scan: _Scan) -> None:
    """Term hits in the reading stream (kana input, wrong kanji of the right sound).

    A reading hit must start and end on a content token and on a whole mora (not before a small
    kana or a long-vowel mark), stay in one clause, and not lie inside one dictionary word
    written in kanji: 機会 is not 機械 and 操業 is not 創業, however they sound."""
    automaton = compiled.reading_automaton
    reading = nt.reading
    if automaton is None or not reading:
        return
    owner = nt.reading_tokens
    tokens = nt.tokens
    # As read, and without voicing marks: a compound is read with them where its parts are
    # not (資金繰り is しきんぐり, its parts シキン+クリ). Same length, same offsets.
    # Rendaku never voices a word's first sound, so a match found only in the devoiced form must
    # begin as read and differ inside (シキ[グ]リ), not at its start (ガイテン is no カイテン).
    plain = devoiced(reading)
    found = [(end_idx, key, False, False) for end_idx, key in automaton.iter(reading)]
    if plain != reading:
        found += [(end_idx, key, True, False) for end_idx, key in automaton.iter(plain)]
    # Kana typed in a hurry (ほしよきん, しようひん, ほうむぺえじ): the loose forms meet, but only
    # over kana the owner typed (no dictionary word in kanji or katakana), and not where the
    # loosening changed the first sound (ガイテン is still no カイテン).
    loose = loose_reading(reading)
    if compiled.loose_automaton is not None:
        found += [
            (end_idx, key, False, True) for end_idx, key in compiled.loose_automaton.iter(loose)
        ]
    for end_idx, key, via_plain, via_loose in found:
        start_idx = end_idx - compiled.reading_lengths[key] + 1
        if via_loose and (
            reading[start_idx] != loose[start_idx]
            or any(
                not is_kana(tokens[i].surface) or tokens[i].loanword
                for i in owner[start_idx : end_idx + 1]
                if i >= 0
            )
        ):
            continue
        if via_plain and (
            reading[start_idx] != plain[start_idx]
            or reading[start_idx : end_idx + 1] == plain[start_idx : end_idx + 1]
        ):
            continue
        if reading[start_idx] in _MORA_TAIL or (
            end_idx + 1 < len(reading) and reading[end_idx + 1] in _MORA_TAIL
        ):
            continue
        first, last = owner[start_idx], owner[end_idx]
        # An end on a particle is a word cut in two, unless Sudachi cut a run of kana it could
        # not read (とっ|き|ょ, ゆう|し|を): then the span's kana content tokens stand for it.
        if last < 0:
            inside = [i for i in owner[start_idx : end_idx + 1] if i >= 0]
            if inside and (reading[end_idx] in _MORA_TAIL or not tokens[inside[-1]].trusted):
                last = inside[-1]
        # The same at the start: a run of kana cut as particle + word (か|いがい for かいがい).
        if first < 0:
            inside = [i for i in owner[start_idx : end_idx + 1] if i >= 0]
            if inside and not tokens[inside[0]].trusted:
                first = inside[0]
        if first < 0 or last < 0 or tokens[first].clause != tokens[last].clause:
            continue
        # A dictionary word is not cut: 新しい商品 does not hide 意匠 (アタラシ|イ・ショウ|ヒン).
        # Nor is a loanword: ドローン does not hide ローン.
        whole_first = tokens[first].trusted or tokens[first].loanword
        whole_last = tokens[last].trusted or tokens[last].loanword
        if (whole_first and start_idx > 0 and owner[start_idx - 1] == first) or (
            whole_last and end_idx + 1 < len(owner) and owner[end_idx + 1] == last
        ):
            continue
        if (
            first == last
            and whole_first
            and not (tokens[first].before_suru and compiled.reading_suru[key])
        ):
            continue
        for tid in compiled.reading_terms[key]:
            if tid == VAGUE_READING:
                scan.vague = True
                continue
            spans = scan.term_hits[tid]
            if (first, last) not in spans:
                spans.append((first, last))


def _next_term(
    spans: list[tuple[int, int]], after: int, stretch: int, tokens: tuple[Token, ...]
) -> tuple[int, int] | None:
    """The nearest span of the next term of a sequence: after `after`, in the same stretch
    (clauses joined by commas), at most MAX_SEQUENCE_GAP words on (資金の計画を一緒に立ててほしい
    is no 資金が欲しい)."""
    best = None
    for s1, e1 in spans:
        if (
            after < s1 <= after + MAX_SEQUENCE_GAP
            and tokens[s1].stretch == stretch
            and (best is None or s1 < best[0])
        ):
            best = (s1, e1)
    return best


def analyse(nt: NormalizedText, compiled: CompiledRules) -> Analysis:
    scan = _scan(nt, compiled)
    tokens = nt.tokens
    barriers = [c.start for c in scan.cues if c.contrast]
    hits: list[_Hit] = []
    term_hits = scan.term_hits
    for tid in sorted(term_hits):
        patterns = compiled.patterns_by_first_term.get(tid, ())
        if not patterns:
            continue
        first_spans = sorted(term_hits[tid])
        for pat in patterns:
            # a sequence one of whose later terms was not said cannot be complete
            if not term_hits.keys() >= pat.later:
                continue
            clauses_seen: set[int] = set()
            for s0, e0 in first_spans:
                if tokens[s0].clause in clauses_seen:
                    continue
                clause = tokens[s0].clause
                cur_end = e0
                complete = True
                for t in pat.terms[1:]:
                    found = _next_term(term_hits[t], cur_end, tokens[s0].stretch, tokens)
                    # A term sequence does not run across a contrast: in 補助金じゃなくて融資を
                    # 受けたい, 受ける belongs to 融資, not to 補助金.
                    if found is None or any(cur_end < b < found[0] for b in barriers):
                        complete = False
                        break
                    cur_end = found[1]
                if not complete:
                    continue
                hits.append(
                    _Hit(
                        rule_index=pat.rule_index,
                        start=s0,
                        end=cur_end,
                        clause=clause,
                        token_len=pat.token_len,
                        text=nt.shown(tokens[s0].begin, tokens[cur_end].end),
                        normalized=" ".join([tok.norm for tok in tokens[s0 : cur_end + 1]]),
                    )
                )
                clauses_seen.add(clause)  # one occurrence of a pattern per clause is enough
    _regex_hits(nt, compiled, hits)
    if scan.private and not scan.business:
        hits = []  # everyday life only (住宅ローンの借り換え、金利の低い銀行)
    elif scan.private:
        # only what lies inside an everyday-life term (住宅|ローン); a hit that reaches out of it
        # (病院で使う器具の部品) speaks of business
        hits = [h for h in hits if not any(s <= h.start and h.end <= e for s, e in scan.private)]
    # A cue negates what precedes it in its clause; a cue whose clause says nothing before it
    # (特許は弁理士に頼んでいるので大丈夫です) speaks of the clause before.
    # (clause, token index the cue sits at, whether it is an avoidance cue)
    targets: list[tuple[int, int, bool]] = []
    for c in scan.cues:
        if not c.contrast and c.clause in nt.questions:
            continue
        # (A hit that begins before the cue says something, even when the cue is its own last
        # word: 会社が|もたない.)
        if c.clause > 0 and not any(h.clause == c.clause and h.start < c.start for h in hits):
            targets.append((c.clause - 1, len(tokens), c.avoidance))
        targets.append((c.clause, c.start, c.avoidance))
    for h in hits:
        negation = compiled.rules[h.rule_index].negation
        if negation is not Negation.ignore:
            # after the hit, or on its last word when the hit is a sequence (店を|もたない)
            # (but not when that last word is the hit's own negative: 仕事を止めずに続けたい
            # wants [仕事, 止める, ず], the ずに does not refuse it); a trouble not wanted
            # (会社を潰したくない) is no refusal (Negation.avoided)
            h.negated = any(
                cl == h.clause
                and not (avoidance and negation is Negation.avoided)
                and (at > h.end or (h.start < at == h.end and tokens[at].norm != "ない"))
                for cl, at, avoidance in targets
            )
    asks = nt.desires | nt.questions  # 〜したい, 〜してください, 〜はありますか
    # A wanted_only rule reads the owner's own plan: 若い人に店を出してもらいたい wants someone
    # else to open a shop (〜てもらう, 〜てほしい after the hit), and in 食品会社と一緒に加工品を
    # 作りたい the company is a partner (Xと), not what the owner will set up.
    hits = [
        h
        for h in hits
        if not compiled.rules[h.rule_index].wanted_only
        or (
            h.clause in asks
            and not (h.end + 1 < len(tokens) and tokens[h.end + 1].norm in _DONE_BY_OTHERS)
            and not (h.end > h.start and nt.text.startswith("と", tokens[h.start].end))
        )
    ]
    wanted = {h.clause for h in hits if not h.negated and h.clause in asks}
    background = frozenset(range(nt.clause_count)) - asks if wanted else frozenset()
    if not wanted and asks and hits:
        background = _background_of_a_bare_ask(nt, hits, asks)
    return Analysis(tuple(hits), background, scan.vague, bool(scan.private), scan.business, tokens)


def _background_of_a_bare_ask(
    nt: NormalizedText, hits: list[_Hit], asks: frozenset[int]
) -> frozenset[int]:
    """An ask that names nothing itself (一緒に計画を作ってくれるところはないでしょうか, 専門の人に
    来てもらえますか) asks about what was just said, in its own sentence or the one before:
    that sentence is what is wanted, the sentences before it are background. () when neither
    names a need."""
    sentence_of = {t.clause: t.sentence for t in nt.tokens}
    last_ask = max(sentence_of.get(c, -1) for c in asks)
    said = [sentence_of[h.clause] for h in hits if not h.negated and h.clause in sentence_of]
    before = [s for s in said if s <= last_ask]
    # only what was just said: a need named three sentences back is no referent
    if not before or max(before) < last_ask - 1:
        return frozenset()
    meant = max(before)
    return frozenset(
        c for c in range(nt.clause_count) if c not in asks and sentence_of.get(c, meant) < meant
    )


def best_analysis(text: str, compiled: CompiledRules) -> tuple[NormalizedText, Analysis]:
    """Stage 1 on the text as typed and on its alternative spellings (kana-only text in
    hiragana, romaji in kana: `alternative_spellings`); the one whose rule hits cover more of
    the text wins, the text as typed on a tie. The evidence keeps the owner's characters where
    the spelling kept the offsets."""
    nt = compiled.normalizer.normalize(text)
    best = (nt, analyse(nt, compiled))
    spellings = alternative_spellings(display_form(text))
    if not spellings:
        return best
    best_cover = _coverage(*best)
    for spelling in spellings:
        alt = compiled.normalizer.normalize(spelling)
        if len(alt.text) == len(nt.text):
            alt = replace(alt, display=nt.display)
        candidate = (alt, analyse(alt, compiled))
        cover = _coverage(*candidate)
        if cover > best_cover:
            best, best_cover = candidate, cover
    return best


def _coverage(nt: NormalizedText, analysis: Analysis) -> tuple[int, int]:
    """Characters of the text inside a rule hit (wanted or negated), then the hits found
    negated: a spelling that also reads a refusal (ユウシハイリマセン as ゆうしはいりません)
    reads the text better, not worse."""
    covered: set[int] = set()
    for h in analysis.hits:
        if h.start < len(nt.tokens) and h.end < len(nt.tokens):
            covered.update(range(nt.tokens[h.start].begin, nt.tokens[h.end].end))
    return len(covered), sum(h.negated for h in analysis.hits)


def _regex_hits(nt: NormalizedText, compiled: CompiledRules, hits: list[_Hit]) -> None:
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
                text=nt.shown(m.start(), m.end()),
                normalized=m.group(0),
            )
        )


# --- stage 2: needs -----------------------------------------------------------------------


def _rule_matches(analysis: Analysis, compiled: CompiledRules) -> list[_RuleMatch]:
    grouped: dict[int, list[_Hit]] = defaultdict(list)
    for h in analysis.hits:
        grouped[h.rule_index].append(h)

    # Japanese puts the head last: in 若い者を共同で育てられる団体を作りたい, the verb phrase
    # before 団体を作る only describes it. A hit that ends on a verb or adjective and is
    # followed, in its clause, by a hit of another need weighs MODIFIER_FACTOR of itself.
    # (融資と試験: nouns side by side are two needs, not one describing the other.)
    tokens = analysis.tokens
    need_of = [compiled.rules[h.rule_index].need for h in analysis.hits]
    modifiers = {
        i
        for i, h in enumerate(analysis.hits)
        if h.end < len(tokens)
        and tokens[h.end].pos in _PREDICATE_POS
        and any(
            o.clause == h.clause and o.start > h.end and need_of[j] != need_of[i]
            for j, o in enumerate(analysis.hits)
        )
    }
    factor = {id(h): MODIFIER_FACTOR for i, h in enumerate(analysis.hits) if i in modifiers}

    def weight(h: _Hit) -> float:
        w = BACKGROUND_FACTOR if h.clause in analysis.background else 1.0
        return w * factor.get(id(h), 1.0)

    out = []
    for ri in sorted(grouped):
        rule = compiled.rules[ri]
        rhits = grouped[ri]
        positive = [h for h in rhits if not h.negated]
        use = positive or rhits
        use.sort(key=lambda h: (-h.token_len * weight(h), h.start))
        best = use[0]
        strength = min(1.0, rule.weight + SPECIFICITY_BONUS * (best.token_len - 1)) * weight(best)
        last = max(rhits, key=lambda h: (h.end, not h.negated))
        out.append(_RuleMatch(rule, not positive, strength, use[:3], "", last.end, last.negated))
    return out


def _need_explanation(n: NeedScore, w: Wording = JAPANESE) -> str:
    """Why a need was read from the text, in the desk's words (no rule ids)."""
    if n.inferred:
        return w.need_inferred(w.need_topic(n.need))
    hits = [h for rm in n.used for h in rm.hits]
    said = [h.text for h in hits if h.negated == n.negated] or [h.text for h in hits]
    words = list(dict.fromkeys(said))[:2]
    topic = w.need_topic(n.need)
    return w.need_refused(words, topic) if n.negated else w.need_read(words, topic)


def _reason(rm: _RuleMatch, what: str, w: Wording = JAPANESE) -> str:
    if rm.rule.id.startswith(INFERRED_PREFIX):
        return w.inferred_reason(what)
    return w.rule_reason(rm.rule.id, rm.words, what)


def _distinct_evidence(group: list[_RuleMatch]) -> list[_RuleMatch]:
    """Rules of one need that matched the same words count once (the strongest): 人手不足
    found by two rules is one piece of evidence, not two."""
    kept: list[_RuleMatch] = []
    spans: list[tuple[int, int]] = []
    for rm in sorted(group, key=lambda rm: (-rm.strength, rm.rule.id)):
        best = rm.hits[0]
        if any(s <= best.end and best.start <= e for s, e in spans):
            continue
        kept.append(rm)
        spans.extend((h.start, h.end) for h in rm.hits)
    return kept


@dataclass(slots=True)
class NeedScore:
    """A need the text expresses (or negates), with the rule matches that found it."""

    need: NeedView
    score: float  # what the need weighs in the ranking of support types and agencies
    negated: bool
    used: list[_RuleMatch]
    raw: float  # noisy-or of its rule strengths, before a general need gives way
    # named only in the background of a text that asks for something else
    background: bool = False
    # no rule matched: the classifier's guess (app/matching/classifier.py)
    inferred: bool = False


def score_needs(
    analysis: Analysis, compiled: CompiledRules, snapshot: DirectorySnapshot
) -> list[NeedScore]:
    """Needs by score (negated ones last); a need is negated when the last thing said about it
    is. A general need (経営の相談) said beside a specific
    one (事業再生) gives way to it: its weight is scaled by GENERAL_NEED_FACTOR, so two weak
    general hits do not outvote one specific hit."""
    by_need: dict[str, list[_RuleMatch]] = defaultdict(list)
    for rm in _rule_matches(analysis, compiled):
        if rm.rule.need in snapshot.needs:
            by_need[rm.rule.need].append(rm)
    rows: list[NeedScore] = []
    for nid, group in by_need.items():
        group = _distinct_evidence(group)
        # What the owner said last about a need stands: 開業資金は貯めたので借りる必要はない
        # negates the loan that 開業資金 first suggested.
        latest = max(group, key=lambda rm: (rm.last, not rm.last_negated))
        pos = [] if latest.last_negated else [rm for rm in group if not rm.negated]
        used = pos or group
        used.sort(key=lambda rm: (-rm.strength, rm.rule.id))
        told = bool(analysis.background) and all(
            h.clause in analysis.background for rm in used for h in rm.hits
        )
        # Background is told once: several words for the need there do not add up to a wish
        # (家業を継いで五年、引き継ぎのときは… is no succession wanted twice over).
        score = used[0].strength if told else _combine([rm.strength for rm in used])
        rows.append(NeedScore(snapshot.needs[nid], score, not pos, used, score, told))
    if any(not r.negated and not r.need.general for r in rows):
        for r in rows:
            if r.need.general:
                r.score *= GENERAL_NEED_FACTOR
    rows.sort(key=lambda r: (r.negated, -_round4(r.score), r.need.id))
    return rows


# --- stage 3: support types, actions, agencies, programmes --------------------------------


def rank_support_types(
    needs: list[NeedScore],
    snapshot: DirectorySnapshot,
    refused: frozenset[str] = frozenset(),
    w: Wording = JAPANESE,
) -> tuple[SupportTypeMatch, ...]:
    """Support types by the needs that express them. A type a rule lists besides its need's
    own counts only where no need of that type was said: 開業資金 is a start-up first. Needs
    named only in the background of a long text count once per type, by the strongest (as
    background is told once within a need, `score_needs`): 設備は借入れで入れ替えました (two
    finance needs) does not outvote the 販路を開拓したい asked for after it."""
    direct = {n.need.support_type for n in needs}
    contrib: dict[str, list[float]] = defaultdict(list)
    told: dict[str, float] = {}
    for n in needs:
        if n.background:
            told[n.need.support_type] = max(told.get(n.need.support_type, 0.0), n.score)
        else:
            contrib[n.need.support_type].append(n.score)
    for code, score in told.items():
        contrib[code].append(score)
    for n in needs:
        for rm in n.used:
            for st in rm.rule.support_types:
                if st not in direct:
                    contrib[st].append(rm.strength * EXTRA_SUPPORT_FACTOR * n.score / n.raw)
    order = {st.code: st.order for st in snapshot.support_types}
    scores = {code: _combine(v) for code, v in contrib.items() if code in order}
    # A kind of support the owner turned down (`refused`: これ以上借りるつもりはない) ranks after
    # the others the text calls for: machines bought without a loan are a matter of leasing and
    # management, not of financing.
    ranked = sorted(
        scores.items(),
        key=lambda kv: (kv[0] in refused, -_round4(kv[1]), order[kv[0]]),
    )
    return tuple(
        SupportTypeMatch(code, w.support_type_name(snapshot.support_type_by_code[code]), _r(score))
        for code, score in ranked
    )


def rank_actions(needs: list[NeedScore], snapshot: DirectorySnapshot) -> list[tuple[int, float]]:
    contrib: dict[int, list[float]] = defaultdict(list)
    for n in needs:
        for a in n.need.actions:
            contrib[a].append(n.score * NEED_ACTION_FACTOR)
        for rm in n.used:
            for a in rm.rule.actions:
                contrib[a].append(rm.strength * RULE_ACTION_FACTOR * n.score / n.raw)
    scores = {a: _combine(v) for a, v in contrib.items() if a in snapshot.actions}
    return sorted(scores.items(), key=lambda kv: (-_round4(kv[1]), kv[0]))


def rank_agencies(
    needs: list[NeedScore],
    snapshot: DirectorySnapshot,
    index: _SnapshotIndex,
    limit: int,
    w: Wording = JAPANESE,
) -> tuple[AgencyMatch, ...]:
    contrib: dict[str, list[float]] = defaultdict(list)
    # reasons are formatted only for the agencies that are returned
    reasons: dict[str, list[tuple[_RuleMatch, str, str | None]]] = defaultdict(list)
    for n in needs:
        need, score, top = n.need, n.score, n.used[0]
        damp = n.score / n.raw
        label = w.need_label(need)
        for aid, base, listed in index.agencies_of_need.get(need.id, ()):
            contrib[aid].append(score * base)
            reasons[aid].append((top, need.support_type, label if listed else None))
        for rm in n.used:
            for st in rm.rule.support_types:
                if st == need.support_type:
                    continue
                for agency in index.agencies_by_role.get(st, ()):
                    contrib[agency.id].append(rm.strength * damp * EXTRA_SUPPORT_FACTOR * ROLE_BASE)
                    reasons[agency.id].append((rm, st, None))
            for aid, boost in sorted(rm.rule.agency_boosts.items()):
                if aid in snapshot.agencies:
                    contrib[aid].append(rm.strength * damp * boost)
                    reasons[aid].append((rm, "", None))

    # many agencies rank for the same rule and role: each sentence is formatted once
    formatted: dict[tuple[int, str, str | None], str] = {}

    def reason(rm: _RuleMatch, st: str, label: str | None) -> str:
        key = (id(rm), st, label)
        found = formatted.get(key)
        if found is None:
            if not st:
                found = _reason(rm, w.named_by_rule(), w)
            else:
                role = w.support_type_name(snapshot.support_type_by_code[st])
                found = _reason(rm, w.holds_role(role, label), w)
            formatted[key] = found
        return found

    def explanation(rm: _RuleMatch, st: str, label: str | None) -> str:
        need = snapshot.needs.get(rm.rule.need)
        topic = w.need_topic(need) if need else rm.rule.need
        role = w.support_type_name(snapshot.support_type_by_code[st]) if st else None
        return w.agency_for_topic(topic, role)

    scores = {a: _combine(v) for a, v in contrib.items()}
    ranked = sorted(scores.items(), key=lambda kv: (-_round4(kv[1]), kv[0]))[:limit]
    return tuple(
        AgencyMatch(
            aid,
            w.agency_name(snapshot.agencies[aid]),
            _r(s),
            _first_distinct((reason(*x) for x in reasons[aid]), 4),
            explanation=explanation(*reasons[aid][0]),
        )
        for aid, s in ranked
    )


def _first_distinct(texts: Iterable[str], n: int) -> tuple[str, ...]:
    """The first `n` distinct texts, in order (what tuple(dict.fromkeys(texts))[:n] gives,
    without going through all of them)."""
    seen: dict[str, None] = {}
    for text in texts:
        seen[text] = None
        if len(seen) >= n:
            break
    return tuple(seen)


def rank_programmes(
    needs: list[NeedScore],
    actions: list[tuple[int, float]],
    support_types: tuple[SupportTypeMatch, ...],
    snapshot: DirectorySnapshot,
    index: _SnapshotIndex,
    limit: int,
    w: Wording = JAPANESE,
) -> tuple[ProgrammeMatch, ...]:
    contrib: dict[str, list[float]] = defaultdict(list)
    # why each programme ranks (the rule match that lists it, or the number of an action it
    # belongs to): formatted only for the programmes that are returned
    reasons: dict[str, list[_RuleMatch | int]] = defaultdict(list)
    for n in needs:
        for rm in n.used:
            for pos, pid in enumerate(rm.rule.programmes):
                if pid in snapshot.programmes:
                    # the rule's own order breaks ties (its author listed the likeliest first)
                    factor = RULE_PROGRAMME_FACTOR * (1.0 - PROGRAMME_ORDER_DECAY * pos)
                    contrib[pid].append(rm.strength * factor * n.score / n.raw)
                    reasons[pid].append(rm)
    active = frozenset(st.code for st in support_types)
    top = dict(actions[:3])
    members = dict(index.candidates_by_action(tuple(top), active, limit))
    for pid in contrib:  # a programme a rule names counts its actions too, wherever it ranks
        prog = snapshot.programmes[pid]
        if pid not in members and (not prog.support_types or active & set(prog.support_types)):
            members[pid] = tuple(a for a in top if a in prog.actions)
    for pid, member in members.items():
        # a programme without support types is classified only by its actions
        for a in member:
            contrib[pid].append(top[a] * ACTION_PROGRAMME_FACTOR)
            reasons[pid].append(a)

    # a rule's or an action's sentence is the same for every programme it brings: formatted once
    by_action: dict[int, str] = {}
    by_rule: dict[int, str] = {}  # by the id of the rule match

    def reason(why: _RuleMatch | int) -> str:
        if isinstance(why, int):
            found = by_action.get(why)
            if found is None:
                found = w.programme_by_action(why, snapshot.actions[why].title)
                by_action[why] = found
            return found
        found = by_rule.get(id(why))
        if found is None:
            found = _reason(why, w.programme_by_rule(), w)
            by_rule[id(why)] = found
        return found

    scores = {p: _combine(v) for p, v in contrib.items()}
    ranked = sorted(scores.items(), key=lambda kv: (-_round4(kv[1]), kv[0]))[:limit]
    out = []
    for pid, s in ranked:
        prog = snapshot.programmes[pid]
        out.append(
            ProgrammeMatch(
                pid,
                prog.name,
                prog.kind,
                _r(s),
                _first_distinct(map(reason, reasons[pid]), 4),
                prog.status.value,
                prog.status_label,
            )
        )
    return tuple(out)


def _questions(
    compiled: CompiledRules,
    snapshot: DirectorySnapshot,
    nt: NormalizedText,
    analysis: Analysis,
    needs: list[NeedScore],
    w: Wording = JAPANESE,
) -> tuple[ClarifyingQuestionView, ...]:
    """Never a dead end: a text that sounds like a business matter (a vague term such as
    相談 or どうしたら, a business word such as 店 or 商売, or only negated needs) but names no
    need gets the clarifying questions. Everyday life (住宅ローン, 年金) and texts with nothing
    of a business (今日の天気) get none: they are out of scope.

    A general need (経営の相談) said as a worry or a topic, with nothing wanted or asked
    (商売のことで困っちょるんよ, 事業のことで悩んでいます), is kept and asked about as well: the
    desk still has to learn what the matter is."""
    positive = [n for n in needs if not n.negated]
    if positive and not (
        all(n.need.general for n in positive) and not (nt.desires or nt.questions)
    ):
        return ()
    if analysis.private and not analysis.business:
        return ()
    if not (analysis.vague or analysis.business or needs):
        return ()
    fixed = _fixed_questions(compiled, w)
    # The needs nearest to what was said come first, when the text shares enough with them.
    nearest = [
        snapshot.needs[nid]
        for nid, _ in need_profiles(compiled, snapshot).nearest(nt)
        if not any(n.need.id == nid for n in needs)
    ]
    if not nearest:
        return fixed
    options = tuple(QuickReplyOption(w.need_label(n)[:30], n.label) for n in nearest)
    return (ClarifyingQuestionView(w.nearest_question(), options), *fixed)


def _english_text_questions(
    compiled: CompiledRules, w: Wording
) -> tuple[ClarifyingQuestionView, ...]:
    """A text in English: ask, in both languages, for Japanese or one of the topics (with
    English labels; choosing one sends its Japanese text, which the matcher reads)."""
    topics = _fixed_questions(compiled, ENGLISH)
    if not topics:
        return ()
    return (ClarifyingQuestionView(w.in_english_question(), topics[0].options), *topics[1:])


def _fixed_questions(compiled: CompiledRules, w: Wording) -> tuple[ClarifyingQuestionView, ...]:
    """The lexicon's clarifying questions; an option's `text` (what choosing it sends back to
    be matched) stays Japanese in either language."""
    return tuple(
        ClarifyingQuestionView(
            (q.question_en or q.question) if w.english else q.question,
            tuple(
                QuickReplyOption((o.label_en or o.label) if w.english else o.label, o.text)
                for o in q.options
            ),
        )
        for q in compiled.clarifying_questions
    )


def _wanted_purposes(compiled: CompiledRules, positive: list[NeedScore]) -> list[PurposeOfNeed]:
    """The jGrants use purposes of the needs said (in the needs' order), each with its need."""
    wanted: list[PurposeOfNeed] = []
    for n in positive:
        vocab = compiled.vocabularies.get(n.need.id)
        for purpose in vocab.jgrants_use_purpose if vocab else ():
            wanted.append(PurposeOfNeed(purpose, n.need.topic or n.need.label))
    return wanted


def _vocabularies(compiled: CompiledRules, positive: list[NeedScore]) -> Vocabularies:
    jg: list[str] = []
    ms: list[str] = []
    for n in positive:
        vocab = compiled.vocabularies.get(n.need.id)
        if vocab:
            jg.extend(vocab.jgrants_use_purpose)
            ms.extend(vocab.mirasapo_purpose)
    return Vocabularies(tuple(dict.fromkeys(jg)), tuple(dict.fromkeys(ms)))


INFERRED_PREFIX = "inferred."
# What an inferred need weighs where no rule found a need: below a rule's weakest hit.
INFERRED_SCORE = 0.4
# The classifier is consulted beside the rules too (`second_opinion`), each time with a lift
# (its probability x the number of classes) it must reach; measured on development sets the
# rules had never read (see seed/eval/README.md):
# - a vague word (相談, 教えて) beside a described situation: a need is inferred all the same
#   when the guess is this clear (a bare 相談したい stays near 1 and gets questions); 3.0 with the
#   characters-only model, now as `MIN_LIFT`;
VAGUE_MIN_LIFT = 3.5
# - the guess is a need the rules found: it counts as one more piece of evidence of this weight
#   (noisy-or), which decides between needs the rules found nearly tied;
AGREE_MIN_LIFT = 3.0
AGREE_EVIDENCE = 0.7
# - the rules found only a general need (経営の相談): the specific need guessed takes the general
#   need's weight, and the general one gives way to it as to a specific need a rule found;
GENERAL_ONLY_MIN_LIFT = 3.0
# - the rules found other needs, the guess is none of them and clear, in a text of at least
#   `OVERRIDE_MIN_TOKENS` words: it ranks first (what the whole text says outweighs the first noun
#   a rule read in it). Measured by leave-one-set-out over the twelve development sets with
#   speech-7 and speech-8 (seventh session): 5.0 → 2.5 with `AGREE_EVIDENCE` 0.5 → 0.7, 2,618 →
#   2,639 of 2,796 fully right; without the length a short canonical request lost its rule to a
#   weak guess (創業セミナーに参加したい read as 経営革新: the gated set 258 → 253 of 263), with it
#   258 as before.
OVERRIDE_MIN_LIFT = 2.5
OVERRIDE_MARGIN = 0.01
OVERRIDE_MIN_TOKENS = 12
# - no rule found a need, a business word was said and no vague one: a guess below `MIN_LIFT` is
#   inferred all the same when the needs of its support type together reach this lift
#   (`NeedGuess.kind_lift`): the classifier is sure of the kind of support, its probability split
#   between two needs of it (溶接の仕上げ: technological innovation or technical consultation);
KIND_MIN_LIFT = MIN_LIFT
# - no rule found a need and the classifier's own class for vague requests is its guess at this
#   lift: the text is read as vague and gets the clarifying questions, though no vague or
#   business word of the lexicon was said (ここに行けと言われて来ました, 最近いろいろと大変でして).
VAGUE_CLASS_MIN_LIFT = 3.0
# - the guess is a need the rules found only in the background of a text that asks for another:
#   at this lift it is what the text is about, and ranks first (`_brought_forward`).
TOLD_MIN_LIFT = 10.0


@cache
def _inferred_rule(need_id: str, programmes: tuple[str, ...] = ()) -> Rule:
    """The stand-in rule of an inferred need: no agencies of its own, so the ranking follows the
    need's support type, actions and agencies; its programmes are those the need's own rules
    name most often (`CompiledRules.programmes_by_need`)."""
    return Rule.model_construct(
        id=INFERRED_PREFIX + need_id,
        need=need_id,
        description=None,
        patterns=[],
        support_types=[],
        actions=[],
        programmes=list(programmes),
        agency_boosts={},
        weight=INFERRED_SCORE,
        negation=Negation.scoped,
        wanted_only=False,
    )


def _inferred(compiled: CompiledRules, need: NeedView, score: float) -> NeedScore:
    rule = _inferred_rule(need.id, compiled.programmes_by_need.get(need.id, ()))
    return NeedScore(need, score, False, [_RuleMatch(rule, False, score, [])], score, inferred=True)


def _by_score(rows: list[NeedScore]) -> list[NeedScore]:
    return sorted(rows, key=lambda r: (r.negated, -_round4(r.score), r.need.id))


def _need_kinds(snapshot: DirectorySnapshot) -> dict[str, str]:
    """The support type of every specific need (the kinds `NeedGuess.kind_lift` adds up), kept
    on the snapshot."""
    found: dict[str, str] | None = snapshot.derived.get("need_kinds")
    if found is None:
        found = {nid: n.support_type for nid, n in snapshot.needs.items() if not n.general}
        snapshot.derived["need_kinds"] = found
    return found


def classifier_guess(
    text: str,
    compiled: CompiledRules,
    analysis: Analysis,
    snapshot: DirectorySnapshot,
    classifier: NeedClassifier | None,
    nt: NormalizedText | None = None,
) -> NeedGuess | None:
    """The classifier's reading of the text (`nt`: its analysis as typed, where the caller has
    it), with the lift of the guess's support type. None without a classifier, for English and
    for everyday life (unless a business is named too): the classifier is not asked."""
    if classifier is None or looks_english(text):
        return None
    if analysis.private and not analysis.business:
        return None
    return classifier.guess(text, nt or compiled.normalizer.normalize(text), _need_kinds(snapshot))


def _clear_enough(analysis: Analysis, guess: NeedGuess) -> bool:
    """Whether a guess may become a need where no rule found one: `MIN_LIFT` (`VAGUE_MIN_LIFT`
    beside a vague word), or a business word with no vague one and its support type at
    `KIND_MIN_LIFT`."""
    if guess.lift >= (VAGUE_MIN_LIFT if analysis.vague else MIN_LIFT):
        return True
    return analysis.business and not analysis.vague and guess.kind_lift >= KIND_MIN_LIFT


def second_opinion(
    compiled: CompiledRules,
    analysis: Analysis,
    need_rows: list[NeedScore],
    snapshot: DirectorySnapshot,
    guess: NeedGuess | None,
) -> list[NeedScore]:
    """The needs after the classifier (app/matching/classifier.py) has read the text too
    (`guess`: `classifier_guess`).

    - no rule found a need: its guess becomes an inferred need when it is clear enough
      (`_clear_enough`), unless the rules found that need turned down;
    - the rules found only a general need: a specific guess (`GENERAL_ONLY_MIN_LIFT`) is inferred
      at the general need's weight, which gives way to it;
    - the guess is a need the rules found (`AGREE_MIN_LIFT`): one more piece of evidence; a
      need they found only in the background ranks first at `TOLD_MIN_LIFT`
      (`_brought_forward`);
    - the guess is another need, clear (`OVERRIDE_MIN_LIFT`) in a text of some length
      (`OVERRIDE_MIN_TOKENS`: a short request is what its words name): it is inferred just
      above the rules' first need.

    Never for English, everyday life (unless a business is named too: no guess then), a guess
    of the classifier's own no-need classes (everyday life, vague) or a general need."""
    need = snapshot.needs.get(guess.need_id) if guess is not None else None
    if guess is None or need is None:  # OUT_OF_SCOPE and VAGUE are no need of the snapshot
        return need_rows
    found = next((n for n in need_rows if n.need.id == need.id), None)
    positive = [n for n in need_rows if not n.negated]
    if not positive:
        if found is not None:  # turned down: the owner's word stands
            return need_rows
        if not _clear_enough(analysis, guess):
            return need_rows
        return [_inferred(compiled, need, INFERRED_SCORE), *need_rows]
    if need.general:
        return need_rows
    if found is not None:
        if found.negated or guess.lift < AGREE_MIN_LIFT:
            return need_rows
        if found.background and guess.lift >= TOLD_MIN_LIFT:
            return _brought_forward(found, need_rows)
        found.used.append(_RuleMatch(_inferred_rule(need.id), False, AGREE_EVIDENCE, []))
        found.score = _combine([found.score, AGREE_EVIDENCE])
        found.raw = _combine([found.raw, AGREE_EVIDENCE])
        return _by_score(need_rows)
    if all(n.need.general for n in positive):
        if guess.lift < GENERAL_ONLY_MIN_LIFT:
            return need_rows
        weight = max(n.raw for n in positive)
        for n in positive:
            n.score = n.raw * GENERAL_NEED_FACTOR
        return _by_score([_inferred(compiled, need, weight), *need_rows])
    if guess.lift < OVERRIDE_MIN_LIFT or len(analysis.tokens) < OVERRIDE_MIN_TOKENS:
        return need_rows
    first = max(n.score for n in positive)
    return _by_score([_inferred(compiled, need, min(1.0, first + OVERRIDE_MARGIN)), *need_rows])


def _brought_forward(found: NeedScore, need_rows: list[NeedScore]) -> list[NeedScore]:
    """A need the rules found only in the background, which the classifier reads as what the
    whole text is about (`TOLD_MIN_LIFT`): it is what is asked for, ranked just above the rules'
    first need (大学の先生と一緒に、魚の骨から新しい素材を作る研究をしてみたい: the wish is the
    research with the university, not the material it is about)."""
    first = max((n.score for n in need_rows if not n.negated and n is not found), default=0.0)
    found.used.append(_RuleMatch(_inferred_rule(found.need.id), False, AGREE_EVIDENCE, []))
    found.background = False
    found.score = max(_combine([found.score, AGREE_EVIDENCE]), min(1.0, first + OVERRIDE_MARGIN))
    found.raw = max(found.raw, found.score)
    return _by_score(need_rows)


def find_needs(
    text: str,
    compiled: CompiledRules,
    snapshot: DirectorySnapshot,
    classifier: NeedClassifier | None = None,
) -> tuple[NormalizedText, Analysis, list[NeedScore]]:
    """The first stages of `match_need`: the rule hits, the needs they score and the
    classifier's second opinion on them (what a referral keeps of a text: its needs)."""
    nt, analysis = best_analysis(text, compiled)
    need_rows = score_needs(analysis, compiled, snapshot)
    # the classifier learnt the text as typed (not an alternative spelling the rules read)
    typed = nt if nt.text == compiled.normalizer.fold(text) else None
    guess = classifier_guess(text, compiled, analysis, snapshot, classifier, typed)
    need_rows = second_opinion(compiled, analysis, need_rows, snapshot, guess)
    return nt, vague_by_classifier(analysis, need_rows, guess), need_rows


def vague_by_classifier(
    analysis: Analysis, need_rows: list[NeedScore], guess: NeedGuess | None
) -> Analysis:
    """The analysis, read as vague (clarifying questions, `_questions`) where no need was found
    and the classifier's guess is its class for vague requests at `VAGUE_CLASS_MIN_LIFT`: a
    request with no need in it is often said in words the lexicon's vague terms do not hold
    (この先のことを考えると不安で, 知り合いにここに行けと言われて来ました)."""
    if (
        analysis.vague
        or guess is None
        or guess.need_id != VAGUE
        or guess.lift < VAGUE_CLASS_MIN_LIFT
        or any(not n.negated for n in need_rows)
    ):
        return analysis
    return replace(analysis, vague=True)


def match_need(
    text: str,
    compiled: CompiledRules,
    snapshot: DirectorySnapshot,
    *,
    municipality: str | None = None,
    limit: int = 5,
    language: str = "ja",
    now: datetime | None = None,
    classifier: NeedClassifier | None = None,
) -> MatchResult:
    """From a business owner's words to the MatchResult, stage by stage: the rule hits
    (`analyse`), the needs (`score_needs`), support types, actions, agencies, programmes, the
    national subsidies accepting applications at `now` (none without a time: the caller's
    clock decides what is open), the clarifying questions and the contact points."""
    limit = max(1, min(int(limit), 50))
    w = WORDINGS.get(language, JAPANESE)
    nt, analysis, need_rows = find_needs(text, compiled, snapshot, classifier)
    positive = [n for n in need_rows if not n.negated]
    index = snapshot_index(snapshot)

    # A kind of support turned down (a negated need's type) gives way, unless a need asked for
    # has that type and no other kind its rules could be served by (会社をたたまずに立て直す:
    # not closing down, yet 経営基盤安定 all the same).
    refused = frozenset(n.need.support_type for n in need_rows if n.negated) - frozenset(
        n.need.support_type
        for n in positive
        if not any(st != n.need.support_type for rm in n.used for st in rm.rule.support_types)
    )
    english_input = not positive and looks_english(text)
    support_types = rank_support_types(positive, snapshot, refused, w)
    action_ranking = rank_actions(positive, snapshot)
    code = index.municipality_codes.get(municipality.strip()) if municipality else None
    agencies = with_local_offices(
        rank_agencies(positive, snapshot, index, limit, w), snapshot, index, code, w
    )
    programmes = rank_programmes(positive, action_ranking, support_types, snapshot, index, limit, w)
    contacts = _contacts(
        agencies, [p.id for p in programmes], snapshot, index, municipality, bool(positive), w
    )
    return MatchResult(
        matched=bool(positive),
        needs=tuple(
            NeedMatch(
                n.need.id,
                w.need_label(n.need),
                n.need.support_type,
                _r(n.score),
                n.negated,
                tuple(
                    Evidence(rm.rule.id, h.text, h.normalized) for rm in n.used for h in rm.hits[:2]
                )[:6],
                w.need_topic(n.need),
                _need_explanation(n, w),
                n.inferred,
            )
            for n in need_rows
        ),
        support_types=support_types,
        agencies=agencies,
        programmes=programmes,
        actions=tuple(
            ActionMatch(a, snapshot.actions[a].title, _r(s)) for a, s in action_ranking[:limit]
        ),
        contact_points=contacts,
        clarifying_questions=(
            _english_text_questions(compiled, w)
            if english_input
            else _questions(compiled, snapshot, nt, analysis, need_rows, w)
        ),
        vocabularies=_vocabularies(compiled, positive),
        truncated=len(text) > MAX_INPUT_CHARS,
        out_of_scope=analysis.private and not positive,
        input_language="en" if english_input else "ja",
        national_programmes=choose_national(
            snapshot.national_programmes, _wanted_purposes(compiled, positive), now, limit
        )
        if now is not None and snapshot.national_programmes
        else (),
    )


def local_offices(
    agency_id: str,
    code: str | None,
    snapshot: DirectorySnapshot,
    index: _SnapshotIndex,
    w: Wording = JAPANESE,
) -> tuple[LocalOffice, ...]:
    """The offices under an agency (its children and their children) that serve the 市町
    `code`, nearest first: one that serves that 市町 alone before one that serves several, then
    the closer descendant, then by id. Never an office of another town; () without a 市町."""
    if not code:
        return ()
    found = [
        snapshot.agencies[d]
        for d in index.descendants.get(agency_id, ())
        if d != agency_id and code in snapshot.agencies[d].municipalities
    ]
    family = index.descendants.get(agency_id, ())
    found.sort(key=lambda a: (len(a.municipalities), family.index(a.id), a.id))
    muni = snapshot.municipalities.get(code)
    where = muni.name if muni else code
    parent = w.agency_name(snapshot.agencies[agency_id])
    return tuple(
        LocalOffice(
            a.id,
            w.agency_name(a),
            tuple(
                ContactMatch(cp, w.agency_name(a), w.local_window(parent, where))
                for cp in _own_windows(a.id, code, index)
            ),
        )
        for a in found
    )


def _own_windows(agency_id: str, code: str | None, index: _SnapshotIndex) -> list[ContactPointView]:
    """An agency's own windows (not a programme's): those for the 市町 first, then wide ones;
    read only until MAX_CONTACTS_PER_AGENCY are found (an agency of a large directory may have
    hundreds)."""
    seen: dict[str, ContactPointView] = {}
    for cp in chain(
        index.local_contacts.get((agency_id, code or ""), ()),
        index.wide_contacts.get(agency_id, ()),
    ):
        seen.setdefault(cp.id, cp)
        if len(seen) >= MAX_CONTACTS_PER_AGENCY:
            break
    return list(seen.values())


def with_local_offices(
    agencies: tuple[AgencyMatch, ...],
    snapshot: DirectorySnapshot,
    index: _SnapshotIndex,
    code: str | None,
    w: Wording = JAPANESE,
) -> tuple[AgencyMatch, ...]:
    if not code:
        return agencies
    return tuple(
        replace(a, local_offices=local_offices(a.id, code, snapshot, index, w)) for a in agencies
    )


def _contacts(
    agencies: tuple[AgencyMatch, ...],
    programme_ids: list[str],
    snapshot: DirectorySnapshot,
    index: _SnapshotIndex,
    municipality: str | None,
    referral: bool,
    w: Wording = JAPANESE,
) -> tuple[ContactMatch, ...]:
    def agency_name(cp: ContactPointView) -> str:
        a = snapshot.agencies.get(cp.agency_id)
        return w.agency_name(a) if a else cp.agency_id

    if not referral:
        return tuple(ContactMatch(cp, agency_name(cp), w.general_window()) for cp in index.fallback)
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
    # The local windows of the ranked agencies come first, in the agencies' order ...
    for am in agencies:
        for office in am.local_offices:
            for cm in office.contact_points:
                if cm.contact.id not in seen:
                    seen.add(cm.contact.id)
                    out.append(cm)
    # ... then a programme's own window, whoever ranks as agency.
    for pid in programme_ids:
        for cp in index.programme_contacts.get(pid, ()):
            if cp.id not in seen:
                seen.add(cp.id)
                name = snapshot.programmes[pid].name
                out.append(ContactMatch(cp, agency_name(cp), w.programme_window(name)))
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
            reason = w.local_window(am.name, muni_name or "")
        else:
            chosen = list(
                islice(
                    (cp for aid in family for cp in index.wide_contacts.get(aid, ())),
                    MAX_CONTACTS_PER_AGENCY,
                )
            )
            reason = w.prefecture_window(am.name)
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
        out = [ContactMatch(cp, agency_name(cp), w.fallback_window()) for cp in index.fallback]
    return tuple(out[:MAX_CONTACTS])
