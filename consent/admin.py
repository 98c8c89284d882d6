from django.contrib import admin

from common.admin import EvidenceAdmin

from .models import ConsentRecord, ConsentScript


@admin.register(ConsentScript)
class ConsentScriptAdmin(admin.ModelAdmin):
    """Saving a script makes a new version: records keep pointing to the version that was read."""

    list_display = ("kind", "language", "version", "created_at")
    list_filter = ("kind", "language")
    fields = ("kind", "language", "text")

    def get_readonly_fields(self, request, obj=None):
        return ("kind", "language") if obj else ()

    def save_model(self, request, obj, form, change):
        latest = ConsentScript.objects.current(obj.kind, obj.language)
        new_version = ConsentScript(
            kind=obj.kind,
            language=obj.language,
            text=obj.text,
            version=(latest.version if latest else 0) + 1,
            created_by=request.user,
        )
        new_version.save()
        obj.pk, obj.id, obj.public_id = new_version.pk, new_version.pk, new_version.public_id

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(EvidenceAdmin):
    """A consent's history is evidence: read-only."""

    list_display = ("given_at", "kind", "party", "decision", "method", "language", "script_version", "recorded_by")
    list_filter = ("kind", "decision", "method")
