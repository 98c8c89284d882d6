"""Where a document may go, and how: DOMAIN.md "Routing prescriptions and documents", in one place.

`ALLOWED` reads like the network's table: for each category, the recipients it may go to. Everything
else is refused, with a sentence that says why and what is allowed instead. `route()` answers, for one
prescription and one recipient, "may it go there, by which channel, and if not, why".

The channel follows from the recipient: an address on a secure domain of the network gets secure
email (with a read receipt), an organization without one gets the cloud fax, the patient gets a
download link by email (never the document itself), and clinical information never goes to an
ordinary email address.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from common.errors import NotAllowed
from consent.services import require_personal_email_consent
from directory.models import Recipient, SecureEmailDomain

from .models import Category, Channel, Prescription, Transmission

Kind = Recipient.Kind
PATIENT = "patient"

# What may go to whom (DOMAIN.md). A unit of the network receives anything but medication, which
# goes to a pharmacy only ("the only authorized recipient of a medication prescription is a pharmacy").
ALLOWED: dict[str, frozenset[str]] = {
    Category.MEDICATION: frozenset({Kind.COMMUNITY_PHARMACY, Kind.ESTABLISHMENT_PHARMACY}),
    Category.IMAGING: frozenset({Kind.IMAGING_LAB, Kind.RADIOLOGY_SERVICE}),
    Category.LABORATORY: frozenset({PATIENT, Kind.NETWORK_UNIT}),
    Category.REFERRAL: frozenset({PATIENT, Kind.PROFESSIONAL, Kind.NETWORK_UNIT}),
    Category.OTHER: frozenset({PATIENT, Kind.NETWORK_UNIT}),
}

# Categories that go to one recipient only: one pharmacy, the one lab the patient chose.
SINGLE_RECIPIENT = frozenset({Category.MEDICATION, Category.IMAGING})


@dataclass(frozen=True)
class Route:
    allowed: bool
    channel: str = ""
    address: str = ""
    reason: str = ""
    code: str = ""

    @property
    def channel_label(self) -> str:
        return str(Channel(self.channel).label) if self.channel else ""


def refuse(code: str, reason: str) -> Route:
    return Route(allowed=False, reason=reason, code=code)


def route(prescription: Prescription, recipient: Recipient | None) -> Route:
    """May this prescription go to this recipient (None: the patient), by which channel; if not, why."""
    category = prescription.category
    kind = PATIENT if recipient is None else recipient.kind
    if kind not in ALLOWED[category]:
        return refuse("recipient_not_allowed", _not_allowed_reason(category, kind))
    if recipient is not None and not recipient.is_active:
        return refuse("recipient_inactive", _("This recipient is no longer active in the directory."))
    if category == Category.LABORATORY and not prescription.callback_phone:
        return refuse(
            "urgent_contact_missing",
            _("Give the phone where you can be reached urgently: the laboratory calls it with critical values."),
        )
    if category in SINGLE_RECIPIENT and (other := _other_recipient(prescription, recipient)):
        return refuse("one_recipient_only", _one_recipient_reason(category, other))
    if kind == Kind.ESTABLISHMENT_PHARMACY and recipient.establishment_id != prescription.patient.establishment_id:
        return refuse(
            "other_establishment",
            _("This is the pharmacy of another establishment: choose your establishment's or a community pharmacy."),
        )
    if category == Category.IMAGING:
        refusal = _imaging_choice_refusal(prescription, recipient)
        if refusal:
            return refusal
    if category == Category.MEDICATION and not prescription.callback_phone:
        return refuse(
            "callback_phone_missing",
            _("Give the phone where the pharmacist can reach you: the fax must carry it."),
        )
    if recipient is None:
        return _patient_route(prescription)
    return _organization_route(recipient)


def _patient_route(prescription: Prescription) -> Route:
    patient = prescription.patient
    try:
        require_personal_email_consent(patient)
    except NotAllowed as missing:
        return refuse(missing.code, str(missing.message))
    if not patient.email:
        return refuse(
            "patient_email_missing",
            _("The patient has no email address on file: add it on the patient's page first."),
        )
    return Route(allowed=True, channel=Channel.PATIENT_LINK, address=patient.email)


def _organization_route(recipient: Recipient) -> Route:
    if recipient.email and SecureEmailDomain.objects.covers(recipient.email):
        return Route(allowed=True, channel=Channel.SECURE_EMAIL, address=recipient.email)
    if recipient.fax:
        return Route(allowed=True, channel=Channel.FAX, address=fax_digits(recipient))
    return refuse(
        "no_secure_channel",
        _(
            "%(name)s has no secure network address and no fax: clinical information never goes to an "
            "ordinary email address (Gmail, Hotmail…). Add their fax number to the directory and the "
            "document will go by cloud fax."
        )
        % {"name": recipient.name},
    )


def fax_digits(recipient: Recipient) -> str:
    """The number as the gateway wants it: E.164 without the plus (`15145551234`)."""
    return recipient.fax.as_e164.lstrip("+")


def _other_recipient(prescription: Prescription, recipient: Recipient | None) -> Transmission | None:
    if prescription.pk is None:
        return None
    transmissions = prescription.transmissions.active()
    if recipient is None:
        transmissions = transmissions.exclude(recipient__isnull=True)
    else:
        transmissions = transmissions.exclude(recipient=recipient)
    return transmissions.first()


def _one_recipient_reason(category: str, other: Transmission) -> str:
    if category == Category.MEDICATION:
        return _(
            "A medication prescription goes to one pharmacy only: it is already addressed to %(name)s. Cancel "
            "that transmission first if it must go elsewhere."
        ) % {"name": other.recipient_name}
    return _(
        "An imaging order goes to the one lab the patient chose: it is already addressed to %(name)s. Cancel "
        "that transmission first if the patient changed their choice."
    ) % {"name": other.recipient_name}


def _imaging_choice_refusal(prescription: Prescription, recipient: Recipient) -> Route | None:
    chosen = prescription.patient.imaging_lab
    if chosen is None:
        return refuse(
            "imaging_choice_missing",
            _("Ask the patient which imaging lab they choose and record it: an imaging order goes only there."),
        )
    if chosen.pk != recipient.pk:
        return refuse(
            "not_patients_imaging_choice",
            _(
                "The patient chose %(lab)s: an imaging order goes only to the lab the patient chose. Send it "
                "there, or record the patient's new choice first."
            )
            % {"lab": chosen.name},
        )
    return None


def _not_allowed_reason(category: str, kind: str) -> str:
    if category == Category.MEDICATION:
        if kind == PATIENT:
            return _(
                "A medication prescription never goes to the patient: the only allowed recipient is a pharmacy. "
                "Choose the patient's community pharmacy or the establishment's pharmacy."
            )
        return _(
            "A medication prescription goes only to a pharmacy: choose a community pharmacy or the "
            "establishment's pharmacy."
        )
    if category == Category.IMAGING:
        if kind == PATIENT:
            return _(
                "An imaging order never goes to the patient: send it to the imaging lab or radiology service "
                "the patient chose."
            )
        return _("An imaging order goes only to the imaging lab or radiology service the patient chose.")
    if category == Category.LABORATORY:
        return _(
            "A laboratory order goes to the patient, who takes it to the collection centre of their choice, "
            "or to a unit of the network."
        )
    if category == Category.REFERRAL:
        return _("A referral goes to the patient, to the professional it names, or to a unit of the network.")
    return _("This document goes to the patient or to a unit of the network.")


def candidates_for(category: str) -> frozenset[str]:
    """The recipient kinds offered for a category (PATIENT included when allowed)."""
    return ALLOWED[category]
