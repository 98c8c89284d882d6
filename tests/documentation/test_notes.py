"""AH-253 progress notes: prefilled, signed into a PDF with every mandatory element, then read-only."""

import hashlib
from dataclasses import replace
from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from common.errors import Conflict, Invalid
from consent.services import record_consent
from documentation.models import Note
from documentation.services import add_addendum, download_pdf, missing_elements, save_draft, sign_note, start_note
from scheduling.services import book_appointment, record_outcome
from tests import factories
from tests.scheduling.conftest import video

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_meeting(nurse, louise, clinic_a):
    nurse.practice_number = "1234567"
    nurse.save()
    appointment = book_appointment(
        by=nurse, patient=louise, clinic=clinic_a, details=replace(video(), kind="immediate")
    )
    record_consent(by=nurse, patient=louise, kind="telehealth", granted=True, language="fr")
    return record_outcome(appointment, by=nurse, outcome="held")


def pdf_text(note: Note) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(bytes(note.document.pdf))).pages)


def write_and_sign(nurse, appointment, **sections) -> Note:
    note = start_note(by=nurse, appointment=appointment, structure="between_cycles")
    save_draft(
        note,
        by=nurse,
        structure="between_cycles",
        sections=sections or {"symptoms": "Fatigue légère.", "plan": "Revoir dans 2 semaines."},
    )
    return sign_note(note, by=nurse)


def test_the_signed_pdf_carries_every_mandatory_element_and_its_hash(nurse, louise, held_meeting):
    note = write_and_sign(nurse, held_meeting)

    text = pdf_text(note)
    for element in (
        "CISSS de test",
        "Hôpital",
        "Côté",
        "Louise",
        louise.file_number,
        "1958-03-14",
        louise.nam_display,
        "TÉLÉCONSULTATION",
        "Tremblay",
        "Julie",
        "Infirmière pivot en oncologie",
        "1234567",
        "Fatigue légère.",
        "consentement",
    ):
        assert element in text, element
    assert note.document.file_name == f"Notes d'évolution_{louise.file_number}.pdf"
    assert note.document.pdf_sha256 == hashlib.sha256(bytes(note.document.pdf)).hexdigest()


def test_a_patient_without_nam_has_the_other_identifier_printed(nurse, clinic_a):
    nurse.practice_number = "1234567"
    nurse.save()
    lan = factories.patient(
        clinic_a,
        nam="",
        last_name="Nguyen",
        first_name="Lan",
        date_of_birth=date(1975, 7, 4),
        fallback_identifier_kind="mother_name",
        fallback_identifier="Tran Thi Mai",
    )
    appointment = book_appointment(by=nurse, patient=lan, clinic=clinic_a, details=replace(video(), kind="immediate"))
    record_consent(by=nurse, patient=lan, kind="telehealth", granted=True, language="fr")
    held = record_outcome(appointment, by=nurse, outcome="held")

    note = write_and_sign(nurse, held)

    assert "Tran Thi Mai" in pdf_text(note) and "NAM :" not in pdf_text(note)


def test_a_second_note_of_the_patient_gets_a_suffix(nurse, louise, held_meeting):
    first = write_and_sign(nurse, held_meeting)
    second = write_and_sign(nurse, held_meeting)

    assert second.document.file_name == f"Notes d'évolution_{louise.file_number}_2.pdf" != first.document.file_name


def test_a_signed_note_cannot_be_edited_but_takes_an_addendum(nurse, held_meeting):
    note = write_and_sign(nurse, held_meeting)

    with pytest.raises(Conflict):
        save_draft(note, by=nurse, structure="free", sections={"body": "Changé"})
    addendum = add_addendum(note, by=nurse)
    save_draft(addendum, by=nurse, structure="free", sections={"body": "Précision : dose réduite."})
    signed = sign_note(addendum, by=nurse)

    assert "Addenda à" in pdf_text(signed) and note.document.file_name in pdf_text(signed)


def test_the_check_flags_a_patient_without_nam_nor_other_identifier(nurse, held_meeting):
    note = start_note(by=nurse, appointment=held_meeting)

    header = {
        "establishment": "E",
        "installation": "I",
        "last_name": "N",
        "first_name": "P",
        "file_number": "1",
        "date_of_birth": "1950-01-01",
        "author_last_name": "T",
        "author_profession": "Infirmière",
        "author_practice_number": "1",
        "teleconsultation": "TÉLÉCONSULTATION",
        "nam": "",
        "other_identifier": "",
    }

    assert missing_elements(header) == ["NAM or another identifier"] or missing_elements(header) == [
        "NAM ou autre identifiant"
    ]
    assert note.status == "draft"


