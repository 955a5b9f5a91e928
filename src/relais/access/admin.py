from django.contrib import admin

from relais.access.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is browsed, never edited."""

    list_display = ["seq", "occurred_at", "actor_label", "organisation", "action", "target_type",
                    "target_id", "outcome"]
    list_filter = ["outcome", "action", "break_glass"]
    search_fields = ["actor_label", "action", "target_id", "request_id"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
