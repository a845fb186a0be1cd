"""Example responses for the OpenAPI document, copied from the running service.

Read examples were captured from a freshly seeded directory (the GET in `SOURCES`), with every
list cut to its first two items; tests/test_openapi_docs.py checks that each is still a trimmed
copy of the real answer, so no value here is invented. The other examples come from one sample
session on the seeded directory (a front-desk key from 萩市 refers a business to
山口県産業技術センター, the centre accepts, an admin edits the directory), so their ids, keys and
timestamps are those of that session; the enterprise name and contact are sample values.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def example_response(
    value: Any, status: int = 200, description: str | None = None
) -> dict[int | str, dict[str, Any]]:
    """A `responses=` entry that adds an example to the operation's success response."""
    entry: dict[str, Any] = {"content": {JSON: {"example": value}}}
    if description:
        entry["description"] = description
    return {status: entry}


SUPPORT_TYPES: Any = [
    {
        "code": "startup",
        "name": "創業支援",
        "name_en": "Startup support",
        "description": "起業家の創業、ベンチャー企業の創業、円滑な事業承継、創業後の経営安定に向けた支援（アクション6）。",
        "order": 1,
    },
    {
        "code": "growth",
        "name": "成長支援",
        "name_en": "Growth support",
        "description": "経営革新・マーケティング・新事業展開・販路開拓・投資ファンド等、経営面からの中小企業の成長支援（アクション7・10）。",
        "order": 2,
    },
]

AGENCIES: Any = {
    "items": [
        {
            "id": "yipf",
            "name": "公益財団法人やまぐち産業振興財団",
            "short_name": "やまぐち産業振興財団",
            "name_en": "Yamaguchi Industrial Promotion Foundation",
            "category": "core_support",
            "role_label": "中小企業に対する中核的支援機関",
            "parent_id": None,
            "roles": ["startup", "growth"],
            "in_role_matrix": True,
        },
        {
            "id": "yamaguchi-itc",
            "name": "地方独立行政法人山口県産業技術センター",
            "short_name": "山口県産業技術センター",
            "name_en": "Yamaguchi Prefectural Industrial Technology Institute",
            "category": "technology_support",
            "role_label": "中小企業に対する中核的技術支援機関",
            "parent_id": None,
            "roles": ["startup", "technology"],
            "in_role_matrix": True,
        },
    ],
    "total": 4,
    "limit": 2,
    "offset": 0,
}

AGENCY: Any = {
    "id": "yamaguchi-itc",
    "name": "地方独立行政法人山口県産業技術センター",
    "short_name": "山口県産業技術センター",
    "name_en": "Yamaguchi Prefectural Industrial Technology Institute",
    "category": "technology_support",
    "role_label": "中小企業に対する中核的技術支援機関",
    "parent_id": None,
    "roles": ["startup", "technology"],
    "in_role_matrix": True,
    "aliases": ["産技Ｃ", "産技C"],
    "description": "産業技術に関する試験研究、その成果の普及、産業技術に関する技術支援等を総合的に行うほか、 戦略的な研究開発及び産学公連携の取組を重点的に推進する。",
    "matrix_row_label": None,
    "source": {"section": "第2章 推進体制 ■支援機関等の役割", "page": 12},
    "parent": None,
    "children": [],
    "programmes": [
        {
            "id": "itc-eastern-satellite-desk",
            "name": "産業技術センターの東部地域サテライト窓口",
            "kind": "consultation",
        },
        {
            "id": "new-business-creation-centre",
            "name": "新事業創造支援センター",
            "kind": "facility",
        },
    ],
    "contact_points": [
        {
            "id": "yamaguchi-itc",
            "name": "地方独立行政法人 山口県産業技術センター",
            "agency_id": "yamaguchi-itc",
            "role": None,
            "postal_code": None,
            "address": "宇部市あすとぴあ4丁目（番地は未確認）",
            "phones": [],
            "fax": None,
            "email": None,
            "url": None,
            "hours": None,
            "municipalities": ["35202"],
            "prefecture_wide": True,
            "general_fallback": False,
            "programme_id": None,
            "source": "public encyclopedia page on the centre",
            "as_of": None,
            "verified": False,
        }
    ],
}

ROLE_MATRIX: Any = {
    "support_types": [
        {"code": "startup", "name": "創業支援"},
        {"code": "growth", "name": "成長支援"},
    ],
    "rows": [
        {
            "agency": {"id": "yipf", "name": "公益財団法人やまぐち産業振興財団"},
            "roles": {
                "startup": True,
                "growth": True,
                "technology": True,
                "business_activity": True,
                "management_stability": True,
                "finance": True,
            },
        },
        {
            "agency": {"id": "yamaguchi-itc", "name": "地方独立行政法人山口県産業技術センター"},
            "roles": {
                "startup": True,
                "growth": False,
                "technology": True,
                "business_activity": False,
                "management_stability": False,
                "finance": False,
            },
        },
    ],
}

MUNICIPALITIES: Any = {
    "items": [
        {"code": "35201", "name": "下関市", "kind": "city"},
        {"code": "35202", "name": "宇部市", "kind": "city"},
    ],
    "total": 19,
    "limit": 2,
    "offset": 0,
}

CONTACT_POINTS: Any = {
    "items": [
        {
            "id": "chamber-federation",
            "name": "山口県商工会議所連合会",
            "agency_id": "chamber-federation",
            "role": "県内14商工会議所の連合体（事務局は下関商工会議所内）",
            "postal_code": "750-8513",
            "address": "下関市南部町21番19号 下関商工会議所内",
            "phones": [{"label": None, "number": "083-234-1104"}],
            "fax": "083-222-0099",
            "email": None,
            "url": "https://yamakenren-cci.net/",
            "hours": None,
            "municipalities": [],
            "prefecture_wide": True,
            "general_fallback": False,
            "programme_id": None,
            "source": "https://yamakenren-cci.net/about",
            "as_of": "2024-02",
            "verified": False,
        },
        {
            "id": "federation-of-societies-organization-division",
            "name": "山口県商工会連合会 組織支援課",
            "agency_id": "federation-of-societies-of-commerce",
            "role": None,
            "postal_code": None,
            "address": None,
            "phones": [{"label": None, "number": "083-925-8888"}],
            "fax": None,
            "email": None,
            "url": None,
            "hours": None,
            "municipalities": [],
            "prefecture_wide": True,
            "general_fallback": False,
            "programme_id": None,
            "source": "ミラサポplus 支援制度データ (record 1083)",
            "as_of": "2021-2023",
            "verified": False,
        },
    ],
    "total": 7,
    "limit": 2,
    "offset": 0,
}

PILLARS: Any = [
    {
        "number": 1,
        "title": "戦略産業の集積・推進",
        "slogan": "競争力を高める",
        "goal": "本県産業の“競争力”を高めるため、今後成長が期待できる医療関連産業や環境・エネルギー産業の育成・集積を "
        "進めるとともに、本県の重要な資源である水素の利活用を促進することにより、本県の立地環境や強みを活かした 戦略産業の集積・推進を図ります。",
        "actions": [1, 2],
    },
    {
        "number": 2,
        "title": "新規立地・拡大投資の促進",
        "slogan": "活力を拡大する",
        "goal": "本県産業の“活力”を拡大するため、医療関連産業や環境・エネルギー産業といった、今後成長が期待できる "
        "戦略分野等における重点的な企業誘致活動をはじめ、県外からの優良企業の誘致及び県内企業の投資誘致の両面から、 実効性の高い新規立地・拡大投資の促進を図ります。",
        "actions": [4, 5],
    },
]

