"""The consent panel: read the script, record the answer in one action, or record a withdrawal."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from directory.models import Patient
from directory.permissions import Capability, access_patient, can

from .forms import ConsentForm, WithdrawForm
from .selectors import consent_history, consent_panel
from .services import record_consent, withdraw_consent


def panel_response(
    request: HttpRequest, patient: Patient, *, language: str, errors=None, appointment=None
) -> HttpResponse:
    context = panel_context(request.user, patient, language=language, appointment=appointment)
    context["errors"] = errors or []
    if request.headers.get("HX-Request"):
        return render(request, "consent/_panel.html", context)
    return redirect("patient_detail", public_id=patient.public_id)


def panel_context(user, patient: Patient, *, language: str | None = None, appointment=None) -> dict:
    language = language or patient.preferred_language
    return {
        "patient": patient,
        "consent_lines": consent_panel(patient, language=language),
        "consent_history": consent_history(patient),
        "consent_language": language,
        "other_language": "en" if language == "fr" else "fr",
        "can_record_consent": can(user, Capability.RECORD_CONSENT, patient),
        "appointment": appointment,
    }


@login_required
@require_http_methods(["GET", "POST"])
def panel(request: HttpRequest, patient_id) -> HttpResponse:
    if request.method == "GET":
        # A part of the patient's page, whose opening is already audited.
        patient = access_patient(request.user, patient_id, audited=False)
        language = request.GET.get("langue") if request.GET.get("langue") in ("fr", "en") else None
        return render(request, "consent/_panel.html", panel_context(request.user, patient, language=language))
    patient = access_patient(request.user, patient_id, capability=Capability.RECORD_CONSENT)
    form = ConsentForm(request.POST)
    errors = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_consent(
                by=request.user,
                patient=patient,
                kind=data["kind"],
                granted=data["decision"] == "granted",
                language=data["language"],
                method=data["method"],
                party=data.get("party") or "patient",
                appointment_id=data.get("appointment"),
                warning_read=data["warning_read"],
            )
        except ValidationError as error:
            errors = error.messages
        language = data["language"]
    else:
        errors, language = [str(e) for field in form.errors.values() for e in field], patient.preferred_language
    return panel_response(request, patient, language=language, errors=errors)


@login_required
@require_POST
def withdraw(request: HttpRequest, patient_id) -> HttpResponse:
    patient = access_patient(request.user, patient_id, capability=Capability.RECORD_CONSENT)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    errors = []
    try:
        withdraw_consent(by=request.user, patient=patient, kind=form.cleaned_data["kind"])
    except ValidationError as error:
        errors = error.messages
    return panel_response(request, patient, language=patient.preferred_language, errors=errors)
