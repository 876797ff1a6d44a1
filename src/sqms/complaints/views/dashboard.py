"""The complaints dashboard: key figures, charts and seed 000's department × category table for
the period, unit, channel and category chosen, and the same analyses as Excel workbooks.

Charts are Plotly figures built here as plain dicts and handed to the page as JSON in a
`data-figure` attribute of each chart's element (data, never executed; a
`<script type="application/json">` block would do for the CSP too, but htmx drops every script
element of a swapped partial). `static/sqms/charts.js` draws them with Plotly's own script,
served from the installed plotly package by `sqms.common.charts.plotly_js` (no CDN: the sites run on
intranets), with Plotly's style rules as a stylesheet (`plotly_css`), since the CSP forbids the
inline styles Plotly would otherwise inject."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from typing import Any

from django import forms
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
)
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sqms.common.charts import chart_context, plotly_css, plotly_js
from sqms.common.errors import NotFound, PermissionDenied
from sqms.common.http import scoped
from sqms.complaints import analysis
from sqms.complaints.analysis import AnalysisFilter, CategoryIndex
from sqms.complaints.models import Channel
from sqms.complaints.views.pickers import unit_options
from sqms.org.models import OrgUnit
from sqms.org.roles import Cap
from sqms.org.selectors import AnyUser, can, unit_queryset_for_user

PRESETS = [
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("last_3_months", gettext_lazy("Last 3 months")),
    ("this_year", gettext_lazy("This year")),
    ("custom", gettext_lazy("Custom dates")),
]
# A custom period longer than this is refused (monthly bars over decades read as nothing).
MAX_PERIOD_DAYS = 366 * 5
# Dates outside these years are typing errors (and would overflow the date arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2099
MATRIX_ROWS = 30
CHANNEL_COLOURS = {
    "desk": "#0b5cad",
    "hotline": "#f79009",
    "slip": "#7a5af8",
    "web": "#12b76a",
    "email": "#ee46bc",
    "api": "#667085",
}
SATISFACTION_COLOURS = {"satisfied": "#12b76a", "basic": "#84caff", "dissatisfied": "#f04438"}
MET, MISSED, BAR, LINE = "#12b76a", "#f04438", "#0b5cad", "#f79009"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
log = logging.getLogger(__name__)


# --- The filter form ------------------------------------------------------------------------


class DashboardForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PRESETS, required=False)
    date_from = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    unit = forms.IntegerField(
        label=gettext_lazy("Unit"), required=False, min_value=1, max_value=2**62
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[("", gettext_lazy("All channels")), *Channel.choices],
        required=False,
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)

    def __init__(self, *args: Any, category_choices: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *category_choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        custom = data.get("period") == "custom" or (not data.get("period") and (start or end))
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(
                    name,
                    _("Give a date from %(a)d to %(b)d.") % {"a": FIRST_YEAR, "b": LAST_YEAR},
                )
                start = end = None
        if custom and not self.errors:
            data["period"] = "custom"
            if not start or not end:
                self.add_error(
                    "date_from" if not start else "date_to",
                    _("Give both dates of a custom period."),
                )
            elif start > end:
                self.add_error("date_to", _("The end comes before the start."))
            elif (end - start).days >= MAX_PERIOD_DAYS:
                self.add_error("date_to", _("At most %(n)d days.") % {"n": MAX_PERIOD_DAYS})
        return data


def preset_period(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The dates a preset means on `today` (periods up to today end today)."""
    first = today.replace(day=1)
    if preset == "last_month":
        end = first - dt.timedelta(days=1)
        return end.replace(day=1), end
    if preset == "last_3_months":
        start = (first - dt.timedelta(days=1)).replace(day=1)
        start = (start - dt.timedelta(days=1)).replace(day=1)
        return start, today
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    return first, today


def _category_choices(idx: CategoryIndex) -> list[tuple[str, str]]:
    children: dict[int, list[Any]] = {}
    for c in idx.by_id.values():
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    out: list[tuple[str, str]] = []

    def walk(cats: list[Any], depth: int) -> None:
        for c in cats:
            if c.is_active:
                out.append((c.code, "— " * depth + c.label))
            walk(children.get(c.pk, []), depth + 1)

    walk(idx.roots, 0)
    return out


