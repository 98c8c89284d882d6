from django import template

from ..permissions import can_export_patient, can_read_communications

register = template.Library()


@register.simple_tag(takes_context=True)
def may_export_patient(context, patient) -> bool:
    """For the patient's page: show the export button to the archivists of her establishment."""
    user = context["request"].user
    return can_export_patient(user, patient)


@register.simple_tag(takes_context=True)
def may_read_communications(context) -> bool:
    return can_read_communications(context["request"].user)
