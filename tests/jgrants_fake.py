"""A local fake of the public jGrants API, for tests: nothing here reaches the internet.

The answers have the shape of the response samples in the official documentation
(https://developers.digital.go.jp/documents/jgrants/api/, 補助金一覧取得API):

    {"metadata": {"resultset": {"count": N}},
     "result": [{"id": "S0J0w00wer0wUgr77E", "name": "S-01100011", "title": "小規模事業者補助金",
                 "target_area_search": "東京都 / 大阪府", "subsidy_max_limit": 10000000,
                 "acceptance_start_datetime": "2020-02-28T16:41:41.090Z",
                 "acceptance_end_datetime": "2021-02-28T16:41:41.090Z",
                 "target_number_of_employees": "20名以下"}]}

Confirmed from that page: the envelope and those list fields, " / " between areas, UTC times
with Z. Assumed, not confirmed there (third-party clients only): that keyword (2+ characters),
sort, order and acceptance are required (400 otherwise, as here); that use_purpose filters by
the detail's `use_purpose` values; `front_subsidy_detail_page_url` (a detail field, sent here in
one list item to show the sync takes it when present).

The subsidies below are invented (names like the national programmes owners ask about, marked
テスト); their acceptance windows are in 2031 so that no test depends on today's date. Each
carries `_purposes`, the fake's own key for the use purposes its detail would list (the list
answer itself has no use_purpose field): a query with `use_purpose` returns the subsidies that
have it. The area query parameter is ignored on purpose (the documentation does not say whether
山口県 also returns 全国 subsidies): every area comes back, and the sync must keep only 山口県 and
全国 ones.

Use `FakeJGrants().transport` (httpx.MockTransport) in process, or `serve(fake)` for a real local
HTTP server that JGRANTS_BASE_URL can point at.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

# The time of the tests' answers: every accepting window below contains it.
NOW = datetime(2031, 1, 15, 3, 0, tzinfo=UTC)

SUCCESSION = "事業を引き継ぎたい"
NEW_BUSINESS = "新たな事業を行いたい"
EQUIPMENT_IT = "設備整備・IT導入をしたい"
RND = "研究開発・実証事業を行いたい"

SUBSIDIES: list[dict[str, Any]] = [
    {  # accepting, whole country
        "id": "a0W0000000TEST0001",
        "name": "S-90000001",
        "title": "事業承継・引継ぎ補助金（テスト）",
        "target_area_search": "全国",
        "subsidy_max_limit": 8000000,
        "acceptance_start_datetime": "2030-12-01T00:00:00.000Z",
        "acceptance_end_datetime": "2031-02-28T08:00:00.000Z",
        "target_number_of_employees": "従業員数の制約なし",
        "_purposes": [SUCCESSION],
    },
    {  # accepting, whole country, several purposes
        "id": "a0W0000000TEST0002",
        "name": "S-90000002",
        "title": "ものづくり・商業・サービス生産性向上促進補助金（テスト）",
        "target_area_search": "全国",
        "subsidy_max_limit": 12500000,
        "acceptance_start_datetime": "2031-01-05T01:00:00.000Z",
        "acceptance_end_datetime": "2031-03-31T08:00:00.000Z",
        "target_number_of_employees": "従業員数の制約なし",
        "_purposes": [NEW_BUSINESS, EQUIPMENT_IT, RND],
    },
    {  # accepting, whole country; its own detail page URL in the item
        "id": "a0W0000000TEST0003",
        "name": "S-90000003",
        "title": "IT導入補助金（テスト）",
        "target_area_search": "全国",
        "subsidy_max_limit": 4500000,
        "acceptance_start_datetime": "2030-11-01T00:00:00.000Z",
        "acceptance_end_datetime": "2031-01-20T08:00:00.000Z",
        "target_number_of_employees": "従業員数の制約なし",
        "front_subsidy_detail_page_url": "https://www.jgrants-portal.go.jp/subsidy/a0W0000000TEST0003",
        "_purposes": [EQUIPMENT_IT],
    },
    {  # accepting, Yamaguchi and its neighbour; no maximum stated (0)
        "id": "a0W0000000TEST0004",
        "name": "S-90000004",
        "title": "中国地方新事業展開支援補助金（テスト）",
        "target_area_search": "広島県 / 山口県",
        "subsidy_max_limit": 0,
        "acceptance_start_datetime": "2031-01-01T00:00:00.000Z",
        "acceptance_end_datetime": "2031-02-15T08:00:00.000Z",
        "target_number_of_employees": "300名以下",
        "_purposes": [NEW_BUSINESS],
    },
    {  # closed before NOW (it was open when synced)
        "id": "a0W0000000TEST0005",
        "name": "S-90000005",
        "title": "事業承継支援補助金 第1回（テスト）",
        "target_area_search": "全国",
        "subsidy_max_limit": 5000000,
        "acceptance_start_datetime": "2030-10-01T00:00:00.000Z",
        "acceptance_end_datetime": "2031-01-10T08:00:00.000Z",
        "target_number_of_employees": "従業員数の制約なし",
        "_purposes": [SUCCESSION],
    },
    {  # opens after NOW
        "id": "a0W0000000TEST0006",
        "name": "S-90000006",
        "title": "事業承継支援補助金 第2回（テスト）",
        "target_area_search": "全国",
        "subsidy_max_limit": 5000000,
        "acceptance_start_datetime": "2031-02-01T00:00:00.000Z",
        "acceptance_end_datetime": "2031-04-30T08:00:00.000Z",
        "target_number_of_employees": "従業員数の制約なし",
        "_purposes": [SUCCESSION],
    },
    {  # another prefecture only: dropped by the sync
        "id": "a0W0000000TEST0007",
        "name": "S-90000007",
        "title": "東京都事業承継補助金（テスト）",
        "target_area_search": "東京都",
        "subsidy_max_limit": 3000000,
        "acceptance_start_datetime": "2030-12-01T00:00:00.000Z",
        "acceptance_end_datetime": "2031-03-31T08:00:00.000Z",
        "target_number_of_employees": "従業員数の制約なし",
        "_purposes": [SUCCESSION],
    },
    {  # no acceptance window stated: stored, never said to be open
        "id": "a0W0000000TEST0008",
        "name": "S-90000008",
        "title": "事業承継相談補助金（受付期間未定・テスト）",
        "target_area_search": "山口県",
        "subsidy_max_limit": 1000000,
        "target_number_of_employees": "従業員数の制約なし",
        "_purposes": [SUCCESSION],
    },
    {  # no title: unreadable, skipped
        "id": "a0W0000000TEST0009",
        "name": "S-90000009",
        "target_area_search": "全国",
        "_purposes": [SUCCESSION],
    },
]

SILENCE_SECONDS = 3.0
KEPT = {f"a0W0000000TEST000{n}" for n in (1, 2, 3, 4, 5, 6, 8)}
REQUIRED = ("keyword", "sort", "order", "acceptance")


class FakeJGrants:
    """The /subsidies list over `subsidies`, with switches to fail as the real one may."""

    def __init__(self, subsidies: list[dict[str, Any]] | None = None) -> None:
        self.subsidies = deepcopy(SUBSIDIES if subsidies is None else subsidies)
        self.requests: list[httpx.Request] = []
        # from this request on (1-based), answer `fail_status` / a broken body / time out
        self.fail_from: int | None = None
        self.fail_status = 503
        self.fail_body: bytes | None = None
        self.fail_timeout = False

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_from is not None and len(self.requests) >= self.fail_from:
            if self.fail_timeout:
                raise httpx.ReadTimeout("the fake does not answer", request=request)
            if self.fail_body is not None:
                return httpx.Response(200, content=self.fail_body)
            return httpx.Response(self.fail_status, json={"message": "Service Unavailable"})
        if request.url.path.rstrip("/").split("/")[-1] != "subsidies":
            return httpx.Response(404, json={"message": "Not Found"})
        params = request.url.params
        if any(not params.get(name) for name in REQUIRED) or len(params["keyword"]) < 2:
            return httpx.Response(400, json={"message": "Bad Request"})
        purpose = params.get("use_purpose")
        found = [
            {k: v for k, v in s.items() if not k.startswith("_")}
            for s in self.subsidies
            if purpose is None or purpose in s.get("_purposes", [])
        ]
        return httpx.Response(
            200, json={"metadata": {"resultset": {"count": len(found)}}, "result": found}
        )


@contextmanager
def serve(fake: FakeJGrants) -> Iterator[str]:
    """The fake on a real local HTTP server; yields its base URL (…/exp/v1/public)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = f"http://{self.headers.get('Host', '127.0.0.1')}{self.path}"
            try:
                answer = fake.handle(httpx.Request("GET", url))
            except httpx.TimeoutException:
                time.sleep(SILENCE_SECONDS)  # longer than the client waits: it times out
                self.close_connection = True
                return
            body = answer.content
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False  # a silent answer does not hold the test's end
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/exp/v1/public"
    finally:
        server.shutdown()
        server.server_close()
