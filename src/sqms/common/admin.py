"""Operators' admin. The audit log is read-only here as everywhere."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sqms.common.models import ApiToken, AuditEntry, CalendarOverride, OfficialDay, WorkCalendar


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records whose writes must go through the services (paths, audit): look, don't touch."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "lane", "seq", "at", "actor_label", "action", "target_label"]
    list_filter = ["action"]
    search_fields = ["action", "target_label", "actor_label", "note"]


class OverrideInline(admin.TabularInline):
    model = CalendarOverride
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Calendars are changed on the Calendars pages, through the services (audit, and the revision
# that tells every process its built calendars are stale).
@admin.register(WorkCalendar)
class WorkCalendarAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "follow_official_holidays", "is_default"]
    inlines = [OverrideInline]


@admin.register(OfficialDay)
class OfficialDayAdmin(ReadOnlyAdmin):
    list_display = ["date", "kind", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "digest", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are created where the plain token can be shown once
