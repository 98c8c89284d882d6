"""The agenda and the booking pages. Each view parses, calls one service, renders."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import Conflict
from common.time import local
from consent.services import recording_consented
from consent.views import panel_context
from directory.models import ClinicMembership, User
from directory.permissions import Capability, access_patient, clinics_where

from .forms import BookingForm, CancelForm, GuestFormSet, OutcomeForm, RescheduleForm
from .permissions import access_appointment, appointments_visible_to, can_change_appointment
from .selectors import agenda, agenda_period, with_consent_states
from .services import (
    book_appointment,
    cancel_appointment,
    flag_recorded,
    record_outcome,
    reschedule_appointment,
    retry_meeting_and_notices,
)


@login_required
def agenda_page(request: HttpRequest) -> HttpResponse:
    try:
        day = date.fromisoformat(request.GET.get("jour", ""))
    except ValueError:
        day = local(timezone.now()).date()
    span = "week" if request.GET.get("vue") == "semaine" else "day"
    scope = "clinic" if request.GET.get("portee") == "clinique" else "mine"
    period = agenda_period(day, span)
    appointments = agenda(request.user, period, scope=scope)
    return render(
        request,
        "scheduling/agenda.html",
        {"appointments": appointments, "period": period, "span": span, "scope": scope, "day": day},
    )


@login_required
def appointment_row(request: HttpRequest, public_id) -> HttpResponse:
    """The agenda row again, for the page to follow a link being made (not audited: the same view)."""
    appointment = appointments_visible_to(request.user).for_agenda().filter(public_id=public_id).first()
    if appointment is None:
        return HttpResponse(status=404)
    with_consent_states([appointment])
    return render(request, "scheduling/_appointment_row.html", {"appointment": appointment})


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, patient_id) -> HttpResponse:
    patient = access_patient(request.user, patient_id)
    clinics = list(clinics_where(request.user, Capability.BOOK_APPOINTMENT).filter(patients=patient))
    if not clinics:
        messages.error(request, _("This patient is not followed by a clinic where you book meetings."))
        return redirect("patient_detail", public_id=patient.public_id)
    colleagues = (
        User.objects.filter(
            is_active=True,
            memberships__clinic__in=clinics,
            memberships__role=ClinicMembership.Role.PROFESSIONAL,
        )
        .exclude(pk=request.user.pk)
        .distinct()
    )
    initial = {
        "platform": clinics[0].default_platform,
        "fallback_phone": patient.phone.as_national if patient.phone else "",
        "internet_ok": patient.internet_ok,
        "device_ok": patient.device_ok,
        "tablet_loan": patient.tablet_loan,
    }
    form = BookingForm(request.POST or None, initial=initial, colleagues=colleagues, clinics=clinics)
    guests = GuestFormSet(request.POST or None, prefix="guests")
    if request.method == "POST" and form.is_valid() and guests.is_valid():
        clinic = form.cleaned_data.get("clinic", clinics[0])
        participants = form.colleague_participants() + [g.participant() for g in guests if g.participant()]
        try:
            appointment = book_appointment(
                by=request.user,
                patient=patient,
                clinic=clinic,
                details=form.booking_details(),
                participants=participants,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except Conflict as conflict:
            form.add_error(None, conflict.message)
        else:
            messages.success(request, _("The meeting is booked. Its link and the invitations are on their way."))
            return redirect(f"{reverse('agenda')}?jour={local(appointment.start).date().isoformat()}")
    return render(request, "scheduling/book.html", {"form": form, "guests": guests, "patient": patient})


@login_required
def appointment_detail(request: HttpRequest, public_id) -> HttpResponse:
    appointment = access_appointment(request.user, public_id)
    with_consent_states([appointment])
    return render(
        request,
        "scheduling/appointment_detail.html",
        {
            **panel_context(request.user, appointment.patient, appointment=appointment),
            "recording_consented": recording_consented(appointment.patient, appointment.public_id),
            "appointment": appointment,
            "participants": appointment.participants.prefetch_related("notices"),
            "history": appointment.status_changes.select_related("changed_by"),
            "can_change": can_change_appointment(request.user, appointment),
            "outcome_form": OutcomeForm(),
            "cancel_form": CancelForm(),
        },
    )


@login_required
@require_POST
def cancel(request: HttpRequest, public_id) -> HttpResponse:
    appointment = access_appointment(request.user, public_id, for_change=True)
    form = CancelForm(request.POST)
    form.is_valid()
    cancel_appointment(appointment, by=request.user, reason=form.cleaned_data.get("reason", ""))
    messages.success(request, _("The appointment is cancelled; the participants are told."))
    return redirect("appointment_detail", public_id=appointment.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, public_id) -> HttpResponse:
    appointment = access_appointment(request.user, public_id, for_change=True)
    start = local(appointment.start)
    initial = {"date": start.date(), "time": start.time(), "duration_minutes": appointment.duration_minutes}
    form = RescheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            reschedule_appointment(
                appointment, by=request.user, start=form.start(), duration_minutes=form.cleaned_data["duration_minutes"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        except Conflict as conflict:
            form.add_error(None, conflict.message)
        else:
            messages.success(request, _("The appointment is moved; the participants get the new time."))
            return redirect("appointment_detail", public_id=appointment.public_id)
    return render(request, "scheduling/reschedule.html", {"form": form, "appointment": appointment})


@login_required
@require_POST
def outcome(request: HttpRequest, public_id) -> HttpResponse:
    appointment = access_appointment(request.user, public_id, for_change=True)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            record_outcome(
                appointment, by=request.user, outcome=form.cleaned_data["outcome"], details=form.cleaned_data["details"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except Conflict as conflict:
            messages.error(request, conflict.message)
        else:
            messages.success(request, _("The outcome is recorded."))
    else:
        messages.error(request, _("Choose what happened."))
    return redirect("appointment_detail", public_id=appointment.public_id)


@login_required
@require_POST
def retry(request: HttpRequest, public_id) -> HttpResponse:
    appointment = access_appointment(request.user, public_id, for_change=True)
    retry_meeting_and_notices(appointment, by=request.user)
    if request.headers.get("HX-Request"):
        appointment = appointments_visible_to(request.user).for_agenda().get(pk=appointment.pk)
        return render(request, "scheduling/_appointment_row.html", {"appointment": appointment})
    messages.success(request, _("The platform is asked again."))
    return redirect(
        request.POST.get("next") or reverse("appointment_detail", kwargs={"public_id": appointment.public_id})
    )


@login_required
@require_POST
def recorded(request: HttpRequest, public_id) -> HttpResponse:
    appointment = access_appointment(request.user, public_id, for_change=True)
    try:
        flag_recorded(appointment, by=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, _("The meeting is flagged as recorded."))
    return redirect("appointment_detail", public_id=appointment.public_id)
