"""The HSDS 3.0 API: every document validates against the official schemas (vendored in
docs/hsds-3.0/), paging math, filters, ids, provenance, errors."""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from partners import make_key, unique
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.engine import Engine

from app.core.config import PROJECT_ROOT
from app.seeding.loader import SeedBundle
from app.services.hsds import NAMESPACE, hsds_id

VENDORED = PROJECT_ROOT / "docs" / "hsds-3.0"
# CI places the shared specification beside the repository (../shared/hsds-3.0).
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "hsds-3.0"
BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
OPENAPI = "urn:madoguchi:hsds-3.0:openapi.json"
SCHEMA_FILES = [
    "compiled/organization.json",
    "compiled/organization_list.json",
    "compiled/service.json",
    "compiled/service_list.json",
    "taxonomy.json",
    "taxonomy_term.json",
    "metadata.json",
]
PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


# --- schema machinery -------------------------------------------------------------------------


def _format_checker() -> FormatChecker:
    """Draft 2020-12 formats; uri and date-time are checked here because their optional
    jsonschema backends (rfc3987, rfc3339-validator) are not installed."""
    checker = FormatChecker()

    @checker.checks("uri", raises=ValueError)
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and (parts.netloc or parts.path)) and " " not in value

    @checker.checks("date-time", raises=ValueError)
    def _datetime(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", value
        ):
            return False
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return checker


@cache
def _registry() -> Registry:
    resources = [
        (BASE + name, Resource.from_contents(_load(name), default_specification=DRAFT202012))
        for name in SCHEMA_FILES
    ]
    resources.append(
        (OPENAPI, Resource.from_contents(_load("openapi.json"), default_specification=DRAFT202012))
    )
    return Registry().with_resources(resources)


@cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VENDORED / name).read_text(encoding="utf-8"))
    return data


@cache
def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": ref}, registry=_registry(), format_checker=_format_checker()
    )


def _response_schema_ref(path: str) -> str:
    pointer = path.replace("~", "~0").replace("/", "~1")
    return f"{OPENAPI}#/paths/{pointer}/get/responses/200/content/application~1json/schema"


