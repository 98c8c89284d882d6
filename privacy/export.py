"""Everything the portal holds on one patient, for an access or portability request (A-2.1 s. 63.5 as
amended by Law 25; P-39.1 s. 3.3 and 27; R-22.1 right of access): one structured JSON document and the
PDFs the portal still holds, in a ZIP file.

Every query starts from the patient, so that nothing about another patient can slip in.
"""

import io
import json
import zipfile
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record
from consent.models import ConsentRecord
from directory.models import Patient, User
from documentation.models import Note, SignedDocument
from prescriptions.models import Prescription, Transmission
from scheduling.models import Appointment

from .models import CommunicationRecord, DestructionRecord, LegalHold

FORMAT_VERSION = 1


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date | UUID):
        return value.isoformat() if not isinstance(value, UUID) else str(value)
    return str(value)


def patient_export_document(patient: Patient) -> dict:
    """The structured document: what the portal holds on the patient, item by item."""
    patient = Patient.objects.select_related("establishment", "imaging_lab").get(pk=patient.pk)
    return {
        "format": "telesante.patient-export",
        "version": FORMAT_VERSION,
        "exported_at": timezone.now(),
        "patient": _patient(patient),
        "appointments": [_appointment(appointment) for appointment in _appointments(patient)],
        "consents": [_consent(consent) for consent in ConsentRecord.objects.filter(patient=patient).latest_first()],
        "notes": [_note(note) for note in Note.objects.filter(patient=patient).select_related("author", "document")],
        "prescriptions": [_prescription(prescription) for prescription in _prescriptions(patient)],
        "documents": [_document(document) for document in SignedDocument.objects.filter(patient=patient)],
        "communications": [
            _communication(row)
            for row in CommunicationRecord.objects.filter(patient=patient).select_related(
                "communicated_by", "transmission"
            )
        ],
        "legal_holds": [
            {"placed_at": hold.placed_at, "reason": hold.reason, "lifted_at": hold.lifted_at}
            for hold in LegalHold.objects.filter(patient=patient)
        ],
        "destructions": [
            {
                "destroyed_at": row.destroyed_at,
                "what": row.item,
                "object": row.item_id,
                "rule": row.rule,
                "retention_days": row.retention_days,
            }
            for row in DestructionRecord.objects.filter(patient_id=patient.public_id)
        ],
        "access_log": [_audit(event) for event in AuditEvent.objects.for_patient(patient.public_id)],
    }


def _patient(patient: Patient) -> dict:
    return {
        "id": patient.public_id,
        "establishment": patient.establishment.name,
        "clinics": [clinic.name for clinic in patient.clinics.all()],
        "last_name": patient.last_name,
        "first_name": patient.first_name,
        "date_of_birth": patient.date_of_birth,
        "sex": patient.sex,
        "nam": patient.nam_display,
        "other_identifier_kind": patient.fallback_identifier_kind,
        "other_identifier": patient.fallback_identifier,
        "file_number": patient.file_number,
        "phone": str(patient.phone or ""),
        "alternative_phone": str(patient.alternative_phone or ""),
        "email": patient.email,
        "preferred_language": patient.preferred_language,
        "postal_code": patient.postal_code,
        "internet_ok": patient.internet_ok,
        "device_ok": patient.device_ok,
        "tablet_loan": patient.tablet_loan,
        "travel_distance_km": patient.travel_distance_km,
        "imaging_lab": patient.imaging_lab.name if patient.imaging_lab else "",
        "created_at": patient.created_at,
        "updated_at": patient.updated_at,
    }


def _appointments(patient: Patient):
    return (
        Appointment.objects.filter(patient=patient)
        .select_related("clinic", "organizer", "meeting")
        .prefetch_related("participants__notices", "status_changes__changed_by")
        .order_by("start", "id")
    )


def _appointment(appointment: Appointment) -> dict:
    meeting = appointment.meeting
    return {
        "id": appointment.public_id,
        "clinic": appointment.clinic.name,
        "organizer": _person(appointment.organizer),
        "start": appointment.start,
        "end": appointment.end,
        "kind": appointment.kind,
        "modality": appointment.modality,
        "platform": appointment.platform,
        "reason": appointment.reason,
        "reason_details": appointment.reason_details,
        "fallback_phone": str(appointment.fallback_phone or ""),
        "internet_ok": appointment.internet_ok,
        "device_ok": appointment.device_ok,
        "tablet_loan": appointment.tablet_loan,
        "status": appointment.status,
        "outcome_details": appointment.outcome_details,
        "recorded": appointment.recorded,
        "participants": [
            {
                "role": participant.role,
                "name": participant.name,
                "email": participant.email,
                "language": participant.language,
                "interpretation_language": participant.interpretation_language,
                "notices": [
                    {"kind": notice.kind, "delivery": notice.delivery_status, "delivered_at": notice.delivered_at}
                    for notice in participant.notices.all()
                ],
            }
            for participant in appointment.participants.all()
        ],
        # The host link is the organizer's own credential, not information about the patient.
        "meeting": (
            {
                "id": meeting.public_id,
                "platform": meeting.provider,
                "subject": meeting.subject,
                "start": meeting.start,
                "end": meeting.end,
                "join_url": meeting.join_url,
                "dial_in": meeting.dial_in,
                "state": meeting.state,
            }
            if meeting is not None
            else None
        ),
        "status_changes": [
            {
                "from": change.from_status,
                "to": change.to_status,
                "by": _person(change.changed_by),
                "at": change.changed_at,
                "note": change.note,
            }
            for change in appointment.status_changes.all()
        ],
    }


