"""What Quebec privacy law asks the portal to keep: the register of confidentiality incidents, the
register of communications of health information, legal holds and the record of what was destroyed.

Sources (reference/reliability-performance-anchors.md, §A4): A-2.1 s. 63.11, P-39.1 s. 3.8 and the
Regulation respecting confidentiality incidents (register content, kept at least 5 years); R-22.1
s. 110 and R-22.1, r. 1 (health information); R-22.1 s. 265 (register of communications);
A-2.1 s. 73, P-39.1 s. 23, R-22.1 s. 111 (destruction once the retention period is over).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet, BaseModel
from directory.models import Establishment, Patient, Recipient
from documentation.models import SignedDocument
from prescriptions.models import Category, Channel, Transmission

# -- confidentiality incidents -------------------------------------------------------------------------


class IncidentQuerySet(models.QuerySet):
    def delete(self):
        raise AppendOnlyError("Confidentiality incidents are kept: the register is never purged.")


class ConfidentialityIncident(BaseModel):
    """One row of the register of confidentiality incidents, with every regulated field.

    Every incident goes in, including those with no risk of serious injury. Rows are never deleted
    (the register is kept at least five years and given to the Commission d'accès à l'information on
    request); creating and changing one go through privacy.services and are audited.
    """

    # (1) the information concerned, or why it is not known
    information_concerned = models.TextField(
        _("information concerned"),
        blank=True,
        help_text=_("The personal information the incident concerns (categories, not the information itself)."),
    )
    information_unknown_reason = models.TextField(
        _("why the information concerned is not known"),
        blank=True,
        help_text=_("Fill in only when the information concerned cannot be described."),
    )
    # (2) the circumstances
    circumstances = models.TextField(_("circumstances of the incident"))
    # (3) when it happened, a date or a period
    occurred_from = models.DateField(_("incident date (or start of the period)"))
    occurred_until = models.DateField(_("end of the incident period"), null=True, blank=True)
    # (4) when the body learned of it
    learned_from = models.DateField(_("date the body learned of it (or start of the period)"))
    learned_until = models.DateField(_("end of the period in which the body learned of it"), null=True, blank=True)
    # (5) how many people
    persons_concerned = models.PositiveIntegerField(_("number of persons concerned"))
    persons_estimated = models.BooleanField(
        _("the number is an estimate"), default=False, help_text=_("Tick when the exact number is not known.")
    )
    # (6) the assessment of the risk of serious injury, and its conclusion
    risk_sensitivity = models.TextField(_("sensitivity of the information"))
    risk_misuse = models.TextField(_("possible misuse"))
    risk_consequences = models.TextField(_("foreseeable consequences"))
    risk_likelihood = models.TextField(_("likelihood of injurious use"))
    serious_injury_risk = models.BooleanField(_("risk of serious injury"), default=False)
    risk_conclusion = models.TextField(_("conclusion of the assessment"))
    # (7) if serious: the notices
    cai_notified_on = models.DateField(_("notice to the Commission d'accès à l'information"), null=True, blank=True)
    minister_notified_on = models.DateField(
        _("notice to the Minister of Health and Social Services"), null=True, blank=True
    )
    persons_notified_on = models.DateField(_("notice to the persons concerned"), null=True, blank=True)
    public_notice_on = models.DateField(_("public notice"), null=True, blank=True)
    public_notice_details = models.TextField(_("public notice: how and why"), blank=True)
    # (8) the measures taken
    measures_taken = models.TextField(_("measures taken to reduce the risk of injury"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("confidentiality incident")
        verbose_name_plural = _("register of confidentiality incidents")
        ordering = ["-occurred_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(information_concerned="") | ~Q(information_unknown_reason=""),
                name="incident_information_or_why_unknown",
                violation_error_message=_("Describe the information concerned, or say why it is not known."),
            ),
            models.CheckConstraint(
                condition=Q(occurred_until__isnull=True) | Q(occurred_until__gte=models.F("occurred_from")),
                name="incident_occurred_period_in_order",
                violation_error_message=_("The incident period ends after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(learned_until__isnull=True) | Q(learned_until__gte=models.F("learned_from")),
                name="incident_learned_period_in_order",
                violation_error_message=_("The period in which the body learned of it ends after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_from:%Y-%m-%d} — {self.circumstances[:60]}"

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Confidentiality incidents are kept: the register is never purged.")


# -- communications of health information -------------------------------------------------------------


class RecipientKind(models.TextChoices):
    """Who received the information: the directory's kinds, and the patient."""

    PATIENT = "patient", _("The patient")
    COMMUNITY_PHARMACY = Recipient.Kind.COMMUNITY_PHARMACY.value, Recipient.Kind.COMMUNITY_PHARMACY.label
    ESTABLISHMENT_PHARMACY = Recipient.Kind.ESTABLISHMENT_PHARMACY.value, Recipient.Kind.ESTABLISHMENT_PHARMACY.label
    IMAGING_LAB = Recipient.Kind.IMAGING_LAB.value, Recipient.Kind.IMAGING_LAB.label
    RADIOLOGY_SERVICE = Recipient.Kind.RADIOLOGY_SERVICE.value, Recipient.Kind.RADIOLOGY_SERVICE.label
    MEDICAL_ARCHIVES = Recipient.Kind.MEDICAL_ARCHIVES.value, Recipient.Kind.MEDICAL_ARCHIVES.label
    NETWORK_UNIT = Recipient.Kind.NETWORK_UNIT.value, Recipient.Kind.NETWORK_UNIT.label
    PROFESSIONAL = Recipient.Kind.PROFESSIONAL.value, Recipient.Kind.PROFESSIONAL.label


