"""Fault 2: PostgreSQL stops and starts again under the web (gunicorn, production settings, persistent
connections checked before reuse) and a Celery worker.

During the outage every request gets a 503 with Retry-After, a page or JSON in the person's language,
never a 500 or a stack trace. Afterwards no request fails, and the worker (never restarted) finishes
the meeting of a booking made just before the outage, and those booked after it.
"""

import secrets
import subprocess
import time
from collections import Counter

import pytest
import requests
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.scheduling.conftest import tomorrow_at

from .conftest import (
    FAULTS,
    PG_BIN,
    free_port,
    needs_postgres_binaries,
    needs_postgresql,
    needs_redis_server,
    wait_until,
)

pytestmark = [
    FAULTS,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    needs_postgresql(),
    needs_postgres_binaries,
    needs_redis_server,
]


def copy_test_database(private_postgres, name: str) -> None:
    """The test's data (committed: transactional test) copied into the private cluster."""
    given = connection.settings_dict
    subprocess.run(
        [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(private_postgres.port), "-U", "postgres", name],
        check=True,
        capture_output=True,
    )
    dump = subprocess.run(
        [
            str(PG_BIN / "pg_dump"),
            "-h",
            given["HOST"] or "127.0.0.1",
            "-p",
            str(given["PORT"] or 5432),
            "-U",
            given["USER"],
            "--no-owner",
            "--no-acl",
            given["NAME"],
        ],
        check=True,
        capture_output=True,
        env={"PGPASSWORD": given["PASSWORD"] or ""},
    )
    subprocess.run(
        [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", private_postgres.url(name)],
        input=dump.stdout,
        check=True,
        capture_output=True,
    )


def meeting_states(private_postgres, name: str) -> Counter:
    found = subprocess.run(
        [
            str(PG_BIN / "psql"),
            "-At",
            "-c",
            "SELECT delivery_status FROM virtualcare_meeting",
            private_postgres.url(name),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return Counter(found.stdout.split())


def book(session: requests.Session, base: str, patient_id: str, hour: int) -> requests.Response:
    return session.post(
        f"{base}/api/v1/appointments/",
        json={
            "patient": patient_id,
            "start": tomorrow_at(hour).isoformat(),
            "duration_minutes": 30,
            "platform": "teams",
            "reason": "surveillance",
        },
        timeout=30,
    )


def test_a_database_restart_is_a_503_while_it_lasts_and_costs_nothing_after(
    private_postgres, private_redis, processes, graph_fake, nurse, louise, tmp_path
):
    token = Token.objects.create(user=nurse).key
    copy_test_database(private_postgres, "portal")
    private_redis.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {
        **processes_environment_base(tmp_path),
        **graph_fake.environment(),
        "DATABASE_URL": private_postgres.url("portal"),
        "DATABASE_CONN_MAX_AGE": "600",
        "CELERY_BROKER_URL": private_redis.url,
    }
    processes.gunicorn(environment, port=port, workers=2)
    processes.celery_worker(environment, concurrency=1, queue="celery")
    api = requests.Session()
    api.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
    api.trust_env = False
    wait_until(lambda: _status(api, f"{base}/api/v1/appointments/") == 200, seconds=60, what="gunicorn answering")

    # Given a booking made just before the outage, whose meeting the platform is slow to make
    graph_fake.slow_next(6.0, method="POST", path="createOrGet")
    assert book(api, base, str(louise.public_id), 10).status_code == 201
    wait_until(
        lambda: graph_fake.requests_to("POST", "createOrGet") or _fake_busy(graph_fake),
        seconds=30,
        what="worker calling",
    )
    for _round in range(4):  # every gunicorn worker now holds a persistent connection
        assert _status(api, f"{base}/api/v1/appointments/") == 200

    # When PostgreSQL stops
    private_postgres.stop()
    during = []
    page = requests.Session()
    page.trust_env = False
    for _round in range(3):
        during.append(api.get(f"{base}/api/v1/appointments/", timeout=30))
        during.append(page.get(f"{base}/agenda/", cookies={"__Host-sessionid": "x" * 32}, timeout=30))
        during.append(
            page.get(f"{base}/agenda/", cookies={"__Host-sessionid": "x" * 32, "portal_language": "en"}, timeout=30)
        )

    # Then each request gets a 503 with Retry-After, in the person's language, never a stack trace
    assert Counter(response.status_code for response in during) == {503: len(during)}
    assert all(int(response.headers["Retry-After"]) > 0 for response in during)
    assert not any("Traceback" in response.text or "psycopg" in response.text for response in during)
    api_answer, french_page, english_page = during[:3]
    assert api_answer.headers["Content-Type"].startswith("application/json")
    assert "base de données" in api_answer.json()["detail"] or "database" in api_answer.json()["detail"]
    assert french_page.headers["Content-Type"].startswith("text/html") and 'lang="fr"' in french_page.text
    assert english_page.headers["Content-Language"] == "en" and "cannot reach its database" in english_page.text

    # When it starts again
    time.sleep(2)
    private_postgres.start()

    # Then no request fails, on any gunicorn worker, with the connections they held before
    after = [_status(api, f"{base}/api/v1/appointments/") for _round in range(12)]
    assert after == [200] * 12
    # And the worker, never restarted, finishes the booking made before the outage and a new one
    assert book(api, base, str(louise.public_id), 14).status_code == 201
    wait_until(
        lambda: meeting_states(private_postgres, "portal") == {"done": 2},
        seconds=60,
        what=f"both meetings made after the restart (worker log: {processes.log('worker')})",
    )
    assert len(graph_fake.meetings) == 2
    gunicorn_log = processes.log("gunicorn")
    assert '" 500 ' not in gunicorn_log and "Traceback" not in gunicorn_log


def processes_environment_base(tmp_path) -> dict[str, str]:
    """Production settings (DEBUG off) as in the container, over plain HTTP on loopback."""
    import os

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "telesante.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "STATIC_MANIFEST": "false",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CELERY_RESULT_BACKEND": "",
        "MEETING_PROVIDER": "teams",
        "PROVIDER_TIMEOUT_SECONDS": "10",
        "LOG_LEVEL": "WARNING",
    }


def _status(session: requests.Session, url: str) -> int:
    try:
        return session.get(url, timeout=10).status_code
    except (requests.ConnectionError, requests.Timeout):
        return 0


def _fake_busy(graph_fake) -> bool:
    # The slow answer is recorded only once it is sent: the token request shows the worker started.
    return bool(graph_fake.entra.requests)
