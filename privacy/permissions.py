"""Who may read the privacy registers and export a patient's information.

The archives answer access requests and keep the register of communications, for the establishments
where the person is an archivist; an administrator (the privacy officer) covers every establishment.
"""

from uuid import UUID

from directory.models import Patient, User
from directory.permissions import Capability, access_patient, can, coverage, has_capability

from .models import CommunicationRecord

# The archivist's capabilities: reviewing documents (the register) and reading a patient's history (the export).
REGISTER_CAPABILITY = Capability.REVIEW_DOCUMENTS
EXPORT_CAPABILITY = Capability.VIEW_PATIENT_HISTORY


def can_read_communications(user: User) -> bool:
    return user.is_authenticated and user.is_active and has_capability(user, REGISTER_CAPABILITY)


def communications_visible_to(user: User):
    """The register's rows of the establishments where the user is an archivist (all, for an administrator)."""
    if not can_read_communications(user):
        return CommunicationRecord.objects.none()
    rows = CommunicationRecord.objects.select_related("patient", "communicated_by")
    if user.is_superuser:
        return rows
    return rows.filter(
        coverage(user, REGISTER_CAPABILITY, clinic_field="patient__clinics", establishment_field="establishment_id")
    )


def can_export_patient(user: User, patient: Patient) -> bool:
    return can(user, EXPORT_CAPABILITY, patient)


def access_patient_for_export(user: User, public_id: UUID | str) -> Patient:
    """404 for a patient the user does not see, 403 for one seen without the archivist's role."""
    return access_patient(user, public_id, capability=EXPORT_CAPABILITY)
