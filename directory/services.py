"""Actions on the directory: registering and updating patients, choosing a language."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record
from common.errors import Conflict, Invalid, NotAllowed

from .models import Clinic, EmergencyAccess, Patient, Recipient, User
from .nam import normalize as normalize_nam
from .permissions import (
    Capability,
    can_request_emergency_access,
    can_review_emergency_access,
    clinics_where,
    patients_visible_to,
)

PATIENT_EDITABLE_FIELDS = (
    "last_name",
    "first_name",
    "date_of_birth",
    "sex",
    "nam",
    "nam_check_digit_confirmed",
    "fallback_identifier_kind",
    "fallback_identifier",
    "file_number",
    "phone",
    "alternative_phone",
    "email",
    "preferred_language",
    "postal_code",
    "internet_ok",
    "device_ok",
    "tablet_loan",
    "travel_distance_km",
)


@dataclass
class PatientResult:
    patient: Patient
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def register_patient(*, by: User, clinic: Clinic, details: Mapping[str, Any]) -> PatientResult:
    """Register a patient in the clinic's establishment, followed by that clinic.

    Refuses a clinic where the user may not register patients, and any detail that breaks the
    patient rules (ValidationError with the field and a sentence).
    """
    if not clinics_where(by, Capability.CREATE_PATIENT).filter(pk=clinic.pk).exists():
        raise NotAllowed(_("You cannot register patients in this clinic."))
    patient = Patient(establishment=clinic.establishment)
    _apply(patient, details)
    _save_checked(patient)
    patient.clinics.add(clinic)
    record(
        actor=by,
        action=AuditEvent.Action.PATIENT_CREATE,
        target=patient,
        patient=patient,
        details={"clinic": str(clinic.public_id), **_nam_confirmation(patient)},
    )
    return PatientResult(patient, patient.nam_warnings())


@transaction.atomic
def update_patient(patient: Patient, *, by: User, details: Mapping[str, Any]) -> PatientResult:
    """Change a patient's information; the audit trail keeps which fields changed, not their values."""
    patient = Patient.objects.select_for_update(no_key=True).get(pk=patient.pk)
    before = {name: getattr(patient, name) for name in PATIENT_EDITABLE_FIELDS}
    _apply(patient, details)
    _save_checked(patient)
    changed = sorted(name for name in PATIENT_EDITABLE_FIELDS if getattr(patient, name) != before[name])
    if changed:
        record(
            actor=by,
            action=AuditEvent.Action.PATIENT_CHANGE,
            target=patient,
            patient=patient,
            details={"fields": changed, **_nam_confirmation(patient)},
        )
    return PatientResult(patient, patient.nam_warnings())


def choose_language(user: User, *, language: str) -> User:
    """Remember the interface language on the account, so it follows the person everywhere."""
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
        record(actor=user, action=AuditEvent.Action.LANGUAGE_CHANGED, details={"language": language})
    return user


def _apply(patient: Patient, details: Mapping[str, Any]) -> None:
    previous_nam = patient.nam
    for name in PATIENT_EDITABLE_FIELDS:
        if name in details:
            setattr(patient, name, details[name])
    if normalize_nam(patient.nam) != previous_nam and "nam_check_digit_confirmed" not in details:
        # A confirmation was given for the number read then, not for a new one.
        patient.nam_check_digit_confirmed = False


def _save_checked(patient: Patient) -> None:
    patient.full_clean()
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as error:
        # Another request registered the same file number or NAM between our check and our save.
        raise ValidationError(
            {"file_number": _("Another patient of this establishment already has this file number or NAM.")}
        ) from error


def _nam_confirmation(patient: Patient) -> dict[str, bool]:
    # A check digit accepted on the user's word is worth a trace.
    return {"nam_check_digit_confirmed": True} if patient.nam and patient.nam_check_digit_confirmed else {}


