"""The sign-in steps after the password: the second factor (or its set-up, the first time), the network
account (Microsoft Entra ID), and the person's account page.

Between the password and the code the person is not signed in: the session only holds whom the
code is for (PENDING), for SECOND_FACTOR_PENDING_MINUTES, and no other page opens.
"""

import math
import time
from base64 import b32encode
from functools import wraps

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, user_login_failed
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.middleware import client_address
from audit.models import AuditEvent
from audit.services import record

from . import entra
from .forms import EnrolmentForm, SecondFactorForm
from .middleware import SESSION_EPOCH, SIGNED_IN_AT
from .models import User
from .sign_in import (
    address_retry_after,
    check_second_factor,
    confirm_enrolment,
    format_recovery_code,
    has_second_factor,
    remaining_recovery_codes,
    renew_recovery_codes,
    start_enrolment,
)
from .views import locked_out, remember_language

PENDING = "portal_pending_sign_in"
ENROLMENT_DEVICE = "portal_enrolment_device"
SSO_FLOW = "portal_sso_flow"
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"  # a class path, not a password  # nosec B105


# -- shared by the steps -----------------------------------------------------------------------------


def safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse(settings.LOGIN_REDIRECT_URL)


def begin_second_step(request: HttpRequest, user: User, *, backend: str, next_url: str, via: str) -> HttpResponse:
    """The password (or a network sign-in without multifactor) was right: ask for the code next."""
    request.session.cycle_key()  # a new session key for the new state, as login() would do
    request.session[PENDING] = {
        "user": user.pk,
        "since": time.time(),
        "backend": backend,
        "next": safe_next(request, next_url),
        "via": via,
    }
    return redirect("login_code" if has_second_factor(user) else "login_enrol")


def finish_sign_in(request: HttpRequest, user: User, *, backend: str, next_url: str) -> HttpResponse:
    _sign_in(request, user, backend=backend)
    response = redirect(safe_next(request, next_url))
    # The account's language wins over the workstation's cookie, which may be a colleague's.
    remember_language(request, response, user.preferred_language)
    return response


def _sign_in(request: HttpRequest, user: User, *, backend: str) -> None:
    login(request, user, backend=backend)
    # The session belongs to this epoch from now, not from its first page: an "end every session"
    # that comes in between (a reset, a deactivation) ends it too (see directory.middleware).
    request.session[SIGNED_IN_AT] = time.time()
    request.session[SESSION_EPOCH] = user.session_epoch


