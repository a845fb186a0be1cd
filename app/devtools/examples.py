"""Write the OpenAPI examples (app/schemas/examples/*.json) from a freshly seeded service.

    make examples        # = python -m app.devtools.examples

Read examples are the answers to `examples.SOURCES`; write examples come from one sample session
(`SESSION`, in order). Every list in an example is cut to its first `KEEP` items, except the
lists that an example exists to show whole (`WHOLE`). Nothing is typed by hand: rerun this after
any change to the seed or to a response shape, and commit the JSON files it writes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.core.fiscal import current_fiscal_year
from app.devtools.fresh import seeded_app
from app.routers.admin_directory import IMPORT_EXAMPLE_CSV
from app.schemas import examples
from app.schemas.access import ApiKeyCreate
from app.schemas.admin import AgencyCreate, AgencyRolesPut, ContactPointCreate
from app.schemas.admin_rules import DRY_RUN_EXAMPLE
from app.schemas.plan import KpiActualPut
from app.schemas.referrals import ReferralCreate
from app.seeding.loader import read_seed

ADMIN_SECRET = "make-examples-bootstrap-admin-key-0123456789"
KEEP = 2
# The sample actual is recorded for the fiscal year the examples are made in (a sample value,
# said so in its source), so that the yearly review of that year shows it.
ACTUAL_PATH = f"/v1/admin/kpis/startups-supported/actuals/{current_fiscal_year()}"


@dataclass(frozen=True)
class Step:
    """One request of the sample session; `name` is the example its answer becomes (if any)."""

    method: str
    path: str
    # The JSON body, or a function that makes it from what the service holds at that point.
    body: Any = None
    name: str | None = None
    key: str = "admin"  # whose key: "admin", or the `secret_as` of an earlier step
    status: int = 200
    whole: frozenset[str] = field(default_factory=frozenset)
    secret_as: str | None = None  # remember the key secret in the answer under this label


def _schema_example(model: Any, index: int = 0) -> Any:
    return model.model_config["json_schema_extra"]["examples"][index]


SESSION: list[Step] = [  # the write examples, in the order the session makes them
    # Keys: a front desk in 萩市 and an editor of the foundation; the editor's key is revoked.
    Step(
        "POST",
        "/v1/admin/api-keys",
        _schema_example(ApiKeyCreate, 1),
        "API_KEY_CREATED",
        status=201,
        secret_as="hagi",
    ),
    Step("POST", "/v1/admin/api-keys", _schema_example(ApiKeyCreate, 0), status=201),
    Step(
        "POST",
        "/v1/admin/api-keys",
        {
            "scope": "agency_editor",
            "agency_id": "yamaguchi-itc",
            "label": "産業技術センター 企画課",
        },
        status=201,
        secret_as="itc",
    ),
    Step("GET", "/v1/admin/api-keys", None, "API_KEYS"),
    Step("DELETE", "/v1/admin/api-keys/2", None, "API_KEY_REVOKED"),
    # A referral from 萩市 to 山口県産業技術センター, accepted by the centre.
    Step(
        "POST",
        "/v1/referrals",
        _schema_example(ReferralCreate),
        "REFERRAL_CREATED",
        key="hagi",
        status=201,
    ),
    Step(
        "PATCH",
        "/v1/referrals/1",
        {"status": "accepted", "note": "担当者から連絡します"},
        "REFERRAL_ACCEPTED",
        key="itc",
    ),
    Step("GET", "/v1/referrals", None, "REFERRALS", key="hagi"),
    Step("GET", "/v1/referrals/stats", None, "REFERRAL_STATS"),
    Step("GET", "/v1/referrals/1", None, "REFERRAL", key="itc"),
    Step("DELETE", "/v1/referrals/1/personal-data", None, "REFERRAL_ERASED", key="hagi"),
    # An admin edits the directory.
    Step("PATCH", "/v1/admin/agencies/yipf", {"aliases": ["財団"]}, "ADMIN_AGENCY_PATCHED"),
    Step(
        "PUT",
        "/v1/admin/agencies/yipf/roles",
        _schema_example(AgencyRolesPut),
        "ADMIN_AGENCY_ROLES",
    ),
    Step(
        "POST",
        "/v1/admin/agencies",
        _schema_example(AgencyCreate),
        "ADMIN_AGENCY_CREATED",
        status=201,
    ),
    Step(
        "PATCH",
        "/v1/admin/contact-points/ip-support-desk-navi-dial",
        {"hours": "平日9時〜17時"},
        "ADMIN_CONTACT_POINT_PATCHED",
    ),
    Step(
        "POST",
        "/v1/admin/contact-points",
        _schema_example(ContactPointCreate),
        "ADMIN_CONTACT_POINT_CREATED",
        status=201,
    ),
    Step(
        "PATCH",
        "/v1/admin/programmes/capex-expansion-loan",
        {"aliases": ["中小企業制度融資(設備投資拡大支援資金等)"]},
        "ADMIN_PROGRAMME_PATCHED",
    ),
    Step(
        "POST",
        "/v1/admin/programmes",
        {
            # From the plan (action 8.2): the industrial technology institute's technology strategy.
            "id": "itc-technology-strategy",
            "name": "技術戦略（産業技術センター）",
            "kind": "other",
            "description": "産業技術センターにおいて、県内ものづくり企業の成長に向けた戦略の方向性を示す"
            "「技術戦略」を見直し、県内ものづくり企業の技術革新を推進する。",
            "source_section": "第3章 アクション8 ２ 技術のブランド化による付加価値の高いものづくりの促進",
            "operators": ["yamaguchi-itc"],
            "actions": [8],
            "support_types": ["technology"],
        },
        "ADMIN_PROGRAMME_CREATED",
        status=201,
    ),
    Step("GET", "/v1/admin/audit?limit=2", None, "AUDIT"),
    # A bulk import tried first (dry run): one chamber's description would change.
    Step(
        "POST",
        "/v1/admin/imports/agencies?dry_run=true",
        IMPORT_EXAMPLE_CSV.replace(
            "萩市の商工会議所。", "萩市の商工会議所（萩市東田町）。"
        ).encode(),
        "IMPORT_REPORT",
    ),
    # What the matcher did not understand.
    Step("POST", "/v1/match", {"text": "相談したい"}),
    Step("POST", "/v1/match", {"text": "店のレジをセルフ式にして人件費を抑えたい"}),
    Step("POST", "/v1/match", {"text": "店のレジをセルフ式にして人件費を抑えたい"}),
    Step("GET", "/v1/match/stats", None, "MATCH_STATS"),
    Step("GET", "/v1/admin/rules/suggestions", None, "RULE_SUGGESTIONS"),
    # An admin edits the matcher rules.
    Step("GET", "/v1/admin/rules?limit=1", None, "RULES_PAGE"),
    Step("GET", "/v1/admin/lexicon?limit=1", None, "LEXICON_PAGE"),
    Step("POST", "/v1/admin/rules/dry-run", DRY_RUN_EXAMPLE, "DRY_RUN_RESULT"),
    Step(
        "PATCH",
        "/v1/admin/rules/technology.joint-research",
        lambda client: {"patterns": [*_rule(client, "technology.joint-research"), "産学共同"]},
        "RULE_WRITTEN",
        whole=frozenset({"patterns"}),
    ),
    Step(
        "POST",
        "/v1/admin/lexicon",
        {
            "kind": "synonyms",
            "entry": {
                "id": "example-crowdfunding",
                "canonical": "クラウドファンディング",
                "variants": ["クラファン"],
            },
        },
        "LEXICON_WRITTEN",
        status=201,
    ),
    # The yearly review: an admin records a KPI's actual (a sample value) and corrects it; an
    # analyst reads the year's figures.
    Step("PUT", ACTUAL_PATH, _schema_example(KpiActualPut), "KPI_ACTUAL_CREATED", status=201),
    Step(
        "PUT",
        ACTUAL_PATH,
        {**_schema_example(KpiActualPut), "value": 160, "text": "160社"},
        "KPI_ACTUAL_REPLACED",
    ),
    Step("GET", ACTUAL_PATH, None, "KPI_ACTUAL"),
    Step(
        "POST",
        "/v1/admin/api-keys",
        _schema_example(ApiKeyCreate, 2),
        status=201,
        secret_as="analyst",
    ),
    Step(
        "GET", "/v1/progress", None, "PROGRESS", key="analyst", whole=frozenset({"kpis", "columns"})
    ),
]


def _rule(client: TestClient, rule_id: str) -> list[Any]:
    headers = {"Authorization": f"Bearer {ADMIN_SECRET}"}
    patterns: list[Any] = client.get(f"/v1/admin/rules/{rule_id}", headers=headers).json()["rule"][
        "patterns"
    ]
    return patterns


def trimmed(value: Any, whole: frozenset[str] = frozenset(), keep: int = KEEP) -> Any:
    """`value` with every list cut to its first `keep` items, except lists under `whole` keys."""
    if isinstance(value, dict):
        return {
            k: v if k in whole and isinstance(v, list) else trimmed(v, whole, keep)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [trimmed(v, whole, keep) for v in value[:keep]]
    return value


def _write(out_dir: Path, name: str, value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=2) + "\n"
    (out_dir / examples.example_file(name).name).write_text(text, encoding="utf-8")


def generate(out_dir: Path) -> list[str]:
    """Run the read requests and the sample session on a fresh service; write one file each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        seeded_app(Path(tmp), read_seed(), BOOTSTRAP_ADMIN_KEY=ADMIN_SECRET) as app,
        TestClient(app) as client,
    ):
        admin = {"Authorization": f"Bearer {ADMIN_SECRET}"}
        for name, (method, path, body) in examples.SOURCES.items():
            response = client.request(method, path, json=body, headers=admin)
            if response.status_code != 200:
                raise SystemExit(f"{name}: {method} {path} answered {response.status_code}")
            _write(out_dir, name, trimmed(response.json()))
            written.append(name)
        secrets = {"admin": ADMIN_SECRET}
        for step in SESSION:
            body = step.body(client) if callable(step.body) else step.body
            headers = {"Authorization": f"Bearer {secrets[step.key]}"}
            if isinstance(body, bytes):
                headers["Content-Type"] = "text/csv; charset=utf-8"
                response = client.request(step.method, step.path, content=body, headers=headers)
            else:
                response = client.request(step.method, step.path, json=body, headers=headers)
            if response.status_code != step.status:
                raise SystemExit(
                    f"{step.method} {step.path} answered {response.status_code}, not "
                    f"{step.status}: {response.text[:500]}"
                )
            answer = response.json()
            if step.secret_as:
                secrets[step.secret_as] = answer["secret"]
            if step.name:
                _write(out_dir, step.name, trimmed(answer, step.whole))
                written.append(step.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.devtools.examples", description=__doc__)
    parser.add_argument("--out", type=Path, default=examples.EXAMPLES_DIR)
    args = parser.parse_args(argv)
    names = generate(args.out)
    print(f"wrote {len(names)} examples to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
