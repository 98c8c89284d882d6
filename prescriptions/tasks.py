from celery import shared_task

from common.errors import TemporaryFailure
from common.outbox import MAX_RETRIES, retry_or_give_up

from . import services


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def deliver_transmission_task(self, transmission_id: int) -> str:
    try:
        return services.deliver_transmission(transmission_id).status
    except TemporaryFailure as failure:
        return retry_or_give_up(self, failure, lambda reason: services.give_up_on_transmission(transmission_id, reason))


@shared_task
def redeliver_pending_transmissions_task() -> int:
    return services.redeliver_pending_transmissions()
