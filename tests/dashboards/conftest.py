"""A known month of teleconsultation (March 2026, with the spring clock change on the 8th), built row by
row so that every figure of the dashboard has a value worked out by hand."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from consent.models import ConsentRecord
from directory.models import ClinicMembership
from documentation.models import Note, SignedDocument
from prescriptions.models import Prescription, Transmission
from scheduling.models import Appointment, Notice, Participant
from tests import factories
from virtualcare.models import Meeting

MONTREAL = ZoneInfo("America/Montreal")
_numbers = iter(range(1, 10_000))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=MONTREAL)


def meeting_row(clinic, organizer, patient, start, *, status="held", modality="video", platform="teams", **more):
    start = start.astimezone(UTC)  # durations in real minutes, whatever the clock does that night
    meeting = None
    if modality == "video":
        meeting = Meeting.objects.create(
            provider=platform,
            subject="Téléconsultation",
            start=start,
            end=start + timedelta(minutes=30),
            organizer_email=organizer.email or "x@ssss.gouv.qc.ca",
            delivery_status=more.pop("meeting_delivery", "done"),
            last_error=more.pop("meeting_error", ""),
        )
    return Appointment.objects.create(
        patient=patient,
        clinic=clinic,
        organizer=organizer,
        start=start,
        end=start + timedelta(minutes=30),
        modality=modality,
        platform=platform if modality == "video" else "",
        reason="between_cycles",
        status=status,
        meeting=meeting,
        **more,
    )


def signed_document(patient, author, signed_at, *, kind="AH-253", review="pending", filed_after=None):
    number = next(_numbers)
    document = SignedDocument.objects.create(
        kind=kind,
        patient=patient,
        establishment=patient.establishment,
        author=author,
        file_name=f"document_{number}.pdf",
        signed_at=signed_at,
        pdf=b"%PDF-1.7",
        pdf_sha256="0" * 64,
        review_status=review,
        reviewed_at=signed_at + filed_after if filed_after else None,
        delivery_status="done",
    )
    return document


def note_for(appointment, author, *, minutes_after_end, **document):
    signed = signed_document(
        appointment.patient, author, appointment.end + timedelta(minutes=minutes_after_end), **document
    )
    return Note.objects.create(
        patient=appointment.patient, appointment=appointment, author=author, status="signed", document=signed
    )


def prescription_with(clinic, patient, author, signed_at, category, transmissions):
    document = signed_document(patient, author, signed_at, kind="AH-251")
    prescription = Prescription.objects.create(
        patient=patient, clinic=clinic, author=author, category=category, status="signed", document=document
    )
    for channel, status, sent_at in transmissions:
        Transmission.objects.create(
            prescription=prescription,
            recipient_name="Pharmacie",
            channel=channel,
            address="14505550202",
            status=status,
            requested_by=author,
            sent_at=sent_at,
            failure_reason="Ligne occupée" if status == "failed" else "",
        )
    return prescription


@pytest.fixture
def march(clinic_a, clinic_b, settings):
    settings.FAX_CONFIRMATION_HOURS = 4
    settings.TRAVEL_AVERAGE_KMH = 70
    nurse = factories.staff(clinic_a, ClinicMembership.Role.PROFESSIONAL, email="ipo@ssss.gouv.qc.ca")
    other = factories.staff(clinic_b, ClinicMembership.Role.PROFESSIONAL, email="autre@ssss.gouv.qc.ca")
    p1 = factories.patient(clinic_a, travel_distance_km=40, tablet_loan="needed", internet_ok=True)
    p2 = factories.patient(clinic_a, first_name="Paul", sex="M", internet_ok=False)
    p3 = factories.patient(clinic_a, first_name="Rita", tablet_loan="lent")
    elsewhere = factories.patient(clinic_b, first_name="Zoé", travel_distance_km=500)

    ConsentRecord.objects.create(
        patient=p1,
        kind="telehealth",
        decision="granted",
        language="fr",
        recorded_by=nurse,
        given_at=local(2026, 3, 1, 9),
    )
    a1 = meeting_row(clinic_a, nurse, p1, local(2026, 3, 7, 23, 30))  # Saturday night, ends at midnight
    a2 = meeting_row(clinic_a, nurse, p2, local(2026, 3, 8, 3, 30), modality="phone")  # just after the clock jumped
    ConsentRecord.objects.create(  # given after the phone meeting ended: not in force for it
        patient=p2,
        kind="telehealth",
        decision="granted",
        language="fr",
        recorded_by=nurse,
        given_at=local(2026, 3, 8, 5),
    )
    a3 = meeting_row(clinic_a, nurse, p3, local(2026, 3, 31, 23, 30), status="patient_absent", platform="zoom")
    meeting_row(clinic_a, nurse, p1, local(2026, 4, 1, 0, 0))  # April: out
    meeting_row(clinic_a, nurse, p1, local(2026, 2, 28, 23, 29))  # February: out
    a6 = meeting_row(
        clinic_a,
        nurse,
        p3,
        local(2026, 3, 15, 10),
        status="technical_failure",
        platform="jitsi",
        kind="immediate",
        meeting_delivery="failed",
        meeting_error="Jitsi: 503",
    )
    a7 = meeting_row(clinic_a, nurse, p2, local(2026, 3, 16, 10), status="cancelled")
    meeting_row(clinic_a, nurse, p1, local(2026, 3, 17, 10), status="scheduled", modality="in_person")
    a10 = meeting_row(clinic_a, nurse, p1, local(2026, 3, 20, 10))
    meeting_row(clinic_b, other, elsewhere, local(2026, 3, 10, 10))  # another establishment: never counted

    participant = Participant.objects.create(appointment=a7, role="caregiver", name="Proche", email="p@example.com")
    Notice.objects.create(participant=participant, kind="invitation", delivery_status="failed", last_error="550")

    # Notes: 30, 90 and 210 minutes after the end; two filed after 60 and 120 minutes, one waiting.
    note_for(a1, nurse, minutes_after_end=30, review="filed", filed_after=timedelta(minutes=60))
    note_for(a2, nurse, minutes_after_end=90, review="filed", filed_after=timedelta(minutes=120))
    note_for(a10, nurse, minutes_after_end=210)

    prescription_with(clinic_a, p1, nurse, local(2026, 3, 20, 11), "medication", [("fax", "failed", None)])
    prescription_with(
        clinic_a, p2, nurse, local(2026, 3, 21, 11), "medication", [("fax", "sent", local(2026, 3, 21, 11, 5))]
    )
    prescription_with(
        clinic_a,
        p3,
        nurse,
        local(2026, 3, 22, 11),
        "laboratory",
        [("patient_link", "confirmed", local(2026, 3, 22, 12))],
    )
    return {"a1": a1, "a2": a2, "a3": a3, "a6": a6, "a7": a7, "a10": a10, "nurse": nurse}
