"""Who may see and do what with patients, written once for the pages and the API.

A professional covers the patients followed by her clinics; an archivist or a manager covers every
patient of the establishments of their clinics; an administrator (superuser) covers everyone.
Whatever a person does not cover does not exist for them: they get a 404, never a hint.

One exception widens this, in `coverage` and nowhere else: a professional's active emergency access
(break-the-glass, `EmergencyAccess`) lets her read one patient outside her clinics, its appointments,
notes and prescriptions, until it expires. It never lets her write.
"""

from uuid import UUID

from django.db.models import Exists, OuterRef, Q

from audit.models import AuditEvent
from audit.services import record
from common.errors import NotAllowed, NotFound

from .models import Clinic, ClinicMembership, EmergencyAccess, Patient, User

Role = ClinicMembership.Role


class Capability:
    VIEW_PATIENT = "patient.view"
    CREATE_PATIENT = "patient.create"
    CHANGE_PATIENT = "patient.change"
    VIEW_PATIENT_HISTORY = "patient.history"
    VIEW_APPOINTMENT = "appointment.view"
    BOOK_APPOINTMENT = "appointment.book"
    RECORD_CONSENT = "consent.record"
    REVIEW_DOCUMENTS = "document.review"
    PRESCRIBE = "prescription.write"
    VIEW_DASHBOARD = "dashboard.view"
    # Clinical documents (notes, prescriptions): read by the care team and the archives, written by
    # the care team. A manager sees figures, not clinical text.
    READ_CLINICAL = "clinical.read"
    WRITE_CLINICAL = "clinical.write"
    # Break-the-glass: a professional opens a record outside her clinics; the archives review it.
    REQUEST_EMERGENCY_ACCESS = "emergency_access.request"
    REVIEW_EMERGENCY_ACCESS = "emergency_access.review"


# The one table from roles to what they allow.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.PROFESSIONAL: frozenset(
        {
            Capability.VIEW_PATIENT,
            Capability.CREATE_PATIENT,
            Capability.CHANGE_PATIENT,
            Capability.VIEW_APPOINTMENT,
            Capability.BOOK_APPOINTMENT,
            Capability.RECORD_CONSENT,
            Capability.PRESCRIBE,
            Capability.READ_CLINICAL,
            Capability.WRITE_CLINICAL,
            Capability.REQUEST_EMERGENCY_ACCESS,
        }
    ),
    Role.ARCHIVIST: frozenset(
        {
            Capability.VIEW_PATIENT,
            Capability.CHANGE_PATIENT,
            Capability.VIEW_PATIENT_HISTORY,
            Capability.VIEW_APPOINTMENT,
            Capability.REVIEW_DOCUMENTS,
            Capability.READ_CLINICAL,
            Capability.REVIEW_EMERGENCY_ACCESS,
        }
    ),
    Role.MANAGER: frozenset({Capability.VIEW_PATIENT, Capability.VIEW_APPOINTMENT, Capability.VIEW_DASHBOARD}),
}
ESTABLISHMENT_WIDE_ROLES = (Role.ARCHIVIST, Role.MANAGER)
# What an emergency access lends, on its one patient: reading, nothing else (no booking, no signing,
# no transmission, no consent, no change to the record).
EMERGENCY_CAPABILITIES = frozenset({Capability.VIEW_PATIENT, Capability.VIEW_APPOINTMENT, Capability.READ_CLINICAL})


def roles_of(user: User) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        cached = set(user.memberships.values_list("role", flat=True))
        user._portal_roles = cached
    return cached


def has_capability(user: User, capability: str) -> bool:
    """May the user do this anywhere (to show a menu or a button)?"""
    if user.is_authenticated and user.is_superuser:
        return True
    return any(capability in ROLE_CAPABILITIES[role] for role in roles_of(user))


def clinics_where(user: User, capability: str):
    """The clinics in which the user holds a role that allows the capability (all, for an administrator)."""
    if user.is_superuser:
        return Clinic.objects.with_structure()
    roles = [role for role, capabilities in ROLE_CAPABILITIES.items() if capability in capabilities]
    return Clinic.objects.with_structure().filter(memberships__user=user, memberships__role__in=roles).distinct()


def coverage(
    user: User, capability: str, *, clinic_field: str, establishment_field: str, patient_field: str | None = None
) -> Q:
    """The condition, on any model, that the user holds the capability over its rows.

    A clinic role covers the rows of its clinic (`clinic_field`), an establishment-wide role those of
    the clinic's establishment (`establishment_field`). Patients and appointments both use it. Given
    the row's patient (`patient_field`), a reading capability also covers the patients of the user's
    active emergency accesses.
    """
    roles = [role for role, capabilities in ROLE_CAPABILITIES.items() if capability in capabilities]
    clinic_roles = [role for role in roles if role not in ESTABLISHMENT_WIDE_ROLES]
    wide_roles = [role for role in roles if role in ESTABLISHMENT_WIDE_ROLES]
    memberships = ClinicMembership.objects.filter(user=user)
    condition = Q(pk__in=[])
    if clinic_roles:
        condition |= Q(**{f"{clinic_field}__in": memberships.filter(role__in=clinic_roles).values("clinic_id")})
    if wide_roles:
        establishments = memberships.filter(role__in=wide_roles).values("clinic__installation__establishment_id")
        condition |= Q(**{f"{establishment_field}__in": establishments})
    if patient_field is not None and capability in EMERGENCY_CAPABILITIES:
        condition |= Q(**{f"{patient_field}__in": emergency_patient_ids(user)})
    return condition


