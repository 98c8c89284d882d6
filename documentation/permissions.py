"""Notes follow their patient: whoever covers the patient sees them; only the author writes and signs."""

from uuid import UUID

from common.errors import NotFound
from directory.models import User
from directory.permissions import Capability, coverage, patients_covered

from .models import Note, SignedDocument


def notes_visible_to(user: User):
    """Notes are clinical: the care team of the patient's clinics and the archives read them."""
    return Note.objects.filter(patient__in=patients_covered(user, Capability.READ_CLINICAL))


def access_note(user: User, public_id: UUID | str) -> Note:
    note = (
        notes_visible_to(user)
        .select_related("patient", "appointment", "author", "addendum_to__document", "document")
        .filter(public_id=public_id)
        .first()
    )
    if note is None:
        raise NotFound()
    return note


def documents_for_review(user: User):
    """The signed documents of the establishments where the user is an archivist (all, for an administrator)."""
    if not user.is_authenticated or not user.is_active:
        return SignedDocument.objects.none()
    documents = SignedDocument.objects.select_related("patient", "author", "reviewed_by")
    if user.is_superuser:
        return documents
    return documents.filter(
        coverage(
            user, Capability.REVIEW_DOCUMENTS, clinic_field="patient__clinics", establishment_field="establishment_id"
        )
    ).distinct()


def access_document_for_review(user: User, public_id: UUID | str) -> SignedDocument:
    document = documents_for_review(user).filter(public_id=public_id).first()
    if document is None:
        raise NotFound()
    return document


def returned_documents_of(user: User):
    return SignedDocument.objects.filter(author=user, review_status=SignedDocument.Review.RETURNED).select_related(
        "note"
    )
