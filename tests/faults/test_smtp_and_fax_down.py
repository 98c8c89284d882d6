"""Fault 5: the mail server and the fax gateway are down while prescriptions and invitations leave.

A real worker keeps trying (and failing) while they are down: every row stays queued or pending,
none is lost or marked failed. Once they are back, the sweeper hands them over again and each fax
and each invitation leaves exactly once; the gateway's reports come back and are recorded.
Runs on the embedded defaults (SQLite, folder broker) as well as on PostgreSQL and Redis.
"""

import time
from collections import Counter
from datetime import date, timedelta

import pytest

from prescriptions.models import Transmission
from prescriptions.services import choose_recipient, sign_prescription
from scheduling.models import Notice
from scheduling.services import book_appointment
from tests import factories
from tests.prescriptions.conftest import directory, draft, physician, secure_domain  # noqa: F401
from tests.scheduling.conftest import tomorrow_at, video

from .conftest import FAULTS, sweep, wait_until

pytestmark = [FAULTS, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PRESCRIPTIONS = 10
TOKEN = "jeton-des-rapports"


def test_faxes_and_invitations_sent_while_both_servers_are_down_leave_once_each_when_they_are_back(
    physician,  # noqa: F811
    nurse,
    clinic_a,
    directory,  # noqa: F811
    fax_gateway,
    mail_sink,
    live_server,
    settings,
    celery_worker_thread,
):
    settings.TRANSMISSION_REPORTS_TOKEN = TOKEN
    # Retries far enough apart that none gives up during the outage: the sweeper brings them back.
    settings.OUTBOX_RETRY_BASE_SECONDS = 5
    fax_gateway.report_url = f"{live_server.url}/envois/rapports/"
    fax_gateway.report_token = TOKEN
    patients = [
        factories.patient(
            clinic_a, first_name=f"Patiente{index}", date_of_birth=date(1950, 1, 1) + timedelta(days=41 * index)
        )
        for index in range(PRESCRIPTIONS)
    ]

    # Given the fax gateway and the mail server are down
    fax_gateway.stop()
    mail_sink.stop()

    # When the physician signs 10 prescriptions to a pharmacy and the nurse books two meetings
    for patient in patients:
        prescription = draft(physician, patient, "medication")
        assert choose_recipient(prescription, by=physician, recipient=directory["pharmacy"]).allowed
        sign_prescription(prescription, by=physician)  # committed: the worker takes it from the broker
    for index, patient in enumerate(patients[:2]):
        patient.email = f"patiente{index}@example.com"
        patient.save()
        book_appointment(by=nurse, patient=patient, clinic=clinic_a, details=video(start=tomorrow_at(9 + index)))
    faxes = Transmission.objects.filter(channel="fax")
    assert faxes.count() == PRESCRIPTIONS

    # Then the worker tries, fails, and every fax stays queued with the reason, every invitation pending
    wait_until(
        lambda: faxes.filter(attempts__gte=1).count() == PRESCRIPTIONS,
        seconds=60,
        what="the worker tried every fax",
    )
    wait_until(
        lambda: Notice.objects.filter(attempts__gte=1).count() == 4,
        seconds=60,
        what="the worker tried every invitation",
    )
    time.sleep(1)
    assert set(faxes.values_list("status", flat=True)) == {Transmission.Status.QUEUED}
    # Between two attempts (the worker keeps retrying), no fax is left marked as being sent
    wait_until(
        lambda: set(faxes.values_list("sending_since", flat=True)) == {None},
        seconds=20,
        what="no attempt left under way",
    )
    assert all(reason for reason in faxes.values_list("failure_reason", flat=True))
    assert set(Notice.objects.values_list("delivery_status", flat=True)) == {"pending"}
    assert fax_gateway.faxes == [] and mail_sink.received() == []

    # When both come back and the sweeper runs (twice, as beat would)
    fax_gateway.start()
    mail_sink.start()
    sweep()
    wait_until(
        lambda: faxes.filter(status=Transmission.Status.CONFIRMED).count() == PRESCRIPTIONS,
        seconds=60,
        what="every fax sent and confirmed by the gateway's report",
    )
    wait_until(lambda: Notice.objects.filter(delivery_status="done").count() == 4, seconds=30, what="invitations sent")
    sweep()
    time.sleep(1)

    # Then each fax left once, its report was recorded, and each invitation was sent once
    numbers = Counter(fax.ref for fax in fax_gateway.faxes)
    assert len(numbers) == PRESCRIPTIONS and set(numbers.values()) == {1}
    assert {str(ref) for ref in faxes.values_list("public_id", flat=True)} == set(numbers)
    assert fax_gateway.wait_for_report_statuses(PRESCRIPTIONS) == [200] * PRESCRIPTIONS
    assert all(faxes.values_list("sent_at", flat=True))
    # Each invitation is in its recipient's mailbox once (a mailbox keeps one message per Message-ID;
    # SMTP has no idempotency key, so an attempt whose answer was lost may leave a second copy with
    # the same Message-ID on the wire; it may not be a different message).
    expected = {
        (f"<{notice.public_id}@", notice.participant.email) for notice in Notice.objects.select_related("participant")
    }
    received = Counter((message_id.split("@")[0] + "@", address) for message_id, address in mail_sink.received())
    assert set(received) == expected and len(expected) == 4
    assert {address for _id, address in received} == {
        "julie.tremblay@ssss.gouv.qc.ca",
        "patiente0@example.com",
        "patiente1@example.com",
    }
    assert set(Notice.objects.values_list("delivery_status", flat=True)) == {"done"}
