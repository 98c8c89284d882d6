"""Pages of the directory: sign-in, home, patients. Each view parses, calls one service, renders."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from audit.middleware import client_address

from . import entra
from .forms import LanguageForm, LoginForm, PatientForm, PatientSearchForm
from .permissions import (
    Capability,
    access_patient,
    can,
    can_change_patient,
    can_view_patient_history,
    clinics_where,
)
from .selectors import (
    label_changed_fields,
    patient_access_history,
    patient_page,
    recent_patients_of,
    records_outside_clinics,
    search_patients,
)
from .services import choose_language, end_other_sessions, register_patient, update_patient
from .sign_in import address_retry_after

SEARCH_RESULT_LIMIT = 50


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        if request.GET.get("expired"):
            messages.info(request, _("Your session has ended: sign in again."))
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        from .sign_in_views import too_many_failures  # that module builds on this one

        retry_after = address_retry_after(client_address(request))
        if retry_after:
            return too_many_failures(request, retry_after)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "network_sign_in": entra.is_configured()}

    def form_valid(self, form):
        if settings.SECOND_FACTOR_REQUIRED:
            from .sign_in_views import PASSWORD_BACKEND, begin_second_step  # that module builds on this one

            # Only the code step opens now: the person is signed in once the code is right.
            user = form.get_user()
            return begin_second_step(
                self.request,
                user,
                backend=getattr(user, "backend", PASSWORD_BACKEND),
                next_url=self.get_redirect_url(),
                via="password",
            )
        response = super().form_valid(form)
        # The account's language wins over the workstation's cookie, which may be a colleague's.
        remember_language(self.request, response, form.get_user().preferred_language)
        return response


class LogoutView(auth_views.LogoutView):
    """Signing out here signs the person out everywhere."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            end_other_sessions(request.user)
        return super().post(request, *args, **kwargs)


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """Shown instead of the login (or the token) while an account is locked after repeated failures."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = ngettext(
        "Too many failed sign-in attempts. This account is locked for %(minutes)d minute.",
        "Too many failed sign-in attempts. This account is locked for %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "locked_out", "detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("home")
    response = redirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            choose_language(request.user, language=language)
        remember_language(request, response, language)
    return response


def remember_language(request: HttpRequest, response: HttpResponse, language: str) -> None:
    request.session["portal_language"] = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=not settings.DEBUG,
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/home.html",
        {"recent_patients": recent_patients_of(request.user), "search_form": PatientSearchForm()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_list(request: HttpRequest) -> HttpResponse:
    """GET lists the patients one covers; POST searches (a name or a NAM never goes into a URL)."""
    form = PatientSearchForm(request.POST or None)
    context = {"search_form": form, "can_create": creatable_clinics(request.user).exists()}
    if request.method == "POST":
        query = form.cleaned_data["query"] if form.is_valid() else ""
        patients = search_patients(request.user, query, limit=SEARCH_RESULT_LIMIT + 1)
        context.update(
            patients=patients[:SEARCH_RESULT_LIMIT],
            truncated=len(patients) > SEARCH_RESULT_LIMIT,
            searched=True,
            # Nothing in her clinics: an exact NAM or file number may still match a record elsewhere,
            # which she may open in an emergency (directory.emergency_views).
            outside_records=[] if patients else records_outside_clinics(request.user, query),
            emergency_hours=settings.EMERGENCY_ACCESS_HOURS,
        )
    else:
        page = patient_page(request.user, request.GET.get("page"))
        context.update(patients=page.object_list, page=page)
    template = "directory/_patient_results.html" if request.headers.get("HX-Request") else "directory/patient_list.html"
    return render(request, template, context)


def creatable_clinics(user):
    return clinics_where(user, Capability.CREATE_PATIENT)


@login_required
@require_http_methods(["GET", "POST"])
def patient_create(request: HttpRequest) -> HttpResponse:
    clinics = creatable_clinics(request.user)
    if not clinics.exists():
        raise PermissionDenied
    form = PatientForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        try:
            result = register_patient(
                by=request.user, clinic=form.cleaned_data["clinic"], details=form.patient_details()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The patient is registered."))
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect("patient_detail", public_id=result.patient.public_id)
    return render(request, "directory/patient_form.html", {"form": form, "creating": True})


@login_required
def patient_detail(request: HttpRequest, public_id) -> HttpResponse:
    patient = access_patient(request.user, public_id)
    return render(
        request,
        "directory/patient_detail.html",
        {
            "patient": patient,
            "clinics": patient.clinics.with_structure(),
            "can_change": can_change_patient(request.user, patient),
            "can_book": can(request.user, Capability.BOOK_APPOINTMENT, patient),
            "can_view_history": can_view_patient_history(request.user, patient),
            "warnings": patient.nam_warnings(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, public_id) -> HttpResponse:
    if request.method == "GET":
        patient = access_patient(request.user, public_id)  # showing the form is reading the record
        if not can_change_patient(request.user, patient):
            raise PermissionDenied
    else:
        patient = access_patient(request.user, public_id, capability=Capability.CHANGE_PATIENT)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        try:
            result = update_patient(patient, by=request.user, details=form.patient_details())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The changes are saved."))
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect("patient_detail", public_id=patient.public_id)
    return render(request, "directory/patient_form.html", {"form": form, "patient": patient, "creating": False})


@login_required
def patient_history(request: HttpRequest, public_id) -> HttpResponse:
    patient = access_patient(request.user, public_id, capability=Capability.VIEW_PATIENT_HISTORY)
    page = Paginator(patient_access_history(request.user, patient), 50).get_page(request.GET.get("page"))
    label_changed_fields(page.object_list)
    return render(request, "directory/patient_history.html", {"patient": patient, "page": page})
