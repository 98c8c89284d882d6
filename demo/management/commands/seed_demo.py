"""Demo data: one establishment with its oncology clinic, staff for every role, patients, recipients.

Idempotent: a second run finds what the first created and changes nothing. Refuses to run with
DJANGO_DEBUG off unless --force, because the demo accounts share one known password.
"""

import time as clock
from base64 import b32decode
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP

from consent.models import ConsentKind, ConsentRecord
from directory import nam
from directory.models import (
    Clinic,
    ClinicMembership,
    Establishment,
    FallbackIdentifierKind,
    Installation,
    Patient,
    Profession,
    Recipient,
    SecureEmailDomain,
    TabletLoan,
    User,
)
from directory.sign_in import enrol_with_published_secret_for_demo
from scheduling.models import Appointment
from scheduling.services import BookingDetails, ParticipantDetails, book_appointment
from virtualcare.models import Meeting

DEMO_PASSWORD = "telesante-demo"  # published in the README, demo only  # nosec B105
# DEMO ONLY, published here: every demo account's authenticator app uses this secret, so that a
# demonstration (and the browser tests) can compute the sign-in code (`make demo-codes`). Like the
# password, it is why seed_demo refuses to run with DJANGO_DEBUG off.
DEMO_TOTP_SECRET = "TELESANTEDEMO234TELESANTEDEMO234"  # nosec B105


def demo_code(at: float | None = None) -> str:
    """The code the demo accounts' app shows now (or at the Unix time `at`)."""
    totp = TOTP(b32decode(DEMO_TOTP_SECRET))
    totp.time = clock.time() if at is None else at
    return f"{totp.token():06d}"


STAFF = [
    # username, last name, first name, profession, practice number, role
    (
        "infirmiere",
        "Tremblay",
        "Julie",
        Profession.PIVOT_NURSE_ONCOLOGY,
        "1234567",
        ClinicMembership.Role.PROFESSIONAL,
    ),
    ("medecin", "Gagnon", "Marc-André", Profession.PHYSICIAN, "1-95123", ClinicMembership.Role.PROFESSIONAL),
    ("archiviste", "Roy", "Sylvie", Profession.ARCHIVIST, "", ClinicMembership.Role.ARCHIVIST),
    ("gestionnaire", "Bouchard", "Nathalie", Profession.MANAGER, "", ClinicMembership.Role.MANAGER),
]

PATIENTS = [
    # last name, first name, birth date, sex, file number, phone, email, language, postal code
    (
        "Côté",
        "Louise",
        date(1958, 3, 14),
        "F",
        "012345",
        "450-555-0101",
        "louise.cote@example.com",
        "fr",
        "J4K 2T5",
    ),
    ("Bélanger", "Jean-Guy", date(1949, 11, 2), "M", "012346", "450-555-0102", "", "fr", "J4L 1A1"),
    (
        "Pelletier",
        "Marie-Ève",
        date(1971, 6, 30),
        "F",
        "012347",
        "514-555-0103",
        "me.pelletier@example.com",
        "fr",
        "J3Y 5K2",
    ),
    (
        "Lévesque",
        "Gaétan",
        date(1962, 1, 21),
        "M",
        "012348",
        "450-555-0104",
        "gaetan.l@example.com",
        "fr",
        "J4V 3C9",
    ),
    (
        "O'Brien",
        "Patrick",
        date(1955, 9, 9),
        "M",
        "012349",
        "450-555-0105",
        "pobrien@example.com",
        "en",
        "J4P 1R4",
    ),
    ("Bergeron", "Francine", date(1966, 12, 1), "F", "012350", "450-555-0106", "", "fr", "J4T 2H8"),
    (
        "Gauthier",
        "Réjean",
        date(1944, 4, 17),
        "M",
        "012351",
        "450-555-0107",
        "rejean.gauthier@example.com",
        "fr",
        "J4R 1B3",
    ),
    (
        "Morin",
        "Chantal",
        date(1980, 2, 29),
        "F",
        "012352",
        "514-555-0108",
        "chantal.morin@example.com",
        "fr",
        "J4K 5G6",
    ),
    (
        "Fortin",
        "Émilie",
        date(1990, 8, 12),
        "F",
        "012353",
        "450-555-0109",
        "emilie.fortin@example.com",
        "fr",
        "J4M 2N7",
    ),
    (
        "MacDonald",
        "Heather",
        date(1952, 5, 25),
        "F",
        "012354",
        "450-555-0110",
        "h.macdonald@example.com",
        "en",
        "J4W 3P1",
    ),
]


