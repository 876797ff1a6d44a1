from django.contrib import admin

from sqms.metrics.models import Kpi, Measurement


@admin.register(Kpi)
class KpiAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name_zh", "formula", "direction", "target", "source", "subject")
    list_filter = ("formula", "source", "subject")


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # Figures change only through the services (audited): read-only here.
    list_display = ("kpi", "unit", "staff", "period_start", "period_end", "value", "origin")
    list_filter = ("kpi", "origin")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
