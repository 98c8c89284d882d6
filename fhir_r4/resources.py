"""The portal's rows as FHIR R4 (4.0.1) resources: pure functions from a model to a JSON-ready dict.

Nothing here reads the database beyond the relations the selectors have already joined, and nothing
here decides who may see what (that is `selectors.py`, through each app's permission functions).

R4, not R5: fhir.resources 8.x defaults to R5 and has no R4 package, so the tests (and, when enabled,
the views) validate with its R4B (4.3.0) models. The six resources served here are the same in R4 and
R4B; only elements that exist in R4 are written. What differs from R5, and matters here:

- Appointment: no `virtualService` and no `class` in R4; the meeting goes in the HL7 cross-version
  extension (`VIRTUAL_SERVICE_EXTENSION`). R4 spells `cancelationReason` with one "l".
- Consent: R4 has `scope`, `category`, `patient`, `dateTime`, `performer`, `policyRule` and
  `provision.type`; R5 replaced them by `subject`, `date`, `grantor`/`grantee` and `decision`.
- MedicationRequest: R4 `medicationCodeableConcept` and `reasonCode` (R5: `medication` as a
  CodeableReference, and `reason`).
- DocumentReference: R4 keeps `context.related` and `docStatus`; `Attachment.hash` is SHA-1 and
  `Attachment.size` an unsignedInt (R5: integer64).
- The library checks cardinalities and types, not code bindings nor invariants (ppc-1, app-3…):
  the codes below are the R4 value sets' own, and the invariants are kept by construction.
"""

import base64
import hashlib
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from common.time import local
from consent.models import ConsentKind, ConsentRecord
from directory.models import Patient
from documentation.models import SignedDocument
from documentation.services import FORM_NAMES
from prescriptions.models import Category, MedicationLine, Prescription
from scheduling.models import Appointment, Participant

Resource = dict[str, Any]
# Turns a path of the portal into the absolute URL the client called (request.build_absolute_uri).
AbsoluteUrl = Callable[[str], str]

FHIR_VERSION = "4.0.1"
VIRTUAL_SERVICE_EXTENSION = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.virtualService"
VIRTUAL_SERVICE_TYPE = "http://hl7.org/fhir/virtual-service-type"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
V2_APPOINTMENT_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0276"
V3_PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/participant-type"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
LANGUAGE_TAGS = "urn:ietf:bcp:47"


def nam_system() -> str:
    """No canonical URI exists for the RAMQ number (integration-contracts §8.5): the deployment names it."""
    return getattr(settings, "FHIR_NAM_SYSTEM", "https://telesante.example/fhir/nam")


def portal_code_system(name: str) -> str:
    """The portal's own code systems, for the values no HL7 code system has (Jitsi, the AH forms…)."""
    base = getattr(settings, "FHIR_CODE_SYSTEM_BASE", "https://telesante.example/fhir/CodeSystem")
    return f"{base.rstrip('/')}/{name}"


def file_number_system(patient: Patient) -> str:
    # File numbers are unique within an establishment only (Patient.Meta), so the system names it.
    return f"urn:telesante:establishment:{patient.establishment.public_id}:file-number"


# -- small types ----------------------------------------------------------------------------------------


def instant(moment: datetime) -> str:
    """An R4 instant (seconds and a zone required), in Montréal time like the rest of the portal."""
    return local(moment).isoformat(timespec="seconds")


def coding(system: str, code: str, display: Any = None) -> dict[str, str]:
    result = {"system": system, "code": code}
    if display:
        result["display"] = str(display)
    return result


