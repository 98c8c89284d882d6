"""The administrator's screens: the network's structure, staff and the recipient directory.

Patients are not administered here: their records are opened through the audited pages only.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import (
    Clinic,
    ClinicMembership,
    Establishment,
    Installation,
    Recipient,
    SecureEmailDomain,
    User,
)
from .sign_in import deactivate_account, reset_second_factor


class InstallationInline(admin.TabularInline):
    model = Installation
    extra = 0
    fields = ("name", "city", "phone")
    show_change_link = True


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ("name", "phone")
    search_fields = ("name",)
    inlines = [InstallationInline]


class ClinicInline(admin.TabularInline):
    model = Clinic
    extra = 0
    fields = ("name", "phone", "default_platform", "support_phone")
    show_change_link = True


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    list_display = ("name", "establishment", "city", "phone")
    list_filter = ("establishment",)
    search_fields = ("name", "city")
    inlines = [ClinicInline]


class MembershipInline(admin.TabularInline):
    model = ClinicMembership
    extra = 0
    autocomplete_fields = ("clinic",)


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "installation", "default_platform", "phone", "support_phone")
    list_filter = ("installation__establishment", "default_platform")
    search_fields = ("name", "installation__name")
    list_select_related = ("installation",)


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ("username", "last_name", "first_name", "profession", "practice_number", "is_active")
    list_filter = ("profession", "is_active", "is_superuser", "memberships__role")
    search_fields = ("username", "last_name", "first_name", "email", "practice_number")
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Identity"), {"fields": ("last_name", "first_name", "email", "phone", "preferred_language")}),
        (_("Practice"), {"fields": ("profession", "practice_number")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Identity"), {"fields": ("last_name", "first_name", "email", "profession", "practice_number")}),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ["reset_second_factor_action", "deactivate_action"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Unticking "active" ends the account's sessions and deletes its API tokens.
            deactivate_account(obj, by=request.user)

    @admin.action(description=_("Reset the second factor (a new app is set up at the next sign-in)"))
    def reset_second_factor_action(self, request, queryset):
        for user in queryset:
            reset_second_factor(user, by=request.user)
        self.message_user(
            request,
            ngettext(
                "The second factor of %(count)d account was reset.",
                "The second factor of %(count)d accounts was reset.",
                len(queryset),
            )
            % {"count": len(queryset)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Deactivate (ends every session and API token)"))
    def deactivate_action(self, request, queryset):
        for user in queryset:
            deactivate_account(user, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d account was deactivated.", "%(count)d accounts were deactivated.", len(queryset))
            % {"count": len(queryset)},
            messages.SUCCESS,
        )


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "city", "phone", "fax", "email", "is_active")
    list_filter = ("kind", "is_active", "establishment")
    search_fields = ("name", "city", "fax", "email")


@admin.register(SecureEmailDomain)
class SecureEmailDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "description")
    search_fields = ("domain",)
