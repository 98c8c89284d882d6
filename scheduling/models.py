"""Appointments with patients, who takes part, and the notices each participant receives."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from common.models import BaseModel, OutboxFields
from directory.models import Clinic, Language, MeetingPlatform, Patient, TabletLoan
from virtualcare.providers.jitsi import signed_link


class Reason(models.TextChoices):
    """The oncology use cases of teleconsultation (DOMAIN.md), or free text."""

    DIAGNOSIS_FOLLOW_UP = "diagnosis_follow_up", _("Complement to the diagnosis announcement")
    BETWEEN_CYCLES = "between_cycles", _("Follow-up between two treatment cycles")
    TUMOUR_BOARD_DECISION = "tumour_board_decision", _("Explaining the tumour board's decision")
    SURVEILLANCE = "surveillance", _("Surveillance after active treatment")
    ONCOGENETICS = "oncogenetics", _("Oncogenetics")
    REEVALUATION = "reevaluation", _("Re-evaluation with the family physician")
    OTHER = "other", _("Other (see the details)")


class AppointmentQuerySet(models.QuerySet):
    def active(self) -> "AppointmentQuerySet":
        return self.exclude(status=Appointment.Status.CANCELLED)

    def overlapping(self, *, organizer_id: int, start, end) -> "AppointmentQuerySet":
        return self.active().filter(organizer_id=organizer_id, start__lt=end, end__gt=start)

    def between(self, start, end) -> "AppointmentQuerySet":
        return self.filter(start__lt=end, end__gt=start)

    def for_agenda(self) -> "AppointmentQuerySet":
        return (
            self.select_related("patient", "clinic__installation", "organizer", "meeting")
            .prefetch_related("participants__notices")
            .order_by("start", "id")
        )


class Appointment(BaseModel):
    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        IMMEDIATE = "immediate", _("Immediate (now, on the phone)")

    class Modality(models.TextChoices):
        VIDEO = "video", _("Video")
        PHONE = "phone", _("Phone")
        IN_PERSON = "in_person", _("In person")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        PATIENT_ABSENT = "patient_absent", _("Patient absent")
        SWITCHED_TO_PHONE = "switched_to_phone", _("Switched to phone")
        TECHNICAL_FAILURE = "technical_failure", _("Technical failure")
        CANCELLED = "cancelled", _("Cancelled")

    OUTCOMES = (
        Status.HELD,
        Status.PATIENT_ABSENT,
        Status.SWITCHED_TO_PHONE,
        Status.TECHNICAL_FAILURE,
        Status.CANCELLED,
    )

    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="appointments"
    )
    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), on_delete=models.PROTECT, related_name="appointments")
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organizer"),
        on_delete=models.PROTECT,
        related_name="organized_appointments",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SCHEDULED)
    modality = models.CharField(_("modality"), max_length=10, choices=Modality.choices, default=Modality.VIDEO)
    platform = models.CharField(_("platform"), max_length=10, choices=MeetingPlatform.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    reason_details = models.CharField(_("reason details"), max_length=300, blank=True)
    fallback_phone = PhoneNumberField(_("phone to call if the video fails"), blank=True)
    internet_ok = models.BooleanField(_("internet of at least 10 Mbps"), null=True, blank=True)
    device_ok = models.BooleanField(_("device with camera and microphone"), null=True, blank=True)
    tablet_loan = models.CharField(
        _("tablet loan"), max_length=12, choices=TabletLoan.choices, default=TabletLoan.NOT_NEEDED
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    outcome_details = models.CharField(_("what happened"), max_length=500, blank=True)
    recorded = models.BooleanField(_("recorded"), default=False)
    meeting = models.OneToOneField(
        "virtualcare.Meeting", verbose_name=_("meeting"), null=True, blank=True, on_delete=models.PROTECT
    )
    # Calendar files replace each other by UID with an increasing SEQUENCE (RFC 5545).
    sequence = models.PositiveIntegerField(default=0)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="appointment_ends_after_start"),
        ]
        indexes = [
            # The agenda reads by organizer and time; the exclusion constraint's index does not serve it.
            models.Index(fields=["organizer", "start"], name="appointment_organizer_start"),
            models.Index(fields=["clinic", "start"], name="appointment_clinic_start"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} {self.get_modality_display()}"

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def is_video(self) -> bool:
        return self.modality == self.Modality.VIDEO

    @property
    def readiness_flagged(self) -> bool:
        return self.is_video and (self.internet_ok is False or self.device_ok is False or self.tablet_loan == "needed")

    def can_be_changed(self) -> bool:
        return self.status == self.Status.SCHEDULED

    def host_link(self) -> str:
        """What the organizer opens to start the meeting (on Jitsi, a link that makes her moderator)."""
        if not self.meeting_id or not self.meeting.join_url:
            return ""
        if self.meeting.provider == "jitsi":
            return self.jitsi_link(name=self.organizer.get_full_name(), email=self.organizer.email, moderator=True)
        return self.meeting.host_url or self.meeting.join_url

    def jitsi_link(self, *, name: str, email: str, moderator: bool) -> str:
        # Valid until two hours after the planned end, for a meeting that runs late.
        expires_at = (self.end + timedelta(hours=2)).timestamp()
        return signed_link(
            self.meeting.provider_meeting_id, name=name, email=email, moderator=moderator, expires_at=expires_at
        )

    def has_work_in_progress(self) -> bool:
        """A link being made or invitations on their way: the agenda row keeps following it."""
        meeting_state = self.meeting.state if self.meeting_id else None
        if meeting_state == "pending":
            return True
        if meeting_state == "failed":
            return False  # nothing moves until someone presses "retry"
        return any(n.delivery_status == "pending" for p in self.participants.all() for n in p.notices.all())


class Participant(BaseModel):
    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        CAREGIVER = "caregiver", _("Caregiver")
        PROFESSIONAL = "professional", _("Professional")
        INTERPRETER = "interpreter", _("Interpreter")

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="participants")
    role = models.CharField(_("role"), max_length=15, choices=Role.choices)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FRENCH)
    interpretation_language = models.CharField(_("interpretation into"), max_length=40, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class StatusChange(models.Model):
    """The appointment's history: every status it went through, who moved it and why."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"

    def get_to_status_display(self) -> str:
        return Appointment.Status(self.to_status).label


class NoticeQuerySet(models.QuerySet):
    def pending(self) -> "NoticeQuerySet":
        return self.filter(delivery_status="pending")


class Notice(BaseModel, OutboxFields):
    """One email to one participant: an invitation, an update, a cancellation or a reminder."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        UPDATE = "update", _("Update")
        CANCELLATION = "cancellation", _("Cancellation")
        REMINDER = "reminder", _("Reminder")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    sequence = models.PositiveIntegerField(default=0)
    message_id = models.CharField(max_length=200, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["id"]
        constraints = [
            # The same notice is never written (so never sent) twice.
            models.UniqueConstraint(fields=["participant", "kind", "sequence"], name="notice_once_per_version"),
        ]
