"""Inspection pages. Each views module owns its routes; they are joined here."""

from sqms.inspections.views import checklists, pages, plans, reports

app_name = "inspections"
urlpatterns = [
    *pages.urlpatterns,
    *checklists.urlpatterns,
    *plans.urlpatterns,
    *reports.urlpatterns,
]
