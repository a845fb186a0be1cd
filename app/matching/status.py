"""Whether a programme's entry has been confirmed: the one vocabulary that the programme API,
the /v1/match answer, the HSDS export, the CSV export, the console and the chatbot all read.

The plan's programmes come from a 2013 document. Served as they are, they would read as current;
until an editor confirms one (an admin POST or PATCH of the programme, or a row of a programme
CSV import), it is `unconfirmed` and says where it comes from: 「2013年の計画に記載（現状は要確認）」.

Pure Python: no web framework or database imports (the matcher reads it too).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

JST = timezone(timedelta(hours=9), "JST")  # Japan keeps no daylight saving time

# The year of やまぐち商工業推進計画: every programme of seed/programmes.yaml is named in it.
PLAN_YEAR = 2013


class ProgrammeStatus(StrEnum):
    unconfirmed = "unconfirmed"  # as the source (the 2013 plan) names it; nobody checked since
    confirmed = "confirmed"  # an editor confirmed it (status_confirmed_at)


# Short labels (badges, CSV); `status_label` below is the sentence the answers show.
STATUS_LABELS = {
    ProgrammeStatus.unconfirmed: "要確認",
    ProgrammeStatus.confirmed: "確認済み",
}


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they are stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def japan_date(value: datetime) -> date:
    """The calendar day in Japan of a stored (UTC) timestamp."""
    return as_utc(value).astimezone(JST).date()


def programme_status(confirmed_at: datetime | None) -> ProgrammeStatus:
    return ProgrammeStatus.unconfirmed if confirmed_at is None else ProgrammeStatus.confirmed


def status_label(as_of: int | None, confirmed_at: datetime | None) -> str:
    """The Japanese sentence for a programme's status: 「2013年の計画に記載（現状は要確認）」 until
    an editor confirms it, then 「2026年12月1日に確認済み」 (the day in Japan)."""
    if confirmed_at is None:
        if as_of is None:
            return "現状は要確認"
        return f"{as_of}年の計画に記載（現状は要確認）"
    day = japan_date(confirmed_at)
    return f"{day.year}年{day.month}月{day.day}日に確認済み"
