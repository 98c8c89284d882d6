"""No 500 on any endpoint, for every role: Schemathesis fuzzes every operation of the OpenAPI schema the
portal serves, in process (WSGI), as each kind of person, and checks the answers against that schema.

Each role's run starts from the same small world (clinic A with a patient, a booked and a held meeting, a
signed note waiting in the archives' queue, a signed and a draft prescription; clinic B with its own
patient), and the generated path ids, patient ids and body ids are real ones half the time, so that the
fuzzer reaches the rows and not only the 404s. A failure shows the request (as curl) and the server's
traceback.
"""

import os
import traceback
from dataclasses import dataclass, field, replace

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from consent.models import ConsentScript
from consent.services import record_consent
from directory.models import ClinicMembership, Recipient
from documentation.services import save_draft, sign_note, start_note
from prescriptions.services import choose_recipient, save_prescription, sign_prescription, start_prescription
from scheduling.services import book_appointment, record_outcome
from tests import factories
from tests.scheduling.conftest import tomorrow_at, video

Role = ClinicMembership.Role

ROLES = ["anonymous", "nurse_a", "nurse_b", "archivist_a", "manager_a", "administrator", "physician_a"]
# Enough for CI (about a minute for every role); raise it for a longer hunt: API_FUZZ_EXAMPLES=200.
EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, response_schema_conformance]


@dataclass
class World:
    users: dict = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)  # public ids by resource, as in the API's paths


def seed_world() -> World:
    """Real rows of clinic A (and one patient of clinic B), built through the services."""
    clinic_a, clinic_b = factories.ClinicFactory(name="Clinique A"), factories.ClinicFactory(name="Clinique B")
    users = {
        "nurse_a": factories.staff(
            clinic_a, Role.PROFESSIONAL, username="infirmiere_a", profession="pivot_nurse_oncology"
        ),
        "physician_a": factories.staff(
            clinic_a,
            Role.PROFESSIONAL,
            username="medecin_a",
            profession="physician",
            practice_number="1-95123",
            phone="+14504665055",
        ),
        "nurse_b": factories.staff(clinic_b, Role.PROFESSIONAL, username="infirmiere_b"),
        "archivist_a": factories.staff(clinic_a, Role.ARCHIVIST, username="archiviste_a", profession="archivist"),
        "manager_a": factories.staff(clinic_a, Role.MANAGER, username="gestionnaire_a", profession="manager"),
        "administrator": factories.UserFactory(username="administrateur", is_staff=True, is_superuser=True),
    }
    nurse, physician = users["nurse_a"], users["physician_a"]
    nurse.practice_number = "1234567"
    nurse.save()
    patient_a = factories.patient(clinic_a)
    patient_b = factories.patient(clinic_b, last_name="Bélanger", first_name="Jean-Guy", sex="M")
    pharmacy = Recipient.objects.create(
        kind=Recipient.Kind.COMMUNITY_PHARMACY, name="Pharmacie Auxbonsoins", fax="+14505550202", city="Longueuil"
    )

    consent = record_consent(by=nurse, patient=patient_a, kind="telehealth", granted=True, language="fr")
    booked = book_appointment(by=nurse, patient=patient_a, clinic=clinic_a, details=video(start=tomorrow_at(9)))
    held = record_outcome(
        book_appointment(by=nurse, patient=patient_a, clinic=clinic_a, details=replace(video(), kind="immediate")),
        by=nurse,
        outcome="held",
    )
    note = start_note(by=nurse, appointment=held)
    save_draft(note, by=nurse, structure="free", sections={"body": "Va bien."})
    note = sign_note(note, by=nurse)
    draft_note = start_note(by=physician, appointment=held)

    signed = start_prescription(by=physician, patient=patient_a, category="medication")
    line = {"drug": "Ondansétron", "dose": "1 co", "frequency": "BID", "duration": "30 jours", "renewals": 1}
    fields = {"therapeutic_intent": "Nausées", "no_known_allergies": True}
    save_prescription(signed, by=physician, fields=fields, lines=[line])
    choose_recipient(signed, by=physician, recipient=pharmacy)
    signed = sign_prescription(signed, by=physician)
    draft = start_prescription(by=physician, patient=patient_a, category="laboratory")
    save_prescription(draft, by=physician, fields={"instructions": "FSC, créatinine"})

    rows = {
        "clinics": [clinic_a, clinic_b],
        "patients": [patient_a, patient_b],
        "appointments": [booked, held],
        "notes": [note, draft_note],
        "documents": [note.document, signed.document],
        "prescriptions": [signed, draft],
        "transmissions": list(signed.transmissions.all()),
        "recipients": [pharmacy],
        "consents": [consent],
        "consent-scripts": [ConsentScript.objects.current("telehealth", "fr")],
    }
    return World(users=users, ids={kind: [str(row.public_id) for row in found] for kind, found in rows.items()})