def too_many_failures(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 for a client address past its ceiling of failed sign-ins."""
    minutes = max(1, math.ceil(retry_after / 60))
    message = ngettext(
        "Too many failed sign-ins from this connection. Try again in %(minutes)d minute.",
        "Too many failed sign-ins from this connection. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def wait_for_code(request: HttpRequest, retry_after: int, form, template: str, context: dict) -> HttpResponse:
    """429 while django-otp's throttling makes the account wait after wrong codes."""
    message = ngettext(
        "Too many wrong codes: wait %(seconds)d second before trying again.",
        "Too many wrong codes: wait %(seconds)d seconds before trying again.",
        retry_after,
    ) % {"seconds": retry_after}
    form.add_error("code", message)
    response = render(request, template, {"form": form, **context}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def count_failure(request: HttpRequest, user: User) -> None:
    """A wrong code counts toward the account's lockout exactly as a wrong password does (axes)."""
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)


def pending_step(view):
    """Runs the view with the person whose password was just accepted, or sends back to the password."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        pending = request.session.get(PENDING)
        if not pending:
            return redirect("login")
        if time.time() - pending["since"] > settings.SECOND_FACTOR_PENDING_MINUTES * 60:
            request.session.pop(PENDING, None)
            request.session.pop(ENROLMENT_DEVICE, None)
            messages.info(request, _("The sign-in took too long: enter your password again."))
            return redirect("login")
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
        if user is None:
            request.session.pop(PENDING, None)
            return redirect("login")
        if AxesProxyHandler.is_locked(request, {"username": user.get_username()}):
            return locked_out(request)
        return view(request, user, pending, *args, **kwargs)

    return wrapper


# -- the steps ---------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@pending_step
def login_code(request: HttpRequest, user: User, pending: dict) -> HttpResponse:
    """Second step: the code of the app, or a recovery code."""
    if not has_second_factor(user):
        return redirect("login_enrol")
    form = SecondFactorForm(request.POST or None)
    context = {"sso": pending.get("via") == "sso"}
    if request.method == "POST" and form.is_valid():
        retry_after = address_retry_after(client_address(request))
        if retry_after:
            return too_many_failures(request, retry_after)
        outcome = check_second_factor(user, code=form.cleaned_data["code"])
        if outcome.throttled:
            return wait_for_code(request, outcome.retry_after, form, "registration/login_code.html", context)
        if outcome.accepted:
            if outcome.recovery_code_used:
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code. %(count)d code is left: renew them on your account page.",
                        "You signed in with a recovery code. %(count)d codes are left: renew them on your account "
                        "page.",
                        outcome.remaining_recovery_codes or 0,
                    )
                    % {"count": outcome.remaining_recovery_codes or 0},
                )
            return _finish(request, user, pending)
        count_failure(request, user)
        form.add_error("code", _("This code is not right, or was already used. Enter the code shown now."))
    return render(request, "registration/login_code.html", {"form": form, **context})


@never_cache
@require_http_methods(["GET", "POST"])
@pending_step
def login_enrol(request: HttpRequest, user: User, pending: dict) -> HttpResponse:
    """First sign-in (or after a reset): set up the authenticator app, then show the recovery codes once."""
    if has_second_factor(user):
        return redirect("login_code")
    form = EnrolmentForm(request.POST or None)
    device_id = request.session.get(ENROLMENT_DEVICE)
    if request.method == "POST" and device_id and form.is_valid():
        retry_after = address_retry_after(client_address(request))
        if retry_after:
            return too_many_failures(request, retry_after)
        outcome = confirm_enrolment(user, device_id=device_id, code=form.cleaned_data["code"])
        if outcome.throttled:
            return wait_for_code(
                request, outcome.retry_after, form, "registration/login_enrol.html", _enrolment_context(device_id)
            )
        if outcome.accepted:
            request.session.pop(ENROLMENT_DEVICE, None)
            return _finish(request, user, pending, show_recovery_codes=outcome.recovery_codes)
        count_failure(request, user)
        form.add_error("code", _("This code is not right. Check the app shows the account you just added."))
        return render(request, "registration/login_enrol.html", {"form": form, **_enrolment_context(device_id)})
    if request.method == "GET" or not device_id:
        device_id = start_enrolment(user).pk
        request.session[ENROLMENT_DEVICE] = device_id
    return render(request, "registration/login_enrol.html", {"form": form, **_enrolment_context(device_id)})


def _enrolment_context(device_id: int) -> dict:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(pk=device_id)
    secret = b32encode(device.bin_key).decode()
    return {
        "secret": " ".join(secret[index : index + 4] for index in range(0, len(secret), 4)),
        # An SVG as a data URI: no script, no request to another server (the CSP allows data: images).
        "qr_code": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
    }


def _finish(request: HttpRequest, user: User, pending: dict, show_recovery_codes: list[str] = ()) -> HttpResponse:
    request.session.pop(PENDING, None)
    if show_recovery_codes:
        _sign_in(request, user, backend=pending["backend"])
        translation.activate(user.preferred_language)
        # Shown in this answer only: the codes are stored nowhere a page could show them again.
        response = render(
            request,
            "registration/recovery_codes.html",
            {"codes": [format_recovery_code(code) for code in show_recovery_codes], "next": pending["next"]},
        )
        remember_language(request, response, user.preferred_language)
    else:
        response = finish_sign_in(request, user, backend=pending["backend"], next_url=pending["next"])
    if pending.get("via") == "sso":
        record(actor=user, action=AuditEvent.Action.SSO_LOGIN, details={"second_factor": "portal"})
    return response


# -- the network account -----------------------------------------------------------------------------


@never_cache
@require_GET
def sso_start(request: HttpRequest) -> HttpResponse:
    """To Entra ID's sign-in page; it sends the browser back to sso_callback."""
    if not entra.is_configured():
        return redirect("login")
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    try:
        flow = entra.begin_sign_in(redirect_uri=request.build_absolute_uri(reverse("sso_callback")))
    except entra.SignInUnavailable:
        messages.error(request, _("The network sign-in is unavailable right now. Sign in with your password."))
        return redirect("login")
    request.session[SSO_FLOW] = flow
    request.session["portal_sso_next"] = safe_next(request, request.GET.get("next"))
    return redirect(flow["auth_uri"])


@never_cache
@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    """Back from Entra ID with a code: the account whose address Entra vouches for is signed in.

    Without multifactor at Entra (the ID token's `amr` has no "mfa", and the tenant is not declared
    to require it), the portal's own code is asked next, as after a password.
    """
    flow = request.session.pop(SSO_FLOW, None)
    next_url = request.session.pop("portal_sso_next", None) or reverse(settings.LOGIN_REDIRECT_URL)
    if not entra.is_configured():
        return redirect("login")
    try:
        identity = entra.finish_sign_in(flow or {}, request.GET.dict())
    except entra.SignInRefused as refusal:
        message = (
            _("Your network account does not match an active account of the portal. Ask your administrator.")
            if refusal.reason in {"unknown_account", "inactive_account", "ambiguous_account", "no_identifier"}
            else _("The network sign-in could not be completed. Try again.")
        )
        return render(request, "registration/sso_refused.html", {"message": message}, status=403)
    except entra.SignInUnavailable:
        messages.error(request, _("The network sign-in is unavailable right now. Sign in with your password."))
        return redirect("login")
    if identity.multifactor or not settings.SECOND_FACTOR_REQUIRED:
        response = finish_sign_in(request, identity.user, backend=PASSWORD_BACKEND, next_url=next_url)
        record(
            actor=identity.user,
            action=AuditEvent.Action.SSO_LOGIN,
            details={"second_factor": "entra" if identity.multifactor else "none"},
        )
        return response
    return begin_second_step(request, identity.user, backend=PASSWORD_BACKEND, next_url=next_url, via="sso")


# -- the account page ---------------------------------------------------------------------------------


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/account.html",
        {
            "has_second_factor": has_second_factor(request.user),
            "remaining_recovery_codes": remaining_recovery_codes(request.user),
        },
    )


@never_cache
@login_required
@require_POST
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once in this answer; the earlier ones stop working."""
    if not has_second_factor(request.user):
        messages.error(request, _("Set up an authenticator app first: sign out, then sign in again."))
        return redirect("account")
    codes = renew_recovery_codes(request.user, by=request.user)
    return render(
        request,
        "registration/recovery_codes.html",
        {"codes": [format_recovery_code(code) for code in codes], "next": reverse("account"), "renewed": True},
    )


@require_GET
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own sign-in form would skip the second factor: it leads to the portal's instead."""
    return redirect(f"{reverse('login')}?{request.GET.urlencode()}" if request.GET else reverse("login"))