ACTIONS: Any = [
    {
        "number": 6,
        "title": "創業支援の強化",
        "pillar": {"number": 3, "title": "産業を支える中小企業力の向上"},
        "strategic": False,
        "focus": "創業の支援",
    },
    {
        "number": 7,
        "title": "中小企業の成長支援の強化",
        "pillar": {"number": 3, "title": "産業を支える中小企業力の向上"},
        "strategic": False,
        "focus": "経営・技術両面からの成長支援",
    },
]

ACTION: Any = {
    "number": 8,
    "title": "ものづくり力の高度化・ブランド化の推進",
    "pillar": {"number": 3, "title": "産業を支える中小企業力の向上"},
    "strategic": False,
    "focus": "経営・技術両面からの成長支援",
    "challenges": [
        {
            "heading": "長期の景気低迷等により、中小企業の技術革新の取組が鈍化",
            "points": [
                "中小企業を取り巻く環境は厳しい状況が続いており、厳しい企業収益と相まって研究開発や設備投資などの前向きな投資が低調"
            ],
        },
        {
            "heading": "技術革新を目指す中小企業の自主的・主体的な取組に対する支援の充実が必要",
            "points": [
                "技術力・研究開発力の強化や、高度技術を有する人材の育成、研究開発資金の確保などの課題に対する対応が必要"
            ],
        },
    ],
    "measures": [
        {
            "number": 1,
            "title": "中核的な技術支援拠点としての産業技術センターの機能強化",
            "text": "より強い本県の産業を創出するため、医療関連、環境・エネルギー分野をはじめ、付加価値の高い「ものづくり技術分野」において、県内企業のニーズに的確に対応できるよう、産業技術センターの産学公連携、研究開発、技術支援などの機能強化を図ります。\n"
            "① 国等の研究機関や民間企業などの外部機関が行う研修事業に職員を派遣するなど、戦略的な人材育成を図ります。\n"
            "② 新たな技術課題に対応可能な最先端の試験研究機器等の整備について検討します。\n"
            "③ 産学公連携による県内企業の研究開発や新事業展開を促進するため、支援体制の強化について検討します。",
            "strategic": True,
            "initiatives": [
                {
                    "title": "県内中小企業に対する支援機能の充実強化",
                    "responsible": [{"label": "産学公", "agency_id": None, "agency_name": None}],
                    "points": ["支援体制の強化や最先端の試験研究機器の整備等について検討"],
                    "schedule": [
                        {
                            "start_fiscal_year": 2013,
                            "end_fiscal_year": 2013,
                            "start_label": "H25",
                            "end_label": "H25",
                            "text": "中期計画策定",
                        },
                        {
                            "start_fiscal_year": 2014,
                            "end_fiscal_year": 2016,
                            "start_label": "H26",
                            "end_label": "H28",
                            "text": "計画実行",
                        },
                    ],
                }
            ],
        },
        {
            "number": 2,
            "title": "技術のブランド化による付加価値の高いものづくりの促進",
            "text": "産業技術センターにおいて、県内ものづくり企業の成長に向けた戦略の方向性を示す「技術戦略」を見直し、県内ものづくり企業の技術革新を推進するとともに、同センターに設置している「やまぐちブランド技術研究会」において、企業における体系的な技術研究への支援を行います。\n"
            "また、本県独自の取組となる「山口県技術革新計画承認制度」を活用し、技術革新へのシナリオづくりから必要となる資金の獲得までの取組を総合的に支援することにより、県内中小企業における技術の高度化・ブランド化による付加価値の高いものづくりを促進します。",
            "strategic": True,
            "initiatives": [
                {
                    "title": "やまぐちブランド技術研究会の運営等を通じた技術開発の推進",
                    "responsible": [
                        {
                            "label": "産技Ｃ",
                            "agency_id": "yamaguchi-itc",
                            "agency_name": "地方独立行政法人山口県産業技術センター",
                        }
                    ],
                    "points": ["企業における体系的な技術研究に対する支援の実施"],
                    "schedule": [
                        {
                            "start_fiscal_year": 2013,
                            "end_fiscal_year": 2013,
                            "start_label": "H25",
                            "end_label": "H25",
                            "text": "技術戦略見直し",
                        },
                        {
                            "start_fiscal_year": 2014,
                            "end_fiscal_year": 2016,
                            "start_label": "H26",
                            "end_label": "H28",
                            "text": "体系的な技術研究に対する支援",
                        },
                    ],
                },
                {
                    "title": "「やまぐちブランド技術革新計画」に対する支援",
                    "responsible": [
                        {
                            "label": "産技Ｃ",
                            "agency_id": "yamaguchi-itc",
                            "agency_name": "地方独立行政法人山口県産業技術センター",
                        },
                        {
                            "label": "財団",
                            "agency_id": "yipf",
                            "agency_name": "公益財団法人やまぐち産業振興財団",
                        },
                    ],
                    "points": [
                        "「山口県技術革新計画承認制度」に基づく「やまぐちブランド技術革新計画」を活用した、技術革新へのシナリオづくりから、必要となる資金の獲得までの支援の実施"
                    ],
                    "schedule": [
                        {
                            "start_fiscal_year": 2013,
                            "end_fiscal_year": 2016,
                            "start_label": "H25",
                            "end_label": "H28",
                            "text": "やまぐちブランド技術革新計画策定企業に対する支援",
                        }
                    ],
                },
            ],
        },
    ],
    "past_initiatives": [
        "産学公連携による「やまぐちブランド技術研究会」の設立（H20）",
        "「山口県技術革新計画承認制度」の創設（H21）",
    ],
    "kpis": [
        {
            "id": "brand-technology-plan-achievement",
            "category": "numeric_target",
            "name": "ブランド技術革新計画を達成した企業の割合",
            "baseline": {"value": 33.0, "unit": "%", "year": "H21～H24", "text": "33％"},
            "target": {"value": 50.0, "unit": "%", "year": None, "text": "50％"},
            "period": "計画期間（H25～H28）",
            "actions": [8],
            "industrial_strategy_target": True,
            "note": "現状値はやまぐちブランド技術革新計画承認企業（H21～H24）のうち計画期間満了12社中の達成4社。",
            "source": {"section": "第1章 ■数値目標・第3章 ｱｸｼｮﾝ-8 ■数値目標", "page": None},
        }
    ],
    "programmes": [
        {
            "id": "exhibition-joint-participation",
            "name": "県内外における展示会や商談会への共同出展",
            "kind": "matching_event",
        },
        {
            "id": "itc-eastern-satellite-desk",
            "name": "産業技術センターの東部地域サテライト窓口",
            "kind": "consultation",
        },
    ],
    "source": {"section": "第3章 ｱｸｼｮﾝ-8 ものづくり力の高度化・ブランド化の推進", "page": None},
}

