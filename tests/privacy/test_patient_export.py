"""An access request: the archives export everything the portal holds on one patient, and nothing on
anyone else, as a ZIP of one JSON document and the PDFs the portal still holds."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from consent.models import ConsentRecord
from documentation.models import Note
from prescriptions.models import Transmission
from privacy.models import CommunicationRecord
from scheduling.models import Appointment
from tests import factories
from tests.privacy.conftest import signed_note_document, signed_to
from tests.scheduling.conftest import caregiver

pytestmark = pytest.mark.django_db


def everything_of(patient, clinic, physician, pharmacy, capture) -> dict:
    """As in the demo: a meeting with a caregiver, consent, a signed note, a prescription faxed to a pharmacy."""
    note_document = signed_note_document(clinic, patient, participants=[caregiver()])
    prescription = signed_to(physician, patient, pharmacy, capture)
    return {"note_document": note_document, "prescription": prescription}


@pytest.fixture
def two_patients(clinic_a, physician, directory, django_capture_on_commit_callbacks, client, nurse_a):
    louise = factories.patient(clinic_a)
    other = factories.patient(clinic_a, last_name="Bélanger", first_name="Jean-Guy", sex="M", phone="+14505550999")
    mine = everything_of(louise, clinic_a, physician, directory["pharmacy"], django_capture_on_commit_callbacks)
    theirs = everything_of(other, clinic_a, physician, directory["pharmacy"], django_capture_on_commit_callbacks)
    client.force_login(nurse_a)
    client.get(reverse("patient_detail", kwargs={"public_id": other.public_id}))  # an access to the other's file
    client.logout()
    return louise, other, mine, theirs


def export(client, user, patient):
    client.force_login(user)
    return client.post(reverse("patient_export", kwargs={"public_id": patient.public_id}))


def read_zip(response) -> tuple[dict, dict[str, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files["patient.json"]), files


def ids(rows) -> set[str]:
    return {str(row["id"]) for row in rows}


def test_the_export_holds_every_item_of_the_patient(client, archivist_a, two_patients):
    louise, _other, mine, _theirs = two_patients

    response = export(client, archivist_a, louise)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert louise.last_name not in response["Content-Disposition"] and louise.nam not in response["Content-Disposition"]
    content, files = read_zip(response)
    assert content["patient"]["id"] == str(louise.public_id) and content["patient"]["nam"] == louise.nam_display
    assert ids(content["appointments"]) == {str(a.public_id) for a in Appointment.objects.filter(patient=louise)}
    (appointment,) = content["appointments"]
    assert {p["role"] for p in appointment["participants"]} >= {"patient", "caregiver"}
    assert appointment["meeting"]["platform"] == "jitsi" and appointment["status"] == "held"
    assert ids(content["consents"]) == {str(c.public_id) for c in ConsentRecord.objects.filter(patient=louise)}
    assert ids(content["notes"]) == {str(n.public_id) for n in Note.objects.filter(patient=louise)}
    assert ids(content["prescriptions"]) == {str(mine["prescription"].public_id)}
    transmissions = content["prescriptions"][0]["transmissions"]
    assert ids(transmissions) == {str(t.public_id) for t in Transmission.objects.filter(prescription__patient=louise)}
    assert ids(content["communications"]) == {
        str(r.public_id) for r in CommunicationRecord.objects.filter(patient=louise)
    }
    assert len(content["communications"]) == 1
    audit_rows = AuditEvent.objects.filter(patient_id=louise.public_id)
    assert len(content["access_log"]) == audit_rows.count()
    assert "patient.export" in {row["what"] for row in content["access_log"]}  # the export lists itself
    pdfs = {name for name in files if name.startswith("pdf/")}
    assert pdfs == {f"pdf/{mine['note_document'].file_name}", f"pdf/{mine['prescription'].document.file_name}"}
    assert files[f"pdf/{mine['note_document'].file_name}"] == bytes(mine["note_document"].pdf)


def test_the_export_holds_nothing_about_another_patient(client, archivist_a, two_patients):
    louise, other, _mine, theirs = two_patients

    _content, files = read_zip(export(client, archivist_a, louise))

    raw = files["patient.json"].decode()
    other_ids = [
        other.public_id,
        theirs["note_document"].public_id,
        theirs["prescription"].public_id,
        *Appointment.objects.filter(patient=other).values_list("public_id", flat=True),
        *ConsentRecord.objects.filter(patient=other).values_list("public_id", flat=True),
        *Transmission.objects.filter(prescription__patient=other).values_list("public_id", flat=True),
        *CommunicationRecord.objects.filter(patient=other).values_list("public_id", flat=True),
    ]
    for identifier in other_ids:
        assert str(identifier) not in raw
    for identifying in (other.first_name, other.nam, other.file_number, str(other.phone)):
        assert identifying not in raw
    assert theirs["note_document"].file_name not in " ".join(files)
    assert all(bytes(theirs["note_document"].pdf) != data for data in files.values())


def test_the_export_is_audited(client, archivist_a, two_patients):
    louise = two_patients[0]

    export(client, archivist_a, louise)

    event = AuditEvent.objects.get(action=AuditEvent.Action.PATIENT_EXPORT)
    assert (event.actor, event.patient_id, event.target_id) == (archivist_a, louise.public_id, str(louise.public_id))
    assert event.details == {"pdfs": 2}


def test_only_the_archives_of_the_establishment_and_the_administrator_export(
    client, patient_a, archivist_a, administrator, nurse_a, manager_a, nurse_b
):
    url = reverse("patient_export", kwargs={"public_id": patient_a.public_id})

    assert client.post(url).status_code == 302  # to the sign-in page
    assert export(client, nurse_b, patient_a).status_code == 404
    assert export(client, nurse_a, patient_a).status_code == 403
    assert export(client, manager_a, patient_a).status_code == 403
    assert export(client, administrator, patient_a).status_code == 200
    assert export(client, archivist_a, patient_a).status_code == 200
    assert client.get(url).status_code == 405  # a download that writes to the trail is a POST
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PATIENT_EXPORT).count() == 2


def test_the_button_shows_on_the_patient_page_for_the_archives_only(client, patient_a, archivist_a, nurse_a):
    url = reverse("patient_detail", kwargs={"public_id": patient_a.public_id})
    export_url = reverse("patient_export", kwargs={"public_id": patient_a.public_id})

    client.force_login(archivist_a)
    assert export_url in client.get(url).content.decode()
    client.force_login(nurse_a)
    assert export_url not in client.get(url).content.decode()