def concept(*codings: dict[str, str], text: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if codings:
        result["coding"] = list(codings)
    if text:
        result["text"] = str(text)
    return result


def patient_reference(patient: Patient) -> dict[str, str]:
    return {"reference": f"Patient/{patient.public_id}", "display": f"{patient.first_name} {patient.last_name}"}


def meta(updated_at: datetime) -> dict[str, str]:
    return {"lastUpdated": instant(updated_at)}


def signer_display(header: dict, fallback: Any) -> str:
    """The author as the signed document prints her: name, profession and practice number, frozen at signing."""
    name = " ".join(part for part in (header.get("author_first_name"), header.get("author_last_name")) if part)
    name = name or (fallback.get_full_name() or fallback.get_username())
    profession = header.get("author_profession") or ""
    number = header.get("author_practice_number") or ""
    details = ", ".join(part for part in (profession, number) if part)
    return f"{name} ({details})" if details else name


# -- Patient --------------------------------------------------------------------------------------------

GENDERS = {"F": "female", "M": "male", "X": "other"}
LANGUAGES = {"fr": ("fr-CA", "Français (Canada)"), "en": ("en-CA", "English (Canada)")}


def patient_resource(patient: Patient, absolute: AbsoluteUrl) -> Resource:
    identifiers = []
    if patient.nam:
        identifiers.append(
            {
                "use": "official",
                "type": concept(coding(V2_IDENTIFIER_TYPE, "JHN", "Jurisdictional health number (Canada)")),
                "system": nam_system(),
                "value": patient.nam,
                "assigner": {"display": "RAMQ"},
            }
        )
    identifiers.append(
        {
            "use": "usual",
            "type": concept(coding(V2_IDENTIFIER_TYPE, "MR", "Medical record number")),
            "system": file_number_system(patient),
            "value": patient.file_number,
            "assigner": {"display": patient.establishment.name},
        }
    )
    telecom = []
    for rank, phone in enumerate((patient.phone, patient.alternative_phone), start=1):
        if phone:
            telecom.append({"system": "phone", "value": phone.as_e164, "rank": rank})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    tag, language_name = LANGUAGES[patient.preferred_language]
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(patient.public_id),
        "meta": meta(patient.updated_at),
        "identifier": identifiers,
        "active": True,
        "name": [
            {
                "use": "official",
                "text": f"{patient.first_name} {patient.last_name}",
                "family": patient.last_name,
                "given": [patient.first_name],
            }
        ],
        # The RAMQ card's X marker has no R4 code of its own: `other` is the nearest.
        "gender": GENDERS[patient.sex],
        "birthDate": patient.date_of_birth.isoformat(),
        "communication": [
            {"language": concept(coding(LANGUAGE_TAGS, tag, language_name), text=language_name), "preferred": True}
        ],
        "managingOrganization": {"display": patient.establishment.name},
    }
    if telecom:
        resource["telecom"] = telecom
    if patient.postal_code:
        resource["address"] = [{"use": "home", "postalCode": patient.postal_code, "country": "CA"}]
    return resource


# -- Appointment ----------------------------------------------------------------------------------------

# The portal's statuses in R4's required value set. Two of them have no exact R4 twin:
# - switched_to_phone: the consultation took place, by phone → fulfilled, with serviceType phone and a comment;
# - technical_failure: it did not take place → cancelled, with the portal's status as cancelationReason.
APPOINTMENT_STATUSES = {
    Appointment.Status.SCHEDULED: "booked",
    Appointment.Status.HELD: "fulfilled",
    Appointment.Status.PATIENT_ABSENT: "noshow",
    Appointment.Status.SWITCHED_TO_PHONE: "fulfilled",
    Appointment.Status.TECHNICAL_FAILURE: "cancelled",
    Appointment.Status.CANCELLED: "cancelled",
}
NOT_ONE_TO_ONE_STATUSES = (Appointment.Status.SWITCHED_TO_PHONE, Appointment.Status.TECHNICAL_FAILURE)
APPOINTMENT_TYPES = {
    Appointment.Kind.SCHEDULED: ("ROUTINE", "Routine appointment - default if not valued"),
    Appointment.Kind.IMMEDIATE: ("WALKIN", "A previously unscheduled walk-in visit"),
}
# Teams and Zoom have codes in HL7's virtual-service-type; Jitsi and REACTS get the portal's own.
CHANNEL_TYPES = {
    "teams": (VIRTUAL_SERVICE_TYPE, "ms-teams", "Microsoft Teams"),
    "zoom": (VIRTUAL_SERVICE_TYPE, "zoom", "Zoom web conferencing"),
}
PARTICIPANT_TYPES = {
    Participant.Role.CAREGIVER: (V3_PARTICIPATION_TYPE, "PART", "Participation"),
    Participant.Role.INTERPRETER: (PARTICIPANT_TYPE, "translator", "Translator"),
}


