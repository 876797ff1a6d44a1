"""The daily QC report 《质检日报》 (page, Excel, PDF) and the inspection analysis dashboard
(charts and Excel export)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _

from sqms.common.charts import chart_context
from sqms.common.errors import NotFound, PermissionDenied
from sqms.common.http import scoped
from sqms.inspections import reports, selectors
from sqms.org.models import OrgUnit
from sqms.org.roles import Cap
from sqms.org.selectors import can, unit_queryset_for_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _unit(request: HttpRequest) -> OrgUnit | None:
    raw = request.GET.get("unit", "")
    if not raw:
        return None
    unit = (
        unit_queryset_for_user(request.user, Cap.INSPECTION_VIEW)
        .filter(pk=int(raw) if raw.isdigit() else None)
        .first()
    )
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def _date(raw: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


def _units(request: HttpRequest) -> Any:
    return (
        unit_queryset_for_user(request.user, Cap.INSPECTION_VIEW)
        .filter(is_active=True)
        .order_by("path")[:300]
    )


def _report(request: HttpRequest) -> dict[str, Any]:
    if not can(request.user, Cap.INSPECTION_VIEW):
        raise PermissionDenied()
    day = _date(request.GET.get("day", ""), timezone.localdate())
    return reports.daily_report(request.user, _unit(request), day)


@scoped
def daily(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    query = request.GET.urlencode()
    return render(
        request,
        "inspections/daily_report.html",
        {
            "report": report,
            "units": _units(request),
            "query": query,
            "prev": report["day"] - dt.timedelta(days=1),
            "next": report["day"] + dt.timedelta(days=1),
        },
    )


def _filename(report: dict[str, Any], ext: str) -> str:
    code = report["unit"].code if report["unit"] is not None else "all"
    return f'attachment; filename="qc-daily-{code}-{report["day"].isoformat()}.{ext}"'


@scoped
def daily_xlsx(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    response = HttpResponse(reports.daily_report_xlsx(report), content_type=XLSX)
    response["Content-Disposition"] = _filename(report, "xlsx")
    return response


@scoped
def daily_pdf(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    response = HttpResponse(reports.daily_report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = _filename(report, "pdf")
    return response


def _dashboard_data(request: HttpRequest) -> dict[str, Any]:
    if not can(request.user, Cap.INSPECTION_VIEW):
        raise PermissionDenied()
    today = timezone.localdate()
    start = _date(request.GET.get("from", ""), (today - dt.timedelta(days=120)).replace(day=1))
    end = _date(request.GET.get("to", ""), today)
    return reports.dashboard_data(
        request.user, _unit(request), start, end, request.GET.get("template", "")
    )


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 48, "r": 16, "t": 8, "b": 48},
        "legend": {"orientation": "h", "y": -0.25},
        "font": {"size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    layout.update(extra)
    return layout


def _figures(data: dict[str, Any]) -> dict[str, str]:
    empty = _("No inspections in this period.") if not data["count"] else ""
    figures = {
        "distribution": {
            "data": [
                {
                    "type": "bar",
                    "x": [f"{b * 10}–{b * 10 + 10}%" for b in range(10)],
                    "y": data["distribution"],
                    "marker": {"color": "#0b5cad"},
                    "name": _("Inspections"),
                }
            ],
            "layout": _layout(yaxis={"title": {"text": _("Inspections")}, "rangemode": "tozero"}),
            "empty": empty,
        },
        "trend": {
            "data": [
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": s["unit"].name,
                    "x": [m.strftime("%Y-%m") for m in data["months"]],
                    "y": s["values"],
                }
                for s in data["series"]
            ],
            "layout": _layout(
                xaxis={"type": "category"}, yaxis={"title": {"text": _("Mean score (%)")}}
            ),
            "empty": empty,
        },
        "failed": {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": [f"{r['item__code']} {r['item__text'][:18]}" for r in data["failed"]][
                        ::-1
                    ],
                    "x": [r["n"] for r in data["failed"]][::-1],
                    "marker": {"color": "#b42318"},
                    "name": _("Findings"),
                }
            ],
            "layout": _layout(margin={"l": 170, "r": 16, "t": 8, "b": 40}),
            "empty": empty,
        },
    }
    return {k: json.dumps(v) for k, v in figures.items()}


@scoped
def dashboard(request: HttpRequest) -> HttpResponse:
    data = _dashboard_data(request)
    return render(
        request,
        "inspections/dashboard.html",
        {
            "data": data,
            "charts": _figures(data),
            "units": _units(request),
            "templates": selectors.template_list_for_user(request.user),
            "query": request.GET.urlencode(),
            **chart_context(),
        },
    )


@scoped
def dashboard_xlsx(request: HttpRequest) -> HttpResponse:
    data = _dashboard_data(request)
    response = HttpResponse(reports.dashboard_xlsx(data), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="inspections-analysis.xlsx"'
    return response


urlpatterns: list[URLPattern] = [
    path("report/daily/", daily, name="daily"),
    path("report/daily.xlsx", daily_xlsx, name="daily-xlsx"),
    path("report/daily.pdf", daily_pdf, name="daily-pdf"),
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/export.xlsx", dashboard_xlsx, name="dashboard-xlsx"),
]
