"""Request-wide behaviour: the interface language and the caching of pages with health information."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

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
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
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
