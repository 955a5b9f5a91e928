"""Platform administrators' changes in the Django admin are audited like any other."""

from relais.access import audit
from relais.access.audit import Actions


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