def _require_view(user: AnyUser) -> None:
    if not can(user, Cap.COMPLAINT_VIEW):
        raise PermissionDenied()


def _unit_in_scope(user: AnyUser, unit_id: int) -> OrgUnit:
    """A unit whose complaints the user may see; out of scope reads as not found."""
    unit = unit_queryset_for_user(user, Cap.COMPLAINT_VIEW).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def _parse(user: AnyUser, params: QueryDict) -> tuple[DashboardForm, AnalysisFilter]:
    """The filter the query string asks for. Invalid dates fall back to this month with the
    form's message; a unit outside the user's scope is not found."""
    today = timezone.localdate()
    start, end = preset_period("this_month", today)
    flt = AnalysisFilter(date_from=start, date_to=end)
    idx = analysis.categories(flt)
    form = DashboardForm(params or None, category_choices=_category_choices(idx))
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
    preset = data.get("period") or "this_month"
    if preset == "custom" and not form.errors:
        flt.date_from, flt.date_to = data["date_from"], data["date_to"]
    elif preset != "custom":
        flt.date_from, flt.date_to = preset_period(preset, today)
    if data.get("unit"):
        flt.unit = _unit_in_scope(user, data["unit"])
    flt.channel = data.get("channel") or ""
    flt.category = data.get("category") or ""
    return form, flt


# --- Charts ---------------------------------------------------------------------------------


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 48, "r": 16, "t": 8, "b": 40},
        "legend": {"orientation": "h", "y": -0.18},
        "font": {"size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    layout.update(extra)
    return layout


def _figures(data: dict[str, Any]) -> dict[str, Any]:
    """Plotly figures (data, layout) of the dashboard, plus the text to show when empty."""
    empty = _("No complaints in this period.")
    volume = data["volume"]
    daily = volume["granularity"] == "day"
    # One label per bucket, every bucket present (empty ones too): a category axis. On a date
    # axis Plotly placed its own ticks between the months and labelled two of them "2026-10".
    x = [b.strftime("%m-%d" if daily else "%Y-%m") for b in volume["buckets"]]
    figures: dict[str, Any] = {
        "volume": {
            "data": [
                {
                    "type": "bar",
                    "name": s["label"],
                    "x": x,
                    "y": s["counts"],
                    "marker": {"color": CHANNEL_COLOURS.get(s["channel"], BAR)},
                }
                for s in volume["series"]
            ],
            "layout": _layout(
                barmode="stack",
                xaxis={"type": "category"},
                yaxis={"title": {"text": _("Number of complaints")}, "rangemode": "tozero"},
            ),
            "empty": empty if not volume["total"] else "",
        }
    }
    pareto = data["pareto"]["rows"]
    figures["pareto"] = {
        "data": [
            {
                "type": "bar",
                "name": _("Number of complaints"),
                "x": [r["label"] for r in pareto],
                "y": [r["count"] for r in pareto],
                "marker": {"color": BAR},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Cumulative %"),
                "x": [r["label"] for r in pareto],
                "y": [r["cumulative"] for r in pareto],
                "yaxis": "y2",
                "line": {"color": LINE},
            },
        ],
        "layout": _layout(
            margin={"l": 48, "r": 44, "t": 8, "b": 60},
            yaxis={"title": {"text": _("Number of complaints")}, "rangemode": "tozero"},
            yaxis2={
                "overlaying": "y",
                "side": "right",
                "range": [0, 105],
                "ticksuffix": "%",
                "showgrid": False,
            },
        ),
        "empty": empty if not pareto else "",
    }
    units = list(reversed(data["units"]))
    figures["units"] = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": _("Number of complaints"),
                "y": [u["name"] for u in units],
                "x": [u["count"] for u in units],
                "marker": {"color": BAR},
            }
        ],
        "layout": _layout(
            margin={"l": 8, "r": 16, "t": 8, "b": 32},
            showlegend=False,
            yaxis={"automargin": True},
        ),
        "empty": empty if not units else "",
    }
    sla = data["sla"]["rows"]
    labels = [r["label"] for r in sla]
    figures["sla"] = {
        "data": [
            {
                "type": "bar",
                "name": _("In time"),
                "x": labels,
                "y": [r["met"] for r in sla],
                "text": [f"{r['percent']}%" for r in sla],
                "textposition": "inside",
                "marker": {"color": MET},
            },
            {
                "type": "bar",
                "name": _("Late"),
                "x": labels,
                "y": [r["missed"] for r in sla],
                "marker": {"color": MISSED},
            },
        ],
        "layout": _layout(barmode="stack", yaxis={"title": {"text": _("Clocks stopped")}}),
        "empty": _("No time limit was stopped yet.") if not sla else "",
    }
    staff = list(reversed(data["staff"]))
    figures["staff"] = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": _("Substantiated complaints"),
                "y": [f"{s['name']} ({s['employee_no']})" for s in staff],
                "x": [s["count"] for s in staff],
                "text": [s["unit"] for s in staff],
                "textposition": "none",
                "hovertemplate": "%{y} · %{text}: %{x}<extra></extra>",
                "marker": {"color": MISSED},
            }
        ],
        "layout": _layout(
            margin={"l": 8, "r": 16, "t": 8, "b": 32},
            showlegend=False,
            yaxis={"automargin": True},
        ),
        "empty": _("No substantiated complaint against a staff member.") if not staff else "",
    }
    visits = data["follow_up"]
    figures["follow_up"] = {
        "data": [
            {
                "type": "pie",
                "hole": 0.55,
                "sort": False,
                "labels": [c["label"] for c in visits["counts"]],
                "values": [c["count"] for c in visits["counts"]],
                "marker": {
                    "colors": [SATISFACTION_COLOURS[c["satisfaction"]] for c in visits["counts"]]
                },
            }
        ],
        "layout": _layout(margin={"l": 16, "r": 16, "t": 8, "b": 16}),
        "empty": _("No follow-up visit yet.") if not visits["total"] else "",
    }
    return figures