KPIS: Any = {
    "items": [
        {
            "id": "industrial-shipments",
            "category": "strategic_indicator",
            "name": "工業出荷額",
            "baseline": {
                "value": 6.3,
                "unit": "兆円/年",
                "year": "H23",
                "text": "年間６兆３千億円(H23速報値)",
            },
            "target": {
                "value": 7.0,
                "unit": "兆円/年",
                "year": None,
                "text": "年間７兆円以上〈10％増〉",
            },
            "period": "計画期間（H25～H28）",
            "actions": [],
            "industrial_strategy_target": True,
            "note": "「やまぐち産業戦略推進計画」の基本となる指標のうち商工業分野で取り組むもの。目標年次の記載なし。",
            "source": {"section": "第1章 計画の概要 ■産業戦略指標", "page": None},
        },
        {
            "id": "new-investment-indicator",
            "category": "strategic_indicator",
            "name": "新規投資（企業誘致・規模拡大投資）",
            "baseline": {
                "value": 27.0,
                "unit": "件",
                "year": "H24",
                "text": "２７件(H24)（企業誘致件数）",
            },
            "target": {
                "value": 200.0,
                "unit": "社",
                "year": None,
                "text": "４年間(H25～28)で200社以上",
            },
            "period": "H25～H28 累計",
            "actions": [4, 5],
            "industrial_strategy_target": True,
            "note": None,
            "source": {"section": "第1章 計画の概要 ■産業戦略指標", "page": None},
        },
    ],
    "total": 13,
    "limit": 2,
    "offset": 0,
}

PROGRAMMES: Any = {
    "items": [
        {
            "id": "capex-expansion-loan",
            "name": "設備投資拡大支援資金",
            "aliases": [],
            "kind": "loan",
            "description": "企業立地を支援する制度融資（中小企業制度融資(設備投資拡大支援資金等)）の一つ。",
            "status_note": "H18創設",
            "operators": [
                {"id": "credit-guarantee-corporation", "name": "山口県信用保証協会"},
                {"id": "financial-institutions", "name": "金融機関"},
            ],
            "actions": [5, 12],
            "measures": ["5.1", "12.1"],
            "support_types": ["finance", "growth"],
            "source": {"section": "第3章 ｱｸｼｮﾝ-5 推進計画 １ 支援制度の充実", "page": None},
        },
        {
            "id": "childcare-environment-loan",
            "name": "子育て支援等環境整備資金",
            "aliases": [],
            "kind": "loan",
            "description": "創業・新事業展開、経営基盤強化に積極的に取り組む中小企業者等を支援するために創設した資金。",
            "status_note": "H20創設",
            "operators": [
                {"id": "credit-guarantee-corporation", "name": "山口県信用保証協会"},
                {"id": "financial-institutions", "name": "金融機関"},
            ],
            "actions": [12],
            "measures": ["12.1"],
            "support_types": ["finance"],
            "source": {
                "section": "第3章 ｱｸｼｮﾝ-12 これまでの取組 中小企業制度融資の充実",
                "page": None,
            },
        },
    ],
    "total": 34,
    "limit": 2,
    "offset": 0,
}

PROGRAMME: Any = {
    "id": "capex-expansion-loan",
    "name": "設備投資拡大支援資金",
    "aliases": [],
    "kind": "loan",
    "description": "企業立地を支援する制度融資（中小企業制度融資(設備投資拡大支援資金等)）の一つ。",
    "status_note": "H18創設",
    "operators": [
        {"id": "credit-guarantee-corporation", "name": "山口県信用保証協会"},
        {"id": "financial-institutions", "name": "金融機関"},
    ],
    "actions": [5, 12],
    "measures": ["5.1", "12.1"],
    "support_types": ["finance", "growth"],
    "source": {"section": "第3章 ｱｸｼｮﾝ-5 推進計画 １ 支援制度の充実", "page": None},
    "contact_points": [],
}

MATCH: Any = {
    "matched": True,
    "needs": [
        {
            "id": "start-business",
            "label": "創業したい",
            "support_type": "startup",
            "score": 0.9775,
            "negated": False,
            "evidence": [
                {
                    "rule_id": "startup.funding",
                    "matched_text": "創業したいので融資",
                    "normalized": "創業 為る たい だ 融資",
                },
                {"rule_id": "startup.basic", "matched_text": "創業", "normalized": "創業"},
            ],
        },
        {
            "id": "loan",
            "label": "資金の融資を受けたい",
            "support_type": "finance",
            "score": 0.85,
            "negated": False,
            "evidence": [{"rule_id": "finance.loan", "matched_text": "融資", "normalized": "融資"}],
        },
    ],
    "support_types": [
        {"code": "startup", "name": "創業支援", "score": 0.9775},
        {"code": "finance", "name": "金融支援", "score": 0.9137},
    ],
    "agencies": [
        {
            "id": "financial-institutions",
            "name": "金融機関",
            "score": 0.8807,
            "reasons": [
                "ルール startup.funding が『創業したいので融資』に一致: "
                "創業支援の役割を持つ機関（役割表）、ニーズ「創業したい」の支援機関",
                "ルール startup.funding が『創業したいので融資』に一致: 金融支援の役割を持つ機関（役割表）",
            ],
        },
        {
            "id": "yipf",
            "name": "公益財団法人やまぐち産業振興財団",
            "score": 0.8395,
            "reasons": [
                "ルール startup.funding が『創業したいので融資』に一致: "
                "創業支援の役割を持つ機関（役割表）、ニーズ「創業したい」の支援機関",
                "ルール startup.funding が『創業したいので融資』に一致: 金融支援の役割を持つ機関（役割表）",
            ],
        },
    ],
    "programmes": [
        {
            "id": "sme-system-loans",
            "name": "中小企業制度融資",
            "kind": "loan",
            "score": 0.9272,
            "reasons": [
                "ルール finance.loan が『融資』に一致: ルールが挙げる施策",
                "アクション6「創業支援の強化」の施策で、一致した支援の種類に該当",
            ],
        },
        {
            "id": "startup-consultation",
            "name": "コーディネータによる窓口相談",
            "kind": "consultation",
            "score": 0.8695,
            "reasons": [
                "ルール startup.basic が『創業』に一致: ルールが挙げる施策",
                "アクション6「創業支援の強化」の施策で、一致した支援の種類に該当",
            ],
        },
    ],
    "actions": [
        {"number": 6, "title": "創業支援の強化", "score": 0.988},
        {"number": 12, "title": "金融支援の充実強化", "score": 0.9823},
    ],
    "contact_points": [
        {
            "id": "hagi-cci",
            "name": "萩商工会議所",
            "agency_id": "hagi-cci",
            "role": None,
            "postal_code": "758-0047",
            "address": "萩市東田町19-4",
            "phones": [{"label": None, "number": "0838-25-3333"}],
            "fax": "0838-25-3436",
            "email": None,
            "url": None,
            "hours": None,
            "municipalities": ["35204"],
            "prefecture_wide": False,
            "general_fallback": False,
            "programme_id": None,
            "source": "http://www.hagicci.or.jp/ayumi.html",
            "as_of": None,
            "verified": False,
            "agency_name": "萩商工会議所",
            "reason": "商工会議所の萩市の窓口",
        }
    ],
    "clarifying_questions": [],
    "vocabularies": {
        "jgrants_use_purpose": ["新たな事業を行いたい", "資金繰りを改善したい"],
        "mirasapo_purpose": ["起業・創業", "資金繰り"],
    },
    "snapshot_version": 1,
}

HSDS_INFO: Any = {
    "version": "3.0",
    "profile": "https://github.com/openreferral/specification/tree/3.0",
    "openapi_url": "http://127.0.0.1:8000/openapi.json",
}

