"""The privacy officer's and the archives' actions: the incident register, legal holds, the register of
communications, and the retention purge."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record
from common.errors import Conflict, Invalid
from directory.models import Patient, User
from documentation.models import SignedDocument
from prescriptions.models import Channel, Transmission
from virtualcare.models import Meeting

from .models import CommunicationRecord, ConfidentialityIncident, DestructionRecord, LegalHold, RecipientKind
from .rules import legal_basis_for, purpose_for

# -- the register of confidentiality incidents ---------------------------------------------------------

INCIDENT_FIELDS = (
    "information_concerned",
    "information_unknown_reason",
    "circumstances",
    "occurred_from",
    "occurred_until",
    "learned_from",
    "learned_until",
    "persons_concerned",
    "persons_estimated",
    "risk_sensitivity",
    "risk_misuse",
    "risk_consequences",
    "risk_likelihood",
    "serious_injury_risk",
    "risk_conclusion",
    "cai_notified_on",
    "minister_notified_on",
    "persons_notified_on",
    "public_notice_on",
    "public_notice_details",
    "measures_taken",
)


def _apply_incident_fields(incident: ConfidentialityIncident, values: Mapping[str, Any]) -> list[str]:
    changed = []
    for name in INCIDENT_FIELDS:
        if name in values and getattr(incident, name) != values[name]:
            setattr(incident, name, values[name])
            changed.append(name)
    return changed


def _validated(incident: ConfidentialityIncident) -> None:
    try:
        incident.full_clean()
    except ValidationError as error:
        messages = error.messages
        raise Invalid(" ".join(str(message) for message in messages)) from error


@transaction.atomic
def record_incident(*, by: User, values: Mapping[str, Any]) -> ConfidentialityIncident:
    """Add an incident to the register (every incident, serious or not), audited INCIDENT_RECORD."""
    incident = ConfidentialityIncident(recorded_by=by)
    _apply_incident_fields(incident, values)
    _validated(incident)
    incident.save()
    record(
        actor=by,
        action=AuditEvent.Action.INCIDENT_RECORD,
        target=incident,
        details={"serious_injury_risk": incident.serious_injury_risk, "persons_concerned": incident.persons_concerned},
    )
    return incident


@transaction.atomic
def change_incident(
    incident: ConfidentialityIncident, *, by: User, values: Mapping[str, Any]
) -> ConfidentialityIncident:
    """Complete or correct an incident (a notice sent, a measure taken). The audit row names the fields
    changed, not their text; nothing changes when nothing differs."""
    incident = ConfidentialityIncident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    changed = _apply_incident_fields(incident, values)
    if not changed:
        return incident
    _validated(incident)
    incident.changed_by = by
    incident.save()
    record(actor=by, action=AuditEvent.Action.INCIDENT_CHANGE, target=incident, details={"fields": changed})
    return incident


# -- legal holds -------------------------------------------------------------------------------------------


@transaction.atomic
def place_legal_hold(*, by: User, patient: Patient, reason: str) -> LegalHold:
    """Stop the retention purge for the patient until the hold is lifted; one active hold per patient."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Say why the information must be kept."), field="reason")
    existing = LegalHold.objects.active().filter(patient=patient).first()
    if existing is not None:
        raise Conflict(_("This patient is already under a legal hold."), code="already_held")
    try:
        with transaction.atomic():
            hold = LegalHold.objects.create(
                patient=patient, reason=reason[:500], placed_by=by, placed_at=timezone.now()
            )
    except IntegrityError as error:  # two holds placed at once: the partial unique constraint keeps one
        raise Conflict(_("This patient is already under a legal hold."), code="already_held") from error
    record(actor=by, action=AuditEvent.Action.LEGAL_HOLD_SET, target=hold, patient=patient)
    return hold


