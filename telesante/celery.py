"""The Celery application: configured from Django's settings (keys prefixed with CELERY_)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telesante.settings")

app = Celery("telesante")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
