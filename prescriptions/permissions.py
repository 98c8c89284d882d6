"""Prescriptions are clinical: the professionals of the prescription's clinic and the archivists of
its establishment see them (a manager sees only figures); only the prescriber writes and signs."""

from uuid import UUID

from common.errors import NotFound
from directory.models import User
from directory.permissions import Capability, coverage

from .models import Prescription, Transmission


def prescriptions_visible_to(user: User, *, under_emergency_access: bool = True):
    """Those of the patients an emergency access opens too, unless `under_emergency_access` is False."""
    if not user.is_authenticated or not user.is_active:
        return Prescription.objects.none()
    prescriptions = Prescription.objects.exclude(status=Prescription.Status.DISCARDED)
    if user.is_superuser:
        return prescriptions
    fields = {"clinic_field": "clinic_id", "establishment_field": "patient__establishment_id"}
    if under_emergency_access:
        fields["patient_field"] = "patient_id"
    # Reading clinical documents is what the prescribers of the clinic and the archivists of the
    # establishment share (the role table says so): the same rule as notes.
    return prescriptions.filter(coverage(user, Capability.READ_CLINICAL, **fields))


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
    # Transmissions are acted on (retried, cancelled): an emergency access, read-only, does not reach them.
    return Transmission.objects.filter(prescription__in=prescriptions_visible_to(user, under_emergency_access=False))


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
