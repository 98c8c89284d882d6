"""Writing, signing and correcting AH-253 progress notes."""

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record
from common.errors import Conflict, Invalid, NotAllowed, TemporaryFailure
from common.outbox import hand_over
from common.time import local
from consent.services import consent_statement
from directory.models import Patient, User
from directory.permissions import Capability, can
from scheduling.models import Appointment

from .filing import FilingRefused, filing_channel
from .models import SECTIONS, Note, SignedDocument, Structure
from .pdf import render_note_pdf

# Documents are named after their form and the patient's file number (DOMAIN.md, Documentation).
FORM_NAMES = {"AH-253": "Notes d'évolution", "AH-251": "Ordonnances médicales"}
WRITABLE_OUTCOMES = (Appointment.Status.HELD, Appointment.Status.SWITCHED_TO_PHONE)


@transaction.atomic
def start_note(*, by: User, appointment: Appointment, structure: str = Structure.FREE) -> Note:
    """A draft for a held (or phone-switched) appointment; the author's existing draft if she has one."""
    if appointment.status not in WRITABLE_OUTCOMES:
        raise Conflict(
            _("A progress note is written after a held meeting (or one switched to phone)."), code="not_held"
        )
    draft = Note.objects.filter(appointment=appointment, author=by, status=Note.Status.DRAFT).first()
    if draft:
        return draft
    note = Note.objects.create(patient=appointment.patient, appointment=appointment, author=by, structure=structure)
    record(actor=by, action=AuditEvent.Action.NOTE_CREATE, target=note, patient=note.patient)
    return note


@transaction.atomic
def save_draft(note: Note, *, by: User, structure: str, sections: Mapping[str, str]) -> Note:
    """Keep what is typed; a signed note refuses any change."""
    note = Note.objects.select_for_update(no_key=True).get(pk=note.pk)
    _refuse_if_signed(note)
    if note.author_id != by.pk:
        raise Conflict(_("Only the author edits her note."), code="not_author")
    if structure not in SECTIONS:
        raise Invalid(_("Choose a structure for the note."), field="structure")
    note.structure = structure
    keys = {key for key, _label in SECTIONS[structure]}
    note.sections = {key: str(text)[:20000] for key, text in sections.items() if key in keys}
    note.save(update_fields=["structure", "sections", "updated_at"])
    return note


@transaction.atomic
def sign_note(note: Note, *, by: User) -> Note:
    """Sign: the identification is frozen, the PDF made and its SHA-256 kept; the note becomes read-only
    and goes to the archives' review queue of the patient's establishment."""
    note = Note.objects.select_for_update(no_key=True).get(pk=note.pk)
    if note.author_id != by.pk:
        raise Conflict(_("Only the author signs her note."), code="not_author")
    if note.is_signed:
        return note
    if not any(text.strip() for text in note.sections.values()):
        raise Invalid(_("The note is empty: write it before signing."), field="sections")
    header = note_header(note, by=by)
    note.status = Note.Status.SIGNED
    signed_at = timezone.now()
    document = create_signed_document(
        kind=SignedDocument.Kind.PROGRESS_NOTE,
        patient=note.patient,
        author=by,
        header=header,
        signed_at=signed_at,
        pdf=render_note_pdf(note, header=header, signed_at=signed_at),
    )
    note.document = document
    note.save(update_fields=["status", "document", "updated_at"])
    record(
        actor=by,
        action=AuditEvent.Action.NOTE_SIGN,
        target=document,
        patient=note.patient,
        details={"sha256": document.pdf_sha256, "file_name": document.file_name},
    )
    return note


def create_signed_document(
    *,
    kind: str,
    patient: Patient,
    author: User,
    header: dict,
    signed_at: datetime,
    pdf: bytes,
    hold_copy: bool = False,
) -> SignedDocument:
    """Keep a signed PDF with its fingerprint, named after its form and the patient's file number, in the
    archives' review queue of the patient's establishment (a copy always goes to the archives).

    Refuses a document that lacks a mandatory element: the archivist would have to return it."""
    missing = missing_elements(header)
    if missing:
        raise Invalid(_("Missing before signing: %(missing)s.") % {"missing": ", ".join(missing)}, field="header")
    document = SignedDocument(
        kind=kind,
        patient=patient,
        establishment=patient.establishment,
        author=author,
        header=header,
        signed_at=signed_at,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        copy_held_for_transmission=hold_copy,
        # Filing waits for the archivist: nothing is pending at the record system yet.
        delivery_status="done",
    )
    for suffix in range(1, 1000):
        document.file_name = file_name_for(patient, suffix, form_name=FORM_NAMES[kind])
        try:
            with transaction.atomic():
                document.save()
            break
        except IntegrityError:
            document.pk = None
    return document


