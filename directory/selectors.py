"""Reads that assemble patients with the audit trail, and that leave their own trace."""

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.text import capfirst

from audit.models import AuditEvent, AuditEventQuerySet
from audit.services import record

from . import nam as nam_rules
from .models import EmergencyAccess, Patient, User
from .permissions import can_request_emergency_access, emergency_accesses_reviewable_by, patients_visible_to


def patient_page(user: User, page_number: str | None, *, per_page: int = 25) -> Page:
    """One page of the patients the user covers, by name; the names shown are audited as a listing."""
    page = Paginator(patients_visible_to(user).for_listing(), per_page).get_page(page_number)
    record_patient_listing(user, list(page.object_list), query_kind="list")
    return page


def search_patients(user: User, query: str, *, limit: int) -> list[Patient]:
    # Ordered by an expression, not the name's index: with the index, PostgreSQL walks every patient
    # in name order hoping to meet the few matches early (1.2 s among 200,000); this way it takes the
    # matches from the search indexes and sorts them (20 ms). Same order: search_name is lower case.
    matches = patients_visible_to(user).search(query).for_listing().order_by(Lower("search_name"), "id")
    patients = list(matches[:limit])
    record_patient_listing(user, patients, query_kind="search")
    return patients


def recent_patients_of(user: User, *, limit: int = 8) -> list[Patient]:
    """The patients whose record the user opened lately, most recent first (still visible to her)."""
    opened = (
        AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.PATIENT_VIEW)
        .order_by("-occurred_at")
        .values_list("patient_id", flat=True)[:200]
    )
    recent_ids = list(dict.fromkeys(opened))[:limit]
    patients = {p.public_id: p for p in patients_visible_to(user).filter(public_id__in=recent_ids)}
    return [patients[public_id] for public_id in recent_ids if public_id in patients]


def patient_access_history(user: User, patient: Patient) -> AuditEventQuerySet:
    """Who saw or changed this patient's record; reading it is itself recorded."""
    record(actor=user, action=AuditEvent.Action.PATIENT_HISTORY_VIEW, target=patient, patient=patient)
    return AuditEvent.objects.for_patient(patient.public_id)


def label_changed_fields(events) -> None:
    """Give each event of a page the names of the fields it changed, as the patient form shows them."""
    for event in events:
        names = event.details.get("fields", []) if isinstance(event.details, dict) else []
        event.changed_labels = [
            capfirst(Patient._meta.get_field(name).verbose_name) for name in names if _is_patient_field(name)
        ]


def _is_patient_field(name: str) -> bool:
    try:
        Patient._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def record_patient_listing(user: User, patients: list[Patient], *, query_kind: str) -> None:
    # The search words may be a name or a NAM: only the kind of query and the ids shown are kept.
    record(
        actor=user,
        action=AuditEvent.Action.PATIENT_SEARCH,
        details={"query": query_kind, "shown": [str(p.public_id) for p in patients]},
    )


def records_outside_clinics(user: User, query: str) -> list[Patient]:
    """The patients matching exactly this NAM or file number that the user does not cover, for a professional
    who may open one in an emergency. The page says only that a record matches: nothing of it is shown,
    but that it exists is written to the audit trail."""
    text = (query or "").strip()
    if not text or not can_request_emergency_access(user):
        return []
    condition = Q(file_number__iexact=text)
    compact = nam_rules.normalize(text)
    if nam_rules.NAM_PATTERN.match(compact):
        condition |= Q(nam=compact)
    patients = list(
        Patient.objects.filter(condition).exclude(pk__in=patients_visible_to(user).values("pk")).order_by("id")[:5]
    )
    if patients:
        record_patient_listing(user, patients, query_kind="outside_clinics")
    return patients


def emergency_accesses_to_review_count(user: User) -> int:
    return emergency_accesses_reviewable_by(user).to_review().count()


def emergency_access_page(user: User, page_number: str | None, *, status: str = "", per_page: int = 50) -> Page:
    grants = emergency_accesses_reviewable_by(user).for_listing()
    if status == "to_review":
        grants = grants.to_review()
    elif status == "reviewed":
        grants = grants.filter(reviewed_at__isnull=False)
    page = Paginator(grants, per_page).get_page(page_number)
    # The list names patients: it is a listing like any other, and audited as one.
    record_patient_listing(user, [grant.patient for grant in page.object_list], query_kind="emergency_accesses")
    return page


def readings_under(grant: EmergencyAccess) -> AuditEventQuerySet:
    """What the holder opened of this patient's record while her grant ran, for the archivist's review."""
    return AuditEvent.objects.filter(
        actor_id=grant.user_id,
        patient_id=grant.patient.public_id,
        occurred_at__gte=grant.granted_at,
        occurred_at__lte=grant.expires_at,
    ).order_by("occurred_at")
