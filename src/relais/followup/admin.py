from django.contrib import admin

from relais.followup.models import Protocol, ProtocolStep


class StepInline(admin.TabularInline):
    model = ProtocolStep
    extra = 0

    def has_change_permission(self, request, obj=None):
        # A protocol in use changes by a new version (protocols.new_version): the
        # follow-ups it runs keep the steps they started with.
        return obj is None or not obj.followups.exists()

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    """Read and create protocols; editing a running one is done by a new version
    (protocols.new_version) so that running follow-ups keep theirs."""

    list_display = ["name", "family", "version", "organisation", "care_zone", "retired_at"]
    list_filter = ["retired_at"]
    inlines = [StepInline]