HSDS_SERVICES: Any = {
    "total_items": 116,
    "total_pages": 116,
    "page_number": 1,
    "size": 1,
    "first_page": True,
    "last_page": False,
    "empty": False,
    "contents": [
        {
            "id": "3e63fe65-1386-59cb-abe7-4568e2bff6e5",
            "organization_id": "7f020376-6a6d-5f4d-8215-bc81550a806a",
            "name": "宿泊施設等の魅力創造に向けた助成制度",
            "alternate_name": "宿泊地等の魅力創造に向けた助成制度",
            "description": "県の観光振興施策と連携し、宿泊施設等の魅力創造に向けた助成制度によりソフト面から観光関連産業を支援する。",
            "status": "active",
            "last_modified": "2026-11-28T11:44:26.039Z",
            "organization": {
                "id": "7f020376-6a6d-5f4d-8215-bc81550a806a",
                "name": "山口県",
                "alternate_name": "県",
                "description": "やまぐち商工業推進計画の推進主体。商工労働部が中小企業制度融資、補助金、企業誘致等の施策を実施する。",
            },
        }
    ],
}

HSDS_SERVICE: Any = {
    "id": "ca1c0431-6571-584d-ace1-fc504b9f558b",
    "organization_id": "3a1b08c8-a926-5d40-bdff-53d72d755aba",
    "name": "設備投資拡大支援資金",
    "description": "企業立地を支援する制度融資（中小企業制度融資(設備投資拡大支援資金等)）の一つ。",
    "status": "active",
    "last_modified": "2026-11-28T11:44:26.042Z",
    "organization": {
        "id": "3a1b08c8-a926-5d40-bdff-53d72d755aba",
        "name": "山口県信用保証協会",
        "alternate_name": "信用保証協会",
        "description": "中小企業が金融機関から事業資金を借り入れる際に、融資を受け易くするための債務保証を実施するなどの 金融支援を行う。",
        "contacts": [],
    },
    "contacts": [],
    "attributes": [
        {
            "id": "f466c99c-7ae3-5914-86c1-705a2b373ad5",
            "link_id": "ca1c0431-6571-584d-ace1-fc504b9f558b",
            "taxonomy_term_id": "978a2ac4-e8c1-5a7f-8444-67866d534338",
            "link_type": "support_type",
            "link_entity": "service",
            "taxonomy_term": {
                "id": "978a2ac4-e8c1-5a7f-8444-67866d534338",
                "code": "growth",
                "name": "成長支援",
                "description": "経営革新・マーケティング・新事業展開・販路開拓・投資ファンド等、経営面からの中小企業の成長支援（アクション7・10）。",
                "taxonomy": "madoguchi support types",
                "taxonomy_detail": {
                    "id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
                    "name": "madoguchi support types",
                    "description": "やまぐち商工業推進計画 "
                    "第2章「支援機関等の役割」の役割表にある6つの支援の種類（創業支援・成長支援・技術支援・事業活動支援・経営基盤安定支援・金融支援）。",
                    "version": "1",
                },
                "language": "ja",
                "taxonomy_id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
            },
        },
        {
            "id": "a5fed60c-64a6-5683-8aac-61b7455cfac6",
            "link_id": "ca1c0431-6571-584d-ace1-fc504b9f558b",
            "taxonomy_term_id": "b84bc515-7dee-58b6-b608-1f475ccbf137",
            "link_type": "support_type",
            "link_entity": "service",
            "taxonomy_term": {
                "id": "b84bc515-7dee-58b6-b608-1f475ccbf137",
                "code": "finance",
                "name": "金融支援",
                "description": "中小企業制度融資、信用保証（信用補完制度）、資金調達の多様化等、資金面からの支援（アクション12）。",
                "taxonomy": "madoguchi support types",
                "taxonomy_detail": {
                    "id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
                    "name": "madoguchi support types",
                    "description": "やまぐち商工業推進計画 "
                    "第2章「支援機関等の役割」の役割表にある6つの支援の種類（創業支援・成長支援・技術支援・事業活動支援・経営基盤安定支援・金融支援）。",
                    "version": "1",
                },
                "language": "ja",
                "taxonomy_id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
            },
        },
    ],
    "metadata": [
        {
            "id": "a336376f-9f44-515f-b1ec-0222f5ff3ac1",
            "resource_id": "ca1c0431-6571-584d-ace1-fc504b9f558b",
            "resource_type": "service",
            "last_action_date": "2026-11-28",
            "last_action_type": "seed",
            "field_name": "source",
            "previous_value": "",
            "replacement_value": "やまぐち商工業推進計画（山口県、2013年10月） 第3章 ｱｸｼｮﾝ-5 推進計画 １ 支援制度の充実",
            "updated_by": "やまぐち商工業推進計画（山口県、2013年10月）",
        },
        {
            "id": "2390f472-3a22-5345-9460-53b4a402bd94",
            "resource_id": "ca1c0431-6571-584d-ace1-fc504b9f558b",
            "resource_type": "service",
            "last_action_date": "2026-11-28",
            "last_action_type": "seed",
            "field_name": "status_note",
            "previous_value": "",
            "replacement_value": "H18創設",
            "updated_by": "やまぐち商工業推進計画（山口県、2013年10月）",
        },
    ],
}

HSDS_ORGANIZATIONS: Any = {
    "total_items": 29,
    "total_pages": 29,
    "page_number": 1,
    "size": 1,
    "first_page": True,
    "last_page": False,
    "empty": False,
    "contents": [
        {
            "id": "795a7d5b-5362-5ae8-979c-1352313b1143",
            "name": "公益財団法人やまぐち産業振興財団",
            "alternate_name": "やまぐち産業振興財団",
            "description": "企業の成長、発展に向けて、経営支援を中心に、助成金、ファンド等各段階における総合的な支援を行う。 "
            "「知財総合支援窓口」「再生支援協議会」「事業引継ぎ相談窓口」等を設置。",
        }
    ],
}

