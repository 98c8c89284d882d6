"""Writing, signing and transmitting AH-251 prescriptions by the network's routing rules."""

import hashlib
import hmac
import secrets
import smtplib
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import to_python

from audit.models import AuditEvent
from audit.services import record
from common.errors import Conflict, Invalid, NotAllowed, PermanentDeliveryError, TemporaryFailure
from common.outbox import hand_over
from directory.models import Clinic, Patient, Profession, Recipient, User
from directory.permissions import Capability, clinics_where
from directory.services import record_imaging_lab_choice
from documentation.models import SignedDocument
from documentation.services import create_signed_document, document_header, download_pdf, release_copy
from privacy.services import register_communication
from scheduling.models import Appointment
from scheduling.notices import SENSITIVITY_HEADER

from .models import Category, Channel, MedicationLine, Prescription, Transmission
from .pdf import render_prescription_pdf
from .routing import Route, route

PRESCRIBING_PROFESSIONS = (Profession.PHYSICIAN, Profession.NURSE_PRACTITIONER, Profession.PHARMACIST)
EDITABLE_FIELDS = (
    "category",
    "no_known_allergies",
    "allergies",
    "therapeutic_intent",
    "instructions",
    "callback_phone",
)
LINE_FIELDS = ("drug", "strength", "form", "dose", "route", "frequency", "duration", "renewals")
MAX_LINES = 20
MESSAGE_DOMAIN = "telesante.portail"
# After this many wrong birth dates the link stops working: the patient asks the care team for another.
MAX_LINK_CHECKS = 5
STATUS_ACTIONS = {
    Transmission.Status.SENT: AuditEvent.Action.TRANSMISSION_SENT,
    Transmission.Status.CONFIRMED: AuditEvent.Action.TRANSMISSION_CONFIRMED,
    Transmission.Status.FAILED: AuditEvent.Action.TRANSMISSION_FAILED,
}


def require_prescriber(user: User) -> None:
    if user.profession not in PRESCRIBING_PROFESSIONS or not user.practice_number:
        raise NotAllowed(
            _(
                "Only a prescriber with a prescriber number (physician, nurse practitioner, pharmacist) writes "
                "an AH-251. Ask the administrator to complete your profile if you are one."
            ),
            code="not_a_prescriber",
        )


@transaction.atomic
def start_prescription(
    *, by: User, patient: Patient, category: str, appointment: Appointment | None = None
) -> Prescription:
    """A draft for the patient, from an appointment or from the patient's page."""
    require_prescriber(by)
    if category not in Category.values:
        raise Invalid(_("Choose what the prescription is for."), field="category")
    clinic = _prescribing_clinic(by, patient, appointment)
    prescription = Prescription.objects.create(
        patient=patient,
        clinic=clinic,
        appointment=appointment,
        author=by,
        category=category,
        callback_phone=by.phone or clinic.phone,
    )
    record(actor=by, action=AuditEvent.Action.PRESCRIPTION_CREATE, target=prescription, patient=patient)
    return prescription


def _prescribing_clinic(by: User, patient: Patient, appointment: Appointment | None) -> Clinic:
    if appointment is not None:
        return appointment.clinic
    clinic = clinics_where(by, Capability.PRESCRIBE).filter(patients=patient).first()
    if clinic is None:
        raise NotAllowed(_("This patient is not followed by one of your clinics."), code="not_followed")
    return clinic


@transaction.atomic
def save_prescription(
    prescription: Prescription,
    *,
    by: User,
    fields: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]] | None = None,
) -> Prescription:
    """Keep what is typed in the draft; a signed prescription never changes."""
    prescription = _locked_draft(prescription, by=by)
    for name in EDITABLE_FIELDS:
        if name in fields:
            setattr(prescription, name, fields[name] if fields[name] is not None else "")
    if prescription.category not in Category.values:
        raise Invalid(_("Choose what the prescription is for."), field="category")
    if prescription.callback_phone and not _valid_phone(prescription.callback_phone):
        raise Invalid(_("Enter a valid phone number, for example 450 466-5000."), field="callback_phone")
    for name in ("allergies", "therapeutic_intent"):
        setattr(prescription, name, str(getattr(prescription, name)).strip()[:500])
    if prescription.no_known_allergies and prescription.allergies:
        raise Invalid(
            _("Either tick “no known allergies” or list the allergies, not both."), field="no_known_allergies"
        )
    prescription.instructions = str(prescription.instructions)[:10000]
    prescription.save()
    if prescription.category != Category.MEDICATION:
        # Drugs belong to a medication prescription only: they must not print on an imaging order.
        lines = []
    if lines is not None:
        _replace_lines(prescription, lines)
    return prescription


