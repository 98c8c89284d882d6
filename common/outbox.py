"""What every outbox worker does alike: hand rows to the broker safely, retry, and give up visibly."""

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .errors import TemporaryFailure
from .time import backoff_seconds

logger = logging.getLogger(__name__)

# With the default backoff (2 s base, 10 min cap, full jitter) 12 retries span about 20 minutes on
# average (8 spanned about 4): a mail server, fax gateway or platform down for 10 minutes ends in a
# delivery, not in a failure someone must retry by hand.
MAX_RETRIES = 12

# The database out of reach for a moment (a restart, a fail-over) while a task runs: the task is
# retried with backoff (autoretry_for) rather than left to the sweeper a few minutes later.
DATABASE_ERRORS = (OperationalError, InterfaceError)


def hand_over(enqueue: Callable[[], Any], *, what: str) -> None:
    """Enqueue after the commit. The row is already saved, so a broker that is down must not turn
    into an error for the user: the periodic sweeper hands the row over once the broker is back."""
    try:
        enqueue()
    except Exception:
        logger.warning("Could not hand %s to the workers; left to the sweeper", what, exc_info=True)


def retry_or_give_up(task: Task, failure: TemporaryFailure, give_up: Callable[[str], Any]) -> str:
    """Retry after the provider's Retry-After (or a backoff); after the last retry, mark the row failed
    with its reason, so the screens show it with a retry button."""
    if task.request.retries >= task.max_retries:
        give_up(failure.reason)
        return "failed"
    countdown = failure.retry_after or backoff_seconds(
        task.request.retries, base=settings.OUTBOX_RETRY_BASE_SECONDS, cap=settings.OUTBOX_RETRY_CAP_SECONDS
    )
    raise task.retry(exc=failure, countdown=countdown)