def appointment_resource(appointment: Appointment, absolute: AbsoluteUrl) -> Resource:
    status = appointment.status
    modality = Appointment.Modality.PHONE if status == Appointment.Status.SWITCHED_TO_PHONE else appointment.modality
    type_code, type_display = APPOINTMENT_TYPES[appointment.kind]
    resource: Resource = {
        "resourceType": "Appointment",
        "id": str(appointment.public_id),
        "meta": meta(appointment.updated_at),
        "status": APPOINTMENT_STATUSES[status],
        "serviceType": [
            concept(
                coding(portal_code_system("appointment-modality"), modality, Appointment.Modality(modality).label),
                text=Appointment.Modality(modality).label,
            )
        ],
        "appointmentType": concept(coding(V2_APPOINTMENT_TYPE, type_code, type_display)),
        "reasonCode": [
            concept(
                coding(portal_code_system("appointment-reason"), appointment.reason, appointment.get_reason_display()),
                text=appointment.reason_details or appointment.get_reason_display(),
            )
        ],
        # Both or neither (app-3); the portal always knows them.
        "start": instant(appointment.start),
        "end": instant(appointment.end),
        "minutesDuration": appointment.duration_minutes,
        "created": instant(appointment.created_at),
        "participant": appointment_participants(appointment),
    }
    if status == Appointment.Status.TECHNICAL_FAILURE:
        resource["cancelationReason"] = concept(
            coding(portal_code_system("appointment-status"), status, appointment.get_status_display()),
            text=appointment.get_status_display(),
        )
    comment = "; ".join(
        part
        for part in (
            str(appointment.get_status_display()) if status in NOT_ONE_TO_ONE_STATUSES else "",
            appointment.outcome_details,
        )
        if part
    )
    if comment:
        resource["comment"] = comment
    virtual_service = virtual_service_extension(appointment)
    if virtual_service:
        resource["extension"] = [virtual_service]
    return resource


def appointment_participants(appointment: Appointment) -> list[dict[str, Any]]:
    """The patient as a reference, the others by name (app-1: each has an actor or a type)."""
    participants: list[dict[str, Any]] = [
        {"actor": patient_reference(appointment.patient), "required": "required", "status": "accepted"}
    ]
    for person in appointment.participants.all():
        if person.role == Participant.Role.PATIENT:
            continue
        if person.role == Participant.Role.PROFESSIONAL:
            organizer = person.user_id is not None and person.user_id == appointment.organizer_id
            kind = ("PPRF", "primary performer") if organizer else ("SPRF", "secondary performer")
            system, code, display = V3_PARTICIPATION_TYPE, *kind
        else:
            system, code, display = PARTICIPANT_TYPES[person.role]
        participants.append(
            {
                "type": [concept(coding(system, code, display), text=person.get_role_display())],
                "actor": {"display": person.name},
                "status": "accepted",
            }
        )
    return participants


def virtual_service_extension(appointment: Appointment) -> dict[str, Any] | None:
    """R5's Appointment.virtualService for R4 (HL7 cross-version extension), for a video meeting.

    Only the participants' join link leaves the portal: never the host link (Zoom's start_url logs
    whoever holds it in as the host) nor a Jitsi link with a moderator token.
    """
    if not appointment.is_video or appointment.meeting is None:
        return None
    meeting = appointment.meeting
    platform = meeting.provider
    system, code, display = CHANNEL_TYPES.get(
        platform, (portal_code_system("virtual-service-type"), platform, meeting.get_provider_display())
    )
    parts: list[dict[str, Any]] = [{"url": "channelType", "valueCoding": coding(system, code, display)}]
    if meeting.join_url and not meeting.deleted_at_provider:
        parts.append({"url": "address", "valueUrl": meeting.join_url})
    return {"url": VIRTUAL_SERVICE_EXTENSION, "extension": parts}


