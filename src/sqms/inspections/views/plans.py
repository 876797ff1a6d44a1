"""Sampling plans and their draws (quota and completion), retail customers (Excel import of the
purchase figures that set the scale classes), and recurring rounds with overdue flags."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _

from sqms.common.errors import DomainError, FieldError, PermissionDenied
from sqms.common.http import scoped
from sqms.inspections import selectors, services
from sqms.inspections.models import Customer, Kind, SampleDraw, SamplingPlan, Schedule
from sqms.inspections.views.checklists import error_lines
from sqms.org.models import User
from sqms.org.roles import Cap
from sqms.org.selectors import can, unit_queryset_for_user

CUSTOMER_COLUMNS = [
    "code",
    "name",
    "unit",
    "staff",
    "market_type",
    "business_format",
    "purchase_quantity",
    "purchase_amount",
]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _view(request: HttpRequest) -> None:
    if not can(request.user, Cap.INSPECTION_VIEW):
        raise PermissionDenied()


@scoped
def plan_list(request: HttpRequest) -> HttpResponse:
    _view(request)
    plans = list(selectors.plan_list_for_user(request.user))
    latest = {}
    for draw in (
        SampleDraw.objects.filter(plan__in=plans)
        .order_by("plan_id", "-period_start", "-drawn_at")
        .select_related("plan")
    ):
        latest.setdefault(draw.plan_id, draw)
    progress = selectors.draw_progress(list(latest.values()))
    manage = can(request.user, Cap.INSPECTION_MANAGE)
    errors: list[Any] = []
    if request.method == "POST":
        if not manage:
            raise PermissionDenied()
        errors = _plan_create(request)
        if not errors:
            return redirect("inspections:plans")
    rows = [
        {"plan": p, "draw": latest.get(p.pk), "progress": progress.get(latest[p.pk].pk)}
        if p.pk in latest
        else {"plan": p, "draw": None, "progress": None}
        for p in plans
    ]
    return render(
        request,
        "inspections/plan_list.html",
        {
            "rows": rows,
            "manage": manage,
            "errors": error_lines(errors),
            "templates": selectors.template_list_for_user(request.user),
            "units": unit_queryset_for_user(request.user, Cap.INSPECTION_MANAGE)
            .filter(is_active=True)
            .order_by("path")[:500],
            "populations": SamplingPlan.Population.choices,
            "periods": SamplingPlan.Period.choices,
            "stratas": SamplingPlan.Strata.choices,
            "customers": Customer.objects.filter(is_active=True).count(),
        },
    )


def _plan_create(request: HttpRequest) -> list[Any]:
    p = request.POST
    template = selectors.template_list_for_user(request.user).filter(pk=p.get("template")).first()
    unit = (
        unit_queryset_for_user(request.user, Cap.INSPECTION_MANAGE)
        .filter(pk=p.get("unit") if str(p.get("unit", "")).isdigit() else None)
        .first()
    )
    if template is None or unit is None:
        return [_("Choose a checklist and a unit.")]
    try:
        rate = Decimal(p.get("rate") or "0") / 100
        minimum = int(p.get("minimum") or 0)
    except (InvalidOperation, ValueError):
        return [_("The share and the minimum are numbers.")]
    try:
        services.plan_save(
            actor=_user(request),
            code=p.get("code", "").strip(),
            name=p.get("name", ""),
            template=template,
            unit=unit,
            population=p.get("population", ""),
            period=p.get("period", ""),
            rate=rate,
            minimum=minimum,
            stratify=p.get("stratify", ""),
            unit_kind=p.get("unit_kind", ""),
            position=p.get("position", ""),
        )
    except DomainError as exc:
        return list(exc.errors) or [exc.message]
    messages.success(request, _("Plan saved."))
    return []


@scoped
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.plan_get_for_user(request.user, plan_id)
    manage = can(request.user, Cap.INSPECTION_MANAGE, plan.unit)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied()
        try:
            day = dt.date.fromisoformat(request.POST.get("day", ""))
        except ValueError:
            messages.error(request, _("Give the day as YYYY-MM-DD."))
            return redirect("inspections:plan", plan_id=plan.pk)
        try:
            draw = services.sample_draw(
                actor=_user(request), plan=plan, day=day, seed=request.POST.get("seed", "")
            )
        except DomainError as exc:
            messages.error(request, exc.errors[0].msg if exc.errors else exc.message)
            return redirect("inspections:plan", plan_id=plan.pk)
        messages.success(
            request,
            _("Drew %(n)d of %(N)d with seed %(seed)s.")
            % {"n": draw.size, "N": draw.population_size, "seed": draw.seed},
        )
        return redirect("inspections:draw", plan_id=plan.pk, draw_id=draw.pk)
    draws = list(plan.draws.all()[:50])
    progress = selectors.draw_progress(draws)
    return render(
        request,
        "inspections/plan_detail.html",
        {
            "plan": plan,
            "rows": [(d, progress.get(d.pk, (0, 0))) for d in draws],
            "manage": manage,
            "today": timezone.localdate(),
        },
    )


@scoped
def draw_detail(request: HttpRequest, plan_id: int, draw_id: int) -> HttpResponse:
    plan = selectors.plan_get_for_user(request.user, plan_id)
    draw = selectors.draw_get(plan, draw_id)
    entries = selectors.draw_entries(draw)
    done = sum(1 for e in entries if e.done)
    strata: dict[str, list[int]] = {}
    for e in entries:
        strata.setdefault(e.stratum or "—", [0, 0])
        strata[e.stratum or "—"][1] += 1
        if e.done:
            strata[e.stratum or "—"][0] += 1
    return render(
        request,
        "inspections/draw_detail.html",
        {
            "plan": plan,
            "draw": draw,
            "entries": entries,
            "done": done,
            "strata": sorted(strata.items()),
            "can_perform": can(request.user, Cap.INSPECTION_PERFORM, plan.unit)
            or can(request.user, Cap.INSPECTION_PERFORM),
        },
    )


def _read_customer_rows(content: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise DomainError(
            code="invalid_file", message=_("The file is not an Excel workbook (.xlsx).")
        ) from None
    raw = list(wb.active.iter_rows(values_only=True)) if wb.active else []
    if not raw:
        raise DomainError(code="invalid_file", message=_("The sheet is empty."))
    header = [str(h or "").strip() for h in raw[0]]
    missing = [c for c in ("code", "unit", "business_format") if c not in header]
    if missing:
        raise DomainError(
            code="invalid_file",
            message=_("Row 1 lacks the columns %(cols)s.") % {"cols": ", ".join(missing)},
            errors=[FieldError(loc=[1, m], msg=_("Missing column.")) for m in missing],
        )
    return [
        {header[i]: v for i, v in enumerate(r) if i < len(header) and header[i]}
        for r in raw[1:]
        if any(v not in (None, "") for v in r)
    ]


@scoped
def customer_import(request: HttpRequest) -> HttpResponse:
    """Retail customers with their purchase figures; the scale classes follow. Every bad row is
    named (spreadsheet row and column) and nothing is imported unless all are valid."""
    if not can(request.user, Cap.INSPECTION_MANAGE):
        raise PermissionDenied()
    errors: list[Any] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError(code="required", message=_("Choose a file."))
            rows = _read_customer_rows(upload.read())
            count = services.customers_upsert(actor=_user(request), rows=rows)
        except DomainError as exc:
            # Service rows count from 0; the sheet's first data row is row 2.
            errors = [
                FieldError(loc=[e.loc[0] + 2, *e.loc[1:]], msg=e.msg)
                if e.loc and isinstance(e.loc[0], int) and exc.code == "invalid_rows"
                else e
                for e in exc.errors
            ] or [exc.message]
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Imported %(n)d customers.") % {"n": count})
            return redirect("inspections:plans")
    classes = {
        row["scale_class"]: row["n"]
        for row in Customer.objects.filter(is_active=True)
        .values("scale_class")
        .annotate(n=Count("pk"))
    }
    return render(
        request,
        "inspections/customer_import.html",
        {"errors": error_lines(errors), "columns": CUSTOMER_COLUMNS, "classes": classes},
    )


@scoped
def schedule_list(request: HttpRequest) -> HttpResponse:
    _view(request)
    manage = can(request.user, Cap.INSPECTION_MANAGE)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied()
        template = (
            selectors.template_list_for_user(request.user)
            .filter(pk=request.POST.get("template") or None)
            .first()
        )
        unit_id = request.POST.get("unit", "")
        unit = (
            unit_queryset_for_user(request.user, Cap.INSPECTION_MANAGE)
            .filter(pk=int(unit_id) if unit_id.isdigit() else None)
            .first()
        )
        if template is None or unit is None:
            messages.error(request, _("Choose a checklist and a unit."))
        else:
            try:
                services.schedule_save(
                    actor=_user(request),
                    template=template,
                    unit=unit,
                    frequency=request.POST.get("frequency", ""),
                    kind=request.POST.get("kind", ""),
                )
            except DomainError as exc:
                messages.error(request, exc.errors[0].msg if exc.errors else exc.message)
            else:
                messages.success(request, _("Round saved."))
        return redirect("inspections:schedules")
    rows = selectors.schedules_for_user(request.user)
    return render(
        request,
        "inspections/schedule_list.html",
        {
            "rows": rows,
            "overdue": sum(1 for r in rows if r["overdue"]),
            "manage": manage,
            "templates": selectors.template_list_for_user(request.user),
            "units": unit_queryset_for_user(request.user, Cap.INSPECTION_MANAGE)
            .filter(is_active=True)
            .order_by("path")[:500],
            "frequencies": Schedule.Frequency.choices,
            "kinds": Kind.choices,
        },
    )


urlpatterns: list[URLPattern] = [
    path("plans/", plan_list, name="plans"),
    path("plans/<int:plan_id>/", plan_detail, name="plan"),
    path("plans/<int:plan_id>/draws/<int:draw_id>/", draw_detail, name="draw"),
    path("customers/import/", customer_import, name="customer-import"),
    path("rounds/", schedule_list, name="schedules"),
]
