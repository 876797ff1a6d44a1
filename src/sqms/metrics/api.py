"""The KPI API: definitions, and recording a measurement."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from sqms.common.errors import NotFound, field_error
from sqms.metrics import selectors, services
from sqms.metrics.models import Kpi, Measurement, SubjectKind
from sqms.metrics.schemas import KpiOut, MeasurementIn, MeasurementOut
from sqms.org.models import OrgUnit, Staff

router = Router(tags=["metrics"])


def _out(m: Measurement) -> dict[str, Any]:
    return {
        "id": m.pk,
        "kpi": m.kpi.code,
        "unit": m.unit.code,
        "staff": m.staff.employee_no if m.staff else None,
        "period_start": m.period_start,
        "period_end": m.period_end,
        "numerator": m.numerator,
        "denominator": m.denominator,
        "value": m.value,
        "note": m.note,
    }


@router.get("/kpis", response=list[KpiOut])
def list_kpis(request: HttpRequest) -> list[Kpi]:
    return list(selectors.kpi_list_for_user(request.user))


@router.get("/kpis/{code}/measurements", response=list[MeasurementOut])
def list_measurements(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    kpi = selectors.kpi_get_for_user(request.user, code)
    return [_out(m) for m in selectors.measurement_list_for_user(request.user, kpi)[:500]]


@router.post("/measurements", response={201: MeasurementOut})
def record_measurement(request: HttpRequest, payload: MeasurementIn) -> Status[Any]:
    try:
        kpi = selectors.kpi_get_for_user(request.user, payload.kpi)
    except NotFound:
        raise field_error("kpi", _("Unknown KPI %(code)s.") % {"code": payload.kpi}) from None
    unit = staff = None
    if kpi.subject == SubjectKind.STAFF:
        staff = Staff.objects.select_related("unit").filter(employee_no=payload.subject).first()
    else:
        unit = OrgUnit.objects.filter(code=payload.subject, is_active=True).first()
    if unit is None and staff is None:
        raise field_error("subject", _("No such unit or staff member."))
    m = services.measurement_record(
        actor=request.user,  # type: ignore[arg-type]
        kpi=kpi,
        period_start=payload.period_start,
        period_end=payload.period_end,
        numerator=payload.numerator,
        denominator=payload.denominator,
        unit=unit,
        staff=staff,
        note=payload.note,
    )
    return Status(201, _out(m))
