from django.contrib import admin

from common.admin import EvidenceAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(EvidenceAdmin):
    """The trail is evidence: read-only, even for an administrator."""

    list_display = ("occurred_at", "actor_username", "action", "channel", "target_type", "patient_id", "ip_address")
    list_filter = ("action", "channel")
    search_fields = ("actor_username", "target_id", "patient_id")
    date_hierarchy = "occurred_at"
