"""The privacy page, the register of communications for the archives, and a patient's export."""

from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .csv_export import communications_csv
from .export import export_patient
from .forms import CommunicationFilterForm
from .permissions import access_patient_for_export, can_read_communications
from .selectors import communications_for
from .services import record_communications_export

EXPORT_ROW_LIMIT = 50_000


@require_GET
def privacy_notice(request: HttpRequest) -> HttpResponse:
    """Public: who is in charge of the protection of personal information, and how to reach them."""
    officer = {
        "name": settings.PRIVACY_OFFICER_NAME,
        "email": settings.PRIVACY_OFFICER_EMAIL,
        "phone": settings.PRIVACY_OFFICER_PHONE,
    }
    return render(request, "privacy/notice.html", {"officer": officer})


def _filtered(request: HttpRequest):
    if not can_read_communications(request.user):
        raise PermissionDenied
    form = CommunicationFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    data = form.cleaned_data if request.GET else {}
    rows = communications_for(
        request.user, start=data.get("du"), end=data.get("au"), recipient_kind=data.get("destinataire") or ""
    )
    return form, rows


@never_cache
@login_required
@require_GET
def communications_register(request: HttpRequest) -> HttpResponse:
    form, rows = _filtered(request)
    if rows is None:
        return render(request, "privacy/communications.html", {"form": form, "page": None}, status=400)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "privacy/communications.html", {"form": form, "page": page, "query": query.urlencode()})


@never_cache
@login_required
@require_GET
def communications_export(request: HttpRequest) -> HttpResponse:
    form, rows = _filtered(request)
    if rows is None:
        return render(request, "privacy/communications.html", {"form": form, "page": None}, status=400)
    rows = list(rows[:EXPORT_ROW_LIMIT])
    record_communications_export(by=request.user, filters=form.filters() if request.GET else {}, rows=len(rows))
    return communications_csv(rows)


@never_cache
@login_required
@require_POST
def patient_export(request: HttpRequest, public_id) -> HttpResponse:
    patient = access_patient_for_export(request.user, public_id)
    content = export_patient(patient, by=request.user)
    response = HttpResponse(content, content_type="application/zip")
    # The file is named by the patient's opaque id: a name or a NAM would show in the downloads folder.
    file_name = f"export-patient-{patient.public_id}.zip"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    return response
