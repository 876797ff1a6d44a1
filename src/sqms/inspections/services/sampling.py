"""Retail customers and their scale classes, sampling plans and seeded draws, recurring
schedules, and the organisation-wide inspection rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sqms.common.audit import audit_record
from sqms.common.clock import now as current_time
from sqms.common.errors import DomainError, FieldError, field_error
from sqms.core import sampling
from sqms.inspections import checklists
from sqms.inspections.models import (
    ChecklistTemplate,
    Customer,
    InspectionRules,
    Kind,
    SampleDraw,
    SampleEntry,
    SamplingPlan,
    Schedule,
)
from sqms.inspections.services._common import (
    _require,
    _text,
)
from sqms.org.models import OrgUnit, Staff, User
from sqms.org.roles import Cap

# --- Customers, sampling plans, draws ---------------------------------------------------------


@transaction.atomic
def customers_upsert(*, actor: User | None, rows: list[dict[str, Any]]) -> int:
    """Create or update retail customers by code (from an import of purchase figures), then
    recompute the scale classes. Every row is checked; any bad row refuses the whole lot."""
    _require(actor, Cap.INSPECTION_MANAGE)
    errors: list[FieldError] = []
    units = {u.code: u for u in OrgUnit.objects.filter(code__in={str(r.get("unit")) for r in rows})}
    staff = {
        s.employee_no: s
        for s in Staff.objects.filter(employee_no__in={str(r.get("staff") or "") for r in rows})
    }
    clean: list[dict[str, Any]] = []
    for n, r in enumerate(rows):
        code = str(r.get("code") or "").strip()
        if not code:
            errors.append(FieldError(loc=[n, "code"], msg=_("This field is required.")))
        unit = units.get(str(r.get("unit")))
        if unit is None:
            errors.append(FieldError(loc=[n, "unit"], msg=_("Unit not found.")))
        qty = checklists._decimal(r.get("purchase_quantity", 0))
        amount = checklists._decimal(r.get("purchase_amount", 0))
        if qty is None or qty < 0:
            errors.append(FieldError(loc=[n, "purchase_quantity"], msg=_("A number, at least 0.")))
        if amount is None or amount < 0:
            errors.append(FieldError(loc=[n, "purchase_amount"], msg=_("A number, at least 0.")))
        fmt = str(r.get("business_format") or "").strip()
        if not fmt:
            errors.append(FieldError(loc=[n, "business_format"], msg=_("This field is required.")))
        clean.append(
            {
                "code": code,
                "name": str(r.get("name") or code).strip()[:120],
                "unit": unit,
                "staff": staff.get(str(r.get("staff") or "")),
                "market_type": str(r.get("market_type") or "").strip()[:20],
                "business_format": fmt[:40],
                "purchase_quantity": qty,
                "purchase_amount": amount,
            }
        )
    if errors:
        raise DomainError(
            code="invalid_rows",
            message=_("Some rows have errors; nothing was imported."),
            errors=errors,
        )
    for row in clean:
        Customer.objects.update_or_create(code=row.pop("code"), defaults={**row, "is_active": True})
    customers_classify(actor=actor)
    audit_record(
        actor=actor,
        action="customers.import",
        target_type="inspections.customer",
        target_id="*",
        after={"rows": len(clean)},
    )
    return len(clean)


@transaction.atomic
def customers_classify(*, actor: User | None) -> int:
    """Recompute every active customer's 20/60/20 scale class within its business format."""
    _require(actor, Cap.INSPECTION_MANAGE)
    rows = list(
        Customer.objects.filter(is_active=True).values_list(
            "pk", "business_format", "purchase_quantity", "purchase_amount"
        )
    )
    classes = sampling.scale_classes([sampling.Customer(pk, f, q, a) for pk, f, q, a in rows])
    customers = list(Customer.objects.filter(pk__in=list(classes)))
    for c in customers:
        c.scale_class = classes[c.pk]
    Customer.objects.bulk_update(customers, ["scale_class"], batch_size=500)
    return len(customers)


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the plan period containing `day`."""
    if period == SamplingPlan.Period.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    months = {"month": 1, "quarter": 3, "half": 6}[period]
    first_month = ((day.month - 1) // months) * months + 1
    start = dt.date(day.year, first_month, 1)
    end_month = first_month + months
    end = (
        dt.date(day.year + 1, 1, 1) if end_month > 12 else dt.date(day.year, end_month, 1)
    ) - dt.timedelta(days=1)
    return start, end


@transaction.atomic
def plan_save(
    *,
    actor: User | None,
    code: str,
    name: str,
    template: ChecklistTemplate,
    unit: OrgUnit,
    population: str,
    period: str,
    rate: Decimal = Decimal(0),
    minimum: int = 0,
    stratify: str = "",
    kind: str = "",
    unit_kind: str = "",
    position: str = "",
) -> SamplingPlan:
    _require(actor, Cap.INSPECTION_MANAGE, unit)
    errors: list[FieldError] = []
    if not checklists.CODE_RE.match(code or ""):
        errors.append(
            FieldError(loc=["code"], msg=_("A code is lower-case letters, digits, '-' and '_'."))
        )
    if not (name or "").strip():
        errors.append(FieldError(loc=["name"], msg=_("This field is required.")))
    if population not in SamplingPlan.Population.values:
        errors.append(FieldError(loc=["population"], msg=_("Unknown population.")))
    if period not in SamplingPlan.Period.values:
        errors.append(FieldError(loc=["period"], msg=_("Unknown period.")))
    if not Decimal(0) <= Decimal(rate) <= Decimal(1):
        errors.append(FieldError(loc=["rate"], msg=_("A share between 0 and 100%.")))
    if minimum < 0 or minimum > 10000:
        errors.append(FieldError(loc=["minimum"], msg=_("Between 0 and 10000.")))
    if Decimal(rate) == 0 and minimum == 0:
        errors.append(FieldError(loc=["rate"], msg=_("Give a share, a minimum, or both.")))
    if stratify not in SamplingPlan.Strata.values:
        errors.append(FieldError(loc=["stratify"], msg=_("Unknown strata.")))
    if stratify == SamplingPlan.Strata.SCALE and population != SamplingPlan.Population.CUSTOMER:
        errors.append(
            FieldError(loc=["stratify"], msg=_("Scale classes stratify retail customers only."))
        )
    kind = kind or template.kind
    if kind not in Kind.values:
        errors.append(FieldError(loc=["kind"], msg=_("Unknown kind of inspection.")))
    if errors:
        raise DomainError(code="invalid_plan", message=_("The plan has errors."), errors=errors)
    plan, created = SamplingPlan.objects.update_or_create(
        code=code,
        defaults={
            "name": name.strip()[:200],
            "template": template,
            "unit": unit,
            "population": population,
            "period": period,
            "rate": Decimal(rate),
            "minimum": minimum,
            "stratify": stratify,
            "kind": kind,
            "unit_kind": unit_kind,
            "position": position,
            "is_active": True,
        },
    )
    audit_record(
        actor=actor,
        action="sampling_plan.create" if created else "sampling_plan.update",
        target=plan,
        after={"rate": plan.rate, "minimum": minimum, "period": period, "stratify": stratify},
    )
    return plan


def _population(plan: SamplingPlan) -> list[tuple[str, int, str, int | None, int | None]]:
    """(key, unit id, stratum, staff id, customer id) for every member of the plan's
    population, in one query."""
    prefix = plan.unit.path
    if plan.population == SamplingPlan.Population.CUSTOMER:
        rows = Customer.objects.filter(is_active=True, unit__path__startswith=prefix).values_list(
            "pk", "unit_id", "unit__code", "scale_class", "staff_id"
        )
        out = []
        for pk, unit_id, unit_code, scale, staff_id in rows:
            if plan.stratify == SamplingPlan.Strata.SCALE:
                stratum = f"{unit_code}·{scale or '-'}"
            elif plan.stratify == SamplingPlan.Strata.UNIT:
                stratum = unit_code
            else:
                stratum = ""
            out.append((f"c{pk}", unit_id, stratum, staff_id, pk))
        return out
    if plan.population == SamplingPlan.Population.STAFF:
        qs = Staff.objects.filter(end_date__isnull=True, unit__path__startswith=prefix)
        if plan.position:
            qs = qs.filter(position__code=plan.position)
        return [
            (f"s{pk}", unit_id, code if plan.stratify else "", pk, None)
            for pk, unit_id, code in qs.values_list("pk", "unit_id", "unit__code")
        ]
    units = OrgUnit.objects.filter(is_active=True, path__startswith=prefix)
    if plan.unit_kind:
        units = units.filter(kind=plan.unit_kind)
    return [
        (f"u{pk}", pk, (parent or "") if plan.stratify else "", None, None)
        for pk, parent in units.values_list("pk", "parent__code")
    ]


@transaction.atomic
def sample_draw(
    *, actor: User | None, plan: SamplingPlan, day: dt.date, seed: str = ""
) -> SampleDraw:
    """Draw the plan's sample for the period containing `day`. The seed (by default the plan's
    code and the period) is stored: drawing again with the same seed gives the same sample."""
    _require(actor, Cap.INSPECTION_MANAGE, plan.unit)
    seed = _text(seed, "seed", limit=80) or f"{plan.code}:{period_bounds(plan.period, day)[0]}"
    start, end = period_bounds(plan.period, day)
    members = _population(plan)
    strata: dict[str, list[str]] = {}
    info = {}
    for key, unit_id, stratum, staff_id, customer_id in members:
        strata.setdefault(stratum, []).append(key)
        info[key] = (unit_id, stratum, staff_id, customer_id)
    drawn = sampling.stratified_draw(strata, seed, rate=plan.rate, minimum=plan.minimum)
    draw = SampleDraw.objects.create(
        plan=plan,
        period_start=start,
        period_end=end,
        seed=seed,
        population_size=len(members),
        size=sum(len(v) for v in drawn.values()),
        drawn_at=current_time(),
        drawn_by=actor if actor is not None and actor.is_authenticated else None,
    )
    entries = []
    order = 0
    for stratum in sorted(drawn):
        for key in drawn[stratum]:
            unit_id, _stratum, staff_id, customer_id = info[key]
            entries.append(
                SampleEntry(
                    draw=draw,
                    order=order,
                    stratum=stratum,
                    unit_id=unit_id,
                    staff_id=staff_id,
                    customer_id=customer_id,
                )
            )
            order += 1
    SampleEntry.objects.bulk_create(entries)
    audit_record(
        actor=actor,
        action="sample.draw",
        target=draw,
        after={"seed": seed, "population": len(members), "size": draw.size},
    )
    return draw


@transaction.atomic
def schedule_save(
    *,
    actor: User | None,
    template: ChecklistTemplate,
    unit: OrgUnit,
    frequency: str,
    kind: str = "",
    assignee: User | None = None,
    starts_on: dt.date | None = None,
) -> Schedule:
    _require(actor, Cap.INSPECTION_MANAGE, unit)
    if frequency not in Schedule.Frequency.values:
        raise field_error("frequency", _("Daily, weekly or monthly."))
    kind = kind or template.kind
    schedule, created = Schedule.objects.update_or_create(
        template=template,
        unit=unit,
        kind=kind,
        defaults={
            "frequency": frequency,
            "assignee": assignee,
            "starts_on": starts_on or timezone.localdate(current_time()),
            "is_active": True,
        },
    )
    audit_record(
        actor=actor,
        action="schedule.create" if created else "schedule.update",
        target=schedule,
        after={"frequency": frequency, "kind": kind},
    )
    return schedule


@transaction.atomic
def rules_save(
    *, actor: User | None, appeal_days: int, report_hour: int = 18, pack: str = ""
) -> InspectionRules:
    _require(actor, Cap.INSPECTION_MANAGE)
    if not 1 <= appeal_days <= 60:
        raise field_error("appeal_days", _("Between 1 and 60 days."))
    if not 0 <= report_hour <= 23:
        raise field_error("report_hour", _("An hour from 0 to 23."))
    values = {"appeal_days": appeal_days, "report_hour": report_hour, "pack": pack}
    current = InspectionRules.objects.filter(pk=1).first()
    if current is not None and all(getattr(current, k) == v for k, v in values.items()):
        return current  # a pack loaded again changes nothing
    row, _created = InspectionRules.objects.update_or_create(pk=1, defaults=values)
    audit_record(
        actor=actor,
        action="inspections.rules",
        target_type="inspections.rules",
        target_id="1",
        after={"appeal_days": appeal_days, "report_hour": report_hour, "pack": pack},
    )
    return row
