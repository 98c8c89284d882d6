from celery import shared_task

from common.errors import TemporaryFailure
from common.outbox import DATABASE_ERRORS, MAX_RETRIES, retry_or_give_up

from .services import give_up_on_meeting, sync_meeting


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, autoretry_for=DATABASE_ERRORS, retry_backoff=True)
def sync_meeting_task(self, meeting_id: int) -> str:
    """Make the platform match the meeting row; retried with backoff, honouring Retry-After."""
    try:
        # A change asked while the platform was answering leaves the meeting pending: do it now.
        for _round in range(3):
            meeting = sync_meeting(meeting_id)
            if meeting.delivery_status != "pending":
                break
        return meeting.state
    except TemporaryFailure as failure:
        return retry_or_give_up(self, failure, lambda reason: give_up_on_meeting(meeting_id, reason))
