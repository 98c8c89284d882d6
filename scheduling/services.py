"""Booking, moving, cancelling and closing appointments; every participant hears of each change."""

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from celery import chain
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import record
from common.errors import Conflict, Invalid, NotAllowed, PermanentDeliveryError, TemporaryFailure
from common.outbox import hand_over
from common.time import local
from consent.models import ConsentKind
from consent.services import consent_in_force, recording_consented
from directory.models import Clinic, Patient, User
from directory.permissions import Capability, clinics_where
from virtualcare.models import Meeting
from virtualcare.services import cancel_meeting, move_meeting, plan_meeting, retry_meeting
from virtualcare.tasks import sync_meeting_task

from . import tasks
from .models import Appointment, Notice, Participant, StatusChange
from .notices import build_message

MIN_DURATION, MAX_DURATION = 5, 240
# A scheduled start a little in the past is a slow typist, not a mistake.
PAST_GRACE = timedelta(minutes=10)
MAX_REMINDER_HOURS = 7 * 24


@dataclass(frozen=True)
class ParticipantDetails:
    role: str
    name: str
    email: str = ""
    language: str = "fr"
    interpretation_language: str = ""
    user: User | None = None


@dataclass(frozen=True)
class BookingDetails:
    kind: str
    modality: str
    platform: str
    reason: str
    start: datetime | None  # ignored for an immediate meeting, which starts now
    duration_minutes: int
    reason_details: str = ""
    fallback_phone: str = ""
    internet_ok: bool | None = None
    device_ok: bool | None = None
    tablet_loan: str = "not_needed"
    pasted_link: str = ""


def book_appointment(
    *,
    by: User,
    patient: Patient,
    clinic: Clinic,
    details: BookingDetails,
    participants: Sequence[ParticipantDetails] = (),
) -> Appointment:
    """Book a meeting with the patient; its meeting link and invitations follow through the workers.

    Refuses a second booking of the organizer at the same time (Conflict, naming the meeting), even
    when two requests arrive together: the database's exclusion constraint (PostgreSQL) or its
    single writer (SQLite) is the last word.
    """
    if not clinics_where(by, Capability.BOOK_APPOINTMENT).filter(pk=clinic.pk).exists():
        raise NotAllowed(_("You cannot book meetings in this clinic."))
    if not patient.clinics.filter(pk=clinic.pk).exists():
        raise Invalid(_("This patient is not followed by this clinic."), field="clinic")
    start, end = _times(details)
    _check_booking(details)
    if details.modality == "video" and details.platform in ("teams", "zoom") and not by.email:
        raise Invalid(
            _("Your account has no network email address, which Teams and Zoom need: ask the administrator."),
            field="platform",
        )
    try:
        with transaction.atomic():
            appointment = _create(
                by=by,
                patient=patient,
                clinic=clinic,
                details=details,
                start=start,
                end=end,
                interpreter_languages=[p.interpretation_language for p in participants if p.role == "interpreter"],
            )
            _add_participants(appointment, patient=patient, organizer=by, extra=participants)
            _write_notices(appointment, Notice.Kind.INVITATION)
            record(actor=by, action=AuditEvent.Action.APPOINTMENT_BOOK, target=appointment, patient=patient)
            transaction.on_commit(partial(dispatch_appointment, appointment.pk))
    except IntegrityError as error:
        # Two bookings raced past the check: the constraint kept one; name the one that won.
        conflict = Appointment.objects.overlapping(organizer_id=by.pk, start=start, end=end).first()
        if conflict is None:
            raise
        raise Conflict(_conflict_message(conflict), code="double_booking") from error
    return appointment


