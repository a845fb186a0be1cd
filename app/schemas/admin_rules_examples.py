"""Example responses of the rule editing endpoints, captured from a freshly seeded service.

Lists are cut to their first items (the dry-run's match results too); the PATCH example adds
"産学共同" to technology.joint-research, the POST example adds a synonym class.
"""

from __future__ import annotations

from typing import Any

RULES_PAGE: dict[str, Any] = {
    "items": [
        {
            "id": "technology.joint-research",
            "theme": "technology",
            "position": 0,
            "revision": 1,
            "rule": {
                "id": "technology.joint-research",
                "need": "joint-research",
                "description": "産学公連携・共同研究（やまぐちブランド技術革新計画のスキーム）",
                "patterns": [
                    "共同研究",
                    ["大学", "研究"],
                    ["大学", "連携"],
                    ["大学", "協力"],
                    ["大学", "一緒"],
                    ["大学", "組む"],
                    ["大学", "開発"],
                    ["研究機関", "連携"],
                    ["研究機関", "一緒"],
                    ["産業技術センター", "共同"],
                    ["先生", "研究"],
                ],
                "actions": [8],
                "programmes": [
                    "technology-innovation-plan-approval",
                    "strategic-industry-rd-subsidy",
                ],
                "agency_boosts": {"universities": 0.35, "yamaguchi-university": 0.2},
                "weight": 0.85,
            },
        }
    ],
    "total": 6,
    "limit": 2,
    "offset": 0,
}

LEXICON_PAGE: dict[str, Any] = {
    "items": [
        {
            "kind": "synonyms",
            "id": "money",
            "position": 0,
            "revision": 1,
            "entry": {"id": "money", "canonical": "資金", "variants": ["お金", "金策", "資本金"]},
        },
        {
            "kind": "synonyms",
            "id": "borrow",
            "position": 1,
            "revision": 1,
            "entry": {
                "id": "borrow",
                "canonical": "融資",
                "variants": [
                    "借りる",
                    "借り入れ",
                    "借入",
                    "借入金",
                    "借金",
                    "ローン",
                    "貸付",
                    "貸し付け",
                    "貸してもらう",
                    "融通",
                    "ゆうし",
                ],
            },
        },
    ],
    "total": 65,
    "limit": 2,
    "offset": 0,
}

RULE_WRITTEN: dict[str, Any] = {
    "id": "technology.joint-research",
    "theme": "technology",
    "position": 0,
    "revision": 2,
    "rule": {
        "id": "technology.joint-research",
        "need": "joint-research",
        "description": "産学公連携・共同研究（やまぐちブランド技術革新計画のスキーム）",
        "patterns": ["共同研究", ["大学", "研究"], ["大学", "連携"], "産学共同"],
        "actions": [8],
        "programmes": ["technology-innovation-plan-approval", "strategic-industry-rd-subsidy"],
        "agency_boosts": {"universities": 0.35, "yamaguchi-university": 0.2},
        "weight": 0.85,
    },
    "evaluation": {
        "current": {
            "support_type@1": 1.0,
            "agency@3": 0.9955,
            "programme@5": 1.0,
            "action@3": 1.0,
            "out_of_scope_rejection": 1.0,
            "clarification_rate": 1.0,
            "negation": 1.0,
        },
        "candidate": {
            "support_type@1": 1.0,
            "agency@3": 0.9955,
            "programme@5": 1.0,
            "action@3": 1.0,
            "out_of_scope_rejection": 1.0,
            "clarification_rate": 1.0,
            "negation": 1.0,
        },
        "thresholds": {
            "support_type@1": 0.9,
            "agency@3": 0.9,
            "programme@5": 0.9,
            "action@3": 0.9,
            "out_of_scope_rejection": 0.9,
            "clarification_rate": 0.9,
            "negation": 1.0,
        },
        "broken": [],
        "forced": False,
        "elapsed_ms": 309.7,
    },
}

LEXICON_WRITTEN: dict[str, Any] = {
    "kind": "synonyms",
    "id": "crowdfunding",
    "position": 65,
    "revision": 1,
    "entry": {
        "id": "crowdfunding",
        "canonical": "クラウドファンディング",
        "variants": ["クラファン"],
    },
    "evaluation": {
        "current": {
            "support_type@1": 1.0,
            "agency@3": 0.9955,
            "programme@5": 1.0,
            "action@3": 1.0,
            "out_of_scope_rejection": 1.0,
            "clarification_rate": 1.0,
            "negation": 1.0,
        },
        "candidate": {
            "support_type@1": 1.0,
            "agency@3": 0.9955,
            "programme@5": 1.0,
            "action@3": 1.0,
            "out_of_scope_rejection": 1.0,
            "clarification_rate": 1.0,
            "negation": 1.0,
        },
        "thresholds": {
            "support_type@1": 0.9,
            "agency@3": 0.9,
            "programme@5": 0.9,
            "action@3": 0.9,
            "out_of_scope_rejection": 0.9,
            "clarification_rate": 0.9,
            "negation": 1.0,
        },
        "broken": [],
        "forced": False,
        "elapsed_ms": 71.3,
    },
}

