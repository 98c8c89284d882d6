"""Reads: the directory's recipients a prescription may be addressed to, the transmissions to follow."""

import re
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from common.errors import Invalid
from directory.models import Recipient, User

from .models import Prescription, Transmission
from .permissions import transmissions_visible_to
from .routing import PATIENT, candidates_for


def recipient_candidates(prescription: Prescription, text: str = "") -> QuerySet[Recipient]:
    """Active recipients of the kinds the category may go to, of the patient's establishment or of
    none (community pharmacies, private labs), searched by name, city or fax number."""
    kinds = [kind for kind in candidates_for(prescription.category) if kind != PATIENT]
    recipients = Recipient.objects.filter(kind__in=kinds, is_active=True).filter(
        Q(establishment__isnull=True) | Q(establishment_id=prescription.patient.establishment_id)
    )
    text = (text or "").strip()[:100]
    if text:
        condition = Q(name__icontains=text) | Q(city__icontains=text)
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 3:
            condition |= Q(fax__contains=digits)
        recipients = recipients.filter(condition)
    return recipients.order_by("kind", "name")


def transmissions_to_follow(user: User, *, status: str = "") -> QuerySet[Transmission]:
    transmissions = transmissions_visible_to(user).select_related(
        "prescription__patient", "prescription__document", "prescription__author"
    )
    if status:
        transmissions = transmissions.filter(status=status)
    return transmissions.order_by("-created_at")


def recipient_named(value: str) -> Recipient | None:
    """The recipient a form or the API names: a directory id, or `patient` (None)."""
    if value == "patient":
        return None
    try:
        public_id = UUID(str(value))
    except ValueError:
        public_id = None
    recipient = Recipient.objects.filter(public_id=public_id).first() if public_id else None
    if recipient is None:
        raise Invalid(_("Choose a recipient from the directory, or the patient."), field="recipient")
    return recipient
