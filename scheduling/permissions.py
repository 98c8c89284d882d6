"""Who sees which appointments: the same coverage as patients (directory.permissions), by clinic."""

from uuid import UUID

from audit.models import AuditEvent
from audit.services import record
from common.errors import NotAllowed, NotFound
from directory.models import User
from directory.permissions import Capability, coverage

from .models import Appointment


def appointments_visible_to(user: User, capability: str = Capability.VIEW_APPOINTMENT):
    if not user.is_authenticated or not user.is_active:
        return Appointment.objects.none()
    if user.is_superuser:
        return Appointment.objects.all()
    return Appointment.objects.filter(
        coverage(
            user,
            capability,
            clinic_field="clinic_id",
            establishment_field="clinic__installation__establishment_id",
            patient_field="patient_id",
        )
    )


def can_change_appointment(user: User, appointment: Appointment) -> bool:
    return appointments_visible_to(user, Capability.BOOK_APPOINTMENT).filter(pk=appointment.pk).exists()


def access_appointment(user: User, public_id: UUID | str, *, for_change: bool = False) -> Appointment:
    """The appointment if the user covers its clinic (404 otherwise); reading it is audited."""
    appointment = (
        appointments_visible_to(user)
        .select_related("patient", "clinic__installation", "organizer", "meeting")
        .filter(public_id=public_id)
        .first()
    )
    if appointment is None:
        raise NotFound()
    if for_change:
        if not can_change_appointment(user, appointment):
            raise NotAllowed()
    else:
        record(actor=user, action=AuditEvent.Action.APPOINTMENT_VIEW, target=appointment, patient=appointment.patient)
    return appointment
