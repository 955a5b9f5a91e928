"""The ADT feed in the Django admin: sources are configured here; messages are evidence
and only read."""

from django.contrib import admin

from relais.audit.admin import AuditedAdminMixin
from relais.stays.models import AdtMessage, AdtSource


@admin.register(AdtSource)
class AdtSourceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["sending_facility", "hospital"]
    search_fields = ["sending_facility", "hospital__name"]
    autocomplete_fields = ["hospital"]


@admin.register(AdtMessage)
class AdtMessageAdmin(admin.ModelAdmin):
    """Read-only: what a hospital sent, and what Relais answered, is never edited."""

    list_display = ["received_at", "sender", "control_id", "event", "status", "hospital",
                    "patient_id"]
    list_filter = ["status", "event"]
    search_fields = ["control_id", "sender", "patient_id"]
    date_hierarchy = "received_at"
    list_select_related = ["hospital"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
