from django.contrib import admin

from relais.core.admin_audit import AuditedAdminMixin
from relais.core.models import CareZone, Municipality, Postcode


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
