"""Command line administration against DATABASE_URL.

    python -m app.cli keys create --scope agency_editor --agency-id yipf --label "財団 総務課"
    python -m app.cli keys create --scope front_desk --municipality 萩市
    python -m app.cli keys create --scope analyst --label "商工政策課 進行管理"
    python -m app.cli keys list
    python -m app.cli keys revoke 3
    python -m app.cli national sync      # = make sync-national: the jGrants subsidies, once
    python -m app.cli national status    # the last sync attempts

`keys create` prints the new key as JSON, including its secret: the only time it is shown.
`national sync` prints its outcome as JSON and exits 1 when it failed (the last good data stays).
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.db import get_engine
from app.core.errors import ApiError
from app.schemas.access import ApiKeyCreated, ApiKeyOut
from app.services import access, national


def _positive(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 1000:
        raise argparse.ArgumentTypeError("1 から 1000 までの数を指定してください")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description="madoguchi admin")
    groups = parser.add_subparsers(dest="group", required=True)
    keys = groups.add_parser("keys", help="API keys").add_subparsers(dest="command", required=True)
    create = keys.add_parser("create", help="issue a key (prints the secret once)")
    create.add_argument("--scope", required=True, choices=[s.value for s in access.Scope])
    create.add_argument("--agency-id", help="agency_editor: the agency it may edit")
    create.add_argument("--municipality", help="front_desk: municipality name or JIS code")
    create.add_argument("--label", help="a note on whose key this is")
    listing = keys.add_parser("list", help="list keys (never secrets)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    revoke = keys.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("id", type=int)
    national = groups.add_parser("national", help="national subsidies from jGrants")
    national_commands = national.add_subparsers(dest="command", required=True)
    national_commands.add_parser("sync", help="sync the subsidies open to 山口県 or 全国 now")
    status = national_commands.add_parser("status", help="the last sync attempts")
    status.add_argument("--limit", type=_positive, default=5)
    return parser


def _national(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    if args.command == "sync":
        outcome = national.sync_national(partial(Session, engine), settings)
        print(json.dumps(outcome.to_dict(), ensure_ascii=False))
        if not outcome.ok:
            print("同期に失敗しました。前回取得したデータをそのまま使います。", file=sys.stderr)
        return 0 if outcome.ok else 1
    with Session(engine) as session:
        for run in national.recent_runs(session, args.limit):
            print(
                json.dumps(
                    run.model_dump(mode="json", exclude={"id"}), ensure_ascii=False, default=str
                )
            )
    return 0


def main(
    argv: list[str] | None = None, engine: Engine | None = None, settings: Settings | None = None
) -> int:
    args = _parser().parse_args(argv)
    engine = engine or get_engine()
    if args.group == "national":
        return _national(args, engine, settings or get_settings())
    try:
        with Session(engine) as session:
            if args.command == "create":
                if args.label is not None and len(args.label) > 200:
                    raise ApiError(
                        422,
                        "label は200文字以内で指定してください。",
                        en="label must be at most 200 characters.",
                    )
                key, secret = access.create_key(
                    session,
                    scope=access.Scope(args.scope),
                    agency_id=args.agency_id,
                    municipality=args.municipality,
                    label=args.label,
                )
                session.commit()
                session.refresh(key)
                out = ApiKeyCreated(
                    **ApiKeyOut.model_validate(key, from_attributes=True).model_dump(),
                    secret=secret,
                )
                print(out.model_dump_json(indent=2))
                print(
                    "この secret は今回しか表示されません。安全に渡してください。", file=sys.stderr
                )
            elif args.command == "list":
                rows = [
                    ApiKeyOut.model_validate(k, from_attributes=True)
                    for k in access.list_keys(session)
                ]
                if args.json:
                    print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
                else:
                    print("id\tprefix\tscope\tagency_id\tmunicipality\tstatus\tlabel")
                    for r in rows:
                        status = f"revoked {r.revoked_at:%Y-%m-%d}" if r.revoked_at else "active"
                        print(
                            f"{r.id}\t{r.prefix}\t{r.scope.value}\t{r.agency_id or '-'}\t"
                            f"{r.municipality_code or '-'}\t{status}\t{r.label or ''}"
                        )
            elif args.command == "revoke":
                key = access.revoke_key(session, args.id)
                session.commit()
                print(f"revoked key {key.id} ({key.prefix})")
    except ApiError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