HSDS_ORGANIZATION: Any = {
    "id": "66d11612-8353-5510-b77c-d94bacf86d1e",
    "name": "地方独立行政法人山口県産業技術センター",
    "alternate_name": "山口県産業技術センター",
    "description": "産業技術に関する試験研究、その成果の普及、産業技術に関する技術支援等を総合的に行うほか、 戦略的な研究開発及び産学公連携の取組を重点的に推進する。",
    "contacts": [
        {
            "id": "495a36ae-6f97-5ced-b47c-ac02700d2b83",
            "organization_id": "66d11612-8353-5510-b77c-d94bacf86d1e",
            "name": "地方独立行政法人 山口県産業技術センター",
            "phones": [],
            "metadata": [
                {
                    "id": "1d122d9f-3e3d-51c0-87b9-e3e5983027b0",
                    "resource_id": "495a36ae-6f97-5ced-b47c-ac02700d2b83",
                    "resource_type": "contact",
                    "last_action_date": "2026-11-28",
                    "last_action_type": "seed",
                    "field_name": "source",
                    "previous_value": "",
                    "replacement_value": "public encyclopedia page on the centre",
                    "updated_by": "public encyclopedia page on the centre",
                },
                {
                    "id": "9bc2009a-e246-58c7-bf7a-b22c05593e0c",
                    "resource_id": "495a36ae-6f97-5ced-b47c-ac02700d2b83",
                    "resource_type": "contact",
                    "last_action_date": "2026-11-28",
                    "last_action_type": "seed",
                    "field_name": "verified",
                    "previous_value": "",
                    "replacement_value": "false",
                    "updated_by": "public encyclopedia page on the centre",
                },
            ],
        }
    ],
    "organization_identifiers": [
        {
            "id": "f8fb55f1-6099-55cc-b9f7-60ba00e9e0bf",
            "organization_id": "66d11612-8353-5510-b77c-d94bacf86d1e",
            "identifier_type": "madoguchi agency id",
            "identifier": "yamaguchi-itc",
        }
    ],
    "attributes": [
        {
            "id": "d2ba6ad2-68c7-599d-9583-d77923f47bc7",
            "link_id": "66d11612-8353-5510-b77c-d94bacf86d1e",
            "taxonomy_term_id": "74830c34-8a03-5774-9ef7-ea0f5e55fba3",
            "link_type": "role",
            "link_entity": "organization",
            "taxonomy_term": {
                "id": "74830c34-8a03-5774-9ef7-ea0f5e55fba3",
                "code": "startup",
                "name": "創業支援",
                "description": "起業家の創業、ベンチャー企業の創業、円滑な事業承継、創業後の経営安定に向けた支援（アクション6）。",
                "taxonomy": "madoguchi support types",
                "taxonomy_detail": {
                    "id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
                    "name": "madoguchi support types",
                    "description": "やまぐち商工業推進計画 "
                    "第2章「支援機関等の役割」の役割表にある6つの支援の種類（創業支援・成長支援・技術支援・事業活動支援・経営基盤安定支援・金融支援）。",
                    "version": "1",
                },
                "language": "ja",
                "taxonomy_id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
            },
        },
        {
            "id": "134a1d7b-0601-5c10-a690-747fbabec343",
            "link_id": "66d11612-8353-5510-b77c-d94bacf86d1e",
            "taxonomy_term_id": "1bf143be-52cf-5d0a-b81f-a9b59e0cb466",
            "link_type": "role",
            "link_entity": "organization",
            "taxonomy_term": {
                "id": "1bf143be-52cf-5d0a-b81f-a9b59e0cb466",
                "code": "technology",
                "name": "技術支援",
                "description": "試験研究、技術相談、共同研究、技術のブランド化等、技術面からの成長支援（アクション8）。",
                "taxonomy": "madoguchi support types",
                "taxonomy_detail": {
                    "id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
                    "name": "madoguchi support types",
                    "description": "やまぐち商工業推進計画 "
                    "第2章「支援機関等の役割」の役割表にある6つの支援の種類（創業支援・成長支援・技術支援・事業活動支援・経営基盤安定支援・金融支援）。",
                    "version": "1",
                },
                "language": "ja",
                "taxonomy_id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
            },
        },
    ],
    "metadata": [
        {
            "id": "0f37e207-f0ac-5e85-af46-80c719d17fc5",
            "resource_id": "66d11612-8353-5510-b77c-d94bacf86d1e",
            "resource_type": "organization",
            "last_action_date": "2026-11-28",
            "last_action_type": "seed",
            "field_name": "source",
            "previous_value": "",
            "replacement_value": "やまぐち商工業推進計画（山口県、2013年10月） 第2章 推進体制 ■支援機関等の役割 p.12",
            "updated_by": "やまぐち商工業推進計画（山口県、2013年10月）",
        }
    ],
    "services": [
        {
            "id": "4ce27895-be82-5913-9f14-0083e21badb9",
            "organization_id": "66d11612-8353-5510-b77c-d94bacf86d1e",
            "name": "産業技術センターの東部地域サテライト窓口",
            "description": "これまでの取組として掲げる、産業技術センターの東部地域サテライト窓口の設置。",
            "status": "active",
        },
        {
            "id": "f34e6130-ffc9-575d-b5e8-24cad0cd3c86",
            "organization_id": "66d11612-8353-5510-b77c-d94bacf86d1e",
            "name": "新事業創造支援センター",
            "description": "ベンチャー企業の事業活動への支援として提供するインキュベーション施設。",
            "status": "active",
        },
    ],
}

HSDS_TAXONOMIES: Any = {
    "total_items": 2,
    "total_pages": 1,
    "page_number": 1,
    "size": 2,
    "first_page": True,
    "last_page": True,
    "empty": False,
    "contents": [
        {
            "id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
            "name": "madoguchi support types",
            "description": "やまぐち商工業推進計画 "
            "第2章「支援機関等の役割」の役割表にある6つの支援の種類（創業支援・成長支援・技術支援・事業活動支援・経営基盤安定支援・金融支援）。",
            "version": "1",
        },
        {
            "id": "82deec4b-b79c-5b7f-8230-620f1f94cdbc",
            "name": "やまぐち商工業推進計画 actions",
            "description": "やまぐち商工業推進計画（山口県、2013年）の3つの柱（上位の用語）と12のアクション（各柱の下位の用語）。",
            "version": "2013",
        },
    ],
}

HSDS_TAXONOMY: Any = {
    "id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
    "name": "madoguchi support types",
    "description": "やまぐち商工業推進計画 "
    "第2章「支援機関等の役割」の役割表にある6つの支援の種類（創業支援・成長支援・技術支援・事業活動支援・経営基盤安定支援・金融支援）。",
    "version": "1",
}

HSDS_TAXONOMY_TERMS: Any = {
    "total_items": 21,
    "total_pages": 11,
    "page_number": 1,
    "size": 2,
    "first_page": True,
    "last_page": False,
    "empty": False,
    "contents": [
        {
            "id": "74830c34-8a03-5774-9ef7-ea0f5e55fba3",
            "code": "startup",
            "name": "創業支援",
            "description": "起業家の創業、ベンチャー企業の創業、円滑な事業承継、創業後の経営安定に向けた支援（アクション6）。",
            "taxonomy": "madoguchi support types",
            "taxonomy_detail": {
                "id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
                "name": "madoguchi support types",
                "description": "やまぐち商工業推進計画 "
                "第2章「支援機関等の役割」の役割表にある6つの支援の種類（創業支援・成長支援・技術支援・事業活動支援・経営基盤安定支援・金融支援）。",
                "version": "1",
            },
            "language": "ja",
            "taxonomy_id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
        },
        {
            "id": "978a2ac4-e8c1-5a7f-8444-67866d534338",
            "code": "growth",
            "name": "成長支援",
            "description": "経営革新・マーケティング・新事業展開・販路開拓・投資ファンド等、経営面からの中小企業の成長支援（アクション7・10）。",
            "taxonomy": "madoguchi support types",
            "taxonomy_detail": {
                "id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
                "name": "madoguchi support types",
                "description": "やまぐち商工業推進計画 "
                "第2章「支援機関等の役割」の役割表にある6つの支援の種類（創業支援・成長支援・技術支援・事業活動支援・経営基盤安定支援・金融支援）。",
                "version": "1",
            },
            "language": "ja",
            "taxonomy_id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
        },
    ],
}

HSDS_TAXONOMY_TERM: Any = {
    "id": "74830c34-8a03-5774-9ef7-ea0f5e55fba3",
    "code": "startup",
    "name": "創業支援",
    "description": "起業家の創業、ベンチャー企業の創業、円滑な事業承継、創業後の経営安定に向けた支援（アクション6）。",
    "taxonomy": "madoguchi support types",
    "taxonomy_detail": {
        "id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
        "name": "madoguchi support types",
        "description": "やまぐち商工業推進計画 "
        "第2章「支援機関等の役割」の役割表にある6つの支援の種類（創業支援・成長支援・技術支援・事業活動支援・経営基盤安定支援・金融支援）。",
        "version": "1",
    },
    "language": "ja",
    "taxonomy_id": "5d0727aa-10cf-52e1-8e62-1b5353ddd979",
}

