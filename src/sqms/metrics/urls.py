from django.urls import path

from sqms.metrics import views

app_name = "metrics"
urlpatterns = [
    path("", views.kpi_list, name="list"),
    path("import/", views.import_view, name="import"),
    path("import/template.xlsx", views.import_template, name="import-template"),
    path("<slug:code>/", views.kpi_detail, name="detail"),
]
