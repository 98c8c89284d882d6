"""The banner every page of a patient shows while it is opened under an emergency access."""

from django import template

from directory.models import EmergencyAccess, Patient

register = template.Library()

# Where a patient's pages keep it in their context: the record itself, or what belongs to it.
_PATIENT_HOLDERS = ("patient", "note", "prescription", "appointment", "document")


@register.inclusion_tag("directory/_emergency_banner.html", takes_context=True)
def emergency_banner(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    patient = _patient_of(context)
    if patient is None or user is None or not user.is_authenticated or user.is_superuser:
        return {"grant": None}
    grant = EmergencyAccess.objects.active().filter(user=user, patient=patient).order_by("-expires_at").first()
    return {"grant": grant}


def _patient_of(context) -> Patient | None:
    for name in _PATIENT_HOLDERS:
        value = context.get(name)
        if isinstance(value, Patient):
            return value
        patient = getattr(value, "patient", None) if value is not None else None
        if isinstance(patient, Patient):
            return patient
    return None
