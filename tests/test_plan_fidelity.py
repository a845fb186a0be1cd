"""The seed is faithful to the plan: literal tables from the plan compared with the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

# 第2章 ■支援機関等の役割: the plan's ○ table, written out by hand from the plan text.
# Columns: 創業 成長 技術 事業活動 経営基盤安定 金融. 商工会議所・商工会 is one row in the plan and
# two agencies here, each holding the row's roles.
PLAN_ROLE_MATRIX = [
    ("yipf", "○○○○○○"),
    ("yamaguchi-itc", "○・○・・・"),
    ("chambers-of-commerce", "○○・○○・"),
    ("societies-of-commerce", "○○・○○・"),
    ("federation-of-societies-of-commerce", "○○・○○・"),
    ("chuokai", "○○・○○・"),
    ("local-industry-centres", "・○○○・・"),
    ("certified-support-institutions", "○○・・○・"),
    ("universities", "○・○・・・"),
    ("credit-guarantee-corporation", "・・・・・○"),
    ("financial-institutions", "○○・・○○"),
]
CODES = ["startup", "growth", "technology", "business_activity", "management_stability", "finance"]

MEASURES_PER_ACTION = {1: 5, 2: 5, 3: 3, 4: 2, 5: 4, 6: 5, 7: 5, 8: 3, 9: 1, 10: 4, 11: 5, 12: 3}

# (id, baseline text or None, target text)
PLAN_KPIS = {
    "industrial-shipments": ("年間６兆３千億円(H23速報値)", "年間７兆円以上〈10％増〉"),
    "new-investment-indicator": ("２７件(H24)（企業誘致件数）", "４年間(H25～28)で200社以上"),
    "new-employment": (None, "４年間(H25～28)で２万人以上"),
    "medical-commercialisation": (None, "10件"),
    "environment-energy-commercialisation": (None, "10件"),
    "hydrogen-commercialisation": (None, "６件"),
    "new-investment-count": (None, "200件"),
    "startups-supported": ("146社/年", "180社/年"),
    "management-innovation-achievers": ("170社", "230社"),
    "dream-fund-investments": (None, "20件"),
    "brand-technology-plan-achievement": ("33％", "50％"),
    "regional-resource-plans": ("16件", "24件"),
    "agri-commerce-plans": ("６件", "10件"),
}
KPI_VALUES = {
    "industrial-shipments": (6.3, 7.0),
    "startups-supported": (146, 180),
    "management-innovation-achievers": (170, 230),
    "brand-technology-plan-achievement": (33, 50),
    "regional-resource-plans": (16, 24),
    "agri-commerce-plans": (6, 10),
    "new-investment-count": (None, 200),
}
STRATEGY_TARGETS = {  # marked ※ in the plan
    "medical-commercialisation",
    "environment-energy-commercialisation",
    "hydrogen-commercialisation",
    "new-investment-count",
    "management-innovation-achievers",
    "brand-technology-plan-achievement",
}

PROGRAMMES_THAT_MUST_EXIST = [
    "やまぐち地域中小企業育成事業助成金",
    "やまぐち産業戦略研究開発等補助金",
    "企業立地促進補助金",
    "産業団地取得補助金",
    "情報・通信産業等支援補助金",
    "事業引継ぎ相談窓口",
    "知財総合支援窓口",
    "再生支援協議会",
    "下請かけこみ寺",
    "経営安定特別相談室",
    "やまぐち夢づくり産業支援ファンド",
    "中小企業特定社債保証制度",
    "経営安定支援資金",
    "中小企業制度融資",
    "起業化支援資金",
    "ベンチャー企業成長支援資金",
    "経営基盤強化資金",
    "創業・新事業展開支援資金",
    "小規模企業支援資金",
    "団地等立地促進資金",
    "設備投資拡大支援資金",
    "地域資源活用支援資金",
    "再チャレンジ支援資金",
    "小規模企業支援小口資金",
    "経営支援特別資金",
    "円高対策緊急資金",
    "経営力強化支援資金",
    "再生可能エネルギー導入資金",
    "信用保証料率低減事業",
    "緊急雇用促進保証料特別支援事業",
    "やまぐち総合ビジネスメッセ",
    "新事業分野開拓事業者認定制度",
    "山口県技術革新計画承認制度",
    "やまぐちブランド技術研究会",
    "やまぐちイノベーション推進協議会",
    "やまぐち医療関連成長戦略推進協議会",
    "やまぐち産業人財創造協議会",
    "創業等支援連絡会議",
    "やまぐち事業化支援・連携コーディネート会議",
    "やまぐちネットワーク会議",
    "山口県企業誘致推進連絡協議会",
    "新事業創造支援センター",
    "首都圏事業化支援コーディネート事業",
    "地域雇用開発奨励金",
    "戦略産業雇用創造プロジェクト",
]

MUNICIPALITIES = [
    "下関市",
    "宇部市",
    "山口市",
    "萩市",
    "防府市",
    "下松市",
    "岩国市",
    "光市",
    "長門市",
    "柳井市",
    "美祢市",
    "周南市",
    "山陽小野田市",
    "周防大島町",
    "和木町",
    "上関町",
    "田布施町",
    "平生町",
    "阿武町",
]


def all_items(client: TestClient, path: str) -> list[dict]:
    items: list[dict] = []
    offset = 0
    while True:
        page = client.get(path, params={"limit": 200, "offset": offset}).json()
        items.extend(page["items"])
        offset += page["limit"]
        if offset >= page["total"]:
            return items


def test_role_matrix_is_the_plans_table(client: TestClient) -> None:
    body = client.get("/v1/role-matrix").json()
    assert [st["code"] for st in body["support_types"]] == CODES
    assert [st["name"] for st in body["support_types"]] == [
        "創業支援",
        "成長支援",
        "技術支援",
        "事業活動支援",
        "経営基盤安定支援",
        "金融支援",
    ]
    got = [
        (row["agency"]["id"], "".join("○" if row["roles"][c] else "・" for c in CODES))
        for row in body["rows"]
    ]
    assert got == PLAN_ROLE_MATRIX


def test_twelve_actions_with_their_measures(client: TestClient) -> None:
    actions = client.get("/v1/actions").json()
    assert [a["number"] for a in actions] == list(range(1, 13))
    assert [a["pillar"]["number"] for a in actions] == [1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3]
    for number, expected in MEASURES_PER_ACTION.items():
        detail = client.get(f"/v1/actions/{number}").json()
        assert len(detail["measures"]) == expected, number
        assert [m["number"] for m in detail["measures"]] == list(range(1, expected + 1))
        assert all(m["initiatives"] for m in detail["measures"]), number


def test_kpis_carry_the_plans_baselines_and_targets(client: TestClient) -> None:
    kpis = {k["id"]: k for k in all_items(client, "/v1/kpis")}
    assert set(kpis) == set(PLAN_KPIS)
    assert sum(k["category"] == "strategic_indicator" for k in kpis.values()) == 3
    assert sum(k["category"] == "numeric_target" for k in kpis.values()) == 10
    for kpi_id, (baseline, target) in PLAN_KPIS.items():
        k = kpis[kpi_id]
        assert (k["baseline"]["text"] if k["baseline"] else None) == baseline, kpi_id
        assert k["target"]["text"] == target, kpi_id
    for kpi_id, (base_value, target_value) in KPI_VALUES.items():
        k = kpis[kpi_id]
        assert (k["baseline"]["value"] if k["baseline"] else None) == base_value
        assert k["target"]["value"] == target_value
    marked = {
        k
        for k, v in kpis.items()
        if v["industrial_strategy_target"] and v["category"] == "numeric_target"
    }
    assert marked == STRATEGY_TARGETS


def test_named_programmes_are_present(client: TestClient) -> None:
    programmes = all_items(client, "/v1/programmes")
    names = {p["name"] for p in programmes} | {a for p in programmes for a in p["aliases"]}
    missing = [n for n in PROGRAMMES_THAT_MUST_EXIST if n not in names]
    assert not missing
    assert len(programmes) > 60


def test_nineteen_municipalities(client: TestClient) -> None:
    body = client.get("/v1/municipalities").json()
    assert body["total"] == 19
    assert [m["name"] for m in body["items"]] == MUNICIPALITIES


def test_the_figures_fourteen_needs_are_seeded(seed_bundle) -> None:  # type: ignore[no-untyped-def]
    figure = sorted((n for n in seed_bundle.needs if n.in_figure), key=lambda n: n.figure_order)
    assert [n.label for n in figure] == [
        "創業したい",
        "事業承継したい",
        "技術革新を図りたい",
        "技術に係る相談したい",
        "共同研究したい",
        "地域資源活用の取組をしたい",
        "農商工連携の取組をしたい",
        "経営革新による展開を図りたい",
        "経営の相談をしたい",
        "資金の融資を受けたい",
        "融資の保証を受けたい",
        "経営改善を図りたい",
        "組合等による組織化を図りたい",
        "事業の再生をしたい",
    ]


def test_what_the_data_inferred_or_settled_is_said_where_readers_see_it(
    client: TestClient,
) -> None:
    """The 工程表 spans are reconstructed from flattened text: every entry says so. Where they
    contradict the prose (the R&D subsidy the prose calls already created), the entry says it;
    where chapters disagree (action 11: four measures in 第1章, five in 第3章), the action says it."""
    action1 = client.get("/v1/actions/1").json()
    entries = [s for m in action1["measures"] for i in m["initiatives"] for s in i["schedule"]]
    assert entries and all(s["inferred"] is True for s in entries)
    created = [
        s for s in entries if s["text"].endswith("：創設") and "研究開発等補助金" in s["text"]
    ]
    assert len(created) == 1 and "新たに創設した" in created[0]["note"]
    action11 = client.get("/v1/actions/11").json()
    assert len(action11["measures"]) == 5
    assert any("第1章" in n and "4つ" in n for n in action11["notes"])
    assert client.get("/v1/actions/8").json()["notes"] == []
