"""Reads about signed documents."""

from django.db.models import QuerySet

from audit.models import AuditEvent

from .models import SignedDocument


def document_history(document: SignedDocument) -> QuerySet[AuditEvent]:
    """What happened to the document, to the note or prescription it comes from, and to the
    prescription's transmissions (reached through the reverse relations: this app cannot import
    the prescriptions app, which comes after it)."""
    targets = [str(document.public_id)]
    for source in (getattr(document, "note", None), getattr(document, "prescription", None)):
        if source is not None:
            targets.append(str(source.public_id))
            transmissions = getattr(source, "transmissions", None)
            if transmissions is not None:
                targets += [str(public_id) for public_id in transmissions.values_list("public_id", flat=True)]
    return AuditEvent.objects.filter(target_id__in=targets).select_related("actor").order_by("occurred_at")
