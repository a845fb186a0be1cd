"""Bulk import of agencies, contact points and programmes from the CSV files the exports write.

The prefecture keeps its lists in Excel: a file saved as CSV (UTF-8 with or without BOM, or
Shift_JIS/CP932 as Excel writes it) with the columns of
`/v1/exports/{agencies,contact-points,programmes}.csv` comes back through
`POST /v1/admin/imports/{kind}`. A programme row applied is its editor confirming the programme
(status_confirmed_at), whether or not a cell changed. Every row is checked before anything is
written (the column, the value, the editor's rights); with `dry_run` the answer says what would
be created, updated or left unchanged; otherwise all rows are applied in one transaction, each
through the same service function as a single edit (so the same rules and audit entries apply),
or none is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, select

from app.core.concurrency import BATCH
from app.core.errors import ApiError
from app.models import Agency, ContactPoint, Municipality, Programme, SupportType
from app.schemas.admin import (
    AgencyCreate,
    AgencyPatch,
    ContactPointCreate,
    ContactPointPatch,
    ProgrammeCreate,
    ProgrammeEditOut,
    ProgrammePatch,
)
from app.services import admin_directory as edits
from app.services.access import Principal
from app.services.exports import (
    AGENCY_COLUMNS as EXPORTED_AGENCY_COLUMNS,
)
from app.services.exports import (
    BOM,
    CONTACT_POINT_COLUMNS,
    CONTACT_POINT_FLAGS,
    MARK,
    SEPARATOR,
)
from app.services.exports import (
    PROGRAMME_COLUMNS as EXPORTED_PROGRAMME_COLUMNS,
)

MAX_ROWS = 5000
PLAN_PREFIX = "やまぐち商工業推進計画 "


@dataclass(frozen=True)
class RowError:
    row: int  # the line of the file (the header is line 1)
    column: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "detail": self.detail}


@dataclass
class ImportPlan:
    """What a file would do: the edits to apply in order, and the rows that are wrong."""

    creates: list[tuple[int, BaseModel]] = field(default_factory=list)
    updates: list[tuple[int, str, BaseModel, list[str] | None]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # unchanged rows that are written all the same (a programme row confirms the programme)
    confirms: list[str] = field(default_factory=list)

    def report(self, dry_run: bool) -> dict[str, Any]:
        return {
            "dry_run": dry_run,
            "created": len(self.creates),
            "updated": len(self.updates),
            "unchanged": self.unchanged,
            "errors": [e.to_dict() for e in self.errors],
        }


def decode(body: bytes, charset: str | None) -> str:
    """The file's text: the declared charset, else UTF-8 (with or without BOM), else CP932."""
    candidates = [charset] if charset else ["utf-8-sig", "cp932"]
    for encoding in candidates:
        try:
            return body.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise ApiError(
        422,
        "CSV の文字コードを読み取れません。UTF-8 か Shift_JIS（Excel の「CSV」形式）で保存してください。",
        en="The CSV's character encoding cannot be read. Save it as UTF-8 or Shift_JIS.",
    )


def read_rows(text: str, header: list[str]) -> list[tuple[int, dict[str, str]]]:
    try:
        return _read_rows(text, header)
    except csv.Error as exc:  # a NUL byte, an unterminated quote, a cell over the csv limit
        raise ApiError(
            422,
            f"CSV として読み取れません（{exc}）。エクスポートした形式で保存してください。",
            en=f"The file cannot be read as CSV ({exc}). Save it in the exported format.",
        ) from exc