DRY_RUN_RESULT: dict[str, Any] = {
    "results": [
        {
            "text": "産学共同で新素材をつくりたい",
            "current": {
                "matched": True,
                "needs": [
                    {
                        "id": "technological-innovation",
                        "label": "技術革新を図りたい",
                        "support_type": "technology",
                        "score": 0.85,
                        "negated": False,
                        "evidence": [
                            {
                                "rule_id": "technology.innovation",
                                "matched_text": "新素材",
                                "normalized": "新 素材",
                            }
                        ],
                    }
                ],
                "support_types": [{"code": "technology", "name": "技術支援", "score": 0.85}],
                "agencies": [
                    {
                        "id": "yamaguchi-itc",
                        "name": "地方独立行政法人山口県産業技術センター",
                        "score": 0.7344,
                        "reasons": [
                            "ルール technology.innovation が『新素材』に一致: "
                            "技術支援の役割を持つ機関（役割表）、ニーズ「技術革新を図りたい」の支援機関"
                        ],
                    }
                ],
                "programmes": [
                    {
                        "id": "strategic-industry-rd-subsidy",
                        "name": "やまぐち産業戦略研究開発等補助金",
                        "kind": "subsidy",
                        "score": 0.8628,
                        "reasons": [
                            "ルール technology.innovation が『新素材』に一致: ルールが挙げる施策"
                        ],
                    }
                ],
                "actions": [
                    {
                        "number": 8,
                        "title": "ものづくり力の高度化・ブランド化の推進",
                        "score": 0.9248,
                    }
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
                        "source": "public encyclopedia page on the centre",
                        "as_of": None,
                        "verified": False,
                        "agency_name": "地方独立行政法人山口県産業技術センター",
                        "reason": "地方独立行政法人山口県産業技術センターの県内全域の窓口",
                    }
                ],
                "clarifying_questions": [],
                "vocabularies": {
                    "jgrants_use_purpose": ["研究開発・実証事業を行いたい"],
                    "mirasapo_purpose": ["情報収集"],
                },
            },
            "candidate": {
                "matched": True,
                "needs": [
                    {
                        "id": "joint-research",
                        "label": "共同研究したい",
                        "support_type": "technology",
                        "score": 0.95,
                        "negated": False,
                        "evidence": [
                            {
                                "rule_id": "technology.joint-research",
                                "matched_text": "産学共同",
                                "normalized": "産 学 共同",
                            }
                        ],
                    }
                ],
                "support_types": [{"code": "technology", "name": "技術支援", "score": 0.9925}],
                "agencies": [
                    {
                        "id": "yamaguchi-itc",
                        "name": "地方独立行政法人山口県産業技術センター",
                        "score": 0.9363,
                        "reasons": [
                            "ルール technology.joint-research "
                            "が『産学共同』に一致: "
                            "技術支援の役割を持つ機関（役割表）、ニーズ「共同研究したい」の支援機関"
                        ],
                    }
                ],
                "programmes": [
                    {
                        "id": "technology-innovation-plan-approval",
                        "name": "山口県技術革新計画承認制度",
                        "kind": "certification",
                        "score": 0.9812,
                        "reasons": [
                            "ルール technology.joint-research "
                            "が『産学共同』に一致: ルールが挙げる施策"
                        ],
                    }
                ],
                "actions": [
                    {
                        "number": 8,
                        "title": "ものづくり力の高度化・ブランド化の推進",
                        "score": 0.9974,
                    }
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
                        "source": "public encyclopedia page on the centre",
                        "as_of": None,
                        "verified": False,
                        "agency_name": "地方独立行政法人山口県産業技術センター",
                        "reason": "地方独立行政法人山口県産業技術センターの県内全域の窓口",
                    }
                ],
                "clarifying_questions": [],
                "vocabularies": {
                    "jgrants_use_purpose": ["研究開発・実証事業を行いたい"],
                    "mirasapo_purpose": ["情報収集"],
                },
            },
            "changed": True,
        }
    ],
    "evaluation": {
        "current": {
            "support_type@1": 1.0,
            "agency@3": 0.9955,
            "programme@5": 1.0,
            "action@3": 1.0,
            "out_of_scope_rejection": 1.0,
            "clarification_rate": 1.0,
            "negation": 1.0,
        },
        "candidate": {
            "support_type@1": 1.0,
            "agency@3": 0.9955,
            "programme@5": 1.0,
            "action@3": 1.0,
            "out_of_scope_rejection": 1.0,
            "clarification_rate": 1.0,
            "negation": 1.0,
        },
        "thresholds": {
            "support_type@1": 0.9,
            "agency@3": 0.9,
            "programme@5": 0.9,
            "action@3": 0.9,
            "out_of_scope_rejection": 0.9,
            "clarification_rate": 0.9,
            "negation": 1.0,
        },
        "broken": [],
    },
    "publishable": True,
}