@transaction.atomic
def add_addendum(note: Note, *, by: User) -> Note:
    """A correction is a new note that refers to the signed one."""
    if not note.is_signed:
        raise Conflict(_("A draft is corrected directly; an addendum is for a signed note."), code="not_signed")
    if not can(by, Capability.WRITE_CLINICAL, note.patient):
        raise NotAllowed(_("Only a professional of the patient's clinics writes an addendum."), code="not_care_team")
    addendum = Note.objects.create(
        patient=note.patient, appointment=note.appointment, author=by, addendum_to=note, structure=Structure.FREE
    )
    record(
        actor=by,
        action=AuditEvent.Action.NOTE_CREATE,
        target=addendum,
        patient=note.patient,
        details={"addendum_to": str(note.public_id)},
    )
    return addendum


def download_pdf(document: SignedDocument, *, by: User) -> bytes:
    """The signed PDF; every download is in the document's history."""
    if document.pdf is None:
        raise Conflict(
            _(
                "This document was filed in the patient's record and its copy removed from the portal: "
                "ask the archives."
            ),
            code="copy_removed",
        )
    record(actor=by, action=AuditEvent.Action.NOTE_DOWNLOAD, target=document, patient=document.patient)
    return bytes(document.pdf)


def note_header(note: Note, *, by: User) -> dict:
    header = document_header(form="AH-253", patient=note.patient, appointment=note.appointment, author=by)
    header["addendum_to"] = note.addendum_to.document.file_name if note.addendum_to_id else ""
    return header


def document_header(*, form: str, patient: Patient, appointment: Appointment | None, author: User) -> dict:
    """Every element the AH forms require, as printed (DOMAIN.md, Documentation)."""
    clinic = appointment.clinic if appointment else None
    by = author
    header = {
        "form": form,
        "establishment": patient.establishment.name,
        "installation": clinic.installation.name if clinic else "",
        "clinic": clinic.name if clinic else "",
        "last_name": patient.last_name,
        "first_name": patient.first_name,
        "file_number": patient.file_number,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "nam": patient.nam_display,
        "other_identifier": (
            f"{patient.get_fallback_identifier_kind_display()} : {patient.fallback_identifier}"
            if patient.fallback_identifier
            else ""
        ),
        "teleconsultation": "TÉLÉCONSULTATION",
        "author_last_name": by.last_name,
        "author_first_name": by.first_name,
        "author_profession": by.get_profession_display(),
        "author_practice_number": by.practice_number,
        "consent": "",
    }
    if appointment:
        start = local(appointment.start)
        header.update(
            date=start.strftime("%Y-%m-%d"),
            time=start.strftime("%H:%M"),
            duration=appointment.duration_minutes,
            platform=appointment.get_platform_display() or appointment.get_modality_display(),
            participants=[f"{p.name} ({p.get_role_display()})" for p in appointment.participants.all()],
            consent=consent_statement(patient, at=appointment.end, language="fr"),
        )
    return header


def missing_elements(header: Mapping) -> list[str]:
    """What the archivist would refuse: the mandatory elements absent from a document."""
    checks = [
        ("establishment", _("establishment name")),
        ("installation", _("installation name")),
        ("last_name", _("patient's last name")),
        ("first_name", _("patient's first name")),
        ("file_number", _("file number")),
        ("date_of_birth", _("date of birth")),
        ("author_last_name", _("author's name")),
        ("author_profession", _("author's profession")),
        ("author_practice_number", _("author's practice number")),
        ("teleconsultation", _("the word TÉLÉCONSULTATION")),
    ]
    missing = [label for key, label in checks if not header.get(key)]
    if not header.get("nam") and not header.get("other_identifier"):
        missing.append(_("NAM or another identifier"))
    return [str(item) for item in missing]


def file_name_for(patient: Patient, suffix: int, *, form_name: str = FORM_NAMES["AH-253"]) -> str:
    """`Notes d'évolution_012345.pdf`, then `_2`, `_3` for a patient's next notes."""
    base = f"{form_name}_{patient.file_number}"
    return f"{base}.pdf" if suffix == 1 else f"{base}_{suffix}.pdf"


def _refuse_if_signed(note: Note) -> None:
    if note.is_signed:
        raise Conflict(_("A signed note cannot be changed: add an addendum."), code="signed")


@transaction.atomic
def return_document(document: SignedDocument, *, by: User, reason: str) -> SignedDocument:
    """Send the document back to its author with the reason; she corrects it with an addendum."""
    document = SignedDocument.objects.select_for_update(no_key=True).get(pk=document.pk)
    if not reason.strip():
        raise Invalid(_("Say why the document is returned."), field="reason")
    if document.review_status != SignedDocument.Review.PENDING:
        raise Conflict(_("This document was already reviewed."), code="already_reviewed")
    document.review_status = SignedDocument.Review.RETURNED
    document.returned_reason = reason.strip()[:500]
    document.reviewed_by, document.reviewed_at = by, timezone.now()
    document.save()
    record(actor=by, action=AuditEvent.Action.DOCUMENT_RETURN, target=document, patient=document.patient)
    return document


