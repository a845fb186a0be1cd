"""End to end: the front-desk console at `/`, in headless Chromium, against a real uvicorn server.

The server runs in a subprocess on a free port against its own freshly migrated and seeded
SQLite file, also when TEST_DATABASE_URL points the rest of the suite at PostgreSQL: the console
only talks HTTP, so the database engine behind it does not change what is tested here, and the
shared test database is left alone. Debian's /usr/bin/chromium is driven by the `playwright`
package (its bundled driver only; `playwright install` is never run). Without chromium the module
is skipped, unless MADOGUCHI_REQUIRE_E2E is set (as in CI), where that is a failure.

Screenshots and the printed slip (PDF) go to test-artifacts/console-*.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import alembic_config
from pypdf import PdfReader
from sqlmodel import Session

from alembic import command
from app.core.config import PROJECT_ROOT
from app.core.db import make_engine
from app.core.fiscal import current_fiscal_year
from app.seeding.database import load_seed_into_database
from app.seeding.loader import SeedBundle

CHROMIUM = Path(os.environ.get("MADOGUCHI_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = bool(os.environ.get("MADOGUCHI_REQUIRE_E2E"))
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
ADMIN_SECRET = "e2e-bootstrap-admin-secret-0123456789"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# How long the server may take to answer /readyz (a start-up deadline, not an assertion).
STARTUP_SECONDS = 60.0
# Playwright's wait for an expected element, in milliseconds.
WAIT_MS = 15_000
# Chromium logs every 4xx answer; the tests provoke some on purpose (the page explains them).
HTTP_STATUS_LOG = "Failed to load resource: the server responded with a status of 4"
ARTIFACT_KEY = pytest.StashKey[list[Path]]()


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (MADOGUCHI_REQUIRE_E2E is set: run `make browser`)")
    pytest.skip(reason, allow_module_level=True)


if not CHROMIUM.exists():
    _unavailable(f"{CHROMIUM} is not installed")
try:
    from playwright.sync_api import (
        BrowserContext,
        ConsoleMessage,
        Dialog,
        Page,
        expect,
        sync_playwright,
    )
except ImportError:  # pragma: no cover - dev extras not installed
    _unavailable("the playwright package is not installed (pip install -e '.[dev]')")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(self, base_url: str, desk_key: str) -> None:
        self.base_url = base_url
        self.desk_key = desk_key


@pytest.fixture(scope="module")
def server(seed_bundle: SeedBundle) -> Iterator[Server]:
    workdir = Path(tempfile.mkdtemp(prefix="madoguchi-e2e-"))
    # Always its own SQLite file (see the module docstring), whatever TEST_DATABASE_URL says.
    url = f"sqlite:///{workdir / 'console.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session:
        load_seed_into_database(session, seed_bundle)
        session.commit()
    engine.dispose()

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BOOTSTRAP_ADMIN_KEY": ADMIN_SECRET,
        "RATE_LIMIT_PER_MINUTE": "0",
        "CONVERSATIONS_PER_MINUTE": "0",
        "SNAPSHOT_CHECK_SECONDS": "0",
        "LOG_LEVEL": "warning",
    }
    log_path = workdir / "server.log"
    address = ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--no-access-log", *address],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=base_url, timeout=5.0) as client:
            _wait_until_ready(client, proc, log_path)
            resp = client.post(
                "/v1/admin/api-keys",
                headers={"Authorization": f"Bearer {ADMIN_SECRET}"},
                json={"scope": "front_desk", "municipality": "萩市", "label": "e2e 萩市"},
            )
            assert resp.status_code == 201, resp.text
            yield Server(base_url, resp.json()["secret"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_ready(client: httpx.Client, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"uvicorn exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"uvicorn did not become ready:\n{log.read_text()}")


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    ARTIFACTS.mkdir(exist_ok=True)
    written: list[Path] = []
    request.config.stash[ARTIFACT_KEY] = written
    with (
        tempfile.TemporaryDirectory(prefix="madoguchi-chromium-") as profile,
        sync_playwright() as pw,
    ):
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            viewport={"width": 1200, "height": 900},
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None and written:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line("console e2e artifacts (screenshots, printed slip):")
            for path in written:
                reporter.write_line(f"  {path}")


def artifact(request: pytest.FixtureRequest, name: str) -> Path:
    path = ARTIFACTS / name
    request.config.stash[ARTIFACT_KEY].append(path)
    return path


@pytest.fixture
def page(browser: BrowserContext, server: Server) -> Iterator[Page]:
    """A fresh tab on the console; fails the test on any script error or CSP violation."""
    tab = browser.new_page()
    problems: list[str] = []
    confirmations: list[str] = []
    tab.confirmations = confirmations  # type: ignore[attr-defined]
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not msg.text.startswith(HTTP_STATUS_LOG):
            problems.append(f"console error: {msg.text}")

    def on_dialog(dialog: Dialog) -> None:
        # The one dialog the page may open: the confirmation before recording a referral.
        if dialog.type == "confirm" and "への紹介を記録します" in dialog.message:
            confirmations.append(dialog.message)
            dialog.accept()
            return
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    tab.on("console", on_console)
    tab.on("dialog", on_dialog)
    # window.print() is replaced by a counter (html[data-printed]) so that the button can be
    # clicked headless. (No page.wait_for_function: it evals, which the page's CSP forbids.)
    tab.add_init_script(
        "window.print = () => { const root = document.documentElement;"
        " root.dataset.printed = String(Number(root.dataset.printed || 0) + 1); };"
    )
    tab.goto(server.base_url + "/")
    # The municipality list arrives from GET /v1/municipalities.
    expect(tab.locator("#municipality option")).to_have_count(20)
    yield tab
    tab.close()
    assert problems == [], problems


def offline_tab(browser: BrowserContext, server: Server) -> tuple[Page, list[str], list[str]]:
    """A new tab as on a municipal closed network: every request to another origin is aborted
    and listed (`outside`); script errors and console errors (but the 4xx the tests provoke) go
    to `problems`."""
    tab = browser.new_page()
    outside: list[str] = []
    problems: list[str] = []

    def same_origin_only(route: Any) -> None:
        if route.request.url.startswith(server.base_url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    tab.route("**/*", same_origin_only)
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on(
        "console",
        lambda msg: (
            problems.append(f"console error: {msg.text}")
            if msg.type == "error" and not msg.text.startswith(HTTP_STATUS_LOG)
            else None
        ),
    )
    return tab, outside, problems


def consult(page: Page, text: str, municipality: str | None = "萩市") -> None:
    page.fill("#need-text", text)
    if municipality:
        page.select_option("#municipality", label=municipality)
    page.click("#match-button")


def test_match_shows_the_agency_with_its_reason(page: Page, request: pytest.FixtureRequest) -> None:
    expect(page.locator("#need-text")).to_have_attribute("maxlength", "1000")
    consult(page, "共同研究したい")
    first = page.locator("#agencies > li").first
    expect(first).to_contain_text("山口県産業技術センター")
    # The card says why in the desk's Japanese; rule ids stay folded under 「根拠」.
    expect(first.locator(".why")).to_contain_text("共同研究のご相談に対応する機関です")
    expect(first.locator(".reasons")).to_be_hidden()
    assert "technology.joint-research" not in page.locator("#results").inner_text()
    first.locator("summary").click()
    expect(first.locator(".reasons")).to_be_visible()
    expect(first.locator(".reasons")).to_contain_text("technology.joint-research")
    expect(first.locator(".reasons")).to_contain_text("『共同研究』")
    expect(first.locator("input[type=radio]")).to_be_checked()
    expect(page.locator("#needs")).to_contain_text(
        "『共同研究』から、共同研究のご相談と判断しました"
    )
    expect(page.locator("#support-types")).to_contain_text("技術支援")
    expect(page.locator("#programmes")).to_contain_text("やまぐち産業戦略研究開発等補助金")
    # The centre's window is on its card; a field nobody registered says so, nothing invented.
    expect(first).to_contain_text("宇部市あすとぴあ")
    expect(first.locator("dd").first).to_have_text("未登録")
    expect(page.locator("#message")).to_contain_text("相談先の候補が")
    page.screenshot(path=artifact(request, "console-match.png"), full_page=True)


def test_clarifying_question_option_reruns_the_match(
    page: Page, request: pytest.FixtureRequest
) -> None:
    consult(page, "相談したい")
    questions = page.locator("#questions")
    expect(questions).to_be_visible()
    expect(questions).to_contain_text("近いものを選んでください")
    expect(page.locator("#agencies-block")).to_be_hidden()
    page.screenshot(path=artifact(request, "console-clarify.png"), full_page=True)

    questions.get_by_role("button", name="技術・研究開発").click()
    # The chosen topic is added to the owner's words, not put in their place.
    expect(page.locator("#need-text")).to_have_value("相談したい。技術の相談をしたい")
    expect(page.locator("#questions")).to_be_hidden()
    expect(page.locator("#agencies > li").first).to_contain_text("山口県産業技術センター")
    expect(page.locator("#message")).to_contain_text("「技術・研究開発」を加えて検索し直しました")


def test_out_of_scope_and_api_errors_are_explained(page: Page) -> None:
    consult(page, "今日の天気は？", municipality=None)
    message = page.locator("#message")
    expect(message).to_contain_text("対象外")
    expect(message).to_have_class(re.compile(r"\bwarn\b"))
    expect(page.locator("#agencies-block")).to_be_hidden()
    # The prefecture's general desk is offered instead, and no referral slip.
    expect(page.locator("#contacts")).to_contain_text("商工労働部")
    expect(page.locator("#print-button")).to_be_hidden()
    # Everyday life: the municipality's general window, no slip.
    consult(page, "マイホームのローンを組みたい", municipality="萩市")
    expect(message).to_contain_text("萩市の総合窓口")
    expect(page.locator("#print-button")).to_be_hidden()

    # An API error shows the problem+json detail in Japanese.
    consult(page, "   ", municipality=None)
    expect(message).to_have_class(re.compile(r"\berror\b"))
    expect(message).to_contain_text("相談内容（text）を入力してください")
    expect(page.locator("#results")).to_be_hidden()


def test_data_is_rendered_as_text_never_as_html(page: Page) -> None:
    words = '<img src=x onerror="alert(1)">共同研究したい'
    consult(page, words)
    expect(page.locator("#agencies > li").first).to_contain_text("山口県産業技術センター")
    # The owner's words reach the slip verbatim, as text: no element was created from them.
    expect(page.locator("#slip")).to_have_attribute("data-state", "ready")
    expect(page.locator("#slip-text")).to_have_text(words)
    assert page.locator("#slip-text").text_content() == words
    assert page.locator("img").count() == 0


def test_record_a_referral_and_follow_it(
    page: Page, server: Server, request: pytest.FixtureRequest
) -> None:
    page.fill("#api-key", server.desk_key)
    page.click("#save-key")
    expect(page.locator("#referrals-summary")).to_contain_text("まだありません")
    assert page.evaluate("sessionStorage.getItem('madoguchi.frontDeskKey')") == server.desk_key
    assert page.evaluate("localStorage.length") == 0

    consult(page, "大学と共同研究して新製品を開発したい")
    # The staff member picks the referral target among the ranked agencies.
    centre = page.locator("#agencies > li", has_text="山口県産業技術センター")
    centre.locator("input[type=radio]").check()
    expect(page.locator("#referral-target")).to_contain_text("山口県産業技術センター")
    # Enterprise details only with the owner's consent.
    expect(page.locator("#enterprise-name")).to_be_disabled()
    expect(page.locator("#enterprise-contact")).to_be_disabled()
    page.check("#consent")
    expect(page.locator("#enterprise-name")).to_be_enabled()
    page.fill("#enterprise-name", "株式会社萩テック")
    # Enter in the name field records nothing.
    page.press("#enterprise-name", "Enter")
    expect(page.locator("#referral-message")).to_be_hidden()
    assert page.confirmations == []  # type: ignore[attr-defined]
    page.fill("#enterprise-contact", "0838-00-0000（担当: 山口）")
    programme = page.locator("#programmes input[type=checkbox]").first
    programme.check()
    programme_id = programme.get_attribute("value")
    programme_name = page.locator("#programmes > li .name").first.text_content() or "?"
    page.click("#record-button")
    # Recording asks first.
    expect(page.locator("#referral-message")).to_contain_text("紹介を記録しました")
    assert page.confirmations == [  # type: ignore[attr-defined]
        "地方独立行政法人山口県産業技術センター への紹介を記録します。よろしいですか？"
    ]

    expect(page.locator("#referral-message")).to_contain_text("紹介を記録しました")
    row = page.locator("#referrals tbody tr").first
    expect(row).to_contain_text("山口県産業技術センター")
    expect(row).to_contain_text("萩市")
    expect(row.locator(".status")).to_have_attribute("data-status", "sent")
    expect(row.locator(".status")).to_have_text("送付済み")
    # The consent form is reset after recording.
    expect(page.locator("#consent")).not_to_be_checked()
    expect(page.locator("#enterprise-name")).to_have_value("")

    row.get_by_role("button", name="経過").click()
    detail = page.locator("#referral-detail")
    expect(detail).to_contain_text("株式会社萩テック")
    expect(detail).to_contain_text(programme_name)
    expect(detail.locator("table.history tbody tr")).to_have_count(1)
    expect(detail.locator("table.history")).to_contain_text("送付済み")
    expect(detail).to_contain_text(re.compile("次の状態(受付・辞退|辞退・受付)"))
    page.screenshot(path=artifact(request, "console-referral.png"), full_page=True)

    # What the page recorded is what the API holds.
    listed = httpx.get(
        server.base_url + "/v1/referrals",
        headers={"Authorization": f"Bearer {server.desk_key}"},
    ).json()
    assert listed["total"] == 1
    stored: dict[str, Any] = listed["items"][0]
    assert stored["agency_id"] == "yamaguchi-itc" and stored["status"] == "sent"
    assert stored["municipality_code"] == "35204" and stored["consent"] is True
    assert stored["enterprise_name"] == "株式会社萩テック"
    assert stored["text"] == "大学と共同研究して新製品を開発したい"
    assert stored["programme_ids"] == [programme_id]


def test_referral_errors_are_explained(page: Page) -> None:
    consult(page, "共同研究したい", municipality="下関市")
    expect(page.locator("#agencies > li").first).to_contain_text("山口県産業技術センター")
    page.click("#record-button")
    expect(page.locator("#referral-message")).to_contain_text("API キーを入力してください")
    page.fill("#api-key", "not-a-valid-key")
    page.click("#record-button")
    message = page.locator("#referral-message")
    expect(message).to_have_class(re.compile(r"\berror\b"))
    expect(message).to_contain_text("API キーが正しいか")


def test_print_view_is_a_one_page_slip(page: Page, request: pytest.FixtureRequest) -> None:
    consult(page, "共同研究したい")
    expect(page.locator("#agencies > li").first).to_contain_text("山口県産業技術センター")
    page.click("#print-button")
    expect(page.locator("html")).to_have_attribute("data-printed", "1")

    page.emulate_media(media="print")
    expect(page.locator("#slip")).to_have_attribute("data-state", "ready")
    for control in ("#need-text", "#municipality", "#match-button", "#print-button", "#api-key"):
        expect(page.locator(control)).to_be_hidden()
    slip = page.locator("#slip")
    expect(slip).to_be_visible()
    expect(slip).to_contain_text("ご紹介票")
    expect(page.locator("#slip-municipality")).to_have_text("萩市 窓口")
    expect(page.locator("#slip-date")).to_have_text(re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$"))
    expect(page.locator("#slip-text")).to_have_text("共同研究したい")
    chosen = page.locator("#slip-agencies .slip-agency").first
    expect(chosen).to_contain_text("山口県産業技術センター")
    expect(chosen).to_contain_text("紹介先")
    expect(chosen).to_contain_text("宇部市あすとぴあ")
    # No phone or URL registered for the centre: the slip says so, it invents nothing.
    expect(chosen.locator("dd")).to_have_text(["未登録", re.compile("宇部市"), "未登録"])
    expect(page.locator("#slip-programmes")).to_contain_text("やまぐち産業戦略研究開発等補助金")
    expect(page.locator("#slip-topics")).to_contain_text("「共同研究したい」というご相談")
    expect(page.locator("#slip")).not_to_contain_text("technology.joint-research")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.screenshot(path=artifact(request, "console-print.png"), full_page=True)

    # The printed slip is one A4 page, even for the longest words the API accepts.
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    artifact(request, "console-slip.pdf").write_bytes(pdf)
    assert _pdf_pages(pdf) == 1
    page.emulate_media(media="no-override")
    longest = ("大学と共同研究して新製品を開発したい。" * 60)[:1000]
    consult(page, longest)
    expect(page.locator("#slip-text")).to_have_text(longest)
    expect(slip).to_have_attribute("data-state", "ready")
    long_pdf = page.pdf(format="A4", prefer_css_page_size=True)
    artifact(request, "console-slip-long.pdf").write_bytes(long_pdf)
    assert _pdf_pages(long_pdf) == 1, page.locator("#slip").inner_text()


def test_whom_to_call_comes_first_and_the_slip_carries_the_local_office(
    page: Page, request: pytest.FixtureRequest
) -> None:
    """A desk in 萩市 at 1366x768: starting a bakery with too little money. The first card names
    萩商工会議所 with its phone above the fold; the slip prints that office's phone."""
    page.set_viewport_size({"width": 1366, "height": 768})
    consult(page, "パン屋を開業したいが資金が足りない", municipality="萩市")
    first = page.locator("#agencies > li").first
    expect(first.locator(".card-title .name")).to_have_text("萩商工会議所")
    expect(first).to_contain_text("0838-25-3333")
    box = first.locator("dd").first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 768, box
    expect(page.locator("#referral-target")).to_contain_text("萩商工会議所")
    page.screenshot(path=artifact(request, "console-whom-to-call.png"))
    page.click("#print-button")
    page.emulate_media(media="print")
    expect(page.locator("#slip")).to_have_attribute("data-state", "ready")
    chosen = page.locator("#slip-agencies .slip-agency").first
    expect(chosen).to_contain_text("萩商工会議所")
    expect(chosen).to_contain_text("0838-25-3333")
    expect(chosen).not_to_contain_text("窓口の連絡先: 未登録")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    artifact(request, "console-slip-hagi.pdf").write_bytes(pdf)
    assert _pdf_pages(pdf) == 1
    # What the printed page says (text extracted from the PDF; NFKC folds the CJK radicals
    # that the PDF's font maps some kanji to): the chosen office with its phone.
    printed = unicodedata.normalize(
        "NFKC", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    )
    first_block = printed.split("ほかの相談先")[0]
    assert "萩商工会議所" in first_block and "0838-25-3333" in first_block, printed


