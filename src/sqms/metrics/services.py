"""Writes to KPIs and their measurements; every one audited in its own transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from sqms.common.audit import audit_record, snapshot
from sqms.common.errors import DomainError, FieldError, PermissionDenied
from sqms.metrics.models import Formula, Kpi, Measurement, SubjectKind
from sqms.org.models import OrgUnit, Staff, User
from sqms.org.roles import Cap
from sqms.org.selectors import access_for

FOUR = Decimal("0.0001")


def measurement_value(kpi: Kpi, numerator: Decimal, denominator: Decimal | None) -> Decimal:
    """The figure a numerator and denominator give under the KPI's formula; raises DomainError
    naming the field when they cannot."""
    errors: list[FieldError] = []
    if numerator < 0:
        errors.append(FieldError(loc=["numerator"], msg=_("Must not be negative.")))
    if kpi.is_ratio or kpi.formula == Formula.MEAN:
        if denominator is None or denominator <= 0:
            if kpi.is_ratio or denominator is not None:
                errors.append(
                    FieldError(loc=["denominator"], msg=_("A ratio needs a denominator above 0."))
                )
        elif kpi.is_ratio and numerator > denominator:
            errors.append(
                FieldError(loc=["numerator"], msg=_("The numerator cannot exceed the denominator."))
            )
    if kpi.formula == Formula.COUNT and numerator != numerator.to_integral_value():
        errors.append(FieldError(loc=["numerator"], msg=_("A count is a whole number.")))
    if errors:
        raise DomainError(code="invalid_measurement", message=errors[0].msg, errors=errors)
    if kpi.formula == Formula.RATIO_PERCENT:
        assert denominator is not None
        value = numerator / denominator * 100
    elif kpi.formula == Formula.RATIO_PERMILLE:
        assert denominator is not None
        value = numerator / denominator * 1000
    elif kpi.formula == Formula.MEAN and denominator:
        value = numerator / denominator
    else:
        value = numerator
    return value.quantize(FOUR)


def _check_scope(actor: User | None, unit: OrgUnit) -> None:
    if actor is not None and not access_for(actor).covers(Cap.METRICS_MANAGE, unit.path):
        raise PermissionDenied()


@transaction.atomic
def measurement_record(
    *,
    actor: User | None,
    kpi: Kpi,
    period_start: dt.date,
    period_end: dt.date,
    numerator: Decimal,
    denominator: Decimal | None = None,
    unit: OrgUnit | None = None,
    staff: Staff | None = None,
    note: str = "",
    origin: str = Measurement.Origin.ENTERED,
) -> Measurement:
    """Record (or replace) the KPI's figure for one subject and period."""
    errors: list[FieldError] = []
    if period_end < period_start:
        errors.append(FieldError(loc=["period_end"], msg=_("The period ends before it starts.")))
    if kpi.subject == SubjectKind.STAFF and staff is None:
        errors.append(FieldError(loc=["staff"], msg=_("This KPI is measured per staff member.")))
    if kpi.subject == SubjectKind.UNIT and unit is None:
        errors.append(FieldError(loc=["unit"], msg=_("This KPI is measured per unit.")))
    if kpi.source != "entered":
        errors.append(
            FieldError(loc=["kpi"], msg=_("This KPI is computed from SQMS's own records."))
        )
    if errors:
        raise DomainError(code="invalid_measurement", message=errors[0].msg, errors=errors)
    if staff is not None:
        unit = staff.unit
        if kpi.subject == SubjectKind.UNIT:
            staff = None
    assert unit is not None
    _check_scope(actor, unit)
    value = measurement_value(kpi, numerator, denominator)
    existing = (
        Measurement.objects.select_for_update()
        .filter(
            kpi=kpi,
            period_start=period_start,
            period_end=period_end,
            **({"staff": staff} if staff is not None else {"unit": unit, "staff__isnull": True}),
        )
        .first()
    )
    fields = ["numerator", "denominator", "value", "note", "origin"]
    if existing is not None:
        before = snapshot(existing, fields)
        existing.numerator, existing.denominator, existing.value = numerator, denominator, value
        existing.note, existing.origin, existing.entered_by = note, origin, actor
        existing.save(update_fields=[*fields, "entered_by", "updated_at"])
        audit_record(
            actor=actor,
            action="metrics.measurement_replace",
            target=existing,
            before=before,
            after=snapshot(existing, fields),
        )
        return existing
    m = Measurement.objects.create(
        kpi=kpi,
        unit=unit,
        staff=staff,
        period_start=period_start,
        period_end=period_end,
        numerator=numerator,
        denominator=denominator,
        value=value,
        note=note,
        origin=origin,
        entered_by=actor,
    )
    audit_record(
        actor=actor, action="metrics.measurement_record", target=m, after=snapshot(m, fields)
    )
    return m


KPI_FIELDS = [
    "name_zh",
    "name_en",
    "formula",
    "direction",
    "target",
    "source",
    "subject",
    "numerator_label",
    "denominator_label",
    "definition",
    "pack",
    "is_active",
]


@transaction.atomic
def kpi_upsert(*, actor: User | None, code: str, **values: object) -> Kpi:
    """Create or update a KPI definition (packs and the admin); the change is audited."""
    if actor is not None and not access_for(actor).any_cap(Cap.METRICS_MANAGE):
        raise PermissionDenied()
    if values.get("target") is not None:
        values["target"] = Decimal(str(values["target"])).quantize(FOUR)
    kpi = Kpi.objects.select_for_update().filter(code=code).first()
    if kpi is None:
        kpi = Kpi.objects.create(code=code, **values)
        audit_record(
            actor=actor, action="metrics.kpi_create", target=kpi, after=snapshot(kpi, KPI_FIELDS)
        )
        return kpi
    before = snapshot(kpi, KPI_FIELDS)
    for k, v in values.items():
        setattr(kpi, k, v)
    if snapshot(kpi, KPI_FIELDS) == before:
        return kpi  # loading a pack again changes nothing
    kpi.save()
    audit_record(
        actor=actor,
        action="metrics.kpi_update",
        target=kpi,
        before=before,
        after=snapshot(kpi, KPI_FIELDS),
    )
    return kpi
