"""The API shape of a programme (its list item and the head of its detail)."""

from __future__ import annotations

from typing import Any

from app.schemas.directory import SourceOut
from app.schemas.programmes import ProgrammeOut, status_values


def programme_out(g: Any, values: dict[str, Any], links: dict[str, list[Any]]) -> ProgrammeOut:
    """The API shape of a programme, from a table row or a snapshot view (`g`: its aliases,
    source and confirmation time), its shared field values and its links (operators as
    AgencyRef, actions, measures, support types)."""
    return ProgrammeOut.model_validate(
        {
            **values,
            **status_values(values.get("as_of"), g.status_confirmed_at),
            "aliases": list(g.aliases),
            "operators": links.get("operators", []),
            "actions": links.get("actions", []),
            "measures": links.get("measures", []),
            "support_types": links.get("support_types", []),
            "source": SourceOut(section=g.source_section, page=g.source_page),
        }
    )
