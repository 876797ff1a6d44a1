"""Complaint pages for staff: the list, a complaint's file with its actions, and intake."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from sqms.common.http import scoped
from sqms.complaints import selectors


@scoped
def complaint_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.complaint_list_for_user(request.user)[:50]
    return render(request, "complaints/complaint_list.html", {"rows": rows})


@scoped
def complaint_detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    complaint = selectors.complaint_get_for_user(request.user, complaint_id)
    return render(request, "complaints/complaint_detail.html", {"complaint": complaint})


urlpatterns: list[URLPattern] = [
    path("", complaint_list, name="list"),
    path("<int:complaint_id>/", complaint_detail, name="detail"),
]