# -- Consent --------------------------------------------------------------------------------------------

# Telehealth consent is consent to a way of giving care; recording and documents by personal email are
# about what happens to the patient's information.
CONSENT_SCOPES = {
    ConsentKind.TELEHEALTH: ("treatment", "Treatment"),
    ConsentKind.RECORDING: ("patient-privacy", "Privacy Consent"),
    ConsentKind.PERSONAL_EMAIL: ("patient-privacy", "Privacy Consent"),
}


def consent_status(consent: ConsentRecord, *, superseded: bool) -> str:
    """Records are never changed (a withdrawal is a new record), so a grant is active only while no later
    record of the same patient, kind and party replaces it."""
    if consent.decision == ConsentRecord.Decision.REFUSED:
        return "rejected"
    if consent.decision == ConsentRecord.Decision.WITHDRAWN or superseded:
        return "inactive"
    return "active"


def consent_resource(consent: ConsentRecord, absolute: AbsoluteUrl) -> Resource:
    granted = consent.decision == ConsentRecord.Decision.GRANTED
    scope_code, scope_display = CONSENT_SCOPES[consent.kind]
    provision: dict[str, Any] = {
        "type": "permit" if granted else "deny",
        "code": [
            concept(
                coding(portal_code_system("consent-kind"), consent.kind, consent.get_kind_display()),
                text=consent.get_kind_display(),
            )
        ],
    }
    if consent.appointment_id:
        # A recording consent is given for one appointment.
        provision["data"] = [
            {"meaning": "related", "reference": {"reference": f"Appointment/{consent.appointment_id}"}}
        ]
    resource: Resource = {
        "resourceType": "Consent",
        "id": str(consent.public_id),
        "meta": meta(consent.updated_at),
        "status": consent_status(consent, superseded=getattr(consent, "superseded", False)),
        "scope": concept(coding(CONSENT_SCOPE, scope_code, scope_display)),
        "category": [
            concept(coding(LOINC, "59284-0", "Patient Consent")),
            # Recording needs the professional's consent too: say whose consent this record is.
            concept(
                coding(portal_code_system("consent-party"), consent.party, consent.get_party_display()),
                text=consent.get_party_display(),
            ),
        ],
        "patient": patient_reference(consent.patient),
        "dateTime": instant(consent.given_at),
        "performer": [{"display": consent.recorded_by.get_full_name() or consent.recorded_by.get_username()}],
        "organization": [{"display": consent.patient.establishment.name}],
        # ppc-1: a policy rule is always given.
        "policyRule": concept(
            coding(V3_ACT_CODE, "OPTIN" if granted else "OPTOUT", "opt-in" if granted else "opt-out")
        ),
        "provision": provision,
    }
    if consent.script_version is not None:
        # The versioned script that was read, so the record can tell exactly what the patient heard.
        resource["policy"] = [
            {"uri": f"urn:telesante:consent-script:{consent.kind}:{consent.language}:{consent.script_version}"}
        ]
    return resource


# -- DocumentReference ----------------------------------------------------------------------------------


def document_download_path(document: SignedDocument) -> str:
    """The REST API's download, which takes the same token as this FHIR API (the pages want a session)."""
    if document.kind == SignedDocument.Kind.PROGRESS_NOTE:
        return reverse("note-pdf", kwargs={"public_id": document.note.public_id})
    return reverse("prescription-pdf", kwargs={"public_id": document.prescription.public_id})


