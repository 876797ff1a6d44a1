from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from sqms.common.http import scoped


@scoped
def inspection_detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    return HttpResponse("")


urlpatterns: list[URLPattern] = [
    path("<int:inspection_id>/", inspection_detail, name="detail"),
]