def _valid_phone(value: Any) -> bool:
    phone = to_python(value)
    return phone is not None and phone.is_valid()


def _replace_lines(prescription: Prescription, lines: Sequence[Mapping[str, Any]]) -> None:
    kept = [line for line in lines if any(str(line.get(name) or "").strip() for name in LINE_FIELDS[:-1])]
    if len(kept) > MAX_LINES:
        raise Invalid(_("At most %(count)d drugs on one prescription.") % {"count": MAX_LINES}, field="lines")
    prescription.lines.all().delete()
    for position, line in enumerate(kept):
        values = {name: str(line.get(name) or "").strip()[:200] for name in LINE_FIELDS[:-1]}
        try:
            renewals = int(line.get("renewals") or 0)
        except (TypeError, ValueError):
            raise Invalid(_("Renewals are a whole number."), field="lines") from None
        if not 0 <= renewals <= 99:
            raise Invalid(_("Renewals are a whole number from 0 to 99."), field="lines")
        MedicationLine.objects.create(prescription=prescription, position=position, renewals=renewals, **values)


@transaction.atomic
def choose_recipient(
    prescription: Prescription,
    *,
    by: User,
    recipient: Recipient | None,
    imaging_choice_confirmed: bool = False,
) -> Route:
    """Address the draft (None: the patient) once the rules allow it; the answer says why not.

    For imaging, the prescriber may record at the same time that this is the lab the patient chose.
    """
    prescription = _locked_draft(prescription, by=by)
    if imaging_choice_confirmed and recipient is not None and prescription.category == Category.IMAGING:
        record_imaging_lab_choice(prescription.patient, lab=recipient, by=by)
        prescription.patient.refresh_from_db()
    decision = route(prescription, recipient)
    if decision.allowed:
        prescription.recipient, prescription.to_patient = recipient, recipient is None
        prescription.save(update_fields=["recipient", "to_patient", "updated_at"])
    return decision


def _locked_draft(prescription: Prescription, *, by: User) -> Prescription:
    prescription = Prescription.objects.select_for_update(no_key=True).select_related("patient").get(pk=prescription.pk)
    if prescription.author_id != by.pk:
        raise Conflict(_("Only the prescriber changes her prescription."), code="not_author")
    if not prescription.is_draft:
        raise Conflict(_("A signed prescription cannot be changed: write a new one."), code="signed")
    return prescription


@transaction.atomic
def discard_prescription(prescription: Prescription, *, by: User) -> Prescription:
    prescription = _locked_draft(prescription, by=by)
    prescription.status = Prescription.Status.DISCARDED
    prescription.save(update_fields=["status", "updated_at"])
    record(actor=by, action=AuditEvent.Action.PRESCRIPTION_DISCARD, target=prescription, patient=prescription.patient)
    return prescription


def missing_content(prescription: Prescription) -> list[str]:
    """What the prescription still lacks before it may be signed, in words."""
    missing = []
    if prescription.category == Category.MEDICATION:
        lines = list(prescription.lines.all())
        if not lines:
            missing.append(_("at least one drug"))
        for line in lines:
            if not line.drug or not (line.dose or line.frequency) or not line.duration:
                missing.append(
                    _("the dose or frequency, and the duration or quantity, of %(drug)s")
                    % {"drug": line.drug or _("each drug")}
                )
        if not prescription.therapeutic_intent:
            missing.append(_("the therapeutic intent"))
    elif not prescription.instructions.strip():
        missing.append(_("what is prescribed"))
    if prescription.category in (Category.MEDICATION, Category.IMAGING) and not (
        prescription.no_known_allergies or prescription.allergies
    ):
        missing.append(_("the allergies, or “no known allergies”"))
    if prescription.recipient_id is None and not prescription.to_patient:
        missing.append(_("the recipient"))
    return [str(item) for item in missing]


