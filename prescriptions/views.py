"""Writing an AH-251, choosing its recipient by the rules, following its transmissions; the patient's
download page; the door through which the gateway's reports come in."""

import hmac
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.errors import Conflict, Invalid, NotAllowed
from common.time import parse_day
from directory.permissions import Capability, access_patient, can, has_capability
from scheduling.permissions import access_appointment

from .models import Category, MedicationLine, Prescription, Transmission
from .permissions import access_prescription, access_transmission, prescriptions_visible_to
from .reports import read_report
from .routing import route
from .selectors import recipient_candidates, recipient_named, transmissions_to_follow
from .services import (
    LINE_FIELDS,
    MAX_LINK_CHECKS,
    PRESCRIBING_PROFESSIONS,
    cancel_transmission,
    choose_recipient,
    discard_prescription,
    download_by_patient,
    find_link,
    link_problem,
    may_retry,
    missing_content,
    prescription_header,
    prescription_pdf,
    record_report,
    retry_transmission,
    save_prescription,
    sign_prescription,
    start_prescription,
    transmit,
)

# A person (or a robot) guessing birth dates from one address is slowed down across links too.
DOWNLOAD_FAILURES_PER_ADDRESS = 10
DOWNLOAD_WINDOW_SECONDS = 15 * 60


@login_required
@require_GET
def patient_prescriptions(request: HttpRequest, patient_id) -> HttpResponse:
    """The patient page's panel: the patient's prescriptions, and a way to write one."""
    patient = access_patient(request.user, patient_id, audited=False)
    prescriptions = (
        prescriptions_visible_to(request.user)
        .filter(patient=patient)
        .select_related("document", "author")
        .prefetch_related("transmissions")
    )
    return render(
        request,
        "prescriptions/_patient_panel.html",
        {
            "patient": patient,
            "prescriptions": prescriptions,
            "categories": Category.choices,
            # Not on a record opened under an emergency access, which reads but never writes.
            "may_prescribe": _may_prescribe(request.user) and can(request.user, Capability.PRESCRIBE, patient),
            "appointment_id": request.GET.get("appointment", ""),
        },
    )


def _may_prescribe(user) -> bool:
    return has_capability(user, Capability.PRESCRIBE) and user.profession in PRESCRIBING_PROFESSIONS


