"""One register row for every transmission queued before the register existed.

Repeats privacy.rules on purpose (a migration imports nothing from the app). Can be rerun: a
transmission that already has its row is skipped. The reverse removes nothing the app wrote later
than this migration could know, so it is a no-op.
"""

from django.db import migrations

PURPOSE_BY_RECIPIENT_KIND = {
    "patient": "patient_copy",
    "medical_archives": "record_keeping",
    "community_pharmacy": "dispensing",
    "establishment_pharmacy": "dispensing",
    "imaging_lab": "examination",
    "radiology_service": "examination",
}
PURPOSE_BY_CATEGORY = {
    "medication": "dispensing",
    "imaging": "examination",
    "laboratory": "examination",
    "referral": "continuity_of_care",
    "other": "continuity_of_care",
}


def legal_basis(recipient_kind: str) -> str:
    if recipient_kind == "patient":
        return "person_concerned"
    if recipient_kind == "medical_archives":
        return "record_keeping"
    return "care"


def backfill(apps, schema_editor):
    Transmission = apps.get_model("prescriptions", "Transmission")
    CommunicationRecord = apps.get_model("privacy", "CommunicationRecord")
    done = set(CommunicationRecord.objects.values_list("transmission_id", flat=True))
    pending = Transmission.objects.exclude(pk__in=done).select_related("prescription__patient", "recipient")
    rows = []
    for transmission in pending.iterator(chunk_size=500):
        prescription = transmission.prescription
        recipient = transmission.recipient
        kind = recipient.kind if recipient is not None else "patient"
        rows.append(
            CommunicationRecord(
                transmission=transmission,
                patient_id=prescription.patient_id,
                establishment_id=prescription.patient.establishment_id,
                document_kind="AH-251",
                document_category=prescription.category,
                recipient_kind=kind,
                recipient=recipient,
                recipient_name=recipient.name if recipient is not None else "",
                purpose=PURPOSE_BY_RECIPIENT_KIND.get(kind)
                or PURPOSE_BY_CATEGORY.get(prescription.category, "continuity_of_care"),
                legal_basis=legal_basis(kind),
                channel=transmission.channel,
                communicated_at=transmission.created_at,
                communicated_by_id=transmission.requested_by_id,
            )
        )
        if len(rows) >= 500:
            CommunicationRecord.objects.bulk_create(rows)
            rows = []
    CommunicationRecord.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_registers_holds_and_destructions"),
        ("prescriptions", "0001_prescriptions_and_transmissions"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
