from django.urls import path

from sqms.org import views

app_name = "org"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("import/", views.import_view, name="import"),
    path("import/template.xlsx", views.import_template, name="import-template"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit"),
    path("units/<int:unit_id>/children", views.children, name="children"),
    path("units/<int:unit_id>/staff.xlsx", views.staff_export, name="staff-export"),
    path("units/<int:unit_id>/add-unit", views.unit_add, name="unit-add"),
    path("units/<int:unit_id>/move", views.unit_move, name="unit-move"),
    path("units/<int:unit_id>/deactivate", views.unit_deactivate, name="unit-deactivate"),
    path("units/<int:unit_id>/add-staff", views.staff_add, name="staff-add"),
    path("units/<int:unit_id>/grants/add", views.grant_add, name="grant-add"),
    path("grants/<int:grant_id>/revoke", views.grant_revoke, name="grant-revoke"),
    path("staff/<int:staff_id>/", views.staff_detail, name="staff"),
    path("staff/<int:staff_id>/login", views.staff_login, name="staff-login"),
    path("staff/<int:staff_id>/move", views.staff_move, name="staff-move"),
    path("staff/<int:staff_id>/leave", views.staff_leave, name="staff-leave"),
]
