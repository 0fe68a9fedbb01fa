from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.models import AuditEvent, County, Department, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "code", "kind", "sort_order")
    list_filter = ("kind",)
    search_fields = ("name", "short_name", "code")


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "sort_order")
    list_filter = ("kind",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "department", "institution", "is_active")
    list_filter = ("groups", "department", "is_active")
    search_fields = ("username", "full_name")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("所属单位"), {"fields": ("full_name", "phone", "department", "institution")}),
    )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, the admin may only look."""

    list_display = ("created_at", "actor_name", "action", "object_repr", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("object_repr", "actor_name", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
