"""A whole region's data set in PostgreSQL, for the benchmarks.

    .venv/bin/python bench/generate.py [--scale 1.0] [--force] [--database telesante_bench]

At scale 1: 5 establishments, 60 clinics, 1,500 professionals, 200,000 patients, 1,000,000
appointments over five years (with a patient participant, a meeting for the video ones, an
invitation each), one telehealth consent per patient, 600,000 signed progress notes and 200,000
signed prescriptions with one transmission each. Rows go in through COPY (psycopg2
`copy_expert`, the project's driver), one table after the other, with explicit keys so that the rows can point at each
other without reading anything back.

What it does not write: audit rows for this history (the audit chain takes one row at a time, by
design); status changes; medication lines. Filed documents carry no PDF (the portal's copy is
removed once filed, as in production); the 200 documents per establishment still waiting for the
archives carry one small shared placeholder PDF.

Idempotent: a `bench_meta` table remembers a finished data set and its scale; the script does
nothing if it is there, and `--force` drops and rebuilds the database.
"""

import argparse
import itertools
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLACEHOLDER_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PASSWORD = "bench-password-not-secret"
BENCH_USERS = 20  # professionals whose benchmark week is full (about 40 meetings)
PENDING_PER_ESTABLISHMENT = 200

LAST_NAMES = [
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Boucher",
    "Caron",
    "Beaulieu",
    "Cloutier",
    "Dubé",
    "Poirier",
    "Fournier",
    "Lapointe",
    "Leclerc",
    "Lefebvre",
    "Poulin",
    "Thibault",
    "St-Pierre",
    "Nadeau",
    "Martin",
    "Landry",
    "Martel",
    "Bédard",
    "Grenier",
    "Lessard",
    "Bernier",
    "Richard",
    "Michaud",
    "Hébert",
    "Desjardins",
    "Couture",
    "Turcotte",
    "Lachance",
    "Parent",
    "Blais",
    "Gosselin",
    "Savard",
    "Proulx",
    "Beaudoin",
    "Demers",
    "Perreault",
    "Boudreau",
    "Lemieux",
    "Cyr",
    "Perron",
    "Dufour",
    "Dion",
    "Mercier",
    "Bolduc",
    "Bérubé",
    "Boisvert",
    "Langlois",
    "Ménard",
    "Therrien",
    "Plante",
    "Bilodeau",
    "Blanchette",
    "Dubois",
    "Champagne",
    "Paradis",
    "Fortier",
    "Arsenault",
    "Dupuis",
    "Gaudreault",
    "Hamel",
    "Houle",
    "Villeneuve",
    "Rousseau",
    "Gravel",
    "Thériault",
    "Lemay",
    "Robert",
    "Allard",
    "Deschênes",
    "Giroux",
    "Guay",
    "Leduc",
    "Boivin",
    "Charest",
    "Lambert",
    "Raymond",
    "Vachon",
    "Gilbert",
    "Audet",
    "Jean",
    "Larouche",
    "Legault",
    "Trudel",
    "Fontaine",
    "Picard",
    "Labelle",
    "Lacroix",
    "Jacques",
    "Moreau",
    "Carrier",
    "Bernard",
    "Desrosiers",
    "Goulet",
    "Renaud",
    "Dionne",
    "Lapierre",
    "Vaillancourt",
    "Fillion",
    "Lalonde",
    "Tessier",
    "Bertrand",
    "Tardif",
    "Lepage",
    "Gingras",
    "Benoît",
    "Rioux",
    "Giguère",
    "Drouin",
    "Harvey",
    "Lauzon",
    "Gendron",
    "Boutin",
    "Laflamme",
    "Vallée",
    "Dumont",
    "Breton",
    "Paré",
    "Paquin",
    "Robitaille",
    "Gélinas",
    "Duchesne",
    "Lussier",
    "Séguin",
    "Veilleux",
    "Potvin",
    "Gervais",
    "Pépin",
    "Laroche",
    "Morissette",
    "Charron",
    "Lavallée",
    "Laplante",
    "Chabot",
    "Brunet",
    "Vézina",
    "Desrochers",
    "Labrecque",
    "Coulombe",
    "Tanguay",
    "Chouinard",
]
FIRST_NAMES = [
    "Marie",
    "Jean",
    "Louise",
    "Pierre",
    "Julie",
    "Michel",
    "Nathalie",
    "Daniel",
    "Sylvie",
    "Luc",
    "Isabelle",
    "André",
    "Chantal",
    "Richard",
    "Johanne",
    "Claude",
    "Lucie",
    "Alain",
    "Josée",
    "Robert",
    "Manon",
    "Guy",
    "Diane",
    "Denis",
    "Line",
    "Marc",
    "Carole",
    "Yves",
    "France",
    "Jacques",
    "Céline",
    "Gilles",
    "Martine",
    "Serge",
    "Lise",
    "Mario",
    "Nicole",
    "Stéphane",
    "Hélène",
    "Martin",
    "Suzanne",
    "Sylvain",
    "Ginette",
    "François",
    "Danielle",
    "Patrick",
    "Monique",
    "Éric",
    "Francine",
    "Normand",
    "Louise-Anne",
    "Réjean",
    "Micheline",
    "Gaétan",
    "Denise",
    "Benoît",
    "Pauline",
    "Christian",
    "Anne",
    "Raymond",
    "Lorraine",
    "Mathieu",
    "Geneviève",
    "Alexandre",
    "Catherine",
    "Simon",
    "Mélanie",
    "Olivier",
    "Caroline",
    "Maxime",
    "Émilie",
    "Samuel",
    "Audrey",
    "William",
    "Léa",
    "Gabriel",
    "Chloé",
    "Thomas",
    "Camille",
    "Félix",
    "Rosalie",
    "Antoine",
    "Florence",
    "Nicolas",
    "Sarah",
    "Vincent",
    "Jessica",
    "Sébastien",
    "Valérie",
    "Jonathan",
    "Annie",
    "Frédéric",
    "Karine",
    "Jérôme",
    "Marie-Ève",
    "Dominic",
    "Kim",
]
ESTABLISHMENTS = [
    "CISSS de la Montérégie-Centre",
    "CIUSSS du Centre-Sud-de-l'Île-de-Montréal",
    "CIUSSS de la Capitale-Nationale",
    "CISSS des Laurentides",
    "CIUSSS du Saguenay-Lac-Saint-Jean",
]
CLINIC_NAMES = [
    "Oncologie",
    "Radio-oncologie",
    "Hémato-oncologie",
    "Soins palliatifs",
    "Oncogénétique",
    "Suivi systémique",
]


