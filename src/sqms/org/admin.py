"""Operators' admin for the organisation. Day-to-day changes go through the org pages, which
keep the tree paths and the audit log right; here units and staff are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from sqms.common.admin import ReadOnlyAdmin
from sqms.org.models import OrgUnit, Position, RoleGrant, Staff, User


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Staff)
class StaffAdmin(ReadOnlyAdmin):
    list_display = ["employee_no", "name", "unit", "position", "start_date", "end_date"]
    list_filter = ["position"]
    search_fields = ["employee_no", "name"]
    list_select_related = ["unit", "position"]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "is_manager"]


class GrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    readonly_fields = ["role", "unit", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "staff", "is_active", "is_superuser", "last_login"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("SQMS", {"fields": ["staff"]}))  # type: ignore[misc]
    raw_id_fields = ["staff"]
    inlines = [GrantInline]
