"""AH-253 progress notes: drafts while written, then signed PDFs that nobody can change."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import BaseModel, OutboxFields
from directory.models import Establishment, Patient
from scheduling.models import Appointment


class Structure(models.TextChoices):
    """How the body is laid out: free text, or the sections of an oncology use case."""

    FREE = "free", _("Free text")
    BETWEEN_CYCLES = "between_cycles", _("Follow-up between two cycles")
    SURVEILLANCE = "surveillance", _("Surveillance after active treatment")


SECTIONS: dict[str, list[tuple[str, str]]] = {
    Structure.FREE: [("body", _("Note"))],
    Structure.BETWEEN_CYCLES: [
        ("symptoms", _("Symptoms")),
        ("toxicities", _("Toxicities")),
        ("adherence", _("Adherence to oral treatment")),
        ("plan", _("Plan")),
    ],
    Structure.SURVEILLANCE: [
        ("symptoms", _("Symptoms")),
        ("results", _("Results reviewed")),
        ("psychosocial", _("Psychosocial follow-up")),
        ("plan", _("Plan")),
    ],
}


class SignedDocumentQuerySet(models.QuerySet):
    def search(self, text: str) -> "SignedDocumentQuerySet":
        text = (text or "").strip()
        if not text:
            return self
        compact = text.replace(" ", "").upper()
        return self.filter(
            models.Q(patient__file_number__iexact=text)
            | models.Q(patient__nam=compact)
            | models.Q(author__last_name__icontains=text)
            | models.Q(author__username__iexact=text)
            | models.Q(file_name__icontains=text)
        )


class SignedDocument(BaseModel, OutboxFields):
    """A signed PDF (AH-253 note or AH-251 prescription) on its way into the patient's record.

    The archivist reviews it, then files it (the outbox fields follow its delivery to the record
    system) or returns it to its author. The review queue serves every kind of document.
    """

    class Kind(models.TextChoices):
        PROGRESS_NOTE = "AH-253", _("Progress note (AH-253)")
        PRESCRIPTION = "AH-251", _("Prescription (AH-251)")

    class Review(models.TextChoices):
        PENDING = "pending", _("Waiting for the archives")
        RETURNED = "returned", _("Returned to the author")
        FILED = "filed", _("Filed in the record")

    kind = models.CharField(_("form"), max_length=10, choices=Kind.choices)
    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="documents")
    establishment = models.ForeignKey(Establishment, on_delete=models.PROTECT, related_name="documents")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=200, unique=True)
    header = models.JSONField(_("identification"), default=dict)
    signed_at = models.DateTimeField(_("signed at"))
    pdf = models.BinaryField(_("PDF"), null=True, editable=False)
    pdf_sha256 = models.CharField(_("SHA-256"), max_length=64)
    review_status = models.CharField(
        _("review"), max_length=10, choices=Review.choices, default=Review.PENDING, db_index=True
    )
    returned_reason = models.CharField(_("reason for returning"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    record_reference = models.CharField(_("record reference"), max_length=100, blank=True)
    receipt = models.CharField(_("receipt"), max_length=500, blank=True)
    copy_removed_at = models.DateTimeField(_("portal copy removed at"), null=True, blank=True)
    # A prescription on its way to a pharmacy or a lab still needs its PDF after filing.
    copy_held_for_transmission = models.BooleanField(_("copy kept until transmitted"), default=False)

    objects = SignedDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("signed document")
        verbose_name_plural = _("signed documents")
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return self.file_name


class Note(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="notes")
    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("appointment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    addendum_to = models.ForeignKey(
        "self", verbose_name=_("addendum to"), null=True, blank=True, on_delete=models.PROTECT, related_name="addenda"
    )
    structure = models.CharField(_("structure"), max_length=20, choices=Structure.choices, default=Structure.FREE)
    sections = models.JSONField(_("text"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The signed PDF, with the identification frozen at signing.
    document = models.OneToOneField(
        SignedDocument,
        verbose_name=_("signed document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="note",
    )

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.document.file_name if self.document_id else f"AH-253 {self.get_status_display()}"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    def section_list(self) -> list[tuple[str, str, str]]:
        return [(key, label, self.sections.get(key, "")) for key, label in SECTIONS[self.structure]]
