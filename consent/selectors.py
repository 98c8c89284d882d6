"""What the consent panel shows: each kind's state and the script to read, in the chosen language."""

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from directory.models import Patient

from .models import ConsentKind, ConsentRecord, ConsentScript


@dataclass(frozen=True)
class ConsentLine:
    kind: str
    label: str
    state: str  # granted, refused, withdrawn or missing
    latest: ConsentRecord | None
    script: ConsentScript | None


def consent_panel(patient: Patient, *, language: str) -> list[ConsentLine]:
    records = list(
        ConsentRecord.objects.filter(patient=patient, party="patient").select_related("recorded_by").latest_first()
    )
    lines = []
    for kind, label in ConsentKind.choices:
        latest = next((r for r in records if r.kind == kind), None)
        lines.append(
            ConsentLine(
                kind=kind,
                label=label,
                state=latest.decision if latest else "missing",
                latest=latest,
                script=ConsentScript.objects.current(kind, language),
            )
        )
    return lines


def consent_history(patient: Patient) -> list[ConsentRecord]:
    return list(ConsentRecord.objects.filter(patient=patient).select_related("recorded_by", "script").latest_first())


def telehealth_state_of(patient_field: str = "patient_id"):
    """The current telehealth consent state of the row's patient, as an expression a list can carry
    (the agenda reads it with its appointments, in the same query)."""
    latest = (
        ConsentRecord.objects.filter(patient_id=OuterRef(patient_field), kind="telehealth", party="patient")
        .latest_first()
        .values("decision")[:1]
    )
    return Coalesce(Subquery(latest), Value("missing"))


def telehealth_states(patient_ids: set[int]) -> dict[int, str]:
    """The current telehealth consent state of each patient, in one query (for the agenda)."""
    states: dict[int, str] = {}
    records = ConsentRecord.objects.filter(
        patient_id__in=patient_ids, kind="telehealth", party="patient"
    ).latest_first()
    for patient_id, decision in records.values_list("patient_id", "decision"):
        states.setdefault(patient_id, decision)
    return states
