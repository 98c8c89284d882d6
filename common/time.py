"""Time helpers: the portal stores UTC and speaks Montréal time."""

import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateparse import parse_date

MONTREAL = ZoneInfo("America/Montreal")


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment, MONTREAL)


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 600.0) -> float:
    """Exponential backoff with full jitter: spreads retries so a recovering service is not stampeded."""
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 (jitter, not for security)  # nosec B311


def parse_day(value: str) -> date | None:
    """The date typed (YYYY-MM-DD), or None for one that is malformed or does not exist (2026-02-30)."""
    try:
        return parse_date(value or "")
    except ValueError:
        return None