ADMIN_AGENCY: Any = {
    "id": "yipf",
    "name": "公益財団法人やまぐち産業振興財団",
    "short_name": "やまぐち産業振興財団",
    "name_en": "Yamaguchi Industrial Promotion Foundation",
    "aliases": ["財団", "やまぐち産業振興財団"],
    "category": "core_support",
    "role_label": "中小企業に対する中核的支援機関",
    "description": "企業の成長、発展に向けて、経営支援を中心に、助成金、ファンド等各段階における総合的な支援を行う。 "
    "「知財総合支援窓口」「再生支援協議会」「事業引継ぎ相談窓口」等を設置。",
    "parent_id": None,
    "roles": ["startup", "growth"],
    "source_section": "第2章 推進体制 ■支援機関等の役割",
    "revision": 1,
    "updated_at": "2026-11-28T11:44:25.970429Z",
}

ADMIN_CONTACT_POINT: Any = {
    "id": "ip-support-desk-navi-dial",
    "name": "知財総合支援窓口（全国共通ナビダイヤル）",
    "agency_id": "yipf",
    "role": "最寄りの都道府県窓口につながる。平日9時〜17時",
    "postal_code": None,
    "address": None,
    "phones": [{"label": "ナビダイヤル", "number": "0570-082100"}],
    "fax": None,
    "email": None,
    "url": "https://chizai-portal.inpit.go.jp/",
    "hours": "平日9時〜17時",
    "municipalities": [],
    "prefecture_wide": True,
    "general_fallback": False,
    "programme_id": "ip-general-support-desk",
    "source": "ミラサポplus 支援制度データ (record 2081)",
    "as_of": "2021-2023",
    "verified": False,
    "revision": 1,
    "updated_at": "2026-11-28T11:44:26.106994Z",
}

ADMIN_PROGRAMME: Any = {
    "id": "capex-expansion-loan",
    "name": "設備投資拡大支援資金",
    "aliases": [],
    "kind": "loan",
    "description": "企業立地を支援する制度融資（中小企業制度融資(設備投資拡大支援資金等)）の一つ。",
    "status_note": "H18創設",
    "source_section": "第3章 ｱｸｼｮﾝ-5 推進計画 １ 支援制度の充実",
    "source_page": None,
    "operators": ["credit-guarantee-corporation", "financial-institutions"],
    "actions": [5, 12],
    "support_types": ["finance", "growth"],
    "measures": ["5.1", "12.1"],
    "revision": 1,
    "updated_at": "2026-11-28T11:44:26.042385Z",
}

MATCH_STATS: Any = {
    "totals": {"unmatched": 0, "clarified": 1},
    "distinct": 1,
    "capacity": 500,
    "top": [{"text": "相談したい", "kind": "clarified", "count": 1}],
}

API_KEY_CREATED: Any = {
    "id": 1,
    "prefix": "pzLunVz8",
    "scope": "front_desk",
    "agency_id": None,
    "municipality_code": "35204",
    "label": "萩市 商工振興課",
    "created_at": "2026-11-28T11:44:26.446953Z",
    "revoked_at": None,
    "secret": "pzLunVz8vnEl2D3on6VOv_oUfVpd-PEcXhKvxkJ1t5Y",
}

API_KEYS: Any = [
    {
        "id": 1,
        "prefix": "pzLunVz8",
        "scope": "front_desk",
        "agency_id": None,
        "municipality_code": "35204",
        "label": "萩市 商工振興課",
        "created_at": "2026-11-28T11:44:26.446953Z",
        "revoked_at": None,
    },
    {
        "id": 2,
        "prefix": "VGNYUp0Y",
        "scope": "agency_editor",
        "agency_id": "yipf",
        "municipality_code": None,
        "label": "財団 総務課",
        "created_at": "2026-11-28T11:44:26.452829Z",
        "revoked_at": None,
    },
]

API_KEY_REVOKED: Any = {
    "id": 2,
    "prefix": "VGNYUp0Y",
    "scope": "agency_editor",
    "agency_id": "yipf",
    "municipality_code": None,
    "label": "財団 総務課",
    "created_at": "2026-11-28T11:44:26.452829Z",
    "revoked_at": "2026-11-28T11:44:26.461058Z",
}

REFERRAL_CREATED: Any = {
    "id": 1,
    "status": "sent",
    "status_label": "送付済み",
    "text": "大学と共同研究して新製品を開発したい",
    "agency_id": "yamaguchi-itc",
    "agency_name": "地方独立行政法人山口県産業技術センター",
    "programme_ids": [],
    "need_ids": ["joint-research", "new-product-development"],
    "municipality_code": "35204",
    "municipality_name": "萩市",
    "consent": True,
    "enterprise_name": "株式会社萩テック",
    "enterprise_contact": "0838-00-0000（担当: 山口）",
    "created_by_key_id": 1,
    "created_by_scope": "front_desk",
    "created_at": "2026-11-28T11:44:26.467552Z",
    "updated_at": "2026-11-28T11:44:26.467552Z",
    "personal_data_erased_at": None,
    "allowed_transitions": ["accepted", "declined"],
    "revision": 1,
    "history": [
        {
            "kind": "created",
            "from_status": None,
            "to_status": "sent",
            "note": None,
            "key_id": 1,
            "key_prefix": "pzLunVz8",
            "key_scope": "front_desk",
            "at": "2026-11-28T11:44:26.468932Z",
        }
    ],
}

REFERRAL_ACCEPTED: Any = {
    "id": 1,
    "status": "accepted",
    "status_label": "受付",
    "text": "大学と共同研究して新製品を開発したい",
    "agency_id": "yamaguchi-itc",
    "agency_name": "地方独立行政法人山口県産業技術センター",
    "programme_ids": [],
    "need_ids": ["joint-research", "new-product-development"],
    "municipality_code": "35204",
    "municipality_name": "萩市",
    "consent": True,
    "enterprise_name": "株式会社萩テック",
    "enterprise_contact": "0838-00-0000（担当: 山口）",
    "created_by_key_id": 1,
    "created_by_scope": "front_desk",
    "created_at": "2026-11-28T11:44:26.467552Z",
    "updated_at": "2026-11-28T11:44:26.476387Z",
    "personal_data_erased_at": None,
    "allowed_transitions": ["in_progress"],
    "revision": 2,
    "history": [
        {
            "kind": "created",
            "from_status": None,
            "to_status": "sent",
            "note": None,
            "key_id": 1,
            "key_prefix": "pzLunVz8",
            "key_scope": "front_desk",
            "at": "2026-11-28T11:44:26.468932Z",
        },
        {
            "kind": "status_changed",
            "from_status": "sent",
            "to_status": "accepted",
            "note": "担当者から連絡します",
            "key_id": None,
            "key_prefix": "bootstrap",
            "key_scope": "admin",
            "at": "2026-11-28T11:44:26.478129Z",
        },
    ],
}

