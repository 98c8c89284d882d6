"""The audit trail: who saw or changed which health information, when, and from where.

Rows are only ever added. The model refuses updates and deletes, the admin shows them read-only,
and the database itself refuses an UPDATE (and, on PostgreSQL, a DELETE) through a trigger.
Rows hold identifiers and categories, never the health information itself. Each row carries the
hash of the one before it (see `audit.chain`), so that a changed or deleted row shows.
"""

from django.conf import settings
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import AppendOnlyModel, AppendOnlyQuerySet


class AuditEventQuerySet(AppendOnlyQuerySet):
    def for_patient(self, patient_public_id) -> "AuditEventQuerySet":
        return self.filter(patient_id=patient_public_id).select_related("actor").order_by("-occurred_at", "-id")

    def bulk_create(self, objs, *args, **kwargs):
        raise TypeError("Audit events join the hash chain one at a time: use audit.services.record().")


class AuditEvent(AppendOnlyModel):
    class Action(models.TextChoices):
        LOGIN = "auth.login", _("Signed in")
        LOGOUT = "auth.logout", _("Signed out")
        LOGIN_FAILED = "auth.login_failed", _("Failed sign-in")
        TOKEN_ISSUED = "auth.token_issued", _("API token issued")
        LANGUAGE_CHANGED = "account.language", _("Interface language changed")
        PATIENT_VIEW = "patient.view", _("Opened the patient's record")
        PATIENT_SEARCH = "patient.search", _("Searched patients")
        PATIENT_CREATE = "patient.create", _("Created the patient")
        PATIENT_CHANGE = "patient.change", _("Changed the patient's information")
        PATIENT_ACCESS_DENIED = "patient.access_denied", _("Asked for a record outside their clinics")
        PATIENT_HISTORY_VIEW = "patient.history_view", _("Read the patient's access history")
        APPOINTMENT_BOOK = "appointment.book", _("Booked an appointment")
        APPOINTMENT_VIEW = "appointment.view", _("Opened an appointment")
        APPOINTMENT_RESCHEDULE = "appointment.reschedule", _("Moved an appointment")
        APPOINTMENT_CANCEL = "appointment.cancel", _("Cancelled an appointment")
        APPOINTMENT_OUTCOME = "appointment.outcome", _("Recorded an appointment's outcome")
        MEETING_RETRY = "meeting.retry", _("Asked the platform again for a meeting link")
        CONSENT_RECORD = "consent.record", _("Recorded a consent")
        CONSENT_WITHDRAW = "consent.withdraw", _("Recorded a withdrawal of consent")
        APPOINTMENT_RECORDED = "appointment.recorded", _("Flagged a meeting as recorded")
        NOTE_CREATE = "note.create", _("Started a progress note")
        NOTE_SIGN = "note.sign", _("Signed a progress note")
        NOTE_DOWNLOAD = "note.download", _("Downloaded a signed document")
        DOCUMENT_RETURN = "document.return", _("Returned a document to its author")
        DOCUMENT_FILE = "document.file", _("Filed a document in the record")
        DOCUMENT_DELIVERED = "document.delivered", _("The record system received a document")
        DOCUMENT_COPY_REMOVED = "document.copy_removed", _("Removed the portal's copy of a document")
        PRESCRIPTION_CREATE = "prescription.create", _("Started a prescription")
        PRESCRIPTION_SIGN = "prescription.sign", _("Signed a prescription")
        PRESCRIPTION_DISCARD = "prescription.discard", _("Discarded a draft prescription")
        TRANSMISSION_QUEUE = "transmission.queue", _("Sent a document to a recipient")
        TRANSMISSION_SENT = "transmission.sent", _("A document left for its recipient")
        TRANSMISSION_CONFIRMED = "transmission.confirmed", _("A recipient confirmed receiving a document")
        TRANSMISSION_FAILED = "transmission.failed", _("A transmission failed")
        TRANSMISSION_RETRY = "transmission.retry", _("Retried a transmission")
        TRANSMISSION_CANCEL = "transmission.cancel", _("Cancelled a transmission")
        PATIENT_DOWNLOAD = "document.patient_download", _("The patient downloaded a document")
        PATIENT_DOWNLOAD_REFUSED = "document.patient_download_refused", _("A download link was refused")
        SECOND_FACTOR_ENROLLED = "auth.second_factor_enrolled", _("Set up a second sign-in factor")
        SECOND_FACTOR_FAILED = "auth.second_factor_failed", _("Gave a wrong second-factor code")
        RECOVERY_CODE_USED = "auth.recovery_code_used", _("Signed in with a recovery code")
        RECOVERY_CODES_RENEWED = "auth.recovery_codes_renewed", _("Renewed the recovery codes")
        SECOND_FACTOR_RESET = "auth.second_factor_reset", _("Reset a user's second factor")
        SSO_LOGIN = "auth.sso_login", _("Signed in with the network's account")
        SSO_REFUSED = "auth.sso_refused", _("A network sign-in was refused")
        SESSIONS_ENDED = "auth.sessions_ended", _("Ended all of an account's sessions")
        EMERGENCY_ACCESS = "patient.emergency_access", _("Opened a record outside their clinics in an emergency")
        EMERGENCY_ACCESS_REVIEWED = "patient.emergency_access_reviewed", _("Reviewed an emergency access")
        PATIENT_EXPORT = "patient.export", _("Exported everything the portal holds on the patient")
        INCIDENT_RECORD = "privacy.incident_record", _("Recorded a confidentiality incident")
        INCIDENT_CHANGE = "privacy.incident_change", _("Updated a confidentiality incident")
        COMMUNICATIONS_EXPORT = "privacy.communications_export", _("Exported the register of communications")
        RETENTION_PURGE = "privacy.retention_purge", _("Destroyed information past its retention period")
        LEGAL_HOLD_SET = "privacy.legal_hold_set", _("Placed a legal hold")
        LEGAL_HOLD_LIFTED = "privacy.legal_hold_lifted", _("Lifted a legal hold")

    class Channel(models.TextChoices):
        WEB = "web", _("Web page")
        API = "api", _("API")
        WORKER = "worker", _("Background worker")
        COMMAND = "command", _("Command line")

    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("what"), max_length=40, choices=Action.choices, db_index=True)
    target_type = models.CharField(_("object type"), max_length=60, blank=True)
    target_id = models.CharField(_("object identifier"), max_length=64, blank=True)
    patient_id = models.UUIDField(_("patient"), null=True, blank=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    previous_hash = models.CharField(_("previous entry's hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["actor", "-occurred_at"], name="audit_actor_recent")]
        # The chain cannot fork: two entries never follow the same one.
        constraints = [models.UniqueConstraint(fields=["previous_hash"], name="audit_chain_no_fork")]

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            return super().save(*args, **kwargs)  # refuses: rows are never changed
        from .chain import link

        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            link(self, using)  # id, previous_hash and hash, under the appenders' lock
            models.Model.save(self, *args, **{**kwargs, "using": using, "force_insert": True})

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"
