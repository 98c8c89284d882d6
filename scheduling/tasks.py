from celery import shared_task

from common.errors import TemporaryFailure
from common.outbox import DATABASE_ERRORS, MAX_RETRIES, retry_or_give_up

from . import services
from .models import Notice


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, autoretry_for=DATABASE_ERRORS, retry_backoff=True)
def send_notice_task(self, notice_id: int) -> str:
    try:
        return services.deliver_notice(notice_id).delivery_status
    except TemporaryFailure as failure:
        return retry_or_give_up(self, failure, lambda reason: services.give_up_on_notice(notice_id, reason))


@shared_task(acks_late=True)
def send_appointment_notices_task(appointment_id: int) -> int:
    """Send each pending notice of the appointment (each in its own task, so one failure stays alone)."""
    notice_ids = list(
        Notice.objects.pending().filter(participant__appointment_id=appointment_id).values_list("pk", flat=True)
    )
    for notice_id in notice_ids:
        send_notice_task.delay(notice_id)
    return len(notice_ids)


@shared_task
def send_due_reminders_task() -> int:
    notices = services.write_due_reminders()
    for notice in notices:
        send_notice_task.delay(notice.pk)
    return len(notices)


@shared_task
def redeliver_pending_task() -> int:
    return services.redeliver_pending()
