"""POST /v1/match: a business owner's words become a referral, with reasons."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.core.caching import CACHEABLE
from app.core.errors import problem_responses
from app.core.i18n import current_language
from app.core.observability import MATCH_LATENCY, MATCH_OUTCOMES
from app.core.openapi import Tag
from app.matching import MissCounter
from app.matching.misses import MissKind, mask
from app.routers.auth import AdminDep
from app.routers.deps import DirectoryDep
from app.schemas import examples
from app.schemas.examples import example_response
from app.schemas.match import MATCH_EXAMPLE_REQUEST, MatchRequest, MatchResponse, MatchStats
from app.services.matching import MatchAnswers

router = APIRouter(prefix="/v1", tags=[Tag.MATCH])
PATH = "/v1/match"
OUTCOME = {kind: MATCH_OUTCOMES.labels(kind) for kind in ("matched", "unmatched", "clarified")}


@dataclass(frozen=True, slots=True)
class Counted:
    """What the route counts of an answer: its outcome and, for a miss, the masked text (the
    read cache keeps it with the answer, and counts it again when it answers the same body)."""

    outcome: str
    masked: str | None = None

    def count(self, misses: MissCounter) -> None:
        OUTCOME[self.outcome].inc()
        if self.masked is not None:
            kind: MissKind = "clarified" if self.outcome == "clarified" else "unmatched"
            misses.count(self.masked, kind)


def keep_repeated_answers(app: FastAPI) -> None:
    """Let the read cache (app/core/caching.py) answer a body it has answered before, in front
    of routing, dependencies and validation: an answer depends on nothing but the body, the
    language, the directory generation and the stretch of time of the national subsidies. Off
    with MATCH_CACHE_BYTES=0 (then the matcher runs for every request)."""
    if app.state.settings.MATCH_CACHE_BYTES <= 0:
        return
    answers: MatchAnswers = app.state.match_answers
    misses: MissCounter = app.state.match_misses

    def on_hit(note: Any) -> None:
        note.count(misses)

    app.state.read_cache.keep_posts(
        PATH, vary=lambda directory: answers.epoch(directory, app.state.clock()), on_hit=on_hit
    )


EXAMPLES = {
    "compound": {"summary": "複数の相談", "value": MATCH_EXAMPLE_REQUEST},
    "technology": {"summary": "技術の相談", "value": {"text": "大学と共同研究したい"}},
    "negated": {"summary": "否定を含む", "value": {"text": "融資は必要ないが技術の相談をしたい"}},
    "vague": {"summary": "あいまいな相談（聞き返し）", "value": {"text": "相談したい"}},
}


@router.post(
    PATH.removeprefix("/v1"),
    response_model=MatchResponse,
    summary="相談内容から紹介先を探す",
    description=(
        "事業者の言葉（自由記述の日本語）から、支援の種類・相談先の機関・使える制度・アクション・窓口を"
        "理由付きで順位付けして返します。複数の相談はすべて拾い、否定された相談（「融資は必要ない」）は"
        "`negated: true` として順位付けに使いません。あいまいな相談には `clarifying_questions` を、"
        "対象外の相談には `matched: false` と県の総合窓口を返します。制度には計画に記載のまま"
        "確認されていないもの（`status: unconfirmed`）があり、`status_label` で示します。"
        "`national_programmes` は、定期的に同期した国の補助金（jGrants）のうち、いま受付中で"
        "ニーズの利用目的に合うものです。データベースにも jGrants にも触れず、"
        "メモリ上のスナップショットで応答します。"
        "`Accept-Language: en` では、支援の種類・機関の名称（英語名があるもの）と説明・理由・聞き返しを"
        '英語で返します（`Content-Language: en`）。英語で書かれた相談には `input_language: "en"` と、'
        "日本語での入力か近い話題の選択を求める聞き返しを返します。"
    ),
    responses={**example_response(examples.MATCH), **problem_responses(413, 422)},
)
async def match(
    request: Request,
    directory: DirectoryDep,
    body: Annotated[MatchRequest, Body(openapi_examples=EXAMPLES)],
) -> Response:
    # Async on purpose: the match is a sub-millisecond in-memory computation (the input is
    # capped), cheaper than the two thread hops a sync endpoint costs; it never waits on I/O.
    started = time.perf_counter()
    language = current_language()
    answers: MatchAnswers = request.app.state.match_answers
    hits = answers.hits
    answer = answers.answer(
        directory,
        body.text,
        body.municipality,
        body.limit,
        language,
        now=request.app.state.clock(),
    )
    if answers.hits == hits:  # the matcher ran (not an answer kept from before)
        MATCH_LATENCY.observe(time.perf_counter() - started)
    # A miss is masked (Sudachi) before it is counted: off the event loop.
    if answer.clarified or not answer.matched:
        outcome = "clarified" if answer.clarified else "unmatched"
        counted = Counted(outcome, await run_in_threadpool(mask, body.text))
    else:
        counted = Counted("matched")
    counted.count(request.app.state.match_misses)
    request.scope[CACHEABLE] = counted  # the same body is answered again by the read cache
    # Written as it is: the payload has MatchResponse's shape by construction (tests compare
    # the two on every labelled utterance), and validating it again costs a third of a match.
    return Response(
        answer.body,
        media_type="application/json",
        headers={"Content-Language": language},
    )


@router.get(
    "/match/stats",
    response_model=MatchStats,
    summary="該当なし・聞き返しになった相談の集計",
    description=(
        "admin の API キーが必要です。"
        "ルールで拾えなかった相談（unmatched）と聞き返しになった相談（clarified）を頻度順に返します。"
        "本文は数える前に氏名・住所・電話番号・メールアドレス・URL を〈氏名〉などに置き換え、"
        "正規化のうえ数字を伏せ、100文字までに切り詰めています（個人情報は保存しません）。"
        "プロセスごとのメモリ上の集計で、再起動で消えます。"
    ),
    responses={
        **example_response(examples.MATCH_STATS),
        **problem_responses(401, 403, 422),
    },
)
def get_match_stats(
    request: Request, _: AdminDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> dict[str, object]:
    stats: dict[str, object] = request.app.state.match_misses.stats(limit)
    return stats
