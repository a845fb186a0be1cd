"""進行管理 (issue 17): KPI actuals recorded per fiscal year, the progress they make toward the
plan's targets, and a fiscal year's referral outcomes counted from the referrals themselves.

The test database is shared by the whole session, so each test records actuals for its own KPI
and year, and the referral counts are checked in fiscal years no other test writes to (the
referrals are created through the API, moved through their statuses, then dated in the past
directly in the database)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from partners import assert_problem, bearer, make_key
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.fiscal import (
    JST,
    current_fiscal_year,
    fiscal_year_bounds,
    fiscal_year_label,
    fiscal_year_of,
)
from app.models import Referral, ReferralEvent
from app.models.types import OBSERVED_LABEL

ACTUALS = "/v1/admin/kpis/{kpi}/actuals/{year}"


@dataclass
class Keys:
    admin: dict[str, str]
    analyst: dict[str, str]
    desk: dict[str, str]
    editor: dict[str, str]


@pytest.fixture(scope="module")
def keys(engine: Engine) -> Keys:
    return Keys(
        admin=bearer(make_key(engine, "admin")[1]),
        analyst=bearer(make_key(engine, "analyst")[1]),
        desk=bearer(make_key(engine, "front_desk", municipality="萩市")[1]),
        editor=bearer(make_key(engine, "agency_editor", agency_id="yipf")[1]),
    )


def actual(value: float, **extra: Any) -> dict[str, Any]:
    return {"value": value, "source": "テスト用の資料", **extra}


def put(client: TestClient, keys: Keys, kpi: str, year: int, value: float, **headers: str) -> Any:
    return client.put(
        ACTUALS.format(kpi=kpi, year=year),
        headers={**keys.admin, **headers},
        json=actual(value, text=f"{value:g}件"),
    )


def kpi(client: TestClient, kpi_id: str) -> dict[str, Any]:
    resp = client.get(f"/v1/kpis/{kpi_id}")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def audit(client: TestClient, keys: Keys, entity_id: str) -> list[dict[str, Any]]:
    resp = client.get(
        "/v1/admin/audit",
        headers=keys.admin,
        params={"entity_type": "kpi_actual", "entity_id": entity_id},
    )
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


# --- recording actuals ---------------------------------------------------------------------------


def test_put_creates_then_replaces_an_actual_audited_with_etags(
    client: TestClient, keys: Keys
) -> None:
    url = ACTUALS.format(kpi="startups-supported", year=2016)
    body = {"value": 158, "text": "158社", "source": "県 商工労働部 調べ", "note": "速報値"}
    created = client.put(url, headers=keys.admin, json=body)
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    out = created.json()
    assert out["kpi_id"] == "startups-supported" and out["fiscal_year"] == 2016
    assert out["fiscal_year_label"] == "2016年度（平成28年度）"
    assert (out["value"], out["text"], out["source"], out["note"]) == (
        158,
        "158社",
        "県 商工労働部 調べ",
        "速報値",
    )
    assert out["revision"] == 1

    # The public read shows it at once, with the progress it makes (146 -> 180 a year).
    read = kpi(client, "startups-supported")
    assert [
        (a["fiscal_year"], a["value"], a["source"], a["text"], a["note"]) for a in read["actuals"]
    ] == [(2016, 158, "県 商工労働部 調べ", "158社", "速報値")]
    assert read["progress"] == {
        "fiscal_year": 2016,
        "fiscal_year_label": "2016年度（平成28年度）",
        "value": 158,
        "baseline": 146,
        "target": 180,
        "rate": pytest.approx((158 - 146) / (180 - 146), abs=1e-4),
    }
    listed = client.get("/v1/kpis", params={"action": 6}).json()["items"]
    assert listed[0]["id"] == "startups-supported" and listed[0]["progress"]["value"] == 158
    # ... and the action it belongs to.
    action = client.get("/v1/actions/6").json()
    assert action["kpis"][0]["actuals"][0]["value"] == 158

    # Replaced: 200, the next revision, the admin's copy says so too.
    replaced = client.put(
        url, headers={**keys.admin, "If-Match": '"1"'}, json={**body, "value": 160}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] == '"2"' and replaced.json()["value"] == 160
    admin_copy = client.get(url, headers=keys.admin)
    assert admin_copy.status_code == 200 and admin_copy.headers["etag"] == '"2"'
    assert kpi(client, "startups-supported")["progress"]["value"] == 160

    # A stale If-Match is refused and changes nothing.
    stale = client.put(url, headers={**keys.admin, "If-Match": '"1"'}, json={**body, "value": 1})
    assert_problem(stale, 412)
    assert stale.headers["etag"] == '"2"'
    assert kpi(client, "startups-supported")["actuals"][0]["value"] == 160

    entries = audit(client, keys, "startups-supported/2016")
    assert [e["action"] for e in entries] == ["update", "create"]
    update, create = entries
    assert create["before"] is None and create["after"]["value"] == 158
    assert create["after"]["source"] == "県 商工労働部 調べ" and create["key_scope"] == "admin"
    assert update["before"]["value"] == 158 and update["after"]["value"] == 160
    assert update["after"]["revision"] == 2


def test_delete_an_actual(client: TestClient, keys: Keys) -> None:
    url = ACTUALS.format(kpi="dream-fund-investments", year=2014)
    assert put(client, keys, "dream-fund-investments", 2014, 3).status_code == 201
    assert_problem(client.delete(url, headers={**keys.admin, "If-Match": '"7"'}), 412)
    assert kpi(client, "dream-fund-investments")["actuals"][0]["value"] == 3

    deleted = client.delete(url, headers={**keys.admin, "If-Match": '"1"'})
    assert deleted.status_code == 204, deleted.text
    after = kpi(client, "dream-fund-investments")
    assert after["actuals"] == [] and after["progress"] is None
    assert [e["action"] for e in audit(client, keys, "dream-fund-investments/2014")] == [
        "delete",
        "create",
    ]
    assert audit(client, keys, "dream-fund-investments/2014")[0]["before"]["value"] == 3
    # Gone: 404, whether deleted again or never recorded; an unknown KPI is 404 too.
    assert_problem(client.delete(url, headers=keys.admin), 404)
    assert_problem(client.get(url, headers=keys.admin), 404)
    assert_problem(
        client.delete(ACTUALS.format(kpi="no-such-kpi", year=2014), headers=keys.admin), 404
    )


def test_if_match_on_a_year_not_recorded_is_412(client: TestClient, keys: Keys) -> None:
    resp = put(client, keys, "new-employment", 2015, 5000, **{"If-Match": '"1"'})
    assert_problem(resp, 412)
    assert kpi(client, "new-employment")["actuals"] == []


def test_unknown_kpi_is_404(client: TestClient, keys: Keys) -> None:
    assert_problem(put(client, keys, "no-such-kpi", 2016, 1), 404)
    assert_problem(client.get("/v1/kpis/no-such-kpi"), 404)


@pytest.mark.parametrize(
    ("kpi_id", "year", "body", "field"),
    [
        # a year before the plan, one that has not begun, one absurdly far off
        ("startups-supported", 2012, actual(150), "fiscal_year"),
        ("startups-supported", current_fiscal_year() + 1, actual(150), "fiscal_year"),
        ("startups-supported", 2101, actual(150), "fiscal_year"),
        # a total over the plan period (H25～H28) has no year outside it
        ("medical-commercialisation", 2017, actual(1), "fiscal_year"),
        ("medical-commercialisation", 2012, actual(1), "fiscal_year"),
        # a negative count, half a company, a share over 100 %, a negative amount
        ("startups-supported", 2015, actual(-1), "value"),
        ("startups-supported", 2015, actual(158.5), "value"),
        ("brand-technology-plan-achievement", 2015, actual(100.5), "value"),
        ("industrial-shipments", 2015, actual(-0.1), "value"),
        ("startups-supported", 2015, actual(1e16), "value"),
        # not a number, no value, no source, an unknown field
        ("startups-supported", 2015, {"value": "多い", "source": "x"}, "value"),
        ("startups-supported", 2015, {"source": "x"}, "value"),
        ("startups-supported", 2015, {"value": 150}, "source"),
        ("startups-supported", 2015, {"value": 150, "source": "  "}, "source"),
        ("startups-supported", 2015, {**actual(150), "unit": "社"}, "unit"),
    ],
)
def test_values_and_years_that_make_no_sense_are_422_naming_the_field(
    client: TestClient,
    keys: Keys,
    kpi_id: str,
    year: int,
    body: dict[str, Any],
    field: str,
) -> None:
    resp = client.put(ACTUALS.format(kpi=kpi_id, year=year), headers=keys.admin, json=body)
    problem = assert_problem(resp, 422)
    assert field in problem["detail"]
    assert any(e["loc"][-1] == field for e in problem["errors"]), problem
    assert all(a["fiscal_year"] != year for a in kpi(client, kpi_id)["actuals"])


def test_a_non_finite_value_is_422(client: TestClient, keys: Keys) -> None:
    resp = client.put(
        ACTUALS.format(kpi="industrial-shipments", year=2015),
        headers={**keys.admin, "Content-Type": "application/json"},
        content=b'{"value": Infinity, "source": "x"}',
    )
    assert_problem(resp, 422)


def test_values_that_fit_their_kind_are_accepted(client: TestClient, keys: Keys) -> None:
    # an amount may be fractional, a share may be 0 or 100, a whole count may be written 12.0
    assert put(client, keys, "industrial-shipments", 2013, 6.45).status_code == 201
    assert put(client, keys, "brand-technology-plan-achievement", 2013, 100).status_code == 201
    assert put(client, keys, "agri-commerce-plans", 2013, 7.0).status_code == 201
    assert kpi(client, "agri-commerce-plans")["actuals"][0]["value"] == 7


def test_only_admin_writes_actuals(client: TestClient, keys: Keys) -> None:
    url = ACTUALS.format(kpi="management-innovation-achievers", year=2014)
    assert_problem(client.put(url, json=actual(180)), 401)
    for who in (keys.analyst, keys.editor, keys.desk):
        assert_problem(client.put(url, headers=who, json=actual(180)), 403)
        assert_problem(client.delete(url, headers=who), 403)
        assert_problem(client.get(url, headers=who), 403)
    assert kpi(client, "management-innovation-achievers")["actuals"] == []


# --- progress toward the targets ---------------------------------------------------------------


def test_a_total_over_the_plan_period_adds_the_years_up(client: TestClient, keys: Keys) -> None:
    """水素利活用による事業化件数（H25～H28累計） 6件: 1 + 2 + 0 by FY2015 is half way."""
    for year, value in ((2013, 1), (2014, 2), (2015, 0)):
        assert put(client, keys, "hydrogen-commercialisation", year, value).status_code == 201
    body = kpi(client, "hydrogen-commercialisation")
    assert body["accumulation"] == "period_total"
    assert (body["period_start_fiscal_year"], body["period_end_fiscal_year"]) == (2013, 2016)
    assert [(a["fiscal_year"], a["value"], a["compared_value"]) for a in body["actuals"]] == [
        (2013, 1, 1),
        (2014, 2, 3),
        (2015, 0, 3),
    ]
    assert [a["rate"] for a in body["actuals"]] == [pytest.approx(1 / 6, abs=1e-4), 0.5, 0.5]
    assert body["progress"] == {
        "fiscal_year": 2015,
        "fiscal_year_label": "2015年度（平成27年度）",
        "value": 3,
        "baseline": 0,
        "target": 6,
        "rate": 0.5,
    }


def test_a_period_total_starts_from_zero_even_with_a_baseline(
    client: TestClient, keys: Keys
) -> None:
    """新規投資 ２７件(H24) → ４年間で200社: the 27 of H24 is not part of the four-year total."""
    assert put(client, keys, "new-investment-indicator", 2013, 50).status_code == 201
    progress = kpi(client, "new-investment-indicator")["progress"]
    assert (progress["baseline"], progress["value"], progress["rate"]) == (0, 50, 0.25)


def test_a_running_total_takes_the_latest_value(client: TestClient, keys: Keys) -> None:
    """地域産業資源活用事業計画認定件数（累計） 16件 → 24件: the recorded value is the total."""
    assert put(client, keys, "regional-resource-plans", 2015, 20).status_code == 201
    assert put(client, keys, "regional-resource-plans", 2016, 18).status_code == 201
    body = kpi(client, "regional-resource-plans")
    assert body["accumulation"] == "running_total"
    assert [a["compared_value"] for a in body["actuals"]] == [20, 18]
    assert body["progress"]["fiscal_year"] == 2016
    assert (body["progress"]["baseline"], body["progress"]["value"]) == (16, 18)
    assert body["progress"]["rate"] == 0.25


def test_an_annual_value_and_a_share(client: TestClient, keys: Keys) -> None:
    assert put(client, keys, "industrial-shipments", 2014, 6.65).status_code == 201
    shipments = kpi(client, "industrial-shipments")
    assert shipments["accumulation"] == "annual" and shipments["value_kind"] == "amount"
    assert shipments["progress"]["fiscal_year"] == 2014
    assert shipments["progress"]["rate"] == pytest.approx(0.5, abs=1e-4)
    assert put(client, keys, "brand-technology-plan-achievement", 2016, 25).status_code == 201
    share = kpi(client, "brand-technology-plan-achievement")["progress"]
    # below the baseline (33 %): the way went backwards
    assert share["value"] == 25 and share["rate"] < 0


# --- referral outcomes of a fiscal year --------------------------------------------------------


def jst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=JST)  # type: ignore[misc]


def move(client: TestClient, keys: Keys, rid: int, *statuses: str) -> None:
    for status in statuses:
        resp = client.patch(f"/v1/referrals/{rid}", headers=keys.admin, json={"status": status})
        assert resp.status_code == 200, resp.text


def date_referral(engine: Engine, rid: int, created: datetime, *changes: datetime) -> None:
    """Set a referral's creation and its status changes (in order) to the given moments, as
    the database keeps them (UTC)."""
    with Session(engine) as session:
        row = session.get(Referral, rid)
        assert row is not None
        row.created_at = created.astimezone(UTC)
        session.add(row)
        events = session.exec(
            select(ReferralEvent)
            .where(col(ReferralEvent.referral_id) == rid)
            .order_by(col(ReferralEvent.id))
        ).all()
        assert [e.kind for e in events] == ["created"] + ["status_changed"] * len(changes)
        events[0].at = created.astimezone(UTC)
        for event, at in zip(events[1:], changes, strict=True):
            event.at = at.astimezone(UTC)
        session.add_all(events)
        session.commit()


def refer(client: TestClient, keys: Keys, text: str, municipality: str, needs: list[str]) -> int:
    resp = client.post(
        "/v1/referrals",
        headers=keys.admin,
        json={
            "text": text,
            "agency_id": "yipf",
            "municipality": municipality,
            "consent": False,
        },
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["need_ids"] == needs  # what the matcher read, kept with the referral
    rid: int = resp.json()["id"]
    return rid


FY = 2015  # no other test dates anything in fiscal year 2015


@pytest.fixture(scope="module")
def fy2015(app_client: TestClient, engine: Engine, keys: Keys) -> Iterator[None]:
    """Five referrals of FY2015 from 周南市 (one from 萩市), moved through their statuses:

    - 創業 (start-business; action 6, startup): accepted 2.5 days after sending, then completed
    - 共同研究 (joint-research; action 8, technology): declined
    - 創業: accepted 4.5 days after sending (still open)
    - 相談したい (no need read): only sent, from 萩市
    - 融資 (loan; action 12, finance): accepted 1.5 days after sending; and another sent on
      2015-03-31 (FY2014), accepted 2.5 days later on 2015-04-02 (FY2015)
    """
    client = app_client
    r1 = refer(client, keys, "創業したい", "周南市", ["start-business"])
    move(client, keys, r1, "accepted", "in_progress", "completed")
    date_referral(
        engine,
        r1,
        jst(2015, 5, 1, 9),
        jst(2015, 5, 3, 21),
        jst(2015, 5, 10, 9),
        jst(2015, 6, 1, 9),
    )
    r2 = refer(client, keys, "共同研究したい", "周南市", ["joint-research"])
    move(client, keys, r2, "declined")
    date_referral(engine, r2, jst(2015, 5, 2, 9), jst(2015, 5, 4, 9))
    r3 = refer(client, keys, "創業したい", "周南市", ["start-business"])
    move(client, keys, r3, "accepted")
    date_referral(engine, r3, jst(2015, 7, 1, 9), jst(2015, 7, 5, 21))
    r4 = refer(client, keys, "相談したい", "萩市", [])
    date_referral(engine, r4, jst(2015, 8, 1, 9))
    r5 = refer(client, keys, "融資を受けたい", "周南市", ["loan"])
    move(client, keys, r5, "accepted")
    date_referral(engine, r5, jst(2015, 9, 1, 9), jst(2015, 9, 2, 21))
    r6 = refer(client, keys, "融資を受けたい", "周南市", ["loan"])
    move(client, keys, r6, "accepted")
    date_referral(engine, r6, jst(2015, 3, 31, 9), jst(2015, 4, 2, 21))
    yield


def progress(client: TestClient, headers: dict[str, str], year: int) -> dict[str, Any]:
    resp = client.get("/v1/progress", headers=headers, params={"fiscal_year": year})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def counts(group: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        group[k] for k in ("sent", "accepted", "declined", "completed", "median_days_to_accept")
    )


def by_key(groups: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {g["key"]: counts(g) for g in groups}


def test_outcomes_are_counted_per_action_support_type_and_municipality(
    client: TestClient, keys: Keys, fy2015: None
) -> None:
    body = progress(client, keys.analyst, FY)
    assert body["fiscal_year"] == FY and body["fiscal_year_label"] == "2015年度（平成27年度）"
    assert body["period"] == {
        "first_day": "2015-04-01",
        "last_day": "2016-03-31",
        "time_zone": "Asia/Tokyo",
    }
    # sent: 5 in the year (r6 was sent in FY2014); accepted: r1, r3, r5 and r6 after 2.5,
    # 4.5, 1.5 and 2.5 days: the median is 2.5
    assert counts(body["totals"]) == (5, 4, 1, 1, 2.5)
    types = by_key(body["by_support_type"])
    assert list(types) == [
        "startup",
        "growth",
        "technology",
        "business_activity",
        "management_stability",
        "finance",
    ]
    assert types["startup"] == (2, 2, 0, 1, 3.5)
    assert types["technology"] == (1, 0, 1, 0, None)
    assert types["finance"] == (1, 2, 0, 0, 2.0)
    assert types["growth"] == (0, 0, 0, 0, None)
    actions = by_key(body["by_action"])
    assert list(actions) == [str(n) for n in range(1, 13)]
    assert actions["6"] == (2, 2, 0, 1, 3.5)
    assert actions["8"] == (1, 0, 1, 0, None)
    assert actions["12"] == (1, 2, 0, 0, 2.0)
    assert actions["1"] == (0, 0, 0, 0, None)
    assert body["by_action"][5]["label"] == "創業支援の強化"
    municipalities = by_key(body["by_municipality"])
    assert len(municipalities) == 19
    assert municipalities["35215"] == (4, 4, 1, 1, 2.5)  # 周南市
    assert municipalities["35204"] == (1, 0, 0, 0, None)  # 萩市
    assert counts(body["unclassified"]) == (1, 0, 0, 0, None)
    assert [c["label"] for c in body["columns"]] == [
        "送付済み",
        "受付",
        "辞退",
        "完了",
        "受付までの日数（中央値）",
    ]
    # The year before holds only r6's sending.
    before = progress(client, keys.admin, FY - 1)
    assert counts(before["totals"])[:4] == (1, 0, 0, 0)
    # Counts only: nothing of what the owners said.
    assert "創業したい" not in str(body) and "融資" not in str(body["totals"])


def test_the_service_counts_completed_startups_beside_the_actual(
    client: TestClient, keys: Keys, fy2015: None
) -> None:
    assert put(client, keys, "startups-supported", FY, 152).status_code == 201
    kpis = {k["id"]: k for k in progress(client, keys.analyst, FY)["kpis"]}
    startups = kpis["startups-supported"]
    assert startups["actual"]["value"] == 152 and startups["actual"]["fiscal_year"] == FY
    assert startups["observed"] == {
        "value": 1,  # r1: a referral to start a business, completed in FY2015
        "label": OBSERVED_LABEL,
        "need_ids": ["start-business"],
        "status": "completed",
    }
    assert startups["progress"]["fiscal_year"] == FY
    # A KPI the service cannot count has no such figure.
    assert kpis["industrial-shipments"]["observed"] is None
    assert len(kpis) == 13


def test_progress_of_a_year_uses_the_actuals_up_to_that_year(
    client: TestClient, keys: Keys
) -> None:
    for year, value in ((2013, 2), (2014, 3), (2016, 4)):
        assert (
            put(client, keys, "environment-energy-commercialisation", year, value).status_code
            == 201
        )
    kpis = {k["id"]: k for k in progress(client, keys.admin, 2014)["kpis"]}
    env = kpis["environment-energy-commercialisation"]
    assert env["actual"]["value"] == 3 and env["actual"]["compared_value"] == 5
    assert (env["progress"]["fiscal_year"], env["progress"]["value"]) == (2014, 5)
    assert env["progress"]["rate"] == 0.5
    # a year without its own actual shows none, and the progress of the years before it
    env_2015 = {k["id"]: k for k in progress(client, keys.admin, 2015)["kpis"]}[
        "environment-energy-commercialisation"
    ]
    assert env_2015["actual"] is None and env_2015["progress"]["fiscal_year"] == 2014
    assert kpi(client, "environment-energy-commercialisation")["progress"]["value"] == 9


def test_fiscal_years_run_april_to_march_in_japan_time() -> None:
    assert fiscal_year_of(jst(2027, 3, 31, 23, 0)) == 2026
    assert fiscal_year_of(jst(2027, 4, 1, 0, 30)) == 2027
    assert fiscal_year_of(jst(2026, 4, 1, 0, 0)) == 2026
    assert fiscal_year_of(jst(2026, 3, 31, 23, 59, 59)) == 2025
    # 2027-03-31 15:30 UTC is already April 1st in Japan
    assert fiscal_year_of(datetime(2027, 3, 31, 15, 30, tzinfo=UTC)) == 2027
    assert fiscal_year_of(datetime(2027, 3, 31, 14, 59)) == 2026  # naive: UTC, as SQLite keeps it
    start, end = fiscal_year_bounds(2026)
    assert start == datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert end == datetime(2027, 3, 31, 15, 0, tzinfo=UTC)
    assert fiscal_year_label(2019) == "2019年度（令和元年度）"
    assert fiscal_year_label(2018) == "2018年度（平成30年度）"
    assert fiscal_year_label(2026) == "2026年度（令和8年度）"


def test_a_referral_belongs_to_the_fiscal_year_of_its_date_in_japan(
    client: TestClient, engine: Engine, keys: Keys
) -> None:
    """上関町 (no other test refers from it): sent 2027-03-31 23:00 JST -> FY2026, sent
    2027-04-01 00:30 JST -> FY2027; the first accepted at 23:59 on March 31st (FY2026)."""
    kaminoseki = "35341"

    def sent_accepted(year: int) -> tuple[int, int]:
        group = by_key(progress(client, keys.analyst, year)["by_municipality"])[kaminoseki]
        return group[0], group[1]

    assert sent_accepted(2026) == (0, 0) and sent_accepted(2027) == (0, 0)
    late = refer(client, keys, "融資を受けたい", "上関町", ["loan"])
    move(client, keys, late, "accepted")
    date_referral(engine, late, jst(2027, 3, 31, 23, 0), jst(2027, 3, 31, 23, 59))
    early = refer(client, keys, "融資を受けたい", "上関町", ["loan"])
    date_referral(engine, early, jst(2027, 4, 1, 0, 30))
    assert sent_accepted(2026) == (1, 1)
    assert sent_accepted(2027) == (1, 0)


def test_fiscal_year_defaults_to_this_one_and_must_make_sense(
    client: TestClient, keys: Keys
) -> None:
    resp = client.get("/v1/progress", headers=keys.analyst)
    assert resp.status_code == 200 and resp.json()["fiscal_year"] == current_fiscal_year()
    assert "no-store" in resp.headers["cache-control"]
    # next year may be asked for; earlier than the plan or further on is a 422
    next_year = current_fiscal_year() + 1
    assert progress(client, keys.analyst, next_year)["fiscal_year"] == next_year
    for bad in ("2012", str(current_fiscal_year() + 2), "2101", "今年", "2026.5", ""):
        problem = assert_problem(
            client.get("/v1/progress", headers=keys.analyst, params={"fiscal_year": bad}), 422
        )
        assert "fiscal_year" in problem["detail"], bad


def test_progress_needs_an_admin_or_analyst_key(client: TestClient, keys: Keys) -> None:
    assert_problem(client.get("/v1/progress"), 401)
    assert_problem(client.get("/v1/exports/progress.csv"), 401)
    for who in (keys.desk, keys.editor):
        assert_problem(client.get("/v1/progress", headers=who), 403)
        assert_problem(client.get("/v1/exports/progress.csv", headers=who), 403)
    assert client.get("/v1/progress", headers=keys.admin).status_code == 200
    # The analyst reads the counts, never a referral nor an admin answer.
    assert client.get("/v1/referrals", headers=keys.analyst).json()["total"] == 0
    assert_problem(client.get("/v1/admin/audit", headers=keys.analyst), 403)
    assert_problem(
        client.post(
            "/v1/referrals",
            headers=keys.analyst,
            json={
                "text": "創業したい",
                "agency_id": "yipf",
                "municipality": "萩市",
                "consent": False,
            },
        ),
        403,
    )


def test_progress_csv_has_the_same_figures(client: TestClient, keys: Keys, fy2015: None) -> None:
    resp = client.get("/v1/exports/progress.csv", headers=keys.analyst, params={"fiscal_year": FY})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    assert "filename*=UTF-8''" in resp.headers["content-disposition"]
    assert 'filename="progress-2015.csv"' in resp.headers["content-disposition"]
    assert "no-store" in resp.headers["cache-control"]
    raw = resp.content
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header[:9] == [
        "区分",
        "キー",
        "名称",
        "年度",
        "送付済み",
        "受付",
        "辞退",
        "完了",
        "受付までの日数（中央値）",
    ]
    for title in (
        "現状値",
        "目標値",
        "実績値",
        "実績（表記）",
        "達成率（%）",
        OBSERVED_LABEL,
        "出典",
    ):
        assert title in header, title
    table = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    api = progress(client, keys.analyst, FY)
    totals = table[("合計", "")]
    assert totals["年度"] == "2015年度（平成27年度）"
    assert [int(totals[c]) for c in ("送付済み", "受付", "辞退", "完了")] == list(
        counts(api["totals"])[:4]
    )
    assert table[("支援の種類", "startup")]["受付までの日数（中央値）"] == "3.5"
    assert table[("アクション", "8")]["辞退"] == "1"
    assert table[("市町", "35204")]["名称"] == "萩市"
    assert table[("ニーズ不明", "")]["送付済み"] == "1"
    startups = table[("数値目標", "startups-supported")]
    recorded = {k["id"]: k for k in api["kpis"]}["startups-supported"]
    assert startups["目標値"] == "180社/年" and startups["現状値"] == "146社/年"
    assert startups["実績値"] == str(int(recorded["actual"]["value"]))
    assert startups[OBSERVED_LABEL] == "1"
    assert startups["出典"] == "テスト用の資料"
    assert len([r for r in rows[1:] if r[0] == "数値目標"]) == 13
    assert len(rows) == 1 + 2 + 12 + 6 + 19 + 13


def test_concurrent_puts_of_a_new_year_create_once_and_replace_the_rest(
    client: TestClient, keys: Keys
) -> None:
    """Eight parallel PUTs without If-Match for a year not yet recorded: one creates it (201),
    the others replace it (200, each on the revision current when it lands), never a 500."""
    from concurrent.futures import ThreadPoolExecutor

    url = ACTUALS.format(kpi="management-innovation-achievers", year=2016)

    def record(i: int) -> int:
        return client.put(url, headers=keys.admin, json=actual(200 + i)).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(record, range(8)))
    # (503 only while SQLite's file is locked by another writer)
    assert set(codes) <= {200, 201, 503} and codes.count(201) == 1, codes
    stored = client.get(url, headers=keys.admin).json()
    assert stored["revision"] == codes.count(200) + 1
    entries = audit(client, keys, "management-innovation-achievers/2016")
    assert [e["action"] for e in entries].count("create") == 1
    assert len(entries) == stored["revision"]
