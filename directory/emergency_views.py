"""Pages of the emergency access (break-the-glass): the professional's request, the archivists' review.

The way in is the patient search: an exact NAM or file number that matches only a record outside the
professional's clinics shows that a record exists and the request form (directory/_patient_results.html).
"""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import Conflict, Invalid

from .models import Patient
from .permissions import (
    Capability,
    access_emergency_access,
    can_request_emergency_access,
    has_capability,
)
from .selectors import (
    emergency_access_page,
    emergency_accesses_to_review_count,
    readings_under,
    record_patient_listing,
)
from .services import request_emergency_access, review_emergency_access

STATUS_FILTERS = ("to_review", "reviewed", "all")


@never_cache
@login_required
@require_POST
def emergency_access_request(request: HttpRequest) -> HttpResponse:
    """Open a record outside one's clinics, with the reason; the record's page then shows the banner."""
    if not can_request_emergency_access(request.user):
        raise PermissionDenied
    patient = _patient_named(request.POST.get("patient", ""))
    reason = request.POST.get("reason", "")
    try:
        grant = request_emergency_access(by=request.user, patient=patient, reason=reason)
    except Invalid as problem:
        context = {"patient_id": patient.public_id, "reason": reason, "error": problem.message, **_hours()}
        return render(request, "directory/emergency_request.html", context, status=400)
    except Conflict as conflict:
        messages.info(request, conflict.message)
        return redirect("patient_detail", public_id=patient.public_id)
    messages.warning(
        request,
        _("Emergency access granted until %(until)s. It is recorded and the archivists will review it.")
        % {"until": _local(grant.expires_at)},
    )
    return redirect("patient_detail", public_id=patient.public_id)


def _patient_named(value: str) -> Patient:
    try:
        public_id = UUID(value)
    except ValueError:
        raise Http404 from None
    patient = Patient.objects.filter(public_id=public_id).first()
    if patient is None:
        raise Http404
    return patient


def _hours() -> dict:
    return {"hours": settings.EMERGENCY_ACCESS_HOURS}


def _local(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


@never_cache
@login_required
def emergency_access_list(request: HttpRequest) -> HttpResponse:
    """The archivists' list of the grants on their establishments' patients, those to review first."""
    if not has_capability(request.user, Capability.REVIEW_EMERGENCY_ACCESS):
        raise PermissionDenied
    status = request.GET.get("status", "to_review")
    if status not in STATUS_FILTERS:
        status = "to_review"
    page = emergency_access_page(request.user, request.GET.get("page"), status=status)
    return render(
        request,
        "directory/emergency_list.html",
        {"page": page, "status": status, "to_review": emergency_accesses_to_review_count(request.user)},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def emergency_access_review(request: HttpRequest, public_id) -> HttpResponse:
    grant = access_emergency_access(request.user, public_id)
    record_patient_listing(request.user, [grant.patient], query_kind="emergency_access")
    error = ""
    if request.method == "POST":
        try:
            review_emergency_access(grant, by=request.user, comment=request.POST.get("comment", ""))
        except Invalid as problem:
            error = problem.message
        else:
            messages.success(request, _("The emergency access is reviewed."))
            return redirect("emergency_access_list")
    return render(
        request,
        "directory/emergency_review.html",
        {"grant": grant, "readings": readings_under(grant), "error": error, "comment": request.POST.get("comment", "")},
        status=400 if error else 200,
    )
