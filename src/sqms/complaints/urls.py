"""Complaint pages. Each views module owns its routes; they are joined here."""

from sqms.complaints.views import dashboard, public, registers, staff

app_name = "complaints"
urlpatterns = [
    *staff.urlpatterns,
    *public.staff_urlpatterns,
    *registers.urlpatterns,
    *dashboard.urlpatterns,
]
# The public pages (no login) are mounted at the site root as /c/…, see sqms/urls.py.
public_urlpatterns = public.urlpatterns
