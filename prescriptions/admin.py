from django.contrib import admin

from common.admin import EvidenceAdmin

from .models import Prescription, Transmission


@admin.register(Prescription)
class PrescriptionAdmin(EvidenceAdmin):
    """Prescriptions are written, signed and sent in the portal; the admin only shows them."""

    list_display = ("__str__", "category", "status", "author", "created_at")
    list_filter = ("category", "status")


@admin.register(Transmission)
class TransmissionAdmin(EvidenceAdmin):
    list_display = ("recipient_name", "channel", "status", "attempts", "created_at")
    list_filter = ("channel", "status")
    exclude = ("link_token_hash",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name != "link_token_hash"]