def _create(
    *,
    by: User,
    patient: Patient,
    clinic: Clinic,
    details: BookingDetails,
    start: datetime,
    end: datetime,
    interpreter_languages: list[str],
) -> Appointment:
    # Bookings of one organizer wait for each other here, so the overlap check below sees the winner.
    # FOR NO KEY UPDATE: the audit entry's foreign key to this user is checked at commit with FOR KEY
    # SHARE, which a plain FOR UPDATE would block, deadlocking with the audit chain's lock.
    User.objects.select_for_update(no_key=True).filter(pk=by.pk).first()
    conflict = Appointment.objects.overlapping(organizer_id=by.pk, start=start, end=end).first()
    if conflict is not None:
        raise Conflict(_conflict_message(conflict), code="double_booking")
    appointment = Appointment(
        patient=patient,
        clinic=clinic,
        organizer=by,
        start=start,
        end=end,
        kind=details.kind,
        modality=details.modality,
        platform=details.platform if details.modality == Appointment.Modality.VIDEO else "",
        reason=details.reason,
        reason_details=details.reason_details,
        fallback_phone=details.fallback_phone or patient.phone,
        internet_ok=details.internet_ok,
        device_ok=details.device_ok,
        tablet_loan=details.tablet_loan,
    )
    appointment.full_clean(exclude=["meeting"])
    if appointment.is_video:
        appointment.meeting = plan_meeting(
            provider=appointment.platform,
            # The platform learns the clinic, never the patient.
            subject=_meeting_subject(clinic),
            start=start,
            end=end,
            organizer_email=by.email,
            organizer_name=by.get_full_name(),
            interpreter_languages=interpreter_languages,
            pasted_link=details.pasted_link,
        )
    appointment.save()
    StatusChange.objects.create(appointment=appointment, to_status=appointment.status, changed_by=by)
    return appointment


def _times(details: BookingDetails) -> tuple[datetime, datetime]:
    if not MIN_DURATION <= details.duration_minutes <= MAX_DURATION:
        raise ValidationError(
            {
                "duration_minutes": _("A meeting lasts between %(min)d and %(max)d minutes.")
                % {"min": MIN_DURATION, "max": MAX_DURATION}
            }
        )
    if details.kind == Appointment.Kind.IMMEDIATE:
        start = timezone.now().replace(second=0, microsecond=0)
    elif details.start is None:
        raise ValidationError({"start": _("Give the date and time of the meeting.")})
    else:
        # In UTC before adding the duration: an aware local time adds wall-clock minutes, and a
        # 30-minute meeting at 01:30 on the night the clock falls back would last 90.
        start = details.start.astimezone(UTC)
        if start < timezone.now() - PAST_GRACE:
            raise ValidationError({"start": _("This time has passed: choose a time to come.")})
    return start, start + timedelta(minutes=details.duration_minutes)


def _check_booking(details: BookingDetails) -> None:
    if details.modality == Appointment.Modality.VIDEO and not details.platform:
        raise ValidationError({"platform": _("Choose the video platform.")})
    is_reacts = details.modality == Appointment.Modality.VIDEO and details.platform == "reacts"
    if is_reacts and not details.pasted_link.startswith("https://"):
        raise ValidationError(
            {"pasted_link": _("REACTS has no connection with the portal: paste the meeting's https link.")}
        )
    if details.reason == "other" and not details.reason_details.strip():
        raise ValidationError({"reason_details": _("Say in a few words what the meeting is for.")})


def _add_participants(
    appointment: Appointment, *, patient: Patient, organizer: User, extra: Sequence[ParticipantDetails]
) -> None:
    Participant.objects.create(
        appointment=appointment,
        role=Participant.Role.PATIENT,
        name=f"{patient.first_name} {patient.last_name}",
        email=patient.email,
        language=patient.preferred_language,
    )
    Participant.objects.create(
        appointment=appointment,
        role=Participant.Role.PROFESSIONAL,
        name=organizer.get_full_name() or organizer.username,
        email=organizer.email,
        language=organizer.preferred_language,
        user=organizer,
    )
    for person in extra:
        participant = Participant(
            appointment=appointment,
            role=person.role,
            name=person.name.strip(),
            email=person.email.strip(),
            language=person.language,
            interpretation_language=person.interpretation_language,
            user=person.user,
        )
        participant.full_clean(exclude=["appointment", "user"])
        participant.save()