def _read_rows(text: str, header: list[str]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text.lstrip(BOM)), strict=True)
    try:
        found = next(reader)
    except StopIteration:
        raise ApiError(
            422,
            "CSV が空です。1行目に見出し、2行目以降にデータを入れてください。",
            en="The CSV is empty: put the header on line 1 and the data below it.",
        ) from None
    found = [h.strip() for h in found]
    missing = [h for h in header if h not in found]
    if missing:
        raise ApiError(
            422,
            f"CSV の見出しに次の列がありません: {'、'.join(missing)}。"
            "エクスポートした CSV の見出しをそのまま使ってください。",
            en=f"The CSV header lacks these columns: {', '.join(missing)}. Keep the header of "
            "the exported CSV as it is.",
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ApiError(
                413,
                f"一度に取り込めるのは {MAX_ROWS} 行までです。ファイルを分けてください。",
                en=f"At most {MAX_ROWS} rows can be imported at once. Split the file.",
            )
        rows.append(
            (line, {h: (values[i] if i < len(values) else "") for i, h in enumerate(found)})
        )
    return rows


def _cell(value: str) -> str | None:
    """A cell as exported: '' is null, and the apostrophe that guards a formula is removed."""
    text = value.strip()
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text or None


def _flag(value: str) -> bool:
    return (_cell(value) or "") in (MARK, "TRUE", "true", "1", "はい")


def _municipality_codes(session: Session, cell: str | None) -> list[str]:
    if not cell:
        return []
    by_name = {m.name: m.code for m in session.exec(select(Municipality))}
    codes = []
    for part in cell.replace(",", SEPARATOR).split(SEPARATOR):
        name = part.strip()
        if not name:
            continue
        code = name if name in by_name.values() else by_name.get(name)
        if code is None:
            raise ValueError(f"「{name}」は山口県の市町ではありません（市町名か JIS コード）")
        codes.append(code)
    return codes


def _phones(cell: str | None) -> list[dict[str, Any]]:
    phones = []
    for part in (cell or "").split(" / "):
        part = part.strip()
        if not part:
            continue
        label, _, number = part.rpartition(":")
        phones.append({"label": label.strip() or None, "number": number.strip()})
    return phones


def _validation_errors(exc: ValidationError, line: int, columns: dict[str, str]) -> list[RowError]:
    out = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else ""
        out.append(RowError(line, columns.get(name, name or "-"), f"{err['msg']}"))
    return out


def _identified(
    plan: ImportPlan,
    rows: list[tuple[int, dict[str, str]]],
    values_of: Callable[[dict[str, str]], dict[str, Any]],
    noun: str,
    seen: set[str],
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows whose cells read as values and that carry an id not seen before in the file;
    the others become errors of the plan. `seen` collects the ids."""
    column = f"{noun}ID"
    for line, cells in rows:
        try:
            values = values_of(cells)
        except ValueError as exc:
            plan.errors.append(RowError(line, getattr(exc, "column", "担当市町"), str(exc)))
            continue
        key = values["id"]
        if not key:
            detail = f"{column} がありません（新しい{noun}にも ID を付けてください）。"
            plan.errors.append(RowError(line, column, detail))
        elif key in seen:
            plan.errors.append(RowError(line, column, f"{column}「{key}」が2回出てきます。"))
        else:
            seen.add(key)
            yield line, values


# --- agencies ---------------------------------------------------------------------------------

AGENCY_COLUMNS = {
    **EXPORTED_AGENCY_COLUMNS,
    "source_section": "出典",
    "roles": "役割表の○",
}


def _agency_values(
    session: Session, cells: dict[str, str], types: list[SupportType]
) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: _cell(cells.get(column, ""))
        for name, column in AGENCY_COLUMNS.items()
        if name not in ("municipalities", "roles")
    }
    values["municipalities"] = _municipality_codes(session, _cell(cells.get("担当市町", "")))
    values["roles"] = [t.code for t in types if _flag(cells.get(t.name, ""))]
    source = values.get("source_section") or ""
    values["source_section"] = source.removeprefix(PLAN_PREFIX).split(" p.")[0] or "CSV取り込み"
    return values


def plan_agencies(session: Session, principal: Principal, text: str) -> ImportPlan:
    types = list(session.exec(select(SupportType).order_by(SupportType.sort_order)))  # type: ignore[arg-type]
    header = ["機関ID", "機関名", "略称", "区分", "親機関ID", "担当市町", *[t.name for t in types]]
    plan = ImportPlan()
    seen: set[str] = set()
    rows = read_rows(text, header)
    for line, values in _identified(
        plan, rows, lambda c: _agency_values(session, c, types), "機関", seen
    ):
        agency_id = values["id"]
        existing = session.get(Agency, agency_id)
        owner = values.get("parent_id") if existing is None else agency_id
        if not (owner and edits.can_edit_agency(session, principal, owner)):
            plan.errors.append(
                RowError(
                    line,
                    "機関ID",
                    "自機関とその事務所の行だけを取り込めます（この行は権限がありません）。",
                )
            )
            continue
        if existing is None:
            try:
                create = AgencyCreate.model_validate(values)
            except ValidationError as exc:
                plan.errors.extend(_validation_errors(exc, line, AGENCY_COLUMNS))
                continue
            if (
                create.parent_id
                and session.get(Agency, create.parent_id) is None
                and create.parent_id not in seen
            ):
                plan.errors.append(
                    RowError(line, "親機関ID", f"親機関「{create.parent_id}」がありません。")
                )
                continue
            if create.roles and not principal.is_admin:
                plan.errors.append(
                    RowError(line, "役割表の○", "役割表の○は管理者だけが付けられます。")
                )
                continue
            plan.creates.append((line, create))
            continue
        current = edits.agency_out(session, existing)
        patch_values = {
            k: values[k]
            for k in (
                "name",
                "short_name",
                "name_en",
                "role_label",
                "description",
                "municipalities",
            )
            if values[k] != getattr(current, k)
        }
        for name, column in (("category", "区分"), ("parent_id", "親機関ID")):
            if values[name] != getattr(current, name):
                plan.errors.append(
                    RowError(
                        line,
                        column,
                        f"{column} は取り込みでは変えられません（管理者にご依頼ください）。",
                    )
                )
        roles = values["roles"] if sorted(values["roles"]) != sorted(current.roles) else None
        if roles is not None and not principal.is_admin:
            plan.errors.append(RowError(line, "役割表の○", "役割表の○は管理者だけが変えられます。"))
            continue
        try:
            patch = AgencyPatch.model_validate(patch_values)
        except ValidationError as exc:
            plan.errors.extend(_validation_errors(exc, line, AGENCY_COLUMNS))
            continue
        if patch_values or roles is not None:
            plan.updates.append((line, agency_id, patch, roles))
        else:
            plan.unchanged += 1
    return plan


def apply_agencies(session: Session, principal: Principal, plan: ImportPlan) -> None:
    for _, create in plan.creates:
        edits.create_agency(session, principal, create)  # type: ignore[arg-type]
    for _, agency_id, patch, roles in plan.updates:
        if patch.model_fields_set:
            edits.update_agency(session, principal, agency_id, patch, None)  # type: ignore[arg-type]
        if roles is not None:
            edits.put_agency_roles(session, principal, agency_id, roles, None)


# --- contact points ---------------------------------------------------------------------------

CP_COLUMNS = CONTACT_POINT_COLUMNS
_CP_FLAGS = CONTACT_POINT_FLAGS


def _cp_values(session: Session, cells: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: _cell(cells.get(column, "")) for name, column in CP_COLUMNS.items()
    }
    values["phones"] = _phones(values["phones"])
    values["municipalities"] = _municipality_codes(session, values["municipalities"])
    for name in _CP_FLAGS:
        values[name] = _flag(cells.get(CP_COLUMNS[name], ""))
    values["source"] = values["source"] or "CSV取り込み"
    return values


def plan_contact_points(session: Session, principal: Principal, text: str) -> ImportPlan:
    plan = ImportPlan()
    rows = read_rows(text, ["窓口ID", "窓口名", "機関ID"])
    for line, values in _identified(plan, rows, lambda c: _cp_values(session, c), "窓口", set()):
        cp_id = values["id"]
        existing = session.get(ContactPoint, cp_id)
        owners = {values["agency_id"]} | ({existing.agency_id} if existing else set())
        if not all(o and edits.can_edit_agency(session, principal, o) for o in owners):
            plan.errors.append(
                RowError(
                    line,
                    "機関ID",
                    "自機関とその事務所の窓口だけを取り込めます（この行は権限がありません）。",
                )
            )
            continue
        if values["agency_id"] and session.get(Agency, values["agency_id"]) is None:
            plan.errors.append(
                RowError(line, "機関ID", f"機関「{values['agency_id']}」がありません。")
            )
            continue
        if existing is None:
            try:
                plan.creates.append((line, ContactPointCreate.model_validate(values)))
            except ValidationError as exc:
                plan.errors.extend(_validation_errors(exc, line, CP_COLUMNS))
            continue
        current = edits.contact_point_out(session, existing).model_dump(mode="json")
        changed = {k: v for k, v in values.items() if k != "id" and v != current.get(k)}
        if not changed:
            plan.unchanged += 1
            continue
        try:
            plan.updates.append((line, cp_id, ContactPointPatch.model_validate(changed), None))
        except ValidationError as exc:
            plan.errors.extend(_validation_errors(exc, line, CP_COLUMNS))
    return plan


def apply_contact_points(session: Session, principal: Principal, plan: ImportPlan) -> None:
    for _, create in plan.creates:
        edits.create_contact_point(session, principal, create)  # type: ignore[arg-type]
    for _, cp_id, patch, _roles in plan.updates:
        edits.update_contact_point(session, principal, cp_id, patch, None)  # type: ignore[arg-type]


# --- programmes -------------------------------------------------------------------------------

PROGRAMME_COLUMNS = {
    **EXPORTED_PROGRAMME_COLUMNS,
    "operators": "運営機関ID",
    "actions": "アクション",
    "support_types": "支援の種類",
}
_PROGRAMME_LISTS = ("aliases", "operators")
_UNORDERED = ("operators", "actions", "support_types")  # links: their order means nothing


class CellError(ValueError):
    """A cell that does not read as its column's value."""

    def __init__(self, column: str, detail: str) -> None:
        super().__init__(detail)
        self.column = column


def _parts(cell: str | None) -> list[str]:
    return [p.strip() for p in (cell or "").replace(",", SEPARATOR).split(SEPARATOR) if p.strip()]


def _programme_values(cells: dict[str, str], types: list[SupportType]) -> dict[str, Any]:
    """The values of a row's columns that the file has (a column left out changes nothing):
    lists split at 、, actions by their leading number (「5 企業立地の推進」), support types by
    name or code, the year as a number."""
    values: dict[str, Any] = {}
    for name, column in PROGRAMME_COLUMNS.items():
        if column not in cells:
            continue
        cell = _cell(cells[column])
        if name in _PROGRAMME_LISTS:
            values[name] = _parts(cell)
        elif name == "actions":
            numbers = [p.split(" ", 1)[0].split("\u3000", 1)[0] for p in _parts(cell)]
            if not all(n.isdecimal() for n in numbers):
                raise CellError(
                    column, "アクションは番号（「5 企業立地の推進」の 5）で始めてください"
                )
            values[name] = [int(n) for n in numbers]
        elif name == "support_types":
            codes = {t.name: t.code for t in types} | {t.code: t.code for t in types}
            unknown = [p for p in _parts(cell) if p not in codes]
            if unknown:
                raise CellError(column, f"支援の種類「{unknown[0][:40]}」はありません")
            values[name] = [codes[p] for p in _parts(cell)]
        elif name == "as_of":
            if cell is not None and not cell.isdecimal():
                raise CellError(column, "出典の年は西暦の数字（2013 など）で入力してください")
            values[name] = int(cell) if cell is not None else None
        else:
            values[name] = cell
    values.setdefault("id", None)
    return values


def _programme_source(cells: dict[str, str]) -> dict[str, Any]:
    """A new programme's source, from the 出典 column as exported."""
    source = _cell(cells.get("出典", "")) or ""
    section, _, page = source.removeprefix(PLAN_PREFIX).partition(" p.")
    return {
        "source_section": section.strip()[:300] or "CSV取り込み",
        "source_page": int(page) if page.strip().isdecimal() else None,
    }


def _operators_allowed(
    principal: Principal, new: list[str] | None, current: list[str] | None
) -> bool:
    """What a single edit allows (admin_directory._check_programme_links): an agency editor
    names only its own agency on a new programme, and adds or removes only itself."""
    if principal.is_admin or new is None:
        return True
    if current is None:
        return set(new) == {principal.agency_id}
    return not (set(new) ^ set(current)) - {principal.agency_id}


def _programme_refusal(
    session: Session,
    principal: Principal,
    values: dict[str, Any],
    current: ProgrammeEditOut | None,
    agencies: set[str],
) -> tuple[str, str] | None:
    """Why a programme row may not be applied (its column and the reason), or None: the
    editor's rights and the operators, checked as a single edit would check them."""
    if current is not None and not edits.can_edit_programme(session, principal, current.id):
        return "制度ID", "自機関が運営する制度の行だけを取り込めます。"
    missing = [a for a in values.get("operators", []) if a not in agencies]
    if missing:
        return "運営機関ID", f"機関「{missing[0][:80]}」がありません。"
    operators = values.get("operators", [] if current is None else None)
    if not _operators_allowed(principal, operators, current.operators if current else None):
        return (
            "運営機関ID",
            "運営機関は自機関だけを指定・追加・削除できます（他の機関は管理者にご依頼ください）。",
        )
    return None


def plan_programmes(session: Session, principal: Principal, text: str) -> ImportPlan:
    types = list(session.exec(select(SupportType).order_by(SupportType.sort_order)))  # type: ignore[arg-type]
    plan = ImportPlan()
    rows = read_rows(text, ["制度ID", "制度名", "種類"])
    agencies = set(session.exec(select(Agency.id)))

    def values_of(cells: dict[str, str]) -> dict[str, Any]:
        return _programme_values(cells, types)

    cells_of = dict(rows)
    for line, values in _identified(plan, rows, values_of, "制度", set()):
        pid = values["id"]
        existing = session.get(Programme, pid)
        current = edits.programme_out(session, existing) if existing is not None else None
        refused = _programme_refusal(session, principal, values, current, agencies)
        if refused is not None:
            plan.errors.append(RowError(line, *refused))
            continue
        if current is None:
            try:
                create = ProgrammeCreate.model_validate(
                    {**values, **_programme_source(cells_of[line])}
                )
            except ValidationError as exc:
                plan.errors.extend(_validation_errors(exc, line, PROGRAMME_COLUMNS))
                continue
            plan.creates.append((line, create))
            continue
        known = current.model_dump(mode="json")
        changed = {
            k: v
            for k, v in values.items()
            if k != "id" and (set(v) != set(known[k]) if k in _UNORDERED else v != known.get(k))
        }
        try:
            patch = ProgrammePatch.model_validate(changed)
        except ValidationError as exc:
            plan.errors.extend(_validation_errors(exc, line, PROGRAMME_COLUMNS))
            continue
        if changed:
            plan.updates.append((line, pid, patch, None))
        else:
            plan.unchanged += 1
            plan.confirms.append(pid)
    return plan


def apply_programmes(session: Session, principal: Principal, plan: ImportPlan) -> None:
    """Every row written through the single edits, each confirming its programme; a row that
    changes nothing is written as an empty PATCH, which confirms it too."""
    for _, create in plan.creates:
        edits.create_programme(session, principal, create)  # type: ignore[arg-type]
    for _, pid, patch, _roles in plan.updates:
        edits.update_programme(session, principal, pid, patch, None)  # type: ignore[arg-type]
    for pid in plan.confirms:
        edits.update_programme(session, principal, pid, ProgrammePatch(), None)


# --- the import -------------------------------------------------------------------------------

KINDS: dict[str, tuple[Callable[..., ImportPlan], Callable[..., None]]] = {
    "agencies": (plan_agencies, apply_agencies),
    "contact-points": (plan_contact_points, apply_contact_points),
    "programmes": (plan_programmes, apply_programmes),
}


def run_import(
    session: Session,
    principal: Principal,
    kind: str,
    body: bytes,
    charset: str | None,
    dry_run: bool,
) -> dict[str, Any]:
    """Check every row; with dry_run say what would happen; otherwise apply all rows in one
    transaction (each audited like a single edit) or, if any row is wrong, none (422)."""
    make_plan, apply = KINDS[kind]
    plan = make_plan(session, principal, decode(body, charset))
    if dry_run:
        session.rollback()
        return plan.report(True)
    if plan.errors:
        session.rollback()
        raise ApiError(
            422,
            f"CSV の {len(plan.errors)} か所に誤りがあるため、何も取り込んでいません。",
            en=f"Nothing was imported: the CSV has {len(plan.errors)} error(s).",
            extensions={"errors": [e.to_dict() for e in plan.errors]},
        )
    session.info[BATCH] = True
    try:
        apply(session, principal, plan)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(BATCH, None)
    return plan.report(False)
