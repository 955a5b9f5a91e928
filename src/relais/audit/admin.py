"""The audit log in the Django admin (read-only), and the mixin that audits the changes
platform administrators make there like any other."""

from django.contrib import admin

from relais.audit import log as audit
from relais.audit.log import Actions
from relais.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is browsed, never edited."""

    list_display = ["id", "occurred_at", "actor_label", "organisation", "action", "target_type",
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

class AuditedAdminMixin:
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(Actions.ADMIN_CHANGE, actor=request.user, target=obj,
                     detail={"operation": "change" if change else "add",
                             "fields": sorted(form.changed_data)})

    def delete_model(self, request, obj):
        target_type, target_id = audit.target_of(obj)
        super().delete_model(request, obj)
        audit.record(Actions.ADMIN_CHANGE, actor=request.user, target_type=target_type,
                     target_id=target_id, detail={"operation": "delete"})

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
