"""Email deliveries and preferences in the Django admin. Notifications are not listed:
they name persons, and the admin is not the access gate."""

from django.contrib import admin

from relais.audit.admin import AuditedAdminMixin
from relais.notifications.models import EmailDelivery, NotificationPreference


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    """Read-only: the worker writes these; "send again" is on the deliveries page."""

    list_display = ["created_at", "recipient", "kind", "items", "status", "attempts",
                    "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient__email", "last_error"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "group", "mode"]
    list_filter = ["group", "mode"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
