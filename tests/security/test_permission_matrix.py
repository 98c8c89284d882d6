"""The permission matrix: every URL of the URLconf and every API route, called by each role against objects of
clinic A, and compared with a declared table. A new URL without a row in EXPECTED fails the test.

Each request is made with an empty body: the point is the permission answer, not a successful action. Each
role's request runs inside a savepoint that is rolled back, so that a role that is allowed (and changes the
objects) leaves them as they were for the next role.

Statuses: an int is compared exactly; LOGIN is a 302 to the portal's sign-in page (or the admin's).
"""

import inspect
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from consent.models import ConsentRecord, ConsentScript
from directory.models import ClinicMembership, EmergencyAccess, Recipient
from documentation.models import Note, SignedDocument
from documentation.services import note_header
from prescriptions.models import Prescription, Transmission
from prescriptions.services import link_token_hash
from scheduling.models import Appointment
from tests import factories

ROLES = ("anonymous", "nurse_b", "archivist_a", "manager_a", "nurse_a", "administrator")
LOGIN = "login"  # a 302 to the sign-in page
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
SKIPPED_PREFIXES = ("admin/", "static/", "media/")
PATIENT_TOKEN = "jeton-de-test-pour-la-page-du-patient-0123456789"


# -- the URLconf, walked -----------------------------------------------------------------------------------


def _declared_methods(view) -> list[str]:
    """The HTTP methods a route answers: a viewset's actions, a class view's handlers, or the methods of
    `require_http_methods` found in a function view's decorators (GET alone when the view accepts anything
    and never looks at POST)."""
    actions = getattr(view, "actions", None)
    if actions:
        return sorted(actions)
    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if cls is not None:
        return [m for m in HTTP_METHODS if m in cls.http_method_names and hasattr(cls, m)]
    function = view
    while function is not None:
        for cell in function.__closure__ or ():
            value = cell.cell_contents
            strings = isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value)
            if strings and {v.upper() for v in value} <= {m.upper() for m in HTTP_METHODS} | {"HEAD", "OPTIONS"}:
                return [m for m in HTTP_METHODS if m.upper() in {v.upper() for v in value}]
        function = getattr(function, "__wrapped__", None)
    source = inspect.getsource(inspect.unwrap(view))
    return ["get", "post"] if "request.method" in source or "request.POST" in source else ["get"]