# --- Pages ----------------------------------------------------------------------------------


@scoped
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_view(request.user)
    form, flt = _parse(request.user, request.GET)
    data = analysis.dashboard_cached(request.user, flt, matrix_rows=MATRIX_ROWS)
    query = request.GET.copy()
    context = {
        "form": form,
        "flt": flt,
        "preset": (form.cleaned_data.get("period") if form.is_bound else "") or "this_month",
        "data": data,
        "charts": {name: json.dumps(fig) for name, fig in _figures(data).items()},
        "unit_options": unit_options(request.user, flt.unit),
        "export_query": query.urlencode(),
        "matrix_month": flt.date_to.strftime("%Y-%m"),
        "more_units": data["matrix"]["units"] - len(data["matrix"]["rows"]),
        **chart_context(),
    }
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.boosted and not htmx.history_restore_request  # type: ignore[union-attr]
    template = "complaints/_dash_body.html" if partial else "complaints/dashboard.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers a page or a partial
    return response


# --- Excel ----------------------------------------------------------------------------------

BOLD = Font(bold=True)
PERCENT = "0.0%"


def _width(value: Any) -> int:
    text = value.strftime("%Y-%m-%d") if isinstance(value, dt.date) else str(value)
    # CJK characters take two columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet(
    wb: Workbook,
    title: str,
    headers: list[str],
    rows: list[list[Any]],
    percent_columns: tuple[int, ...] = (),
    date_format: str = "",
) -> Worksheet:
    """A sheet with a bold header row, frozen under it; numbers stay numbers, percentages are
    fractions shown as %, and each column is as wide as its widest cell."""
    ws = wb.create_sheet(title[:31])
    ws.append(headers)
    for cell in ws[1]:
        cell.font = BOLD
    for row in rows:
        ws.append(
            [
                (v / 100 if v is not None else None) if i in percent_columns else v
                for i, v in enumerate(row)
            ]
        )
    for col in range(1, len(headers) + 1):
        letter = get_column_letter(col)
        cells = ws[letter]
        if col - 1 in percent_columns:
            for cell in cells[1:]:
                cell.number_format = PERCENT
        if date_format and col == 1:
            for cell in cells[1:]:
                cell.number_format = date_format
        widest = max((_width(c.value) for c in cells if c.value is not None), default=8)
        ws.column_dimensions[letter].width = min(max(widest + 2, 8), 60)
    ws.freeze_panes = "A2"
    return ws