REFERRALS: Any = {
    "items": [
        {
            "id": 1,
            "status": "accepted",
            "status_label": "受付",
            "text": "大学と共同研究して新製品を開発したい",
            "agency_id": "yamaguchi-itc",
            "agency_name": "地方独立行政法人山口県産業技術センター",
            "programme_ids": [],
            "need_ids": ["joint-research", "new-product-development"],
            "municipality_code": "35204",
            "municipality_name": "萩市",
            "consent": True,
            "enterprise_name": "株式会社萩テック",
            "enterprise_contact": "0838-00-0000（担当: 山口）",
            "created_by_key_id": 1,
            "created_by_scope": "front_desk",
            "created_at": "2026-11-28T11:44:26.467552Z",
            "updated_at": "2026-11-28T11:44:26.476387Z",
            "personal_data_erased_at": None,
            "allowed_transitions": ["in_progress"],
            "revision": 2,
        }
    ],
    "total": 1,
    "limit": 2,
    "offset": 0,
}

REFERRAL_STATS: Any = {
    "total": 1,
    "by_status": [{"key": "accepted", "label": "受付", "count": 1}],
    "by_agency": [
        {"key": "yamaguchi-itc", "label": "地方独立行政法人山口県産業技術センター", "count": 1}
    ],
    "by_municipality": [{"key": "35204", "label": "萩市", "count": 1}],
    "by_need": [
        {"key": "joint-research", "label": "共同研究したい", "count": 1},
        {
            "key": "new-product-development",
            "label": "新商品・新製品を開発して事業化したい",
            "count": 1,
        },
    ],
}

REFERRAL: Any = {
    "id": 1,
    "status": "accepted",
    "status_label": "受付",
    "text": "大学と共同研究して新製品を開発したい",
    "agency_id": "yamaguchi-itc",
    "agency_name": "地方独立行政法人山口県産業技術センター",
    "programme_ids": [],
    "need_ids": ["joint-research", "new-product-development"],
    "municipality_code": "35204",
    "municipality_name": "萩市",
    "consent": True,
    "enterprise_name": "株式会社萩テック",
    "enterprise_contact": "0838-00-0000（担当: 山口）",
    "created_by_key_id": 1,
    "created_by_scope": "front_desk",
    "created_at": "2026-11-28T11:44:26.467552Z",
    "updated_at": "2026-11-28T11:44:26.476387Z",
    "personal_data_erased_at": None,
    "allowed_transitions": ["in_progress"],
    "revision": 2,
    "history": [
        {
            "kind": "created",
            "from_status": None,
            "to_status": "sent",
            "note": None,
            "key_id": 1,
            "key_prefix": "pzLunVz8",
            "key_scope": "front_desk",
            "at": "2026-11-28T11:44:26.468932Z",
        },
        {
            "kind": "status_changed",
            "from_status": "sent",
            "to_status": "accepted",
            "note": "担当者から連絡します",
            "key_id": None,
            "key_prefix": "bootstrap",
            "key_scope": "admin",
            "at": "2026-11-28T11:44:26.478129Z",
        },
    ],
}

REFERRAL_ERASED: Any = {
    "id": 1,
    "status": "accepted",
    "status_label": "受付",
    "text": "大学と共同研究して新製品を開発したい",
    "agency_id": "yamaguchi-itc",
    "agency_name": "地方独立行政法人山口県産業技術センター",
    "programme_ids": [],
    "need_ids": ["joint-research", "new-product-development"],
    "municipality_code": "35204",
    "municipality_name": "萩市",
    "consent": True,
    "enterprise_name": None,
    "enterprise_contact": None,
    "created_by_key_id": 1,
    "created_by_scope": "front_desk",
    "created_at": "2026-11-28T11:44:26.467552Z",
    "updated_at": "2026-11-28T11:44:26.497391Z",
    "personal_data_erased_at": "2026-11-28T11:44:26.498936Z",
    "allowed_transitions": ["in_progress"],
    "revision": 3,
    "history": [
        {
            "kind": "created",
            "from_status": None,
            "to_status": "sent",
            "note": None,
            "key_id": 1,
            "key_prefix": "pzLunVz8",
            "key_scope": "front_desk",
            "at": "2026-11-28T11:44:26.468932Z",
        },
        {
            "kind": "status_changed",
            "from_status": "sent",
            "to_status": "accepted",
            "note": "担当者から連絡します",
            "key_id": None,
            "key_prefix": "bootstrap",
            "key_scope": "admin",
            "at": "2026-11-28T11:44:26.478129Z",
        },
    ],
}

ADMIN_AGENCY_PATCHED: Any = {
    "id": "yipf",
    "name": "公益財団法人やまぐち産業振興財団",
    "short_name": "やまぐち産業振興財団",
    "name_en": "Yamaguchi Industrial Promotion Foundation",
    "aliases": ["財団"],
    "category": "core_support",
    "role_label": "中小企業に対する中核的支援機関",
    "description": "企業の成長、発展に向けて、経営支援を中心に、助成金、ファンド等各段階における総合的な支援を行う。 "
    "「知財総合支援窓口」「再生支援協議会」「事業引継ぎ相談窓口」等を設置。",
    "parent_id": None,
    "roles": ["startup", "growth"],
    "source_section": "第2章 推進体制 ■支援機関等の役割",
    "revision": 2,
    "updated_at": "2026-11-28T11:44:26.528350Z",
}

ADMIN_AGENCY_ROLES: Any = {
    "id": "yipf",
    "name": "公益財団法人やまぐち産業振興財団",
    "short_name": "やまぐち産業振興財団",
    "name_en": "Yamaguchi Industrial Promotion Foundation",
    "aliases": ["財団"],
    "category": "core_support",
    "role_label": "中小企業に対する中核的支援機関",
    "description": "企業の成長、発展に向けて、経営支援を中心に、助成金、ファンド等各段階における総合的な支援を行う。 "
    "「知財総合支援窓口」「再生支援協議会」「事業引継ぎ相談窓口」等を設置。",
    "parent_id": None,
    "roles": ["growth", "finance"],
    "source_section": "第2章 推進体制 ■支援機関等の役割",
    "revision": 3,
    "updated_at": "2026-11-28T11:44:26.535860Z",
}

ADMIN_AGENCY_CREATED: Any = {
    "id": "yamaguchi-university-research-promotion",
    "name": "山口大学大学研究推進機構",
    "short_name": "研究推進機構",
    "name_en": None,
    "aliases": [],
    "category": "academic",
    "role_label": None,
    "description": None,
    "parent_id": "yamaguchi-university",
    "roles": ["startup"],
    "source_section": "第3章 アクション6 ３ ベンチャー企業への創業支援",
    "revision": 1,
    "updated_at": "2026-11-28T11:44:26.556079Z",
}

ADMIN_CONTACT_POINT_PATCHED: Any = {
    "id": "ip-support-desk-navi-dial",
    "name": "知財総合支援窓口（全国共通ナビダイヤル）",
    "agency_id": "yipf",
    "role": "最寄りの都道府県窓口につながる。平日9時〜17時",
    "postal_code": None,
    "address": None,
    "phones": [{"label": "ナビダイヤル", "number": "0570-082100"}],
    "fax": None,
    "email": None,
    "url": "https://chizai-portal.inpit.go.jp/",
    "hours": "平日9時〜17時",
    "municipalities": [],
    "prefecture_wide": True,
    "general_fallback": False,
    "programme_id": "ip-general-support-desk",
    "source": "ミラサポplus 支援制度データ (record 2081)",
    "as_of": "2021-2023",
    "verified": False,
    "revision": 2,
    "updated_at": "2026-11-28T11:44:26.545186Z",
}

