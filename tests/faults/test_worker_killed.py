"""Fault 3: the Celery worker is killed (SIGKILL, its whole process group) while it creates meetings and
sends invitations through a Graph fake that takes a second for each.

A new worker and the sweeper finish everything: one meeting per appointment at the platform, one
invitation per participant in the mailbox, and no row left "in progress" past its lease.
"""

import time
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db.models import Q

from scheduling.models import Notice
from scheduling.services import book_appointment
from tests import factories
from tests.scheduling.conftest import tomorrow_at, video
from virtualcare.models import Meeting

from .conftest import FAULTS, graph_mail, needs_postgresql, needs_redis_server, process_environment, sweep, wait_until

pytestmark = [
    FAULTS,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    needs_postgresql(),
    needs_redis_server,
]

APPOINTMENTS = 20
# How long a row may stay "in progress" (attempt written, outcome not) before the sweeper hands it
# over again; beat's sweeper uses a minute, the test a few seconds.
LEASE = timedelta(seconds=5)


def unfinished() -> int:
    return Meeting.objects.awaiting_provider().count() + Notice.objects.filter(delivery_status="pending").count()


def test_a_worker_killed_mid_work_leaves_every_meeting_and_invitation_done_once(
    private_redis, processes, graph_fake, nurse, clinic_a
):
    private_redis.start()
    # Each meeting and each mail takes the platform a second to answer.
    graph_fake.slow_next(1.0, times=1000, method="POST", path="createOrGet")
    graph_fake.slow_next(1.0, times=1000, method="POST", path="sendMail")
    environment = process_environment(
        **graph_fake.environment(),
        EMAIL_BACKEND="virtualcare.mail.GraphEmailBackend",
        PROVIDER_TIMEOUT_SECONDS=5,
    )
    first = processes.celery_worker(environment, concurrency=4, name="first")

    # When 20 meetings are booked (patients without email: one invitation each, to the nurse)
    for index in range(APPOINTMENTS):
        patient = factories.patient(
            clinic_a, first_name=f"Patiente{index}", date_of_birth=date(1950, 1, 1) + timedelta(days=43 * index)
        )
        book_appointment(
            by=nurse,
            patient=patient,
            clinic=clinic_a,
            details=video("teams", start=tomorrow_at(7) + timedelta(minutes=20 * index), minutes=15),
        )

    # And the worker is killed while meetings are being made and invitations sent
    wait_until(lambda: len(graph_fake.requests_to("POST", "sendMail")) >= 2, seconds=90, what="invitations leaving")
    processes.kill_group(first)
    killed_at = time.monotonic()
    in_progress = (
        Meeting.objects.filter(delivery_status="pending", attempts__gte=1).count()
        + Notice.objects.filter(delivery_status="pending", attempts__gte=1).count()
    )
    assert unfinished() > 0, "the worker finished before it was killed: nothing was tested"
    graph_fake.clear_faults()

    # Then a new worker and the sweeper (rows older than their lease) finish the work
    processes.celery_worker(environment, concurrency=2, name="second")

    def all_done() -> bool:
        sweep(older_than=LEASE)
        return unfinished() == 0

    wait_until(all_done, seconds=90, what=f"everything done after the kill (log: {processes.log('second')})")
    recovered_in = time.monotonic() - killed_at
    sweep(older_than=timedelta(0))
    time.sleep(1.5)

    # One meeting per appointment at the platform, each recorded once in the portal
    assert len(graph_fake.meetings) == APPOINTMENTS
    assert Meeting.objects.filter(delivery_status="done").count() == APPOINTMENTS
    assert len({meeting.provider_meeting_id for meeting in Meeting.objects.all()}) == APPOINTMENTS
    # One invitation per notice in the nurse's mailbox, which keeps one message per Message-ID; the
    # transport saw a second copy only of the messages under way when the worker died.
    sent = graph_mail(graph_fake)
    notices = {f"<{notice.public_id}@" for notice in Notice.objects.all()}
    mailbox = Counter(message_id.split("@")[0] + "@" for message_id, _address in sent)
    assert set(mailbox) == notices and len(notices) == APPOINTMENTS
    assert sum(mailbox.values()) - APPOINTMENTS <= max(in_progress, 0)
    assert {address for _id, address in sent} == {"julie.tremblay@ssss.gouv.qc.ca"}
    # Nothing stayed in progress beyond its lease and the time to redo it
    assert not Meeting.objects.filter(Q(delivery_status="failed")).exists()
    assert recovered_in < LEASE.total_seconds() + 60
