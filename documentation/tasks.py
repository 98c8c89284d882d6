from celery import shared_task

from common.errors import TemporaryFailure
from common.time import backoff_seconds

from . import services

MAX_RETRIES = 8


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def deliver_filing_task(self, document_id: int) -> str:
    try:
        return services.deliver_filing(document_id).delivery_status
    except TemporaryFailure as failure:
        if self.request.retries >= MAX_RETRIES:
            services.give_up_on_filing(document_id, failure.reason)
            return "failed"
        raise self.retry(exc=failure, countdown=failure.retry_after or backoff_seconds(self.request.retries)) from None


@shared_task
def redeliver_pending_filings_task() -> int:
    return services.redeliver_pending_filings()
