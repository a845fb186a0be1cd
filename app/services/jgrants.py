"""A small client for the public jGrants API (デジタル庁 Jグランツ): its list of subsidies, read
into plain records. Used only by the national sync (app/services/national.py), never on a
request path.

What the API answers, from the response samples of the official documentation
(https://developers.digital.go.jp/documents/jgrants/api/, 補助金一覧取得API):

    GET {JGRANTS_BASE_URL}/subsidies?keyword=…&sort=…&order=…&acceptance=…
        [&use_purpose=…][&industry=…][&target_number_of_employees=…][&target_area_search=…]
    {"metadata": {"resultset": {"count": 1}},
     "result": [{"id": "S0J0w00wer0wUgr77E", "name": "S-01100011", "title": "小規模事業者補助金",
                 "target_area_search": "東京都 / 大阪府", "subsidy_max_limit": 10000000,
                 "acceptance_start_datetime": "2020-02-28T16:41:41.090Z",
                 "acceptance_end_datetime": "2021-02-28T16:41:41.090Z",
                 "target_number_of_employees": "20名以下"}]}

The detail (GET /subsidies/id/{id}, 補助金詳細取得API) adds among others `use_purpose` and
`industry` (" / "-separated, e.g. "新たな事業を行いたい / 設備整備・IT導入をしたい"),
`target_area_detail`, `subsidy_rate`, `project_end_deadline` and attached files as base64.

Confirmed by that page: the envelope and every list field above, the " / " separator, times in
UTC with `Z`. Not confirmed there (seen only in third-party clients, or assumed):
- that keyword (2+ characters), sort, order and acceptance are all required (else 400), that
  sort takes created_date / acceptance_start_datetime / acceptance_end_datetime, order ASC /
  DESC, and that acceptance=1 means "accepting applications now";
- `front_subsidy_detail_page_url` (a detail field in third-party clients; used when a list item
  carries it) and the portal page https://www.jgrants-portal.go.jp/subsidy/{id} used otherwise;
- whether target_area_search=山口県 also returns 全国 subsidies (both are asked for, and each
  item's own target_area_search is checked again by the sync);
- any paging: none is documented, so each query is taken as one complete answer;
- that `subsidy_max_limit` 0 means "not stated" (read as unknown here, never as 0 yen).
The detail is not fetched: its attachments make it large, and the list searched by use purpose
already gives what a referral needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from app.matching.status import JST, as_utc

PORTAL_SUBSIDY_URL = "https://www.jgrants-portal.go.jp/subsidy/{id}"
AREA_SEPARATOR = "/"
MAX_ID_CHARS = 40


class JGrantsError(Exception):
    """A jGrants answer that cannot be used: no answer, an error status, or not the documented
    JSON envelope. The message says which request and why (for the sync's record)."""


@dataclass(frozen=True, slots=True)
class Subsidy:
    """One item of the /subsidies list, read."""

    id: str
    title: str
    source_url: str
    target_areas: tuple[str, ...]
    number: str | None = None
    max_amount: int | None = None
    acceptance_start: datetime | None = None
    acceptance_end: datetime | None = None
    target_employees: str | None = None


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text[:limit] if text else None


def _time(value: Any) -> datetime | None:
    """An ISO 8601 time as jGrants writes it (2020-02-28T16:41:41.090Z); one without a zone is
    read as Japan time. Unreadable: None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return as_utc(parsed.replace(tzinfo=JST) if parsed.tzinfo is None else parsed)


def _amount(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value > 0 else None


def read_item(item: Any) -> Subsidy | None:
    """A list item as a Subsidy, or None when it lacks an id or a title."""
    if not isinstance(item, Mapping):
        return None
    sid = _text(item.get("id"), MAX_ID_CHARS + 1)
    title = _text(item.get("title"), 500) or _text(item.get("subsidy_name"), 500)
    if sid is None or len(sid) > MAX_ID_CHARS or title is None:
        return None
    url = _text(item.get("front_subsidy_detail_page_url"), 500)
    if url is None or not url.startswith(("https://", "http://")):
        url = PORTAL_SUBSIDY_URL.format(id=quote(sid, safe=""))
    areas = _text(item.get("target_area_search"), 2000) or ""
    return Subsidy(
        id=sid,
        title=title,
        source_url=url,
        target_areas=tuple(a.strip() for a in areas.split(AREA_SEPARATOR) if a.strip()),
        number=_text(item.get("name"), 40),
        max_amount=_amount(item.get("subsidy_max_limit")),
        acceptance_start=_time(item.get("acceptance_start_datetime")),
        acceptance_end=_time(item.get("acceptance_end_datetime")),
        target_employees=_text(item.get("target_number_of_employees"), 100),
    )


@dataclass(frozen=True, slots=True)
class ListAnswer:
    subsidies: list[Subsidy]
    unreadable: list[str]  # the items that could not be read: their id, or "" without one


def read_list(body: Any, where: str) -> ListAnswer:
    """The subsidies of a /subsidies answer and the items that could not be read;
    JGrantsError when the answer is not the documented envelope."""
    if not isinstance(body, Mapping) or not isinstance(body.get("result"), list):
        raise JGrantsError(f"{where}: the answer has no `result` list")
    answer = ListAnswer([], [])
    for item in body["result"]:
        subsidy = read_item(item)
        if subsidy is not None:
            answer.subsidies.append(subsidy)
        else:
            key = item.get("id") if isinstance(item, Mapping) else None
            answer.unreadable.append(key if isinstance(key, str) else "")
    return answer


class JGrantsClient:
    """GET /subsidies with the query the sync needs; every failure is a JGrantsError."""

    def __init__(
        self, base_url: str, timeout: float, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    def __enter__(self) -> JGrantsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def accepting(self, keyword: str, use_purpose: str, area: str) -> ListAnswer:
        """The subsidies accepting applications now for one keyword, use purpose and area."""
        params = {
            "keyword": keyword,
            "sort": "acceptance_end_datetime",
            "order": "ASC",
            "acceptance": "1",
            "use_purpose": use_purpose,
            "target_area_search": area,
        }
        where = f"GET /subsidies (use_purpose={use_purpose}, area={area}, keyword={keyword})"
        try:
            response = self._http.get(f"{self.base_url}/subsidies", params=params)
        except httpx.HTTPError as exc:
            raise JGrantsError(f"{where}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise JGrantsError(f"{where}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError
            raise JGrantsError(f"{where}: the answer is not JSON") from exc
        return read_list(body, where)
