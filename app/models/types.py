"""Value types with their validation, shared by the entity base classes (app/models), the seed
(app/seeding/schema.py) and the API's request models: a value is checked the same way whichever
door it comes in by."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^[0-9][0-9-]{8,14}$")]
PostalCode = Annotated[str, StringConstraints(pattern=r"^\d{3}-\d{4}$")]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Url = Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://\S+$")]
MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^35\d{3}$")]


class ProgrammeKind(StrEnum):
    subsidy = "subsidy"
    loan = "loan"
    guarantee = "guarantee"
    investment = "investment"
    tax_incentive = "tax_incentive"
    consultation = "consultation"
    expert_dispatch = "expert_dispatch"
    seminar_training = "seminar_training"
    certification = "certification"
    matching_event = "matching_event"
    facility = "facility"
    network_council = "network_council"
    other = "other"
