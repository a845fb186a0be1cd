"""Editing the matcher rules and the lexicon (admin), with a dry run and a publish gate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response

from app.core.concurrency import IfMatch, set_etag
from app.core.db import SessionDep
from app.core.errors import PROBLEM_JSON, problem_responses
from app.core.openapi import Tag
from app.core.pagination import Page, PageDep
from app.matching.rules import LexiconKind
from app.routers.auth import AdminDep
from app.routers.deps import DirectoryDep
from app.schemas import examples
from app.schemas.admin_rules import (
    DRY_RUN_EXAMPLE,
    LEXICON_EXAMPLE,
    RULE_EXAMPLE,
    DryRunOut,
    DryRunRequest,
    LexiconCreate,
    LexiconOut,
    LexiconWriteOut,
    RuleCreate,
    RuleOut,
    RulePatch,
    RuleSuggestionsOut,
    RuleWriteOut,
)
from app.schemas.examples import example_response
from app.services import admin_rules as service
from app.services.admin_rules import DirectoryAccess

router = APIRouter(prefix="/v1/admin", tags=[Tag.ADMIN])

RuleIdPath = Annotated[
    str, Path(max_length=80, description="ルール id", examples=["technology.joint-research"])
]
KindPath = Annotated[
    LexiconKind,
    Path(description="辞書の種類", examples=["synonyms"]),
]
EntryIdPath = Annotated[
    str, Path(max_length=80, description="項目 id", examples=["joint-research"])
]
Force = Annotated[
    bool,
    Query(
        description=(
            "true にすると、評価指標が基準を下回る変更でも公開します（監査ログに記録されます）。"
        )
    ),
]

READ_ERRORS = problem_responses(401, 403, 404, 422, 429)
LIST_ERRORS = problem_responses(401, 403, 422, 429)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 413, 422, 429, 503)
WRITE_ERRORS[409] = {
    **WRITE_ERRORS[409],
    "description": (
        "評価セットの指標が基準を下回る変更（`broken` に指標と壊れた事例）、または id の重複"
    ),
    "content": {
        PROBLEM_JSON: {
            "schema": {"$ref": "#/components/schemas/Problem"},
            "example": {
                "type": "about:blank",
                "title": "Conflict",
                "status": 409,
                "detail": "この変更を公開すると評価指標が基準を下回ります: support_type@1 0.877（基準 0.9、現在 1.000）。…",
                "broken": [
                    {
                        "metric": "support_type@1",
                        "value": 0.877,
                        "threshold": 0.9,
                        "current": 1.0,
                        "cases": [
                            {
                                "id": "canon-021",
                                "text": "大学と共同研究したい",
                                "expected": ["technology"],
                                "got": [],
                            }
                        ],
                        "cases_total": 27,
                    }
                ],
            },
        }
    },
}
DRY_RUN_ERRORS = problem_responses(401, 403, 409, 413, 422, 429, 503)

ETAG_NOTE = "応答の `ETag` ヘッダーを次の更新の `If-Match` に付けると、他の更新との衝突を検出できます（412）。"
GATE_NOTE = (
    "書き込みの前に、変更後のルールをコンパイルして評価セット（seed/eval/utterances.yaml）で評価します。"
    "いずれかの指標が基準を下回る場合は 409 を返し、何も変更しません（`broken` に指標と、"
    "現在は正解で変更後に不正解となる事例）。`?force=true` で強制できます（監査ログに記録）。"
    "成功すると全ワーカーの照合器が再起動なしで更新されます。"
)


def _access(request: Request) -> DirectoryAccess:
    cache = request.app.state.directory_cache
    # load() rebuilds now: used only when the cached directory lags the database version
    return DirectoryAccess(get=cache.get, refresh=cache.load)


# ---------------------------------------------------------------- rules


@router.get(
    "/rules",
    response_model=Page[RuleOut],
    summary="照合ルールの一覧（admin）",
    description="照合ルールをテーマ・順序の順に返します。`theme`・`need` で絞り込み、`q` で id・説明・語句を検索します。",
    responses={**example_response(examples.RULES_PAGE), **LIST_ERRORS},
)
def list_rules(
    session: SessionDep,
    _: AdminDep,
    page: PageDep,
    theme: Annotated[str | None, Query(max_length=40, examples=["finance"])] = None,
    need: Annotated[str | None, Query(max_length=80, examples=["loan"])] = None,
    q: Annotated[str | None, Query(max_length=100, examples=["共同研究"])] = None,
) -> Page[RuleOut]:
    return service.list_rules(session, page, theme=theme, need=need, q=q)


@router.get(
    "/rules/suggestions",
    response_model=RuleSuggestionsOut,
    summary="未一致の相談からのルール提案（admin）",
    description=(
        "`/v1/match/stats` が数えた該当なし・聞き返しの相談（マスク済み）を、いちばん近いニーズごとに"
        "まとめ、そのニーズのルールにまだない語句を挙げて、ルール案（`draft`）を返します。"
        "案は `POST /v1/admin/rules/dry-run` で試し、評価ゲートを通して公開してください。"
        "何も書き込みません。どのニーズにも近くない相談は `unassigned` に入ります。"
        "集計はプロセスごとのメモリ上のもので、再起動で消えます。"
    ),
    responses={**example_response(examples.RULE_SUGGESTIONS), **LIST_ERRORS},
)
async def list_rule_suggestions(
    request: Request,
    directory: DirectoryDep,
    _: AdminDep,
    limit: Annotated[int, Query(ge=1, le=500, description="集計から読む件数（頻度順）")] = 200,
) -> RuleSuggestionsOut:
    misses = request.app.state.match_misses.top(limit)
    return service.rule_suggestions(directory, misses)


@router.post(
    "/rules/dry-run",
    response_model=DryRunOut,
    summary="ルール変更の試行（dry-run、admin）",
    description=(
        "ルール・辞書の変更案（`changes`、順に適用）を、何も書き込まずに試します。"
        "`texts` の各相談内容について現在と変更後の照合結果を並べ、評価セットの指標を現在と変更後で比べます。"
        "`publishable` が false の変更は、そのまま公開すると 409 になります。"
    ),
    responses=DRY_RUN_ERRORS,
)
def dry_run_rules(
    request: Request,
    session: SessionDep,
    _: AdminDep,
    body: Annotated[
        DryRunRequest,
        Body(
            openapi_examples={
                "add": {"summary": "語句の追加とあいまい語の追加", "value": DRY_RUN_EXAMPLE},
                "delete": {
                    "summary": "ルールの削除",
                    "value": {
                        "changes": [{"op": "delete", "id": "finance.loan"}],
                        "texts": ["融資を受けたい"],
                    },
                },
            }
        ),
    ],
) -> DryRunOut:
    return service.dry_run(session, _access(request), body)


@router.get(
    "/rules/{rule_id}",
    response_model=RuleOut,
    summary="照合ルールの取得（admin）",
    description="ルール（seed/rules/*.yaml と同じ形）とテーマ・順序・版番号を返します。"
    + ETAG_NOTE,
    responses=READ_ERRORS,
)
def get_rule(rule_id: RuleIdPath, session: SessionDep, _: AdminDep, response: Response) -> RuleOut:
    out = service.get_rule(session, rule_id)
    set_etag(response, out.revision)
    return out


@router.post(
    "/rules",
    status_code=201,
    response_model=RuleWriteOut,
    summary="照合ルールの追加（admin）",
    description=(
        "ルールを追加します。`need`・`programmes`・`agency_boosts`・`actions` は存在する id でなければなりません（422）。"
        + GATE_NOTE
    ),
    responses=WRITE_ERRORS,
)
def create_rule(
    request: Request,
    session: SessionDep,
    principal: AdminDep,
    response: Response,
    body: Annotated[
        RuleCreate,
        Body(
            openapi_examples={
                "rule": {
                    "summary": "ルールの追加",
                    "value": {
                        "theme": "technology",
                        "rule": {
                            **RULE_EXAMPLE,
                            "id": "technology.industry-academia",
                            "patterns": ["産学共同", ["大学", "共同"]],
                        },
                    },
                }
            }
        ),
    ],
    force: Force = False,
) -> RuleWriteOut:
    out = service.create_rule(session, principal, _access(request), body, force)
    set_etag(response, out.revision)
    return out


@router.patch(
    "/rules/{rule_id}",
    response_model=RuleWriteOut,
    summary="照合ルールの編集（admin）",
    description=(
        "指定した項目だけを変更します（id 以外のルールの項目と `theme`）。一覧・対応表は全体を置き換えます。"
        "応答の `evaluation` に変更前後の評価指標が入ります。" + GATE_NOTE + ETAG_NOTE
    ),
    responses=WRITE_ERRORS,
)
def patch_rule(
    request: Request,
    rule_id: RuleIdPath,
    session: SessionDep,
    principal: AdminDep,
    response: Response,
    body: Annotated[
        RulePatch,
        Body(
            openapi_examples={
                "patterns": {
                    "summary": "語句の追加",
                    "value": {"patterns": [*RULE_EXAMPLE["patterns"], "産学共同"]},
                },
                "weight": {"summary": "重みの変更", "value": {"weight": 0.7}},
            }
        ),
    ],
    if_match: IfMatch = None,
    force: Force = False,
) -> RuleWriteOut:
    out = service.update_rule(session, principal, _access(request), rule_id, body, if_match, force)
    set_etag(response, out.revision)
    return out


@router.delete(
    "/rules/{rule_id}",
    status_code=204,
    summary="照合ルールの削除（admin）",
    description="ルールを削除します。" + GATE_NOTE + ETAG_NOTE,
    responses=WRITE_ERRORS,
)
def delete_rule(
    request: Request,
    rule_id: RuleIdPath,
    session: SessionDep,
    principal: AdminDep,
    if_match: IfMatch = None,
    force: Force = False,
) -> Response:
    service.delete_rule(session, principal, _access(request), rule_id, if_match, force)
    return Response(status_code=204)


# ---------------------------------------------------------------- lexicon


@router.get(
    "/lexicon",
    response_model=Page[LexiconOut],
    summary="照合辞書の一覧（admin）",
    description=(
        "同義語（synonyms）・否定の手がかり（negation_cues）・あいまい語（vague_terms）・"
        "事業外（私生活）の語（private_life_terms）・事業の文脈を示す語（business_context_terms）・"
        "聞き返し（clarifying_questions）を返します。`kind` で絞り込み、`q` で検索します。"
    ),
    responses={**example_response(examples.LEXICON_PAGE), **LIST_ERRORS},
)
def list_lexicon(
    session: SessionDep,
    _: AdminDep,
    page: PageDep,
    kind: LexiconKind | None = None,
    q: Annotated[str | None, Query(max_length=100, examples=["融資"])] = None,
) -> Page[LexiconOut]:
    return service.list_lexicon(session, page, kind=kind, q=q)


@router.get(
    "/lexicon/{kind}/{entry_id}",
    response_model=LexiconOut,
    summary="照合辞書の項目の取得（admin）",
    description="項目（seed/lexicon.yaml と同じ形）と版番号を返します。" + ETAG_NOTE,
    responses=READ_ERRORS,
)
def get_lexicon_entry(
    kind: KindPath, entry_id: EntryIdPath, session: SessionDep, _: AdminDep, response: Response
) -> LexiconOut:
    out = service.get_entry(session, kind, entry_id)
    set_etag(response, out.revision)
    return out


@router.post(
    "/lexicon",
    status_code=201,
    response_model=LexiconWriteOut,
    summary="照合辞書の項目の追加（admin）",
    description=(
        '項目を追加します。あいまい語は `{"term": "…"}` で、id は語から導出されます。'
        "聞き返しの選択肢は、変更後のルールで解決できる相談内容でなければなりません（422）。"
        + GATE_NOTE
    ),
    responses=WRITE_ERRORS,
)
def create_lexicon_entry(
    request: Request,
    session: SessionDep,
    principal: AdminDep,
    response: Response,
    body: Annotated[
        LexiconCreate,
        Body(
            openapi_examples={
                "synonym": {
                    "summary": "同義語の追加",
                    "value": {
                        "kind": "synonyms",
                        "entry": {
                            "id": "crowdfunding",
                            "canonical": "クラウドファンディング",
                            "variants": ["クラファン"],
                        },
                    },
                },
                "vague": {
                    "summary": "あいまい語の追加",
                    "value": {"kind": "vague_terms", "entry": {"term": "どげんしたら"}},
                },
            }
        ),
    ],
    force: Force = False,
) -> LexiconWriteOut:
    out = service.create_entry(session, principal, _access(request), body, force)
    set_etag(response, out.revision)
    return out


@router.patch(
    "/lexicon/{kind}/{entry_id}",
    response_model=LexiconWriteOut,
    summary="照合辞書の項目の編集（admin）",
    description=(
        "指定した項目だけを変更します（id 以外。一覧は全体を置き換えます）。"
        + GATE_NOTE
        + ETAG_NOTE
    ),
    responses=WRITE_ERRORS,
)
def patch_lexicon_entry(
    request: Request,
    kind: KindPath,
    entry_id: EntryIdPath,
    session: SessionDep,
    principal: AdminDep,
    response: Response,
    body: Annotated[
        dict[str, Any],
        Body(
            description="変更する項目（seed/lexicon.yaml の項目と同じ名前）",
            openapi_examples={
                "variants": {
                    "summary": "同義語の言い換えの置き換え",
                    "value": {"variants": [*LEXICON_EXAMPLE["variants"], "産学共同"]},
                },
                "term": {"summary": "あいまい語の変更", "value": {"term": "どうすれば"}},
            },
        ),
    ],
    if_match: IfMatch = None,
    force: Force = False,
) -> LexiconWriteOut:
    out = service.update_entry(
        session, principal, _access(request), kind, entry_id, body, if_match, force
    )
    set_etag(response, out.revision)
    return out


@router.delete(
    "/lexicon/{kind}/{entry_id}",
    status_code=204,
    summary="照合辞書の項目の削除（admin）",
    description="項目を削除します。" + GATE_NOTE + ETAG_NOTE,
    responses=WRITE_ERRORS,
)
def delete_lexicon_entry(
    request: Request,
    kind: KindPath,
    entry_id: EntryIdPath,
    session: SessionDep,
    principal: AdminDep,
    if_match: IfMatch = None,
    force: Force = False,
) -> Response:
    service.delete_entry(session, principal, _access(request), kind, entry_id, if_match, force)
    return Response(status_code=204)
