"""Request-wide behaviour: the interface language, the caching of pages with health information, and
what a person sees when the database is out of reach."""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views import defaults

from .errors import NotAllowed, NotFound, PortalError


class LanguageMiddleware:
    """French unless the person chose English, whatever the browser says.

    The choice is kept on the account (so it follows the person to another workstation) and in a
    cookie (so the login page already speaks it). The browser's Accept-Language is ignored on
    purpose: shared hospital workstations are often set up in English.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = self.language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response

    def language_for(self, request) -> str:
        # The user is not known yet (authentication runs later), so read the session's choice.
        chosen = request.session.get("portal_language") if hasattr(request, "session") else None
        chosen = chosen or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        return chosen if chosen in self.supported else settings.LANGUAGE_CODE


class NoStoreMiddleware:
    """Nothing a signed-in person sees may stay in a browser's or a proxy's cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith(("/api/", "/fhir/")):
            patch_cache_control(response, no_store=True, private=True, max_age=0)
        return response


class PortalErrorMiddleware:
    """A typed error raised by a service becomes the matching error page, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PortalError):
            return None
        if isinstance(exception, NotFound):
            raise Http404 from exception
        if isinstance(exception, NotAllowed):
            raise PermissionDenied from exception
        return render(request, "errors/problem.html", {"message": exception.message}, status=exception.status_code)


logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again: a PostgreSQL restart or a fail-over takes
# about that long.
DATABASE_RETRY_AFTER_SECONDS = 10
DATABASE_ERRORS = (OperationalError, InterfaceError)


class DatabaseUnavailableMiddleware:
    """The database out of reach (restart, fail-over) is a 503 with Retry-After, never a 500.

    This hook sees what a view raises; `server_error` (handler500) sees what a middleware raises
    (the session is read before any view). Neither touches the database again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


def server_error(request, *args, **kwargs):
    """handler500: a database out of reach is a 503; anything else the usual generic 500 page."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_ERRORS):
        return database_unavailable(request, exception)
    return defaults.server_error(request, *args, **kwargs)


def database_unavailable(request, exception: BaseException) -> HttpResponse:
    # The class name only: the driver's message can quote a query and its parameters.
    logger.warning("Database unavailable (%s): answered 503", type(exception).__name__)
    language = _request_language(request)
    with translation.override(language):
        message = _(
            "The portal cannot reach its database for a moment. Nothing you saved is lost; try again in a few seconds."
        )
        if _wants_json(request):
            response = JsonResponse({"detail": message, "code": "service_unavailable"}, status=503)
        else:
            # No request context: the context processors and request.user would query the database.
            body = render_to_string(
                "errors/unavailable.html",
                {"message": message, "language": language, "retry_after": DATABASE_RETRY_AFTER_SECONDS},
            )
            response = HttpResponse(body, status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    response["Content-Language"] = language
    patch_cache_control(response, no_store=True, private=True, max_age=0)
    return response


def _request_language(request) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    # Set by LanguageMiddleware when it ran; it reads the session, which may be what failed.
    for chosen in (getattr(request, "LANGUAGE_CODE", None), request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        if chosen in supported:
            return chosen
    return settings.LANGUAGE_CODE


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/fhir/")) or "json" in request.headers.get("Accept", "")