def document_reference_resource(document: SignedDocument, absolute: AbsoluteUrl) -> Resource:
    form_name = FORM_NAMES[document.kind]
    attachment: dict[str, Any] = {
        "contentType": "application/pdf",
        "title": document.file_name,
        "creation": instant(document.signed_at),
    }
    resource: Resource = {
        "resourceType": "DocumentReference",
        "id": str(document.public_id),
        "meta": meta(document.updated_at),
        "status": "current",
        # Signed documents never change: a correction is an addendum, a document of its own (relatesTo).
        "docStatus": "final",
        "type": concept(
            coding(portal_code_system("document-form"), document.kind, form_name),
            text=f"{document.kind} {form_name}",
        ),
        "subject": patient_reference(document.patient),
        "date": instant(document.signed_at),
        "author": [{"display": signer_display(document.header, document.author)}],
        "custodian": {"display": document.establishment.name},
        "content": [{"attachment": attachment}],
    }
    if document.pdf is not None:
        pdf = bytes(document.pdf)
        # The PDF is never inlined: the client downloads it, and the download is audited there.
        attachment["url"] = absolute(document_download_path(document))
        attachment["size"] = len(pdf)
        # R4 defines Attachment.hash as the SHA-1 of the data, in base64: an integrity check, not a secret.
        attachment["hash"] = base64.b64encode(hashlib.sha1(pdf, usedforsecurity=False).digest()).decode()
    else:
        resource["description"] = _(
            "Filed in the patient's record (reference %(reference)s); the portal no longer holds the PDF."
        ) % {"reference": document.record_reference or document.patient.file_number}
    note = getattr(document, "note", None) if document.kind == SignedDocument.Kind.PROGRESS_NOTE else None
    if note is not None and note.addendum_to_id and note.addendum_to.document_id:
        resource["relatesTo"] = [
            {"code": "appends", "target": {"reference": f"DocumentReference/{note.addendum_to.document.public_id}"}}
        ]
    appointment = document_appointment(document)
    if appointment is not None:
        resource["context"] = {
            "period": {"start": instant(appointment.start), "end": instant(appointment.end)},
            "related": [{"reference": f"Appointment/{appointment.public_id}"}],
        }
    return resource


def document_appointment(document: SignedDocument) -> Appointment | None:
    if document.kind == SignedDocument.Kind.PROGRESS_NOTE:
        source = getattr(document, "note", None)
    else:
        source = getattr(document, "prescription", None)
    return source.appointment if source is not None else None


# -- MedicationRequest and ServiceRequest (AH-251) ------------------------------------------------------


def medication_request_id(line: MedicationLine) -> str:
    """One MedicationRequest per drug: the prescription's id and the drug's rank (1, 2…), 38 to 40
    characters, within FHIR's 64. A signed prescription never changes, so the rank never moves."""
    return f"{line.prescription.public_id}-{line.position + 1}"


def allergy_note(prescription: Prescription) -> list[dict[str, str]]:
    if prescription.allergies:
        return [{"text": _("Allergies: %(allergies)s") % {"allergies": prescription.allergies}}]
    if prescription.no_known_allergies:
        return [{"text": _("No known allergies.")}]
    return []


def medication_request_resource(line: MedicationLine, absolute: AbsoluteUrl) -> Resource:
    prescription = line.prescription
    document = prescription.document
    medication = " ".join(part for part in (line.drug, line.strength, line.form) if part)
    dosage: dict[str, Any] = {
        "sequence": 1,
        "text": " ".join(part for part in (line.dose, line.route, line.frequency, line.duration) if part),
    }
    if line.route:
        dosage["route"] = concept(text=line.route)
    resource: Resource = {
        "resourceType": "MedicationRequest",
        "id": medication_request_id(line),
        "meta": meta(prescription.updated_at),
        # The drugs of one AH-251 form share its id, as FHIR groups the requests of one prescription.
        "groupIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{prescription.public_id}"},
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": concept(text=medication),
        "subject": patient_reference(prescription.patient),
        "authoredOn": instant(document.signed_at),
        "requester": {"display": signer_display(document.header, prescription.author)},
        "dosageInstruction": [dosage],
        "dispenseRequest": {"numberOfRepeatsAllowed": line.renewals},
    }
    if prescription.therapeutic_intent:
        resource["reasonCode"] = [concept(text=prescription.therapeutic_intent)]
    notes = allergy_note(prescription)
    if notes:
        resource["note"] = notes
    return resource


