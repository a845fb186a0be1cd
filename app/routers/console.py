"""The front-desk console at `/`, the yearly review (進行管理) at `/progress`, and their assets,
served from app/console/.

The pages are plain HTML with same-origin scripts and stylesheets (no build step, no CDN, no
chart library: the review's charts are SVG its script draws). Their Content-Security-Policy
allows nothing but same-origin scripts, styles, images and fetches (no inline script or style),
so data a page renders can never run as code. The security headers
middleware keeps a header a route already set, so this policy is the one the browser sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from app.core.errors import ApiError

CONSOLE_DIR = Path(__file__).resolve().parents[1] / "console"
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Only these files are served (no directory listing, no path traversal).
ASSETS = {
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "progress.js": "text/javascript; charset=utf-8",
    "common.js": "text/javascript; charset=utf-8",
    "progress.css": "text/css; charset=utf-8",
}
HEADERS = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/")
def console_page() -> FileResponse:
    return FileResponse(
        CONSOLE_DIR / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS
    )


@router.get("/progress")
def progress_page() -> FileResponse:
    return FileResponse(
        CONSOLE_DIR / "progress.html", media_type="text/html; charset=utf-8", headers=HEADERS
    )


@router.get("/console/{name}")
def console_asset(name: Annotated[str, PathParam(max_length=40)]) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise ApiError(404, "指定されたファイルは見つかりません。", en="No such file.")
    return FileResponse(CONSOLE_DIR / name, media_type=media_type, headers=HEADERS)
