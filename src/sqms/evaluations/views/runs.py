"""Run pages: the list, starting a run, its page (progress while it computes; then ranking,
charts per unit, appeals and the workflow), the bulletin and the summary table in Excel."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sqms.common.charts import chart_context
from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.http import scoped
from sqms.evaluations import exports, selectors, services
from sqms.evaluations.forms import PublishForm, RunForm
from sqms.evaluations.labels import grade_labels
from sqms.evaluations.models import Appeal, Run, RunStatus, Scorecard, UnitResult
from sqms.evaluations.views.common import XLSX, card_rows
from sqms.org.models import OrgUnit
from sqms.org.roles import Cap
from sqms.org.selectors import access_for, can

BAR = "#2f6fb5"
WARN = "#c0392b"


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 110, "r": 16, "t": 8, "b": 40},
        "font": {"size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
    }
    layout.update(extra)
    return layout


def _charts(run: Run, units: list[UnitResult], cards: list[Scorecard]) -> dict[str, str]:
    threshold = (run.version.spec.get("threshold") or {}).get("below")
    level1 = sorted((u for u in units if u.level == 1), key=lambda u: (u.mean, u.unit.name))
    names = [u.unit.name for u in level1]
    ranking: dict[str, Any] = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [float(u.mean) for u in level1],
                "y": names,
                "text": [f"{u.mean}" for u in level1],
                "textposition": "outside",
                "marker": {
                    "color": [
                        WARN if threshold is not None and u.mean < Decimal(str(threshold)) else BAR
                        for u in level1
                    ]
                },
                "hovertemplate": "%{y}: %{x}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=max(220, 28 * len(level1) + 60),
            xaxis={"range": [0, float(run.version.spec.get("scale", 100)) * 1.08]},
            shapes=(
                [
                    {
                        "type": "line",
                        "x0": threshold,
                        "x1": threshold,
                        "yref": "paper",
                        "y0": 0,
                        "y1": 1,
                        "line": {"color": WARN, "dash": "dash"},
                    }
                ]
                if threshold is not None
                else []
            ),
        ),
        "empty": "" if level1 else _("No results."),
    }
    by_unit: dict[str, list[float]] = defaultdict(list)
    for c in cards:
        by_unit[c.unit.name].append(float(c.total))
    distribution: dict[str, Any] = {
        "data": [
            {
                "type": "box",
                "name": name,
                "x": values,
                "boxpoints": "all",
                "jitter": 0.4,
                "marker": {"color": BAR, "size": 5},
                "line": {"color": BAR},
                "orientation": "h",
            }
            for name, values in sorted(by_unit.items())
        ],
        "layout": _layout(
            height=max(220, 34 * len(by_unit) + 60),
            xaxis={
                "title": {"text": _("Score")},
                "range": [0, float(run.version.spec.get("scale", 100)) + 2],
            },
        ),
        "empty": "" if cards else _("No results."),
    }
    return {
        k: json.dumps(v, ensure_ascii=False)
        for k, v in {"ranking": ranking, "distribution": distribution}.items()
    }


@scoped
def index(request: HttpRequest) -> HttpResponse:
    runs = list(
        selectors.run_list_for_user(request.user).annotate(
            n=Count("scorecards"),
            pending=Count("scorecards__appeals", filter=Q(scorecards__appeals__state="pending")),
        )[:100]
    )
    mine = list(selectors.my_scorecards(request.user)[:24])
    return render(
        request,
        "evaluations/index.html",
        {
            "runs": runs,
            "mine": mine,
            "can_manage": can(request.user, Cap.EVALUATION_MANAGE),
            "sees_schemes": can(request.user, Cap.EVALUATION_VIEW),
        },
    )


@scoped
def mine(request: HttpRequest) -> HttpResponse:
    cards = list(selectors.my_scorecards(request.user))
    return render(request, "evaluations/mine.html", {"cards": cards})


@scoped
@require_http_methods(["GET", "POST"])
def run_new(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Cap.EVALUATION_MANAGE):
        raise PermissionDenied()
    form = RunForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        scope = OrgUnit.objects.filter(code=d["scope"], is_active=True).first()
        if scope is None:
            form.add_error("scope", _("No active unit has this code."))
        else:
            try:
                run = services.run_start(
                    actor=request.user,  # type: ignore[arg-type]
                    version=d["version"],
                    period=d["period"],
                    scope=scope,
                    whatif=d["whatif"],
                )
            except PermissionDenied:
                form.add_error("scope", _("You may not evaluate this unit."))
            except DomainError as exc:
                for e in exc.errors:
                    field = str(e.loc[-1]) if e.loc and str(e.loc[-1]) in form.fields else None
                    form.add_error(field, e.msg)
            else:
                return redirect("evaluations:run", run_id=run.pk)
    return render(request, "evaluations/run_new.html", {"form": form})


def _comparison(run: Run, cards: list[Scorecard]) -> list[dict[str, Any]]:
    if run.compare_to_id is None:
        return []
    old = {
        c.staff_id or c.unit_id: c
        for c in Scorecard.objects.filter(run_id=run.compare_to_id).select_related("staff", "unit")
    }
    grades = grade_labels(run.version.spec)
    rows = []
    for c in cards:
        before = old.get(c.staff_id or c.unit_id)
        rows.append(
            {
                "card": c,
                "name": c.staff.name if c.staff else c.unit.name,
                "before": before.total if before else None,
                "after": c.total,
                "delta": (c.total - before.total) if before else None,
                "grade_before": grades.get(before.grade, before.grade) if before else "",
                "grade_after": grades.get(c.grade, c.grade),
                "rank_before": before.rank if before else None,
                "rank_after": c.rank,
            }
        )
    rows.sort(key=lambda r: (-(abs(r["delta"]) if r["delta"] is not None else 0), r["name"]))
    return rows


@scoped
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get_for_user(request.user, run_id)
    quality = selectors.sees_results(request.user, run)
    if not quality:
        return redirect("evaluations:bulletin", run_id=run.pk)
    cards = list(selectors.scorecard_list_for_run(request.user, run))
    units = list(
        UnitResult.objects.filter(run=run).select_related("unit", "head").order_by("level", "rank")
    )
    grades = grade_labels(run.version.spec)
    appeals = list(selectors.appeals_for_run(request.user, run))
    manage = access_for(request.user).covers(Cap.EVALUATION_MANAGE, run.scope.path)
    context = {
        "run": run,
        "rows": card_rows(run, cards),
        "units": [{"u": u, "grade": grades.get(u.grade, u.grade)} for u in units],
        "charts": _charts(run, units, cards) if cards else {},
        "appeals": appeals,
        "pending": sum(1 for a in appeals if a.state == Appeal.State.PENDING),
        "can_manage": manage and not run.whatif,
        "comparison": _comparison(run, cards) if run.whatif else [],
        "publish_form": PublishForm(initial={"audience": run.audience}),
        "steps": [
            (s.value, s.label)
            for s in (
                RunStatus.DRAFT,
                RunStatus.APPEALS,
                RunStatus.REVIEWED,
                RunStatus.APPROVED,
                RunStatus.PUBLISHED,
            )
        ],
        **chart_context(),
    }
    return render(request, "evaluations/run_detail.html", context)


@scoped
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get_for_user(request.user, run_id)
    if not selectors.sees_results(request.user, run):
        raise PermissionDenied()
    response = render(request, "evaluations/_progress.html", {"run": run})
    if not run.computing:
        response["HX-Refresh"] = "true"
    return response


@scoped
@require_POST
def run_advance(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get_for_user(request.user, run_id)
    if not selectors.sees_results(request.user, run):
        raise PermissionDenied()
    try:
        if run.status == RunStatus.APPROVED:
            form = PublishForm(request.POST)
            audience = form.cleaned_data["audience"] if form.is_valid() else None
            services.run_publish(actor=request.user, run=run, audience=audience)  # type: ignore[arg-type]
        else:
            services.run_advance(actor=request.user, run=run)  # type: ignore[arg-type]
    except PermissionDenied:
        raise
    except DomainError as exc:
        for e in exc.errors or [exc]:
            messages.error(request, getattr(e, "msg", None) or exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("evaluations:run", run_id=run.pk)


@scoped
def bulletin(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get_for_user(request.user, run_id)
    if run.status != RunStatus.PUBLISHED and not selectors.sees_results(request.user, run):
        raise PermissionDenied()
    cards = list(
        Scorecard.objects.filter(run=run)
        .select_related("staff__position", "unit")
        .order_by("rank", "unit__path")
    )
    units = list(
        UnitResult.objects.filter(run=run, level=1).select_related("unit", "head").order_by("rank")
    )
    grades = grade_labels(run.version.spec)
    counts: dict[str, int] = defaultdict(int)
    for c in cards:
        counts[c.grade] += 1
    context = {
        "run": run,
        "rows": card_rows(run, cards),
        "stars": [c for c in cards if c.star],
        "units": [{"u": u, "grade": grades.get(u.grade, u.grade)} for u in units],
        "grade_counts": [
            (grades.get(b["code"], b["code"]), counts.get(b["code"], 0))
            for b in run.version.spec.get("bands", [])
        ],
        "draft": run.status != RunStatus.PUBLISHED,
    }
    return render(request, "evaluations/bulletin.html", context)


@scoped
def run_export(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get_for_user(request.user, run_id)
    if not selectors.sees_results(request.user, run):
        raise PermissionDenied()
    cards = list(selectors.scorecard_list_for_run(request.user, run))
    units = list(
        UnitResult.objects.filter(run=run).select_related("unit", "head").order_by("level", "rank")
    )
    resp = HttpResponse(exports.summary_workbook(run, cards, units), content_type=XLSX)
    resp["Content-Disposition"] = (
        f'attachment; filename="evaluation-{run.pk}-{run.period_label}.xlsx"'
    )
    return resp


urlpatterns: list[URLPattern] = [
    path("", index, name="list"),
    path("mine/", mine, name="mine"),
    path("runs/new/", run_new, name="run-new"),
    path("runs/<int:run_id>/", run_detail, name="run"),
    path("runs/<int:run_id>/progress", run_progress, name="run-progress"),
    path("runs/<int:run_id>/advance", run_advance, name="run-advance"),
    path("runs/<int:run_id>/bulletin/", bulletin, name="bulletin"),
    path("runs/<int:run_id>/summary.xlsx", run_export, name="run-export"),
]