class Purpose(models.TextChoices):
    DISPENSING = "dispensing", _("Dispensing the prescribed medication")
    EXAMINATION = "examination", _("Performing the prescribed examination or tests")
    CONTINUITY_OF_CARE = "continuity_of_care", _("Continuity of care by another professional or unit")
    RECORD_KEEPING = "record_keeping", _("Filing in the patient's record")
    PATIENT_COPY = "patient_copy", _("Giving the patient her own document")


class LegalBasis(models.TextChoices):
    CARE = "care", _("Needed to provide health services to the patient (R-22.1, communication to a provider)")
    RECORD_KEEPING = "record_keeping", _("Keeping the user's record of the establishment (R-22.1)")
    PERSON_CONCERNED = "person_concerned", _("Communication to the person concerned (R-22.1, right of access)")


class CommunicationRecord(BaseModel, AppendOnlyModel):
    """One communication of health information outside the portal (R-22.1 s. 265): the nature of the
    information (the document's form and category, never its content), the recipient, the purpose and
    its justification, the date, the channel, who communicated it, and the patient (by id).

    Written in the same transaction as the transmission it describes; never changed nor deleted.
    """

    transmission = models.OneToOneField(
        Transmission, verbose_name=_("transmission"), on_delete=models.PROTECT, related_name="communication_record"
    )
    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="+")
    establishment = models.ForeignKey(
        Establishment, verbose_name=_("establishment"), on_delete=models.PROTECT, related_name="+"
    )
    document_kind = models.CharField(_("form"), max_length=10, choices=SignedDocument.Kind.choices)
    document_category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    recipient_kind = models.CharField(_("recipient kind"), max_length=30, choices=RecipientKind.choices)
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("recipient"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The organization as the directory named it at the time; empty for the patient (her name is on her file).
    recipient_name = models.CharField(_("recipient"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    legal_basis = models.CharField(_("justification"), max_length=30, choices=LegalBasis.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    communicated_at = models.DateTimeField(_("date"), db_index=True)
    communicated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("communicated by"), on_delete=models.PROTECT, related_name="+"
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("communication of health information")
        verbose_name_plural = _("register of communications")
        ordering = ["-communicated_at", "-id"]
        indexes = [models.Index(fields=["establishment", "-communicated_at"], name="communication_by_establishment")]

    def __str__(self) -> str:
        return f"{self.communicated_at:%Y-%m-%d} {self.document_kind} → {self.get_recipient_kind_display()}"

    @property
    def recipient_label(self) -> str:
        return self.recipient_name or str(self.get_recipient_kind_display())


# -- retention -------------------------------------------------------------------------------------------


class LegalHoldQuerySet(models.QuerySet):
    def active(self) -> "LegalHoldQuerySet":
        return self.filter(lifted_at__isnull=True)

    def delete(self):
        raise AppendOnlyError("Legal holds are lifted, never deleted.")


class LegalHold(BaseModel):
    """While a hold is active, the retention purge destroys nothing about the patient (a lawsuit, an
    investigation, an access request in progress). Lifting is recorded, never a deletion."""

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("placed by"), on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed at"))
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = models.CharField(_("reason for lifting"), max_length=500, blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(lifted_at__isnull=True),
                name="legal_hold_one_active_per_patient",
                violation_error_message=_("This patient is already under a legal hold."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.placed_at:%Y-%m-%d} {self.reason[:60]}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Legal holds are lifted, never deleted.")


class DestructionRecord(BaseModel, AppendOnlyModel):
    """What one retention run destroyed: which item, when, under which rule, by whom or what."""

    class Item(models.TextChoices):
        DOCUMENT_PDF = "document_pdf", _("The portal's copy of a signed PDF")
        PATIENT_LINK = "patient_link", _("A patient's download link")
        MEETING_DETAILS = "meeting_details", _("A past meeting's links and passcode")

    run_id = models.UUIDField(_("run"), db_index=True)
    destroyed_at = models.DateTimeField(_("destroyed at"))
    item = models.CharField(_("what"), max_length=20, choices=Item.choices)
    item_type = models.CharField(_("object type"), max_length=60)
    item_id = models.CharField(_("object identifier"), max_length=64, db_index=True)
    patient_id = models.UUIDField(_("patient"), null=True, blank=True, db_index=True)
    rule = models.CharField(_("rule applied"), max_length=60)
    retention_days = models.PositiveIntegerField(_("retention period (days)"))
    reference_date = models.DateTimeField(_("period counted from"))
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    destroyed_by_label = models.CharField(_("by (name or task)"), max_length=150)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("destruction record")
        verbose_name_plural = _("destruction records")
        ordering = ["-destroyed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.destroyed_at:%Y-%m-%d %H:%M} {self.get_item_display()} {self.item_id}"
