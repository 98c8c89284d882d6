"""FHIR search parameters, read without the database: dates with their prefixes, ids, references, paging.

Every malformed value raises `Invalid` with a sentence that says what was expected, so that a client
gets a 400 OperationOutcome and never a 500.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from uuid import UUID

from django.db.models import Q
from django.utils import timezone as django_timezone
from django.utils.translation import gettext as _

from common.errors import Invalid

# The prefixes of FHIR date search (http://hl7.org/fhir/R4/search.html#prefix). `ap` ("approximately")
# is left out on purpose: its width is the server's choice, and a hospital's query should not depend on it.
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")

_DATE = re.compile(
    r"^(?P<prefix>[a-z]{2})?"
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d{1,9})?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
DEFAULT_COUNT, MAX_COUNT = 25, 100


@dataclass(frozen=True)
class DateBound:
    """A searched date: its prefix and the instants it covers, from `start` (included) to `end` (excluded).

    FHIR dates are ranges as wide as their precision: `2026-01-31` is the whole day, `2026-01` the
    whole month, `2026-01-31T10:00` the whole minute.
    """

    prefix: str
    start: datetime
    end: datetime

    def condition(self, field: str) -> Q:
        """The rows whose instant in `field` matches; our searched values are instants, not ranges."""
        within = Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})
        return {
            "eq": within,
            "ne": ~within,
            "gt": Q(**{f"{field}__gte": self.end}),
            "sa": Q(**{f"{field}__gte": self.end}),
            "ge": Q(**{f"{field}__gte": self.start}),
            "lt": Q(**{f"{field}__lt": self.start}),
            "eb": Q(**{f"{field}__lt": self.start}),
            "le": Q(**{f"{field}__lt": self.end}),
        }[self.prefix]


def parse_date(text: str) -> DateBound:
    # A `+` in a query string arrives as a space when the client did not encode it (…T10:00:00+05:00).
    value = text.strip().replace(" ", "+")
    match = _DATE.match(value)
    if match is None:
        raise Invalid(
            _(
                "“%(value)s” is not a FHIR date: write it as 2026-01-31 or 2026-01-31T09:30:00-05:00, "
                "after a prefix such as ge or lt if needed."
            )
            % {"value": text},
            field="date",
        )
    prefix = match["prefix"] or "eq"
    if prefix == "ap":
        raise Invalid(
            _("The prefix ap (approximately) is not supported: give the range with ge and lt."),
            code="not_supported",
            field="date",
        )
    if prefix not in DATE_PREFIXES:
        raise Invalid(
            _("“%(prefix)s” is not a date prefix: use one of %(prefixes)s.")
            % {"prefix": prefix, "prefixes": ", ".join(DATE_PREFIXES)},
            field="date",
        )
    try:
        start, end = _range(match)
    except (ValueError, OverflowError):
        raise Invalid(_("“%(value)s” is not a real date or time.") % {"value": text}, field="date") from None
    return DateBound(prefix=prefix, start=start, end=end)


def _range(match: re.Match) -> tuple[datetime, datetime]:
    year, month, day = int(match["year"]), match["month"], match["day"]
    if month is None:
        return _local_midnight(date(year, 1, 1)), _local_midnight(date(year + 1, 1, 1))
    if day is None:
        first = date(year, int(month), 1)
        following = date(year + 1, 1, 1) if first.month == 12 else date(year, first.month + 1, 1)
        return _local_midnight(first), _local_midnight(following)
    if match["hour"] is None:
        the_day = date(year, int(month), int(day))
        return _local_midnight(the_day), _local_midnight(the_day + timedelta(days=1))
    fraction = match["fraction"] or ""
    moment = datetime(
        year,
        int(month),
        int(day),
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"] or 0),
        int(fraction[1:7].ljust(6, "0")) if fraction else 0,
        tzinfo=_zone(match["zone"]),
    )
    if match["second"] is None:
        width = timedelta(minutes=1)
    elif fraction:
        width = timedelta(microseconds=1)  # finer than our instants: the value itself
    else:
        width = timedelta(seconds=1)
    return moment, moment + width


def _zone(text: str | None):
    # Without a zone, FHIR lets the server assume its own: the portal speaks Montréal time.
    if text is None:
        return django_timezone.get_default_timezone()
    if text == "Z":
        return UTC
    sign = 1 if text[0] == "+" else -1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=django_timezone.get_default_timezone())


def date_condition(field: str, values: list[str]) -> Q:
    """Every `date` parameter must hold (AND); commas inside one parameter are alternatives (OR)."""
    condition = Q()
    for value in values:
        alternatives = Q(pk__in=[])
        for text in value.split(","):
            alternatives |= parse_date(text).condition(field)
        condition &= alternatives
    return condition


def parse_uuid(text: str, *, field: str) -> UUID:
    try:
        return UUID(text.strip())
    except ValueError:
        raise Invalid(
            _("“%(value)s” is not an id of this portal: ids are UUIDs such as 3f2b8e1c-0d4a-4c5e-9a7b-1c2d3e4f5a6b.")
            % {"value": text[:80]},
            field=field,
        ) from None


def parse_patient_reference(text: str) -> UUID:
    """`<id>`, `Patient/<id>` or an absolute URL ending in `Patient/<id>`, as FHIR allows."""
    value = text.strip()
    if "/" in value:
        kind, _slash, value = value.rstrip("/").rpartition("/")
        if not kind.endswith("Patient"):
            raise Invalid(
                _("The patient parameter refers to a Patient: give Patient/<id> or the id alone."), field="patient"
            )
    return parse_uuid(value, field="patient")


def parse_count(values: list[str]) -> int:
    """How many entries a page holds; a client asking for more than the maximum gets the maximum."""
    if not values:
        return DEFAULT_COUNT
    count = _whole_number(values, name="_count")
    return min(count, MAX_COUNT)


def parse_page(values: list[str]) -> int:
    if not values:
        return 1
    page = _whole_number(values, name="page")
    if page < 1:
        raise Invalid(_("Pages are numbered from 1."), field="page")
    return page


def _whole_number(values: list[str], *, name: str) -> int:
    if len(values) > 1:
        raise Invalid(_("Give %(name)s once.") % {"name": name}, field=name)
    text = values[0].strip()
    if not re.fullmatch(r"[0-9]{1,6}", text):
        raise Invalid(_("%(name)s is a whole number, such as 20.") % {"name": name}, field=name)
    return int(text)
