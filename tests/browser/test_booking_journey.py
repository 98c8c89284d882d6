"""The pivot nurse books an immediate meeting with a caregiver, watches the link arrive, cancels it.

A real browser, a live server, a real Celery worker in a thread and the local Graph fake: the link
appears in the agenda without a reload, because the row follows the worker by itself.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from demo.management.commands.seed_demo import DEMO_PASSWORD
from directory.models import Patient
from scheduling.models import Appointment, Notice

from .test_nurse_journey import seed_demo_data, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


@pytest.mark.parametrize("platform", ["teams", "zoom", "jitsi"])
def test_a_nurse_books_an_immediate_meeting_sees_the_link_arrive_and_cancels_it(
    platform, request, page: Page, live_server, celery_worker_thread, browser_errors
):
    # Given the demo clinic, its nurse signed in (in English, to read the labels of either language alike)
    seed_demo_data()
    louise = Patient.objects.get(file_number="012345")
    sign_in(page, live_server, "infirmiere", DEMO_PASSWORD)
    page.get_by_role("button", name="English").click()
    fake = {"teams": "graph_fake", "zoom": "zoom_fake"}.get(platform)
    fake = request.getfixturevalue(fake) if fake else None
    if fake is not None:
        # The platform answers slowly, so that the agenda shows the link being made before it arrives.
        fake.slow_next(2.0, method="POST")

    # When she plans an immediate Teams meeting with a caregiver from the patient's page
    page.goto(live_server.url + reverse("patient_detail", kwargs={"public_id": louise.public_id}))
    page.get_by_role("button", name="Plan a meeting").click()
    page.get_by_label("Immediate (now, on the phone)").check()
    page.locator("#id_platform").select_option(platform)
    page.locator("#id_reason").select_option("between_cycles")
    page.locator("#id_guests-0-name").fill("Paul Côté")
    page.locator("#id_guests-0-email").fill("paul.cote@example.com")
    page.locator("#id_guests-0-language").select_option("en")
    page.get_by_role("button", name="Book the meeting").click()

    # Then she lands on her agenda, the link is being made, and it appears without a reload
    expect(page.get_by_text("The meeting is booked.")).to_be_visible()
    appointment = Appointment.objects.get(kind="immediate", start__gte=timezone.now() - timedelta(minutes=5))
    row = page.locator(f"#appointment-{appointment.public_id}")
    if fake is not None:
        expect(row).to_contain_text("Link being created")
    page.evaluate("window.stillTheSamePage = true")
    start_link = row.get_by_role("link", name="Start the meeting")
    expect(start_link).to_be_visible(timeout=20_000)
    assert page.evaluate("window.stillTheSamePage") is True
    appointment.refresh_from_db()
    expect(start_link).to_have_attribute("href", appointment.host_link())
    if fake is not None:
        assert len(fake.meetings) == 1
    expect(row).to_contain_text("Paul Côté: sent", timeout=20_000)
    assert sent(appointment, Notice.Kind.INVITATION) == {
        "louise.cote@example.com",
        "paul.cote@example.com",
        "infirmiere@ssss.gouv.qc.ca",
    }

    # When she opens the appointment and cancels it
    row.get_by_role("link", name="Côté, Louise").click()
    page.get_by_role("button", name="Cancel the appointment").click()

    # Then the appointment is cancelled, the platform deletes the meeting, everyone is told
    expect(page.get_by_text("The appointment is cancelled")).to_be_visible()
    expect(page.locator(".badge-cancelled").first).to_have_text(re.compile("Cancelled"))
    page.wait_for_timeout(100)
    for _second in range(40):
        if not (fake and fake.meetings) and len(sent(appointment, Notice.Kind.CANCELLATION)) == 3:
            break
        page.wait_for_timeout(500)
    assert not (fake and fake.meetings)
    assert len(sent(appointment, Notice.Kind.CANCELLATION)) == 3
    assert browser_errors == []


def sent(appointment: Appointment, kind: str) -> set[str]:
    """The addresses to which this kind of notice of the appointment was sent."""
    return set(
        Notice.objects.filter(participant__appointment=appointment, kind=kind, delivery_status="done").values_list(
            "participant__email", flat=True
        )
    )
