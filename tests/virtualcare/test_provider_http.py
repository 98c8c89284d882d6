"""Reading Retry-After, the one header every provider uses differently."""

from datetime import UTC, datetime

import pytest

from virtualcare.providers.http import parse_retry_after, seconds_until_next_utc_midnight

NOW = datetime(2026, 12, 3, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2.128", 2.128),  # Graph's own example
        ("0", 0.0),
        (" 30 ", 30.0),
        ("7200", 3600.0),  # capped at an hour
        ("Thu, 03 Dec 2026 22:00:45 GMT", 45.0),  # HTTP-date
        ("2026-12-03T22:10:00Z", 600.0),  # Zoom's daily limit, ISO
        ("2026-12-04T00:00:00", 3600.0),  # no zone means GMT; more than an hour away is capped
        ("2026-12-03T21:00:00Z", 0.0),  # already past
        ("-5", None),
        ("nan", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date_and_capped(header, seconds):
    assert parse_retry_after(header, now=NOW) == (None if seconds is None else pytest.approx(seconds))


def test_the_next_utc_midnight_is_counted_from_now():
    assert seconds_until_next_utc_midnight(NOW) == 2 * 3600
