"""Examples for the OpenAPI document, kept as data: one JSON file per example beside this module.

`make examples` (``python -m app.devtools.examples``) writes every file from a freshly
seeded service, so no value here is typed by hand:

- read examples: the answer to the request named in `SOURCES`, lists cut to their first items;
  tests/test_openapi_docs.py checks that each is still a trimmed copy of the real answer;
- write examples: the answers of one sample session on the seeded directory (a front desk in 萩市
  refers a business to 山口県産業技術センター, the centre accepts, an admin edits the directory and
  the matcher rules). Their ids, keys and timestamps are those of that session; the enterprise
  name and contact are sample values.

An example is read as an attribute of this module: ``examples.MATCH`` is ``match.json``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

JSON = "application/json"
EXAMPLES_DIR = Path(__file__).resolve().parent

# The request (method, path, JSON body) whose answer is each read example.
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
    "KPI": ("GET", "/v1/kpis/startups-supported", None),
    "PROGRAMMES": ("GET", "/v1/programmes?support_type=finance&limit=2", None),
    "PROGRAMME": ("GET", "/v1/programmes/capex-expansion-loan", None),
    "MATCH": (
        "POST",
        "/v1/match",
        {"text": "パン屋を開業したい", "municipality": "萩市", "limit": 5},
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


def example_file(name: str) -> Path:
    return EXAMPLES_DIR / f"{name.lower()}.json"


@cache
def load(name: str) -> Any:
    path = example_file(name)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AttributeError(f"no example {name} ({path.name}): run `make examples`") from exc


def __getattr__(name: str) -> Any:
    if name.isupper():
        return load(name)
    raise AttributeError(name)


def example_response(
    value: Any, status: int = 200, description: str | None = None
) -> dict[int | str, dict[str, Any]]:
    """A `responses=` entry that adds an example to the operation's success response."""
    entry: dict[str, Any] = {"content": {JSON: {"example": value}}}
    if description:
        entry["description"] = description
    return {status: entry}