def _append(ws: Worksheet, label: str, value: Any, percent: bool = False) -> None:
    """A label and a figure below a table; a percentage is stored as a fraction shown as %."""
    if percent and value is not None:
        value = value / 100
    ws.append([label, value])
    if percent:
        ws.cell(ws.max_row, 2).number_format = PERCENT


def _bold_last_row(ws: Worksheet) -> None:
    for cell in ws[ws.max_row]:
        cell.font = BOLD


def _matrix_sheet(wb: Workbook, matrix: dict[str, Any], title: str) -> Worksheet:
    headers = [_("Code"), _("Responsible unit"), *[c["label"] for c in matrix["columns"]]]
    rows = [[r["code"], r["name"], *r["cells"], r["total"]] for r in matrix["rows"]]
    rows.append(["", _("Total"), *matrix["column_totals"], matrix["total"]])
    ws = _sheet(wb, title, [*headers, _("Total")], rows)
    _bold_last_row(ws)
    return ws


def _filter_rows(flt: AnalysisFilter) -> list[list[Any]]:
    idx = analysis.categories(flt)
    category = next((c.label for c in idx.by_id.values() if c.code == flt.category), "")
    return [
        [_("From"), flt.date_from],
        [_("To"), flt.date_to],
        [_("Unit"), f"{flt.unit.code} {flt.unit.name}" if flt.unit else _("All my units")],
        [_("Channel"), str(Channel(flt.channel).label) if flt.channel else _("All channels")],
        [_("Category"), category or _("All categories")],
    ]


