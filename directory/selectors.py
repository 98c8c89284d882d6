"""Reads that assemble patients with the audit trail, and that leave their own trace."""

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.utils.text import capfirst

from audit.models import AuditEvent, AuditEventQuerySet
from audit.services import record

from .models import Patient, User
from .permissions import patients_visible_to


def patient_page(user: User, page_number: str | None, *, per_page: int = 25) -> Page:
    """One page of the patients the user covers, by name; the names shown are audited as a listing."""
    page = Paginator(patients_visible_to(user).for_listing(), per_page).get_page(page_number)
    record_patient_listing(user, list(page.object_list), query_kind="list")
    return page


def search_patients(user: User, query: str, *, limit: int) -> list[Patient]:
    patients = list(patients_visible_to(user).search(query).for_listing()[:limit])
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
