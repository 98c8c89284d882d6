"""The emails participants receive, with their calendar file: in their language, with no clinical detail."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from common.time import local

from .models import Appointment, Notice, Participant

# Lets the tenant's mail-flow rule encrypt messages to patients (DESIGN.md, decision 2).
SENSITIVITY_HEADER = "X-Telesante-Sensitivity"
CALENDAR_DOMAIN = "telesante.portail"


def build_message(notice: Notice) -> EmailMultiAlternatives:
    participant = notice.participant
    appointment = participant.appointment
    with translation.override(participant.language):
        context = notice_context(notice)
        subject = render_to_string("emails/notice_subject.txt", context).strip()
        text = render_to_string("emails/notice.txt", context)
        html = render_to_string("emails/notice.html", context)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[participant.email],
            headers={
                "Message-ID": f"<{notice.public_id}@{CALENDAR_DOMAIN}>",
                SENSITIVITY_HEADER: "confidential" if participant.role != Participant.Role.PROFESSIONAL else "internal",
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(html, "text/html")
        method = "CANCEL" if notice.kind == Notice.Kind.CANCELLATION else "REQUEST"
        message.attach(
            "invitation.ics",
            calendar_file(appointment, participant, method=method, context=context),
            f"text/calendar; charset=utf-8; method={method}",
        )
    return message


def notice_context(notice: Notice) -> dict:
    participant = notice.participant
    appointment = participant.appointment
    clinic = appointment.clinic
    meeting = appointment.meeting
    return {
        "notice": notice,
        "kind": notice.kind,
        "participant": participant,
        "is_patient_side": participant.role != Participant.Role.PROFESSIONAL,
        "appointment": appointment,
        "start": local(appointment.start),
        "end": local(appointment.end),
        "duration": appointment.duration_minutes,
        "is_video": appointment.is_video,
        "platform": appointment.get_platform_display(),
        "join_url": participant_link(appointment, participant) if meeting and meeting.join_url else "",
        "host_url": appointment.host_link() if meeting and participant.user_id == appointment.organizer_id else "",
        "passcode": meeting.passcode if meeting else "",
        "clinic_name": clinic.name,
        "installation_name": clinic.installation.name,
        "clinic_phone": clinic.phone.as_national if clinic.phone else "",
        "support_phone": clinic.support_phone.as_national if clinic.support_phone else "",
        "fallback_phone": appointment.fallback_phone.as_national if appointment.fallback_phone else "",
        "organizer_name": appointment.organizer.get_full_name(),
    }


def participant_link(appointment: Appointment, participant: Participant) -> str:
    if appointment.meeting.provider == "jitsi":
        return appointment.jitsi_link(
            name=participant.name,
            email=participant.email,
            moderator=participant.role == Participant.Role.PROFESSIONAL,
        )
    return appointment.meeting.join_url


def calendar_file(appointment: Appointment, participant: Participant, *, method: str, context: dict) -> bytes:
    """An iCalendar invitation whose UID stays and whose SEQUENCE grows, so calendars replace it."""
    calendar = Calendar()
    calendar.add("prodid", "-//Telesante//Portail//FR")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{appointment.public_id}@{CALENDAR_DOMAIN}")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", appointment.updated_at)
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", _("Teleconsultation — %(clinic)s") % {"clinic": context["clinic_name"]})
    if context["join_url"]:
        event.add("location", context["join_url"])
    event.add("description", render_to_string("emails/notice_calendar.txt", context).strip())
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{appointment.organizer.email}")
    organizer.params["cn"] = vText(context["organizer_name"])
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{participant.email}")
    attendee.params["cn"] = vText(participant.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()