@transaction.atomic
def sign_prescription(prescription: Prescription, *, by: User) -> Prescription:
    """Sign: the PDF is made (identification frozen), a copy goes to the archives' queue, and the
    transmission to the chosen recipient starts through the outbox."""
    prescription = _locked_draft(prescription, by=by)
    require_prescriber(by)
    missing = missing_content(prescription)
    if missing:
        raise Invalid(_("Missing before signing: %(missing)s.") % {"missing": ", ".join(missing)}, field="content")
    recipient = prescription.recipient
    decision = route(prescription, recipient)
    if not decision.allowed:
        raise Invalid(decision.reason, code=decision.code, field="recipient")
    header = prescription_header(prescription, by=by)
    signed_at = timezone.now()
    document = create_signed_document(
        kind=SignedDocument.Kind.PRESCRIPTION,
        patient=prescription.patient,
        author=by,
        header=header,
        signed_at=signed_at,
        pdf=render_prescription_pdf(prescription, header=header, signed_at=signed_at),
        hold_copy=True,
    )
    prescription.status = Prescription.Status.SIGNED
    prescription.document = document
    prescription.save(update_fields=["status", "document", "updated_at"])
    record(
        actor=by,
        action=AuditEvent.Action.PRESCRIPTION_SIGN,
        target=document,
        patient=prescription.patient,
        details={"sha256": document.pdf_sha256, "file_name": document.file_name, "category": prescription.category},
    )
    _queue(prescription, recipient, decision, by=by)
    return prescription


@transaction.atomic
def transmit(prescription: Prescription, *, by: User, recipient: Recipient | None) -> Transmission:
    """Send a signed prescription to one more recipient (None: the patient), if the rules allow it."""
    prescription = (
        Prescription.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient", "document")
        .get(pk=prescription.pk)
    )
    if prescription.status != Prescription.Status.SIGNED:
        raise Conflict(_("Sign the prescription before sending it."), code="not_signed")
    if prescription.document.pdf is None:
        raise Conflict(
            _("The portal no longer holds this document (it was filed in the record): ask the archives."),
            code="copy_removed",
        )
    decision = route(prescription, recipient)
    if not decision.allowed:
        raise Invalid(decision.reason, code=decision.code, field="recipient")
    already = prescription.transmissions.open().filter(recipient=recipient, channel=decision.channel).first()
    if already:
        return already
    SignedDocument.objects.filter(pk=prescription.document_id).update(copy_held_for_transmission=True)
    return _queue(prescription, recipient, decision, by=by)


def _queue(prescription: Prescription, recipient: Recipient | None, decision: Route, *, by: User) -> Transmission:
    transmission = Transmission.objects.create(
        prescription=prescription,
        recipient=recipient,
        recipient_name=recipient.name if recipient else str(prescription.patient),
        channel=decision.channel,
        address=decision.address,
        requested_by=by,
    )
    # The register of communications (R-22.1 s. 265) gets its row in this same transaction.
    register_communication(transmission=transmission, by=by)
    record(
        actor=by,
        action=AuditEvent.Action.TRANSMISSION_QUEUE,
        target=transmission,
        patient=prescription.patient,
        details={"channel": transmission.channel, "recipient": str(recipient.public_id) if recipient else "patient"},
    )
    transaction.on_commit(partial(hand_over_transmission, transmission.pk))
    return transmission


def hand_over_transmission(transmission_id: int) -> None:
    from .tasks import deliver_transmission_task  # the tasks module imports this one

    hand_over(lambda: deliver_transmission_task.delay(transmission_id), what=f"transmission {transmission_id}")


def prescription_header(prescription: Prescription, *, by: User) -> dict:
    header = document_header(
        form="AH-251", patient=prescription.patient, appointment=prescription.appointment, author=by
    )
    clinic = prescription.clinic
    header.update(
        installation=header["installation"] or clinic.installation.name,
        clinic=header["clinic"] or clinic.name,
        category=str(prescription.get_category_display()),
        author_phone=prescription.callback_phone.as_national if prescription.callback_phone else "",
    )
    return header


