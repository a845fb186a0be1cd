from __future__ import annotations

from pathlib import Path

import pytest

from app.matching import CompiledRules, Normalizer, compile_rules, load_rules
from app.matching.snapshot import (
    ActionView,
    AgencyView,
    ContactPointView,
    DirectorySnapshot,
    MunicipalityView,
    NeedView,
    ProgrammeView,
    SupportTypeView,
)

SEED = Path(__file__).resolve().parents[2] / "seed"


@pytest.fixture(scope="session")
def normalizer() -> Normalizer:
    return Normalizer()


@pytest.fixture(scope="session")
def seed_rules(normalizer: Normalizer) -> CompiledRules:
    return compile_rules(load_rules(SEED / "rules", SEED / "lexicon.yaml"), normalizer)


@pytest.fixture(scope="session")
def seed_snapshot() -> DirectorySnapshot:
    from app.seeding.snapshot import snapshot_from_seed

    return snapshot_from_seed(SEED)


def contact(cid: str, agency: str, munis: tuple[str, ...] = (), **kw: object) -> ContactPointView:
    fields: dict[str, object] = {
        "id": cid,
        "name": f"{cid} 窓口",
        "agency_id": agency,
        "phones": (),
        "municipalities": munis,
        "prefecture_wide": not munis,
        "general_fallback": False,
        "verified": False,
        "detail_names": ("source",),
        "detail_values": ("test",),
    }
    fields.update(kw)
    return ContactPointView(**fields)  # type: ignore[arg-type]


@pytest.fixture()
def tiny_snapshot() -> DirectorySnapshot:
    """A hand-made directory: two finance agencies, one without the finance role."""
    sts = (
        SupportTypeView("startup", "創業支援", "Startup", 1),
        SupportTypeView("finance", "金融支援", "Finance", 6),
        SupportTypeView("technology", "技術支援", "Technology", 3),
    )
    agencies = {
        "bank": AgencyView("bank", "銀行", "銀行", frozenset({"finance"})),
        "lab": AgencyView("lab", "試験場", "試験場", frozenset({"technology"})),
        "club": AgencyView("club", "倶楽部", "倶楽部", frozenset({"startup"})),
        "club-hagi": AgencyView(
            "club-hagi", "倶楽部萩", "萩", frozenset(), parent_id="club", municipalities=("35204",)
        ),
        "desk": AgencyView("desk", "総合窓口", "窓口", frozenset()),
    }
    needs = {
        "loan": NeedView("loan", "融資を受けたい", "finance", (12,), ("lab", "bank")),
        "start": NeedView("start", "創業したい", "startup", (6,), ("club",)),
        "tech": NeedView("tech", "技術相談", "technology", (8,), ("lab",)),
    }
    actions = {
        6: ActionView(6, "創業支援の強化", 3),
        8: ActionView(8, "ものづくり", 3),
        12: ActionView(12, "金融支援の充実強化", 3),
    }
    programmes = {
        "p-loan": ProgrammeView("p-loan", "制度融資", "loan", ("bank",), (12,), ("finance",)),
        "p-start": ProgrammeView("p-start", "創業塾", "seminar_training", (), (6,), ("startup",)),
    }
    contacts = (
        contact("club-wide", "club"),
        contact("club-hagi-desk", "club-hagi", ("35204",)),
        contact("club-ube-desk", "club", ("35202",)),
        contact("bank-desk", "bank"),
        contact("fallback", "desk", general_fallback=True),
    )
    munis = {
        "35204": MunicipalityView("35204", "萩市"),
        "35202": MunicipalityView("35202", "宇部市"),
    }
    return DirectorySnapshot(1, sts, agencies, actions, programmes, needs, contacts, munis)


def write_rules(tmp: Path, body: str, lexicon: str = "synonyms: []\n") -> tuple[Path, Path]:
    rules_dir = tmp / "rules"
    rules_dir.mkdir(exist_ok=True)
    (rules_dir / "test.yaml").write_text(body, encoding="utf-8")
    lex = tmp / "lexicon.yaml"
    lex.write_text(lexicon, encoding="utf-8")
    return rules_dir, lex
