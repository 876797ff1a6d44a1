"""Inspection pages. Each views module owns its routes; they are joined here."""

from sqms.inspections.views import pages

app_name = "inspections"
urlpatterns = [*pages.urlpatterns]
