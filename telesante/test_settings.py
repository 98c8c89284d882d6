"""Settings for the test suite: the portal's own settings, with speed knobs only."""

import os
import uuid

# Tests run the development configuration unless the caller says otherwise.
os.environ.setdefault("DJANGO_DEBUG", "true")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In memory, unless a test runs a worker in another process and asks for files it can read.
if "EMAIL_BACKEND" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Each test process has a queue of its own, so that a message left in a shared broker by another
# run (or another xdist worker) is never taken by this run's worker, nor the other way round.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("PORTAL_TEST_QUEUE") or f"telesante-test-{uuid.uuid4().hex[:12]}"

# SQLite tests use a file, not the shared in-memory database: the worker threads of the worker and
# browser tests then wait on SQLite's lock (WAL, timeout) instead of failing with "table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}  # noqa: F405