# SNOMED CT codes of R4's ServiceRequest category example value set, where one fits.
SERVICE_CATEGORIES = {
    Category.IMAGING: ("363679005", "Imaging"),
    Category.LABORATORY: ("108252007", "Laboratory procedure"),
}


def service_request_resource(prescription: Prescription, absolute: AbsoluteUrl) -> Resource:
    document = prescription.document
    codings = [
        coding(portal_code_system("prescription-category"), prescription.category, prescription.get_category_display())
    ]
    if prescription.category in SERVICE_CATEGORIES:
        codings.insert(0, coding(SNOMED, *SERVICE_CATEGORIES[prescription.category]))
    resource: Resource = {
        "resourceType": "ServiceRequest",
        "id": str(prescription.public_id),
        "meta": meta(prescription.updated_at),
        "status": "active",
        "intent": "order",
        "category": [concept(*codings, text=prescription.get_category_display())],
        "code": concept(text=prescription.instructions.strip() or prescription.get_category_display()),
        "subject": patient_reference(prescription.patient),
        "authoredOn": instant(document.signed_at),
        "requester": {"display": signer_display(document.header, prescription.author)},
    }
    performers = recipient_names(prescription)
    if performers:
        resource["performer"] = [{"display": name} for name in performers]
    notes = allergy_note(prescription)
    if notes:
        resource["note"] = notes
    return resource


def recipient_names(prescription: Prescription) -> list[str]:
    """Who was sent the order (a lab, a unit, a professional); a copy to the patient makes her no performer."""
    names: dict[str, None] = {}
    for transmission in prescription.transmissions.all():
        if transmission.status != transmission.Status.CANCELLED and not transmission.to_patient:
            names[transmission.recipient_name] = None
    return list(names)


# -- Bundle, OperationOutcome, CapabilityStatement ------------------------------------------------------


def search_bundle(
    entries: Iterable[tuple[str, Resource]], *, total: int, links: dict[str, str], timestamp: datetime
) -> Resource:
    return {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": instant(timestamp)},
        "type": "searchset",
        "timestamp": instant(timestamp),
        "total": total,
        "link": [{"relation": relation, "url": url} for relation, url in links.items()],
        "entry": [
            {"fullUrl": full_url, "resource": resource, "search": {"mode": "match"}} for full_url, resource in entries
        ],
    }


def operation_outcome(code: str, diagnostics: str, *, severity: str = "error") -> Resource:
    """`code` comes from R4's IssueType: invalid, not-found, not-supported, login, forbidden, exception…"""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": str(diagnostics)}],
    }


# When these capabilities last changed (CapabilityStatement.date is required).
CAPABILITIES_DATE = date(2026, 11, 23)


def capability_statement(*, base_url: str, resources: Iterable[tuple[str, dict[str, tuple[str, str]]]]) -> Resource:
    """What this server does; `resources` pairs each type with its search parameters (name: type, documentation)."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITIES_DATE.isoformat(),
        "publisher": "Télésanté",
        "kind": "instance",
        "software": {"name": "Télésanté"},
        "implementation": {"description": _("FHIR R4 view of the teleconsultation portal"), "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["json", "application/fhir+json", "application/json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "description": _(
                        "Send the portal's API token (Authorization: Token <key>, from POST /api/v1/auth/token/) "
                        "or use a signed-in session. Each person sees only what the portal shows her."
                    ),
                },
                "resource": [
                    {
                        "type": resource_type,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "versioning": "no-version",
                        "readHistory": False,
                        "updateCreate": False,
                        "searchParam": [
                            {"name": name, "type": kind, "documentation": str(documentation)}
                            for name, (kind, documentation) in parameters.items()
                        ],
                    }
                    for resource_type, parameters in resources
                ],
            }
        ],
    }


MAPPERS: dict[str, Callable[[Any, AbsoluteUrl], Resource]] = {
    "Patient": patient_resource,
    "Appointment": appointment_resource,
    "Consent": consent_resource,
    "DocumentReference": document_reference_resource,
    "MedicationRequest": medication_request_resource,
    "ServiceRequest": service_request_resource,
}
