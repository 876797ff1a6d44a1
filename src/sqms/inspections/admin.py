"""The Django admin for operators: read-mostly views of the inspection tables (changes go
through the services, from the pages, the API or packs)."""

from __future__ import annotations

from django.contrib import admin

from sqms.inspections.models import (
    Appeal,
    ChecklistTemplate,
    Customer,
    Inspection,
    SamplingPlan,
    Schedule,
    TemplateVersion,
)


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(ReadOnly):
    list_display = ("code", "name_zh", "subject", "kind", "current", "is_active", "pack")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(TemplateVersion)
class TemplateVersionAdmin(ReadOnly):
    list_display = ("template", "number", "max_points", "created_at")


@admin.register(Inspection)
class InspectionAdmin(ReadOnly):
    list_display = ("pk", "version", "kind", "status", "unit", "staff", "score", "visited_at")
    list_filter = ("status", "kind", "covert")
    date_hierarchy = "visited_at"


@admin.register(Appeal)
class AppealAdmin(ReadOnly):
    list_display = ("pk", "inspection", "outcome", "filed_at", "decided_at")


@admin.register(Customer)
class CustomerAdmin(ReadOnly):
    list_display = ("code", "name", "unit", "business_format", "scale_class")
    search_fields = ("code", "name")


@admin.register(SamplingPlan)
class SamplingPlanAdmin(ReadOnly):
    list_display = ("code", "name", "population", "period", "rate", "minimum", "stratify")


@admin.register(Schedule)
class ScheduleAdmin(ReadOnly):
    list_display = ("template", "unit", "kind", "frequency", "is_active")
