"""Consent scripts (versioned, French and English) and the consents patients give, refuse or withdraw.

A record is never changed: a withdrawal is a new record. Each record points to the script version
that was read, in the language it was read in.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import AppendOnlyModel, AppendOnlyQuerySet, BaseModel
from directory.models import Language, Patient


class ConsentKind(models.TextChoices):
    TELEHEALTH = "telehealth", _("Telehealth")
    RECORDING = "recording", _("Recording")
    PERSONAL_EMAIL = "personal_email", _("Documents by personal email")


class ConsentScriptQuerySet(models.QuerySet):
    def current(self, kind: str, language: str) -> "ConsentScript | None":
        return self.filter(kind=kind, language=language).order_by("-version").first()


class ConsentScript(BaseModel):
    """What the professional reads to the patient. Editing one in the admin makes a new version."""

    kind = models.CharField(_("kind"), max_length=20, choices=ConsentKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ConsentScriptQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent script")
        verbose_name_plural = _("consent scripts")
        ordering = ["kind", "language", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "language", "version"], name="consent_script_one_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language}) v{self.version}"


class ConsentRecordQuerySet(AppendOnlyQuerySet):
    def latest_first(self) -> "ConsentRecordQuerySet":
        return self.order_by("-given_at", "-id")


class ConsentRecord(BaseModel, AppendOnlyModel):
    class Decision(models.TextChoices):
        GRANTED = "granted", _("Given")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Method(models.TextChoices):
        VERBAL = "verbal", _("Verbal")
        WRITTEN = "written", _("Written")

    class Party(models.TextChoices):
        PATIENT = "patient", _("Patient")
        PROFESSIONAL = "professional", _("Professional")

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(_("kind"), max_length=20, choices=ConsentKind.choices)
    party = models.CharField(_("who consents"), max_length=15, choices=Party.choices, default=Party.PATIENT)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    method = models.CharField(_("how"), max_length=10, choices=Method.choices, default=Method.VERBAL)
    script = models.ForeignKey(
        ConsentScript, verbose_name=_("script read"), null=True, blank=True, on_delete=models.PROTECT
    )
    script_version = models.PositiveIntegerField(_("script version"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    # The appointment's public id: consent comes before scheduling in the app order.
    appointment_id = models.UUIDField(_("appointment"), null=True, blank=True, db_index=True)
    warning_read = models.BooleanField(_("warning read"), default=False)
    given_at = models.DateTimeField(_("when"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["patient", "kind", "-given_at"], name="consent_latest_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.get_decision_display()}"
