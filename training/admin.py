from django.contrib import admin

from training.models import (
    Campaign,
    CooperationOrder,
    Institution,
    InstitutionAssessment,
    Occupation,
    Phase,
    PopulationGroup,
    Programme,
    RegistrationPoint,
    ReportRun,
    SpecialtyIndustry,
    Target,
    TrainingCategory,
)


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


class CategoryInline(admin.TabularInline):
    model = TrainingCategory
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "start_date", "end_date", "due_day", "lock_day", "is_active")
    inlines = (PhaseInline, TargetInline, CategoryInline)


@admin.register(TrainingCategory)
class TrainingCategoryAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "department", "quota", "campaign")
    list_filter = ("campaign", "department")


@admin.register(SpecialtyIndustry)
class SpecialtyIndustryAdmin(admin.ModelAdmin):
    list_display = ("name", "county", "campaign")
    list_filter = ("county",)


@admin.register(Occupation)
class OccupationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_shortage")
    list_filter = ("is_shortage",)
    search_fields = ("code", "name")


@admin.register(PopulationGroup)
class PopulationGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "subsidy_eligible", "sort_order")


class ProgrammeInline(admin.TabularInline):
    model = Programme
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    """Reference data only; designation changes go through the site's services (audited)."""

    list_display = ("name", "kind", "county", "designation", "plaque_granted_on")
    list_filter = ("kind", "county", "designation")
    search_fields = ("name",)
    readonly_fields = ("designation", "bank_account_masked")
    inlines = (ProgrammeInline,)


@admin.register(RegistrationPoint)
class RegistrationPointAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "county", "institution", "is_active")
    list_filter = ("level", "county", "is_active")
    search_fields = ("name", "address")


@admin.register(CooperationOrder)
class CooperationOrderAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "institution", "occupation", "kind", "year", "yearly_target")
    list_filter = ("year", "kind")


@admin.register(InstitutionAssessment)
class InstitutionAssessmentAdmin(admin.ModelAdmin):
    list_display = ("institution", "year", "pass_rate", "proposal", "status")
    list_filter = ("year", "proposal", "status")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ("campaign", "month", "status", "computed_at", "published_at")
    list_filter = ("status",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