def fuzzing_config(world: World, headers: dict) -> schemathesis.Config:
    """The role's token, and real ids half the time where an id of that kind is expected."""

    def real(kind: str) -> dict:
        return {"dictionary": kind, "probability": 0.5}

    return schemathesis.Config.from_dict(
        {
            "headers": headers,
            "dictionaries": {kind: {"values": ids} for kind, ids in world.ids.items()},
            "parameters": {
                "query.patient": real("patients"),
                "query.clinic": real("clinics"),
                "body.patient": real("patients"),
                "body.appointment": real("appointments"),
                "body.clinic": real("clinics"),
                "body.recipient": real("recipients"),
                "body.documents[*]": real("documents"),
            },
            "operations": [
                {
                    "include-path-regex": f"^/api/v1/{kind}/\\{{public_id\\}}/",
                    "parameters": {"path.public_id": real(kind)},
                }
                for kind in world.ids
            ],
            "generation": {
                # The role's token is the only credential: no generated Authorization header or session cookie.
                "with-security-parameters": False,
            },
        }
    )


@pytest.fixture
def wsgi_app_in_the_test_transaction(db):
    """The portal's WSGI application, answering inside the test's transaction: as Django's test client
    does, the connection is not closed at each request's start and end (it would end the transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield get_wsgi_application()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def server_tracebacks():
    """The tracebacks of the requests that crashed, to show with the failing case."""
    caught: list[str] = []

    def keep(sender, request=None, **kwargs):
        caught.append(traceback.format_exc())

    got_request_exception.connect(keep, weak=False)
    yield caught
    got_request_exception.disconnect(keep)


@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_and_answers_match_the_schema(role, wsgi_app_in_the_test_transaction, server_tracebacks):
    world = seed_world()
    user = world.users.get(role)
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"} if user else {}
    # The schema is served to signed-in people only: read it as the administrator, fuzz as the role.
    reader = Token.objects.get_or_create(user=world.users["administrator"])[0]
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json",
        wsgi_app_in_the_test_transaction,
        config=fuzzing_config(world, headers),
        headers={"Authorization": f"Token {reader.key}"},
    )

    # One Hypothesis run per operation, by hand: Schemathesis's own lazy pytest integration
    # (`schemathesis.pytest.from_fixture`) renames nodes through `_nodeid`, which pytest 9.2 no longer has.
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            fuzz(operation, server_tracebacks)
        except (Exception, BaseExceptionGroup) as failure:  # every operation runs; all failures are listed
            notes = "\n".join(getattr(failure, "__notes__", []))
            failures[operation.label] = f"{failure}\n{notes}"

    assert not failures, f"As {role}: {', '.join(failures)}\n\n" + "\n\n".join(
        f"== {label}\n{detail}" for label, detail in failures.items()
    )


def fuzz(operation, server_tracebacks: list[str]) -> None:
    """Valid and invalid requests to one operation; the first answer that fails a check stops it."""
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def send(case):
        server_tracebacks.clear()
        response = case.call()
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as failure:
            for trace in server_tracebacks:
                failure.add_note(trace)
            raise

    send()
