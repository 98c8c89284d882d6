"""Recording consent, withdrawing it, and answering "is consent in force?" for the other apps."""

from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record
from common.errors import NotAllowed
from common.time import local
from directory.models import Patient, User

from .models import ConsentKind, ConsentRecord, ConsentScript

Decision, Party = ConsentRecord.Decision, ConsentRecord.Party


@transaction.atomic
def record_consent(
    *,
    by: User,
    patient: Patient,
    kind: str,
    granted: bool,
    language: str,
    method: str = ConsentRecord.Method.VERBAL,
    party: str = Party.PATIENT,
    appointment_id: UUID | None = None,
    warning_read: bool = False,
) -> ConsentRecord:
    """Record that the script was read in `language` and the answer given, with the version read.

    Consent to personal email is refused unless the warning was read (that reading is recorded).
    """
    if kind == ConsentKind.PERSONAL_EMAIL and granted and not warning_read:
        raise ValidationError(
            {"warning_read": _("Read the warning on personal email to the patient before recording consent.")}
        )
    script = ConsentScript.objects.current(kind, language) if party == Party.PATIENT else None
    if party == Party.PATIENT and script is None:
        raise ValidationError({"language": _("There is no consent script in this language yet.")})
    consent = ConsentRecord.objects.create(
        patient=patient,
        kind=kind,
        party=party,
        decision=Decision.GRANTED if granted else Decision.REFUSED,
        method=method,
        script=script,
        script_version=script.version if script else None,
        language=language,
        appointment_id=appointment_id,
        warning_read=warning_read,
        recorded_by=by,
    )
    record(
        actor=by,
        action=AuditEvent.Action.CONSENT_RECORD,
        target=consent,
        patient=patient,
        details={"kind": kind, "decision": consent.decision, "party": party},
    )
    return consent


@transaction.atomic
def withdraw_consent(
    *, by: User, patient: Patient, kind: str, method: str = ConsentRecord.Method.VERBAL
) -> ConsentRecord:
    """The patient takes consent back; the history keeps what was given before."""
    latest = _latest(patient, kind, Party.PATIENT, at=timezone.now())
    if latest is None or latest.decision != Decision.GRANTED:
        raise ValidationError({"kind": _("There is no consent in force to withdraw.")})
    consent = ConsentRecord.objects.create(
        patient=patient,
        kind=kind,
        party=Party.PATIENT,
        decision=Decision.WITHDRAWN,
        method=method,
        language=latest.language,
        recorded_by=by,
    )
    record(
        actor=by,
        action=AuditEvent.Action.CONSENT_WITHDRAW,
        target=consent,
        patient=patient,
        details={"kind": kind},
    )
    return consent


def consent_in_force(
    patient: Patient, kind: str, *, at: datetime | None = None, party: str = Party.PATIENT, appointment_id=None
) -> bool:
    """Given at or before `at` (now by default) and not refused or withdrawn since."""
    latest = _latest(patient, kind, party, at=at or timezone.now(), appointment_id=appointment_id)
    return latest is not None and latest.decision == Decision.GRANTED


def consent_state(patient: Patient, kind: str) -> str:
    """One word for the screens: granted, refused, withdrawn or missing."""
    latest = _latest(patient, kind, Party.PATIENT, at=timezone.now())
    return latest.decision if latest else "missing"


def require_personal_email_consent(patient: Patient) -> None:
    """The gate before sending a document to the patient's personal email (used by document routing)."""
    if not consent_in_force(patient, ConsentKind.PERSONAL_EMAIL):
        raise NotAllowed(
            _(
                "The patient has not consented to receive documents by personal email. Read the warning to "
                "the patient and record the consent first, or use another channel."
            ),
            code="personal_email_consent_missing",
        )


def recording_consented(patient: Patient, appointment_id: UUID, *, at: datetime | None = None) -> bool:
    """Recording needs the consent of both parties, for this appointment."""
    return all(
        consent_in_force(patient, ConsentKind.RECORDING, at=at, party=party, appointment_id=appointment_id)
        for party in (Party.PATIENT, Party.PROFESSIONAL)
    )


def consent_statement(patient: Patient, *, at: datetime, language: str = "fr") -> str:
    """The sentence a progress note prints about telehealth consent, from the records."""
    latest = _latest(patient, ConsentKind.TELEHEALTH, Party.PATIENT, at=at)
    with translation.override(language):
        if latest is None or latest.decision != Decision.GRANTED:
            return _("No telehealth consent is recorded for this patient.")
        return _(
            "The patient gave %(method)s consent to care by telehealth on %(date)s (script version %(version)s, "
            "%(language)s), recorded by %(professional)s."
        ) % {
            "method": latest.get_method_display().lower(),
            "date": local(latest.given_at).strftime("%Y-%m-%d %H:%M"),
            "version": latest.script_version,
            "language": latest.get_language_display().lower(),
            "professional": latest.recorded_by.get_full_name(),
        }


def _latest(patient: Patient, kind: str, party: str, *, at: datetime, appointment_id=None) -> ConsentRecord | None:
    records = ConsentRecord.objects.filter(patient=patient, kind=kind, party=party, given_at__lte=at)
    if appointment_id is not None:
        # A consent for one appointment is given for it; a withdrawal or a refusal without an
        # appointment takes back every one of them.
        records = records.filter(
            Q(appointment_id=appointment_id)
            | Q(appointment_id__isnull=True, decision__in=[Decision.WITHDRAWN, Decision.REFUSED])
        )
    return records.select_related("recorded_by").latest_first().first()
