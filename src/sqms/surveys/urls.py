"""Survey pages. Each views module owns its routes; they are joined here."""

from sqms.surveys.views import public, results, staff

app_name = "surveys"
urlpatterns = [*staff.urlpatterns, *results.urlpatterns]
# The public answer pages (no login) are mounted at the site root as /s/…, see sqms/urls.py.
public_urlpatterns = public.urlpatterns
