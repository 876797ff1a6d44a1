"""A campaign's report: every figure with its n and interval beside it, the charts (E vs P
radar, gap bars, IPA quadrant, key drivers, units compared, trend per unit) and the Excel
workbooks (raw answers and aggregated figures).

Charts are Plotly figures built here as plain dicts and drawn by `static/sqms/charts.js` from
each element's `data-figure` attribute, with Plotly's script and style rules served from the
installed package by the complaints dashboard's views (the same URLs; no CDN, nothing inline
for the strict CSP)."""

from __future__ import annotations

import io
import json
import math
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from sqms.common.charts import chart_context
from sqms.common.errors import NotFound
from sqms.common.http import scoped
from sqms.org.roles import Cap
from sqms.surveys import analysis, selectors
from sqms.surveys.instruments import spec_parse
from sqms.surveys.models import Campaign

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BLUE, ORANGE, GREY, RED = "#0b5cad", "#f79009", "#98a2b3", "#d92d20"


def _f(value: Any) -> float | None:
    """JSON-safe float (Plotly and json both choke on NaN)."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _err(rows: list[dict[str, Any]], key: str | None = None) -> dict[str, Any]:
    def part(r: dict[str, Any]) -> dict[str, Any]:
        return r[key] if key else r

    return {
        "type": "data",
        "symmetric": False,
        "array": [
            _f(part(r)["high"] - part(r)["value"]) if _f(part(r)["high"]) is not None else None
            for r in rows
        ],
        "arrayminus": [
            _f(part(r)["value"] - part(r)["low"]) if _f(part(r)["low"]) is not None else None
            for r in rows
        ],
        "color": "#475467",
    }


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 48, "r": 16, "t": 8, "b": 40},
        "legend": {"orientation": "h", "y": -0.2},
        "font": {"size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    layout.update(extra)
    return layout


def build_charts(figures: dict[str, Any], trend: dict[str, Any] | None) -> dict[str, Any]:
    charts: dict[str, Any] = {}
    sq = figures.get("servqual")
    if sq:
        dims = sq["dimensions"]
        labels = [d["label"] for d in dims]
        lo, hi = sq["scale"]
        charts["radar"] = {
            "data": [
                {
                    "type": "scatterpolar",
                    "r": [_f(d["e"]["value"]) for d in dims] + [_f(dims[0]["e"]["value"])],
                    "theta": labels + labels[:1],
                    "name": _("Expectation (E)"),
                    "line": {"color": ORANGE},
                },
                {
                    "type": "scatterpolar",
                    "r": [_f(d["p"]["value"]) for d in dims] + [_f(dims[0]["p"]["value"])],
                    "theta": labels + labels[:1],
                    "name": _("Perception (P)"),
                    "line": {"color": BLUE},
                    "fill": "toself",
                    "fillcolor": "rgba(11,92,173,.12)",
                },
            ],
            "layout": _layout(
                polar={"radialaxis": {"range": [lo, hi]}},
                margin={"l": 40, "r": 40, "t": 20, "b": 20},
            ),
        }
        charts["gaps"] = {
            "data": [
                {
                    "type": "bar",
                    "x": labels,
                    "y": [_f(d["gap"]["value"]) for d in dims],
                    "error_y": _err(dims, "gap"),
                    "marker": {
                        "color": [RED if (_f(d["gap"]["value"]) or 0) < 0 else BLUE for d in dims]
                    },
                    "name": _("Gap P − E"),
                }
            ],
            "layout": _layout(yaxis={"title": {"text": _("Gap P − E")}, "zeroline": True}),
        }
        items = sq["items"]
        charts["item_gaps"] = {
            "data": [
                {
                    "type": "bar",
                    "x": [str(i["no"]) for i in items],
                    "y": [_f(i["gap"]["value"]) for i in items],
                    "error_y": _err(items, "gap"),
                    "text": [i["label"] for i in items],
                    "textposition": "none",
                    "hovertemplate": "%{text}<br>%{y:.2f}<extra></extra>",
                    "marker": {
                        "color": [RED if (_f(i["gap"]["value"]) or 0) < 0 else BLUE for i in items]
                    },
                }
            ],
            "layout": _layout(
                xaxis={"title": {"text": _("Statement")}, "type": "category"},
                yaxis={"title": {"text": _("Gap P − E")}},
            ),
        }
    ipa = (sq or {}).get("ipa") or figures.get("ipa")
    if ipa:
        rows = ipa["rows"]
        charts["ipa"] = {
            "data": [
                {
                    "type": "scatter",
                    "mode": "markers+text",
                    "x": [_f(r["performance"]) for r in rows],
                    "y": [_f(r["importance"]) for r in rows],
                    "text": [r["label"] for r in rows],
                    "textposition": "top center",
                    "marker": {"size": 12, "color": BLUE},
                    "hovertemplate": "%{text}<extra></extra>",
                }
            ],
            "layout": _layout(
                xaxis={"title": {"text": _("Performance")}},
                yaxis={"title": {"text": ipa["axis"]}},
                shapes=[
                    {
                        "type": "line",
                        "xref": "x",
                        "yref": "paper",
                        "x0": _f(ipa["performance_cut"]),
                        "x1": _f(ipa["performance_cut"]),
                        "y0": 0,
                        "y1": 1,
                        "line": {"dash": "dot", "color": GREY},
                    },
                    {
                        "type": "line",
                        "xref": "paper",
                        "yref": "y",
                        "x0": 0,
                        "x1": 1,
                        "y0": _f(ipa["importance_cut"]),
                        "y1": _f(ipa["importance_cut"]),
                        "line": {"dash": "dot", "color": GREY},
                    },
                ],
                showlegend=False,
            ),
        }
    drivers = (sq or {}).get("drivers") or figures.get("drivers")
    if drivers and _f(drivers["r2"]) is not None:
        rows = drivers["rows"]
        charts["drivers"] = {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": [r["label"] for r in rows],
                    "x": [_f(r["share"]) for r in rows],
                    "name": _("Relative weight (share of R²)"),
                    "marker": {"color": BLUE},
                },
                {
                    "type": "scatter",
                    "mode": "markers",
                    "y": [r["label"] for r in rows],
                    "x": [_f(r["beta"]) for r in rows],
                    "name": _("Standardised coefficient"),
                    "marker": {"color": ORANGE, "size": 10, "symbol": "diamond"},
                },
            ],
            "layout": _layout(
                margin={"l": 110, "r": 16, "t": 8, "b": 40}, xaxis={"zeroline": True}
            ),
        }
    comparison = figures.get("comparison") or {}
    if comparison.get("rows"):
        rows = comparison["rows"]
        charts["units"] = {
            "data": [
                {
                    "type": "bar",
                    "x": [r["unit"].name + (" *" if r["small"] else "") for r in rows],
                    "y": [_f(r["value"]) for r in rows],
                    "error_y": _err(rows),
                    "marker": {"color": [GREY if r["small"] else BLUE for r in rows]},
                    "text": [f"n={r['n']}" for r in rows],
                    "textposition": "outside",
                }
            ],
            "layout": _layout(yaxis={"title": {"text": comparison["label"]}}),
        }
    if trend and trend["series"]:
        charts["trend"] = {
            "data": [
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": s["unit"].name,
                    "x": [p["wave"] for p in s["points"]],
                    "y": [_f(p["value"]) for p in s["points"]],
                    "error_y": _err(s["points"]),
                    "text": [f"n={p['n']}" for p in s["points"]],
                    "hovertemplate": "%{x}: %{y:.2f} (%{text})<extra></extra>",
                }
                for s in trend["series"]
            ],
            "layout": _layout(
                xaxis={"type": "category"}, yaxis={"title": {"text": trend["label"]}}
            ),
        }
    items = figures.get("dimensions") or figures.get("items")
    if items and not sq:
        charts["means"] = {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": [i["label"] for i in items],
                    "x": [_f(i["value"]) for i in items],
                    "error_x": _err(items),
                    "marker": {"color": BLUE},
                    "text": [f"n={i['n']}" for i in items],
                }
            ],
            "layout": _layout(
                margin={"l": 160, "r": 16, "t": 8, "b": 40}, height=max(260, 26 * len(items) + 60)
            ),
        }
    return {k: json.dumps(v, ensure_ascii=False) for k, v in charts.items()}


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return selectors.campaign_get_for_user(request.user, campaign_id, Cap.SURVEY_RESULTS)


def _unit_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("unit", "")
    return int(raw) if raw.isdigit() else None


@scoped
@require_GET
def results(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    res = analysis.campaign_results(request.user, campaign, _unit_param(request))
    trend = analysis.campaign_trend(request.user, campaign) if not res.suppressed else None
    context = {
        "campaign": campaign,
        "res": res,
        "fig": res.figures,
        "trend": trend,
        "charts": build_charts(res.figures, trend) if not res.suppressed else {},
        **chart_context(),
        "unit_param": _unit_param(request) or "",
        "ipa": (res.figures.get("servqual") or {}).get("ipa") or res.figures.get("ipa"),
        "drivers": (res.figures.get("servqual") or {}).get("drivers") or res.figures.get("drivers"),
        "means": res.figures.get("dimensions") or res.figures.get("items") or [],
    }
    return render(request, "surveys/campaign_results.html", context)


# --- Excel ----------------------------------------------------------------------------------

BOLD = Font(bold=True)


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[Any]]) -> None:
    ws = wb.create_sheet(title[:31])
    ws.append(headers)
    for cell in ws[1]:
        cell.font = BOLD
    for row in rows:
        ws.append([_f(v) if isinstance(v, float) else v for v in row])
    ws.freeze_panes = "A2"


def _xlsx(wb: Workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _est_cols(e: dict[str, Any]) -> list[Any]:
    return [e["value"], e["n"], e["low"], e["high"]]


def results_workbook(res: analysis.Results) -> Workbook:
    """The aggregated figures, one sheet each, every number with n and its 95% interval."""
    wb = Workbook()
    wb.remove(wb.active)
    fig = res.figures
    est = [_("Value"), _("n"), _("Lower 95 percent limit"), _("Upper 95 percent limit")]
    _sheet(
        wb,
        _("Summary"),
        [_("Figure"), *est, _("Setting")],
        _summary_rows(res),
    )
    sq = fig.get("servqual")
    if sq:
        _sheet(
            wb,
            _("SERVQUAL dimensions"),
            [
                _("Dimension"),
                _("E mean"),
                _("P mean"),
                *[f"{_('Gap')} {h}" for h in est],
                _("Weight"),
                _("Alpha (raw, P)"),
                _("Alpha (standardised, P)"),
            ],
            [
                [
                    d["label"],
                    d["e"]["value"],
                    d["p"]["value"],
                    *_est_cols(d["gap"]),
                    d["weight"],
                    (d["alpha"] or {}).get("raw"),
                    (d["alpha"] or {}).get("standardised"),
                ]
                for d in sq["dimensions"]
            ],
        )
        _sheet(
            wb,
            _("SERVQUAL items"),
            [
                _("Statement"),
                _("Dimension"),
                _("Text"),
                _("E mean"),
                _("P mean"),
                *[f"{_('Gap')} {h}" for h in est],
            ],
            [
                [
                    i["no"],
                    i["dimension"],
                    i["label"],
                    i["e"]["value"],
                    i["p"]["value"],
                    *_est_cols(i["gap"]),
                ]
                for i in sq["items"]
            ],
        )
        if sq.get("gap1"):
            _sheet(
                wb,
                _("Gap 1"),
                [
                    _("Dimension"),
                    _("Managers − customers"),
                    _("Lower 95 percent limit"),
                    _("Upper 95 percent limit"),
                    _("p (Welch)"),
                    _("n managers"),
                    _("n customers"),
                ],
                [
                    [
                        g["label"],
                        g["difference"],
                        g["low"],
                        g["high"],
                        g["p"],
                        g["n_managers"],
                        g["n_customers"],
                    ]
                    for g in sq["gap1"]
                ],
            )
    if fig.get("items"):
        _sheet(
            wb,
            _("Items"),
            [pgettext("questionnaire", "Item"), _("Text"), *est],
            [[i["code"], i["label"], *_est_cols(i)] for i in fig["items"]],
        )
    if fig.get("dimensions"):
        _sheet(
            wb,
            _("Dimensions"),
            [_("Dimension"), *est, _("Alpha (raw)"), _("Alpha (standardised)")],
            [
                [
                    d["label"],
                    *_est_cols(d),
                    (d["alpha"] or {}).get("raw"),
                    (d["alpha"] or {}).get("standardised"),
                ]
                for d in fig["dimensions"]
            ],
        )
    drivers = (sq or {}).get("drivers") or fig.get("drivers")
    if drivers:
        _sheet(
            wb,
            _("Key drivers"),
            [
                _("Driver"),
                _("Standardised coefficient"),
                _("p"),
                _("Relative weight"),
                _("Share of R²"),
            ],
            [[r["label"], r["beta"], r["p"], r["weight"], r["share"]] for r in drivers["rows"]],
        )
    comparison = fig.get("comparison") or {}
    if comparison.get("rows"):
        _sheet(
            wb,
            _("Units"),
            [_("Unit"), *est, _("Rank"), _("p vs rest (Holm)"), _("Too small to rank")],
            [
                [r["unit"].name, *_est_cols(r), r["rank"], r["p"], r["small"]]
                for r in comparison["rows"]
            ],
        )
    if fig.get("staff"):
        _sheet(
            wb,
            _("Staff rated"),
            [_("Employee number"), _("Name"), *est, _("Satisfaction rate"), _("Too small to rank")],
            [
                [
                    r["staff"].employee_no,
                    r["staff"].name,
                    *_est_cols(r),
                    (r.get("rate") or {}).get("value"),
                    r["small"],
                ]
                for r in fig["staff"]
            ],
        )
    if fig.get("subjects"):
        _sheet(
            wb,
            _("Departments rated"),
            [_("Department"), *est, _("Satisfaction rate"), _("Too small to rank")],
            [
                [r["unit"].name, *_est_cols(r), (r.get("rate") or {}).get("value"), r["small"]]
                for r in fig["subjects"]
            ],
        )
    return wb


def _summary_rows(res: analysis.Results) -> list[list[Any]]:
    fig = res.figures
    c = res.campaign
    rows: list[list[Any]] = [[_("Responses"), res.n, res.n, None, None, res.root.name]]
    sq = fig.get("servqual")
    if sq:
        rows.append([_("SERVQUAL (unweighted)"), *_est_cols(sq["unweighted"]), ""])
        if sq.get("weighted"):
            rows.append([_("SERVQUAL (weighted)"), *_est_cols(sq["weighted"]), sq["weighting"]])
        rows.append([_("SERVPERF (perceptions only)"), *_est_cols(sq["servperf"]), ""])
    if fig.get("satisfaction"):
        s = fig["satisfaction"]
        rows.append(
            [
                _("Satisfaction rate"),
                s["value"],
                s["n"],
                s["low"],
                s["high"],
                s["definition"] + " (Wilson)",
            ]
        )
    if fig.get("csi"):
        s = fig["csi"]
        rows.append(
            [
                _("CSI (0-100)"),
                s["value"],
                s["n"],
                s["low"],
                s["high"],
                "scale {}-{}".format(*tuple(s["scale"])),
            ]
        )
    if fig.get("nps"):
        s = fig["nps"]
        rows.append([_("NPS"), s["value"], s["n"], s["low"], s["high"], ""])
    rows.append([_("IPA crosshair"), None, None, None, None, c.ipa_crosshair])
    return rows


@scoped
@require_GET
def export_results(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    res = analysis.campaign_results(request.user, campaign, _unit_param(request))
    if res.suppressed:
        raise NotFound(_("Too few respondents to show."))
    return _xlsx(results_workbook(res), f"survey-{campaign.pk}-results.xlsx")


@scoped
@require_GET
def export_raw(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Every response the user may read, one row each. Not for anonymous campaigns: a row of
    answers from a small unit is a person's answers."""
    campaign = _campaign(request, campaign_id)
    if campaign.anonymous:
        return render(request, "surveys/no_raw.html", {"campaign": campaign}, status=403)
    spec = spec_parse(campaign.instrument.spec)
    codes = [i.code for i in spec.items]
    qs = (
        selectors.responses_for_user(request.user, campaign)
        .select_related("unit", "subject_staff", "subject_unit")
        .order_by("pk")
    )
    wb = Workbook()
    ws = wb.active
    ws.title = _("Responses")
    headers = [
        _("Response"),
        _("Unit code"),
        _("Unit"),
        _("Answered on"),
        _("Channel"),
        _("Respondent group"),
        _("Staff member rated"),
        _("Department rated"),
        *codes,
    ]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = BOLD
    for r in qs.iterator(chunk_size=2000):
        ws.append(
            [
                r.pk,
                r.unit.code,
                r.unit.name,
                r.submitted_on,
                r.channel,
                r.group,
                r.subject_staff.employee_no if r.subject_staff else "",
                r.subject_unit.code if r.subject_unit else "",
                *[", ".join(v) if isinstance(v := r.answers.get(c), list) else v for c in codes],
            ]
        )
    ws.freeze_panes = "A2"
    return _xlsx(wb, f"survey-{campaign.pk}-responses.xlsx")


urlpatterns: list[URLPattern] = [
    path("<int:campaign_id>/results/", results, name="results"),
    path("<int:campaign_id>/results.xlsx", export_results, name="results-xlsx"),
    path("<int:campaign_id>/responses.xlsx", export_raw, name="raw-xlsx"),
]
