"""Break-the-glass: a professional opens, with a reason, the record of a patient outside her clinics; read only,
until it expires; always audited; reviewed by the archivists of the patient's establishment."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from directory.models import ClinicMembership, EmergencyAccess
from documentation.models import Note, SignedDocument
from prescriptions.models import Prescription, Transmission
from scheduling.models import Appointment
from tests import factories
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

Role = ClinicMembership.Role
REASON = "Patiente arrivée à l'urgence de Valleyfield, inconsciente; il me faut son plan de traitement."


@pytest.fixture
def record_a(clinic_a, nurse_a, patient_a):
    """A clinic-A patient with a held meeting, a signed note and a signed prescription (with a failed fax)."""
    start = timezone.now() - timedelta(days=1)
    appointment = Appointment.objects.create(
        patient=patient_a,
        clinic=clinic_a,
        organizer=nurse_a,
        start=start,
        end=start + timedelta(minutes=30),
        modality="phone",
        reason="between_cycles",
        status="held",
    )
    note_document = _signed_document(patient_a, nurse_a, kind="AH-253", file_name="note.pdf")
    note = Note.objects.create(
        patient=patient_a, appointment=appointment, author=nurse_a, status="signed", document=note_document
    )
    draft = Note.objects.create(patient=patient_a, appointment=appointment, author=nurse_a)
    rx_document = _signed_document(patient_a, nurse_a, kind="AH-251", file_name="ordonnance.pdf")
    prescription = Prescription.objects.create(
        patient=patient_a, clinic=clinic_a, author=nurse_a, category="laboratory", status="signed", document=rx_document
    )
    fax = Transmission.objects.create(
        prescription=prescription,
        recipient_name="Pharmacie",
        channel="fax",
        address="14505550202",
        status="failed",
        requested_by=nurse_a,
        failure_reason="Ligne occupée",
    )
    return {
        "patient": patient_a,
        "appointment": appointment,
        "note": note,
        "draft": draft,
        "prescription": prescription,
        "transmission": fax,
    }


def _signed_document(patient, author, *, kind, file_name):
    return SignedDocument.objects.create(
        kind=kind,
        patient=patient,
        establishment=patient.establishment,
        author=author,
        file_name=file_name,
        signed_at=timezone.now(),
        pdf=b"%PDF-1.7 test",
        pdf_sha256="0" * 64,
        review_status="pending",
        delivery_status="done",
    )


def _grant(nurse, patient, reason=REASON) -> EmergencyAccess:
    from directory.services import request_emergency_access

    return request_emergency_access(by=nurse, patient=patient, reason=reason)


def _expire(grant: EmergencyAccess) -> None:
    # Time travel without a clock library: the grant is moved back past its end, as if 13 hours had passed.
    shift = grant.expires_at - timezone.now() + timedelta(minutes=1)
    EmergencyAccess.objects.filter(pk=grant.pk).update(
        granted_at=grant.granted_at - shift, expires_at=grant.expires_at - shift
    )


def _detail(patient) -> str:
    return reverse("patient_detail", kwargs={"public_id": patient.public_id})


# -- before any grant ---------------------------------------------------------------------------------------


def test_a_nurse_of_another_clinic_does_not_see_the_patient(client, nurse_b, patient_a):
    client.force_login(nurse_b)

    assert client.get(_detail(patient_a)).status_code == 404
    assert api_as(nurse_b).get(f"/api/v1/patients/{patient_a.public_id}/").status_code == 404
    assert AuditEvent.objects.filter(actor=nurse_b, action=AuditEvent.Action.PATIENT_ACCESS_DENIED).count() == 2


@pytest.mark.parametrize("query", ["nam", "file_number"])
def test_an_exact_search_says_a_record_matches_outside_and_shows_nothing_of_it(client, nurse_b, patient_a, query):
    client.force_login(nurse_b)
    value = patient_a.nam_display if query == "nam" else patient_a.file_number

    response = client.post(reverse("patient_list"), {"query": value})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Un dossier correspond hors de vos cliniques" in page
    assert response.context["patients"] == []
    assert patient_a.last_name not in page and patient_a.first_name not in page
    assert patient_a.date_of_birth.isoformat() not in page
    assert f'name="patient" value="{patient_a.public_id}"' in page
    # That the record exists was told to her: the audit trail says so.
    listings = AuditEvent.objects.filter(actor=nurse_b, action=AuditEvent.Action.PATIENT_SEARCH)
    assert {"query": "outside_clinics", "shown": [str(patient_a.public_id)]} in [e.details for e in listings]


def test_a_name_search_or_a_manager_gets_no_offer(client, nurse_b, manager_a, patient_b, patient_a):
    client.force_login(nurse_b)
    by_name = client.post(reverse("patient_list"), {"query": patient_a.last_name})
    assert "Un dossier correspond hors de vos cliniques" not in by_name.content.decode()

    other_manager = factories.staff(patient_b.clinics.get(), Role.MANAGER)
    client.force_login(other_manager)
    by_nam = client.post(reverse("patient_list"), {"query": patient_a.nam})
    assert "Un dossier correspond hors de vos cliniques" not in by_nam.content.decode()


# -- asking ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "urgence"])
def test_a_missing_or_too_short_reason_is_refused_with_a_clear_sentence(client, nurse_b, patient_a, reason):
    client.force_login(nurse_b)

    page = client.post(reverse("emergency_access_request"), {"patient": str(patient_a.public_id), "reason": reason})
    api = api_as(nurse_b).post(
        "/api/v1/emergency-accesses/", {"patient": str(patient_a.public_id), "reason": reason}, format="json"
    )

    assert page.status_code == 400
    assert "au moins 20 caractères" in page.content.decode()
    assert api.status_code == 400
    assert api.json()["field"] == "reason" and "au moins 20 caractères" in api.json()["detail"]
    assert not EmergencyAccess.objects.exists()
    assert client.get(_detail(patient_a)).status_code == 404


def test_a_nam_in_the_reason_is_refused(nurse_b, patient_a):
    response = api_as(nurse_b).post(
        "/api/v1/emergency-accesses/",
        {"patient": str(patient_a.public_id), "reason": f"Urgence pour {patient_a.nam_display}, inconsciente"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "nam_in_reason"


def test_a_manager_an_archivist_and_a_nurse_of_the_clinic_cannot_ask(client, manager_a, archivist_a, patient_b):
    for user in (manager_a, archivist_a):
        client.force_login(user)
        body = {"patient": str(patient_b.public_id), "reason": REASON}
        assert client.post(reverse("emergency_access_request"), body).status_code == 403
        assert api_as(user).post("/api/v1/emergency-accesses/", body, format="json").status_code == 403
    assert not EmergencyAccess.objects.exists()


def test_a_patient_already_in_her_clinics_is_a_conflict(nurse_a, patient_a):
    response = api_as(nurse_a).post(
        "/api/v1/emergency-accesses/", {"patient": str(patient_a.public_id), "reason": REASON}, format="json"
    )

    assert response.status_code == 409
    assert not EmergencyAccess.objects.exists()


def test_asking_twice_gives_the_same_grant(nurse_b, patient_a):
    first = _grant(nurse_b, patient_a)
    second = _grant(nurse_b, patient_a, reason="Deuxième clic sur le bouton, même urgence à l'hôpital.")

    assert first.pk == second.pk
    assert EmergencyAccess.objects.count() == 1


# -- with a grant: reading, and only reading ---------------------------------------------------------------


def test_with_a_reason_the_record_opens_read_only_with_the_banner(client, nurse_b, record_a, settings):
    settings.EMERGENCY_ACCESS_HOURS = 12
    patient = record_a["patient"]
    client.force_login(nurse_b)

    response = client.post(reverse("emergency_access_request"), {"patient": str(patient.public_id), "reason": REASON})

    assert response.status_code == 302 and response.url == _detail(patient)
    grant = EmergencyAccess.objects.get()
    assert (grant.user, grant.patient, grant.reason) == (nurse_b, patient, REASON)
    assert timedelta(hours=11, minutes=59) < grant.expires_at - grant.granted_at <= timedelta(hours=12)
    pages = [
        _detail(patient),
        reverse("note_detail", kwargs={"public_id": record_a["note"].public_id}),
        reverse("prescription_detail", kwargs={"public_id": record_a["prescription"].public_id}),
        reverse("appointment_detail", kwargs={"public_id": record_a["appointment"].public_id}),
    ]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        assert "Accès d'urgence" in page.content.decode(), url
        assert "les archivistes réviseront cet accès" in page.content.decode(), url
        assert "no-store" in page["Cache-Control"]
    note_pdf = client.get(reverse("note_pdf", kwargs={"public_id": record_a["note"].public_id}))
    rx_pdf = client.get(reverse("prescription_pdf", kwargs={"public_id": record_a["prescription"].public_id}))
    assert note_pdf.status_code == 200 and note_pdf.content.startswith(b"%PDF")
    assert rx_pdf.status_code == 200


def test_the_api_and_fhir_read_under_the_grant(nurse_b, record_a):
    patient = record_a["patient"]
    _grant(nurse_b, patient)
    api = api_as(nurse_b)

    assert api.get(f"/api/v1/patients/{patient.public_id}/").status_code == 200
    assert api.get(f"/api/v1/notes/{record_a['note'].public_id}/").status_code == 200
    assert api.get(f"/api/v1/notes/{record_a['note'].public_id}/pdf/").status_code == 200
    assert api.get(f"/api/v1/prescriptions/{record_a['prescription'].public_id}/").status_code == 200
    assert api.get(f"/api/v1/appointments/{record_a['appointment'].public_id}/").status_code == 200
    fhir = api.get(reverse("fhir_r4:read", kwargs={"resource_type": "Patient", "resource_id": patient.public_id}))
    assert fhir.status_code == 200


def test_a_grant_holder_cannot_book_sign_transmit_or_change(client, nurse_b, record_a):
    patient, note, prescription = record_a["patient"], record_a["note"], record_a["prescription"]
    nurse_b.profession = "physician"  # one who prescribes in her own clinic
    nurse_b.save(update_fields=["profession"])
    _grant(nurse_b, patient)
    client.force_login(nurse_b)
    api = api_as(nurse_b)

    # Booking: no clinic of hers follows the patient; the page sends her back, the API refuses.
    booked = client.post(reverse("book_appointment", kwargs={"patient_id": patient.public_id}), {})
    assert booked.status_code == 302 and booked.url == _detail(patient)
    api_booking = api.post(
        "/api/v1/appointments/",
        {
            "patient": {"public_id": str(patient.public_id)},
            "kind": "follow_up",
            "modality": "phone",
            "reason": "between_cycles",
            "duration_minutes": 30,
        },
        format="json",
    )
    assert api_booking.status_code in (400, 403)
    assert Appointment.objects.count() == 1
    # Changing the record, recording consent, prescribing, writing a note: 403.
    assert client.post(reverse("patient_edit", kwargs={"public_id": patient.public_id}), {}).status_code == 403
    assert (
        api.patch(f"/api/v1/patients/{patient.public_id}/", {"phone": "4505550000"}, format="json").status_code == 403
    )
    assert client.post(reverse("prescription_start", kwargs={"patient_id": patient.public_id}), {}).status_code == 403
    assert client.post(reverse("consent_withdraw", kwargs={"patient_id": patient.public_id}), {}).status_code == 403
    appointment_id = record_a["appointment"].public_id
    assert client.post(reverse("note_start", kwargs={"appointment_id": appointment_id})).status_code == 403
    assert client.post(reverse("note_addendum", kwargs={"public_id": note.public_id})).status_code == 403
    assert api.post(f"/api/v1/appointments/{appointment_id}/cancel/", {}, format="json").status_code == 403
    # Signing someone else's draft: refused, and nothing is signed.
    assert api.post(f"/api/v1/notes/{record_a['draft'].public_id}/sign/").status_code in (403, 409)
    assert Note.objects.get(pk=record_a["draft"].pk).status == "draft"
    # Transmitting: 403; the failed fax is not hers to retry (it is not even shown to her).
    transmit = reverse("prescription_transmit", kwargs={"public_id": prescription.public_id})
    assert client.post(transmit, {"recipient": ""}).status_code == 403
    assert api.post(f"/api/v1/prescriptions/{prescription.public_id}/transmit/", {}, format="json").status_code == 403
    retry = reverse("transmission_retry", kwargs={"public_id": record_a["transmission"].public_id})
    assert client.post(retry).status_code == 404
    assert Transmission.objects.count() == 1
    assert Transmission.objects.get().status == "failed"
    # The page offers none of these actions.
    page = client.get(_detail(patient)).content.decode()
    assert reverse("book_appointment", kwargs={"patient_id": patient.public_id}) not in page
    assert reverse("patient_edit", kwargs={"public_id": patient.public_id}) not in page
    panel = client.get(reverse("patient_prescriptions", kwargs={"patient_id": patient.public_id}))
    assert panel.status_code == 200
    assert reverse("prescription_start", kwargs={"patient_id": patient.public_id}) not in panel.content.decode()


def test_after_expiry_the_record_is_closed_again(client, nurse_b, record_a):
    patient = record_a["patient"]
    grant = _grant(nurse_b, patient)
    client.force_login(nurse_b)
    assert client.get(_detail(patient)).status_code == 200

    _expire(grant)

    assert client.get(_detail(patient)).status_code == 404
    assert client.get(reverse("note_detail", kwargs={"public_id": record_a["note"].public_id})).status_code == 404
    assert client.get(reverse("note_pdf", kwargs={"public_id": record_a["note"].public_id})).status_code == 404
    assert api_as(nurse_b).get(f"/api/v1/prescriptions/{record_a['prescription'].public_id}/").status_code == 404
    assert api_as(nurse_b).get(f"/api/v1/patients/{patient.public_id}/").status_code == 404


def test_a_grant_ends_with_the_professional_role(client, nurse_b, patient_a):
    _grant(nurse_b, patient_a)
    ClinicMembership.objects.filter(user=nurse_b).update(role=Role.MANAGER)
    client.force_login(nurse_b)

    assert client.get(_detail(patient_a)).status_code == 404


def test_the_grant_and_every_reading_are_audited_with_the_reason(client, nurse_b, record_a):
    patient = record_a["patient"]
    client.force_login(nurse_b)
    client.post(reverse("emergency_access_request"), {"patient": str(patient.public_id), "reason": REASON})
    client.get(_detail(patient))
    client.get(reverse("note_pdf", kwargs={"public_id": record_a["note"].public_id}))

    grant = EmergencyAccess.objects.get()
    granted = AuditEvent.objects.get(action=AuditEvent.Action.EMERGENCY_ACCESS)
    assert granted.actor == nurse_b
    assert granted.patient_id == patient.public_id
    assert granted.target_id == str(grant.public_id)
    assert granted.details["reason"] == REASON
    assert patient.nam not in str(granted.details) and patient.last_name not in str(granted.details)
    view = AuditEvent.objects.get(actor=nurse_b, action=AuditEvent.Action.PATIENT_VIEW)
    assert view.details == {"emergency_access": True}
    assert AuditEvent.objects.filter(actor=nurse_b, action=AuditEvent.Action.NOTE_DOWNLOAD).count() == 1


# -- review by the archives ------------------------------------------------------------------------------------


def test_the_archivist_of_the_patients_establishment_sees_and_reviews_the_grant(
    client, nurse_b, archivist_a, patient_a
):
    grant = _grant(nurse_b, patient_a)
    client.force_login(archivist_a)

    home = client.get(reverse("home")).content.decode()
    listing = client.get(reverse("emergency_access_list"))
    detail = client.get(reverse("emergency_access_review", kwargs={"public_id": grant.public_id}))
    empty = client.post(reverse("emergency_access_review", kwargs={"public_id": grant.public_id}), {"comment": " "})
    reviewed = client.post(
        reverse("emergency_access_review", kwargs={"public_id": grant.public_id}),
        {"comment": "Appel au CH de Valleyfield : urgence confirmée."},
    )

    assert 'title="À réviser">1</span>' in home
    assert listing.status_code == 200
    page = listing.content.decode()
    assert REASON.replace("'", "&#x27;") in page and patient_a.file_number in page and "À réviser" in page
    assert detail.status_code == 200
    assert empty.status_code == 400
    assert reviewed.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == archivist_a and grant.is_reviewed
    assert grant.review_comment == "Appel au CH de Valleyfield : urgence confirmée."
    event = AuditEvent.objects.get(action=AuditEvent.Action.EMERGENCY_ACCESS_REVIEWED)
    assert event.actor == archivist_a and event.target_id == str(grant.public_id)
    assert 'title="À réviser"' not in client.get(reverse("home")).content.decode()
    # The grant itself is not changed by the review, except its review fields.
    assert (grant.reason, grant.user, grant.patient) == (REASON, nurse_b, patient_a)


def test_the_api_lists_and_reviews_for_the_archivist(nurse_b, archivist_a, patient_a):
    grant = _grant(nurse_b, patient_a)
    api = api_as(archivist_a)

    listed = api.get("/api/v1/emergency-accesses/?status=to_review").json()
    reviewed = api.post(f"/api/v1/emergency-accesses/{grant.public_id}/review/", {"comment": "Vu."}, format="json")
    again = api.post(f"/api/v1/emergency-accesses/{grant.public_id}/review/", {"comment": "Autre"}, format="json")

    assert [row["public_id"] for row in listed["results"]] == [str(grant.public_id)]
    assert listed["results"][0]["reason"] == REASON and listed["results"][0]["status"] == "to_review"
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "reviewed"
    assert again.json()["review_comment"] == "Vu."
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EMERGENCY_ACCESS_REVIEWED).count() == 1


def test_an_archivist_of_another_establishment_does_not_see_the_grant(client, nurse_b, patient_a, clinic_b):
    grant = _grant(nurse_b, patient_a)
    archivist_b = factories.staff(clinic_b, Role.ARCHIVIST)
    client.force_login(archivist_b)

    assert patient_a.file_number not in client.get(reverse("emergency_access_list")).content.decode()
    assert client.get(reverse("emergency_access_review", kwargs={"public_id": grant.public_id})).status_code == 404
    api = api_as(archivist_b)
    assert api.get("/api/v1/emergency-accesses/").json()["count"] == 0
    assert api.post(f"/api/v1/emergency-accesses/{grant.public_id}/review/", {"comment": "x"}).status_code == 404
    assert not EmergencyAccess.objects.get().is_reviewed


def test_nurses_and_managers_do_not_get_the_review_pages(client, nurse_b, nurse_a, manager_a, patient_a):
    grant = _grant(nurse_b, patient_a)
    for user in (nurse_a, nurse_b, manager_a):
        client.force_login(user)
        assert client.get(reverse("emergency_access_list")).status_code == 403
        assert client.get(reverse("emergency_access_review", kwargs={"public_id": grant.public_id})).status_code == 404
        assert api_as(user).get("/api/v1/emergency-accesses/").status_code == 403


def test_the_administrator_sees_every_grant(client, nurse_b, administrator, patient_a):
    _grant(nurse_b, patient_a)
    client.force_login(administrator)

    assert patient_a.file_number in client.get(reverse("emergency_access_list")).content.decode()


def test_lookup_in_the_api_gives_the_ids_only(nurse_b, manager_a, patient_a):
    response = api_as(nurse_b).post("/api/v1/emergency-accesses/lookup/", {"query": patient_a.nam}, format="json")

    assert response.json() == {"matches": [str(patient_a.public_id)]}
    assert api_as(manager_a).post("/api/v1/emergency-accesses/lookup/", {"query": "x"}).status_code == 403
