"""KPI pages: the definitions, one KPI's measurements with the entry form, the Excel import."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.http import scoped
from sqms.metrics import imports, selectors, services
from sqms.metrics.forms import MeasurementForm
from sqms.metrics.models import SubjectKind
from sqms.org.forms import ImportForm
from sqms.org.models import OrgUnit, Staff
from sqms.org.roles import Cap
from sqms.org.selectors import can

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@scoped
def kpi_list(request: HttpRequest) -> HttpResponse:
    if not selectors.metrics_visible(request.user):
        raise PermissionDenied()
    return render(
        request,
        "metrics/kpi_list.html",
        {
            "kpis": selectors.kpi_list_for_user(request.user),
            "can_manage": can(request.user, Cap.METRICS_MANAGE),
        },
    )


@scoped
@require_http_methods(["GET", "POST"])
def kpi_detail(request: HttpRequest, code: str) -> HttpResponse:
    kpi = selectors.kpi_get_for_user(request.user, code)
    can_manage = can(request.user, Cap.METRICS_MANAGE) and kpi.source == "entered"
    form = MeasurementForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied()
        if form.is_valid():
            d = form.cleaned_data
            unit = staff = None
            if kpi.subject == SubjectKind.STAFF:
                staff = (
                    Staff.objects.select_related("unit").filter(employee_no=d["subject"]).first()
                )
            else:
                unit = OrgUnit.objects.filter(code=d["subject"], is_active=True).first()
            if unit is None and staff is None:
                form.add_error("subject", _("No such unit or staff member."))
            else:
                try:
                    services.measurement_record(
                        actor=request.user,  # type: ignore[arg-type]
                        kpi=kpi,
                        period_start=d["period_start"],
                        period_end=d["period_end"],
                        numerator=d["numerator"],
                        denominator=d["denominator"],
                        unit=unit,
                        staff=staff,
                        note=d["note"],
                    )
                except PermissionDenied:
                    form.add_error("subject", _("You may not enter figures for this unit."))
                except DomainError as exc:
                    for e in exc.errors or []:
                        name = str(e.loc[-1]) if e.loc and str(e.loc[-1]) in form.fields else None
                        form.add_error(name, e.msg)
                    if not exc.errors:
                        form.add_error(None, exc.message)
                else:
                    messages.success(request, _("Measurement recorded."))
                    return redirect("metrics:detail", code=kpi.code)
    rows = selectors.measurement_list_for_user(request.user, kpi)[:200]
    return render(
        request,
        "metrics/kpi_detail.html",
        {"kpi": kpi, "rows": rows, "form": form, "can_manage": can_manage},
    )


@scoped
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Cap.METRICS_MANAGE):
        raise PermissionDenied()
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = imports.import_measurements(
            actor=request.user,  # type: ignore[arg-type]
            file=form.cleaned_data["file"],
            dry_run=form.cleaned_data["dry_run"],
        )
    return render(request, "metrics/import.html", {"form": form, "report": report})


@scoped
def import_template(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Cap.METRICS_MANAGE):
        raise PermissionDenied()
    resp = HttpResponse(imports.measurement_template(), content_type=XLSX)
    resp["Content-Disposition"] = 'attachment; filename="kpi-measurements.xlsx"'
    return resp
