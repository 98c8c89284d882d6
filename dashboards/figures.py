"""The managers' figures, computed by the database: counts, rates, delays, for some clinics and a period.

Every figure is an aggregate query (COUNT, SUM, GROUP BY); the percentiles are read by the database
too, by ordering the delays and taking the one or two rows around the rank, so no figure loads the
rows into Python. Periods are whole days in Montréal time: a day that changes clock (23 or 25
hours) is still one day, and its meetings belong to it.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone

from common.time import MONTREAL
from consent.models import ConsentKind, ConsentRecord
from directory.models import Clinic, Patient, TabletLoan, User
from directory.permissions import Capability, clinics_where
from documentation.models import Note, SignedDocument
from prescriptions.models import Channel, Prescription, Transmission
from scheduling.models import Appointment, Notice

Status = Appointment.Status
OUTCOME_STATUSES = [str(status) for status in Appointment.OUTCOMES]
# Meetings that took place remotely: what a patient did not travel for.
REMOTE_HELD = Q(status__in=[Status.HELD, Status.SWITCHED_TO_PHONE]) & ~Q(modality=Appointment.Modality.IN_PERSON)


@dataclass(frozen=True)
class Scope:
    """Which clinics, which days (both included, Montréal time), which platform ("" for all)."""

    clinics: tuple[int, ...]
    first_day: date
    last_day: date
    platform: str = ""

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=MONTREAL)

    @property
    def ends(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=MONTREAL)


@dataclass
class Percentiles:
    count: int = 0
    median_minutes: float | None = None
    p90_minutes: float | None = None


@dataclass
class Summary:
    scope: Scope
    total: int = 0
    by_modality: dict[str, int] = field(default_factory=dict)
    by_platform: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    weekly: list[dict[str, Any]] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    outcome_rates: dict[str, float | None] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    consent: dict[str, Any] = field(default_factory=dict)
    note_delay: Percentiles = field(default_factory=Percentiles)
    filing_delay: Percentiles = field(default_factory=Percentiles)
    waiting_for_archives: int = 0
    prescriptions: dict[str, Any] = field(default_factory=dict)
    readiness: dict[str, Any] = field(default_factory=dict)
    travel: dict[str, Any] = field(default_factory=dict)


def appointments_in(scope: Scope) -> QuerySet[Appointment]:
    appointments = Appointment.objects.filter(
        clinic_id__in=scope.clinics, start__gte=scope.starts, start__lt=scope.ends
    )
    if scope.platform:
        appointments = appointments.filter(platform=scope.platform)
    return appointments


def summary(scope: Scope) -> Summary:
    appointments = appointments_in(scope)
    result = Summary(scope=scope)
    result.by_modality = _counts(appointments, "modality")
    result.by_platform = _counts(appointments.exclude(platform=""), "platform")
    result.by_kind = _counts(appointments, "kind")
    result.total = sum(result.by_modality.values())
    result.weekly = weekly(appointments)
    result.outcomes = dict.fromkeys(OUTCOME_STATUSES, 0) | _counts(
        appointments.filter(status__in=OUTCOME_STATUSES), "status"
    )
    concluded = sum(result.outcomes.values())
    result.outcome_rates = {status: _rate(count, concluded) for status, count in result.outcomes.items()}
    result.failures = {kind: failure_rows(kind, scope).count() for kind in FAILURE_KINDS}
    result.consent = consent_coverage(appointments)
    result.note_delay = percentiles(note_delays(appointments))
    result.filing_delay = percentiles(filing_delays(scope))
    result.waiting_for_archives = waiting_for_archives(scope)
    result.prescriptions = prescription_figures(scope)
    result.readiness = readiness(appointments)
    result.travel = travel_avoided(appointments)
    return result


def _counts(queryset: QuerySet, name: str) -> dict[str, int]:
    return {row[name]: row["n"] for row in queryset.order_by().values(name).annotate(n=Count("pk"))}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def weekly(appointments: QuerySet[Appointment]) -> list[dict[str, Any]]:
    """Meetings per week (weeks start on Monday, Montréal time), by modality and platform, scheduled
    versus immediate, with the outcome counts that make the weekly rates."""
    rows = (
        appointments.order_by()
        .annotate(week=TruncWeek("start", tzinfo=MONTREAL))
        .values("week", "modality", "platform", "kind", "status")
        .annotate(n=Count("pk"))
    )
    weeks: dict[date, dict[str, Any]] = {}
    for row in rows:
        week = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
        entry = weeks.setdefault(
            week, {"week": week, "total": 0, "modality": {}, "platform": {}, "kind": {}, "outcomes": {}}
        )
        entry["total"] += row["n"]
        for name in ("modality", "platform", "kind"):
            if row[name]:
                entry[name][row[name]] = entry[name].get(row[name], 0) + row["n"]
        if row["status"] in OUTCOME_STATUSES:
            entry["outcomes"][row["status"]] = entry["outcomes"].get(row["status"], 0) + row["n"]
    for entry in weeks.values():
        concluded = sum(entry["outcomes"].values())
        entry["outcome_rates"] = {
            status: _rate(entry["outcomes"].get(status, 0), concluded) for status in OUTCOME_STATUSES
        }
    return [weeks[week] for week in sorted(weeks)]


# -- failures of the machinery, with the rows behind each number ----------------------------------------

FAILURE_KINDS = ("meeting_links", "invitations", "faxes_failed", "faxes_unconfirmed")


def failure_rows(kind: str, scope: Scope) -> QuerySet:
    """The rows behind a failure count (the list a manager clicks through to)."""
    appointments = appointments_in(scope)
    if kind == "meeting_links":
        return appointments.filter(meeting__delivery_status="failed").select_related("meeting", "clinic")
    if kind == "invitations":
        return Notice.objects.filter(
            participant__appointment__in=appointments, delivery_status="failed"
        ).select_related("participant__appointment__clinic")
    faxes = Transmission.objects.filter(prescription__in=prescriptions_of(scope), channel=Channel.FAX).select_related(
        "prescription__document"
    )
    if kind == "faxes_failed":
        return faxes.filter(status=Transmission.Status.FAILED)
    if kind == "faxes_unconfirmed":
        waited = timezone.now() - timedelta(hours=settings.FAX_CONFIRMATION_HOURS)
        return faxes.filter(status=Transmission.Status.SENT, sent_at__lt=waited)
    raise ValueError(kind)


# -- consent, documentation ----------------------------------------------------------------------------


def consent_coverage(appointments: QuerySet[Appointment]) -> dict[str, Any]:
    """Held meetings whose patient's telehealth consent was in force when the meeting ended."""
    latest_decision = (
        ConsentRecord.objects.filter(
            patient_id=OuterRef("patient_id"),
            kind=ConsentKind.TELEHEALTH,
            party=ConsentRecord.Party.PATIENT,
            given_at__lte=OuterRef("end"),
        )
        .order_by("-given_at", "-id")
        .values("decision")[:1]
    )
    held = appointments.filter(status=Status.HELD).order_by()
    covered = held.annotate(decision=Subquery(latest_decision)).filter(decision=ConsentRecord.Decision.GRANTED)
    held_count, covered_count = held.count(), covered.count()
    return {"held": held_count, "covered": covered_count, "rate": _rate(covered_count, held_count)}


