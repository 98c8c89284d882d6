"""The physician writes a medication prescription, is refused the patient as recipient, sends it to a
pharmacy by cloud fax; the fake gateway receives the fax and confirms it; the archivist sees the copy.

"`medecin` prescribes a medication, tries the patient as recipient and reads the refusal, picks a
pharmacy, signs; the fake gateway receives the fax; `archiviste` sees the copy." The interface is in
English (each user switches to it), so the test does not depend on the French catalogue's wording.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from directory.models import Patient, Recipient, User
from prescriptions.models import Prescription, Transmission
from prescriptions.routing import fax_digits

from .test_documentation_journey import switch_to
from .test_nurse_journey import seed_demo_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]

REPORTS_TOKEN = "jeton-des-rapports-de-telecopie"
PHARMACY = "Pharmacie Jean Coutu — Longueuil"
FILE_NUMBER = "012345"
FILE_NAME = f"Ordonnances médicales_{FILE_NUMBER}.pdf"
# The transmissions table asks again every 3 s while a transmission is moving.
POLLED = 15_000


def test_a_medication_prescription_refused_to_the_patient_goes_to_a_pharmacy_by_fax_and_reaches_the_archives(
    page: Page, live_server, settings, fax_gateway, eager_workers, browser_errors
):
    # Given the demo data, a fake cloud fax gateway that posts its reports back to the portal,
    # and a worker that runs each job right after the request's commit
    seed_demo_data()
    settings.TRANSMISSION_REPORTS_TOKEN = REPORTS_TOKEN
    fax_gateway.report_url = live_server.url + reverse("transmission_reports")
    fax_gateway.report_token = REPORTS_TOKEN
    louise = Patient.objects.get(file_number=FILE_NUMBER)
    pharmacy = Recipient.objects.get(name=PHARMACY)
    physician = User.objects.get(username="medecin")

    # When the physician opens the patient's page and starts a medication prescription
    switch_to(page, live_server, "medecin")
    page.goto(live_server.url + reverse("patient_detail", kwargs={"public_id": louise.public_id}))
    panel = page.locator("#prescriptions-panel")  # loaded by htmx
    expect(panel.get_by_role("heading", name="Prescriptions (AH-251)")).to_be_visible()
    panel.get_by_label("New prescription for").select_option(label="Medication")
    panel.get_by_role("button", name="Write a prescription").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prescription (AH-251)")

    # And writes it: one drug, the therapeutic intent, no known allergies, her phone as proposed
    page.get_by_label("Drug 1", exact=True).fill("Ondansétron")
    page.get_by_label("Strength 1", exact=True).fill("8 mg")
    page.get_by_label("Form 1", exact=True).fill("comprimé")
    page.get_by_label("Dose 1", exact=True).fill("1 comprimé")
    page.get_by_label("Route 1", exact=True).fill("PO")
    page.get_by_label("Frequency 1", exact=True).fill("BID")
    page.get_by_label("Duration or quantity 1", exact=True).fill("30 jours")
    page.get_by_label("Therapeutic intent").fill("Nausées induites par la chimiothérapie")
    page.get_by_label("No known allergies").check()
    expect(page.get_by_label("Phone where you can be reached")).not_to_have_value("")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator(".messages")).to_contain_text("Draft saved.")
    expect(page.get_by_label("Drug 1", exact=True)).to_have_value("Ondansétron")

    # And tries the patient as the recipient
    recipient = page.locator("#recipient")
    with page.expect_request(lambda request: request.method == "POST" and "/destinataire/" in request.url) as chosen:
        recipient.get_by_role("radio", name="The patient").check()

    # Then the rules refuse it at once, without reloading the page
    assert chosen.value.header_value("hx-request") == "true", "the choice should go through htmx"
    refusal = page.locator("#route-decision").get_by_role("alert")
    expect(refusal).to_contain_text("never goes to the patient")
    prescription = Prescription.objects.get(patient=louise)
    assert not prescription.to_patient and prescription.recipient is None  # a refused choice is not kept

    # When she looks the pharmacy up in the directory and chooses it
    recipient.get_by_label("Search the directory (name, city, fax)").fill("Coutu")
    options = page.locator("#recipient-options .recipient-option")
    expect(options).to_have_count(1)
    options.get_by_role("radio", name=PHARMACY).check()

    # Then it may go there, by cloud fax
    decision = page.locator("#route-decision").get_by_role("status")
    expect(decision).to_contain_text(f"Goes to {PHARMACY} by Cloud fax.")
    expect(page.locator("#route-decision").get_by_role("alert")).to_have_count(0)

    # When she signs
    page.get_by_role("button", name="Sign and send").click()

    # Then the prescription is signed and on its way to the pharmacy
    expect(page.locator(".messages")).to_contain_text("The prescription is signed")
    expect(page).to_have_url(
        live_server.url + reverse("prescription_detail", kwargs={"public_id": prescription.public_id})
    )
    transmission_row = page.locator("#transmissions tr.transmission", has_text=PHARMACY)
    expect(transmission_row).to_have_count(1)
    expect(transmission_row).to_contain_text("Cloud fax")

    # And the gateway got one fax, to the pharmacy's number, with the PDF and a cover page
    faxes = fax_gateway.wait_for(1)
    assert len(faxes) == 1
    fax = faxes[0]
    assert fax.number == fax_digits(pharmacy) == "14505550202"
    assert fax.pdf.startswith(b"%PDF")
    assert fax.pdf_filename == FILE_NAME
    assert FILE_NUMBER in fax.body
    assert physician.practice_number and physician.practice_number in fax.body

    # And once the gateway's report comes back, the page shows it confirmed, without reloading
    assert fax_gateway.wait_for_report_statuses(1) == [200]
    expect(transmission_row.locator(".transmission-status")).to_have_text("Confirmed", timeout=POLLED)
    assert Transmission.objects.get(prescription=prescription).status == Transmission.Status.CONFIRMED
    assert len(fax_gateway.faxes) == 1  # sent once, never again

    # When the archivist opens her queue
    switch_to(page, live_server, "archiviste")
    page.get_by_role("navigation").get_by_role("link", name="Archives").click()

    # Then the prescription's copy waits there
    expect(page.get_by_role("link", name=FILE_NAME)).to_be_visible()

    # And the transmissions board shows it confirmed at the pharmacy
    page.get_by_role("navigation").get_by_role("link", name="Transmissions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transmissions")
    board_row = page.locator("tbody tr", has_text=PHARMACY)
    expect(board_row).to_have_count(1)
    expect(board_row).to_contain_text(FILE_NAME)
    expect(board_row.locator(".badge")).to_have_text("Confirmed")

    # And nothing went wrong in the browser: no CSP violation, no script error
    assert browser_errors == []
