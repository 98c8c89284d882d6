"""The prescriber's pages: write, address (the rules answer at once), sign; the archivist follows."""

import pytest
from django.urls import reverse

from prescriptions.models import Prescription, Transmission


@pytest.fixture
def signed_in(client, physician):
    client.force_login(physician)
    return client


def start(client, patient, category="medication") -> Prescription:
    answer = client.post(
        reverse("prescription_start", kwargs={"patient_id": patient.public_id}), {"category": category}
    )
    assert answer.status_code == 302
    return Prescription.objects.get(patient=patient, category=category)


def test_write_refuse_the_patient_choose_a_pharmacy_sign(
    signed_in, physician, patient_a, directory, eager_workers, django_capture_on_commit_callbacks
):
    prescription = start(signed_in, patient_a)
    edit = reverse("prescription_edit", kwargs={"public_id": prescription.public_id})
    page = signed_in.get(edit)
    assert page.status_code == 200
    assert "Pharmacie Auxbonsoins" in page.content.decode()  # the directory's pharmacies are offered

    saved = signed_in.post(
        edit,
        {
            "category": "medication",
            "therapeutic_intent": "Nausées",
            "no_known_allergies": "on",
            "callback_phone": "+14504665055",
            "line-0-drug": "Ondansétron",
            "line-0-dose": "8 mg",
            "line-0-frequency": "BID",
            "line-0-duration": "30 jours",
            "line-0-renewals": "1",
        },
    )
    assert saved.status_code == 302
    assert prescription.lines.get().drug == "Ondansétron"

    choose = reverse("recipient_choose", kwargs={"public_id": prescription.public_id})
    refusal = signed_in.post(choose, {"recipient": "patient"}, HTTP_HX_REQUEST="true")
    assert refusal.status_code == 200
    assert 'role="alert"' in refusal.content.decode()
    prescription.refresh_from_db()
    assert not prescription.to_patient  # a refused choice is not kept

    allowed = signed_in.post(choose, {"recipient": str(directory["pharmacy"].public_id)}, HTTP_HX_REQUEST="true")
    assert 'role="status"' in allowed.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        signed = signed_in.post(
            edit,
            {
                "category": "medication",
                "therapeutic_intent": "Nausées",
                "no_known_allergies": "on",
                "callback_phone": "+14504665055",
                "line-0-drug": "Ondansétron",
                "line-0-dose": "8 mg",
                "line-0-frequency": "BID",
                "line-0-duration": "30 jours",
                "line-0-renewals": "1",
                "sign": "",
            },
        )
    assert signed.status_code == 302
    prescription.refresh_from_db()
    assert prescription.status == Prescription.Status.SIGNED
    detail = signed_in.get(reverse("prescription_detail", kwargs={"public_id": prescription.public_id}))
    assert "Pharmacie Auxbonsoins" in detail.content.decode()
    pdf = signed_in.get(reverse("prescription_pdf", kwargs={"public_id": prescription.public_id}))
    assert pdf["Content-Type"] == "application/pdf"


def test_signing_without_what_is_required_says_what_is_missing(signed_in, patient_a, directory):
    prescription = start(signed_in, patient_a)
    edit = reverse("prescription_edit", kwargs={"public_id": prescription.public_id})
    answer = signed_in.post(edit, {"category": "medication", "sign": ""}, follow=True)
    text = answer.content.decode()
    assert answer.status_code == 200
    prescription.refresh_from_db()
    assert prescription.is_draft
    assert 'role="alert"' in text


def test_a_nurse_follows_but_cannot_prescribe(client, nurse_a, physician, patient_a, directory):
    client.force_login(nurse_a)
    answer = client.post(
        reverse("prescription_start", kwargs={"patient_id": patient_a.public_id}), {"category": "medication"}
    )
    assert answer.status_code == 302
    assert not Prescription.objects.exists()


def test_other_clinics_and_managers_see_nothing(client, physician, patient_a, nurse_b, manager_a, directory):
    from tests.prescriptions.conftest import draft

    prescription = draft(physician, patient_a, "medication")
    for outsider in (nurse_b, manager_a):
        client.force_login(outsider)
        assert (
            client.get(reverse("prescription_detail", kwargs={"public_id": prescription.public_id})).status_code == 404
        )
        assert client.get(reverse("prescription_pdf", kwargs={"public_id": prescription.public_id})).status_code == 404


