from django.contrib import admin

from relais.audit.admin import AuditedAdminMixin
from relais.directory.models import Agreement, Service


@admin.register(Service)
class ServiceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "organisation", "category", "capacity", "urgent_start", "status",
                    "verified_on"]
    list_filter = ["category", "capacity", "urgent_start", "status"]
    search_fields = ["name_nl", "name_fr", "organisation__name"]
    filter_horizontal = ["municipalities", "care_zones"]


@admin.register(Agreement)
class AgreementAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "hospital", "partner", "starts_on", "ends_on"]
    list_filter = ["kind"]