def _xlsx_response(wb: Workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def dashboard_workbook(user: AnyUser, flt: AnalysisFilter) -> Workbook:
    """Every analysis of the dashboard, one sheet each, all rows (no top-N cut)."""
    volume = analysis.volume_over_time(user, flt)
    pareto = analysis.category_pareto(user, flt)
    leaves = analysis.category_pareto(user, flt, level="leaf")
    sla = analysis.sla_compliance(user, flt)
    visits = analysis.follow_up_satisfaction(user, flt)
    resolution = next((r for r in sla["rows"] if r["kind"] == "resolution"), None)
    wb = Workbook()
    wb.remove(wb.active)
    ws = _sheet(wb, _("Summary"), [_("Figure"), _("Value")], _filter_rows(flt))
    for cell in (ws["B2"], ws["B3"]):
        cell.number_format = "yyyy-mm-dd"
    _append(ws, _("Complaints received"), volume["total"])
    _append(ws, _("Still open"), volume["open"])
    _append(ws, _("Late now"), sla["late_now"])
    _append(ws, _("Replied in time"), resolution["percent"] if resolution else None, True)
    _append(ws, _("Satisfied or basically satisfied"), visits["satisfied_percent"], True)
    daily = volume["granularity"] == "day"
    channels = [s["label"] for s in volume["series"]]
    rows = [
        [b, *[s["counts"][i] for s in volume["series"]], volume["totals"][i]]
        for i, b in enumerate(volume["buckets"])
    ]
    rows.append([_("Total"), *[sum(s["counts"]) for s in volume["series"]], volume["total"]])
    ws = _sheet(
        wb,
        _("Volume"),
        [_("Day") if daily else _("Month"), *channels, _("Total")],
        rows,
        date_format="yyyy-mm-dd" if daily else "yyyy-mm",
    )
    _bold_last_row(ws)
    for title, result in ((_("Categories"), pareto), (_("Subcategories"), leaves)):
        _sheet(
            wb,
            title,
            [_("Category"), _("Number of complaints"), _("Share"), _("Cumulative share")],
            [[r["label"], r["count"], r["share"], r["cumulative"]] for r in result["rows"]],
            percent_columns=(2, 3),
        )
    _sheet(
        wb,
        _("Units"),
        [_("Code"), _("Unit"), _("Number of complaints")],
        [[u["code"], u["name"], u["count"]] for u in analysis.by_unit(user, flt, limit=None)],
    )
    rows = [[r["label"], r["met"], r["missed"], r["total"], r["percent"]] for r in sla["rows"]]
    rows.append([_("Total"), sla["met"], sla["missed"], sla["met"] + sla["missed"], sla["percent"]])
    ws = _sheet(
        wb,
        _("Time limits"),
        [_("Clock"), _("In time"), _("Late"), _("Stopped"), _("In time (share)")],
        rows,
        percent_columns=(4,),
    )
    _bold_last_row(ws)
    _append(ws, _("Open and late now"), sla["late_now"])
    staff = analysis.substantiated_by_staff(user, flt, limit=None)
    _sheet(
        wb,
        _("Staff"),
        [_("Employee number"), _("Name"), _("Unit"), _("Substantiated complaints")],
        [[s["employee_no"], s["name"], s["unit"], s["count"]] for s in staff],
    )
    rows = [[c["label"], c["count"]] for c in visits["counts"]]
    rows.append([_("Total"), visits["total"]])
    ws = _sheet(wb, _("Follow-up"), [_("Satisfaction"), _("Visits")], rows)
    _bold_last_row(ws)
    _append(ws, _("Accepted the resolution"), visits["accepted"])
    _append(ws, _("Satisfied or basically satisfied"), visits["satisfied_percent"], True)
    _append(ws, _("Acceptance rate"), visits["accepted_percent"], True)
    _matrix_sheet(wb, analysis.department_category_matrix(user, flt), _("Units × categories"))
    return wb


@scoped
@require_safe
def export_xlsx(request: HttpRequest) -> HttpResponse:
    _require_view(request.user)
    _form, flt = _parse(request.user, request.GET)
    wb = dashboard_workbook(request.user, flt)
    return _xlsx_response(wb, f"complaints-{flt.date_from:%Y%m%d}-{flt.date_to:%Y%m%d}.xlsx")


def _month(value: str | None) -> dt.date | None:
    if not value:
        return timezone.localdate().replace(day=1)
    try:
        month = dt.datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        return None
    return month if FIRST_YEAR <= month.year <= LAST_YEAR else None


@scoped
@require_safe
def matrix_xlsx(request: HttpRequest) -> HttpResponse:
    """Seed 000's monthly table: complaints per responsible unit and category for one month
    (`?month=YYYY-MM`, this month by default), with the dashboard's other filters."""
    _require_view(request.user)
    month = _month(request.GET.get("month"))
    if month is None:
        return HttpResponseBadRequest(_("Give the month as YYYY-MM, e.g. 2026-09."))
    params = QueryDict(mutable=True)
    for key in ("unit", "channel", "category"):
        if key in request.GET:
            params[key] = request.GET[key]
    params["period"] = "custom"
    params["date_from"] = f"{month:%Y-%m-%d}"
    params["date_to"] = f"{analysis.month_filter(month).date_to:%Y-%m-%d}"
    _form, flt = _parse(request.user, params)
    wb = Workbook()
    wb.remove(wb.active)
    _matrix_sheet(wb, analysis.department_category_matrix(request.user, flt), f"{month:%Y-%m}")
    _sheet(wb, _("Filter"), [_("Filter"), _("Value")], _filter_rows(flt))
    return _xlsx_response(wb, f"complaints-by-unit-and-category-{month:%Y-%m}.xlsx")


urlpatterns: list[URLPattern] = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/export.xlsx", export_xlsx, name="dashboard-export"),
    path("dashboard/matrix.xlsx", matrix_xlsx, name="dashboard-matrix"),
    path("dashboard/plotly.js", plotly_js, name="dashboard-plotly"),
    path("dashboard/plotly.css", plotly_css, name="dashboard-plotly-css"),
]
