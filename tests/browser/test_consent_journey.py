"""The pivot nurse books a meeting, reads the consent script in the patient's language, records the
verbal consent in one action, and marks the meeting held (refused before the consent)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from consent.models import ConsentRecord
from demo.management.commands.seed_demo import DEMO_PASSWORD
from directory.models import Patient
from scheduling.models import Appointment

from .test_nurse_journey import seed_demo_data, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize(
    ("file_number", "script_start"),
    [("012345", "Tout ce qui sera échangé"), ("012349", "Everything shared during our virtual meeting")],
)
def test_a_nurse_records_verbal_consent_in_the_patients_language_then_marks_the_meeting_held(
    file_number, script_start, page: Page, live_server, browser_errors
):
    # Given a patient (French-speaking Louise Côté, or English-speaking Patrick O'Brien) and the nurse
    seed_demo_data()
    patient = Patient.objects.get(file_number=file_number)
    sign_in(page, live_server, "infirmiere", DEMO_PASSWORD)
    page.get_by_role("button", name="English").click()

    # When she books an immediate Jitsi meeting from the patient's page
    page.goto(live_server.url + reverse("patient_detail", kwargs={"public_id": patient.public_id}))
    page.get_by_role("button", name="Plan a meeting").click()
    page.get_by_label("Immediate (now, on the phone)").check()
    page.locator("#id_platform").select_option("jitsi")
    page.get_by_role("button", name="Book the meeting").click()
    expect(page.get_by_text("The meeting is booked.")).to_be_visible()
    appointment = Appointment.objects.get(
        patient=patient, kind="immediate", start__gte=timezone.now() - timedelta(minutes=5)
    )

    # And tries to mark it held before any consent
    page.goto(live_server.url + reverse("appointment_detail", kwargs={"public_id": appointment.public_id}))
    page.get_by_label("Held").check()
    page.get_by_role("button", name="Record the outcome").click()

    # Then the portal refuses and says what is missing
    expect(page.get_by_role("alert").filter(has_text="telehealth consent is missing")).to_be_visible()

    # When she reads the script shown in the patient's language and records the verbal consent
    telehealth = page.locator("#consent-telehealth")
    expect(telehealth.locator("blockquote")).to_contain_text(script_start)
    expect(telehealth.locator(".consent-state")).to_have_text("missing")
    telehealth.get_by_role("button", name="Verbal consent given").click()

    # Then the panel shows it given, without leaving the page
    expect(page.locator("#consent-telehealth .consent-state")).to_have_text("given")
    consent = ConsentRecord.objects.get(patient=patient, kind="telehealth")
    assert (consent.language, consent.method, consent.script_version) == (patient.preferred_language, "verbal", 1)

    # When she marks the meeting held
    page.get_by_label("Held").check()
    page.get_by_role("button", name="Record the outcome").click()

    # Then it is held
    expect(page.get_by_text("The outcome is recorded.")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == "held"
    assert browser_errors == []