@login_required
@require_POST
def prescription_start(request: HttpRequest, patient_id) -> HttpResponse:
    patient = access_patient(request.user, patient_id, capability=Capability.PRESCRIBE)
    appointment = None
    if request.POST.get("appointment"):
        appointment = access_appointment(request.user, request.POST["appointment"], for_change=True)
        if appointment.patient_id != patient.pk:
            raise Http404
    try:
        prescription = start_prescription(
            by=request.user, patient=patient, category=request.POST.get("category", ""), appointment=appointment
        )
    except (Invalid, NotAllowed) as problem:
        messages.error(request, problem.message)
        return redirect("patient_detail", public_id=patient.public_id)
    return redirect("prescription_edit", public_id=prescription.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def prescription_edit(request: HttpRequest, public_id) -> HttpResponse:
    prescription = access_prescription(request.user, public_id)
    if not prescription.is_draft or prescription.author_id != request.user.pk:
        return redirect("prescription_detail", public_id=prescription.public_id)
    if request.method == "POST":
        if "category" in request.POST:
            try:
                prescription = save_prescription(
                    prescription, by=request.user, fields=_posted_fields(request), lines=_posted_lines(request)
                )
            except (Conflict, Invalid) as problem:
                # Shown again as typed, with the problem: nothing the prescriber wrote is lost.
                messages.error(request, problem.message)
                return render(
                    request,
                    "prescriptions/prescription_edit.html",
                    _edit_context(request, _as_typed(prescription, request)),
                    status=400,
                )
        try:
            if "sign" in request.POST:
                sign_prescription(prescription, by=request.user)
        except (Conflict, Invalid, NotAllowed) as problem:
            messages.error(request, problem.message)
        else:
            if "sign" in request.POST:
                messages.success(
                    request,
                    _(
                        "The prescription is signed: its PDF is made, the archives have their copy and it is on "
                        "its way to its recipient."
                    ),
                )
                return redirect("prescription_detail", public_id=prescription.public_id)
            messages.success(request, _("Draft saved."))
        return redirect("prescription_edit", public_id=prescription.public_id)
    return render(request, "prescriptions/prescription_edit.html", _edit_context(request, prescription))


def _posted_fields(request: HttpRequest) -> dict:
    return {
        "category": request.POST.get("category", ""),
        "no_known_allergies": request.POST.get("no_known_allergies") == "on",
        "allergies": request.POST.get("allergies", ""),
        "therapeutic_intent": request.POST.get("therapeutic_intent", ""),
        "instructions": request.POST.get("instructions", ""),
        "callback_phone": request.POST.get("callback_phone", ""),
    }


def _as_typed(prescription: Prescription, request: HttpRequest) -> Prescription:
    for name, value in _posted_fields(request).items():
        setattr(prescription, name, value)
    prescription.typed_lines = [MedicationLine(**line) for line in _posted_lines(request) or [] if line.get("drug")]
    return prescription


def _edit_context(request: HttpRequest, prescription: Prescription) -> dict:
    lines = getattr(prescription, "typed_lines", None)
    if lines is None:
        prescription.refresh_from_db()
        lines = list(prescription.lines.all())
    chosen = prescription.recipient if prescription.recipient_id else None
    decision = route(prescription, chosen) if (chosen or prescription.to_patient) else None
    return {
        "prescription": prescription,
        "categories": Category.choices,
        "lines": lines,
        "blank_line_index": len(lines),
        "header": prescription_header(prescription, by=request.user),
        "candidates": recipient_candidates(prescription)[:30],
        "decision": decision,
        "missing": missing_content(prescription),
    }


def _posted_lines(request: HttpRequest) -> list[dict] | None:
    if "line-0-drug" not in request.POST:
        return None
    lines = []
    for index in range(50):
        if f"line-{index}-drug" not in request.POST:
            break
        lines.append({name: request.POST.get(f"line-{index}-{name}", "") for name in LINE_FIELDS})
    return lines


@login_required
@require_GET
def recipient_options(request: HttpRequest, public_id) -> HttpResponse:
    prescription = access_prescription(request.user, public_id)
    return render(
        request,
        "prescriptions/_recipient_options.html",
        {"prescription": prescription, "candidates": recipient_candidates(prescription, request.GET.get("q", ""))[:30]},
    )


@login_required
@require_POST
def recipient_choose(request: HttpRequest, public_id) -> HttpResponse:
    """Address the draft; the answer is the rule's verdict, shown where the choice was made."""
    prescription = access_prescription(request.user, public_id)
    try:
        recipient = recipient_named(request.POST.get("recipient", ""))
        decision = choose_recipient(
            prescription,
            by=request.user,
            recipient=recipient,
            imaging_choice_confirmed=request.POST.get("imaging_choice") == "on",
        )
    except (Conflict, Invalid) as problem:
        messages.error(request, problem.message)
        return redirect("prescription_edit", public_id=prescription.public_id)
    if request.headers.get("HX-Request"):
        return render(request, "prescriptions/_decision.html", {"decision": decision, "recipient": recipient})
    if decision.allowed:
        messages.success(request, _("Recipient chosen: %(channel)s.") % {"channel": decision.channel_label})
    else:
        messages.error(request, decision.reason)
    return redirect("prescription_edit", public_id=prescription.public_id)


@login_required
@require_POST
def prescription_discard(request: HttpRequest, public_id) -> HttpResponse:
    prescription = access_prescription(request.user, public_id)
    try:
        discard_prescription(prescription, by=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("prescription_detail", public_id=prescription.public_id)
    messages.success(request, _("The draft is discarded."))
    return redirect("patient_detail", public_id=prescription.patient.public_id)


@login_required
@require_GET
def prescription_detail(request: HttpRequest, public_id) -> HttpResponse:
    prescription = access_prescription(request.user, public_id)
    if prescription.is_draft and prescription.author_id == request.user.pk:
        return redirect("prescription_edit", public_id=prescription.public_id)
    template = (
        "prescriptions/_transmissions.html"
        if request.headers.get("HX-Request") and request.GET.get("part") == "transmissions"
        else "prescriptions/prescription_detail.html"
    )
    return render(request, template, _detail_context(request, prescription))


def _detail_context(request: HttpRequest, prescription: Prescription) -> dict:
    transmissions = list(prescription.transmissions.select_related("recipient"))
    for transmission in transmissions:
        transmission.retry_allowed = may_retry(transmission)
    return {
        "prescription": prescription,
        "lines": list(prescription.lines.all()),
        "transmissions": transmissions,
        "still_moving": any(t.status in ("queued", "sent") for t in transmissions),
        "may_send": prescription.author_id == request.user.pk and prescription.status == Prescription.Status.SIGNED,
        "candidates": recipient_candidates(prescription)[:30] if prescription.document_id else [],
    }


@login_required
@require_GET
def prescription_pdf_download(request: HttpRequest, public_id) -> HttpResponse:
    prescription = access_prescription(request.user, public_id)
    try:
        pdf = prescription_pdf(prescription, by=request.user)
    except Conflict as conflict:
        return HttpResponse(conflict.message, status=409, content_type="text/plain; charset=utf-8")
    return _pdf_response(pdf, prescription.document.file_name)


def _pdf_response(pdf: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    return response


@login_required
@require_POST
def prescription_transmit(request: HttpRequest, public_id) -> HttpResponse:
    prescription = access_prescription(request.user, public_id)
    if prescription.author_id != request.user.pk:
        raise NotAllowed(_("Only the prescriber sends her prescription."))
    try:
        transmit(prescription, by=request.user, recipient=recipient_named(request.POST.get("recipient", "")))
    except (Conflict, Invalid) as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, _("The document is on its way."))
    return redirect("prescription_detail", public_id=prescription.public_id)


@login_required
@require_POST
def transmission_retry(request: HttpRequest, public_id) -> HttpResponse:
    transmission = access_transmission(request.user, public_id)
    try:
        retry_transmission(transmission, by=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, _("The transmission is queued again."))
    return redirect("prescription_detail", public_id=transmission.prescription.public_id)


@login_required
@require_POST
def transmission_cancel(request: HttpRequest, public_id) -> HttpResponse:
    transmission = access_transmission(request.user, public_id)
    try:
        cancel_transmission(transmission, by=request.user, reason=request.POST.get("reason", ""))
    except (Conflict, Invalid, NotAllowed) as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, _("The transmission is cancelled."))
    return redirect("prescription_detail", public_id=transmission.prescription.public_id)


@login_required
@require_GET
def transmission_board(request: HttpRequest) -> HttpResponse:
    """Every transmission the person may follow, newest first; failed ones at a click."""
    if not (
        has_capability(request.user, Capability.PRESCRIBE) or has_capability(request.user, Capability.REVIEW_DOCUMENTS)
    ):
        raise NotAllowed()
    status = request.GET.get("status", "")
    if status not in Transmission.Status.values:
        status = ""
    page = Paginator(transmissions_to_follow(request.user, status=status), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "prescriptions/transmission_board.html",
        {"page": page, "status": status, "statuses": Transmission.Status.choices},
    )


# -- outside the staff's session -------------------------------------------------------------------


@csrf_exempt
@require_POST
def report_inbound(request: HttpRequest) -> HttpResponse:
    """The mail system posts each report of the fax gateway (or read receipt), raw, with the token."""
    token = settings.TRANSMISSION_REPORTS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponse(status=401)
    if len(request.body) > 5_000_000:
        return HttpResponse(_("The report is too large."), status=413, content_type="text/plain; charset=utf-8")
    report = read_report(request.body)
    if report is None:
        return HttpResponse(_("Not a report the portal knows."), status=202, content_type="text/plain; charset=utf-8")
    transmission = record_report(report.ref, delivered=report.delivered, detail=report.detail)
    if transmission is None:
        return HttpResponse(_("No such transmission."), status=202, content_type="text/plain; charset=utf-8")
    return HttpResponse(transmission.status, status=200, content_type="text/plain; charset=utf-8")


@never_cache
@require_http_methods(["GET", "POST"])
def patient_download(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's page: the link from the email, then the birth date, then the PDF."""
    transmission = find_link(token)
    problem = link_problem(transmission)
    if problem:
        return render(request, "prescriptions/patient_download.html", {"problem": problem}, status=410)
    address_key = f"patient-download-failures:{request.META.get('REMOTE_ADDR', '')}"
    if cache.get(address_key, 0) >= DOWNLOAD_FAILURES_PER_ADDRESS:
        return render(
            request,
            "prescriptions/patient_download.html",
            {"problem": _("Too many attempts from this connection. Try again in 15 minutes.")},
            status=429,
        )
    error = ""
    if request.method == "POST":
        date_of_birth = parse_day(request.POST.get("date_of_birth", ""))
        try:
            pdf = download_by_patient(transmission, date_of_birth=date_of_birth)
        except Invalid as invalid:
            cache.add(address_key, 0, DOWNLOAD_WINDOW_SECONDS)
            cache.incr(address_key)
            error = invalid.message
        except Conflict as conflict:
            return render(request, "prescriptions/patient_download.html", {"problem": conflict.message}, status=410)
        else:
            return _pdf_response(pdf, transmission.prescription.document.file_name)
    return render(
        request,
        "prescriptions/patient_download.html",
        {"error": error, "attempts": MAX_LINK_CHECKS},
        status=400 if error else 200,
    )
