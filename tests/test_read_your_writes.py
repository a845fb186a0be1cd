"""An admin edit is served by the worker that acknowledged it, before any background check."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from fresh_app import seeded_app

from app.seeding.loader import SeedBundle

ADMIN = "read-your-writes-admin-key-0123456789"


def test_the_editors_next_match_sees_the_rule_edit(tmp_path: Path, seed_bundle: SeedBundle) -> None:
    # An hour between background checks: only the refresh after the write can show the edit.
    with (
        seeded_app(
            tmp_path, seed_bundle, SNAPSHOT_CHECK_SECONDS=3600.0, BOOTSTRAP_ADMIN_KEY=ADMIN
        ) as app,
        TestClient(app) as client,
    ):
        headers = {"Authorization": f"Bearer {ADMIN}"}
        word = "ヌポラピヌ"
        before = client.post("/v1/match", json={"text": f"{word}をしたい"}).json()
        assert not before["matched"]
        rule = client.get("/v1/admin/rules/technology.joint-research", headers=headers).json()
        patched = client.patch(
            "/v1/admin/rules/technology.joint-research",
            headers=headers,
            params={"force": "true"},
            json={"patterns": [*rule["rule"]["patterns"], word]},
        )
        assert patched.status_code == 200, patched.text
        after = client.post("/v1/match", json={"text": f"{word}をしたい"}).json()
        assert after["matched"]
        assert after["snapshot_version"] > before["snapshot_version"]
        reasons = [e["rule_id"] for n in after["needs"] for e in n["evidence"]]
        assert "technology.joint-research" in reasons

        # a read-only admin call and a refused write leave the snapshot as it is
        version = after["snapshot_version"]
        refused = client.patch(
            "/v1/admin/rules/technology.joint-research",
            headers={**headers, "If-Match": '"0"'},
            json={"weight": 0.5},
        )
        assert refused.status_code == 412
        assert client.post("/v1/match", json={"text": "共同研究"}).json()["snapshot_version"] == (
            version
        )
