"""Every read endpoint, with its filters, its 404 and its 422."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def assert_problem(resp, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status
    assert any(ord(ch) > 0x3000 for ch in body["detail"]), "detail must be Japanese"
    return body


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_support_types_in_plan_order(client: TestClient) -> None:
    body = client.get("/v1/support-types").json()
    assert [s["code"] for s in body] == [
        "startup",
        "growth",
        "technology",
        "business_activity",
        "management_stability",
        "finance",
    ]
    assert body[2]["name"] == "技術支援" and body[2]["name_en"]


def test_agency_list_envelope_and_filters(client: TestClient) -> None:
    page = client.get("/v1/agencies", params={"limit": 5}).json()
    assert set(page) == {"items", "total", "limit", "offset"}
    assert page["limit"] == 5 and len(page["items"]) == 5 and page["total"] > 20
    assert page["items"][0]["id"] == "yipf"
    finance = client.get("/v1/agencies", params={"support_type": "finance"}).json()
    assert {a["id"] for a in finance["items"]} == {
        "yipf",
        "credit-guarantee-corporation",
        "financial-institutions",
    }
    tech = client.get("/v1/agencies", params={"q": "技術支援"}).json()
    ids = [a["id"] for a in tech["items"]]
    assert "yamaguchi-itc" in ids and "credit-guarantee-corporation" not in ids
    # search folds width: half-width katakana finds full-width text
    assert client.get("/v1/agencies", params={"q": "ｿﾌﾄｳｪｱ"}).json()["total"] >= 1


def test_agency_pagination_is_consistent(client: TestClient) -> None:
    first = client.get("/v1/agencies", params={"limit": 3, "offset": 0}).json()
    second = client.get("/v1/agencies", params={"limit": 3, "offset": 3}).json()
    assert first["total"] == second["total"]
    assert not {a["id"] for a in first["items"]} & {a["id"] for a in second["items"]}


def test_agency_detail(client: TestClient) -> None:
    body = client.get("/v1/agencies/yipf").json()
    assert body["role_label"] == "中小企業に対する中核的支援機関"
    assert body["roles"] == [
        "startup",
        "growth",
        "technology",
        "business_activity",
        "management_stability",
        "finance",
    ]
    assert any(p["name"] == "事業引継ぎ相談窓口" for p in body["programmes"])
    child = client.get("/v1/agencies/tokyo-investment-centre").json()
    assert child["parent"]["id"] == "pref-business-location-office"
    office = client.get("/v1/agencies/pref-business-location-office").json()
    assert {c["id"] for c in office["children"]} == {
        "tokyo-investment-centre",
        "osaka-investment-centre",
    }
    hagi = client.get("/v1/agencies/hagi-cci").json()
    assert hagi["contact_points"][0]["phones"][0]["number"] == "0838-25-3333"
    assert hagi["contact_points"][0]["source"]


def test_unknown_agency_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/agencies/no-such-agency"), 404)


@pytest.mark.parametrize(
    "path,params",
    [
        ("/v1/agencies", {"limit": 0}),
        ("/v1/agencies", {"limit": 201}),
        ("/v1/agencies", {"offset": -1}),
        ("/v1/agencies", {"limit": "many"}),
        ("/v1/agencies", {"support_type": "cooking"}),
        ("/v1/agencies", {"q": "あ" * 101}),
        ("/v1/programmes", {"kind": "gift"}),
        ("/v1/programmes", {"action": 13}),
        ("/v1/programmes", {"agency": "nobody"}),
        ("/v1/programmes", {"support_type": "x"}),
        ("/v1/kpis", {"category": "other"}),
        ("/v1/kpis", {"action": 0}),
        ("/v1/actions", {"pillar": 4}),
        ("/v1/contact-points", {"municipality": "東京都"}),
        ("/v1/contact-points", {"agency": "nobody"}),
        ("/v1/municipalities", {"limit": 1000}),
    ],
)
def test_bad_parameters_are_422(client: TestClient, path: str, params: dict) -> None:
    assert_problem(client.get(path, params=params), 422)


def test_pillars_and_actions(client: TestClient) -> None:
    pillars = client.get("/v1/pillars").json()
    assert [p["title"] for p in pillars] == [
        "戦略産業の集積・推進",
        "新規立地・拡大投資の促進",
        "産業を支える中小企業力の向上",
    ]
    assert pillars[2]["actions"] == [6, 7, 8, 9, 10, 11, 12]
    only_two = client.get("/v1/actions", params={"pillar": 2}).json()
    assert [a["number"] for a in only_two] == [4, 5]


def test_action_detail_resolves_responsible_bodies_and_schedules(client: TestClient) -> None:
    body = client.get("/v1/actions/6").json()
    assert body["title"] == "創業支援の強化"
    succession = body["measures"][3]
    assert succession["title"] == "円滑な事業承継に向けた支援"
    bodies = succession["initiatives"][0]["responsible"]
    assert [(b["label"], b["agency_id"]) for b in bodies] == [
        ("財団", "yipf"),
        ("商工会議所", "chambers-of-commerce"),
    ]
    all_schedules = [s for m in body["measures"] for i in m["initiatives"] for s in i["schedule"]]
    assert all_schedules and all(
        2013 <= s["start_fiscal_year"] <= s["end_fiscal_year"] <= 2016 for s in all_schedules
    )
    assert all(s["start_label"].startswith("H") for s in all_schedules)
    assert [k["id"] for k in body["kpis"]] == ["startups-supported"]
    assert any(p["name"] == "起業化支援資金" for p in body["programmes"])
    assert body["challenges"] and body["challenges"][0]["heading"]


def test_unknown_action_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/actions/99"), 404)
    assert_problem(client.get("/v1/actions/abc"), 422)


def test_programme_filters(client: TestClient) -> None:
    loans = client.get("/v1/programmes", params={"kind": "loan", "limit": 200}).json()
    assert loans["total"] >= 20 and all(p["kind"] == "loan" for p in loans["items"])
    a12 = client.get("/v1/programmes", params={"action": 12, "limit": 200}).json()
    assert all(12 in p["actions"] for p in a12["items"])
    guarantee = client.get(
        "/v1/programmes", params={"agency": "credit-guarantee-corporation"}
    ).json()
    assert guarantee["total"] > 0
    assert all(
        any(o["id"] == "credit-guarantee-corporation" for o in p["operators"])
        for p in guarantee["items"]
    )
    fin = client.get("/v1/programmes", params={"support_type": "finance", "limit": 200}).json()
    assert all("finance" in p["support_types"] for p in fin["items"])


def test_programme_search_finds_japanese_substrings(client: TestClient) -> None:
    hits = client.get("/v1/programmes", params={"q": "引継ぎ"}).json()["items"]
    assert "事業引継ぎ相談窓口" in [p["name"] for p in hits]
    combined = client.get("/v1/programmes", params={"q": "保証", "kind": "guarantee"}).json()
    assert combined["total"] >= 2 and all(p["kind"] == "guarantee" for p in combined["items"])
    assert client.get("/v1/programmes", params={"q": "存在しない語句"}).json()["total"] == 0


def test_programme_detail_and_404(client: TestClient) -> None:
    body = client.get("/v1/programmes/ip-general-support-desk").json()
    assert body["name"] == "知財総合支援窓口"
    assert any(
        c["phones"] and c["phones"][0]["number"] == "0570-082100" for c in body["contact_points"]
    )
    assert_problem(client.get("/v1/programmes/not-a-programme"), 404)


def test_kpi_filters(client: TestClient) -> None:
    strategic = client.get("/v1/kpis", params={"category": "strategic_indicator"}).json()
    assert strategic["total"] == 3
    a9 = client.get("/v1/kpis", params={"action": 9}).json()
    assert {k["id"] for k in a9["items"]} == {"regional-resource-plans", "agri-commerce-plans"}


def test_contact_points_by_municipality(client: TestClient) -> None:
    by_name = client.get("/v1/contact-points", params={"municipality": "萩市"}).json()
    by_code = client.get("/v1/contact-points", params={"municipality": "35204"}).json()
    assert by_name == by_code
    ids = {c["id"] for c in by_name["items"]}
    assert "hagi-cci" in ids and "nagato-cci" not in ids
    assert all(c["prefecture_wide"] or "35204" in c["municipalities"] for c in by_name["items"])
    unknown_fields = client.get("/v1/contact-points", params={"agency": "nagato-cci"}).json()
    assert unknown_fields["items"][0]["phones"] == []  # no public phone known: empty, not invented


def test_openapi_documents_problem_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    op = spec["paths"]["/v1/agencies/{agency_id}"]["get"]
    assert "404" in op["responses"] and "422" in op["responses"]
    assert op["description"]


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing-here"), 404)


@pytest.mark.parametrize(
    "path,params",
    [
        ("/v1/programmes", {"agency": "a\x00b"}),
        ("/v1/contact-points", {"agency": "x\x00"}),
        ("/v1/agencies/a%00b", {}),
        ("/v1/programmes/a%00b", {}),
        ("/v1/contact-points", {"municipality": "萩\x00"}),
    ],
)
def test_nul_characters_never_cause_a_server_error(
    client: TestClient, path: str, params: dict
) -> None:
    # PostgreSQL refuses NUL in text; that must come back as a client error, not a 500.
    resp = client.get(path, params=params)
    assert 400 <= resp.status_code < 500, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "filters",
    [{}, {"kind": "loan"}, {"support_type": "finance"}, {"action": 12}, {"agency": "yipf"}],
)
def test_search_with_filters_is_the_intersection_and_pages_cleanly(
    client: TestClient, filters: dict[str, object]
) -> None:
    def ids(params: dict[str, object]) -> list[str]:
        body = client.get("/v1/programmes", params={**params, "limit": 200}).json()
        assert body["total"] == len(body["items"])
        return [p["id"] for p in body["items"]]

    searched = ids({"q": "資金", **filters})
    # the search's own (relevance) order, keeping those the filters keep
    filtered = set(ids(filters))
    expected = [pid for pid in ids({"q": "資金"}) if pid in filtered]
    assert searched == expected
    # pages of two cover the same ids in the same order, with the same total
    paged: list[str] = []
    for offset in range(0, len(searched) + 2, 2):
        body = client.get(
            "/v1/programmes", params={"q": "資金", **filters, "limit": 2, "offset": offset}
        ).json()
        assert body["total"] == len(searched)
        paged += [p["id"] for p in body["items"]]
    assert paged == searched
