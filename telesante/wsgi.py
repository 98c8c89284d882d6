import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telesante.settings")

application = get_wsgi_application()

# Import every view now, while the worker boots, not during its first request: on a busy machine the
# imports took seconds, and a cold worker under load passed gunicorn's timeout and was killed (500s).
get_resolver().url_patterns  # noqa: B018 (the attribute loads the URLconf)
