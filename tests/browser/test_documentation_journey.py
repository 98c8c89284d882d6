"""After a held meeting the nurse writes and signs her note; the archivist returns it with a reason;
the nurse adds an addendum; the archivist files both."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from consent.services import record_consent
from demo.management.commands.seed_demo import DEMO_PASSWORD
from directory.models import Patient, User
from documentation.models import SignedDocument
from scheduling.services import BookingDetails, book_appointment, record_outcome

from .test_nurse_journey import seed_demo_data, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


def held_meeting():
    nurse = User.objects.get(username="infirmiere")
    louise = Patient.objects.get(file_number="012345")
    appointment = book_appointment(
        by=nurse,
        patient=louise,
        clinic=louise.clinics.get(),
        details=BookingDetails(
            kind="immediate", modality="phone", platform="", reason="between_cycles", start=None, duration_minutes=20
        ),
    )
    record_consent(by=nurse, patient=louise, kind="telehealth", granted=True, language="fr")
    return record_outcome(appointment, by=nurse, outcome="held")


def switch_to(page: Page, live_server, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, live_server, username, DEMO_PASSWORD)
    if page.get_by_role("button", name="English").count():  # the choice is remembered on the account
        page.get_by_role("button", name="English").click()


def test_note_signed_returned_corrected_by_addendum_and_both_filed(
    page: Page, live_server, settings, tmp_path, browser_errors
):
    # Given a held meeting of the demo's pivot nurse, and the archives' drop folder
    seed_demo_data()
    settings.FILING_DROP_FOLDER = str(tmp_path / "depot")
    appointment = held_meeting()

    # When the nurse writes the note from the appointment and signs it
    switch_to(page, live_server, "infirmiere")
    page.goto(live_server.url + reverse("appointment_detail", kwargs={"public_id": appointment.public_id}))
    page.get_by_role("button", name="Write the progress note").click()
    page.get_by_label("Symptoms").fill("Fatigue de grade 1, pas de fièvre.")
    page.get_by_label("Plan", exact=True).fill("Rappel dans une semaine.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")
    page.get_by_role("button", name="Sign", exact=True).click()

    # Then the note is signed and read-only, with its PDF
    expect(page.get_by_text("The note is signed")).to_be_visible()
    expect(page.get_by_role("button", name="Download the PDF")).to_be_visible()

    # When the archivist returns it with a reason
    switch_to(page, live_server, "archiviste")
    page.get_by_role("navigation").get_by_role("link", name="Archives").click()
    page.get_by_role("link", name="Notes d'évolution_012345.pdf").click()
    expect(page.get_by_text("All mandatory elements are present.")).to_be_visible()
    page.get_by_label("Reason for returning").fill("Préciser la dose reçue au dernier cycle.")
    page.get_by_role("button", name="Return to the author").click()

    # Then the nurse sees it on her home page and adds an addendum
    switch_to(page, live_server, "infirmiere")
    expect(page.get_by_text("Préciser la dose reçue au dernier cycle.")).to_be_visible()
    page.get_by_role("link", name="Notes d'évolution_012345.pdf").click()
    page.get_by_role("button", name="Add an addendum").click()
    page.get_by_label("Note", exact=True).fill("Dose reçue : 75 % de la dose prévue.")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_text("The note is signed")).to_be_visible()

    # When the archivist files both
    switch_to(page, live_server, "archiviste")
    page.goto(live_server.url + reverse("review_queue"))
    page.get_by_role("checkbox", name="Notes d'évolution_012345_2.pdf").check()
    page.get_by_role("button", name="File the selected documents").click()
    page.goto(live_server.url + reverse("review_queue") + "?etat=returned")
    page.get_by_role("link", name="Notes d'évolution_012345.pdf").click()
    page.get_by_role("button", name="File in the record").click()

    # Then both are filed, delivered to the drop folder by the worker's service, history kept
    assert sorted(SignedDocument.objects.values_list("review_status", flat=True)) == ["filed", "filed"]
    from documentation.services import deliver_filing

    for document in SignedDocument.objects.all():
        deliver_filing(document.pk)
    assert len(list(Path(settings.FILING_DROP_FOLDER).glob("*.pdf"))) == 2
    assert browser_errors == []
