"""The front-desk console page at `/` and its static assets (served by the app, no CDN)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from partners import assert_problem

from app.routers.console import CONSOLE_CSP, CONSOLE_DIR


def directives(csp: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def test_root_serves_the_console_page_with_security_headers(client: TestClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    assert resp.headers["content-security-policy"] == CONSOLE_CSP
    policy = directives(resp.headers["content-security-policy"])
    # Same-origin script and style only: no inline code, no CDN, no eval.
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'" and policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert resp.headers["cache-control"] == "no-cache"
    html = resp.text
    assert '<html lang="ja">' in html and "窓口コンソール" in html
    assert '<script src="/console/console.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/console/console.css">' in html
    # Nothing is loaded from another origin and nothing runs inline.
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)


def test_assets_are_served_with_their_types(client: TestClient) -> None:
    js = client.get("/console/console.js")
    assert js.status_code == 200
    assert js.headers["content-type"] == "text/javascript; charset=utf-8"
    assert js.headers["x-content-type-options"] == "nosniff"
    assert js.text == (CONSOLE_DIR / "console.js").read_text(encoding="utf-8")
    css = client.get("/console/console.css")
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert "@media print" in css.text and "size: A4" in css.text


def test_only_the_listed_assets_are_served(client: TestClient) -> None:
    for path in (
        "/console/index.html",
        "/console/secret.txt",
        "/console/..%2Fmain.py",
        "/console/%2e%2e%2fconfig.py",
    ):
        assert_problem(client.get(path), 404)
    assert client.get("/console/../core/config.py").status_code == 404


@pytest.mark.parametrize("name", ["console.js", "common.js", "progress.js"])
def test_the_scripts_never_build_html_from_strings(name: str) -> None:
    source = (CONSOLE_DIR / name).read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, sink
    assert "localStorage" not in source  # the API key lives in sessionStorage only


def test_both_pages_keep_the_key_in_session_storage_through_the_shared_script(
    client: TestClient,
) -> None:
    common = client.get("/console/common.js")
    assert common.status_code == 200
    assert common.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "sessionStorage.setItem" in common.text
    for page, script in (("/", "console.js"), ("/progress", "progress.js")):
        html = client.get(page).text
        # the shared script first, then the page's own (both deferred: run in this order)
        assert html.index('src="/console/common.js"') < html.index(f'src="/console/{script}"')
        own = (CONSOLE_DIR / script).read_text(encoding="utf-8")
        assert "window.madoguchi.storedKey(" in own


def test_input_limits_match_the_api(client: TestClient) -> None:
    html = client.get("/").text
    assert re.search(r'<textarea id="need-text"[^>]*maxlength="1000"', html)
    for field in ("enterprise-name", "enterprise-contact"):
        assert re.search(rf'id="{field}" maxlength="200"', html), field
    ok = client.post("/v1/match", json={"text": "共" * 1000})
    assert ok.status_code == 200
    assert_problem(client.post("/v1/match", json={"text": "共" * 1001}), 422)


def test_the_api_and_the_docs_are_unchanged(client: TestClient) -> None:
    assert client.get("/v1/municipalities").json()["total"] == 19
    docs = client.get("/docs")
    assert docs.status_code == 200
    # the docs keep their own policy (inline bootstrap script), still with no outside origin
    assert "'unsafe-inline'" in docs.headers["content-security-policy"]
    assert "https:" not in docs.headers["content-security-policy"]
    schema = client.get("/openapi.json").json()
    assert "/" not in schema["paths"]
    assert not any(path.startswith(("/console", "/docs")) for path in schema["paths"])


# --- the yearly review (進行管理) at /progress ---------------------------------------------------


def test_progress_page_is_served_like_the_console(client: TestClient) -> None:
    resp = client.get("/progress")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    assert resp.headers["content-security-policy"] == CONSOLE_CSP
    policy = directives(resp.headers["content-security-policy"])
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'" and policy["default-src"] == "'none'"
    assert resp.headers["x-frame-options"] == "DENY"
    html = resp.text
    assert '<html lang="ja">' in html and "進行管理" in html
    assert '<script src="/console/progress.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/console/progress.css">' in html
    # Nothing from another origin, nothing inline, no chart library.
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    # The console links to it and back.
    assert 'href="/progress"' in client.get("/").text and 'href="/"' in html


def test_progress_page_has_tables_for_screen_readers(client: TestClient) -> None:
    html = client.get("/progress").text
    tables = re.findall(r"<table\b.*?</table>", html, flags=re.S)
    assert len(tables) == 5
    for table in tables:
        assert "<caption>" in table and "<thead>" in table and "<tbody>" in table
    assert (
        html.count('<th scope="col"') == 7
    )  # the KPI table's headers; the others come with the data


def test_progress_assets_draw_their_own_svg_and_load_nothing_from_outside(
    client: TestClient,
) -> None:
    js = client.get("/console/progress.js")
    assert js.status_code == 200
    assert js.headers["content-type"] == "text/javascript; charset=utf-8"
    source = js.text
    assert source == (CONSOLE_DIR / "progress.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, sink
    assert "localStorage" not in source
    # The only absolute URL is SVG's namespace name (an identifier, never fetched).
    assert re.findall(r"https?://[^\"' ]+", source) == ["http://www.w3.org/2000/svg"]
    assert "createElementNS(SVG_NS, tag)" in source
    for path in ("/v1/progress", "/v1/kpis", "/v1/exports/progress.csv"):
        assert f'"{path}' in source, path
    css = client.get("/console/progress.css")
    assert css.status_code == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
    assert "url(" not in css.text and "@import" not in css.text