def configure_django(database: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telesante.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")  # a script, not a server: no secret key needed
    os.environ["DATABASE_URL"] = database_url(database)
    import django

    django.setup()


def database_url(database: str) -> str:
    base = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    return f"{base.rstrip('/')}/{database}"


def admin_execute(database: str, statements: list[str]) -> None:
    import psycopg2

    connection = psycopg2.connect(database_url("postgres"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.format(db=database))
    connection.close()


def dataset_state(database: str) -> dict | None:
    """The finished data set's description, or None when there is none (or an unfinished one)."""
    import psycopg2

    try:
        connection = psycopg2.connect(database_url(database))
    except psycopg2.Error:
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT value FROM bench_meta WHERE key = 'dataset' AND (value->>'complete')::bool")
            row = cursor.fetchone()
            return row[0] if row else None
    except psycopg2.Error:
        return None
    finally:
        connection.close()


class Loader:
    """COPY rows into a model's table; the columns not given get the model's default."""

    def __init__(self, connection):
        self.connection = connection
        self.counts: dict[str, int] = {}

    def without_indexes(self, models_: list) -> list[str]:
        """Drop the tables' constraints (foreign keys, unique, exclusion) and secondary indexes, and give
        the statements that bring them back: building an index once after the load is many times
        faster than updating it row by row (the exclusion constraint's GiST index above all)."""
        restore = []
        with self.connection.cursor() as cursor:
            for model in models_:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype IN ('f', 'u', 'x') ORDER BY contype DESC",
                    [table],
                )
                constraints = cursor.fetchall()
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                    "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                    [table, table],
                )
                indexes = cursor.fetchall()
                for name, _definition in constraints:
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                for name, _definition in indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
                restore += [definition for _name, definition in indexes]
                restore += [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {d}' for name, d in constraints]
        self.connection.commit()
        # Unique and exclusion constraints first (they make the indexes), foreign keys last.
        return sorted(restore, key=lambda statement: "FOREIGN KEY" in statement)

    def restore(self, statements: list[str]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for statement in statements:
                cursor.execute(statement)
        self.connection.commit()

    def _columns(self, model, fields: list[str]) -> tuple[str, tuple]:
        """The column list for these fields then all the others, and the others' default values."""
        from django.db import connection as django_connection
        from django.db import models

        opts = model._meta
        given = [opts.get_field(name) for name in fields]
        names = {field.attname for field in given}
        others = [field for field in opts.concrete_fields if field.attname not in names]
        defaults = []
        for field in others:
            if field.has_default():
                value = field.get_db_prep_save(field.get_default(), django_connection)
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = NOW
            elif field.null:
                value = None
            elif isinstance(field, models.CharField | models.TextField):
                value = ""
            else:
                raise ValueError(f"{opts.label}.{field.name} needs a value")
            defaults.append(value)
        return ", ".join(f'"{field.column}"' for field in given + others), tuple(defaults)

    def insert_select(self, model, expressions: dict[str, str], source: str) -> int:
        """Rows made by PostgreSQL from rows already there (INSERT ... SELECT): no Python per row."""
        columns, defaults = self._columns(model, list(expressions))
        select = ", ".join([*expressions.values(), *(["%s"] * len(defaults))])
        with self.connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {model._meta.db_table} ({columns}) SELECT {select} {source}", defaults)
            count = cursor.rowcount
        self.connection.commit()
        self.counts[model._meta.db_table] = self.counts.get(model._meta.db_table, 0) + count
        return count

    def copy(self, model, fields: list[str], rows) -> int:
        opts = model._meta
        columns, tail = self._columns(model, fields)
        count = 0
        counter = [0]

        def lines():
            for row in rows:
                counter[0] += 1
                yield "\t".join(map(_copy_text, row + tail)) + "\n"

        with self.connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {opts.db_table} ({columns}) FROM STDIN", _LineStream(lines()))
        count = counter[0]
        self.connection.commit()
        self.counts[opts.db_table] = self.counts.get(opts.db_table, 0) + count
        return count


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bytes | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "adapted"):  # psycopg2's Json wrapper
        return json.dumps(value.adapted).translate(_ESCAPES)
    return str(value)


class _LineStream:
    """A file-like object over a generator of lines, for psycopg2's copy_expert (no whole table in
    memory). Each read gives the next few thousand lines whatever the size asked: psycopg2 sends what
    it gets, and slicing a buffer to the asked size would copy it over and over."""

    def __init__(self, lines):
        self.lines = lines

    def read(self, size: int = -1) -> str:
        return "".join(itertools.islice(self.lines, 5000))

    readline = read


NOW = datetime.now(UTC).replace(microsecond=0)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def generate(scale: float, database: str) -> dict:
    import psycopg2
    from django.contrib.auth.hashers import make_password

    from consent.models import ConsentRecord, ConsentScript
    from directory import nam as nam_rules
    from directory.models import (
        Clinic,
        ClinicMembership,
        Establishment,
        Installation,
        Patient,
        Recipient,
        User,
        searchable,
    )
    from documentation.models import Note, SignedDocument
    from prescriptions.models import Prescription, Transmission
    from scheduling.models import Appointment, Notice, Participant
    from virtualcare.models import Meeting

    rng = random.Random(20261123)  # noqa: S311 (benchmark data, not secrets)
    n_professionals = max(60, round(1500 * scale))
    n_patients = max(600, round(200_000 * scale))
    n_appointments = max(6000, round(1_000_000 * scale))
    n_notes = round(n_appointments * 0.6)
    n_prescriptions = round(n_appointments * 0.2)
    n_clinics = 60
    first_day = monday(NOW.date() - timedelta(days=round(4.75 * 365)))
    last_day = NOW.date() + timedelta(days=round(0.25 * 365))
    total_days = (last_day - first_day).days
    bench_week = monday(NOW.date()) + timedelta(days=7)  # next week: every meeting still scheduled
    origin = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    week_origin = datetime.combine(bench_week, datetime.min.time(), tzinfo=UTC)
    uid = uuid.uuid4
    timings: dict[str, float] = {}

    def lap(name: str, started: float) -> float:
        timings[name] = round(time.monotonic() - started, 1)
        print(f"  {name}: {timings[name]} s", flush=True)
        return time.monotonic()

    connection = psycopg2.connect(database_url(database))
    loader = Loader(connection)
    t = time.monotonic()
    big_tables = [
        Meeting,
        Appointment,
        Participant,
        Notice,
        SignedDocument,
        Note,
        Prescription,
        Transmission,
        Patient,
        Patient.clinics.through,
        ConsentRecord,
    ]
    restore = loader.without_indexes(big_tables)

    # -- structure, staff --------------------------------------------------------------------------
    loader.copy(
        Establishment, ["id", "public_id", "name"], ((i + 1, uid(), name) for i, name in enumerate(ESTABLISHMENTS))
    )
    loader.copy(
        Installation,
        ["id", "public_id", "establishment_id", "name", "city"],
        ((i + 1, uid(), i // 2 + 1, f"Hôpital {i + 1}", "Montréal") for i in range(10)),
    )
    clinic_establishment = {c + 1: c // 12 + 1 for c in range(n_clinics)}
    loader.copy(
        Clinic,
        ["id", "public_id", "installation_id", "name", "default_platform"],
        ((c + 1, uid(), c // 6 + 1, CLINIC_NAMES[c % 6], "teams") for c in range(n_clinics)),
    )
    loader.copy(
        Recipient,
        ["id", "public_id", "kind", "name", "fax", "establishment_id"],
        (
            (r + 1, uid(), "community_pharmacy", f"Pharmacie {r + 1}", f"+1514555{r + 1:04d}", None)
            for r in range(5 * 3)
        ),
    )
    password = make_password(PASSWORD)
    users = []
    for p in range(n_professionals):
        profession = "pivot_nurse_oncology" if p % 3 else "physician"
        users.append((p + 1, f"bench-pro-{p + 1:04d}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), profession))
    archivist_ids, manager_ids = {}, {}
    next_id = n_professionals + 1
    for e in range(1, 6):
        archivist_ids[e], manager_ids[e] = next_id, next_id + 1
        users.append((next_id, f"bench-archivist-{e}", "Archiviste", f"Établissement {e}", "archivist"))
        users.append((next_id + 1, f"bench-manager-{e}", "Gestionnaire", f"Établissement {e}", "manager"))
        next_id += 2
    loader.copy(
        User,
        ["id", "public_id", "username", "first_name", "last_name", "profession", "password", "email", "date_joined"],
        (
            (i, uid(), username, first, last, profession, password, f"{username}@ssss.gouv.qc.ca", origin)
            for i, username, first, last, profession in users
        ),
    )
    memberships = [(p + 1, p % n_clinics + 1, "professional") for p in range(n_professionals)]
    for e in range(1, 6):
        clinics = [c for c, est in clinic_establishment.items() if est == e]
        memberships.append((archivist_ids[e], clinics[0], "archivist"))
        memberships += [(manager_ids[e], c, "manager") for c in clinics]
    loader.copy(
        ClinicMembership,
        ["id", "public_id", "user_id", "clinic_id", "role"],
        ((i + 1, uid(), user, clinic, role) for i, (user, clinic, role) in enumerate(memberships)),
    )
    t = lap("structure and staff", t)

    # -- patients ----------------------------------------------------------------------------------
    def patients():
        seen: set[tuple[int, str]] = set()
        for i in range(n_patients):
            clinic = i % n_clinics + 1
            establishment = clinic_establishment[clinic]
            last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
            sex = "F" if i % 2 else "M"
            born = date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 70))
            for admin in "123456789":
                nam = nam_rules.build(last, first, born, sex, admin)
                if (establishment, nam) not in seen:
                    break
            seen.add((establishment, nam))
            yield (
                i + 1,
                uid(),
                establishment,
                last,
                first,
                born,
                sex,
                nam,
                f"{i + 1:08d}",
                searchable(f"{last} {first}"),
                rng.choice((True, True, True, None, False)),
                rng.randrange(5, 400),
                "fr" if i % 5 else "en",
            )

    loader.copy(
        Patient,
        [
            "id",
            "public_id",
            "establishment_id",
            "last_name",
            "first_name",
            "date_of_birth",
            "sex",
            "nam",
            "file_number",
            "search_name",
            "internet_ok",
            "travel_distance_km",
            "preferred_language",
        ],
        patients(),
    )
    loader.copy(
        Patient.clinics.through,
        ["id", "patient_id", "clinic_id"],
        ((i + 1, i + 1, i % n_clinics + 1) for i in range(n_patients)),
    )
    script_id = ConsentScript.objects.filter(kind="telehealth", language="fr").order_by("version").first().pk
    loader.copy(
        ConsentRecord,
        [
            "id",
            "public_id",
            "patient_id",
            "kind",
            "decision",
            "script_id",
            "script_version",
            "language",
            "given_at",
            "recorded_by_id",
        ],
        (
            (
                i + 1,
                uid(),
                i + 1,
                "telehealth",
                "granted",
                script_id,
                1,
                "fr",
                origin - timedelta(days=30),
                i % n_professionals + 1,
            )
            for i in range(n_patients)
        ),
    )
    t = lap("patients and consents", t)

    # -- appointments: a grid per professional, no two of one organizer ever overlap ------------------
    per_professional = n_appointments // n_professionals
    patients_per_clinic = n_patients // n_clinics
    statuses_past = ["held"] * 75 + ["patient_absent"] * 5 + ["switched_to_phone"] * 3 + ["technical_failure"] * 2
    statuses_past += ["cancelled"] * 10 + ["held"] * 5
    week_start_day = (bench_week - first_day).days
    appointments = []  # (id, organizer, clinic, patient, start, end, status, modality)
    next_id = 1
    for p in range(n_professionals):
        organizer = p + 1
        clinic = p % n_clinics + 1
        busy = p < BENCH_USERS
        for k in range(per_professional):
            day = k * total_days // per_professional
            if busy and week_start_day <= day < week_start_day + 7:
                continue
            start = origin + timedelta(days=day, hours=13, minutes=30 * ((p * 7 + k) % 16))
            appointments.append((next_id, organizer, clinic, start, start + timedelta(minutes=30)))
            next_id += 1
        if busy:  # Monday to Friday, eight 45-minute meetings a day: 40 in the benchmark week
            for d in range(5):
                for s in range(8):
                    start = week_origin + timedelta(days=d, hours=13, minutes=45 * s)
                    appointments.append((next_id, organizer, clinic, start, start + timedelta(minutes=45)))
                    next_id += 1
    rows = []
    for appointment_id, organizer, clinic, start, end in appointments:
        patient = clinic + n_clinics * rng.randrange(patients_per_clinic)  # a patient the clinic follows
        if end < NOW:
            status = rng.choice(statuses_past)
        else:
            status = "cancelled" if rng.random() < 0.05 and start.date() != bench_week else "scheduled"
        modality = "video" if rng.random() < 0.7 else rng.choice(("phone", "in_person"))
        if start >= week_origin and start < week_origin + timedelta(days=7):
            status, modality = "scheduled", "video"
        rows.append((appointment_id, organizer, clinic, patient, start, end, status, modality))
    appointments = rows
    del rows
    t = lap("appointments planned", t)

    loader.copy(
        Appointment,
        [
            "id",
            "public_id",
            "organizer_id",
            "clinic_id",
            "patient_id",
            "start",
            "end",
            "status",
            "modality",
            "platform",
            "reason",
            "meeting_id",
            "created_at",
            "updated_at",
        ],
        (
            (
                a_id,
                uid(),
                organizer,
                clinic,
                patient,
                start,
                end,
                status,
                modality,
                "teams" if modality == "video" else "",
                "between_cycles" if a_id % 3 else "surveillance",
                a_id if modality == "video" else None,
                start - timedelta(days=14),
                start - timedelta(days=14),
            )
            for a_id, organizer, clinic, patient, start, end, status, modality in appointments
        ),
    )
    t = lap("appointments", t)
    # Meetings, participants and invitations follow from the appointments: PostgreSQL makes them.
    loader.insert_select(
        Meeting,
        {
            "id": "a.id",
            "public_id": "gen_random_uuid()",
            "provider": "'teams'",
            "subject": "'Téléconsultation'",
            "start": "a.start",
            "end": 'a."end"',
            "organizer_email": "u.email",
            "delivery_status": "'done'",
            "attempts": "1",
            "delivered_at": "a.created_at",
            "join_url": "'https://teams.example.invalid/l/meetup-join/' || a.id",
            "provider_meeting_id": "'bench-' || a.id",
            "deleted_at_provider": "a.status = 'cancelled'",
            "created_at": "a.created_at",
            "updated_at": "a.created_at",
        },
        "FROM scheduling_appointment a JOIN directory_user u ON u.id = a.organizer_id WHERE a.meeting_id IS NOT NULL",
    )
    loader.insert_select(
        Participant,
        {
            "id": "a.id",
            "public_id": "gen_random_uuid()",
            "appointment_id": "a.id",
            "role": "'patient'",
            "name": "'Patient'",
            "email": "'patient' || a.patient_id || '@example.invalid'",
            "created_at": "a.created_at",
            "updated_at": "a.created_at",
        },
        "FROM scheduling_appointment a",
    )
    loader.insert_select(
        Notice,
        {
            "id": "p.id",
            "public_id": "gen_random_uuid()",
            "participant_id": "p.id",
            "kind": "'invitation'",
            "delivery_status": "'done'",
            "attempts": "1",
            "delivered_at": "p.created_at",
            "created_at": "p.created_at",
            "updated_at": "p.created_at",
        },
        "FROM scheduling_participant p",
    )
    t = lap("meetings, participants and invitations", t)

    # -- notes and prescriptions, with their signed documents ----------------------------------------
    held = [a for a in appointments if a[6] == "held"]
    rng.shuffle(held)
    noted = sorted(held[:n_notes])
    prescribed = sorted(held[:n_prescriptions], key=lambda a: a[0])
    documents = []  # (id, kind, patient, establishment, author, signed_at)
    note_rows = []
    for a_id, organizer, clinic, patient, _start, end, _status, _modality in noted:
        doc_id = len(documents) + 1
        signed = end + timedelta(minutes=rng.randrange(10, 3 * 24 * 60))
        documents.append((doc_id, "AH-253", patient, clinic_establishment[clinic], organizer, signed))
        note_rows.append((doc_id, a_id, patient, organizer, signed))
    prescription_rows = []
    for a_id, organizer, clinic, patient, _start, end, _status, _modality in prescribed:
        doc_id = len(documents) + 1
        signed = end + timedelta(minutes=rng.randrange(5, 120))
        documents.append((doc_id, "AH-251", patient, clinic_establishment[clinic], organizer, signed))
        prescription_rows.append((doc_id, a_id, clinic, patient, organizer, signed))

    loader.copy(
        SignedDocument,
        [
            "id",
            "public_id",
            "kind",
            "patient_id",
            "establishment_id",
            "author_id",
            "file_name",
            "header",
            "signed_at",
            "pdf",
            "pdf_sha256",
            "review_status",
            "reviewed_at",
            "reviewed_by_id",
            "record_reference",
            "copy_removed_at",
            "delivery_status",
            "created_at",
            "updated_at",
        ],
        (
            (
                d_id,
                uid(),
                kind,
                patient,
                establishment,
                author,
                f"{kind}_{d_id:08d}.pdf",
                json.dumps({"patient_name": "Patient", "file_number": f"{patient:08d}"}),
                signed,
                None,
                "0" * 64,
                "filed",
                signed + timedelta(days=2),
                archivist_ids[establishment],
                f"DME-{d_id}",
                signed + timedelta(days=2, hours=1),
                "done",
                signed,
                signed,
            )
            for d_id, kind, patient, establishment, author, signed in documents
        ),
    )
    t = lap("signed documents", t)
    loader.copy(
        Note,
        [
            "id",
            "public_id",
            "appointment_id",
            "patient_id",
            "author_id",
            "structure",
            "sections",
            "status",
            "document_id",
            "created_at",
            "updated_at",
        ],
        (
            (
                n + 1,
                uid(),
                a_id,
                patient,
                author,
                "between_cycles",
                '{"symptoms": "Fatigue légère.", "toxicities": "Aucune.", "adherence": "Bonne.", "plan": "Suivi."}',
                "signed",
                doc_id,
                signed,
                signed,
            )
            for n, (doc_id, a_id, patient, author, signed) in enumerate(note_rows)
        ),
    )
    t = lap("notes", t)
    categories = ["medication", "laboratory", "imaging", "medication", "referral"]
    loader.copy(
        Prescription,
        [
            "id",
            "public_id",
            "appointment_id",
            "clinic_id",
            "patient_id",
            "author_id",
            "category",
            "status",
            "instructions",
            "recipient_id",
            "document_id",
            "created_at",
            "updated_at",
        ],
        (
            (
                n + 1,
                uid(),
                a_id,
                clinic,
                patient,
                author,
                categories[n % 5],
                "signed",
                "Selon le protocole.",
                (clinic_establishment[clinic] - 1) * 3 + n % 3 + 1,
                doc_id,
                signed,
                signed,
            )
            for n, (doc_id, a_id, clinic, patient, author, signed) in enumerate(prescription_rows)
        ),
    )
    loader.copy(
        Transmission,
        [
            "id",
            "public_id",
            "prescription_id",
            "recipient_id",
            "recipient_name",
            "channel",
            "address",
            "status",
            "requested_by_id",
            "attempts",
            "sent_at",
            "confirmed_at",
        ],
        (
            (
                n + 1,
                uid(),
                n + 1,
                (clinic_establishment[clinic] - 1) * 3 + n % 3 + 1,
                f"Pharmacie {(clinic_establishment[clinic] - 1) * 3 + n % 3 + 1}",
                "fax",
                "+15145550001",
                "confirmed",
                author,
                1,
                signed + timedelta(minutes=2),
                signed + timedelta(minutes=10),
            )
            for n, (_doc_id, _a_id, clinic, _patient, author, signed) in enumerate(prescription_rows)
        ),
    )
    t = lap("prescriptions and transmissions", t)

    loader.restore(restore)
    t = lap("indexes and constraints rebuilt", t)
    with connection.cursor() as cursor:
        # The most recent notes of each establishment wait for the archives, with their PDF.
        cursor.execute(
            """
            UPDATE documentation_signeddocument d SET review_status = 'pending', reviewed_at = NULL,
                reviewed_by_id = NULL, record_reference = '', copy_removed_at = NULL, pdf = %s,
                delivery_status = 'pending'
            FROM (SELECT id, row_number() OVER (PARTITION BY establishment_id ORDER BY signed_at DESC) AS rank
                  FROM documentation_signeddocument WHERE kind = 'AH-253') latest
            WHERE d.id = latest.id AND latest.rank <= %s
            """,
            [PLACEHOLDER_PDF, PENDING_PER_ESTABLISHMENT],
        )
        for model in (
            Establishment,
            Installation,
            Clinic,
            Recipient,
            User,
            ClinicMembership,
            Patient,
            Patient.clinics.through,
            ConsentRecord,
            Meeting,
            Appointment,
            Participant,
            Notice,
            SignedDocument,
            Note,
            Prescription,
            Transmission,
        ):
            table = model._meta.db_table
            last_id = f"SELECT coalesce(max(id), 1) FROM {table}"  # noqa: S608 (a model's table, not input)
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({last_id}))")
    connection.commit()
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    t = lap("pending queue, sequences, VACUUM ANALYZE", t)
    meta = {
        "complete": True,
        "scale": scale,
        "generated_at": NOW.isoformat(),
        "bench_week": bench_week.isoformat(),
        "bench_users": [f"bench-pro-{p + 1:04d}" for p in range(BENCH_USERS)],
        "professionals": n_professionals,
        "password": PASSWORD,
        "rows": loader.counts,
        "seconds": timings,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_meta (key, value) VALUES ('dataset', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(meta)],
        )
    connection.close()
    return meta


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = a whole region (1,000,000 appointments)")
    parser.add_argument("--force", action="store_true", help="drop and rebuild the data set")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "telesante_bench"))
    args = parser.parse_args(argv)

    existing = dataset_state(args.database)
    if existing and not args.force:
        print(f"Data set already in {args.database} (scale {existing['scale']}, {existing['rows']}); --force rebuilds.")
        return existing
    started = time.monotonic()
    print(f"Rebuilding {args.database} at scale {args.scale}", flush=True)
    admin_execute(args.database, ['DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', 'CREATE DATABASE "{db}"'])
    configure_django(args.database)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)")
    connection.close()
    print(f"  migrate: {time.monotonic() - started:.1f} s", flush=True)
    meta = generate(args.scale, args.database)
    total = round(time.monotonic() - started, 1)
    print(f"Data set ready in {total} s: {meta['rows']}")
    return meta


if __name__ == "__main__":
    main()
