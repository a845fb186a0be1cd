"""Editing the directory (admin, or an agency editor for its own agency) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.core.concurrency import IfMatch, set_etag
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.openapi import Tag
from app.core.pagination import Page, PageDep
from app.routers.auth import AdminDep, EditorDep
from app.schemas import examples
from app.schemas.access import AuditEntryOut, as_utc
from app.schemas.admin import (
    AgencyCreate,
    AgencyEditOut,
    AgencyPatch,
    AgencyRolesPut,
    ContactPointCreate,
    ContactPointEditOut,
    ContactPointPatch,
    ImportReport,
    ProgrammeCreate,
    ProgrammeEditOut,
    ProgrammePatch,
)
from app.schemas.examples import example_response
from app.services import admin_directory as service
from app.services import audit, imports

router = APIRouter(prefix="/v1/admin", tags=[Tag.ADMIN])

AgencyId = Annotated[str, Path(max_length=80, examples=["yipf"])]
ContactPointId = Annotated[str, Path(max_length=80, examples=["ip-support-desk-navi-dial"])]
ProgrammeId = Annotated[str, Path(max_length=80, examples=["capex-expansion-loan"])]

READ_ERRORS = problem_responses(401, 403, 404, 422, 429)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 413, 422, 429)
ETAG_NOTE = "応答の `ETag` ヘッダーを次の更新の `If-Match` に付けると、他の更新との衝突を検出できます（412）。"


# ---------------------------------------------------------------- agencies


@router.get(
    "/agencies/{agency_id}",
    response_model=AgencyEditOut,
    summary="機関（編集用）の取得",
    description="編集できる項目と版番号を返します。" + ETAG_NOTE,
    responses={**example_response(examples.ADMIN_AGENCY), **READ_ERRORS},
)
def get_agency_for_edit(
    agency_id: AgencyId, session: SessionDep, principal: EditorDep, response: Response
) -> AgencyEditOut:
    out = service.get_agency(session, principal, agency_id)
    set_etag(response, out.revision)
    return out


@router.patch(
    "/agencies/{agency_id}",
    response_model=AgencyEditOut,
    summary="機関の編集",
    description=(
        "名称・略称・英語名・役割・説明・別名を変更します（admin、または自機関の agency_editor）。"
        "指定しなかった項目は変わりません。" + ETAG_NOTE
    ),
    responses={**example_response(examples.ADMIN_AGENCY_PATCHED), **WRITE_ERRORS},
)
def patch_agency(
    agency_id: AgencyId,
    body: AgencyPatch,
    session: SessionDep,
    principal: EditorDep,
    response: Response,
    if_match: IfMatch = None,
) -> AgencyEditOut:
    out = service.update_agency(session, principal, agency_id, body, if_match)
    set_etag(response, out.revision)
    return out


@router.post(
    "/agencies",
    status_code=201,
    response_model=AgencyEditOut,
    summary="機関の登録（admin）",
    description="新しい機関を登録します。id は英小文字・数字・ハイフンです。",
    responses={**example_response(examples.ADMIN_AGENCY_CREATED, 201), **WRITE_ERRORS},
)
def create_agency(
    body: AgencyCreate, session: SessionDep, principal: AdminDep, response: Response
) -> AgencyEditOut:
    out = service.create_agency(session, principal, body)
    set_etag(response, out.revision)
    return out


@router.put(
    "/agencies/{agency_id}/roles",
    response_model=AgencyEditOut,
    summary="機関の役割（支援の種類）の設定（admin）",
    description="役割表の○を、指定した支援の種類コードの一覧で置き換えます。" + ETAG_NOTE,
    responses={**example_response(examples.ADMIN_AGENCY_ROLES), **WRITE_ERRORS},
)
def put_agency_roles(
    agency_id: AgencyId,
    body: AgencyRolesPut,
    session: SessionDep,
    principal: AdminDep,
    response: Response,
    if_match: IfMatch = None,
) -> AgencyEditOut:
    roles = [r.value for r in body.roles]
    out = service.put_agency_roles(session, principal, agency_id, roles, if_match)
    set_etag(response, out.revision)
    return out


@router.delete(
    "/agencies/{agency_id}",
    status_code=204,
    summary="機関の削除（admin）",
    description="どこからも参照されていない機関を削除します。参照があれば 409 です。",
    responses=WRITE_ERRORS,
)
def delete_agency(
    agency_id: AgencyId, session: SessionDep, principal: AdminDep, if_match: IfMatch = None
) -> Response:
    service.delete_agency(session, principal, agency_id, if_match)
    return Response(status_code=204)


# ---------------------------------------------------------------- contact points


@router.get(
    "/contact-points/{cp_id}",
    response_model=ContactPointEditOut,
    summary="窓口（編集用）の取得",
    description="窓口の全項目と版番号を返します。" + ETAG_NOTE,
    responses={**example_response(examples.ADMIN_CONTACT_POINT), **READ_ERRORS},
)
def get_contact_point_for_edit(
    cp_id: ContactPointId, session: SessionDep, principal: EditorDep, response: Response
) -> ContactPointEditOut:
    out = service.get_contact_point(session, principal, cp_id)
    set_etag(response, out.revision)
    return out


@router.post(
    "/contact-points",
    status_code=201,
    response_model=ContactPointEditOut,
    summary="窓口の登録",
    description=(
        "窓口を登録します（admin、または自機関の窓口を登録する agency_editor）。"
        "電話・FAX は半角数字とハイフン、郵便番号は 123-4567、URL は http(s):// で始めてください。"
    ),
    responses={**example_response(examples.ADMIN_CONTACT_POINT_CREATED, 201), **WRITE_ERRORS},
)
def create_contact_point(
    body: ContactPointCreate, session: SessionDep, principal: EditorDep, response: Response
) -> ContactPointEditOut:
    out = service.create_contact_point(session, principal, body)
    set_etag(response, out.revision)
    return out


@router.patch(
    "/contact-points/{cp_id}",
    response_model=ContactPointEditOut,
    summary="窓口の編集",
    description="指定した項目だけを変更します。`municipalities` は一覧全体を置き換えます。"
    + ETAG_NOTE,
    responses={**example_response(examples.ADMIN_CONTACT_POINT_PATCHED), **WRITE_ERRORS},
)
def patch_contact_point(
    cp_id: ContactPointId,
    body: ContactPointPatch,
    session: SessionDep,
    principal: EditorDep,
    response: Response,
    if_match: IfMatch = None,
) -> ContactPointEditOut:
    out = service.update_contact_point(session, principal, cp_id, body, if_match)
    set_etag(response, out.revision)
    return out


@router.delete(
    "/contact-points/{cp_id}",
    status_code=204,
    summary="窓口の削除",
    description="窓口を削除します（admin、または自機関の agency_editor）。",
    responses=WRITE_ERRORS,
)
def delete_contact_point(
    cp_id: ContactPointId, session: SessionDep, principal: EditorDep, if_match: IfMatch = None
) -> Response:
    service.delete_contact_point(session, principal, cp_id, if_match)
    return Response(status_code=204)


# ---------------------------------------------------------------- programmes


@router.get(
    "/programmes/{programme_id}",
    response_model=ProgrammeEditOut,
    summary="制度（編集用）の取得",
    description="制度の全項目・リンクと版番号を返します。" + ETAG_NOTE,
    responses={**example_response(examples.ADMIN_PROGRAMME), **READ_ERRORS},
)
def get_programme_for_edit(
    programme_id: ProgrammeId, session: SessionDep, principal: EditorDep, response: Response
) -> ProgrammeEditOut:
    out = service.get_programme(session, principal, programme_id)
    set_etag(response, out.revision)
    return out


@router.post(
    "/programmes",
    status_code=201,
    response_model=ProgrammeEditOut,
    summary="制度の登録",
    description=(
        "制度を登録します（admin、または運営機関に自機関を含める agency_editor）。"
        "`operators`・`actions`・`support_types` でリンクを指定します。"
    ),
    responses={**example_response(examples.ADMIN_PROGRAMME_CREATED, 201), **WRITE_ERRORS},
)
def create_programme(
    body: ProgrammeCreate, session: SessionDep, principal: EditorDep, response: Response
) -> ProgrammeEditOut:
    out = service.create_programme(session, principal, body)
    set_etag(response, out.revision)
    return out


@router.patch(
    "/programmes/{programme_id}",
    response_model=ProgrammeEditOut,
    summary="制度の編集",
    description=(
        "指定した項目だけを変更します。リンク（operators・actions・support_types）は指定すると一覧全体を置き換えます。"
        + ETAG_NOTE
    ),
    responses={**example_response(examples.ADMIN_PROGRAMME_PATCHED), **WRITE_ERRORS},
)
def patch_programme(
    programme_id: ProgrammeId,
    body: ProgrammePatch,
    session: SessionDep,
    principal: EditorDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProgrammeEditOut:
    out = service.update_programme(session, principal, programme_id, body, if_match)
    set_etag(response, out.revision)
    return out


@router.delete(
    "/programmes/{programme_id}",
    status_code=204,
    summary="制度の削除",
    description="制度とそのリンクを削除します。窓口から参照されていれば 409 です。",
    responses=WRITE_ERRORS,
)
def delete_programme(
    programme_id: ProgrammeId, session: SessionDep, principal: EditorDep, if_match: IfMatch = None
) -> Response:
    service.delete_programme(session, principal, programme_id, if_match)
    return Response(status_code=204)


# ---------------------------------------------------------------- audit log


@router.get(
    "/audit",
    response_model=Page[AuditEntryOut],
    summary="監査ログ（admin）",
    description="ディレクトリへのすべての書き込み（誰が・いつ・何を・変更前後）を新しい順に返します。",
    responses={**example_response(examples.AUDIT), **problem_responses(401, 403, 422, 429)},
)
def list_audit_log(
    session: SessionDep,
    _: AdminDep,
    page: PageDep,
    entity_type: Annotated[
        str | None, Query(max_length=40, examples=["agency"], description="agency など")
    ] = None,
    entity_id: Annotated[str | None, Query(max_length=80, examples=["yipf"])] = None,
    key_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    since: Annotated[datetime | None, Query(description="この時刻以降（ISO 8601）")] = None,
) -> Page[AuditEntryOut]:
    return audit.list_entries(
        session,
        page,
        entity_type=entity_type,
        entity_id=entity_id,
        key_id=key_id,
        since=as_utc(since),
    )


# ---------------------------------------------------------------- bulk import

IMPORT_EXAMPLE_CSV = (
    "機関ID,機関名,略称,英語名,区分,役割,創業支援,成長支援,技術支援,事業活動支援,経営基盤安定支援,"
    "金融支援,役割表の機関,親機関ID,担当市町,説明,出典\r\n"
    "hagi-cci,萩商工会議所,萩商工会議所,Hagi Chamber of Commerce and Industry,local_support,"
    "各地域の最も身近な支援機関,,,,,,,,chambers-of-commerce,萩市,萩市の商工会議所。,"
    '"contact-facts.yaml (http://www.hagicci.or.jp/ayumi.html)"\r\n'
)


@router.post(
    "/imports/{kind}",
    response_model=ImportReport,
    summary="機関・窓口・制度の一括取り込み（CSV）",
    description=(
        "`/v1/exports/agencies.csv`、`/v1/exports/contact-points.csv` または "
        "`/v1/exports/programmes.csv` と同じ列の CSV"
        "（UTF-8（BOM 有無どちらも）、または Excel が保存する Shift_JIS/CP932。"
        "`Content-Type` の charset があればそれに従い、なければ判定します）を取り込みます。"
        "行の ID があれば更新、なければ新規登録です（ID のない行は誤り）。"
        "`dry_run=true`（既定）は何も書き込まず、登録・更新・変更なしの件数と誤りを返します。"
        "`dry_run=false` はすべての行を一つのトランザクションで反映し（各行は通常の編集と同じく"
        "監査ログに記録）、誤りが一つでもあれば 422 と同じ `errors` を返して何も書き込みません。"
        "機関の編集者は自機関とその事務所の行だけを取り込めます。"
        "制度（programmes）では、取り込んだ行の制度をすべて、取り込んだ編集者が確認したものとして"
        "記録します（`status_confirmed_at`。変更のない行も含みます）。運営機関・アクション・"
        "支援の種類の列も読み、編集者は自機関が運営する制度の行だけを取り込めます。"
        "`status_confirmed_at`・確認状況の列は読みません。"
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": IMPORT_EXAMPLE_CSV,
                },
                # The same bytes for clients that send files as they are (generated clients).
                "application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"},
                    "example": IMPORT_EXAMPLE_CSV,
                },
            },
        }
    },
    responses={
        **example_response(examples.IMPORT_REPORT),
        **problem_responses(401, 403, 409, 412, 413, 422, 429, 503),
    },
)
async def import_csv(
    request: Request,
    session: SessionDep,
    principal: EditorDep,
    kind: Annotated[
        Literal["agencies", "contact-points", "programmes"],
        Path(
            description="agencies（機関）、contact-points（窓口）または programmes（制度）",
            examples=["agencies"],
        ),
    ],
    dry_run: Annotated[bool, Query(description="true: 試すだけで書き込まない（既定）")] = True,
) -> ImportReport:
    body = await request.body()
    charset = request.headers.get("content-type", "").partition("charset=")[2].strip() or None
    report = await run_in_threadpool(
        imports.run_import, session, principal, kind, body, charset, dry_run
    )
    return ImportReport.model_validate(report)
