"""Settings of the Télésanté portal: every value comes from the environment, with laptop defaults.

The contract variables are documented in README.md. With DJANGO_DEBUG off (the default) the portal
refuses to start without a real secret key and turns on every transport-security setting.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (written by `make run`, never committed) lets a developer run manage.py by hand.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

INSECURE_DEVELOPMENT_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env("DJANGO_SECRET_KEY", default=INSECURE_DEVELOPMENT_KEY)
if not DEBUG and (SECRET_KEY == INSECURE_DEVELOPMENT_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters when DJANGO_DEBUG "
        "is off. For development, set DJANGO_DEBUG=true."
    )

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "health_check",  # its status page template, for a person opening /health/ in a browser
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "common",
    "audit",
    "directory",
    "consent",
    "virtualcare",
    "scheduling",
    "documentation",
    "prescriptions",
    "privacy",
    "dashboards",
    "fhir_r4",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "common.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "directory.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "common.middleware.NoStoreMiddleware",
    "common.middleware.PortalErrorMiddleware",
    # A database out of reach (restart, fail-over) is a 503 with Retry-After, never a 500.
    "common.middleware.DatabaseUnavailableMiddleware",
    # Axes must come last: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "telesante.urls"
WSGI_APPLICATION = "telesante.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "directory.context_processors.portal",
            ],
        },
    },
]

# Database: PostgreSQL in production, SQLite under var/ by default.
# An empty variable means the default, as if it were unset.
DATABASES = {"default": env.db_url_config(env("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write at the same time: WAL and immediate transactions
    # make them wait for each other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # Persistent connections, checked before reuse, so that a database restart costs no 500.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "directory.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after inactivity: every request pushes the expiry forward.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_ABSOLUTE_HOURS = env.int("SESSION_ABSOLUTE_HOURS", default=12)
# How long an emergency ("break-the-glass") access to a patient outside one's clinics lasts.
EMERGENCY_ACCESS_HOURS = env.int("EMERGENCY_ACCESS_HOURS", default=12)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Lockout after repeated failed logins (django-axes), per account whatever the address.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Axes warns when the address is not part of the lockout key. Here it must not be: a hospital's
# staff share a few NAT addresses, and locking an address would lock out a whole clinic.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "directory.views.locked_out"
AXES_VERBOSE = False
# Failed sign-ins (password or code) per client address, on top of the per-account lockout. Generous on
# purpose: a whole hospital may sign in at 8:00 through one NAT address, and only failures count.
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=1000)
LOGIN_ADDRESS_WINDOW_MINUTES = env.int("LOGIN_ADDRESS_WINDOW_MINUTES", default=60)

# Second sign-in factor for every local account: an authenticator app (TOTP) and ten single-use
# recovery codes (django-otp). The password step leads only to the code (or set-up) step, which
# must be completed within SECOND_FACTOR_PENDING_MINUTES.
SECOND_FACTOR_REQUIRED = env.bool("SECOND_FACTOR_REQUIRED", default=True)
SECOND_FACTOR_PENDING_MINUTES = env.int("SECOND_FACTOR_PENDING_MINUTES", default=5)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Télésanté")
# No drift learning: a code is good for its 30 s step and the steps just before and after, never wider.
OTP_TOTP_SYNC = False
# The admin shows devices without their secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Signing in with the network's Microsoft Entra ID account (OpenID Connect). Off unless the tenant,
# client id and secret are set. The base URL and CA bundle are settings so tests can use a fake.
ENTRA_TENANT_ID = env("ENTRA_TENANT_ID", default="")
ENTRA_CLIENT_ID = env("ENTRA_CLIENT_ID", default="")
ENTRA_CLIENT_SECRET = env("ENTRA_CLIENT_SECRET", default="")
ENTRA_AUTHORITY_BASE_URL = env("ENTRA_AUTHORITY_BASE_URL", default="https://login.microsoftonline.com")
ENTRA_CA_BUNDLE = env("ENTRA_CA_BUNDLE", default="")
# Entra's own multifactor sign-in replaces the portal's code only when the ID token says it happened
# (`amr` contains "mfa") or when the tenant's conditional access is known to require it for the portal.
ENTRA_TENANT_ENFORCES_MFA = env.bool("ENTRA_TENANT_ENFORCES_MFA", default=False)

# Language and time: French first, English second; shown in Montréal time, stored in UTC.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LANGUAGE_COOKIE_NAME = "portal_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "America/Montreal"
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = "CA"
PHONENUMBER_DEFAULT_FORMAT = "E164"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Collected into the production image, outside the var/ volume, so a new release never serves old files.
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email: files under var/mail/ by default; SMTP or Microsoft Graph in production.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# A send never outlives the sweepers' one-minute grace (redeliver_pending): a mail server that stalls
# fails the attempt, which is retried, instead of being sent again by a second worker while the first waits.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="telesante@portail.invalid")

# Background work: Redis in production; by default a broker made of folders under var/celery/.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_FOLDER = VAR_DIR / "celery"
    for folder in ("queue", "control", "processed", "results"):
        (CELERY_FOLDER / folder).mkdir(parents=True, exist_ok=True)  # kombu does not create them
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Producer and worker share these settings, so "in" and "out" are the same folder.
        "data_folder_in": str(CELERY_FOLDER / "queue"),
        "data_folder_out": str(CELERY_FOLDER / "queue"),
        "control_folder": str(CELERY_FOLDER / "control"),
        "processed_folder": str(CELERY_FOLDER / "processed"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=f"file://{CELERY_FOLDER / 'results'}")
else:
    # Longer than any countdown we schedule, so a late-acknowledged task is not delivered twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request must not hang on a broker that is down: the outbox rows wait for the sweeper instead.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Retries of an external effect (meeting, mail, fax): exponential backoff with full jitter from this
# base, never longer than the cap (a provider's Retry-After, when given, wins). The fault tests shorten them.
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=2.0)
OUTBOX_RETRY_CAP_SECONDS = env.float("OUTBOX_RETRY_CAP_SECONDS", default=600.0)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {"task": "directory.tasks.clear_expired_sessions_task", "schedule": 3600.0},
    "redeliver-pending": {"task": "scheduling.tasks.redeliver_pending_task", "schedule": 60.0},
    "send-due-reminders": {"task": "scheduling.tasks.send_due_reminders_task", "schedule": 300.0},
    "redeliver-pending-filings": {"task": "documentation.tasks.redeliver_pending_filings_task", "schedule": 60.0},
    "verify-audit-chain": {"task": "audit.tasks.verify_audit_chain_task", "schedule": 24 * 3600.0},
    "redeliver-pending-transmissions": {
        "task": "prescriptions.tasks.redeliver_pending_transmissions_task",
        "schedule": 60.0,
    },
    # Daily destruction of what is past its retention period (privacy.services.purge_past_retention).
    "purge-past-retention": {"task": "privacy.tasks.purge_past_retention_task", "schedule": 24 * 3600.0},
}

# Meetings: the provider used when a clinic names none, then one block per provider. Base URLs are
# settings so that tests (and a developer) can point them at the local fake servers.
MEETING_PROVIDER = env("MEETING_PROVIDER", default="jitsi")
PROVIDER_TIMEOUT_SECONDS = env.float("PROVIDER_TIMEOUT_SECONDS", default=15.0)

# Microsoft Graph (Teams meetings and, optionally, mail), app-only token through msal.
GRAPH_TENANT_ID = env("GRAPH_TENANT_ID", default="")
GRAPH_CLIENT_ID = env("GRAPH_CLIENT_ID", default="")
GRAPH_CLIENT_SECRET = env("GRAPH_CLIENT_SECRET", default="")
GRAPH_AUTHORITY = env("GRAPH_AUTHORITY", default=f"https://login.microsoftonline.com/{GRAPH_TENANT_ID}")
GRAPH_BASE_URL = env("GRAPH_BASE_URL", default="https://graph.microsoft.com/v1.0")
GRAPH_CA_BUNDLE = env("GRAPH_CA_BUNDLE", default="")  # only for a fake identity provider with its own certificate
GRAPH_MAIL_SENDER = env("GRAPH_MAIL_SENDER", default="")  # the mailbox the Graph mail backend sends as
TEAMS_LOBBY_BYPASS = env("TEAMS_LOBBY_BYPASS", default="organization")

# Zoom, server-to-server OAuth.
ZOOM_ACCOUNT_ID = env("ZOOM_ACCOUNT_ID", default="")
ZOOM_CLIENT_ID = env("ZOOM_CLIENT_ID", default="")
ZOOM_CLIENT_SECRET = env("ZOOM_CLIENT_SECRET", default="")
ZOOM_OAUTH_TOKEN_URL = env("ZOOM_OAUTH_TOKEN_URL", default="https://zoom.us/oauth/token")
ZOOM_API_BASE_URL = env("ZOOM_API_BASE_URL", default="https://api.zoom.us/v2")

# Filing signed documents into the record system: a drop folder it watches (default) or its HTTP
# endpoint. Once the receipt is in, the portal's copy is removed unless the rules say to keep it.
FILING_CHANNEL = env("FILING_CHANNEL", default="drop_folder")
FILING_DROP_FOLDER = env("FILING_DROP_FOLDER", default=str(VAR_DIR / "filing"))
FILING_HTTP_URL = env("FILING_HTTP_URL", default="")
FILING_HTTP_TOKEN = env("FILING_HTTP_TOKEN", default="")
FILING_KEEP_COPY = env.bool("FILING_KEEP_COPY", default=False)

# Where people reach the portal: links in emails to patients start with it.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# Cloud fax: one email per fax to the gateway's address for the number (`{digits}@{domain}`), sent
# from the mailbox registered with the gateway, through its own mail connection.
FAX_EMAIL_DOMAIN = env("FAX_EMAIL_DOMAIN", default="fax.portail.invalid")
FAX_ADDRESS_TEMPLATE = env("FAX_ADDRESS_TEMPLATE", default="{digits}@{domain}")
FAX_SENDER_ADDRESS = env("FAX_SENDER_ADDRESS", default=DEFAULT_FROM_EMAIL)
FAX_EMAIL_BACKEND = env("FAX_EMAIL_BACKEND", default=EMAIL_BACKEND)
FAX_EMAIL_HOST = env("FAX_EMAIL_HOST", default=EMAIL_HOST)
FAX_EMAIL_PORT = env.int("FAX_EMAIL_PORT", default=EMAIL_PORT)
# The gateway's delivery reports (and read receipts) are posted as raw emails to
# /transmissions/reports/ with this bearer token (an inbound-mail hook of the mail system); empty
# turns the endpoint off. The patterns read the gateway's reports.
TRANSMISSION_REPORTS_TOKEN = env("TRANSMISSION_REPORTS_TOKEN", default="")
FAX_REPORT_REF_PATTERN = env("FAX_REPORT_REF_PATTERN", default=r"\[ref FAX-(?P<ref>[0-9a-fA-F-]{36})\]")
FAX_REPORT_DELIVERED_PATTERN = env(
    "FAX_REPORT_DELIVERED_PATTERN", default=r"(?im)^\s*status:\s*(delivered|success|sent)\b"
)
FAX_REPORT_REASON_PATTERN = env("FAX_REPORT_REASON_PATTERN", default=r"(?im)^\s*reason:\s*(?P<reason>.+)$")
# A fax without the gateway's confirmation after this long counts as unconfirmed on the dashboard.
FAX_CONFIRMATION_HOURS = env.int("FAX_CONFIRMATION_HOURS", default=4)
# Travel avoided: the distance on the patient's file, driven at this average speed.
TRAVEL_AVERAGE_KMH = env.int("TRAVEL_AVERAGE_KMH", default=70)
# How long a patient's download link works.
PATIENT_LINK_DAYS = env.int("PATIENT_LINK_DAYS", default=14)

# Retention (Law 25, R-22.1 s. 111): how long the portal keeps what it still holds, in days, per kind.
# Settings rather than an admin screen on purpose: the retention calendar is approved by the
# establishment (Archives Act) and shortening it destroys information for good, so a change goes
# through the deployment's review, not one click of an administrator's account.
RETENTION_DAYS = {
    # The portal's copy of a signed PDF, counted from the record system's receipt (only FILING_KEEP_COPY
    # or a transmission keeps one that long; the archives' copy is the record).
    "AH-253": env.int("RETENTION_PROGRESS_NOTE_PDF_DAYS", default=30),
    "AH-251": env.int("RETENTION_PRESCRIPTION_PDF_DAYS", default=30),
    # A patient's download link, counted from its expiry.
    "patient_link": env.int("RETENTION_PATIENT_LINK_DAYS", default=30),
    # A meeting's join and host links, passcode and dial-in, counted from its end.
    "meeting_details": env.int("RETENTION_MEETING_DETAILS_DAYS", default=30),
}
# The person in charge of the protection of personal information, shown on the public privacy page.
PRIVACY_OFFICER_NAME = env("PRIVACY_OFFICER_NAME", default="")
PRIVACY_OFFICER_EMAIL = env("PRIVACY_OFFICER_EMAIL", default="")
PRIVACY_OFFICER_PHONE = env("PRIVACY_OFFICER_PHONE", default="")

# Jitsi Meet: signed links when an app id and secret are set, else an unguessable room name.
JITSI_BASE_URL = env("JITSI_BASE_URL", default="https://meet.jit.si")
JITSI_APP_ID = env("JITSI_APP_ID", default="")
JITSI_APP_SECRET = env("JITSI_APP_SECRET", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "common.authentication.TokenAuthenticationInUserLanguage",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Télésanté API",
    "DESCRIPTION": "Teleconsultation portal of the Quebec health network.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PlatformEnum": "directory.models.MeetingPlatform",
        "LanguageEnum": "directory.models.Language",
    },
}

# Security headers. The Content Security Policy forbids inline scripts and styles everywhere.
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Axes would log the username of every failed login; the audit trail keeps those instead.
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Scanners probing with foreign Host headers would otherwise fill the log with tracebacks.
        "django.security.DisallowedHost": {"level": "CRITICAL"},
    },
}

FORM_RENDERER = "common.forms.PortalFormRenderer"
