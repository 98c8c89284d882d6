"""The load test's own small data set, made with the portal's models and services in the load test's
database (default `loadtest`), and the personas the locust users play.

5 clinics of one establishment; 50 professionals (10 per clinic, nurses with an email, a profession and
a practice number); 40 patients per clinic (half with an email, so invitations go out); for each
professional about 40 meetings this week and next (Jitsi, link already made, or phone) and two held
meetings with a signed AH-253 note (signed through the service, so the PDF is real).

Sign-in: the personas do NOT go through the sign-in form (a second factor is being added to it and to
the token endpoint). Each professional gets a DRF token (rest_framework.authtoken) and a Django session
made with SessionStore as django.contrib.auth.login would (plus the django-otp device key when django-otp
is installed), written to personas.json for locust.

    python -m bench.load.dataset --out /tmp/loadtest-var/personas.json   (settings from the environment)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

CLINICS = 5
PROFESSIONALS_PER_CLINIC = 10
PATIENTS_PER_CLINIC = 40
MEETINGS_PER_PROFESSIONAL = 40
SIGNED_NOTES_PER_PROFESSIONAL = 2
LAST_NAMES = ["Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Gagné"]
FIRST_NAMES = ["Louise", "Marc", "Julie", "Pierre", "Nathalie", "Luc", "Sophie", "André", "Isabelle", "Michel"]


def build(*, seed: int = 8) -> list[dict]:
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from consent.models import ConsentKind, ConsentRecord
    from directory import nam
    from directory.models import Clinic, ClinicMembership, Establishment, Installation, Patient, User
    from documentation.services import save_draft, sign_note, start_note
    from scheduling.models import Appointment, Participant
    from virtualcare.models import Meeting

    rng = random.Random(seed)  # noqa: S311 (repeatable test data, not secrets)
    now = timezone.now()
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    personas = []
    with transaction.atomic():
        establishment = Establishment.objects.create(name="CISSS de charge", phone="+14504661000")
        installation = Installation.objects.create(
            establishment=establishment,
            name="Hôpital de charge",
            address="1, rue de l'Essai",
            city="Longueuil",
            postal_code="J4K 1A1",
            phone="+14504665000",
        )
        file_number = 200000
        for c in range(CLINICS):
            clinic = Clinic.objects.create(
                installation=installation,
                name=f"Clinique d'oncologie {c + 1}",
                phone="+14504665050",
                default_platform="jitsi",
            )
            patients = []
            for p in range(PATIENTS_PER_CLINIC):
                last, first = LAST_NAMES[p % 10], FIRST_NAMES[(p // 10 + c) % 10]
                born = date(1940 + (p * 7 + c) % 50, 1 + p % 12, 1 + p % 28)
                sex = "F" if p % 2 else "M"
                file_number += 1
                patient = Patient.objects.create(
                    establishment=establishment,
                    last_name=last,
                    first_name=first,
                    date_of_birth=born,
                    sex=sex,
                    nam=nam.build(last, first, born, sex),
                    file_number=str(file_number),
                    phone="+14505550101",
                    email=f"patient{file_number}@example.com" if p % 2 == 0 else "",
                    preferred_language="fr" if p % 5 else "en",
                )
                patient.clinics.add(clinic)
                patients.append(patient)
            professionals = []
            for n in range(PROFESSIONALS_PER_CLINIC):
                user = User.objects.create(
                    username=f"charge-c{c + 1}-n{n + 1:02d}",
                    last_name=LAST_NAMES[n],
                    first_name=FIRST_NAMES[(n + 3) % 10],
                    email=f"charge-c{c + 1}-n{n + 1:02d}@ssss.gouv.qc.ca",
                    profession="pivot_nurse_oncology",
                    practice_number=f"{1000000 + c * 100 + n}",
                )
                user.set_unusable_password()  # signed in by token or session only (see the docstring)
                user.save()
                ClinicMembership.objects.create(user=user, clinic=clinic, role=ClinicMembership.Role.PROFESSIONAL)
                professionals.append(user)
            for patient in patients:
                ConsentRecord.objects.create(
                    patient=patient,
                    kind=ConsentKind.TELEHEALTH,
                    decision=ConsentRecord.Decision.GRANTED,
                    language=patient.preferred_language,
                    recorded_by=professionals[0],
                    given_at=now - timedelta(days=30),
                )
            for user in professionals:
                _agenda(user, clinic, patients, monday, rng, Appointment, Meeting, Participant)
                personas.append({"user": user, "clinic": clinic, "patients": patients})
    # Signed notes through the service (each renders its PDF), outside the big transaction.
    for persona in personas:
        user, clinic, patients = persona["user"], persona["clinic"], persona["patients"]
        notes = []
        for k in range(SIGNED_NOTES_PER_PROFESSIONAL):
            start = datetime.combine(monday - timedelta(days=7 + k), clock(7, 0), tzinfo=UTC)
            patient = rng.choice(patients)
            appointment = Appointment.objects.create(
                patient=patient,
                clinic=clinic,
                organizer=user,
                start=start,
                end=start + timedelta(minutes=30),
                modality=Appointment.Modality.PHONE,
                reason="between_cycles",
                status=Appointment.Status.HELD,
            )
            Participant.objects.create(
                appointment=appointment, role=Participant.Role.PATIENT, name=f"{patient.first_name} {patient.last_name}"
            )
            note = start_note(by=user, appointment=appointment, structure="between_cycles")
            note = save_draft(
                note,
                by=user,
                structure="between_cycles",
                sections={
                    "symptoms": "Fatigue de grade 1, nausées légères les deux premiers jours.",
                    "toxicities": "Syndrome main-pied de grade 1.",
                    "adherence": "Capécitabine prise selon le calendrier.",
                    "plan": "Poursuivre le prochain cycle à la même dose.",
                },
            )
            notes.append(str(sign_note(note, by=user).public_id))
        persona["notes"] = notes
    return [_persona(p) for p in personas]


def _agenda(user, clinic, patients, monday, rng, Appointment, Meeting, Participant) -> None:
    """About 40 meetings this week and next, on distinct half-hour slots (so none overlaps)."""
    slots = [
        datetime.combine(monday + timedelta(days=day), clock(13 + half // 2, 30 * (half % 2)), tzinfo=UTC)
        for day in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)
        for half in range(16)  # 8:00 to 16:00 in Montréal (13:00 to 21:00 UTC in winter)
    ]
    for number, start in enumerate(sorted(rng.sample(slots, MEETINGS_PER_PROFESSIONAL))):
        patient = rng.choice(patients)
        video = number % 4 != 3
        meeting = None
        if video:
            meeting = Meeting.objects.create(
                provider="jitsi",
                subject=f"{clinic.name} — Téléconsultation",
                start=start,
                end=start + timedelta(minutes=30),
                organizer_email=user.email,
                delivery_status="done",
                join_url=f"https://meet.jit.si/charge-{user.pk}-{number}",
            )
        appointment = Appointment.objects.create(
            patient=patient,
            clinic=clinic,
            organizer=user,
            start=start,
            end=start + timedelta(minutes=30),
            modality=Appointment.Modality.VIDEO if video else Appointment.Modality.PHONE,
            platform="jitsi" if video else "",
            reason="between_cycles",
            meeting=meeting,
        )
        Participant.objects.create(
            appointment=appointment,
            role=Participant.Role.PATIENT,
            name=f"{patient.first_name} {patient.last_name}",
            email=patient.email,
        )
        Participant.objects.create(
            appointment=appointment,
            role=Participant.Role.PROFESSIONAL,
            name=user.get_full_name(),
            email=user.email,
            user=user,
        )


def _persona(persona: dict) -> dict:
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from directory.middleware import SESSION_EPOCH, SIGNED_IN_AT

    user = persona["user"]
    token, _created = Token.objects.get_or_create(user=user)
    # What django.contrib.auth.login() stores, without going through the sign-in form.
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session[SIGNED_IN_AT] = time.time()
    session[SESSION_EPOCH] = user.session_epoch
    device_id = _second_factor_device(user)
    if device_id:
        session["otp_device_id"] = device_id  # what django_otp.login() stores once the code is accepted
    session.create()
    return {
        "username": user.username,
        "token": token.key,
        "session": session.session_key,
        "clinic": str(persona["clinic"].public_id),
        "patients": [str(p.public_id) for p in persona["patients"]],
        "notes": persona["notes"],
    }


def _second_factor_device(user) -> str:
    """A confirmed TOTP device when django-otp is installed, so that a session counts as verified."""
    from django.apps import apps

    if not apps.is_installed("django_otp.plugins.otp_totp"):
        return ""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    return device.persistent_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    personas = build()
    Path(args.out).write_text(json.dumps(personas))
    print(f"{len(personas)} personas in {time.perf_counter() - started:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