ADMIN_CONTACT_POINT_CREATED: Any = {
    "id": "pref-system-finance-desk",
    "name": "山口県 商工労働部 経営金融課（県制度融資）",
    "agency_id": "pref-management-finance-division",
    "role": None,
    "postal_code": None,
    "address": None,
    "phones": [{"label": "県制度融資", "number": "083-933-3188"}],
    "fax": None,
    "email": None,
    "url": None,
    "hours": None,
    "municipalities": [],
    "prefecture_wide": True,
    "general_fallback": False,
    "programme_id": None,
    "source": "ミラサポplus 支援制度データ (record 1212)",
    "as_of": "2021-2023",
    "verified": False,
    "revision": 1,
    "updated_at": "2026-11-28T11:44:26.551300Z",
}

ADMIN_PROGRAMME_PATCHED: Any = {
    "id": "capex-expansion-loan",
    "name": "設備投資拡大支援資金",
    "aliases": ["中小企業制度融資(設備投資拡大支援資金等)"],
    "kind": "loan",
    "description": "企業立地を支援する制度融資（中小企業制度融資(設備投資拡大支援資金等)）の一つ。",
    "status_note": "H18創設",
    "source_section": "第3章 ｱｸｼｮﾝ-5 推進計画 １ 支援制度の充実",
    "source_page": None,
    "operators": ["credit-guarantee-corporation", "financial-institutions"],
    "actions": [5, 12],
    "support_types": ["finance", "growth"],
    "measures": ["5.1", "12.1"],
    "revision": 2,
    "updated_at": "2026-11-28T11:44:26.566204Z",
}

ADMIN_PROGRAMME_CREATED: Any = {
    "id": "itc-technology-strategy",
    "name": "技術戦略（産業技術センター）",
    "aliases": [],
    "kind": "other",
    "description": "産業技術センターにおいて、県内ものづくり企業の成長に向けた戦略の方向性を示す「技術戦略」を見直し、県内ものづくり企業の技術革新を推進する。",
    "status_note": None,
    "source_section": "第3章 アクション8 ２ 技術のブランド化による付加価値の高いものづくりの促進",
    "source_page": None,
    "operators": ["yamaguchi-itc"],
    "actions": [8],
    "support_types": ["technology"],
    "measures": [],
    "revision": 1,
    "updated_at": "2026-11-28T11:44:26.572619Z",
}

AUDIT: Any = {
    "items": [
        {
            "id": 7,
            "at": "2026-11-28T11:44:26.575648Z",
            "key_id": None,
            "key_prefix": "bootstrap",
            "key_scope": "admin",
            "action": "create",
            "entity_type": "programme",
            "entity_id": "itc-technology-strategy",
            "before": None,
            "after": {
                "id": "itc-technology-strategy",
                "name": "技術戦略（産業技術センター）",
                "aliases": [],
                "kind": "other",
                "description": "産業技術センターにおいて、県内ものづくり企業の成長に向けた戦略の方向性を示す「技術戦略」を見直し、県内ものづくり企業の技術革新を推進する。",
                "status_note": None,
                "source_section": "第3章 アクション8 ２ 技術のブランド化による付加価値の高いものづくりの促進",
                "source_page": None,
                "operators": ["yamaguchi-itc"],
                "actions": [8],
                "support_types": ["technology"],
                "measures": [],
                "revision": 1,
            },
        },
        {
            "id": 6,
            "at": "2026-11-28T11:44:26.568588Z",
            "key_id": None,
            "key_prefix": "bootstrap",
            "key_scope": "admin",
            "action": "update",
            "entity_type": "programme",
            "entity_id": "capex-expansion-loan",
            "before": {
                "id": "capex-expansion-loan",
                "name": "設備投資拡大支援資金",
                "aliases": [],
                "kind": "loan",
                "description": "企業立地を支援する制度融資（中小企業制度融資(設備投資拡大支援資金等)）の一つ。",
                "status_note": "H18創設",
                "source_section": "第3章 ｱｸｼｮﾝ-5 推進計画 １ 支援制度の充実",
                "source_page": None,
                "operators": ["credit-guarantee-corporation", "financial-institutions"],
                "actions": [5, 12],
                "support_types": ["finance", "growth"],
                "measures": ["5.1", "12.1"],
                "revision": 1,
            },
            "after": {
                "id": "capex-expansion-loan",
                "name": "設備投資拡大支援資金",
                "aliases": ["中小企業制度融資(設備投資拡大支援資金等)"],
                "kind": "loan",
                "description": "企業立地を支援する制度融資（中小企業制度融資(設備投資拡大支援資金等)）の一つ。",
                "status_note": "H18創設",
                "source_section": "第3章 ｱｸｼｮﾝ-5 推進計画 １ 支援制度の充実",
                "source_page": None,
                "operators": ["credit-guarantee-corporation", "financial-institutions"],
                "actions": [5, 12],
                "support_types": ["finance", "growth"],
                "measures": ["5.1", "12.1"],
                "revision": 2,
            },
        },
    ],
    "total": 7,
    "limit": 2,
    "offset": 0,
}

# The request (method, path, JSON body) that produced each read example.

SOURCES: dict[str, tuple[str, str, Any]] = {
    "SUPPORT_TYPES": ("GET", "/v1/support-types", None),
    "AGENCIES": ("GET", "/v1/agencies?support_type=technology&limit=2", None),
    "AGENCY": ("GET", "/v1/agencies/yamaguchi-itc", None),
    "ROLE_MATRIX": ("GET", "/v1/role-matrix", None),
    "MUNICIPALITIES": ("GET", "/v1/municipalities?limit=2", None),
    "CONTACT_POINTS": ("GET", "/v1/contact-points?municipality=萩市&limit=2", None),
    "PILLARS": ("GET", "/v1/pillars", None),
    "ACTIONS": ("GET", "/v1/actions?pillar=3", None),
    "ACTION": ("GET", "/v1/actions/8", None),
    "KPIS": ("GET", "/v1/kpis?limit=2", None),
    "PROGRAMMES": ("GET", "/v1/programmes?support_type=finance&limit=2", None),
    "PROGRAMME": ("GET", "/v1/programmes/capex-expansion-loan", None),
    "MATCH": (
        "POST",
        "/v1/match",
        {"text": "創業したいので融資も受けたい", "municipality": "萩市", "limit": 5},
    ),
    "HSDS_INFO": ("GET", "/v1/hsds/", None),
    "HSDS_SERVICES": ("GET", "/v1/hsds/services?per_page=1", None),
    "HSDS_SERVICE": ("GET", "/v1/hsds/services/capex-expansion-loan", None),
    "HSDS_ORGANIZATIONS": ("GET", "/v1/hsds/organizations?per_page=1", None),
    "HSDS_ORGANIZATION": ("GET", "/v1/hsds/organizations/yamaguchi-itc", None),
    "HSDS_TAXONOMIES": ("GET", "/v1/hsds/taxonomies", None),
    "HSDS_TAXONOMY": ("GET", "/v1/hsds/taxonomies/support-types", None),
    "HSDS_TAXONOMY_TERMS": ("GET", "/v1/hsds/taxonomy_terms?per_page=2", None),
    "HSDS_TAXONOMY_TERM": ("GET", "/v1/hsds/taxonomy_terms/startup", None),
    "ADMIN_AGENCY": ("GET", "/v1/admin/agencies/yipf", None),
    "ADMIN_CONTACT_POINT": ("GET", "/v1/admin/contact-points/ip-support-desk-navi-dial", None),
    "ADMIN_PROGRAMME": ("GET", "/v1/admin/programmes/capex-expansion-loan", None),
}