@transaction.atomic
def file_document(document: SignedDocument, *, by: User, record_reference: str = "") -> SignedDocument:
    """File into the patient's record: the delivery to the record system follows through the outbox."""
    document = SignedDocument.objects.select_for_update(no_key=True).get(pk=document.pk)
    if document.review_status == SignedDocument.Review.FILED:
        return document
    document.review_status = SignedDocument.Review.FILED
    document.record_reference = (record_reference or document.patient.file_number).strip()[:100]
    document.reviewed_by, document.reviewed_at = by, timezone.now()
    document.delivery_status = "pending"
    document.attempts = 0
    document.save()
    record(
        actor=by,
        action=AuditEvent.Action.DOCUMENT_FILE,
        target=document,
        patient=document.patient,
        details={"record_reference": document.record_reference},
    )
    transaction.on_commit(partial(_hand_over_filing, document.pk))
    return document


def _hand_over_filing(document_id: int) -> None:
    from .tasks import deliver_filing_task  # the tasks module imports this one

    hand_over(lambda: deliver_filing_task.delay(document_id), what=f"filing {document_id}")


def deliver_filing(document_id: int) -> SignedDocument:
    """Put the PDF into the record system once, keep the receipt, then remove the portal's copy if the
    rules say so (recorded). Raises TemporaryFailure when worth retrying."""
    with transaction.atomic():
        document = SignedDocument.objects.select_for_update(no_key=True).get(pk=document_id)
        if document.delivery_status != "pending" or document.review_status != SignedDocument.Review.FILED:
            return document
        document.attempts += 1
        document.last_attempt_at = timezone.now()
        document.save(update_fields=["attempts", "last_attempt_at", "updated_at"])
    try:
        receipt = filing_channel().deliver(document)
    except FilingRefused as refused:
        SignedDocument.objects.filter(pk=document_id).update(delivery_status="failed", last_error=str(refused)[:500])
        return SignedDocument.objects.get(pk=document_id)
    except TemporaryFailure as failure:
        SignedDocument.objects.filter(pk=document_id).update(last_error=failure.reason[:500])
        raise
    with transaction.atomic():
        document = SignedDocument.objects.select_for_update(no_key=True).get(pk=document_id)
        document.receipt = receipt[:500]
        document.delivery_status = "done"
        document.delivered_at = timezone.now()
        document.last_error = ""
        removed = _remove_copy_if_done(document)
        document.save()
        record(
            actor=None,
            action=AuditEvent.Action.DOCUMENT_DELIVERED,
            target=document,
            patient=document.patient,
            details={"receipt": document.receipt, "copy_removed": removed},
        )
    return document


def give_up_on_filing(document_id: int, reason: str) -> None:
    SignedDocument.objects.filter(pk=document_id, delivery_status="pending").update(
        delivery_status="failed", last_error=reason[:500]
    )


def retry_filing(document: SignedDocument, *, by: User) -> SignedDocument:
    updated = SignedDocument.objects.filter(pk=document.pk, delivery_status="failed").update(
        delivery_status="pending", attempts=0, last_error=""
    )
    if updated:
        transaction.on_commit(partial(_hand_over_filing, document.pk))
    return SignedDocument.objects.get(pk=document.pk)


def redeliver_pending_filings(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    stale = SignedDocument.objects.filter(
        review_status=SignedDocument.Review.FILED, delivery_status="pending", updated_at__lt=timezone.now() - older_than
    )
    ids = list(stale.values_list("pk", flat=True))
    for document_id in ids:
        _hand_over_filing(document_id)
    return len(ids)


def _remove_copy_if_done(document: SignedDocument) -> bool:
    """Once the record holds the document and no transmission needs it, no copy stays outside the
    record (DOMAIN.md, Documentation). The caller saves the row and records the removal."""
    done = (
        document.review_status == SignedDocument.Review.FILED
        and document.delivery_status == "done"
        and not document.copy_held_for_transmission
        and document.pdf is not None
        and not settings.FILING_KEEP_COPY
    )
    if done:
        document.pdf = None
        document.copy_removed_at = timezone.now()
    return done


def release_copy(document_id: int) -> SignedDocument:
    """A transmission no longer needs the PDF: remove it if the record already holds the document."""
    with transaction.atomic():
        document = SignedDocument.objects.select_for_update(no_key=True).get(pk=document_id)
        if not document.copy_held_for_transmission:
            return document
        document.copy_held_for_transmission = False
        removed = _remove_copy_if_done(document)
        document.save()
        if removed:
            record(
                actor=None,
                action=AuditEvent.Action.DOCUMENT_COPY_REMOVED,
                target=document,
                patient=document.patient,
                details={"reason": "transmitted_and_filed"},
            )
    return document
