"""Response envelopes of the HSDS 3.0 API (/v1/hsds). The objects inside follow the official
HSDS schemas, which the OpenAPI document carries as its own components (`hsds_components`, from
the files vendored in app/schemas/hsds_3_0/)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

HSDS_DIR = Path(__file__).with_name("hsds_3_0")
# JSON Schema keywords kept from the HSDS files; the rest (datapackage_metadata, constraints,
# core, tabular_required, the field's own `name`, ...) describe HSDS's tabular format.
SCHEMA_KEYWORDS = {"type", "title", "description", "format", "enum", "items", "properties"}


class HsdsApiInfo(BaseModel):
    version: str = Field(description="この API が準拠する HSDS のバージョン", examples=["3.0"])
    profile: str = Field(description="HSDS プロファイルの情報の URL")
    openapi_url: str = Field(
        description="この API の OpenAPI 定義の URL",
        examples=["http://127.0.0.1:8000/openapi.json"],
    )


class HsdsPage(BaseModel):
    """The `Page` schema of HSDS openapi.json plus `contents`."""

    total_items: int = Field(description="条件に合う件数の合計", examples=[116])
    total_pages: int = Field(description="ページ数", examples=[3])
    page_number: int = Field(description="このページの番号（1始まり）", examples=[1])
    size: int = Field(description="このページの件数", examples=[50])
    first_page: bool = Field(description="最初のページか")
    last_page: bool = Field(description="最後のページか（範囲外のページも true）")
    empty: bool = Field(description="このページが空か")
    contents: list[dict[str, Any]] = Field(description="HSDS のオブジェクト")


def component_name(file_name: str) -> str:
    """`taxonomy_term.json` -> `HsdsTaxonomyTerm`."""
    stem = file_name.removesuffix(".json")
    return "Hsds" + "".join(part.capitalize() for part in stem.split("_"))


def hsds_schema_ref(file_name: str) -> dict[str, Any]:
    """An OpenAPI `content` entry pointing at an HSDS schema inside the document."""
    return {"application/json": {"schema": {"$ref": _ref(file_name)}}}


def _ref(file_name: str) -> str:
    return "#/components/schemas/" + component_name(file_name)


def _json_schema(field: dict[str, Any]) -> dict[str, Any]:
    """One HSDS schema (or property) as plain JSON Schema with references inside the document."""
    if "$ref" in field:
        return {"$ref": _ref(field["$ref"])}
    out = {key: value for key, value in field.items() if key in SCHEMA_KEYWORDS}
    if "example" in field:
        out["examples"] = [field["example"]]
    if "properties" in out:
        out["properties"] = {name: _json_schema(p) for name, p in field["properties"].items()}
        if field.get("required"):
            out["required"] = list(field["required"])
    if "items" in out:
        out["items"] = _json_schema(field["items"])
    return out


@cache
def hsds_components() -> dict[str, dict[str, Any]]:
    """Every vendored HSDS schema as an OpenAPI component (`HsdsService`, `HsdsPhone`, ...)."""
    components = {}
    for path in sorted(HSDS_DIR.glob("*.json")):
        schema = _json_schema(json.loads(path.read_text(encoding="utf-8")))
        schema["description"] = (
            schema.get("description", "") + " (Open Referral HSDS 3.0, CC BY-SA 4.0)"
        ).strip()
        components[component_name(path.name)] = schema
    return components