def note_delays(appointments: QuerySet[Appointment]) -> QuerySet:
    """From the meeting's end to the signature of its first progress note (addenda are corrections)."""
    return (
        Note.objects.filter(appointment__in=appointments, document__isnull=False, addendum_to__isnull=True)
        .order_by()
        .annotate(
            delay=ExpressionWrapper(F("document__signed_at") - F("appointment__end"), output_field=DurationField())
        )
    )


def documents_by_source(scope: Scope, **filters) -> list[QuerySet[SignedDocument]]:
    """Signed documents written in the clinics of the scope, signed in the period, as two querysets:
    the notes' documents and the prescriptions' (a document is one or the other). Each joins from its
    own clinic index; one OR across both joined every document of the region to both tables first
    (seconds on five years of a region, see bench/notes/EXPLAIN.md)."""
    period = {"signed_at__gte": scope.starts, "signed_at__lt": scope.ends, **filters}
    return [
        SignedDocument.objects.filter(note__appointment__clinic_id__in=scope.clinics, **period),
        SignedDocument.objects.filter(prescription__clinic_id__in=scope.clinics, **period),
    ]


def waiting_for_archives(scope: Scope) -> int:
    return sum(
        documents.count() for documents in documents_by_source(scope, review_status=SignedDocument.Review.PENDING)
    )