def test_progress_page_draws_the_figures_offline(
    browser: BrowserContext, server: Server, request: pytest.FixtureRequest
) -> None:
    """/progress with every request to another origin blocked: the KPI bars and the referral
    charts are SVG the page draws itself, and the tables carry the figures this test created
    through the API (an analyst's key for the year's referrals, CSV included)."""
    admin = {"Authorization": f"Bearer {ADMIN_SECRET}"}
    year = current_fiscal_year()
    with httpx.Client(base_url=server.base_url, timeout=10.0) as api:
        analyst = api.post(
            "/v1/admin/api-keys", headers=admin, json={"scope": "analyst", "label": "e2e 進行管理"}
        ).json()["secret"]
        for path, body in (
            # 146社/年 -> 180社/年: 163 is half way
            (
                f"/v1/admin/kpis/startups-supported/actuals/{year}",
                {"value": 163, "text": "163社", "source": "e2e の資料"},
            ),
            # （H25～H28累計） 6件: 3 in the first year is half way
            (
                "/v1/admin/kpis/hydrogen-commercialisation/actuals/2013",
                {"value": 3, "source": "e2e の資料"},
            ),
        ):
            resp = api.put(path, headers=admin, json=body)
            assert resp.status_code == 201, resp.text
        # Two referrals from 周南市 by the admin (the desk's own list stays as the tests above
        # expect): a startup that is completed, a loan that is declined.
        outcomes = {
            "創業したい": ["accepted", "in_progress", "completed"],
            "融資を受けたい": ["declined"],
        }
        for text, statuses in outcomes.items():
            created = api.post(
                "/v1/referrals",
                headers=admin,
                json={
                    "text": text,
                    "agency_id": "yipf",
                    "municipality": "周南市",
                    "consent": False,
                },
            )
            assert created.status_code == 201, created.text
            for status in statuses:
                moved = api.patch(
                    f"/v1/referrals/{created.json()['id']}", headers=admin, json={"status": status}
                )
                assert moved.status_code == 200, moved.text

    tab, outside, problems = offline_tab(browser, server)
    tab.goto(server.base_url + "/progress")

    # The KPIs need no key: one SVG bar each, drawn from GET /v1/kpis.
    expect(tab.locator("#kpi-charts")).to_have_attribute("data-state", "ready")
    expect(tab.locator("svg.kpi-bar")).to_have_count(13)
    startups = tab.locator('svg.kpi-bar[data-kpi-id="startups-supported"]')
    expect(startups).to_be_visible()
    expect(startups.locator("rect.bar-fill")).to_have_attribute("data-rate", "0.5")
    expect(startups.locator("line.bar-tick")).to_have_attribute("data-fiscal-year", str(year))
    fill = startups.locator("rect.bar-fill").bounding_box()
    track = startups.locator("rect.bar-track").bounding_box()
    assert fill and track and abs(fill["width"] - track["width"] / 2) < 3, (fill, track)
    hydrogen = tab.locator('svg.kpi-bar[data-kpi-id="hydrogen-commercialisation"]')
    expect(hydrogen.locator("rect.bar-fill")).to_have_attribute("data-rate", "0.5")
    # grouped per pillar and action
    expect(tab.locator("#kpi-charts")).to_contain_text("アクション6 創業支援の強化")
    row = tab.locator('#kpi-table tr[data-kpi-id="startups-supported"]')
    expect(row).to_contain_text("163社（e2e の資料）")
    expect(row.locator("td.latest")).to_contain_text("50%")
    expect(row.locator("td.observed")).to_have_text("—")

    # With the analyst's key: the year's referrals, charted and tabled.
    tab.fill("#api-key", analyst)
    tab.click("#show-button")
    expect(tab.locator("#referral-panel")).to_have_attribute("data-state", "ready")
    charts = tab.locator("#referral-charts")
    expect(charts).to_be_visible()
    startup_done = charts.locator('rect[data-key="startup"][data-status="completed"]')
    expect(startup_done).to_have_attribute("data-count", "1")
    assert (startup_done.bounding_box() or {}).get("width", 0) > 10
    shunan = charts.locator('#chart-municipalities rect[data-key="35215"]')
    expect(shunan).to_have_count(4)
    expect(charts.locator('rect[data-key="35215"][data-status="sent"]')).to_have_attribute(
        "data-count", "2"
    )
    table = tab.locator('#municipality-table tr[data-key="35215"]')
    expect(table.locator("th")).to_have_text("周南市")
    expect(table.locator("td")).to_have_text(["2", "1", "1", "1", re.compile(r"^\d+(\.\d+)? 日$")])
    expect(tab.locator("#municipality-table caption")).to_contain_text("市町")
    expect(tab.locator('#support-type-table tr[data-key="startup"] td').nth(3)).to_have_text("1")
    expect(row.locator("td.observed")).to_have_text("1 件")
    expect(tab.locator("#kpi-charts .kpi-observed")).to_contain_text(
        "本サービス経由の紹介で完了した件数（参考"
    )
    assert tab.evaluate("sessionStorage.getItem('madoguchi.progressKey')") == analyst
    tab.screenshot(path=artifact(request, "console-progress.png"), full_page=True)

    # The same figures as CSV, downloaded with the key.
    with tab.expect_download() as info:
        tab.click("#csv-button")
    download = info.value
    assert download.suggested_filename == f"進行管理_{year}年度.csv"
    saved = artifact(request, "console-progress.csv")
    download.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith("\ufeff".encode())
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("区分,キー,名称,年度,送付済み,受付,辞退,完了")
    assert any(line.startswith("市町,35215,周南市,") and ",2,1,1,1," in line for line in lines)

    tab.close()
    assert outside == [] and problems == [], (outside, problems)


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.mark.parametrize(
    ("path", "operation", "summary"),
    [
        ("/docs", "#operations-match-match", ".opblock-summary-description"),
        ("/redoc", "#operation\\/match", "h2"),
    ],
)
def test_api_docs_work_on_a_closed_network(
    browser: BrowserContext,
    server: Server,
    path: str,
    operation: str,
    summary: str,
    request: pytest.FixtureRequest,
) -> None:
    """/docs (Swagger UI) and /redoc (ReDoc) render the operations with every request that
    leaves the server blocked, as on a municipal closed network, and try to reach nothing else."""
    tab, outside, problems = offline_tab(browser, server)
    try:
        tab.goto(server.base_url + path)
        # ReDoc lays out the whole document before it shows anything: on a slow, shared
        # machine that takes longer than the default 5 s wait
        expect(tab.locator(operation).first).to_be_visible(timeout=30_000)
        expect(tab.locator(summary, has_text="相談内容から紹介先を探す").first).to_be_visible()
        tab.screenshot(path=artifact(request, f"console-api{path.replace('/', '-')}.png"))
    finally:
        tab.close()
    assert outside == []
    assert problems == []