def _write_notices(appointment: Appointment, kind: str) -> list[Notice]:
    """One notice per participant who has an email address, for this version of the appointment."""
    notices = []
    for participant in appointment.participants.exclude(email=""):
        notice, _created = Notice.objects.get_or_create(
            participant=participant, kind=kind, sequence=appointment.sequence
        )
        notices.append(notice)
    return notices


@transaction.atomic
def reschedule_appointment(
    appointment: Appointment, *, by: User, start: datetime, duration_minutes: int
) -> Appointment:
    """Move the meeting at the platform and send everyone the calendar file that replaces the first."""
    appointment = Appointment.objects.select_for_update(no_key=True).get(pk=appointment.pk)
    if not appointment.can_be_changed():
        raise Conflict(_("Only a scheduled appointment can be moved."), code="not_scheduled")
    new_start, new_end = _times(
        BookingDetails(
            kind="scheduled", modality="", platform="", reason="", start=start, duration_minutes=duration_minutes
        )
    )
    if (new_start, new_end) == (appointment.start, appointment.end):
        return appointment
    User.objects.select_for_update(no_key=True).filter(pk=appointment.organizer_id).first()
    conflict = (
        Appointment.objects.overlapping(organizer_id=appointment.organizer_id, start=new_start, end=new_end)
        .exclude(pk=appointment.pk)
        .first()
    )
    if conflict is not None:
        raise Conflict(_conflict_message(conflict), code="double_booking")
    previous = {"start": appointment.start.isoformat(), "end": appointment.end.isoformat()}
    appointment.start, appointment.end = new_start, new_end
    appointment.sequence += 1
    appointment.save()
    if appointment.meeting_id:
        move_meeting(appointment.meeting, start=new_start, end=new_end)
    _write_notices(appointment, Notice.Kind.UPDATE)
    record(
        actor=by,
        action=AuditEvent.Action.APPOINTMENT_RESCHEDULE,
        target=appointment,
        patient=appointment.patient,
        details=previous,
    )
    transaction.on_commit(partial(dispatch_appointment, appointment.pk))
    return appointment


@transaction.atomic
def cancel_appointment(appointment: Appointment, *, by: User, reason: str = "") -> Appointment:
    """Cancel; the platform deletes the meeting and every participant gets a cancellation. Twice is once."""
    appointment = Appointment.objects.select_for_update(no_key=True).get(pk=appointment.pk)
    if appointment.status == Appointment.Status.CANCELLED:
        return appointment
    if not appointment.can_be_changed():
        raise Conflict(_("This appointment is already closed."), code="not_scheduled")
    _change_status(appointment, Appointment.Status.CANCELLED, by=by, note=reason)
    appointment.sequence += 1
    appointment.save()
    if appointment.meeting_id:
        cancel_meeting(appointment.meeting)
    # Reminders and invitations not yet sent are pointless now.
    Notice.objects.filter(participant__appointment=appointment, delivery_status="pending").exclude(
        kind=Notice.Kind.CANCELLATION
    ).update(delivery_status="failed", last_error="Appointment cancelled before sending.")
    _write_notices(appointment, Notice.Kind.CANCELLATION)
    record(actor=by, action=AuditEvent.Action.APPOINTMENT_CANCEL, target=appointment, patient=appointment.patient)
    transaction.on_commit(partial(dispatch_appointment, appointment.pk))
    return appointment