def filing_delays(scope: Scope) -> QuerySet:
    """From the signature to the archivist's filing (one UNION ALL of both sources)."""
    notes, prescriptions = (
        documents.order_by()
        .annotate(delay=ExpressionWrapper(F("reviewed_at") - F("signed_at"), output_field=DurationField()))
        .values("delay")
        for documents in documents_by_source(scope, review_status=SignedDocument.Review.FILED)
    )
    return notes.union(prescriptions, all=True)


def percentiles(delays: QuerySet) -> Percentiles:
    """Median and 90th percentile, interpolated between ranks (as PostgreSQL's percentile_cont)."""
    count = delays.count()
    if not count:
        return Percentiles()
    return Percentiles(
        count=count, median_minutes=_percentile(delays, count, 0.5), p90_minutes=_percentile(delays, count, 0.9)
    )


def _percentile(delays: QuerySet, count: int, fraction: float) -> float:
    position = fraction * (count - 1)
    lower = int(position)
    values = list(delays.order_by("delay").values_list("delay", flat=True)[lower : lower + 2])
    low = values[0].total_seconds()
    high = values[-1].total_seconds()
    return round((low + (high - low) * (position - lower)) / 60, 1)


# -- prescriptions, readiness, travel -------------------------------------------------------------------


def prescriptions_of(scope: Scope) -> QuerySet[Prescription]:
    return Prescription.objects.filter(
        clinic_id__in=scope.clinics,
        status=Prescription.Status.SIGNED,
        document__signed_at__gte=scope.starts,
        document__signed_at__lt=scope.ends,
    )


def prescription_figures(scope: Scope) -> dict[str, Any]:
    prescriptions = prescriptions_of(scope)
    channels = (
        Transmission.objects.filter(prescription__in=prescriptions)
        .exclude(status=Transmission.Status.CANCELLED)
        .order_by()
        .values("prescription__category", "channel")
        .annotate(n=Count("pk"))
    )
    return {
        "by_category": _counts(prescriptions, "category"),
        "by_category_and_channel": [
            {"category": row["prescription__category"], "channel": row["channel"], "count": row["n"]}
            for row in channels.order_by("prescription__category", "channel")
        ],
    }


def readiness(appointments: QuerySet[Appointment]) -> dict[str, Any]:
    """Patients with a meeting in the period: how many need a tablet, how many lack adequate internet."""
    patients = Patient.objects.filter(Exists(appointments.filter(patient_id=OuterRef("pk"))))
    figures = patients.aggregate(
        patients=Count("pk"),
        tablet_needed=Count("pk", filter=Q(tablet_loan__in=[TabletLoan.NEEDED, TabletLoan.LENT])),
        no_internet=Count("pk", filter=Q(internet_ok=False)),
        internet_unknown=Count("pk", filter=Q(internet_ok__isnull=True)),
    )
    figures["tablet_needed_rate"] = _rate(figures["tablet_needed"], figures["patients"])
    figures["no_internet_rate"] = _rate(figures["no_internet"], figures["patients"])
    return figures


def travel_avoided(appointments: QuerySet[Appointment]) -> dict[str, Any]:
    """Each meeting held remotely spared the patient a return trip of the distance recorded on their
    file; the time is that distance at the average road speed of the setting."""
    remote = appointments.filter(REMOTE_HELD)
    figures = remote.aggregate(
        meetings=Count("pk"),
        with_distance=Count("pk", filter=Q(patient__travel_distance_km__isnull=False)),
        one_way_km=Sum("patient__travel_distance_km"),
    )
    kilometres = 2 * (figures.pop("one_way_km") or 0)
    figures["kilometres"] = kilometres
    figures["hours"] = round(kilometres / settings.TRAVEL_AVERAGE_KMH, 1)
    figures["average_kmh"] = settings.TRAVEL_AVERAGE_KMH
    return figures


def clinics_for(user: User) -> QuerySet[Clinic]:
    return clinics_where(user, Capability.VIEW_DASHBOARD)
