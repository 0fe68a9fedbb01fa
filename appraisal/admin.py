"""Read-only admin pages: every change to appraisal data goes through a service (with its
permission check and audit row), i.e. through the site's own pages."""

from django.contrib import admin

from appraisal.models import AppraisalBody, Certificate, LevelRule, Registration, Sitting


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LevelRule)
class LevelRuleAdmin(ReadOnlyAdmin):
    list_display = (
        "level",
        "requires_lower_certificate",
        "requires_completed_class",
        "min_years_in_trade",
    )


@admin.register(AppraisalBody)
class AppraisalBodyAdmin(ReadOnlyAdmin):
    list_display = ("name", "county", "is_active")
    list_filter = ("county", "is_active")
    search_fields = ("name",)


@admin.register(Sitting)
class SittingAdmin(ReadOnlyAdmin):
    list_display = ("exam_date", "body", "occupation", "level", "capacity")
    list_filter = ("body", "level")
    list_select_related = ("body", "occupation")


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ("id", "worker", "occupation", "level", "channel", "status", "created_at")
    list_filter = ("status", "channel", "level")
    list_select_related = ("worker", "occupation")
    search_fields = ("worker__name",)


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "worker", "occupation", "level", "issued_on", "issuer_name")
    list_filter = ("kind", "level")
    list_select_related = ("worker", "occupation")
    search_fields = ("number", "worker__name")
