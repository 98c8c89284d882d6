"""Settings for the test suite: the portal's own settings, with speed knobs only."""

import os

# Tests run the development configuration unless the caller says otherwise.
os.environ.setdefault("DJANGO_DEBUG", "true")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
