"""A real Celery worker, over the configured broker (Redis in CI, the folder broker by default)."""

from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from directory.tasks import clear_expired_sessions_task
from telesante.celery import app

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_clears_expired_sessions_and_keeps_live_ones():
    expired, live = SessionStore(), SessionStore()
    expired.create()
    live.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - timedelta(minutes=1))

    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
        first = clear_expired_sessions_task.delay().get(timeout=30)
        second = clear_expired_sessions_task.delay().get(timeout=30)

    assert (first, second) == (1, 0)
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
