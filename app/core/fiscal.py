"""The Japanese fiscal year: April to March, in Japan time (Asia/Tokyo, which keeps no daylight
saving time). Fiscal year 2026 runs from 2026-04-01 00:00 JST to 2027-03-31 24:00 JST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
REIWA_FIRST_FISCAL_YEAR = 2019  # 令和元年度 (the year from April 2019)


def as_aware(at: datetime) -> datetime:
    """A stored timestamp with its zone: SQLite hands back naive UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def fiscal_year_of(at: datetime) -> int:
    """The fiscal year a moment belongs to, by the date in Japan."""
    local = as_aware(at).astimezone(JST)
    return local.year if local.month >= 4 else local.year - 1


def current_fiscal_year(now: datetime | None = None) -> int:
    return fiscal_year_of(now or datetime.now(UTC))


def fiscal_year_bounds(fiscal_year: int) -> tuple[datetime, datetime]:
    """[start, end) of a fiscal year, in UTC."""
    start = datetime(fiscal_year, 4, 1, tzinfo=JST)
    end = datetime(fiscal_year + 1, 4, 1, tzinfo=JST)
    return start.astimezone(UTC), end.astimezone(UTC)


def fiscal_year_label(fiscal_year: int) -> str:
    """2026 → 2026年度（令和8年度）, 2016 → 2016年度（平成28年度）, 2019 → 2019年度（令和元年度）."""
    if fiscal_year >= REIWA_FIRST_FISCAL_YEAR:
        n = fiscal_year - REIWA_FIRST_FISCAL_YEAR + 1
        era = "令和" + ("元" if n == 1 else str(n))
    else:
        era = f"平成{fiscal_year - 1988}"
    return f"{fiscal_year}年度（{era}年度）"
