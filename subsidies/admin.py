"""Read-only admin views of subsidy data for the office; every change goes through the pages and
their services (audited), never the admin."""

from django.contrib import admin

from subsidies.models import ClaimWindow, Entrustment, SubsidyClaim, SubsidyStandard


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SubsidyStandard)
class SubsidyStandardAdmin(ReadOnlyAdmin):
    list_display = ("kind", "training_kind", "level", "amount", "effective_from", "effective_to")
    list_filter = ("kind",)


@admin.register(ClaimWindow)
class ClaimWindowAdmin(ReadOnlyAdmin):
    list_display = ("kind", "opens_on", "closes_on")


@admin.register(Entrustment)
class EntrustmentAdmin(ReadOnlyAdmin):
    list_display = ("worker", "institution", "enrollment", "signed_on", "status")
    list_filter = ("status",)


@admin.register(SubsidyClaim)
class SubsidyClaimAdmin(ReadOnlyAdmin):
    list_display = ("number", "worker", "kind", "channel", "amount", "status", "submitted_at")
    list_filter = ("kind", "status", "channel")
    search_fields = ("number",)
    exclude = ("account_encrypted", "account_hash")