@transaction.atomic
def record_outcome(appointment: Appointment, *, by: User, outcome: str, details: str = "") -> Appointment:
    """Close the appointment once it has begun: held, patient absent, switched to phone, technical failure."""
    appointment = Appointment.objects.select_for_update(no_key=True).get(pk=appointment.pk)
    if outcome == Appointment.Status.CANCELLED:
        return cancel_appointment(appointment, by=by, reason=details)
    if outcome not in Appointment.OUTCOMES:
        raise ValidationError({"outcome": _("Choose what happened.")})
    if appointment.status == Appointment.Status.CANCELLED:
        raise Conflict(_("This appointment was cancelled."), code="cancelled")
    if appointment.start > timezone.now():
        raise Conflict(_("The meeting has not started yet: its outcome can be recorded once it has begun."))
    if outcome == Appointment.Status.HELD and not consent_in_force(
        appointment.patient, ConsentKind.TELEHEALTH, at=appointment.end
    ):
        # Consent given after the meeting cannot make it valid: it must be in force by its end.
        raise Conflict(
            _(
                "The patient's telehealth consent is missing for this meeting: record the verbal consent "
                "(read the script to the patient) before marking it held."
            ),
            code="telehealth_consent_missing",
        )
    if outcome == Appointment.Status.TECHNICAL_FAILURE and not details.strip():
        raise ValidationError({"details": _("Say what failed (sound, image, connection, platform...).")})
    if appointment.status == outcome and appointment.outcome_details == details:
        return appointment
    _change_status(appointment, outcome, by=by, note=details)
    appointment.outcome_details = details
    appointment.save()
    record(
        actor=by,
        action=AuditEvent.Action.APPOINTMENT_OUTCOME,
        target=appointment,
        patient=appointment.patient,
        details={"outcome": outcome},
    )
    return appointment


@transaction.atomic
def flag_recorded(appointment: Appointment, *, by: User) -> Appointment:
    """Mark that the meeting was recorded; refused without the recording consent of both parties."""
    appointment = Appointment.objects.select_for_update(no_key=True).get(pk=appointment.pk)
    if appointment.recorded:
        return appointment
    if not recording_consented(appointment.patient, appointment.public_id):
        raise Conflict(
            _("Recording needs the consent of both the patient and the professional, for this meeting."),
            code="recording_consent_missing",
        )
    appointment.recorded = True
    appointment.save(update_fields=["recorded", "updated_at"])
    record(actor=by, action=AuditEvent.Action.APPOINTMENT_RECORDED, target=appointment, patient=appointment.patient)
    return appointment


def _change_status(appointment: Appointment, status: str, *, by: User, note: str = "") -> None:
    StatusChange.objects.create(
        appointment=appointment, from_status=appointment.status, to_status=status, changed_by=by, note=note[:500]
    )
    appointment.status = status


@transaction.atomic
def write_due_reminders(*, now: datetime | None = None) -> list[Notice]:
    """Reminders for scheduled appointments whose clinic's reminder time has come; each written once.

    Returns the reminders written now; one not sent yet is the sweeper's (redeliver_pending).
    """
    now = now or timezone.now()
    written = []
    upcoming = Appointment.objects.filter(
        status=Appointment.Status.SCHEDULED, kind=Appointment.Kind.SCHEDULED, start__gt=now
    ).select_related("clinic")
    for appointment in upcoming.filter(start__lte=now + timedelta(hours=MAX_REMINDER_HOURS)):
        hours = appointment.clinic.reminder_hours_before
        if not hours or appointment.start - timedelta(hours=hours) > now:
            continue
        for participant in appointment.participants.exclude(email=""):
            notice, created = Notice.objects.get_or_create(
                participant=participant, kind=Notice.Kind.REMINDER, sequence=appointment.sequence
            )
            if created:
                written.append(notice)
    return written


def dispatch_appointment(appointment_id: int) -> None:
    """Hand the appointment's pending work to the workers: the meeting first, then the notices.

    Runs after the commit; if the broker is down, the sweeper (redeliver_pending) takes over.
    """
    appointment = Appointment.objects.select_related("meeting").get(pk=appointment_id)
    notices = tasks.send_appointment_notices_task.si(appointment_id)
    if appointment.meeting_id and appointment.meeting.pending_action:
        hand_over(
            lambda: chain(sync_meeting_task.si(appointment.meeting_id), notices).delay(),
            what=f"appointment {appointment_id}",
        )
    else:
        hand_over(notices.delay, what=f"appointment {appointment_id}")


def _meeting_subject(clinic: Clinic) -> str:
    return f"{clinic.name} — Téléconsultation"