@transaction.atomic
def record_imaging_lab_choice(patient: Patient, *, lab: Recipient, by: User) -> Patient:
    """The imaging lab the patient chose: an imaging order may go only there (DOMAIN.md, Routing)."""
    if lab.kind not in Recipient.IMAGING_KINDS:
        raise Invalid(_("Choose an imaging lab or a radiology service."), field="imaging_lab")
    if patient.imaging_lab_id == lab.pk:
        return patient
    previous = patient.imaging_lab.name if patient.imaging_lab_id else ""
    patient.imaging_lab = lab
    patient.save(update_fields=["imaging_lab", "updated_at"])
    record(
        actor=by,
        action=AuditEvent.Action.PATIENT_CHANGE,
        target=patient,
        patient=patient,
        details={"imaging_lab": lab.name, "previous_imaging_lab": previous},
    )
    return patient


def end_other_sessions(user: User) -> None:
    """Every session of the person ends at its next request (see directory.middleware)."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)


# -- emergency accesses (break-the-glass) ------------------------------------------------------------

# A NAM written in the reason (spaces or not) would put health information into the audit trail.
_NAM_IN_TEXT = re.compile(r"[A-Z]{4}\s*\d{4}\s*\d{4}", re.IGNORECASE)


@transaction.atomic
def request_emergency_access(*, by: User, patient: Patient, reason: str) -> EmergencyAccess:
    """Open, for EMERGENCY_ACCESS_HOURS, the record of a patient outside the professional's clinics.

    The reason is required (a sentence), kept in the grant and in the audit trail; the archivists of
    the patient's establishment review every grant. Asking again while a grant runs returns it unchanged.
    """
    if not can_request_emergency_access(by):
        raise NotAllowed(_("Only a nurse or a physician may open a record in an emergency."), code="not_professional")
    reason = " ".join((reason or "").split())
    if len(reason) < EmergencyAccess.REASON_MIN_LENGTH:
        raise Invalid(
            _("Say why you need this record now, in a sentence of at least %(count)d characters.")
            % {"count": EmergencyAccess.REASON_MIN_LENGTH},
            code="reason_too_short",
            field="reason",
        )
    if _NAM_IN_TEXT.search(reason):
        raise Invalid(
            _("Leave the NAM out of the reason: the record is already identified."),
            code="nam_in_reason",
            field="reason",
        )
    # One grant at a time per person: her row is the lock that makes two quick clicks one grant.
    User.objects.select_for_update(no_key=True).filter(pk=by.pk).first()
    running = EmergencyAccess.objects.active().filter(user=by, patient=patient).order_by("-expires_at").first()
    if running is not None:
        return running
    if Patient.objects.filter(pk=patient.pk).filter(pk__in=patients_visible_to(by).values("pk")).exists():
        raise Conflict(_("This patient is already followed by one of your clinics."), code="already_covered")
    granted_at = timezone.now()
    grant = EmergencyAccess(
        user=by,
        patient=patient,
        reason=reason,
        granted_at=granted_at,
        expires_at=granted_at + timedelta(hours=settings.EMERGENCY_ACCESS_HOURS),
    )
    grant.full_clean()
    grant.save()
    record(
        actor=by,
        action=AuditEvent.Action.EMERGENCY_ACCESS,
        target=grant,
        patient=patient,
        details={"reason": reason, "expires_at": grant.expires_at.isoformat()},
    )
    return grant


@transaction.atomic
def review_emergency_access(grant: EmergencyAccess, *, by: User, comment: str) -> EmergencyAccess:
    """The archivist's verdict on a grant, with her comment; a grant is reviewed once (again: no change)."""
    if not can_review_emergency_access(by, grant):
        raise NotAllowed(_("Only the archivists of the patient's establishment review this access."))
    comment = (comment or "").strip()
    if not comment:
        raise Invalid(_("Write a comment on this emergency access."), code="comment_required", field="comment")
    grant = EmergencyAccess.objects.select_for_update(no_key=True).get(pk=grant.pk)
    if grant.is_reviewed:
        return grant
    grant.reviewed_by = by
    grant.reviewed_at = timezone.now()
    grant.review_comment = comment
    grant.save(update_fields=["reviewed_by", "reviewed_at", "review_comment", "updated_at"])
    record(
        actor=by,
        action=AuditEvent.Action.EMERGENCY_ACCESS_REVIEWED,
        target=grant,
        patient=grant.patient,
        details={"comment": comment, "grant_holder": grant.user.get_username()},
    )
    return grant
