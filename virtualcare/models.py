"""A meeting at a video platform, kept in step with the platform by the workers."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import BaseModel, OutboxFields
from directory.models import MeetingPlatform


class MeetingQuerySet(models.QuerySet):
    def awaiting_provider(self) -> "MeetingQuerySet":
        return self.filter(delivery_status="pending").exclude(pending_action="")


class Meeting(BaseModel, OutboxFields):
    """What the platform knows of a meeting. It never holds who the patient is.

    `pending_action` says what the platform still has to do (create, update, delete); the outbox
    fields say how it went. The public id is the idempotency key sent to the platform.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")

    provider = models.CharField(_("platform"), max_length=10, choices=MeetingPlatform.choices)
    subject = models.CharField(_("subject"), max_length=200)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    organizer_email = models.EmailField(_("organizer's account"))
    organizer_name = models.CharField(_("organizer's name"), max_length=200, blank=True)
    interpreter_languages = models.JSONField(_("interpretation languages"), default=list, blank=True)
    lobby_bypass = models.CharField(_("who skips the lobby"), max_length=20, default="organization")
    pending_action = models.CharField(
        _("still to do at the platform"), max_length=10, choices=Action.choices, blank=True
    )
    provider_meeting_id = models.CharField(_("platform's meeting id"), max_length=600, blank=True)
    join_url = models.URLField(_("join link"), max_length=2000, blank=True)
    host_url = models.URLField(_("host link"), max_length=2000, blank=True)
    passcode = models.CharField(_("passcode"), max_length=40, blank=True)
    dial_in = models.CharField(_("dial-in"), max_length=300, blank=True)
    deleted_at_provider = models.BooleanField(_("deleted at the platform"), default=False)
    # Bumped by every change asked of the platform, so that a worker finishing an older request
    # does not mark a newer one as done.
    revision = models.PositiveIntegerField(default=0)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.public_id}"

    @property
    def is_ready(self) -> bool:
        return bool(self.join_url) and not self.deleted_at_provider and self.delivery_status == "done"

    @property
    def state(self) -> str:
        """One word for the agenda: pending, ready, failed or cancelled."""
        if self.deleted_at_provider or (self.pending_action == self.Action.DELETE and self.delivery_status == "done"):
            return "cancelled"
        if self.delivery_status == "failed":
            return "failed"
        if self.delivery_status == "pending":
            return "pending"
        return "ready"