# -- delivery (workers) -------------------------------------------------------------------------------


def deliver_transmission(transmission_id: int) -> Transmission:
    """Send one transmission once. Raises TemporaryFailure when worth retrying.

    The attempt is written before the message leaves; if the worker dies while sending, the row says
    so and the portal never re-sends on its own: a medication faxed twice is a danger, a fax not sent
    is visible and retried by a person.
    """
    with transaction.atomic():
        transmission = (
            Transmission.objects.select_for_update(of=("self",), no_key=True)
            .select_related("prescription__patient", "prescription__document", "recipient")
            .get(pk=transmission_id)
        )
        if transmission.status != Transmission.Status.QUEUED:
            return transmission
        if transmission.sending_since is not None:
            _set_status(
                transmission,
                Transmission.Status.FAILED,
                failure_reason=_(
                    "The portal stopped while sending and cannot tell whether the document left. Check with "
                    "the recipient before retrying."
                ),
            )
            return transmission
        transmission.attempts += 1
        transmission.last_attempt_at = transmission.sending_since = timezone.now()
        transmission.save(update_fields=["attempts", "last_attempt_at", "sending_since", "updated_at"])
    try:
        message, connection = build_transmission(transmission)
        connection.send_messages([message])
    except PermanentDeliveryError as refused:
        _finish_attempt(transmission_id, Transmission.Status.FAILED, failure_reason=refused.reason)
    except TemporaryFailure as failure:
        _finish_attempt(transmission_id, None, failure_reason=failure.reason)
        raise
    except smtplib.SMTPResponseException as error:
        reason = f"{_gateway_name(transmission)}: {error.smtp_code} {_decoded(error.smtp_error)}"
        if error.smtp_code >= 500:
            _finish_attempt(transmission_id, Transmission.Status.FAILED, failure_reason=reason)
        else:
            _finish_attempt(transmission_id, None, failure_reason=reason)
            raise TemporaryFailure(reason) from error
    except smtplib.SMTPRecipientsRefused as error:
        codes = " ".join(f"{code} {_decoded(text)}" for code, text in error.recipients.values())
        _finish_attempt(
            transmission_id, Transmission.Status.FAILED, failure_reason=f"{_gateway_name(transmission)}: {codes}"
        )
    except (OSError, smtplib.SMTPException) as error:
        reason = f"{_gateway_name(transmission)}: {error.__class__.__name__}"
        _finish_attempt(transmission_id, None, failure_reason=reason)
        raise TemporaryFailure(reason) from error
    else:
        _finish_attempt(transmission_id, Transmission.Status.SENT, message_id=message.extra_headers["Message-ID"])
    return Transmission.objects.get(pk=transmission_id)


