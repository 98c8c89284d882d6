"""The manager's page, CSV and API show her clinics only; a nurse has no dashboard."""

import csv
import io

import pytest
from django.urls import reverse

from directory.models import ClinicMembership
from tests import factories
from tests.conftest import api_as

MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def manager_b(clinic_b):
    return factories.staff(clinic_b, ClinicMembership.Role.MANAGER, username="gestionnaire_b")


def test_the_manager_sees_her_figures_on_the_page(client, march, manager_a):
    client.force_login(manager_a)
    page = client.get(reverse("dashboard"), MARCH)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="figure-total">7<' in text
    assert "dashboard-data" in text and "chart.umd.min.js" in text
    failures = client.get(reverse("dashboard_failures", kwargs={"kind": "meeting_links"}), MARCH)
    assert failures.status_code == 200
    assert "Jitsi: 503" in failures.content.decode()


def test_the_csv_has_every_figure(client, march, manager_a):
    client.force_login(manager_a)
    answer = client.get(reverse("dashboard_csv"), MARCH)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["section", "figure", "value"]
    figures = {(section, name): value for section, name, value in rows[1:]}
    assert figures[("meetings", "total")] == "7"
    assert figures[("outcomes", "held")] == "3"
    assert figures[("note_delay", "p90_minutes")] == "186.0"
    assert figures[("failures", "faxes_failed")] == "1"
    assert figures[("travel", "kilometres")] == "160"


def test_the_api_gives_the_figures_of_the_page(march, manager_a):
    answer = api_as(manager_a).get("/api/v1/dashboard/summary/", {"from": "2026-03-01", "to": "2026-03-31"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == 7
    assert body["period"] == {"from": "2026-03-01", "to": "2026-03-31", "platform": ""}
    assert body["note_delay"] == {"count": 3, "median_minutes": 90.0, "p90_minutes": 186.0}


def test_the_manager_of_clinic_b_sees_nothing_of_clinic_a(client, march, manager_b, clinic_a):
    client.force_login(manager_b)
    page = client.get(reverse("dashboard"), MARCH)
    assert 'id="figure-total">1<' in page.content.decode()  # her own clinic's one meeting
    asking_for_a = client.get(reverse("dashboard"), {**MARCH, "clinic": str(clinic_a.public_id)})
    assert asking_for_a.status_code == 400
    rows = client.get(reverse("dashboard_failures", kwargs={"kind": "meeting_links"}), MARCH).content.decode()
    assert "Jitsi: 503" not in rows
    summary = api_as(manager_b).get("/api/v1/dashboard/summary/", {"from": "2026-03-01", "to": "2026-03-31"})
    assert summary.json()["total"] == 1
    refused = api_as(manager_b).get("/api/v1/dashboard/summary/", {"clinic": str(clinic_a.public_id)})
    assert refused.status_code == 400


def test_a_nurse_has_no_dashboard(client, nurse_a):
    client.force_login(nurse_a)
    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(reverse("dashboard_csv")).status_code == 403
    assert api_as(nurse_a).get("/api/v1/dashboard/summary/").status_code == 403


@pytest.mark.parametrize(
    "bad",
    [
        {"period": "custom", "start": "2026-03-31", "end": "2026-03-01"},
        {"period": "custom", "start": "2026-03-01"},
        {"period": "custom", "start": "2000-01-01", "end": "2026-01-01"},
        {"day": "2026-02-30"},
        {"period": "year"},
        {"platform": "skype"},
    ],
)
def test_bad_filters_are_a_clear_400(client, manager_a, bad):
    client.force_login(manager_a)
    assert client.get(reverse("dashboard"), bad).status_code == 400
    assert client.get(reverse("dashboard_csv"), bad).status_code == 400
    assert api_as(manager_a).get("/api/v1/dashboard/summary/", bad).status_code == 400


def test_week_and_month_periods(client, march, manager_a):
    client.force_login(manager_a)
    week = client.get(reverse("dashboard"), {"period": "week", "day": "2026-03-08"})
    assert "2026-03-02" in week.content.decode() and "2026-03-08" in week.content.decode()
    assert 'id="figure-total">2<' in week.content.decode()
    month = client.get(reverse("dashboard"), {"period": "month", "day": "2026-03-15"})
    assert 'id="figure-total">7<' in month.content.decode()
    assert 'rel="prev"' in month.content.decode()


def test_the_api_lists_the_rows_behind_a_failure_count(march, manager_a, manager_b):
    rows = api_as(manager_a).get(
        "/api/v1/dashboard/failures/", {"kind": "faxes_failed", "from": "2026-03-01", "to": "2026-03-31"}
    )
    assert rows.status_code == 200
    assert [row["reason"] for row in rows.json()] == ["Ligne occupée"]
    links = (
        api_as(manager_a)
        .get("/api/v1/dashboard/failures/", {"kind": "meeting_links", "from": "2026-03-01", "to": "2026-03-31"})
        .json()
    )
    assert links[0]["reason"] == "Jitsi: 503" and links[0]["appointment"]
    elsewhere = api_as(manager_b).get(
        "/api/v1/dashboard/failures/", {"kind": "meeting_links", "from": "2026-03-01", "to": "2026-03-31"}
    )
    assert elsewhere.json() == []
    assert api_as(manager_a).get("/api/v1/dashboard/failures/", {"kind": "everything"}).status_code == 400


def test_the_manager_of_clinic_a_sees_nothing_of_clinic_b_anywhere(client, march, manager_a, clinic_b):
    """Page, CSV, API and FHIR: clinic B's patient and its meeting never show."""
    from scheduling.models import Appointment

    theirs = Appointment.objects.get(clinic=clinic_b)
    client.force_login(manager_a)
    csv_text = client.get(reverse("dashboard_csv"), MARCH).content.decode("utf-8-sig")
    assert "meetings,total,7" in csv_text.splitlines()
    assert client.get(reverse("dashboard"), {**MARCH, "clinic": str(clinic_b.public_id)}).status_code == 400

    api = api_as(manager_a)
    patient_b = theirs.patient
    assert api.get(f"/api/v1/patients/{patient_b.public_id}/").status_code == 404
    assert api.get(f"/api/v1/appointments/{theirs.public_id}/").status_code == 404
    assert api.get(f"/fhir/r4/Patient/{patient_b.public_id}").status_code == 404
    assert api.get(f"/fhir/r4/Appointment/{theirs.public_id}").status_code == 404
    bundle = api.get("/fhir/r4/Appointment", {"patient": str(patient_b.public_id)}).json()
    assert bundle["total"] == 0
