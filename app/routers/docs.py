"""The interactive API documentation (/docs: Swagger UI, /redoc: ReDoc), served with no network.

Municipal offices work on closed networks (LGWAN): FastAPI's default pages load Swagger UI and
ReDoc from a CDN and stay blank there. The pages here load the same files from this server: the
`fastapi-offline` package ships them (swagger-ui-dist and ReDoc's standalone bundle, MIT
licensed), and only those four files are served (no directory listing, no path traversal).

One line of ReDoc's bundle reaches out by itself: the "API docs by Redocly" attribution shows a
logo from cdn.redoc.ly. The bundle is served with that address replaced by an empty inline
image, so that the page asks nothing of the internet (the docs' CSP would block it anyway).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response

from app.core.errors import ApiError

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSET_PREFIX = "/docs/assets"
ASSET_DIR = files("fastapi_offline") / "static"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
ASSET_HEADERS = {"Cache-Control": "public, max-age=86400"}
OUTSIDE_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


@router.get(DOCS_URL)
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    app = request.app
    return get_swagger_ui_html(
        openapi_url=root + app.openapi_url,
        title=app.title + " - Swagger UI",
        oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
        swagger_js_url=f"{root}{ASSET_PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSET_PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSET_PREFIX}/favicon.png",
        swagger_ui_parameters=app.swagger_ui_parameters,
    )


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC_URL)
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    app = request.app
    return get_redoc_html(
        openapi_url=root + app.openapi_url,
        title=app.title + " - ReDoc",
        redoc_js_url=f"{root}{ASSET_PREFIX}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSET_PREFIX}/favicon.png",
        with_google_fonts=False,
    )


@cache
def asset_bytes(name: str) -> bytes:
    return (ASSET_DIR / name).read_bytes().replace(OUTSIDE_LOGO, EMPTY_IMAGE)


@router.get(ASSET_PREFIX + "/{name}")
async def docs_asset(name: Annotated[str, PathParam(max_length=40)]) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise ApiError(404, "指定されたファイルは見つかりません。", en="No such file.")
    return Response(asset_bytes(name), media_type=media_type, headers=ASSET_HEADERS)
