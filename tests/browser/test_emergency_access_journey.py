"""Break-the-glass in a real browser: a nurse of another establishment opens, with a reason, the record of
a patient outside her clinics; the archivist of the patient's establishment sees the count and reviews it.

Both accounts work in English, so that the test reads the same before and after the French catalogue
gets this feature's sentences.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from directory.models import EmergencyAccess
from tests import factories
from tests.browser.test_nurse_journey import main_heading, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

REASON = "Arrived unconscious at the Valleyfield emergency room; I need her treatment plan."


def test_a_nurse_opens_a_record_in_an_emergency_and_the_archivist_reviews_it(page: Page, live_server):
    # Given a patient of clinic A, its archivist, and a nurse of another establishment
    clinic_a = factories.ClinicFactory(name="Oncologie A")
    patient = factories.patient(clinic_a, last_name="Gagnon", first_name="Hélène")
    factories.staff(clinic_a, "archivist", username="archiviste_a", preferred_language="en")
    clinic_b = factories.ClinicFactory(name="Oncologie B")
    factories.staff(clinic_b, "professional", username="infirmiere_b", preferred_language="en")

    # When the nurse searches the exact NAM
    sign_in(page, live_server, "infirmiere_b", factories.PASSWORD)
    page.goto(live_server.url + reverse("patient_list"))
    page.locator("input[name=query]").fill(patient.nam_display)
    page.get_by_role("button", name="Search").click()

    # Then she learns only that a record exists elsewhere
    offer = page.locator("#emergency-offer")
    expect(offer.get_by_role("heading")).to_have_text("A record matches outside your clinics")
    expect(page.get_by_text("Gagnon")).to_have_count(0)

    # When she gives her reason and opens it
    offer.get_by_label("Reason for the emergency access").fill(REASON)
    offer.get_by_role("button", name="Open the record in an emergency").click()

    # Then the record is shown, under a banner that says it is an emergency access, reviewed
    expect(main_heading(page)).to_have_text("Gagnon, Hélène")
    banner = page.locator(".emergency-banner")
    expect(banner).to_contain_text("read only, until")
    expect(banner).to_contain_text("the archivists will review this access")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("link", name="Plan a meeting")).to_have_count(0)
    assert AuditEvent.objects.get(action=AuditEvent.Action.EMERGENCY_ACCESS).details["reason"] == REASON

    # When the archivist of the patient's establishment signs in
    page.wait_for_load_state("networkidle")  # no answer still on its way to set the session cookie again
    page.context.clear_cookies()
    sign_in(page, live_server, "archiviste_a", factories.PASSWORD)

    # Then her navigation counts one access to review, and the list names who, whom and why
    link = page.get_by_role("navigation").get_by_role("link", name="Emergency accesses")
    expect(link.locator(".badge")).to_have_text("1")
    link.click()
    expect(main_heading(page)).to_have_text("Emergency accesses")
    row = page.locator("tbody tr")
    expect(row).to_contain_text("Gagnon, Hélène")
    expect(row).to_contain_text(REASON)
    expect(row).to_contain_text("To review")

    # When she reviews it with a comment
    row.get_by_role("link").click()
    page.get_by_label("Review comment").fill("Called the Valleyfield ER: emergency confirmed.")
    page.get_by_role("button", name="Mark as reviewed").click()

    # Then it is reviewed, and the count is gone
    expect(page.get_by_text("The emergency access is reviewed.")).to_be_visible()
    expect(
        page.get_by_role("navigation").get_by_role("link", name="Emergency accesses").locator(".badge")
    ).to_have_count(0)
    assert EmergencyAccess.objects.get().is_reviewed