def enumerate_routes() -> dict[tuple[str, str], str]:
    """{(route key, method): pattern}, from the live URLconf."""
    found: dict[tuple[str, str], str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            pattern = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if str(entry.pattern).startswith(SKIPPED_PREFIXES):
                    found[("admin", "get")] = "admin/"
                    continue
                walk(entry.url_patterns, pattern, namespace + (f"{entry.namespace}:" if entry.namespace else ""))
                continue
            assert isinstance(entry, URLPattern)
            if "(?P<format>" in pattern or pattern.startswith(SKIPPED_PREFIXES):
                continue
            key = namespace + entry.name if entry.name else pattern
            for method in _declared_methods(entry.callback):
                found[(key, method)] = pattern

    walk(get_resolver().url_patterns, "", "")
    return found


# -- the objects of clinic A -------------------------------------------------------------------------------


def build_world(clinic_a, nurse_a) -> dict:
    patient = factories.patient(clinic_a)
    start = timezone.now() - timedelta(days=1)
    appointment = Appointment.objects.create(
        patient=patient,
        clinic=clinic_a,
        organizer=nurse_a,
        start=start,
        end=start + timedelta(minutes=30),
        modality="phone",
        reason="between_cycles",
        status="held",
    )
    script = ConsentScript.objects.filter(kind="telehealth").first() or ConsentScript.objects.first()
    consent = ConsentRecord.objects.create(
        patient=patient,
        kind="telehealth",
        decision="granted",
        language="fr",
        recorded_by=nurse_a,
        given_at=start - timedelta(days=1),
        script=script,
    )
    document = SignedDocument.objects.create(
        kind="AH-253",
        patient=patient,
        establishment=patient.establishment,
        author=nurse_a,
        file_name="note.pdf",
        signed_at=appointment.end + timedelta(minutes=30),
        pdf=b"%PDF-1.7",
        pdf_sha256="0" * 64,
        review_status="pending",
        delivery_status="done",
    )
    note = Note.objects.create(
        patient=patient, appointment=appointment, author=nurse_a, status="signed", document=document
    )
    document.header = note_header(note, by=nurse_a)  # as sign_note() freezes it, without rendering a PDF
    document.save(update_fields=["header"])
    rx_document = SignedDocument.objects.create(
        kind="AH-251",
        patient=patient,
        establishment=patient.establishment,
        author=nurse_a,
        file_name="ordonnance.pdf",
        signed_at=timezone.now(),
        pdf=b"%PDF-1.7",
        pdf_sha256="0" * 64,
        review_status="pending",
        delivery_status="done",
    )
    prescription = Prescription.objects.create(
        patient=patient, clinic=clinic_a, author=nurse_a, category="laboratory", status="signed", document=rx_document
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
    Transmission.objects.create(
        prescription=prescription,
        recipient_name=patient.full_name if hasattr(patient, "full_name") else "Patient",
        channel="patient_link",
        address="louise.cote@example.com",
        status="sent",
        requested_by=nurse_a,
        sent_at=timezone.now(),
        link_token_hash=link_token_hash(PATIENT_TOKEN),
        link_expires_at=timezone.now() + timedelta(days=7),
    )
    recipient = Recipient.objects.create(
        kind=Recipient.Kind.COMMUNITY_PHARMACY, name="Pharmacie Auxbonsoins", fax="+14505550202", city="Longueuil"
    )
    nurse_c = factories.staff(factories.ClinicFactory(name="Clinique C"), ClinicMembership.Role.PROFESSIONAL)
    emergency_access = EmergencyAccess.objects.create(
        user=nurse_c,
        patient=patient,
        reason="Patiente vue à l'urgence ce soir, dossier nécessaire",
        expires_at=timezone.now() + timedelta(hours=12),
    )
    return {
        "clinic": clinic_a,
        "emergency_access": emergency_access,
        "patient": patient,
        "appointment": appointment,
        "consent": consent,
        "script": script,
        "note": note,
        "document": document,
        "prescription": prescription,
        "transmission": fax,
        "recipient": recipient,
    }


def _id(world, name) -> str:
    return str(world[name].public_id)


# Which object fills the parameters of each route (every other parameter is derived from the key).
OBJECT_OF_ROUTE = {
    "patient_detail": "patient",
    "emergency_access_review": "emergency_access",
    "emergency-access-detail": "emergency_access",
    "emergency-access-review": "emergency_access",
    "patient_export": "patient",
    "patient_edit": "patient",
    "patient_history": "patient",
    "appointment_detail": "appointment",
    "appointment_row": "appointment",
    "appointment_cancel": "appointment",
    "appointment_reschedule": "appointment",
    "appointment_outcome": "appointment",
    "appointment_retry": "appointment",
    "appointment_recorded": "appointment",
    "note_detail": "note",
    "note_edit": "note",
    "note_addendum": "note",
    "note_pdf": "note",
    "review_document": "document",
    "review_pdf": "document",
    "prescription_detail": "prescription",
    "prescription_edit": "prescription",
    "recipient_options": "prescription",
    "recipient_choose": "prescription",
    "prescription_discard": "prescription",
    "prescription_pdf": "prescription",
    "prescription_transmit": "prescription",
    "transmission_retry": "transmission",
    "transmission_cancel": "transmission",
    "clinic-detail": "clinic",
    "patient-detail": "patient",
    "patient-history": "patient",
    "appointment-detail": "appointment",
    "appointment-cancel": "appointment",
    "appointment-outcome": "appointment",
    "appointment-recorded": "appointment",
    "appointment-reschedule": "appointment",
    "appointment-retry": "appointment",
    "consent-detail": "consent",
    "consent-script-detail": "script",
    "note-detail": "note",
    "note-addendum": "note",
    "note-pdf": "note",
    "note-sign": "note",
    "document-detail": "document",
    "document-retry-filing": "document",
    "document-file": "document",
    "document-pdf": "document",
    "document-return": "document",
    "prescription-detail": "prescription",
    "prescription-candidates": "prescription",
    "prescription-discard": "prescription",
    "prescription-pdf": "prescription",
    "prescription-sign": "prescription",
    "prescription-transmit": "prescription",
    "transmission-detail": "transmission",
    "transmission-cancel": "transmission",
    "transmission-retry": "transmission",
    "recipient-detail": "recipient",
}


def url_of(key: str, world: dict) -> str:
    if key == "admin":
        return "/admin/"
    if key == "patient_download":
        return reverse(key, kwargs={"token": PATIENT_TOKEN})
    if key == "api_dashboard_failures":
        return reverse(key) + "?kind=faxes_failed"
    if key == "dashboard_failures":
        return reverse(key, kwargs={"kind": "faxes_failed"})
    if key == "fhir_r4:search":
        return reverse(key, kwargs={"resource_type": "Patient"})
    if key == "fhir_r4:read":
        return reverse(key, kwargs={"resource_type": "Patient", "resource_id": _id(world, "patient")})
    if key == "fhir_r4:unknown":
        return reverse(key, kwargs={"rest": "Patient/x/y"})
    if key in ("consent_panel", "consent_withdraw", "book_appointment", "patient_prescriptions", "prescription_start"):
        return reverse(key, kwargs={"patient_id": _id(world, "patient")})
    if key == "note_start":
        return reverse(key, kwargs={"appointment_id": _id(world, "appointment")})
    if key in OBJECT_OF_ROUTE:
        return reverse(key, kwargs={"public_id": _id(world, OBJECT_OF_ROUTE[key])})
    return reverse(key)


# -- the declared table ------------------------------------------------------------------------------------


def row(anonymous, nurse_b, archivist_a, manager_a, nurse_a, administrator) -> dict:
    return dict(zip(ROLES, (anonymous, nurse_b, archivist_a, manager_a, nurse_a, administrator), strict=True))


EXPECTED: dict[tuple[str, str], dict] = {
    # (route, method): row(anonymous, nurse_b, archivist_a, manager_a, nurse_a, administrator)
    ("admin", "get"): row("login", "login", "login", "login", "login", 200),
    ("account", "get"): row("login", 200, 200, 200, 200, 200),
    ("communications_export", "get"): row("login", 403, 200, 403, 403, 200),
    ("communications_register", "get"): row("login", 403, 200, 403, 403, 200),
    ("login_code", "get"): row("login", 302, 302, 302, 302, 302),
    ("login_code", "post"): row("login", 302, 302, 302, 302, 302),
    ("login_enrol", "get"): row("login", 302, 302, 302, 302, 302),
    ("login_enrol", "post"): row("login", 302, 302, 302, 302, 302),
    ("patient_export", "post"): row("login", 404, 200, 403, 403, 200),
    ("privacy_notice", "get"): row(200, 200, 200, 200, 200, 200),
    ("recovery_codes_renew", "post"): row("login", 302, 302, 302, 302, 302),
    ("sso_callback", "get"): row("login", "login", "login", "login", "login", "login"),
    ("sso_start", "get"): row("login", "login", "login", "login", "login", "login"),
    ("agenda", "get"): row("login", 200, 200, 200, 200, 200),
    ("api_dashboard_failures", "get"): row(401, 403, 403, 200, 403, 200),
    ("api_dashboard_summary", "get"): row(401, 403, 403, 200, 403, 200),
    ("api_docs", "get"): row(401, 200, 200, 200, 200, 200),
    ("api_me", "get"): row(401, 200, 200, 200, 200, 200),
    ("api_me", "patch"): row(401, 200, 200, 200, 200, 200),
    ("api_schema", "get"): row(401, 200, 200, 200, 200, 200),
    ("api_token", "post"): row(400, 400, 400, 400, 400, 400),
    ("appointment-cancel", "post"): row(401, 404, 403, 403, 409, 409),
    ("appointment-detail", "get"): row(401, 404, 200, 200, 200, 200),
    ("appointment-list", "get"): row(401, 200, 200, 200, 200, 200),
    ("appointment-list", "post"): row(401, 400, 400, 400, 400, 400),
    ("appointment-outcome", "post"): row(401, 404, 403, 403, 400, 400),
    ("appointment-recorded", "post"): row(401, 404, 403, 403, 409, 409),
    ("appointment-reschedule", "post"): row(401, 404, 403, 403, 400, 400),
    ("appointment-retry", "post"): row(401, 404, 403, 403, 200, 200),
    ("appointment_cancel", "post"): row("login", 404, 403, 403, 409, 409),
    ("appointment_detail", "get"): row("login", 404, 200, 200, 200, 200),
    ("appointment_outcome", "post"): row("login", 404, 403, 403, 302, 302),
    ("appointment_recorded", "post"): row("login", 404, 403, 403, 302, 302),
    ("appointment_reschedule", "get"): row("login", 404, 403, 403, 200, 200),
    ("appointment_reschedule", "post"): row("login", 404, 403, 403, 200, 200),
    ("appointment_retry", "post"): row("login", 404, 403, 403, 302, 302),
    ("appointment_row", "get"): row("login", 404, 200, 200, 200, 200),
    ("book_appointment", "get"): row("login", 404, 302, 302, 200, 200),
    ("book_appointment", "post"): row("login", 404, 302, 302, 200, 200),
    ("clinic-detail", "get"): row(401, 404, 200, 200, 200, 404),
    ("clinic-list", "get"): row(401, 200, 200, 200, 200, 200),
    ("consent-detail", "get"): row(401, 404, 200, 200, 200, 200),
    ("consent-list", "get"): row(401, 200, 200, 200, 200, 200),
    ("consent-list", "post"): row(401, 400, 400, 400, 400, 400),
    ("consent-script-detail", "get"): row(401, 200, 200, 200, 200, 200),
    ("consent-script-list", "get"): row(401, 200, 200, 200, 200, 200),
    ("consent-withdraw", "post"): row(401, 400, 400, 400, 400, 400),
    ("consent_panel", "get"): row("login", 404, 200, 200, 200, 200),
    ("consent_panel", "post"): row("login", 404, 403, 403, 302, 302),
    ("consent_withdraw", "post"): row("login", 404, 403, 403, 403, 403),
    ("dashboard", "get"): row("login", 403, 403, 200, 403, 200),
    ("dashboard_csv", "get"): row("login", 403, 403, 200, 403, 200),
    ("dashboard_failures", "get"): row("login", 403, 403, 200, 403, 200),
    ("document-detail", "get"): row(401, 404, 200, 404, 404, 200),
    ("document-file", "post"): row(401, 404, 200, 404, 404, 200),
    ("document-file-batch", "post"): row(401, 403, 400, 403, 403, 400),
    ("document-list", "get"): row(401, 403, 200, 403, 403, 200),
    ("document-pdf", "get"): row(401, 404, 200, 404, 404, 200),
    ("document-retry-filing", "post"): row(401, 404, 200, 404, 404, 200),
    ("document-return", "post"): row(401, 404, 400, 404, 404, 400),
    ("document-returned-to-me", "get"): row(401, 200, 200, 200, 200, 200),
    ("emergency_access_request", "post"): row("login", 404, 403, 403, 404, 403),  # empty body: no patient
    ("emergency_access_list", "get"): row("login", 403, 200, 403, 403, 200),
    ("emergency_access_review", "get"): row("login", 404, 200, 404, 404, 200),
    ("emergency_access_review", "post"): row("login", 404, 400, 404, 404, 400),
    ("emergency-access-list", "get"): row(401, 403, 200, 403, 403, 200),
    ("emergency-access-list", "post"): row(401, 400, 403, 403, 400, 403),
    ("emergency-access-lookup", "post"): row(401, 400, 403, 403, 400, 403),
    ("emergency-access-detail", "get"): row(401, 404, 200, 404, 404, 200),
    ("emergency-access-review", "post"): row(401, 404, 400, 404, 404, 400),
    ("fhir_r4:metadata", "get"): row(200, 200, 200, 200, 200, 200),
    ("fhir_r4:read", "get"): row(401, 404, 200, 200, 200, 200),
    ("fhir_r4:search", "get"): row(401, 200, 200, 200, 200, 200),
    ("fhir_r4:unknown", "get"): row(401, 404, 404, 404, 404, 404),
    ("health", "get"): row(200, 200, 200, 200, 200, 200),
    ("home", "get"): row("login", 200, 200, 200, 200, 200),
    ("login", "get"): row(200, 302, 302, 302, 302, 302),
    ("login", "post"): row(200, 302, 302, 302, 302, 302),
    ("login", "put"): row(200, 302, 302, 302, 302, 302),
    ("logout", "post"): row("login", "login", "login", "login", "login", "login"),
    ("note-addendum", "post"): row(401, 404, 403, 404, 201, 201),
    ("note-detail", "get"): row(401, 404, 200, 404, 200, 200),
    ("note-detail", "patch"): row(401, 404, 409, 404, 409, 409),
    ("note-detail", "put"): row(401, 404, 409, 404, 409, 409),
    ("note-list", "get"): row(401, 200, 200, 200, 200, 200),
    ("note-list", "post"): row(401, 400, 400, 400, 400, 400),
    ("note-pdf", "get"): row(401, 404, 200, 404, 200, 200),
    ("note-sign", "post"): row(401, 404, 409, 404, 200, 409),  # only the author signs (idempotent for her)
    ("note_addendum", "post"): row("login", 404, 403, 404, 302, 302),
    ("note_detail", "get"): row("login", 404, 200, 404, 200, 200),
    ("note_edit", "get"): row("login", 404, 302, 404, 302, 302),
    ("note_edit", "post"): row("login", 404, 302, 404, 302, 302),
    ("note_pdf", "get"): row("login", 404, 200, 404, 200, 200),
    ("note_start", "post"): row("login", 404, 403, 403, 302, 302),
    ("patient-detail", "get"): row(401, 404, 200, 200, 200, 200),
    ("patient-detail", "patch"): row(401, 404, 200, 403, 200, 200),
    ("patient-detail", "put"): row(401, 404, 400, 403, 400, 400),
    ("patient-history", "get"): row(401, 404, 200, 403, 403, 200),
    ("patient-list", "get"): row(401, 200, 200, 200, 200, 200),
    ("patient-list", "post"): row(401, 400, 400, 400, 400, 400),
    ("patient-search", "post"): row(401, 400, 400, 400, 400, 400),
    ("patient_create", "get"): row("login", 200, 403, 403, 200, 200),
    ("patient_create", "post"): row("login", 200, 403, 403, 200, 200),
    ("patient_detail", "get"): row("login", 404, 200, 200, 200, 200),
    ("patient_download", "get"): row(200, 200, 200, 200, 200, 200),
    ("patient_download", "post"): row(400, 400, 400, 400, 400, 400),
    ("patient_edit", "get"): row("login", 404, 200, 403, 200, 200),
    ("patient_edit", "post"): row("login", 404, 200, 403, 200, 200),
    ("patient_history", "get"): row("login", 404, 200, 403, 403, 200),
    ("patient_list", "get"): row("login", 200, 200, 200, 200, 200),
    ("patient_list", "post"): row("login", 200, 200, 200, 200, 200),
    ("patient_prescriptions", "get"): row("login", 404, 200, 200, 200, 200),
    ("prescription-candidates", "get"): row(401, 404, 200, 404, 200, 200),
    ("prescription-detail", "get"): row(401, 404, 200, 404, 200, 200),
    ("prescription-detail", "patch"): row(401, 404, 409, 404, 409, 409),
    ("prescription-detail", "put"): row(401, 404, 409, 404, 409, 409),
    ("prescription-discard", "post"): row(401, 404, 409, 404, 409, 409),
    ("prescription-list", "get"): row(401, 200, 200, 200, 200, 200),
    ("prescription-list", "post"): row(401, 400, 400, 400, 400, 400),
    ("prescription-pdf", "get"): row(401, 404, 200, 404, 200, 200),
    ("prescription-sign", "post"): row(401, 404, 409, 404, 409, 409),
    ("prescription-transmit", "post"): row(401, 404, 403, 404, 400, 403),
    ("prescription_detail", "get"): row("login", 404, 200, 404, 200, 200),
    ("prescription_discard", "post"): row("login", 404, 302, 404, 302, 302),
    ("prescription_edit", "get"): row("login", 404, 302, 404, 302, 302),
    ("prescription_edit", "post"): row("login", 404, 302, 404, 302, 302),
    ("prescription_pdf", "get"): row("login", 404, 200, 404, 200, 200),
    ("prescription_start", "post"): row("login", 404, 403, 403, 302, 302),
    ("prescription_transmit", "post"): row("login", 404, 403, 404, 302, 403),
    ("recipient-detail", "get"): row(401, 200, 200, 404, 200, 200),
    ("recipient-list", "get"): row(401, 200, 200, 200, 200, 200),
    ("recipient_choose", "post"): row("login", 404, 302, 404, 302, 302),
    ("recipient_options", "get"): row("login", 404, 200, 404, 200, 200),
    ("returned_to_me", "get"): row("login", 200, 200, 200, 200, 200),
    ("review_batch", "post"): row("login", 302, 302, 302, 302, 302),
    ("review_document", "get"): row("login", 404, 200, 404, 404, 200),
    ("review_document", "post"): row("login", 404, 302, 404, 404, 302),
    ("review_pdf", "get"): row("login", 404, 200, 404, 404, 200),
    ("review_queue", "get"): row("login", 403, 200, 403, 403, 200),
    ("set_language", "post"): row(302, 302, 302, 302, 302, 302),
    ("transmission-cancel", "post"): row(401, 404, 400, 404, 400, 400),  # scope before the body's validation
    ("transmission-detail", "get"): row(401, 404, 200, 404, 200, 200),
    ("transmission-list", "get"): row(401, 200, 200, 200, 200, 200),
    ("transmission-retry", "post"): row(401, 404, 200, 404, 200, 200),
    ("transmission_board", "get"): row("login", 200, 200, 403, 200, 200),
    ("transmission_cancel", "post"): row("login", 404, 302, 404, 302, 302),
    ("transmission_reports", "post"): row(401, 401, 401, 401, 401, 401),
    ("transmission_retry", "post"): row("login", 404, 302, 404, 302, 302),
}

# -- the requests ------------------------------------------------------------------------------------------


def _users(clinic_a, clinic_b) -> dict:
    Role = ClinicMembership.Role
    return {
        "anonymous": None,
        "nurse_a": factories.staff(
            clinic_a, Role.PROFESSIONAL, username="infirmiere_a", profession="pivot_nurse_oncology"
        ),
        "nurse_b": factories.staff(clinic_b, Role.PROFESSIONAL, username="infirmiere_b"),
        "archivist_a": factories.staff(clinic_a, Role.ARCHIVIST, username="archiviste_a", profession="archivist"),
        "manager_a": factories.staff(clinic_a, Role.MANAGER, username="gestionnaire_a", profession="manager"),
        "administrator": factories.UserFactory(username="administrateur", is_staff=True, is_superuser=True),
    }


def answer_of(response) -> int | str:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith((reverse("login"), "/admin/login/")):
            return LOGIN
    return response.status_code


def call(user, method: str, url: str, is_api: bool):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    if url.startswith(reverse("health")):
        # The health view is asynchronous, and a browser test earlier on this worker leaves an event
        # loop in this thread, which the test client's sync bridge refuses: ask from a fresh thread.
        def get_then_close():
            try:
                return client.get(url)
            finally:
                connections.close_all()  # the thread's own connection would outlive the test database

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(get_then_close).result()
    if method == "get":
        return client.get(url)
    if is_api:
        return getattr(client, method)(url, data={}, content_type="application/json")
    if method == "post":
        return client.post(url)
    return getattr(client, method)(url, data="", content_type="application/x-www-form-urlencoded")


ROUTES = enumerate_routes()


@pytest.mark.parametrize(("key", "method"), sorted(ROUTES), ids=[f"{k}-{m.upper()}" for k, m in sorted(ROUTES)])
def test_each_role_gets_the_declared_answer(db, key, method, settings):
    settings.TRANSMISSION_REPORTS_TOKEN = "jeton-des-rapports"
    clinic_a = factories.ClinicFactory(name="Clinique A")
    clinic_b = factories.ClinicFactory(name="Clinique B")
    users = _users(clinic_a, clinic_b)
    world = build_world(clinic_a, users["nurse_a"])
    url = url_of(key, world)
    is_api = url.startswith(("/api/", "/fhir/"))
    got, errors, cache_control = {}, {}, {}
    for role in ROLES:
        cache.clear()
        with transaction.atomic():
            response = call(users[role], method, url, is_api)
            got[role] = answer_of(response)
            if role != "anonymous" and response.status_code == 200:
                cache_control[role] = response.get("Cache-Control", "")
            if response.status_code >= 500:
                errors[role] = response.content[:300].decode(errors="replace")
            transaction.set_rollback(True)
    if os.environ.get("MATRIX_RECORD"):
        with open(os.environ["MATRIX_RECORD"], "a") as out:
            out.write(f"{(key, method)!r}: row({', '.join(repr(got[r]) for r in ROLES)}),\n")
    assert not errors, f"{method.upper()} {url}: server errors {errors}"
    expected = EXPECTED.get((key, method))
    assert expected is not None, f"no row for {key} {method.upper()}"
    differences = {
        role: f"got {got[role]!r}, expected {expected[role]!r}" for role in ROLES if got[role] != expected[role]
    }
    assert not differences, f"{method.upper()} {url}: {differences}"
    stored = {role: value for role, value in cache_control.items() if "no-store" not in value}
    assert not stored, f"{method.upper()} {url}: a signed-in answer a browser may keep: {stored}"


# Route parameters are opaque identifiers or fixed words: a name, a NAM or a birth date never rides in a URL.
OPAQUE_PARAMETERS = {
    "public_id",
    "patient_id",
    "appointment_id",
    "token",
    "kind",
    "resource_type",
    "resource_id",
    "rest",
}


def test_no_route_carries_health_information_in_its_path():
    parameters = {name for pattern in ROUTES.values() for name in re.findall(r"<(?:\w+:)?(\w+)>", pattern)}
    assert parameters <= OPAQUE_PARAMETERS, f"parameters to review: {sorted(parameters - OPAQUE_PARAMETERS)}"


def test_every_route_has_a_row_and_every_row_a_route():
    missing = sorted(set(ROUTES) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(ROUTES))
    assert not missing and not stale, f"routes without a row: {missing}; rows without a route: {stale}"
