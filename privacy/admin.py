"""The privacy officer's screens: the incident register (kept, exported for the CAI), legal holds, and
the read-only registers of communications and destructions."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.admin import EvidenceAdmin
from directory.models import Patient

from .csv_export import incidents_csv
from .models import CommunicationRecord, ConfidentialityIncident, DestructionRecord, LegalHold
from .services import INCIDENT_FIELDS, change_incident, lift_legal_hold, place_legal_hold, record_incident


def _show_saved(obj, saved) -> None:
    """The service saved its own copy: the admin's object takes its values for the redirect and the log."""
    for model_field in saved._meta.concrete_fields:
        setattr(obj, model_field.attname, getattr(saved, model_field.attname))
    obj._state.adding = False


@admin.action(description=_("Export the selected incidents as CSV (for the CAI)"))
def export_incidents_csv(modeladmin, request, queryset):
    return incidents_csv(queryset.select_related("recorded_by", "changed_by").order_by("occurred_from", "id"))


@admin.register(ConfidentialityIncident)
class ConfidentialityIncidentAdmin(admin.ModelAdmin):
    """Every incident goes in, serious or not. Nothing is ever deleted; saves go through the services."""

    list_display = ("occurred_from", "learned_from", "persons_concerned", "serious_injury_risk", "cai_notified_on")
    list_filter = ("serious_injury_risk",)
    date_hierarchy = "occurred_from"
    readonly_fields = ("public_id", "recorded_by", "created_at", "changed_by", "updated_at")
    actions = [export_incidents_csv]
    fieldsets = (
        (_("Information concerned"), {"fields": ("information_concerned", "information_unknown_reason")}),
        (_("Circumstances"), {"fields": ("circumstances",)}),
        (_("When"), {"fields": (("occurred_from", "occurred_until"), ("learned_from", "learned_until"))}),
        (_("Persons concerned"), {"fields": (("persons_concerned", "persons_estimated"),)}),
        (
            _("Risk of serious injury"),
            {
                "fields": (
                    "risk_sensitivity",
                    "risk_misuse",
                    "risk_consequences",
                    "risk_likelihood",
                    "serious_injury_risk",
                    "risk_conclusion",
                )
            },
        ),
        (
            _("Notices (when the risk is serious)"),
            {
                "fields": (
                    "cai_notified_on",
                    "minister_notified_on",
                    "persons_notified_on",
                    "public_notice_on",
                    "public_notice_details",
                )
            },
        ),
        (_("Measures taken"), {"fields": ("measures_taken",)}),
        (_("Register"), {"fields": ("public_id", "recorded_by", "created_at", "changed_by", "updated_at")}),
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the register is kept at least five years: no row ever leaves it

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in INCIDENT_FIELDS if name in form.cleaned_data}
        if change:
            saved = change_incident(ConfidentialityIncident.objects.get(pk=obj.pk), by=request.user, values=values)
        else:
            saved = record_incident(by=request.user, values=values)
        _show_saved(obj, saved)


class LegalHoldForm(forms.ModelForm):
    """Patients are not listed in the admin (their records open through the audited pages only): the
    hold names the patient by the identifier shown in the address of her page."""

    patient_public_id = forms.UUIDField(
        label=_("patient identifier"),
        required=False,
        help_text=_("The identifier in the address of the patient's page (…/patients/<identifier>/)."),
    )

    class Meta:
        model = LegalHold
        fields = ("reason", "lift_reason")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            public_id = cleaned.get("patient_public_id")
            patient = Patient.objects.filter(public_id=public_id).first() if public_id else None
            if patient is None:
                raise ValidationError({"patient_public_id": _("No patient has this identifier.")})
            if LegalHold.objects.active().filter(patient=patient).exists():
                raise ValidationError({"patient_public_id": _("This patient is already under a legal hold.")})
            cleaned["patient"] = patient
        return cleaned


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    form = LegalHoldForm
    list_display = ("placed_at", "reason", "placed_by", "lifted_at")
    list_filter = (("lifted_at", admin.EmptyFieldListFilter),)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("patient_public_id", "reason")
        return ("patient_reference", "reason", "placed_by", "placed_at", "lifted_by", "lifted_at", "lift_reason")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fixed = ("patient_reference", "reason", "placed_by", "placed_at", "lifted_by", "lifted_at")
        return fixed + (("lift_reason",) if not obj.is_active else ())

    @admin.display(description=_("patient identifier"))
    def patient_reference(self, obj) -> str:
        return str(obj.patient.public_id)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if change:
            if obj.is_active and form.cleaned_data.get("lift_reason"):
                lift_legal_hold(obj, by=request.user, reason=form.cleaned_data["lift_reason"])
            return
        saved = place_legal_hold(by=request.user, patient=form.cleaned_data["patient"], reason=obj.reason)
        _show_saved(obj, saved)


@admin.register(CommunicationRecord)
class CommunicationRecordAdmin(EvidenceAdmin):
    list_display = ("communicated_at", "document_kind", "recipient_kind", "recipient_name", "purpose", "channel")
    list_filter = ("recipient_kind", "channel", "purpose", "establishment")
    date_hierarchy = "communicated_at"


@admin.register(DestructionRecord)
class DestructionRecordAdmin(EvidenceAdmin):
    list_display = ("destroyed_at", "item", "item_id", "rule", "retention_days", "destroyed_by_label")
    list_filter = ("item", "rule")
    date_hierarchy = "destroyed_at"
