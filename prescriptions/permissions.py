"""Prescriptions are clinical: the professionals of the prescription's clinic and the archivists of
its establishment see them (a manager sees only figures); only the prescriber writes and signs."""

from uuid import UUID

from common.errors import NotFound
from directory.models import User
from directory.permissions import Capability, coverage

from .models import Prescription, Transmission


def prescriptions_visible_to(user: User):
    if not user.is_authenticated or not user.is_active:
        return Prescription.objects.none()
    prescriptions = Prescription.objects.exclude(status=Prescription.Status.DISCARDED)
    if user.is_superuser:
        return prescriptions
    fields = {"clinic_field": "clinic_id", "establishment_field": "patient__establishment_id"}
    return prescriptions.filter(
        coverage(user, Capability.PRESCRIBE, **fields) | coverage(user, Capability.REVIEW_DOCUMENTS, **fields)
    )


def access_prescription(user: User, public_id: UUID | str) -> Prescription:
    prescription = (
        prescriptions_visible_to(user)
        .select_related("patient__establishment", "clinic__installation", "appointment", "author", "document")
        .select_related("recipient", "patient__imaging_lab")
        .filter(public_id=public_id)
        .first()
    )
    if prescription is None:
        raise NotFound()
    return prescription


def transmissions_visible_to(user: User):
    return Transmission.objects.filter(prescription__in=prescriptions_visible_to(user))


def access_transmission(user: User, public_id: UUID | str) -> Transmission:
    transmission = (
        transmissions_visible_to(user)
        .select_related("prescription__patient", "prescription__document")
        .filter(public_id=public_id)
        .first()
    )
    if transmission is None:
        raise NotFound()
    return transmission