def test_the_archivist_follows_the_transmissions(
    client, physician, patient_a, directory, archivist_a, eager_workers, django_capture_on_commit_callbacks, fax_gateway
):
    from prescriptions.services import choose_recipient, sign_prescription
    from tests.prescriptions.conftest import draft

    prescription = draft(physician, patient_a, "medication")
    choose_recipient(prescription, by=physician, recipient=directory["pharmacy"])
    with django_capture_on_commit_callbacks(execute=True):
        sign_prescription(prescription, by=physician)
    fax_gateway.wait_for(1)
    prescription.refresh_from_db()
    client.force_login(archivist_a)
    board = client.get(reverse("transmission_board"))
    assert board.status_code == 200
    assert "Pharmacie Auxbonsoins" in board.content.decode()
    sent_only = client.get(reverse("transmission_board"), {"status": "sent"})
    assert prescription.document.file_name in sent_only.content.decode()
    assert Transmission.objects.get().status == "sent"
    queue = client.get(reverse("review_queue"))
    assert prescription.document.file_name in queue.content.decode()
    review = client.get(reverse("review_document", kwargs={"public_id": prescription.document.public_id}))
    assert review.status_code == 200
    assert client.get(reverse("review_queue"), {"jour": "2026-13-45"}).status_code == 200


def test_the_patient_page_lists_prescriptions(signed_in, physician, patient_a, directory):
    start(signed_in, patient_a, "imaging")
    panel = signed_in.get(reverse("patient_prescriptions", kwargs={"patient_id": patient_a.public_id}))
    assert panel.status_code == 200
    assert "AH-251" in panel.content.decode()


def test_a_bad_phone_is_refused_and_nothing_typed_is_lost(signed_in, patient_a, directory):
    prescription = start(signed_in, patient_a)
    edit = reverse("prescription_edit", kwargs={"public_id": prescription.public_id})
    answer = signed_in.post(
        edit,
        {
            "category": "medication",
            "therapeutic_intent": "Douleur osseuse",
            "callback_phone": "pas un numéro",
            "line-0-drug": "Hydromorphone",
            "line-0-dose": "1 mg",
            "line-0-renewals": "beaucoup",
        },
    )
    assert answer.status_code == 400
    text = answer.content.decode()
    assert 'role="alert"' in text
    assert "Hydromorphone" in text and "Douleur osseuse" in text and "pas un numéro" in text


def test_changing_the_category_drops_the_drugs(signed_in, physician, patient_a, directory):
    from tests.prescriptions.conftest import draft

    prescription = draft(physician, patient_a, "medication")
    assert prescription.lines.count() == 1
    edit = reverse("prescription_edit", kwargs={"public_id": prescription.public_id})
    assert signed_in.post(edit, {"category": "imaging", "instructions": "Scintigraphie osseuse"}).status_code == 302
    assert prescription.lines.count() == 0


def test_a_second_click_on_sign_sends_nothing_twice(
    signed_in, physician, patient_a, directory, fax_gateway, eager_workers, django_capture_on_commit_callbacks
):
    from tests.prescriptions.conftest import draft

    prescription = draft(physician, patient_a, "medication")
    signed_in.post(
        reverse("recipient_choose", kwargs={"public_id": prescription.public_id}),
        {"recipient": str(directory["pharmacy"].public_id)},
    )
    edit = reverse("prescription_edit", kwargs={"public_id": prescription.public_id})
    for _click in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            answer = signed_in.post(edit, {"sign": ""})
        assert answer.status_code == 302
        assert answer["Location"] == reverse("prescription_detail", kwargs={"public_id": prescription.public_id})
    assert prescription.transmissions.count() == 1
    assert len(fax_gateway.wait_for(1)) == 1


def test_an_imaging_order_records_the_patients_lab_from_the_page(signed_in, physician, patient_a, directory):
    from tests.prescriptions.conftest import draft

    prescription = draft(physician, patient_a, "imaging")
    choose = reverse("recipient_choose", kwargs={"public_id": prescription.public_id})
    lab = str(directory["imaging_lab"].public_id)
    refused = signed_in.post(choose, {"recipient": lab}, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in refused.content.decode()
    allowed = signed_in.post(choose, {"recipient": lab, "imaging_choice": "on"}, HTTP_HX_REQUEST="true")
    assert 'role="status"' in allowed.content.decode()
    patient_a.refresh_from_db()
    assert patient_a.imaging_lab == directory["imaging_lab"]


def test_a_failed_fax_is_retried_from_the_page(
    signed_in, physician, patient_a, directory, fax_gateway, eager_workers, django_capture_on_commit_callbacks
):
    from prescriptions.services import choose_recipient, sign_prescription
    from tests.prescriptions.conftest import draft

    fax_gateway.refuse_next(1, code=550, reason="5.1.1 Numéro hors service")
    prescription = draft(physician, patient_a, "medication")
    choose_recipient(prescription, by=physician, recipient=directory["pharmacy"])
    with django_capture_on_commit_callbacks(execute=True):
        sign_prescription(prescription, by=physician)
    transmission = prescription.transmissions.get()
    detail = signed_in.get(reverse("prescription_detail", kwargs={"public_id": prescription.public_id}))
    assert "hors service" in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("transmission_retry", kwargs={"public_id": transmission.public_id}))
    transmission.refresh_from_db()
    assert transmission.status == "sent"
    assert len(fax_gateway.wait_for(1)) == 1
