from django.contrib import admin

from training.models import (
    Campaign,
    Institution,
    Phase,
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


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "county")
    list_filter = ("kind", "county")
    search_fields = ("name",)
