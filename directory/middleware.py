"""How long a signed-in session lasts: 30 minutes idle (the session cookie's age), 12 hours at most
however active, and not beyond the moment the person signed out anywhere."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

SIGNED_IN_AT = "portal_signed_in_at"
SESSION_EPOCH = "portal_session_epoch"


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            started = request.session.get(SIGNED_IN_AT)
            if started is None:
                request.session[SIGNED_IN_AT] = time.time()
                request.session[SESSION_EPOCH] = user.session_epoch
            elif (
                time.time() - started > settings.SESSION_ABSOLUTE_HOURS * 3600
                or request.session.get(SESSION_EPOCH) != user.session_epoch
            ):
                logout(request)
                if not request.path.startswith(("/api/", "/fhir/")):
                    query = urlencode({"next": request.get_full_path(), "expired": "1"})
                    return redirect(f"{reverse('login')}?{query}")
        return self.get_response(request)
