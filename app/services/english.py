"""The directory's names in English, for a client that asks for English (app/core/i18n.py).

Support types and agencies have English names (`name_en`); with `Accept-Language: en` the
support types, the agencies (list and detail) and the role matrix answer with `name` in English
where one is known, and Japanese where none is (a local office without `name_en`). Programme
names, descriptions and contact details have no English in the data and stay Japanese.
These functions take the JSON form of an answer (a model_dump) and return a translated copy.
"""

from __future__ import annotations

from typing import Any

from app.matching.snapshot import DirectorySnapshot


def _agency_name(snapshot: DirectorySnapshot, ref: dict[str, Any]) -> dict[str, Any]:
    view = snapshot.agencies.get(str(ref.get("id")))
    if view is not None and view.name_en:
        return {**ref, "name": view.name_en}
    return ref


def support_type(item: dict[str, Any], snapshot: DirectorySnapshot) -> dict[str, Any]:
    view = snapshot.support_type_by_code.get(str(item.get("code")))
    return {**item, "name": view.name_en} if view is not None and view.name_en else item


def agency(item: dict[str, Any], snapshot: DirectorySnapshot) -> dict[str, Any]:
    """An agency summary or detail: its own name, its parent's, children's and local offices'."""
    out = {**item, "name": item.get("name_en") or item["name"]}
    if isinstance(item.get("parent"), dict):
        out["parent"] = _agency_name(snapshot, item["parent"])
    for key in ("children", "local_offices"):
        if isinstance(item.get(key), list):
            out[key] = [_agency_name(snapshot, ref) for ref in item[key]]
    return out


def role_matrix(matrix: dict[str, Any], snapshot: DirectorySnapshot) -> dict[str, Any]:
    return {
        **matrix,
        "support_types": [support_type(s, snapshot) for s in matrix["support_types"]],
        "rows": [
            {**row, "agency": _agency_name(snapshot, row["agency"])} for row in matrix["rows"]
        ],
    }