class Command(BaseCommand):
    help = "Create the demo establishment, staff (password telesante-demo), patients and recipients."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DJANGO_DEBUG off.")
        parser.add_argument(
            "--codes", action="store_true", help="Only print the demo accounts' current sign-in code, and exit."
        )

    def handle(self, *args, force: bool = False, codes: bool = False, **options):
        if codes:
            seconds_left = 30 - int(clock.time()) % 30
            code = demo_code()
            self.stdout.write(
                f"Sign-in code of the demo accounts ({', '.join([u for u, *_r in STAFF] + ['admin'])}): "
                f"{code[:3]} {code[3:]}  (a new one in {seconds_left} s)"
            )
            return
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a known password: it runs only with DJANGO_DEBUG=true "
                "(or --force on a demonstration server)."
            )
        with transaction.atomic():
            clinic, other_clinic = self.seed_structure()
            self.seed_staff(clinic)
            self.seed_patients(clinic)
            self.seed_other_clinic_patient(other_clinic)
            self.seed_recipients(clinic.establishment)
        self.seed_meeting(clinic)
        with transaction.atomic():
            self.seed_history(clinic)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready. Accounts: "
                + ", ".join([username for username, *_rest in STAFF] + ["admin"])
                + f" (password {DEMO_PASSWORD}; sign-in code: `make demo-codes`)."
            )
        )

    def seed_structure(self) -> tuple[Clinic, Clinic]:
        establishment, _ = Establishment.objects.get_or_create(
            name="CISSS de la Montérégie-Centre", defaults={"phone": "+14504661000"}
        )
        hospital, _ = Installation.objects.get_or_create(
            establishment=establishment,
            name="Hôpital Charles-Le Moyne",
            defaults={
                "address": "3120, boulevard Taschereau",
                "city": "Greenfield Park",
                "postal_code": "J4V 2H1",
                "phone": "+14504665000",
            },
        )
        oncology, _ = Clinic.objects.get_or_create(
            installation=hospital,
            name="Clinique d'oncologie",
            defaults={"phone": "+14504665050", "default_platform": "teams", "support_phone": "+18445550199"},
        )
        radiation, _ = Clinic.objects.get_or_create(
            installation=hospital,
            name="Clinique de radio-oncologie",
            defaults={"phone": "+14504665060", "default_platform": "zoom", "support_phone": "+18445550199"},
        )
        return oncology, radiation

    def seed_staff(self, clinic: Clinic) -> None:
        for username, last_name, first_name, profession, practice_number, role in STAFF:
            user = self.demo_user(username, last_name=last_name, first_name=first_name)
            user.profession = profession
            user.practice_number = practice_number
            user.email = f"{username}@ssss.gouv.qc.ca"
            user.save()
            ClinicMembership.objects.get_or_create(user=user, clinic=clinic, role=role)
        admin = self.demo_user("admin", last_name="Administrateur", first_name="Portail")
        admin.is_staff = admin.is_superuser = True
        admin.email = "admin@ssss.gouv.qc.ca"
        admin.save()
        for user in User.objects.filter(username__in=[username for username, *_rest in STAFF] + ["admin"]):
            enrol_with_published_secret_for_demo(user, secret_base32=DEMO_TOTP_SECRET)

    def demo_user(self, username: str, *, last_name: str, first_name: str) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"last_name": last_name, "first_name": first_name}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        return user

    def seed_patients(self, clinic: Clinic) -> None:
        for index, (last, first, born, sex, file_number, phone, email, language, postal) in enumerate(PATIENTS):
            patient, created = Patient.objects.get_or_create(
                establishment=clinic.establishment,
                file_number=file_number,
                defaults={
                    "last_name": last,
                    "first_name": first,
                    "date_of_birth": born,
                    "sex": sex,
                    "nam": nam.build(last, first, born, sex),
                    "phone": f"+1{phone.replace('-', '')}",
                    "email": email,
                    "preferred_language": language,
                    "postal_code": postal,
                    "internet_ok": index % 4 != 3,
                    "device_ok": index % 5 != 4,
                    "tablet_loan": TabletLoan.LENT if index % 5 == 4 else TabletLoan.NOT_NEEDED,
                    "travel_distance_km": 12 + 17 * index if index % 3 else None,
                },
            )
            if created:
                patient.full_clean()
                patient.clinics.add(clinic)

    def seed_other_clinic_patient(self, clinic: Clinic) -> None:
        # A patient without a NAM (out-of-province), followed only by the radio-oncology clinic.
        patient, created = Patient.objects.get_or_create(
            establishment=clinic.establishment,
            file_number="098765",
            defaults={
                "last_name": "Nguyen",
                "first_name": "Thi Lan",
                "date_of_birth": date(1975, 7, 4),
                "sex": "F",
                "fallback_identifier_kind": FallbackIdentifierKind.MOTHER_NAME,
                "fallback_identifier": "Tran Thi Mai",
                "phone": "+14505550111",
                "preferred_language": "fr",
                "postal_code": "J4K 1C2",
            },
        )
        if created:
            patient.clinics.add(clinic)

    def seed_meeting(self, clinic: Clinic) -> None:
        """A Jitsi meeting tomorrow at 10:00, booked like any other: the worker makes its link and
        writes the invitations under var/mail/. Booked once, on the first run."""
        nurse = User.objects.get(username="infirmiere")
        if Appointment.objects.filter(organizer=nurse, start__gte=timezone.now()).exists():
            return
        tomorrow = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        book_appointment(
            by=nurse,
            patient=Patient.objects.get(establishment=clinic.establishment, file_number="012345"),
            clinic=clinic,
            details=BookingDetails(
                kind="scheduled",
                modality="video",
                platform="jitsi",
                reason="between_cycles",
                start=tomorrow,
                duration_minutes=30,
                internet_ok=True,
                device_ok=True,
            ),
            participants=[
                ParticipantDetails(role="caregiver", name="Paul Côté", email="paul.cote@example.com", language="fr")
            ],
        )

    def seed_history(self, clinic: Clinic) -> None:
        """Eight weeks of past meetings, so that the managers' dashboard has something to show: written
        as history (the booking service refuses the past), with a few failures among them."""
        nurse = User.objects.get(username="infirmiere")
        today = timezone.localdate()
        first_day = today - timedelta(days=56)
        if Appointment.objects.filter(organizer=nurse, start__lt=timezone.now()).exists():
            return
        patients = list(Patient.objects.filter(clinics=clinic).order_by("file_number"))
        # Louise Côté (French) and the English-speaking 012349 have no consent yet: the demo shows it
        # being captured, and the dashboard's coverage is not a flattering 100 %.
        for patient in [patient for patient in patients if patient.file_number not in ("012345", "012349")]:
            ConsentRecord.objects.create(
                patient=patient,
                kind=ConsentKind.TELEHEALTH,
                decision=ConsentRecord.Decision.GRANTED,
                language=patient.preferred_language,
                recorded_by=nurse,
                given_at=timezone.make_aware(datetime.combine(first_day, time(8))),
            )
        platforms = ["teams", "zoom", "jitsi"]
        outcomes = [Appointment.Status.HELD] * 6 + [
            Appointment.Status.PATIENT_ABSENT,
            Appointment.Status.SWITCHED_TO_PHONE,
            Appointment.Status.TECHNICAL_FAILURE,
            Appointment.Status.CANCELLED,
        ]
        number = 0
        for offset in range(56):
            day = first_day + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for hour in (9, 14):
                number += 1
                start = timezone.make_aware(datetime.combine(day, time(hour))).astimezone(UTC)
                modality = Appointment.Modality.PHONE if number % 7 == 0 else Appointment.Modality.VIDEO
                platform = platforms[number % 3] if modality == Appointment.Modality.VIDEO else ""
                meeting = None
                if platform:
                    failed = number % 23 == 0
                    meeting = Meeting.objects.create(
                        provider=platform,
                        subject=f"Téléconsultation — {clinic.name}",
                        start=start,
                        end=start + timedelta(minutes=30),
                        organizer_email=nurse.email,
                        delivery_status="failed" if failed else "done",
                        last_error="Zoom: 429 Too Many Requests (daily limit)" if failed else "",
                        join_url="" if failed else f"https://meet.jit.si/demo-{number}",
                    )
                Appointment.objects.create(
                    patient=patients[(number // 2) % len(patients)],
                    clinic=clinic,
                    organizer=nurse,
                    start=start,
                    end=start + timedelta(minutes=30),
                    kind=Appointment.Kind.IMMEDIATE if number % 9 == 0 else Appointment.Kind.SCHEDULED,
                    modality=modality,
                    platform=platform,
                    reason="between_cycles",
                    status=outcomes[number % len(outcomes)],
                    meeting=meeting,
                )

    def seed_recipients(self, establishment: Establishment) -> None:
        SecureEmailDomain.objects.get_or_create(
            domain="ssss.gouv.qc.ca", defaults={"description": "Réseau de la santé et des services sociaux"}
        )
        recipients = [
            (
                Recipient.Kind.COMMUNITY_PHARMACY,
                "Pharmacie Jean Coutu — Longueuil",
                None,
                "Longueuil",
                "+14505550201",
                "+14505550202",
                "",
            ),
            (
                Recipient.Kind.COMMUNITY_PHARMACY,
                "Pharmaprix — Greenfield Park",
                None,
                "Greenfield Park",
                "+14505550203",
                "+14505550204",
                "",
            ),
            (
                Recipient.Kind.COMMUNITY_PHARMACY,
                "Familiprix — Brossard",
                None,
                "Brossard",
                "+14505550205",
                "+14505550206",
                "",
            ),
            (
                Recipient.Kind.ESTABLISHMENT_PHARMACY,
                "Pharmacie de l'Hôpital Charles-Le Moyne",
                establishment,
                "Greenfield Park",
                "+14504665070",
                "+14504665071",
                "pharmacie.hclm@ssss.gouv.qc.ca",
            ),
            (
                Recipient.Kind.IMAGING_LAB,
                "Radiologie Brossard",
                None,
                "Brossard",
                "+14505550207",
                "+14505550208",
                "",
            ),
            (
                Recipient.Kind.RADIOLOGY_SERVICE,
                "Radiologie et médecine nucléaire — HCLM",
                establishment,
                "Greenfield Park",
                "+14504665080",
                "+14504665081",
                "radiologie.hclm@ssss.gouv.qc.ca",
            ),
            (
                Recipient.Kind.NETWORK_UNIT,
                "Centre de prélèvements — HCLM",
                establishment,
                "Greenfield Park",
                "+14504665095",
                "",
                "prelevements.hclm@ssss.gouv.qc.ca",
            ),
            (
                Recipient.Kind.PROFESSIONAL,
                "Physiothérapie Mouvement — Brossard",
                None,
                "Brossard",
                "+14505550209",
                "+14505550210",
                "physio.mouvement@gmail.com",
            ),
            (
                Recipient.Kind.PROFESSIONAL,
                "Nutritionniste Claire Roy",
                None,
                "Longueuil",
                "+14505550211",
                "",
                "claire.roy.nutrition@hotmail.com",
            ),
            (
                Recipient.Kind.MEDICAL_ARCHIVES,
                "Archives médicales — HCLM",
                establishment,
                "Greenfield Park",
                "+14504665090",
                "+14504665091",
                "archives.hclm@ssss.gouv.qc.ca",
            ),
        ]
        for kind, name, owner, city, phone, fax, email in recipients:
            Recipient.objects.get_or_create(
                kind=kind,
                name=name,
                defaults={"establishment": owner, "city": city, "phone": phone, "fax": fax, "email": email},
            )