def _consent(consent: ConsentRecord) -> dict:
    return {
        "id": consent.public_id,
        "kind": consent.kind,
        "party": consent.party,
        "decision": consent.decision,
        "method": consent.method,
        "script_version": consent.script_version,
        "language": consent.language,
        "appointment": consent.appointment_id,
        "given_at": consent.given_at,
        "recorded_by": _person(consent.recorded_by),
    }


def _note(note: Note) -> dict:
    return {
        "id": note.public_id,
        "appointment": note.appointment.public_id if note.appointment_id else None,
        "author": _person(note.author),
        "status": note.status,
        "structure": note.structure,
        "sections": note.sections,
        "addendum_to": note.addendum_to.public_id if note.addendum_to_id else None,
        "document": note.document.file_name if note.document_id else "",
        "created_at": note.created_at,
    }


def _prescriptions(patient: Patient):
    return (
        Prescription.objects.filter(patient=patient)
        .select_related("author", "clinic", "recipient", "document", "appointment")
        .prefetch_related("lines", "transmissions__requested_by")
    )


def _prescription(prescription: Prescription) -> dict:
    return {
        "id": prescription.public_id,
        "clinic": prescription.clinic.name,
        "appointment": prescription.appointment.public_id if prescription.appointment_id else None,
        "prescriber": _person(prescription.author),
        "category": prescription.category,
        "status": prescription.status,
        "no_known_allergies": prescription.no_known_allergies,
        "allergies": prescription.allergies,
        "therapeutic_intent": prescription.therapeutic_intent,
        "instructions": prescription.instructions,
        "callback_phone": str(prescription.callback_phone or ""),
        "lines": [line.as_text() for line in prescription.lines.all()],
        "recipient": prescription.recipient.name if prescription.recipient_id else "",
        "to_patient": prescription.to_patient,
        "document": prescription.document.file_name if prescription.document_id else "",
        "created_at": prescription.created_at,
        "transmissions": [_transmission(transmission) for transmission in prescription.transmissions.all()],
    }


def _transmission(transmission: Transmission) -> dict:
    # The link's secret hash and the mail system's message id are the portal's plumbing, not the patient's.
    return {
        "id": transmission.public_id,
        "recipient": transmission.recipient_name,
        "channel": transmission.channel,
        "address": transmission.address,
        "status": transmission.status,
        "requested_by": _person(transmission.requested_by),
        "created_at": transmission.created_at,
        "sent_at": transmission.sent_at,
        "confirmed_at": transmission.confirmed_at,
        "failure_reason": transmission.failure_reason,
        "cancelled_reason": transmission.cancelled_reason,
        "link_expires_at": transmission.link_expires_at,
        "downloaded_at": transmission.downloaded_at,
    }


def _document(document: SignedDocument) -> dict:
    return {
        "id": document.public_id,
        "form": document.kind,
        "file_name": document.file_name,
        "signed_at": document.signed_at,
        "sha256": document.pdf_sha256,
        "review": document.review_status,
        "record_reference": document.record_reference,
        "portal_copy": document.pdf is not None,
        "copy_removed_at": document.copy_removed_at,
    }


def _communication(row: CommunicationRecord) -> dict:
    return {
        "id": row.public_id,
        "transmission": row.transmission.public_id,
        "date": row.communicated_at,
        "information": f"{row.document_kind} {row.document_category}",
        "recipient_kind": row.recipient_kind,
        "recipient": row.recipient_name,
        "purpose": row.purpose,
        "justification": row.legal_basis,
        "channel": row.channel,
        "communicated_by": _person(row.communicated_by),
    }


def _audit(event: AuditEvent) -> dict:
    # Who saw or changed what, and when (R-22.1 s. 103); the staff's IP addresses are theirs, not the patient's.
    return {
        "when": event.occurred_at,
        "who": event.actor_username,
        "what": event.action,
        "object_type": event.target_type,
        "object": event.target_id,
        "channel": event.channel,
    }


@transaction.atomic
def export_patient(patient: Patient, *, by: User) -> bytes:
    """The ZIP of the access request (patient.json and the PDFs the portal still holds), audited
    PATIENT_EXPORT before it is built, so that the export lists itself."""
    documents = SignedDocument.objects.filter(patient=patient, pdf__isnull=False).order_by("signed_at", "id")
    record(
        actor=by,
        action=AuditEvent.Action.PATIENT_EXPORT,
        target=patient,
        patient=patient,
        details={"pdfs": documents.count()},
    )
    content = patient_export_document(patient)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "patient.json", json.dumps(content, default=_json_default, ensure_ascii=False, indent=2, sort_keys=False)
        )
        for document in documents:
            archive.writestr(f"pdf/{document.file_name}", bytes(document.pdf))
    return buffer.getvalue()
