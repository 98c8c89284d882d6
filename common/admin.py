from django.contrib import admin


class EvidenceAdmin(admin.ModelAdmin):
    """Read-only screens for evidence (the audit trail, consent records): nobody edits or deletes them."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        return {}