def _conflict_message(conflict: Appointment) -> str:
    start = local(conflict.start)
    return _(
        "You already have a meeting at that time: %(patient)s, %(date)s from %(start)s to %(end)s. "
        "Choose another time or move that meeting first."
    ) % {
        "patient": f"{conflict.patient.first_name} {conflict.patient.last_name}",
        "date": start.strftime("%Y-%m-%d"),
        "start": start.strftime("%H:%M"),
        "end": local(conflict.end).strftime("%H:%M"),
    }


def deliver_notice(notice_id: int) -> Notice:
    """Send one notice once. A video invitation waits until the meeting link exists.

    The attempt is recorded before sending; a failure of the mail server is a TemporaryFailure.
    """
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",), no_key=True)
            .select_related("participant__appointment__meeting")
            .get(pk=notice_id)
        )
        if notice.delivery_status != "pending":
            return notice
        appointment = notice.participant.appointment
        if notice.kind != Notice.Kind.CANCELLATION and appointment.is_video and not appointment.meeting.is_ready:
            return notice  # sent by the sweeper (or the chain) once the platform gave the link
        notice.attempts += 1
        notice.last_attempt_at = timezone.now()
        notice.save(update_fields=["attempts", "last_attempt_at", "updated_at"])
    try:
        build_message(notice).send()
    except PermanentDeliveryError as error:
        Notice.objects.filter(pk=notice_id).update(delivery_status="failed", last_error=error.reason[:500])
        notice.refresh_from_db()
        return notice
    except (OSError, smtplib.SMTPException) as error:
        reason = f"Mail server: {error.__class__.__name__}"
        Notice.objects.filter(pk=notice_id).update(last_error=reason)
        raise TemporaryFailure(reason, retry_after=getattr(error, "retry_after", None)) from error
    Notice.objects.filter(pk=notice_id).update(
        delivery_status="done", delivered_at=timezone.now(), last_error="", updated_at=timezone.now()
    )
    notice.refresh_from_db()
    return notice


def give_up_on_notice(notice_id: int, reason: str) -> None:
    Notice.objects.filter(pk=notice_id, delivery_status="pending").update(
        delivery_status="failed", last_error=reason[:500]
    )


@transaction.atomic
def retry_meeting_and_notices(appointment: Appointment, *, by: User) -> Appointment:
    """The nurse's "retry" after a failure: ask the platform again, then send what waited."""
    appointment = Appointment.objects.select_related("meeting").get(pk=appointment.pk)
    if appointment.meeting_id and appointment.meeting.delivery_status == "failed":
        retry_meeting(appointment.meeting)
    Notice.objects.filter(participant__appointment=appointment, delivery_status="failed").exclude(
        last_error="Appointment cancelled before sending."
    ).update(delivery_status="pending", attempts=0, last_error="")
    record(actor=by, action=AuditEvent.Action.MEETING_RETRY, target=appointment, patient=appointment.patient)
    transaction.on_commit(partial(dispatch_appointment, appointment.pk))
    return appointment


def redeliver_pending(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Hand again to the workers what is still pending after a while (the broker may have lost it).

    A meeting still to be made goes with its appointment's notices behind it, as at booking.
    """
    now = timezone.now()
    stale = now - older_than
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    count = 0
    meetings = Meeting.objects.awaiting_provider().filter(due, updated_at__lt=stale)
    waiting_appointments = Appointment.objects.filter(meeting__in=meetings).values_list("pk", flat=True)
    for appointment_id in waiting_appointments:
        dispatch_appointment(appointment_id)
        count += 1
    notices = Notice.objects.pending().filter(due, updated_at__lt=stale)
    for notice in notices.select_related("participant__appointment__meeting"):
        appointment = notice.participant.appointment
        if notice.kind == Notice.Kind.CANCELLATION or not appointment.is_video or appointment.meeting.is_ready:
            tasks.send_notice_task.delay(notice.pk)
            count += 1
    return count
