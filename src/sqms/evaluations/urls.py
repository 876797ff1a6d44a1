"""Evaluation pages. Each views module owns its routes; they are joined here."""

from sqms.evaluations.views import runs, schemes, scorecards

app_name = "evaluations"
urlpatterns = [*runs.urlpatterns, *schemes.urlpatterns, *scorecards.urlpatterns]