def _decoded(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _gateway_name(transmission: Transmission) -> str:
    return _("Fax gateway") if transmission.channel == Channel.FAX else _("Mail server")


def _finish_attempt(transmission_id: int, status: str | None, **changes: Any) -> None:
    with transaction.atomic():
        transmission = (
            Transmission.objects.select_for_update(of=("self",), no_key=True)
            .select_related("prescription__patient")
            .get(pk=transmission_id)
        )
        transmission.sending_since = None
        if status is None:
            transmission.failure_reason = changes["failure_reason"][:500]
            transmission.save(update_fields=["sending_since", "failure_reason", "updated_at"])
            return
        if status == Transmission.Status.SENT:
            transmission.sent_at = timezone.now()
        _set_status(transmission, status, **changes)


def _set_status(transmission: Transmission, status: str, **changes: Any) -> None:
    """Move a locked transmission on, record it, and let its document's copy go when nothing needs it."""
    transmission.status = status
    for name, value in changes.items():
        setattr(transmission, name, value[:500] if isinstance(value, str) else value)
    if status != Transmission.Status.FAILED:
        transmission.failure_reason = ""
    transmission.save()
    details = {"channel": transmission.channel}
    if transmission.failure_reason:
        details["reason"] = transmission.failure_reason
    if status in STATUS_ACTIONS:
        record(
            actor=None,
            action=STATUS_ACTIONS[status],
            target=transmission,
            patient=transmission.prescription.patient,
            details=details,
        )
    if not transmission_needs_copy(transmission.prescription):
        document_id = transmission.prescription.document_id
        transaction.on_commit(partial(release_copy, document_id))


def transmission_needs_copy(prescription: Prescription) -> bool:
    """A transmission needs the PDF until it is confirmed or cancelled; secure email is done once the
    network's mail server took it (a read receipt may never come)."""
    transmissions = prescription.transmissions.all()
    still_needed = transmissions.filter(
        status__in=[Transmission.Status.QUEUED, Transmission.Status.FAILED]
    ) | transmissions.filter(status=Transmission.Status.SENT).exclude(channel=Channel.SECURE_EMAIL)
    return still_needed.exists()


def give_up_on_transmission(transmission_id: int, reason: str) -> None:
    with transaction.atomic():
        transmission = (
            Transmission.objects.select_for_update(of=("self",), no_key=True)
            .select_related("prescription__patient")
            .get(pk=transmission_id)
        )
        if transmission.status == Transmission.Status.QUEUED:
            _set_status(transmission, Transmission.Status.FAILED, failure_reason=reason)


def build_transmission(transmission: Transmission) -> tuple[EmailMessage, Any]:
    """The message for the transmission's channel, with the connection it leaves by."""
    if transmission.channel == Channel.PATIENT_LINK:
        return _patient_link_message(transmission), get_connection()
    prescription = transmission.prescription
    document = prescription.document
    if document.pdf is None:
        raise PermanentDeliveryError(_("The portal no longer holds this document: ask the archives."))
    attempt_id = f"<transmission-{transmission.public_id}.{transmission.attempts}@{MESSAGE_DOMAIN}>"
    context = {
        "transmission": transmission,
        "prescription": prescription,
        "header": document.header,
        "recipient": transmission.recipient,
        "lines": list(prescription.lines.all()),
    }
    # The network's documents are French; the pharmacist or the lab reads the body as a cover page.
    with translation.override("fr"):
        body = render_to_string("prescriptions/transmission_body.txt", context)
        subject = render_to_string("prescriptions/transmission_subject.txt", context).strip()
    headers = {"Message-ID": attempt_id, "Auto-Submitted": "auto-generated"}
    if transmission.channel == Channel.FAX:
        headers["X-Portal-Fax-Ref"] = str(transmission.public_id)
        message = EmailMessage(
            subject=f"{subject} [ref FAX-{transmission.public_id}]",
            body=body,
            from_email=settings.FAX_SENDER_ADDRESS,
            to=[settings.FAX_ADDRESS_TEMPLATE.format(digits=transmission.address, domain=settings.FAX_EMAIL_DOMAIN)],
            headers=headers,
        )
        connection = get_connection(
            settings.FAX_EMAIL_BACKEND, host=settings.FAX_EMAIL_HOST, port=settings.FAX_EMAIL_PORT
        )
    else:
        # A read receipt is asked of the recipient's mail program (DOMAIN.md: "ask for a read receipt").
        headers["Disposition-Notification-To"] = settings.DEFAULT_FROM_EMAIL
        headers[SENSITIVITY_HEADER] = "internal"
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[transmission.address],
            headers=headers,
        )
        connection = get_connection()
    if prescription.author.email:
        message.reply_to = [prescription.author.email]
    message.attach(document.file_name, bytes(document.pdf), "application/pdf")
    return message, connection


