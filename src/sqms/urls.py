from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from sqms import views as common_views
from sqms.api import api
from sqms.complaints.urls import public_urlpatterns
from sqms.surveys.urls import public_urlpatterns as survey_public_urlpatterns

urlpatterns = [
    path("", common_views.home, name="home"),
    path("healthz", common_views.healthz, name="healthz"),
    path("readyz", common_views.readyz, name="readyz"),
    path("accounts/login/", common_views.login_view, name="login"),
    path("accounts/logout/", common_views.logout_view, name="logout"),
    path("accounts/tokens/", common_views.tokens, name="tokens"),
    path(
        "accounts/tokens/<int:token_id>/revoke", common_views.token_revoke_view, name="token-revoke"
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", common_views.audit_log, name="audit"),
    path("calendars/", common_views.calendar_list, name="calendars"),
    path("calendars/<int:calendar_id>/", common_views.calendar_detail, name="calendar-detail"),
    path("calendars/official/", common_views.official_days, name="official-days"),
    path("org/", include("sqms.org.urls")),
    path("complaints/", include("sqms.complaints.urls")),
    path("inspections/", include("sqms.inspections.urls")),
    path("c/", include((public_urlpatterns, "public"))),
    path("surveys/", include("sqms.surveys.urls")),
    path("s/", include((survey_public_urlpatterns, "surveys-public"))),
    path("metrics/", include("sqms.metrics.urls")),
    path("evaluations/", include("sqms.evaluations.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