def test_an_empty_note_or_a_meeting_not_held_cannot_be_signed(nurse, louise, clinic_a, held_meeting):
    scheduled = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
    with pytest.raises(Conflict):
        start_note(by=nurse, appointment=scheduled)
    with pytest.raises(Invalid):
        sign_note(start_note(by=nurse, appointment=held_meeting), by=nurse)


def test_downloads_are_audited(nurse, held_meeting):
    from audit.models import AuditEvent

    note = write_and_sign(nurse, held_meeting)
    pdf = download_pdf(note.document, by=nurse)

    assert pdf.startswith(b"%PDF")
    assert (
        AuditEvent.objects.filter(action="note.download", target_id=str(note.document.public_id), actor=nurse).count()
        == 1
    )


def test_the_api_writes_signs_and_serves_the_pdf_and_refuses_to_change_a_signed_note(nurse, held_meeting):
    from tests.conftest import api_as

    api = api_as(nurse)
    created = api.post(
        "/api/v1/notes/",
        {"appointment": str(held_meeting.public_id), "structure": "free", "sections": {"body": "Va bien."}},
        format="json",
    ).json()
    signed = api.post(f"/api/v1/notes/{created['id']}/sign/").json()
    pdf = api.get(f"/api/v1/notes/{created['id']}/pdf/")
    changed = api.patch(f"/api/v1/notes/{created['id']}/", {"sections": {"body": "Autre"}}, format="json")

    assert signed["status"] == "signed" and signed["file_name"].endswith(".pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == signed["pdf_sha256"]
    assert changed.status_code == 409
    assert api.delete(f"/api/v1/notes/{created['id']}/").status_code == 405


def test_the_pages_write_sign_and_lock_the_note(client, nurse, held_meeting):
    from django.urls import reverse

    client.force_login(nurse)
    client.post(
        reverse("note_start", kwargs={"appointment_id": held_meeting.public_id}), {"structure": "between_cycles"}
    )
    note = Note.objects.get()
    edit = reverse("note_edit", kwargs={"public_id": note.public_id})
    autosaved = client.post(
        edit, {"structure": "between_cycles", "symptoms": "Nausées."}, headers={"HX-Request": "true"}
    )
    client.post(
        edit, {"structure": "between_cycles", "symptoms": "Nausées.", "plan": "Appel dans 1 semaine.", "sign": "1"}
    )

    note.refresh_from_db()
    assert autosaved.status_code == 200
    assert note.is_signed and note.sections["plan"] == "Appel dans 1 semaine."
    assert client.get(edit).status_code == 302  # a signed note opens read-only
    assert client.get(reverse("note_pdf", kwargs={"public_id": note.public_id}))["Content-Type"] == "application/pdf"


def test_someone_outside_the_establishment_gets_404(nurse, held_meeting, nurse_b):
    from tests.conftest import api_as

    note = write_and_sign(nurse, held_meeting)

    assert api_as(nurse_b).get(f"/api/v1/notes/{note.public_id}/").status_code == 404
    assert api_as(nurse_b).get(f"/api/v1/notes/{note.public_id}/pdf/").status_code == 404


def test_the_editor_shows_what_the_portal_already_knows(client, nurse, louise, held_meeting):
    from django.urls import reverse

    client.force_login(nurse)
    client.post(reverse("note_start", kwargs={"appointment_id": held_meeting.public_id}))
    note = Note.objects.get()

    page = client.get(reverse("note_edit", kwargs={"public_id": note.public_id})).content.decode()

    for element in (louise.file_number, louise.nam_display, "TÉLÉCONSULTATION", "1234567", "1958-03-14"):
        assert element in page


def test_the_admin_cannot_change_or_delete_a_signed_note(client, administrator, nurse, held_meeting):
    from django.urls import reverse

    note = write_and_sign(nurse, held_meeting)
    client.force_login(administrator)

    page = client.get(reverse("admin:documentation_note_change", args=[note.pk]))
    deleted = client.post(
        reverse("admin:documentation_signeddocument_delete", args=[note.document.pk]), {"post": "yes"}
    )

    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert deleted.status_code == 403 and Note.objects.get().is_signed


def test_the_api_refuses_a_note_for_a_meeting_not_held_and_an_empty_signature(nurse, louise, clinic_a, held_meeting):
    from tests.conftest import api_as

    scheduled = book_appointment(by=nurse, patient=louise, clinic=clinic_a, details=video())
    api = api_as(nurse)

    not_held = api.post("/api/v1/notes/", {"appointment": str(scheduled.public_id)}, format="json")
    empty = api.post("/api/v1/notes/", {"appointment": str(held_meeting.public_id)}, format="json").json()
    signed_empty = api.post(f"/api/v1/notes/{empty['id']}/sign/")

    assert not_held.status_code == 409 and not_held.json()["code"] == "not_held"
    assert signed_empty.status_code == 400 and signed_empty.json()["field"] == "sections"
