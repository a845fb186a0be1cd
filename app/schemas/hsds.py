"""Response envelopes of the HSDS 3.0 API (/v1/hsds). The objects inside follow the official
HSDS schemas (vendored in docs/hsds-3.0/) and are documented by reference to them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

HSDS_SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


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


def hsds_schema_ref(path: str) -> dict[str, Any]:
    """An OpenAPI `content` entry pointing at an official HSDS schema."""
    return {"application/json": {"schema": {"$ref": HSDS_SCHEMA_BASE + path}}}
