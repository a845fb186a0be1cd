"""Table models; importing this package registers every table on ``SQLModel.metadata``."""

from app.models.access import ApiKey, AuditEntry
from app.models.conversations import Conversation, LineEventSeen
from app.models.directory import (
    Agency,
    AgencyMunicipality,
    AgencyRole,
    ContactPoint,
    ContactPointMunicipality,
    Municipality,
    SupportType,
)
from app.models.national import NationalProgramme, NationalSyncRun
from app.models.needs import Need, NeedAction, NeedAgency
from app.models.plan import (
    Action,
    Initiative,
    InitiativeBody,
    Kpi,
    KpiAction,
    KpiActual,
    Measure,
    Pillar,
    ScheduleEntry,
)
from app.models.programmes import (
    Programme,
    ProgrammeAction,
    ProgrammeMeasure,
    ProgrammeOperator,
    ProgrammeSupportType,
)
from app.models.referrals import Referral, ReferralEvent
from app.models.rules import LexiconEntry, MatcherRule
from app.models.state import DirectoryState

__all__ = [
    "Action",
    "Agency",
    "AgencyMunicipality",
    "AgencyRole",
    "ApiKey",
    "AuditEntry",
    "ContactPoint",
    "ContactPointMunicipality",
    "Conversation",
    "DirectoryState",
    "Initiative",
    "InitiativeBody",
    "Kpi",
    "KpiAction",
    "KpiActual",
    "LexiconEntry",
    "LineEventSeen",
    "MatcherRule",
    "Measure",
    "Municipality",
    "NationalProgramme",
    "NationalSyncRun",
    "Need",
    "NeedAction",
    "NeedAgency",
    "Pillar",
    "Programme",
    "ProgrammeAction",
    "ProgrammeMeasure",
    "ProgrammeOperator",
    "ProgrammeSupportType",
    "Referral",
    "ReferralEvent",
    "ScheduleEntry",
    "SupportType",
]