def emergency_patient_ids(user: User):
    """The patients of the user's emergency accesses still running (a subquery, evaluated by the database).

    Only while she is still a professional somewhere: a grant does not outlive the role it was given for.
    """
    if not user.is_authenticated:
        return EmergencyAccess.objects.none().values("patient_id")
    return (
        EmergencyAccess.objects.active()
        .filter(user=user, user__memberships__role=Role.PROFESSIONAL)
        .values("patient_id")
    )


def _coverage(user: User, capability: str) -> Q:
    """The condition on patients: followed by a covered clinic, or of a covered establishment."""
    # Through a subquery: a patient followed by two covered clinics must come back once.
    covered = Patient.objects.filter(
        coverage(user, capability, clinic_field="clinics", establishment_field="establishment_id", patient_field="pk")
    )
    return Q(pk__in=covered.values("pk"))


def patients_covered(user: User, capability: str):
    """The patients over whom the user holds the capability."""
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    if user.is_superuser:
        return Patient.objects.all()
    return Patient.objects.filter(_coverage(user, capability))


def patients_visible_to(user: User):
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    if user.is_superuser:
        return Patient.objects.all()
    return Patient.objects.filter(_coverage(user, Capability.VIEW_PATIENT))


def can(user: User, capability: str, patient: Patient) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Patient.objects.filter(_coverage(user, capability), pk=patient.pk).exists()


def can_change_patient(user: User, patient: Patient) -> bool:
    return can(user, Capability.CHANGE_PATIENT, patient)


def can_view_patient_history(user: User, patient: Patient) -> bool:
    return can(user, Capability.VIEW_PATIENT_HISTORY, patient)


def access_patient(
    user: User, public_id: UUID | str, *, capability: str = Capability.VIEW_PATIENT, audited: bool = True
) -> Patient:
    """The patient, if the user may see it; a 404 otherwise, and a 403 if seen but not allowed.

    Opening a record to read it is written to the audit trail here, so no page or API call can
    forget it. A change is audited by its service instead, as one event.
    """
    patient = (
        patients_visible_to(user)
        .select_related("establishment")
        .annotate(under_emergency_access=Exists(emergency_patient_ids(user).filter(patient_id=OuterRef("pk"))))
        .filter(public_id=public_id)
        .first()
    )
    if patient is None:
        record(actor=user, action=AuditEvent.Action.PATIENT_ACCESS_DENIED, target_id=str(public_id)[:64])
        raise NotFound()
    if capability != Capability.VIEW_PATIENT and not can(user, capability, patient):
        raise NotAllowed()
    if capability == Capability.VIEW_PATIENT and audited:
        # A reading under an emergency access says so, for the archivists who review the grant.
        details = {"emergency_access": True} if patient.under_emergency_access else None
        record(actor=user, action=AuditEvent.Action.PATIENT_VIEW, target=patient, patient=patient, details=details)
    return patient


# -- emergency accesses (break-the-glass) ------------------------------------------------------------


def can_request_emergency_access(user: User) -> bool:
    """A professional (nurse, physician) of some clinic; not a manager, not an archivist, not an administrator
    (who already sees every record)."""
    if not user.is_authenticated or not user.is_active or user.is_superuser:
        return False
    return any(Capability.REQUEST_EMERGENCY_ACCESS in ROLE_CAPABILITIES[role] for role in roles_of(user))


def emergency_accesses_reviewable_by(user: User):
    """The grants on the patients of the establishments where the user is an archivist (all, for an administrator)."""
    if not user.is_authenticated or not user.is_active:
        return EmergencyAccess.objects.none()
    if user.is_superuser:
        return EmergencyAccess.objects.all()
    return EmergencyAccess.objects.filter(
        coverage(
            user,
            Capability.REVIEW_EMERGENCY_ACCESS,
            clinic_field="patient__clinics",
            establishment_field="patient__establishment_id",
        )
    )


def can_review_emergency_access(user: User, grant: EmergencyAccess) -> bool:
    return emergency_accesses_reviewable_by(user).filter(pk=grant.pk).exists()


def access_emergency_access(user: User, public_id: UUID | str) -> EmergencyAccess:
    """A grant the user reviews; a 404 for anyone else (the grant names a patient)."""
    grant = emergency_accesses_reviewable_by(user).for_listing().filter(public_id=public_id).first()
    if grant is None:
        raise NotFound()
    return grant
