"""Meetings at the platforms: planned in the request, made real by the workers, never twice."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from common.errors import Conflict, TemporaryFailure
from common.models import OutboxStatus

from .models import Meeting
from .providers.base import MeetingRequest, PermanentProviderError, TemporaryProviderError
from .providers.registry import provider_named

PENDING, DONE, FAILED = OutboxStatus.PENDING, OutboxStatus.DONE, OutboxStatus.FAILED


def plan_meeting(
    *,
    provider: str,
    subject: str,
    start: datetime,
    end: datetime,
    organizer_email: str,
    organizer_name: str = "",
    interpreter_languages: list[str] | None = None,
    lobby_bypass: str = "organization",
    pasted_link: str = "",
) -> Meeting:
    """A meeting the platform still has to create; call inside the booking's transaction."""
    return Meeting.objects.create(
        provider=provider,
        subject=subject,
        start=start,
        end=end,
        organizer_email=organizer_email,
        organizer_name=organizer_name,
        interpreter_languages=interpreter_languages or [],
        lobby_bypass=lobby_bypass,
        join_url=pasted_link,
        pending_action=Meeting.Action.CREATE,
        revision=1,
    )


def move_meeting(meeting: Meeting, *, start: datetime, end: datetime) -> Meeting:
    """New times; the platform is told (a meeting not yet created is simply created at the new time)."""
    meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting.pk)
    meeting.start, meeting.end = start, end
    if meeting.pending_action != Meeting.Action.CREATE:
        meeting.pending_action = Meeting.Action.UPDATE
    _ask_again(meeting)
    return meeting


def cancel_meeting(meeting: Meeting) -> Meeting:
    """Delete at the platform; a meeting the platform never created needs no call."""
    meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting.pk)
    if not meeting.provider_meeting_id:
        meeting.pending_action = ""
        meeting.deleted_at_provider = True
        meeting.delivery_status = DONE
        meeting.revision += 1
        meeting.save()
        return meeting
    meeting.pending_action = Meeting.Action.DELETE
    _ask_again(meeting)
    return meeting


def retry_meeting(meeting: Meeting) -> Meeting:
    """After a permanent failure was fixed (an account, a licence): try again from the start."""
    meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting.pk)
    if meeting.delivery_status != FAILED:
        raise Conflict("This meeting has not failed.", code="meeting_not_failed")
    _ask_again(meeting)
    return meeting


def _ask_again(meeting: Meeting) -> None:
    meeting.delivery_status = PENDING
    meeting.attempts = 0
    meeting.last_error = ""
    meeting.next_attempt_at = None
    meeting.revision += 1
    meeting.save()


def sync_meeting(meeting_id: int) -> Meeting:
    """Do at the platform what the meeting still needs. Idempotent; safe to run twice at once.

    The attempt is recorded before calling out, and no database transaction stays open during the
    call (a slow platform must not block the agenda). Raises TemporaryFailure when worth retrying.
    """
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting_id)
        if meeting.delivery_status != PENDING or not meeting.pending_action:
            return meeting
        meeting.attempts += 1
        meeting.last_attempt_at = timezone.now()
        meeting.save(update_fields=["attempts", "last_attempt_at", "updated_at"])
        action, revision = meeting.pending_action, meeting.revision
        request = meeting_request(meeting)

    provider = provider_named(meeting.provider, pasted_link=meeting.join_url)
    try:
        if action == Meeting.Action.CREATE:
            details = provider.create(request)
        elif action == Meeting.Action.UPDATE:
            details = provider.update(meeting.provider_meeting_id, request)
        else:
            provider.delete(meeting.provider_meeting_id)
            details = None
    except TemporaryProviderError as error:
        _record_failure(meeting_id, revision, error.reason, final=False, retry_after=error.retry_after)
        raise TemporaryFailure(error.reason, retry_after=error.retry_after) from error
    except PermanentProviderError as error:
        return _record_failure(meeting_id, revision, error.reason, final=True)

    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting_id)
        if details is not None:
            meeting.provider_meeting_id = details.provider_meeting_id
            meeting.join_url = details.join_url
            meeting.host_url = details.host_url or details.join_url
            meeting.passcode = details.passcode
            meeting.dial_in = details.dial_in
        if action == Meeting.Action.DELETE:
            meeting.deleted_at_provider = True
        if meeting.revision == revision:
            meeting.pending_action = ""
            meeting.delivery_status = DONE
            meeting.delivered_at = timezone.now()
            meeting.last_error = ""
        elif action == Meeting.Action.CREATE and meeting.deleted_at_provider:
            # Cancelled while being created: what the platform just made must go.
            meeting.deleted_at_provider = False
            meeting.pending_action = Meeting.Action.DELETE
        elif action == Meeting.Action.CREATE and meeting.pending_action == Meeting.Action.CREATE:
            # Moved while being created: what exists at the platform now needs the new times.
            meeting.pending_action = Meeting.Action.UPDATE
        meeting.save()
    return meeting


def give_up_on_meeting(meeting_id: int, reason: str) -> Meeting:
    """Retries are exhausted: the agenda shows the reason and a retry button."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting_id)
        if meeting.delivery_status == PENDING:
            meeting.delivery_status = FAILED
            meeting.last_error = reason[:500]
            meeting.save()
    return meeting


def _record_failure(meeting_id: int, revision: int, reason: str, *, final: bool, retry_after=None) -> Meeting:
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting_id)
        meeting.last_error = reason[:500]
        if retry_after:
            meeting.next_attempt_at = timezone.now() + timedelta(seconds=retry_after)
        if final and meeting.revision == revision:
            meeting.delivery_status = FAILED
        meeting.save()
    return meeting


def meeting_request(meeting: Meeting) -> MeetingRequest:
    return MeetingRequest(
        external_id=str(meeting.public_id),
        subject=meeting.subject,
        start=meeting.start,
        end=meeting.end,
        organizer_email=meeting.organizer_email,
        organizer_name=meeting.organizer_name,
        interpreter_languages=tuple(meeting.interpreter_languages),
        lobby_bypass=meeting.lobby_bypass,
    )
