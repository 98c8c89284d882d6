from django.contrib import admin

from common.admin import EvidenceAdmin

from .models import Note, SignedDocument


@admin.register(Note)
class NoteAdmin(EvidenceAdmin):
    """Notes are written and signed in the portal; the admin only shows them."""

    list_display = ("__str__", "status", "author", "created_at")
    list_filter = ("status",)


@admin.register(SignedDocument)
class SignedDocumentAdmin(EvidenceAdmin):
    """A signed document never changes; the archives review it in the portal."""

    list_display = ("file_name", "kind", "review_status", "delivery_status", "signed_at", "author")
    list_filter = ("kind", "review_status", "delivery_status")
    exclude = ("pdf",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name != "pdf"]
