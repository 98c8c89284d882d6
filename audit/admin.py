from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is evidence, nobody edits or deletes it, not even an administrator."""

    list_display = (
        "occurred_at",
        "actor_username",
        "action",
        "channel",
        "target_type",
        "patient_id",
        "ip_address",
    )
    list_filter = ("action", "channel")
    search_fields = ("actor_username", "target_id", "patient_id")
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        return {}
