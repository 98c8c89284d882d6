"""The number of SQL queries of the busiest pages does not grow with the rows they show.

Not timed: bench/run.py measures the speed on a region's data set; this keeps the query counts that
make that speed possible from creeping back (an N+1 shows here as a count that grows with the rows).
"""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from common.time import MONTREAL
from consent.models import ConsentRecord
from documentation.models import SignedDocument
from scheduling.models import Appointment, Notice, Participant
from tests import factories
from virtualcare.models import Meeting

# What each request may cost, all included (session or token, the audit row of the names shown,
# its savepoints in a test's transaction).
AGENDA_PAGE_BUDGET = 10
APPOINTMENTS_API_BUDGET = 8  # the target is 4: the audit of the listing alone takes 3 (see bench/README.md)
REVIEW_QUEUE_BUDGET = 10

WEEK = date(2031, 3, 10)  # a Monday
_births = iter(range(20000))


def new_patient(clinic):
    """A patient of the clinic with a NAM of its own (the birth date makes it unique)."""
    day = next(_births)
    return factories.patient(clinic, file_number=f"PERF{day}", date_of_birth=date(1940, 1, 1) + timedelta(days=day))


def fill_week(nurse, clinic, count: int, *, first: int = 0) -> None:
    """`count` video meetings of the nurse in WEEK (after the `first` ones, never overlapping), each
    with a patient, a guest and their invitations."""
    patients = [new_patient(clinic) for _ in range(min(count, 6))]
    for n in range(first, first + count):
        start = datetime.combine(WEEK + timedelta(days=n % 5), time(8), tzinfo=MONTREAL) + timedelta(
            minutes=15 * (n // 5)
        )
        end = start + timedelta(minutes=15)
        meeting = Meeting.objects.create(
            provider="teams",
            subject="Téléconsultation",
            start=start,
            end=end,
            organizer_email="a@example.org",
            delivery_status="done",
            join_url="https://teams.example.invalid/l/1",
        )
        appointment = Appointment.objects.create(
            patient=patients[n % len(patients)],
            clinic=clinic,
            organizer=nurse,
            start=start,
            end=end,
            reason="between_cycles",
            platform="teams",
            meeting=meeting,
        )
        for role in ("patient", "caregiver"):
            participant = Participant.objects.create(appointment=appointment, role=role, name=f"{role} {n}")
            Notice.objects.create(participant=participant, kind="invitation", delivery_status="done")
    for patient in patients:
        ConsentRecord.objects.create(
            patient=patient,
            kind="telehealth",
            decision="granted",
            language="fr",
            recorded_by=nurse,
            given_at=timezone.now() - timedelta(days=1),
        )


def counted(request) -> tuple[int, object]:
    """Queries of one request, without the savepoints a test's outer transaction adds (in production
    they are BEGIN and COMMIT, which are no statements of their own)."""
    with CaptureQueriesContext(connection) as queries:
        response = request()
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    return len(statements), response


@pytest.mark.parametrize("meetings", [5, 50])
def test_agenda_week_page_costs_the_same_queries_for_5_or_50_meetings(client, clinic_a, nurse_a, meetings):
    fill_week(nurse_a, clinic_a, 5)
    client.force_login(nurse_a)
    url = f"{reverse('agenda')}?jour={WEEK}&vue=semaine"
    small, response = counted(lambda: client.get(url))
    assert response.status_code == 200
    assert response.content.count(b'id="appointment-') == 5

    fill_week(nurse_a, clinic_a, meetings - 5, first=5) if meetings > 5 else None
    large, response = counted(lambda: client.get(url))
    assert response.content.count(b'id="appointment-') == meetings
    assert large == small
    assert large <= AGENDA_PAGE_BUDGET


def test_appointments_api_costs_the_same_queries_for_5_or_50_rows(clinic_a, nurse_a):
    fill_week(nurse_a, clinic_a, 5)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=nurse_a).key}")
    url = (
        f"/api/v1/appointments/?organizer={nurse_a.username}"
        f"&from={WEEK}T00:00:00-04:00&to={WEEK + timedelta(days=7)}T00:00:00-04:00"
    )
    small, response = counted(lambda: api.get(url))
    assert response.status_code == 200
    assert response.json()["count"] == 5

    fill_week(nurse_a, clinic_a, 45, first=5)
    large, response = counted(lambda: api.get(url))
    assert response.json()["count"] == 50
    assert len(response.json()["results"]) == 25  # one page
    assert large == small
    assert large <= APPOINTMENTS_API_BUDGET


def waiting_documents(author, clinic, count: int) -> None:
    patients = [new_patient(clinic) for _ in range(min(count, 4))]
    for n in range(count):
        SignedDocument.objects.create(
            kind="AH-253",
            patient=patients[n % len(patients)],
            establishment=clinic.establishment,
            author=author,
            file_name=f"AH-253_{count}_{n}.pdf",
            header={"patient_name": "x"},
            signed_at=timezone.now(),
            pdf=b"%PDF-1.4",
            pdf_sha256="0" * 64,
        )


def test_archivist_queue_costs_the_same_queries_for_2_or_200_documents(client, clinic_a, nurse_a, archivist_a):
    waiting_documents(nurse_a, clinic_a, 2)
    client.force_login(archivist_a)
    url = reverse("review_queue")
    small, response = counted(lambda: client.get(url))
    assert response.status_code == 200
    assert response.content.count(b"AH-253_2_") >= 2

    waiting_documents(nurse_a, clinic_a, 198)
    large, response = counted(lambda: client.get(url))
    assert response.content.count(b"AH-253_198_") >= 198
    assert large == small
    assert large <= REVIEW_QUEUE_BUDGET
