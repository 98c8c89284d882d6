"""AH-251 prescriptions and their transmissions to pharmacies, labs, units of the network and patients."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from common.models import BaseModel
from directory.models import Clinic, Patient, Recipient
from documentation.models import SignedDocument
from scheduling.models import Appointment


class Category(models.TextChoices):
    MEDICATION = "medication", _("Medication")
    IMAGING = "imaging", _("Medical imaging")
    LABORATORY = "laboratory", _("Laboratory (biology) tests")
    REFERRAL = "referral", _("Referral to another professional")
    OTHER = "other", _("Other document (insurance form, medical note)")


class Prescription(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")
        DISCARDED = "discarded", _("Discarded")

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="prescriptions"
    )
    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("appointment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prescriptions",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("prescriber"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    no_known_allergies = models.BooleanField(_("no known allergies"), default=False)
    allergies = models.CharField(_("allergies"), max_length=500, blank=True)
    therapeutic_intent = models.CharField(_("therapeutic intent"), max_length=500, blank=True)
    instructions = models.TextField(
        _("prescription"),
        blank=True,
        help_text=_("The exam, the tests, the referral or the document, as the form has it."),
    )
    callback_phone = PhoneNumberField(
        _("phone where you can be reached"),
        blank=True,
        help_text=_("Printed for the recipient; for laboratory tests, the urgent contact for critical values."),
    )
    # The recipient chosen while writing: a directory row, or the patient.
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("recipient"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_patient = models.BooleanField(_("to the patient"), default=False)
    document = models.OneToOneField(
        SignedDocument,
        verbose_name=_("signed document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prescription",
    )

    class Meta:
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient__isnull=True) | Q(to_patient=False),
                name="prescription_one_recipient",
                violation_error_message=_("A prescription goes to one recipient."),
            ),
        ]

    def __str__(self) -> str:
        return self.document.file_name if self.document_id else f"AH-251 {self.get_category_display()}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class MedicationLine(models.Model):
    """One drug of a medication prescription, in the order the prescriber wrote them."""

    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    drug = models.CharField(_("drug"), max_length=200)
    strength = models.CharField(_("strength"), max_length=100, blank=True)
    form = models.CharField(pgettext_lazy("medication", "form"), max_length=100, blank=True)
    dose = models.CharField(_("dose"), max_length=100, blank=True)
    route = models.CharField(_("route"), max_length=100, blank=True)
    frequency = models.CharField(_("frequency"), max_length=100, blank=True)
    duration = models.CharField(_("duration or quantity"), max_length=100, blank=True)
    renewals = models.PositiveSmallIntegerField(_("renewals"), default=0)

    class Meta:
        verbose_name = _("medication line")
        verbose_name_plural = _("medication lines")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.as_text()

    def as_text(self) -> str:
        parts = [self.drug, self.strength, self.form, self.dose, self.route, self.frequency, self.duration]
        text = " ".join(part for part in parts if part)
        return f"{text} — Ren. {self.renewals}" if self.renewals else text


class Channel(models.TextChoices):
    FAX = "fax", _("Cloud fax")
    SECURE_EMAIL = "secure_email", _("Secure network email")
    PATIENT_LINK = "patient_link", _("Download link emailed to the patient")


class TransmissionQuerySet(models.QuerySet):
    def active(self):
        """Transmissions that are, or may still become, a delivery (a failed one may be retried)."""
        return self.exclude(status=Transmission.Status.CANCELLED)

    def open(self):
        return self.filter(status__in=[Transmission.Status.QUEUED, Transmission.Status.SENT])


class Transmission(BaseModel):
    """One signed document on its way to one recipient: an outbox row the workers deliver once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="transmissions")
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("recipient"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Frozen at sending, as the cover page says it: the directory may change later.
    recipient_name = models.CharField(_("recipient"), max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254, help_text=_("Fax number or email address."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    # Set just before handing the message to the gateway, cleared after: left set, the worker died
    # mid-send and nobody knows whether the fax left, so the portal never re-sends it on its own.
    sending_since = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmation = models.CharField(_("confirmation"), max_length=500, blank=True)
    failure_reason = models.CharField(_("reason"), max_length=500, blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    message_id = models.CharField(max_length=200, blank=True, editable=False)
    # The patient's download link: only a hash of its secret is kept.
    link_token_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    link_expires_at = models.DateTimeField(_("link valid until"), null=True, blank=True)
    link_failed_checks = models.PositiveSmallIntegerField(default=0)
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)

    objects = TransmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("transmission")
        verbose_name_plural = _("transmissions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.recipient_name} ({self.get_channel_display()})"

    @property
    def to_patient(self) -> bool:
        return self.recipient_id is None

    @property
    def may_retry(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def may_cancel(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.FAILED)