def assert_valid(doc: Any, ref: str) -> None:
    errors = sorted(_validator(ref).iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def assert_known_fields(doc: Any, schema: dict[str, Any], where: str = "$") -> None:
    """HSDS schemas allow extra properties; we do not emit any (a typo would pass otherwise)."""
    if isinstance(doc, dict) and "properties" in schema:
        unknown = set(doc) - set(schema["properties"])
        assert not unknown, f"{where}: fields not in the HSDS schema: {unknown}"
        for key, value in doc.items():
            assert_known_fields(value, schema["properties"][key], f"{where}.{key}")
    elif isinstance(doc, list) and "items" in schema:
        for i, item in enumerate(doc):
            assert_known_fields(item, schema["items"], f"{where}[{i}]")


def assert_page(body: dict[str, Any], path: str, item_schema: str) -> None:
    assert set(body) == PAGE_KEYS
    assert_valid(body, _response_schema_ref(path))
    for item in body["contents"]:
        assert_known_fields(item, _load(item_schema))


def all_pages(client: TestClient, path: str, per_page: int, **params: Any) -> list[dict]:
    pages = []
    number = 1
    while True:
        resp = client.get(
            f"/v1/hsds{path}", params={"page": number, "per_page": per_page, **params}
        )
        assert resp.status_code == 200, resp.text
        pages.append(resp.json())
        if resp.json()["last_page"]:
            return pages
        number += 1
        assert number < 1000


# --- the vendored copy ------------------------------------------------------------------------


def test_vendored_schemas_are_unmodified_copies_with_licence() -> None:
    assert (VENDORED / "LICENSE").read_text().startswith("The Human Services Data Specification")
    assert "CC BY-SA 4.0" in (VENDORED / "README.md").read_text()
    if not SHARED.is_dir():
        pytest.skip("../shared/hsds-3.0 is not present")
    for name in [*SCHEMA_FILES, "openapi.json", "LICENSE"]:
        assert (VENDORED / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_validator_rejects_a_broken_document() -> None:
    """The machinery is not vacuous: required fields, enums and formats are enforced."""
    ref = BASE + "compiled/service.json"
    good = {"id": str(uuid.uuid4()), "name": "x", "status": "active"}
    assert_valid(good, ref)
    for bad in (
        {"id": str(uuid.uuid4()), "name": "x"},
        {**good, "status": "open"},
        {**good, "id": "yipf"},
        {**good, "url": "not a url"},
        {**good, "last_modified": "2013-10"},
        {**good, "contacts": [{"name": "no id"}]},
    ):
        assert list(_validator(ref).iter_errors(bad)), bad
    page_ref = _response_schema_ref("/services")
    assert list(_validator(page_ref).iter_errors({"total_items": "3", "contents": []}))
    assert list(_validator(page_ref).iter_errors({"contents": [{"name": "x"}]}))


# --- root -------------------------------------------------------------------------------------


def test_root_describes_the_api(client: TestClient) -> None:
    resp = client.get("/v1/hsds/")
    assert resp.status_code == 200
    body = resp.json()
    assert_valid(body, _response_schema_ref("/"))
    assert body["version"] == "3.0"
    assert body["openapi_url"].endswith("/openapi.json")
    spec = client.get(urlsplit(body["openapi_url"]).path).json()
    assert "/v1/hsds/services/{id}" in spec["paths"]
    assert resp.headers["cache-control"] == "public, max-age=60"
    assert "etag" not in resp.headers


# --- organizations ----------------------------------------------------------------------------


def test_every_organization_validates_in_list_and_detail(client: TestClient) -> None:
    total = client.get("/v1/agencies").json()["total"]
    pages = all_pages(client, "/organizations", per_page=7)
    for body in pages:
        assert_page(body, "/organizations", "compiled/organization_list.json")
    ids = [o["id"] for body in pages for o in body["contents"]]
    assert len(ids) == len(set(ids)) == total == pages[0]["total_items"]
    assert pages[0]["contents"][0]["id"] == hsds_id("organization", "yipf")

    schema = _load("compiled/organization.json")
    for org_id in ids:
        resp = client.get(f"/v1/hsds/organizations/{org_id}")
        assert resp.status_code == 200
        assert resp.headers["cache-control"] == "public, max-age=60"
        doc = resp.json()
        assert_valid(doc, BASE + "compiled/organization.json")
        assert_known_fields(doc, schema)
        assert doc["id"] == org_id


def test_organization_mapping(client: TestClient) -> None:
    agency = client.get("/v1/agencies/yamaguchi-itc").json()
    by_native = client.get("/v1/hsds/organizations/yamaguchi-itc").json()
    by_uuid = client.get(f"/v1/hsds/organizations/{hsds_id('organization', 'yamaguchi-itc')}")
    assert by_uuid.json() == by_native
    assert by_native["name"] == agency["name"]
    assert by_native["organization_identifiers"][0]["identifier"] == "yamaguchi-itc"
    # the ○ of the role matrix as attributes linking to support-type terms
    codes = [a["taxonomy_term"]["code"] for a in by_native["attributes"]]
    assert codes == agency["roles"]
    assert {s["name"] for s in by_native["services"]} == {p["name"] for p in agency["programmes"]}
    # parent organisation
    child = client.get("/v1/hsds/organizations/hagi-cci").json()
    assert child["parent_organization_id"] == hsds_id("organization", "chambers-of-commerce")


def test_contacts_and_phones_are_the_contact_points_never_invented(client: TestClient) -> None:
    points = client.get("/v1/contact-points", params={"limit": 200}).json()["items"]
    seen: dict[str, dict] = {}
    for agency_id in {p["agency_id"] for p in points}:
        org = client.get(f"/v1/hsds/organizations/{agency_id}").json()
        for contact in org["contacts"]:
            seen[contact["id"]] = contact
    assert set(seen) == {hsds_id("contact", p["id"]) for p in points}
    for p in points:
        contact = seen[hsds_id("contact", p["id"])]
        assert contact["name"] == p["name"]
        numbers = [(ph["type"], ph["number"]) for ph in contact["phones"]]
        expected = [("voice", ph["number"]) for ph in p["phones"]]
        if p["fax"]:
            expected.append(("fax", p["fax"]))
        assert numbers == expected
        assert contact.get("email") == p["email"]
        meta = {m["field_name"]: m for m in contact["metadata"]}
        assert meta["source"]["replacement_value"] == p["source"]
        assert meta["source"]["updated_by"] == p["source"]
        assert meta["source"]["last_action_type"] == "seed"
        assert all(m["resource_id"] == contact["id"] for m in meta.values())
        if p["as_of"] is None:
            assert "as_of" not in meta
        else:
            assert meta["as_of"]["replacement_value"] == p["as_of"]
            is_date = re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", p["as_of"]) is not None
            assert (meta["as_of"]["last_action_date"] == p["as_of"]) is is_date
            assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", meta["as_of"]["last_action_date"])


# --- services ---------------------------------------------------------------------------------


def test_every_service_validates_and_paging_math(client: TestClient) -> None:
    total = client.get("/v1/programmes", params={"limit": 1}).json()["total"]
    per_page = 25
    pages = all_pages(client, "/services", per_page=per_page)
    expected_pages = math.ceil(total / per_page)
    assert len(pages) == expected_pages
    for number, body in enumerate(pages, start=1):
        assert_page(body, "/services", "compiled/service_list.json")
        assert body["total_items"] == total
        assert body["total_pages"] == expected_pages
        assert body["page_number"] == number
        assert body["first_page"] is (number == 1)
        assert body["last_page"] is (number == expected_pages)
        assert body["size"] == len(body["contents"])
        assert body["empty"] is False
    assert pages[-1]["size"] == total - per_page * (expected_pages - 1)
    assert all(b["size"] == per_page for b in pages[:-1])
    ids = [s["id"] for b in pages for s in b["contents"]]
    assert len(set(ids)) == total

    beyond = client.get("/v1/hsds/services", params={"page": expected_pages + 1}).json()
    assert_page(beyond, "/services", "compiled/service_list.json")
    assert beyond["contents"] == [] and beyond["empty"] and beyond["last_page"]
    assert beyond["size"] == 0 and beyond["total_items"] == total

    schema = _load("compiled/service.json")
    for service_id in ids:
        doc = client.get(f"/v1/hsds/services/{service_id}").json()
        assert_valid(doc, BASE + "compiled/service.json")
        assert_known_fields(doc, schema)
        assert doc["id"] == service_id and doc["status"] == "active"


def test_service_mapping(client: TestClient) -> None:
    programme = client.get("/v1/programmes/business-succession-desk").json()
    doc = client.get("/v1/hsds/services/business-succession-desk").json()
    assert doc == client.get(f"/v1/hsds/services/{hsds_id('service', programme['id'])}").json()
    assert doc["name"] == programme["name"] and doc["description"] == programme["description"]
    operators = [o["id"] for o in programme["operators"]]
    assert len(operators) >= 2
    assert doc["organization_id"] == hsds_id("organization", operators[0])
    assert doc["organization"]["name"] == programme["operators"][0]["name"]
    by_type: dict[str, list[Any]] = {}
    for attr in doc["attributes"]:
        by_type.setdefault(attr["link_type"], []).append(attr)
        assert attr["link_id"] == doc["id"] and attr["link_entity"] == "service"
    assert sorted(a["taxonomy_term"]["code"] for a in by_type["support_type"]) == sorted(
        programme["support_types"]
    )
    assert [a["taxonomy_term"]["code"] for a in by_type["plan_action"]] == [
        f"action-{n}" for n in programme["actions"]
    ]
    assert [a["value"] for a in by_type["additional_operator"]] == [
        hsds_id("organization", o) for o in operators[1:]
    ]
    assert by_type["madoguchi_programme_id"][0]["value"] == "business-succession-desk"
    assert any(m["field_name"] == "source" for m in doc["metadata"])
    assert all(m["resource_id"] == doc["id"] for m in doc["metadata"])


def test_programme_contact_point_is_a_service_contact(client: TestClient) -> None:
    points = client.get("/v1/contact-points", params={"limit": 200}).json()["items"]
    own = [p for p in points if p["programme_id"]]
    assert own, "the seed has a programme's own contact point"
    for p in own:
        doc = client.get(f"/v1/hsds/services/{p['programme_id']}").json()
        contact = next(c for c in doc["contacts"] if c["id"] == hsds_id("contact", p["id"]))
        assert contact["service_id"] == doc["id"]
        assert all(ph["service_id"] == doc["id"] for ph in contact["phones"])
    plain = client.get("/v1/hsds/services/business-succession-desk").json()
    assert plain["contacts"] == []


def _service_ids(client: TestClient, **params: Any) -> set[str]:
    return {
        s["id"]
        for b in all_pages(client, "/services", per_page=200, **params)
        for s in b["contents"]
    }


def _programme_ids(client: TestClient, **params: Any) -> set[str]:
    body = client.get("/v1/programmes", params={"limit": 200, **params}).json()
    return {hsds_id("service", p["id"]) for p in body["items"]}


def test_service_filters_match_the_native_api(client: TestClient) -> None:
    startup = _service_ids(client, taxonomy_term_id="startup")
    assert startup and startup == _programme_ids(client, support_type="startup")
    uuid_filter = _service_ids(
        client, taxonomy_term_id=hsds_id("taxonomy_term", "support-type:startup")
    )
    assert uuid_filter == startup
    assert _service_ids(client, taxonomy_term_id="action-6") == _programme_ids(client, action=6)
    actions_of_pillar3 = client.get(
        "/v1/hsds/taxonomy_terms", params={"parent_id": "pillar-3"}
    ).json()["contents"]
    pillar3 = set().union(
        *(_programme_ids(client, action=int(t["code"].split("-")[1])) for t in actions_of_pillar3)
    )
    assert _service_ids(client, taxonomy_term_id="pillar-3") == pillar3
    assert _service_ids(client, organization_id="yipf") == _programme_ids(client, agency="yipf")
    assert _service_ids(client, organization_id=hsds_id("organization", "yipf")) == _programme_ids(
        client, agency="yipf"
    )
    assert _service_ids(client, search="引継ぎ") == _programme_ids(client, q="引継ぎ")
    assert _service_ids(client, search="存在しない語ですよ") == set()
    all_ids = _service_ids(client)
    assert _service_ids(client, modified_after="2000-01-01T00:00:00Z") == all_ids
    assert _service_ids(client, modified_after="2999-01-01T00:00:00Z") == set()


# --- taxonomies -------------------------------------------------------------------------------


def test_taxonomies_and_terms_validate(client: TestClient) -> None:
    taxonomies = client.get("/v1/hsds/taxonomies").json()
    assert_page(taxonomies, "/taxonomies", "taxonomy.json")
    assert taxonomies["total_items"] == 2
    names = {t["name"] for t in taxonomies["contents"]}
    assert names == {"madoguchi support types", "やまぐち商工業推進計画 actions"}
    for t in taxonomies["contents"]:
        doc = client.get(f"/v1/hsds/taxonomies/{t['id']}").json()
        assert_valid(doc, BASE + "taxonomy.json")
        assert doc == t

    support_types = client.get("/v1/support-types").json()
    actions = client.get("/v1/actions").json()
    pillars = client.get("/v1/pillars").json()
    pages = all_pages(client, "/taxonomy_terms", per_page=5)
    terms = [t for b in pages for t in b["contents"]]
    for b in pages:
        assert_page(b, "/taxonomy_terms", "taxonomy_term.json")
    assert len(terms) == len(support_types) + len(actions) + len(pillars)
    by_code = {t["code"]: t for t in terms}
    for s in support_types:
        assert by_code[s["code"]]["name"] == s["name"]
    for a in actions:
        term = by_code[f"action-{a['number']}"]
        assert a["title"] in term["name"]
        assert term["parent_id"] == by_code[f"pillar-{a['pillar']['number']}"]["id"]
    assert all(t["language"] == "ja" for t in terms)
    for t in terms:
        doc = client.get(f"/v1/hsds/taxonomy_terms/{t['id']}").json()
        assert_valid(doc, BASE + "taxonomy_term.json")
        assert doc == t == client.get(f"/v1/hsds/taxonomy_terms/{t['code']}").json()

    top = client.get("/v1/hsds/taxonomy_terms", params={"top_only": True}).json()
    assert top["total_items"] == len(support_types) + len(pillars)
    st = client.get(
        "/v1/hsds/taxonomy_terms", params={"taxonomy_id": hsds_id("taxonomy", "support-types")}
    ).json()
    assert [t["code"] for t in st["contents"]] == [s["code"] for s in support_types]


def test_ids_are_deterministic_uuid5() -> None:
    assert hsds_id("organization", "yipf") == str(uuid.uuid5(NAMESPACE, "organization:yipf"))
    assert str(NAMESPACE) == "c6cd3486-feaf-5184-b483-ba6a70c8828d"
    assert hsds_id("organization", "yipf") != hsds_id("service", "yipf")


# --- errors -----------------------------------------------------------------------------------


def _problem(resp: Any, status: int) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert any(ord(ch) > 0x3000 for ch in resp.json()["detail"])


@pytest.mark.parametrize("kind", ["services", "organizations", "taxonomies", "taxonomy_terms"])
def test_unknown_ids_are_404(client: TestClient, kind: str) -> None:
    _problem(client.get(f"/v1/hsds/{kind}/{uuid.uuid4()}"), 404)
    _problem(client.get(f"/v1/hsds/{kind}/no-such-thing"), 404)
    _problem(client.get(f"/v1/hsds/{kind}/{'x' * 81}"), 422)


@pytest.mark.parametrize("kind", ["services", "organizations", "taxonomies", "taxonomy_terms"])
@pytest.mark.parametrize(
    "params",
    [{"page": 0}, {"page": -1}, {"page": "a"}, {"per_page": 0}, {"per_page": 201}],
)
def test_bad_paging_is_422(client: TestClient, kind: str, params: dict[str, Any]) -> None:
    _problem(client.get(f"/v1/hsds/{kind}", params=params), 422)


def test_bad_filters_are_422(client: TestClient) -> None:
    _problem(client.get("/v1/hsds/services", params={"taxonomy_term_id": "nope"}), 422)
    _problem(client.get("/v1/hsds/services", params={"taxonomy_id": "nope"}), 422)
    _problem(client.get("/v1/hsds/services", params={"organization_id": "nope"}), 422)
    _problem(client.get("/v1/hsds/services", params={"modified_after": "yesterday"}), 422)
    _problem(client.get("/v1/hsds/taxonomy_terms", params={"parent_id": "nope"}), 422)
    ok = client.get("/v1/hsds/services", params={"per_page": 200})
    assert ok.status_code == 200 and ok.json()["total_pages"] == 1


def test_last_action_date_is_the_seed_date_until_an_edit(
    client: TestClient, engine: Engine, seed_bundle: SeedBundle
) -> None:
    """A record nobody edited was last changed when the seed was checked (seed/dataset.yaml),
    whatever day the database was loaded; an edit stamps the day of the edit (UTC)."""
    seed_day = seed_bundle.as_of.isoformat()
    org = client.get("/v1/hsds/organizations/yamaguchi-itc").json()
    assert {m["last_action_date"] for m in org["metadata"]} == {seed_day}
    service = client.get("/v1/hsds/services/capex-expansion-loan").json()
    assert {m["last_action_date"] for m in service["metadata"]} == {seed_day}
    assert service["last_modified"].startswith(seed_day)

    admin = {"Authorization": f"Bearer {make_key(engine, 'admin')[1]}"}
    body = {
        "id": unique("hsds-dated"),
        "name": unique("日付確認用の機関"),
        "short_name": "日付確認",
        "category": "support_organisation",
        "roles": ["growth"],
    }
    assert client.post("/v1/admin/agencies", headers=admin, json=body).status_code == 201
    before = datetime.now(UTC).date().isoformat()
    patched = client.patch(
        f"/v1/admin/agencies/{body['id']}", headers=admin, json={"role_label": "日付確認"}
    )
    assert patched.status_code == 200, patched.text
    after = datetime.now(UTC).date().isoformat()
    edited = client.get(f"/v1/hsds/organizations/{body['id']}").json()
    assert {m["last_action_date"] for m in edited["metadata"]} <= {before, after}
