from celery import shared_task

from common.errors import TemporaryFailure
from common.outbox import MAX_RETRIES, retry_or_give_up

from . import services


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def deliver_filing_task(self, document_id: int) -> str:
    try:
        return services.deliver_filing(document_id).delivery_status
    except TemporaryFailure as failure:
        return retry_or_give_up(self, failure, lambda reason: services.give_up_on_filing(document_id, reason))


@shared_task
def redeliver_pending_filings_task() -> int:
    return services.redeliver_pending_filings()