@transaction.atomic
def lift_legal_hold(hold: LegalHold, *, by: User, reason: str) -> LegalHold:
    """End a hold (recorded with its reason); lifting twice changes nothing."""
    hold = LegalHold.objects.select_for_update(no_key=True).select_related("patient").get(pk=hold.pk)
    if not hold.is_active:
        return hold
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Say why the hold is lifted."), field="lift_reason")
    hold.lifted_by, hold.lifted_at, hold.lift_reason = by, timezone.now(), reason[:500]
    hold.save(update_fields=["lifted_by", "lifted_at", "lift_reason", "updated_at"])
    record(actor=by, action=AuditEvent.Action.LEGAL_HOLD_LIFTED, target=hold, patient=hold.patient)
    return hold


# -- the register of communications -------------------------------------------------------------------


def register_communication(*, transmission: Transmission, by: User) -> CommunicationRecord:
    """The register's row for a transmission, written in the caller's transaction (the one that queues
    it), so that no document leaves without its row. A second call returns the same row."""
    existing = CommunicationRecord.objects.filter(transmission=transmission).first()
    if existing is not None:
        return existing
    prescription = transmission.prescription
    recipient = transmission.recipient
    recipient_kind = recipient.kind if recipient is not None else RecipientKind.PATIENT
    return CommunicationRecord.objects.create(
        transmission=transmission,
        patient_id=prescription.patient_id,
        establishment_id=prescription.patient.establishment_id,
        document_kind=SignedDocument.Kind.PRESCRIPTION,
        document_category=prescription.category,
        recipient_kind=recipient_kind,
        recipient=recipient,
        recipient_name=recipient.name if recipient is not None else "",
        purpose=purpose_for(recipient_kind=recipient_kind, category=prescription.category),
        legal_basis=legal_basis_for(recipient_kind=recipient_kind),
        channel=transmission.channel,
        communicated_at=transmission.created_at,
        communicated_by=by,
    )


def record_communications_export(*, by: User, filters: Mapping[str, str], rows: int) -> None:
    record(actor=by, action=AuditEvent.Action.COMMUNICATIONS_EXPORT, details={"filters": dict(filters), "rows": rows})


# -- retention ---------------------------------------------------------------------------------------------

PURGE_TASK_LABEL = "privacy.tasks.purge_past_retention_task"
# Per kind and run: a first run on years of history stays a short transaction; the next runs continue.
PURGE_BATCH = 500


@dataclass
class PurgeReport:
    run_id: uuid.UUID
    destroyed: dict[str, int] = field(default_factory=dict)
    kept_under_hold: int = 0

    @property
    def total(self) -> int:
        return sum(self.destroyed.values())


def retention_days(rule: str) -> int:
    return int(settings.RETENTION_DAYS[rule])


@transaction.atomic
def purge_past_retention(*, by: User | None = None, now: datetime | None = None) -> PurgeReport:
    """Destroy what the portal still holds past its retention period (RETENTION_DAYS): the PDF copies
    of signed documents the record system has received, patients' download links, and the links and
    passcodes of past meetings. Never a document the archives have not received, never anything about
    a patient under a legal hold. Each destroyed item gets a destruction record; the run gets one
    audit row. Running it again destroys nothing more (each update re-checks its own condition).
    """
    now = now or timezone.now()
    report = PurgeReport(run_id=uuid.uuid4())
    held = list(LegalHold.objects.active().values_list("patient_id", flat=True))
    label = by.get_username() if by is not None else PURGE_TASK_LABEL
    records: list[DestructionRecord] = []

    def destroyed(item: str, *, item_type: str, item_id, patient_id, rule: str, reference_date, details=None):
        records.append(
            DestructionRecord(
                run_id=report.run_id,
                destroyed_at=now,
                item=item,
                item_type=item_type,
                item_id=str(item_id),
                patient_id=patient_id,
                rule=rule,
                retention_days=retention_days(rule),
                reference_date=reference_date,
                destroyed_by=by,
                destroyed_by_label=label,
                details=details or {},
            )
        )
        report.destroyed[item] = report.destroyed.get(item, 0) + 1

    for kind in (SignedDocument.Kind.PROGRESS_NOTE, SignedDocument.Kind.PRESCRIPTION):
        _purge_document_copies(kind, now=now, held=held, report=report, destroyed=destroyed)
    _purge_patient_links(now=now, held=held, report=report, destroyed=destroyed)
    _purge_meeting_details(now=now, held=held, report=report, destroyed=destroyed)
    DestructionRecord.objects.bulk_create(records)
    record(
        actor=by,
        action=AuditEvent.Action.RETENTION_PURGE,
        target_id=str(report.run_id),
        details={
            "run": str(report.run_id),
            "destroyed": report.destroyed,
            "kept_under_hold": report.kept_under_hold,
            "rules": dict(settings.RETENTION_DAYS),
        },
    )
    return report


