"""Writing a progress note after a meeting, signing it, downloading its PDF."""

from urllib.parse import quote

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import Conflict, Invalid
from common.time import local, parse_day
from directory.permissions import Capability, has_capability
from scheduling.permissions import access_appointment

from .models import SECTIONS, SignedDocument, Structure
from .permissions import access_document_for_review, access_note, documents_for_review, returned_documents_of
from .selectors import document_history
from .services import (
    add_addendum,
    download_pdf,
    file_document,
    missing_elements,
    note_header,
    retry_filing,
    return_document,
    save_draft,
    sign_note,
    start_note,
)


@login_required
@require_POST
def note_start(request: HttpRequest, appointment_id) -> HttpResponse:
    appointment = access_appointment(request.user, appointment_id, for_change=True)
    try:
        note = start_note(
            by=request.user, appointment=appointment, structure=request.POST.get("structure") or Structure.FREE
        )
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("appointment_detail", public_id=appointment.public_id)
    return redirect("note_edit", public_id=note.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, public_id) -> HttpResponse:
    note = access_note(request.user, public_id)
    if note.is_signed or note.author_id != request.user.pk:
        return redirect("note_detail", public_id=note.public_id)
    if request.method == "POST":
        structure = request.POST.get("structure", note.structure)
        sections = {key: request.POST.get(key, "") for key, _label in SECTIONS.get(structure, [])}
        try:
            note = save_draft(note, by=request.user, structure=structure, sections=sections)
        except (Conflict, Invalid) as problem:
            messages.error(request, problem.message)
        if request.headers.get("HX-Request"):
            saved_at = local(timezone.now()).strftime("%H:%M:%S")
            return HttpResponse(_("Draft saved at %(time)s") % {"time": saved_at})
        if "sign" in request.POST:
            try:
                sign_note(note, by=request.user)
            except (Conflict, Invalid) as problem:
                messages.error(request, problem.message)
            else:
                messages.success(request, _("The note is signed; its PDF is made and it can no longer change."))
                return redirect("note_detail", public_id=note.public_id)
    return render(
        request,
        "documentation/note_edit.html",
        {
            "note": note,
            "structures": Structure.choices,
            "sections": note.section_list(),
            "header": note_header(note, by=request.user),
        },
    )


@login_required
def note_detail(request: HttpRequest, public_id) -> HttpResponse:
    note = access_note(request.user, public_id)
    return render(request, "documentation/note_detail.html", {"note": note, "sections": note.section_list()})


@login_required
@require_POST
def note_addendum(request: HttpRequest, public_id) -> HttpResponse:
    note = access_note(request.user, public_id)
    try:
        addendum = add_addendum(note, by=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("note_detail", public_id=note.public_id)
    return redirect("note_edit", public_id=addendum.public_id)


@login_required
def note_pdf(request: HttpRequest, public_id) -> HttpResponse:
    note = access_note(request.user, public_id)
    if not note.document_id:
        raise Http404
    return pdf_response(note.document, by=request.user, inline=False)


def pdf_response(document, *, by, inline: bool) -> HttpResponse:
    try:
        pdf = download_pdf(document, by=by)
    except Conflict as conflict:
        return HttpResponse(conflict.message, status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(document.file_name)}"
    return response


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """The archivist's queue: documents waiting, or a search of those filed (by file number, NAM, author)."""
    if not has_capability(request.user, Capability.REVIEW_DOCUMENTS):
        raise PermissionDenied
    query = request.GET.get("q", "")
    shown = request.GET.get("etat", "pending")
    documents = documents_for_review(request.user).filter(review_status=shown if shown in REVIEW_STATES else "pending")
    day = parse_day(request.GET.get("jour", ""))  # a day that does not exist: no filter, not an error
    if day:
        documents = documents.filter(signed_at__date=day)
    documents = list(documents.search(query).order_by("signed_at", "id")[:200])
    for document in documents:
        document.missing = missing_elements(document.header)
    return render(request, "documentation/review_queue.html", {"documents": documents, "query": query, "shown": shown})


@login_required
@require_http_methods(["GET", "POST"])
def review_document(request: HttpRequest, public_id) -> HttpResponse:
    document = access_document_for_review(request.user, public_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "return":
                return_document(document, by=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("The document is returned to its author."))
            elif request.POST.get("action") == "retry":
                retry_filing(document, by=request.user)
                messages.success(request, _("The record system is asked again."))
            else:
                file_document(document, by=request.user, record_reference=request.POST.get("record_reference", ""))
                messages.success(request, _("The document is filed; it is on its way to the record."))
        except (Conflict, Invalid) as problem:
            messages.error(request, problem.message)
        else:
            return redirect("review_queue")
    history = document_history(document)
    return render(
        request,
        "documentation/review_document.html",
        {
            "document": document,
            "missing": missing_elements(document.header),
            "history": history,
        },
    )


@login_required
@require_POST
def review_batch(request: HttpRequest) -> HttpResponse:
    documents = documents_for_review(request.user).filter(
        public_id__in=request.POST.getlist("documents"), review_status=SignedDocument.Review.PENDING
    )
    filed = [file_document(document, by=request.user) for document in documents]
    messages.success(
        request,
        ngettext("%(count)d document filed.", "%(count)d documents filed.", len(filed)) % {"count": len(filed)},
    )
    return redirect("review_queue")


@login_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})
def review_pdf(request: HttpRequest, public_id) -> HttpResponse:
    """The PDF shown inside the review page (the one place where the portal frames itself)."""
    document = access_document_for_review(request.user, public_id)
    return pdf_response(document, by=request.user, inline=True)


@login_required
def returned_to_me(request: HttpRequest) -> HttpResponse:
    return render(request, "documentation/_returned.html", {"returned": returned_documents_of(request.user)})


REVIEW_STATES = {state.value for state in SignedDocument.Review}
