"""Why a document goes where it goes, in the register's words: pure rules, no database.

The backfill migration (0002) repeats this table on purpose (a migration imports nothing from the
app); change both together.
"""

from prescriptions.models import Category

from .models import LegalBasis, Purpose, RecipientKind

PURPOSE_BY_RECIPIENT_KIND = {
    RecipientKind.PATIENT: Purpose.PATIENT_COPY,
    RecipientKind.MEDICAL_ARCHIVES: Purpose.RECORD_KEEPING,
    RecipientKind.COMMUNITY_PHARMACY: Purpose.DISPENSING,
    RecipientKind.ESTABLISHMENT_PHARMACY: Purpose.DISPENSING,
    RecipientKind.IMAGING_LAB: Purpose.EXAMINATION,
    RecipientKind.RADIOLOGY_SERVICE: Purpose.EXAMINATION,
}
PURPOSE_BY_CATEGORY = {
    Category.MEDICATION: Purpose.DISPENSING,
    Category.IMAGING: Purpose.EXAMINATION,
    Category.LABORATORY: Purpose.EXAMINATION,
    Category.REFERRAL: Purpose.CONTINUITY_OF_CARE,
    Category.OTHER: Purpose.CONTINUITY_OF_CARE,
}


def purpose_for(*, recipient_kind: str, category: str) -> str:
    """The recipient says it first (a pharmacy dispenses); a unit or a professional by the category."""
    return PURPOSE_BY_RECIPIENT_KIND.get(recipient_kind) or PURPOSE_BY_CATEGORY.get(
        category, Purpose.CONTINUITY_OF_CARE
    )


def legal_basis_for(*, recipient_kind: str) -> str:
    if recipient_kind == RecipientKind.PATIENT:
        return LegalBasis.PERSON_CONCERNED
    if recipient_kind == RecipientKind.MEDICAL_ARCHIVES:
        return LegalBasis.RECORD_KEEPING
    return LegalBasis.CARE
