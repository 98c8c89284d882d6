"""50 professionals at work: locust users playing the personas of bench/load/dataset.py.

Mix (weights): 60 agenda and lists (week agenda through the API 30, the week agenda HTML page 20, the
patient list 10), 20 opening a patient or a note (12 + 8), 10 booking, 5 cancelling, 5 downloading a
signed note's PDF; think time 1 to 3 s. A 409 is expected on a booking (the slot is taken) or a
cancellation (already cancelled); any other status outside 2xx is a failure.

Sign-in: each user presents its persona's DRF token (API) or Django session cookie (HTML page), made in
the database by the data set, not through the sign-in form (which now asks for a second factor).
Every request says it came over HTTPS (X-Forwarded-Proto, as the TLS proxy in front of gunicorn does).

Run through bench/load/runner.py, or by hand:
    LOAD_PERSONAS=/tmp/loadtest-var/personas.json locust -f bench/load/locustfile.py --headless -u 50 -r 10 \
        -t 30s --host http://127.0.0.1:PORT
"""

import itertools
import json
import os
import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from locust import HttpUser, between, events, task

# Written by bench/load/dataset.py (the runner passes its path).
PERSONAS = json.loads(Path(os.environ["LOAD_PERSONAS"]).read_text())
_next_persona = itertools.count()
_lock = threading.Lock()
COUNTS: Counter = Counter()  # expected 409s and the bookings made, written at the end for the runner
MONTREAL = ZoneInfo("America/Montreal")
# The session cookie's name with DEBUG off (settings: "__Host-" prefix, secure).
SESSION_COOKIE = os.environ.get("LOAD_SESSION_COOKIE", "__Host-sessionid")


def _count(key: str, amount: int = 1) -> None:
    with _lock:
        COUNTS[key] += amount


@events.quitting.add_listener
def _write_counts(environment, **kwargs) -> None:
    path = os.environ.get("LOAD_COUNTS")
    if path:
        with open(path, "w") as out:
            json.dump(dict(COUNTS), out)


class Professional(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.persona = PERSONAS[next(_next_persona) % len(PERSONAS)]
        self.api = {"Authorization": f"Token {self.persona['token']}", "X-Forwarded-Proto": "https"}
        self.page = {"Cookie": f"{SESSION_COOKIE}={self.persona['session']}", "X-Forwarded-Proto": "https"}
        self.rng = random.Random(self.persona["username"])  # noqa: S311 (load pattern, not secrets)
        self.booked: list[str] = []  # appointments this user booked and has not cancelled
        self.cancellable: list[str] = self._next_week()

    # -- 60: agenda and lists ------------------------------------------------------------------------

    @task(30)
    def agenda_api(self) -> None:
        start, end = self._week()
        self._get(
            "/api/v1/appointments/",
            name="agenda week (API)",
            params={"organizer": self.persona["username"], "from": start.isoformat(), "to": end.isoformat()},
        )

    @task(20)
    def agenda_page(self) -> None:
        with self.client.get(
            "/agenda/",
            params={"vue": "semaine", "jour": datetime.now(MONTREAL).date().isoformat()},
            headers=self.page,
            name="agenda week (HTML)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} (a redirect means the session was refused)")

    @task(10)
    def patient_list(self) -> None:
        self._get("/api/v1/patients/", name="patient list (API)")

    # -- 20: open a patient or a note ------------------------------------------------------------------

    @task(12)
    def open_patient(self) -> None:
        patient = self.rng.choice(self.persona["patients"])
        self._get(f"/api/v1/patients/{patient}/", name="open patient (API)")

    @task(8)
    def open_note(self) -> None:
        note = self.rng.choice(self.persona["notes"])
        self._get(f"/api/v1/notes/{note}/", name="open note (API)")

    # -- 10: book, 5: cancel, 5: PDF ---------------------------------------------------------------------

    @task(10)
    def book(self) -> None:
        # A random half-hour between tomorrow and 60 days out, 8:00 to 16:45 in Montréal, on a
        # 15-minute grid: some land on a meeting of the same professional and get the expected 409.
        day = datetime.now(MONTREAL).date() + timedelta(days=self.rng.randint(1, 60))
        minutes = 8 * 60 + 15 * self.rng.randrange(36)
        start = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=MONTREAL)
        body = {
            "patient": self.rng.choice(self.persona["patients"]),
            "clinic": self.persona["clinic"],
            "start": start.isoformat(),
            "duration_minutes": 30,
            "modality": "video",
            "platform": "jitsi",
            "reason": "between_cycles",
            "internet_ok": True,
            "device_ok": True,
        }
        with self.client.post(
            "/api/v1/appointments/", json=body, headers=self.api, name="book (API)", catch_response=True
        ) as response:
            if response.status_code == 201:
                self.booked.append(response.json()["id"])
                _count("booked")
            elif response.status_code == 409:
                _count("book_409")
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(5)
    def cancel(self) -> None:
        pool = self.booked or self.cancellable
        if not pool:
            self.book()
            return
        appointment = pool.pop(self.rng.randrange(len(pool)))
        with self.client.post(
            f"/api/v1/appointments/{appointment}/cancel/",
            json={"reason": "Charge"},
            headers=self.api,
            name="cancel (API)",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                _count("cancelled")
            elif response.status_code == 409:
                _count("cancel_409")
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(5)
    def pdf(self) -> None:
        note = self.rng.choice(self.persona["notes"])
        with self.client.get(
            f"/api/v1/notes/{note}/pdf/", headers=self.api, name="note PDF (API)", catch_response=True
        ) as response:
            if response.status_code != 200 or not response.content.startswith(b"%PDF"):
                response.failure(f"{response.status_code}: not a PDF")

    # -- helpers -------------------------------------------------------------------------------------------

    def _get(self, path: str, *, name: str, params: dict | None = None) -> None:
        with self.client.get(path, params=params, headers=self.api, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    def _week(self) -> tuple[datetime, datetime]:
        today = datetime.now(MONTREAL).date()
        monday = today - timedelta(days=today.weekday())
        start = datetime(monday.year, monday.month, monday.day, tzinfo=MONTREAL)
        return start, start + timedelta(days=7)

    def _next_week(self) -> list[str]:
        """The seeded meetings of next week: what a cancellation takes before this user has booked."""
        start, end = self._week()
        response = self.client.get(
            "/api/v1/appointments/",
            params={
                "organizer": self.persona["username"],
                "from": (start + timedelta(days=7)).astimezone(UTC).isoformat(),
                "to": (end + timedelta(days=7)).astimezone(UTC).isoformat(),
                "status": "scheduled",
            },
            headers=self.api,
            name="agenda next week (API, at start)",
        )
        if response.status_code != 200:
            return []
        return [row["id"] for row in response.json().get("results", [])]
