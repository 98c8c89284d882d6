"""What each FHIR resource type reads: the apps' own permission functions, joined for the mappers.

No rule is written here: who sees a row is decided by `patients_visible_to`, `appointments_visible_to`,
`notes_visible_to` and `prescriptions_visible_to`, exactly as for the pages and the REST API.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import Invalid
from consent.models import ConsentKind, ConsentRecord
from directory.models import Patient, User
from directory.permissions import patients_visible_to
from documentation.models import SignedDocument
from documentation.permissions import notes_visible_to
from prescriptions.models import Category, MedicationLine, Prescription, Transmission
from prescriptions.permissions import prescriptions_visible_to
from scheduling.permissions import appointments_visible_to

from .search import parse_uuid

PATIENT_PARAMETER = ("reference", gettext_lazy("The patient: Patient/<id> or the id alone."))
_MEDICATION_REQUEST_ID = re.compile(r"^(?P<prescription>[0-9a-fA-F-]{36})-(?P<rank>[1-9][0-9]{0,2})$")


@dataclass(frozen=True)
class ResourceKind:
    """One FHIR resource type: its rows for a user, how to find one by id, and what `patient` and `date` search."""

    name: str
    visible_to: Callable[[User], QuerySet]
    id_condition: Callable[[str], Q]
    patient_of: Callable[[Any], Patient]
    # The lookup from a row to its patient; None for Patient itself (searched by _id only).
    patient_field: str | None
    date_field: str | None
    date_documentation: Any = ""
    ordering: tuple[str, ...] = field(default=("pk",))

    def search_parameters(self) -> dict[str, tuple[str, Any]]:
        parameters = {"_id": ("token", gettext_lazy("The resource's id (several, separated by commas)."))}
        if self.patient_field:
            parameters["patient"] = PATIENT_PARAMETER
        if self.date_field:
            parameters["date"] = ("date", self.date_documentation)
        return parameters

    def audit_target(self, row: Any) -> Any:
        """The portal row an audit event names (a drug line has no public id: its prescription does)."""
        return row.prescription if isinstance(row, MedicationLine) else row


def public_id_condition(value: str) -> Q:
    return Q(public_id=parse_uuid(value, field="_id"))


def medication_request_condition(value: str) -> Q:
    match = _MEDICATION_REQUEST_ID.match(value.strip())
    if match is None:
        raise Invalid(
            _("A MedicationRequest id is the prescription's id followed by the drug's rank, such as <uuid>-1."),
            field="_id",
        )
    prescription = parse_uuid(match["prescription"], field="_id")
    return Q(prescription__public_id=prescription, position=int(match["rank"]) - 1)


def visible_patients(user: User) -> QuerySet:
    return patients_visible_to(user).select_related("establishment")


def visible_appointments(user: User) -> QuerySet:
    return appointments_visible_to(user).select_related("patient", "meeting").prefetch_related("participants")


def visible_consents(user: User) -> QuerySet:
    """Consent records of the patients the user covers, each told whether a later record replaced it."""
    later = ConsentRecord.objects.filter(
        patient_id=OuterRef("patient_id"), kind=OuterRef("kind"), party=OuterRef("party")
    ).filter(Q(given_at__gt=OuterRef("given_at")) | Q(given_at=OuterRef("given_at"), pk__gt=OuterRef("pk")))
    # A recording consent is given for one appointment; a withdrawal (which names none) ends them all.
    replacing = later.filter(
        ~Q(kind=ConsentKind.RECORDING) | Q(appointment_id=OuterRef("appointment_id")) | Q(appointment_id__isnull=True)
    )
    return (
        ConsentRecord.objects.filter(patient__in=patients_visible_to(user))
        .annotate(superseded=Exists(replacing))
        .select_related("patient__establishment", "recorded_by")
    )


def visible_documents(user: User) -> QuerySet:
    """Signed notes follow the notes' rule, signed prescriptions the prescriptions' (not a manager's)."""
    return SignedDocument.objects.filter(
        Q(pk__in=notes_visible_to(user).values("document_id"))
        | Q(pk__in=prescriptions_visible_to(user).values("document_id"))
    ).select_related(
        "patient",
        "establishment",
        "author",
        "note__appointment",
        "note__addendum_to__document",
        "prescription__appointment",
    )


def visible_medication_lines(user: User) -> QuerySet:
    signed = prescriptions_visible_to(user).filter(status=Prescription.Status.SIGNED, category=Category.MEDICATION)
    return MedicationLine.objects.filter(prescription__in=signed).select_related(
        "prescription__patient", "prescription__document", "prescription__author"
    )


def visible_service_requests(user: User) -> QuerySet:
    return (
        prescriptions_visible_to(user)
        .filter(status=Prescription.Status.SIGNED)
        .exclude(category=Category.MEDICATION)
        .select_related("patient", "document", "author")
        .prefetch_related(Prefetch("transmissions", queryset=Transmission.objects.order_by("created_at", "id")))
    )


RESOURCE_KINDS: dict[str, ResourceKind] = {
    kind.name: kind
    for kind in (
        ResourceKind(
            name="Patient",
            visible_to=visible_patients,
            id_condition=public_id_condition,
            patient_of=lambda patient: patient,
            patient_field=None,
            date_field=None,
            ordering=("search_name", "pk"),
        ),
        ResourceKind(
            name="Appointment",
            visible_to=visible_appointments,
            id_condition=public_id_condition,
            patient_of=lambda appointment: appointment.patient,
            patient_field="patient",
            date_field="start",
            date_documentation=gettext_lazy("When the appointment starts."),
            ordering=("start", "pk"),
        ),
        ResourceKind(
            name="Consent",
            visible_to=visible_consents,
            id_condition=public_id_condition,
            patient_of=lambda consent: consent.patient,
            patient_field="patient",
            date_field="given_at",
            date_documentation=gettext_lazy("When the consent was given, refused or withdrawn."),
            ordering=("given_at", "pk"),
        ),
        ResourceKind(
            name="DocumentReference",
            visible_to=visible_documents,
            id_condition=public_id_condition,
            patient_of=lambda document: document.patient,
            patient_field="patient",
            date_field="signed_at",
            date_documentation=gettext_lazy("When the document was signed."),
            ordering=("signed_at", "pk"),
        ),
        ResourceKind(
            name="MedicationRequest",
            visible_to=visible_medication_lines,
            id_condition=medication_request_condition,
            patient_of=lambda line: line.prescription.patient,
            patient_field="prescription__patient",
            date_field="prescription__document__signed_at",
            date_documentation=gettext_lazy("When the prescription was signed."),
            ordering=("prescription__document__signed_at", "prescription_id", "position"),
        ),
        ResourceKind(
            name="ServiceRequest",
            visible_to=visible_service_requests,
            id_condition=public_id_condition,
            patient_of=lambda prescription: prescription.patient,
            patient_field="patient",
            date_field="document__signed_at",
            date_documentation=gettext_lazy("When the prescription was signed."),
            ordering=("document__signed_at", "pk"),
        ),
    )
}