def _purge_document_copies(kind: str, *, now, held, report: PurgeReport, destroyed) -> None:
    """The portal's copy of a signed PDF, counted from the record system's receipt. A document not yet
    filed, not yet received, or still needed by a transmission is not a candidate at all."""
    cutoff = now - timedelta(days=retention_days(kind))
    received = SignedDocument.objects.filter(
        kind=kind,
        pdf__isnull=False,
        review_status=SignedDocument.Review.FILED,
        delivery_status="done",
        delivered_at__isnull=False,
        delivered_at__lt=cutoff,
        copy_held_for_transmission=False,
    )
    report.kept_under_hold += received.filter(patient_id__in=held).count()
    candidates = received.exclude(patient_id__in=held).order_by("pk")
    rows = candidates.values_list("pk", "public_id", "patient__public_id", "delivered_at", "pdf_sha256", "file_name")
    for pk, public_id, patient_id, delivered_at, sha256, file_name in rows[:PURGE_BATCH]:
        # The same conditions again, in the UPDATE itself: a copy a transmission took back meanwhile stays.
        if candidates.filter(pk=pk).update(pdf=None, copy_removed_at=now, updated_at=now):
            destroyed(
                "document_pdf",
                item_type="signeddocument",
                item_id=public_id,
                patient_id=patient_id,
                rule=kind,
                reference_date=delivered_at,
                details={"sha256": sha256, "file_name": file_name},
            )


def _purge_patient_links(*, now, held, report: PurgeReport, destroyed) -> None:
    """A patient's download link past its expiry: the hash of its secret goes, so it can never work again."""
    rule = "patient_link"
    cutoff = now - timedelta(days=retention_days(rule))
    expired = Transmission.objects.filter(channel=Channel.PATIENT_LINK, link_expires_at__lt=cutoff).exclude(
        link_token_hash=""  # no token left  # nosec B106
    )
    report.kept_under_hold += expired.filter(prescription__patient_id__in=held).count()
    candidates = expired.exclude(prescription__patient_id__in=held).order_by("pk")
    rows = candidates.values_list("pk", "public_id", "prescription__patient__public_id", "link_expires_at")
    for pk, public_id, patient_id, expires_at in rows[:PURGE_BATCH]:
        if candidates.filter(pk=pk).update(link_token_hash="", updated_at=now):  # destroys the token  # nosec B106
            destroyed(
                "patient_link",
                item_type="transmission",
                item_id=public_id,
                patient_id=patient_id,
                rule=rule,
                reference_date=expires_at,
            )


def _purge_meeting_details(*, now, held, report: PurgeReport, destroyed) -> None:
    """The join and host links, passcode and dial-in of a meeting long over: the appointment, its
    participants and its outcome stay (they are the care history)."""
    rule = "meeting_details"
    cutoff = now - timedelta(days=retention_days(rule))
    past = (
        Meeting.objects.filter(end__lt=cutoff)
        .exclude(delivery_status="pending")  # a worker may still be talking to the platform
        .exclude(join_url="", host_url="", passcode="", dial_in="")
    )
    report.kept_under_hold += past.filter(appointment__patient_id__in=held).count()
    candidates = past.exclude(appointment__patient_id__in=held).order_by("pk")
    rows = candidates.values_list("pk", "public_id", "appointment__patient__public_id", "end", "provider")
    for pk, public_id, patient_id, end, provider in rows[:PURGE_BATCH]:
        if candidates.filter(pk=pk).update(join_url="", host_url="", passcode="", dial_in="", updated_at=now):
            destroyed(
                "meeting_details",
                item_type="meeting",
                item_id=public_id,
                patient_id=patient_id,
                rule=rule,
                reference_date=end,
                details={"provider": provider},
            )