def _patient_link_message(transmission: Transmission) -> EmailMultiAlternatives:
    """A link and nothing else: no attachment, no clinical text (DESIGN.md decision 2)."""
    token = secrets.token_urlsafe(32)
    transmission.link_token_hash = link_token_hash(token)
    transmission.link_expires_at = timezone.now() + timedelta(days=settings.PATIENT_LINK_DAYS)
    transmission.link_failed_checks = 0
    Transmission.objects.filter(pk=transmission.pk).update(
        link_token_hash=transmission.link_token_hash,
        link_expires_at=transmission.link_expires_at,
        link_failed_checks=0,
    )
    patient = transmission.prescription.patient
    context = {
        "url": f"{settings.PORTAL_BASE_URL.rstrip('/')}/document/{token}/",
        "expires_at": timezone.localtime(transmission.link_expires_at),
        "establishment": patient.establishment.name,
    }
    with translation.override(patient.preferred_language):
        message = EmailMultiAlternatives(
            subject=render_to_string("emails/document_link_subject.txt", context).strip(),
            body=render_to_string("emails/document_link.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[transmission.address],
            headers={
                "Message-ID": f"<transmission-{transmission.public_id}.{transmission.attempts}@{MESSAGE_DOMAIN}>",
                SENSITIVITY_HEADER: "confidential",
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(render_to_string("emails/document_link.html", context), "text/html")
    return message


def link_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- what people do with transmissions ----------------------------------------------------------------


@transaction.atomic
def retry_transmission(transmission: Transmission, *, by: User) -> Transmission:
    transmission = Transmission.objects.select_for_update(of=("self",), no_key=True).get(pk=transmission.pk)
    if not may_retry(transmission):
        raise Conflict(_("Only a failed transmission (or an expired link) is retried."), code="not_failed")
    if transmission.prescription.document.pdf is None:
        raise Conflict(_("The portal no longer holds this document: ask the archives."), code="copy_removed")
    transmission.status = Transmission.Status.QUEUED
    transmission.attempts = 0
    transmission.failure_reason = ""
    transmission.sending_since = None
    transmission.save()
    SignedDocument.objects.filter(pk=transmission.prescription.document_id).update(copy_held_for_transmission=True)
    record(
        actor=by,
        action=AuditEvent.Action.TRANSMISSION_RETRY,
        target=transmission,
        patient=transmission.prescription.patient,
    )
    transaction.on_commit(partial(hand_over_transmission, transmission.pk))
    return transmission


def may_retry(transmission: Transmission) -> bool:
    if transmission.status == Transmission.Status.FAILED:
        return True
    expired = transmission.link_expires_at is not None and transmission.link_expires_at <= timezone.now()
    locked = transmission.link_failed_checks >= MAX_LINK_CHECKS
    return (
        transmission.status == Transmission.Status.SENT
        and transmission.channel == Channel.PATIENT_LINK
        and (expired or locked)
    )


@transaction.atomic
def cancel_transmission(transmission: Transmission, *, by: User, reason: str) -> Transmission:
    """Stop a queued or failed transmission (for example to choose another pharmacy)."""
    transmission = (
        Transmission.objects.select_for_update(of=("self",), no_key=True)
        .select_related("prescription__patient")
        .get(pk=transmission.pk)
    )
    if by.pk != transmission.prescription.author_id and not by.is_superuser:
        # Where a prescription goes is the prescriber's decision; others may only retry.
        raise NotAllowed(_("Only the prescriber cancels a transmission of her prescription."), code="not_prescriber")
    if not reason.strip():
        raise Invalid(_("Say why the transmission is cancelled."), field="reason")
    if transmission.status not in (Transmission.Status.QUEUED, Transmission.Status.FAILED):
        raise Conflict(_("Only a queued or failed transmission can be cancelled."), code="not_cancellable")
    if transmission.sending_since is not None:
        raise Conflict(_("The document is leaving right now: wait a moment."), code="sending")
    _set_status(transmission, Transmission.Status.CANCELLED, cancelled_reason=reason.strip())
    record(
        actor=by,
        action=AuditEvent.Action.TRANSMISSION_CANCEL,
        target=transmission,
        patient=transmission.prescription.patient,
    )
    return transmission


def redeliver_pending_transmissions(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Hand again what is still queued after a while (the broker may have lost it)."""
    stale = Transmission.objects.filter(
        status=Transmission.Status.QUEUED, updated_at__lt=timezone.now() - older_than
    ).values_list("pk", flat=True)
    ids = list(stale)
    for transmission_id in ids:
        hand_over_transmission(transmission_id)
    return len(ids)


# -- reports from the fax gateway and read receipts -----------------------------------------------------


def record_report(transmission_ref: str, *, delivered: bool, detail: str) -> Transmission | None:
    """The gateway's word on a fax (or a read receipt): confirmed, or failed with its reason."""
    with transaction.atomic():
        transmission = (
            Transmission.objects.select_for_update(of=("self",), no_key=True)
            .select_related("prescription__patient")
            .filter(public_id=transmission_ref)
            .first()
        )
        if transmission is None or transmission.status not in (
            Transmission.Status.QUEUED,
            Transmission.Status.SENT,
        ):
            return transmission
        if delivered:
            _set_status(
                transmission,
                Transmission.Status.CONFIRMED,
                confirmed_at=timezone.now(),
                confirmation=detail,
                sent_at=transmission.sent_at or timezone.now(),
            )
        else:
            _set_status(transmission, Transmission.Status.FAILED, failure_reason=detail or _("Refused by the gateway."))
    return transmission


# -- the patient's download page -------------------------------------------------------------------


def find_link(token: str) -> Transmission | None:
    if not token or len(token) > 100:
        return None
    return (
        Transmission.objects.select_related("prescription__patient", "prescription__document")
        .filter(channel=Channel.PATIENT_LINK, link_token_hash=link_token_hash(token))
        .exclude(status=Transmission.Status.CANCELLED)
        .first()
    )


def link_problem(transmission: Transmission | None) -> str:
    """Why the link cannot be used, in words for the patient ("" when it can)."""
    if transmission is None:
        return _("This link is not valid. Ask your care team to send you a new one.")
    if transmission.link_expires_at is None or transmission.link_expires_at <= timezone.now():
        return _("This link has expired. Ask your care team to send you a new one.")
    if transmission.link_failed_checks >= MAX_LINK_CHECKS:
        return _("This link was locked after too many attempts. Ask your care team to send you a new one.")
    if transmission.prescription.document.pdf is None:
        return _("This document is no longer available here. Ask your care team.")
    return ""


def download_by_patient(transmission: Transmission, *, date_of_birth: date | None) -> bytes:
    """The PDF for the patient once the birth date matches; every try is recorded."""
    with transaction.atomic():
        transmission = (
            Transmission.objects.select_for_update(of=("self",), no_key=True)
            .select_related("prescription__patient", "prescription__document")
            .get(pk=transmission.pk)
        )
        problem = link_problem(transmission)
        patient = transmission.prescription.patient
        matches = date_of_birth is not None and hmac.compare_digest(
            date_of_birth.isoformat(), patient.date_of_birth.isoformat()
        )
        if not problem and not matches:
            # Kept, not rolled back: the count is what locks the link.
            transmission.link_failed_checks += 1
            transmission.save(update_fields=["link_failed_checks", "updated_at"])
            record(
                actor=None,
                action=AuditEvent.Action.PATIENT_DOWNLOAD_REFUSED,
                target=transmission,
                patient=patient,
                details={"failed_checks": transmission.link_failed_checks},
            )
        elif not problem:
            pdf = bytes(transmission.prescription.document.pdf)
            record(actor=None, action=AuditEvent.Action.PATIENT_DOWNLOAD, target=transmission, patient=patient)
            if transmission.downloaded_at is None:
                transmission.downloaded_at = timezone.now()
                transmission.save(update_fields=["downloaded_at", "updated_at"])
            if transmission.status == Transmission.Status.SENT:
                _set_status(
                    transmission,
                    Transmission.Status.CONFIRMED,
                    confirmed_at=timezone.now(),
                    confirmation=_("Downloaded by the patient."),
                )
            return pdf
    if problem:
        raise Conflict(problem, code="link_unusable")
    left = MAX_LINK_CHECKS - transmission.link_failed_checks
    raise Invalid(
        _("This date of birth does not match. Attempts left: %(left)d.") % {"left": left}
        if left
        else _("This date of birth does not match. The link is now locked: ask your care team."),
        field="date_of_birth",
    )


def prescription_pdf(prescription: Prescription, *, by: User) -> bytes:
    if not prescription.document_id:
        raise Conflict(_("Only a signed prescription has a PDF."), code="not_signed")
    return download_pdf(prescription.document, by=by)
