from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from relais.accounts.models import Membership, Organisation, User, Ward
from relais.audit.admin import AuditedAdminMixin
from relais.core.models import CareZone, Municipality, Postcode


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "organisation"]


class WardInline(admin.TabularInline):
    model = Ward
    extra = 0


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "kind", "profession", "is_active"]
    list_filter = ["kind", "profession", "is_active", "is_superuser"]
    search_fields = ["email", "first_name", "last_name", "riziv_number"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "phone", "language", "kind"]}),
        (_("Profession"), {"fields": ["profession", "riziv_number"]}),
        (_("Rights"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "password1", "password2"]})]
    inlines = [MembershipInline]


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "type", "kbo_number", "municipality", "is_active"]
    list_filter = ["type", "is_active", "municipality__care_zone"]
    search_fields = ["name", "kbo_number"]
    inlines = [WardInline, MembershipInline]


@admin.register(Membership)
class MembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "organisation", "function", "is_manager", "started_on", "ended_on"]
    list_filter = ["function", "is_manager"]
    search_fields = ["user__email", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


# --- the geography (core's models; their changes are audited like any other) ----------


class PostcodeInline(admin.TabularInline):
    model = Postcode
    extra = 0


@admin.register(CareZone)
class CareZoneAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_nl", "name_en"]


@admin.register(Municipality)
class MunicipalityAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["nis_code", "name_fr", "name_nl", "care_zone"]
    list_filter = ["care_zone"]
    inlines = [PostcodeInline]
