"""Inspection facts for the evaluation engine (issue 6) — set-based, one query per call, however
many inspections the period holds. Not scoped to a user: the evaluation engine runs as the
system and applies its own scheme's scope; pages must keep using `selectors`.

Only submitted inspections count (drafts and voided ones never do), and always with their
*current* outcome: a deduction overturned on appeal is gone, a correction is applied. A covert
inspection counts once submitted, published or not (publication is about who may see it, not
whether it happened).

Periods are inclusive local dates (`SQMS_TIME_ZONE`) of the visit (`visited_at`).

`inspection_scores(period_start, period_end, *, subject="staff" | "unit", unit=None,
template=None, kinds=None, sampled_only=False) -> list[ScoreFact]`
    Per subject, the mean over its inspections of the score and of the percentage, with `n`,
    the number of inspections averaged — seed 004 第九条: a staff member's score is the mean
    over the sampled customers' visits. `subject="staff"` groups the inspections that name a
    staff member (customer visits attributed to him included) by staff id; `subject="unit"`
    groups the inspections of units (no staff member named) by the inspected unit's id.
    `unit` limits to that unit's subtree; `template` to one checklist code (all its versions);
    `kinds` to the given inspection kinds; `sampled_only` to inspections done for a sampling
    plan's draw. Means are Decimals rounded to 2 places; the max points of the checklist is
    reported as `max_points` (the largest seen, since N/A items may reduce it).

`inspection_deductions(period_start, period_end, *, unit=None, template=None, kinds=None,
staff_id=None) -> list[DeductionFact]`
    Every current deduction (points lost on a failed item, after floors and appeals), with the
    ids to link back: `inspection_id`, `answer_id` (the inspection item), `template_item_id`
    and `item_code`, `section_code`, `unit_id`, `staff_id`, the visit time, the number of
    nonconformities and the points, and `appeal` = "" | "pending" | "upheld" (a pending appeal
    may still remove the deduction; an overturned one is not listed).

`mystery_shopping_by_unit(period_start, period_end, *, unit=None, published_only=True)
-> list[ScoreFact]`
    Per inspected unit, the mean of its mystery-shopper visits (with or without a staff member
    named), with n: the delivery of the service against the checklist's standard, gap 3 of the
    gap model for the surveys' reports. By default only published visits: an unpublished one
    is still covert and its result must not show on any page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from django.db.models import Avg, Count, Max, QuerySet
from django.utils import timezone

from sqms.inspections.models import Answer, Inspection, Kind, Status
from sqms.org.models import OrgUnit

__all__ = [
    "DeductionFact",
    "ScoreFact",
    "inspection_deductions",
    "inspection_scores",
    "mystery_shopping_by_unit",
]

TWO = Decimal("0.01")


@dataclass(frozen=True)
class ScoreFact:
    subject_id: int
    n: int
    mean_score: Decimal
    mean_percent: Decimal
    max_points: Decimal


@dataclass(frozen=True)
class DeductionFact:
    inspection_id: int
    answer_id: int
    template_item_id: int
    item_code: str
    section_code: str
    template_code: str
    unit_id: int
    staff_id: int | None
    visited_at: dt.datetime
    nonconformities: int
    deducted: Decimal
    appeal: str


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return lo, hi


def _inspections(
    start: dt.date,
    end: dt.date,
    unit: OrgUnit | None,
    template: str | None,
    kinds: Iterable[str] | None,
) -> QuerySet[Inspection]:
    lo, hi = _bounds(start, end)
    qs = Inspection.objects.filter(status=Status.SUBMITTED, visited_at__gte=lo, visited_at__lt=hi)
    if unit is not None:
        qs = qs.filter(unit_id__in=OrgUnit.objects.filter(path__startswith=unit.path).values("pk"))
    if template:
        qs = qs.filter(version__template__code=template)
    if kinds:
        qs = qs.filter(kind__in=list(kinds))
    return qs


def _round(value: Decimal | float | None) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(TWO, rounding=ROUND_HALF_UP)


def inspection_scores(
    period_start: dt.date,
    period_end: dt.date,
    *,
    subject: Literal["staff", "unit"] = "staff",
    unit: OrgUnit | None = None,
    template: str | None = None,
    kinds: Iterable[str] | None = None,
    sampled_only: bool = False,
) -> list[ScoreFact]:
    """Mean score per staff member or unit over the period; see the module docstring."""
    if subject not in ("staff", "unit"):
        raise ValueError("subject is 'staff' or 'unit'")
    qs = _inspections(period_start, period_end, unit, template, kinds)
    if sampled_only:
        qs = qs.filter(sample_entry__isnull=False)
    if subject == "staff":
        key = "staff_id"
        qs = qs.filter(staff__isnull=False)
    else:
        key = "unit_id"
        qs = qs.filter(staff__isnull=True)
    rows = (
        qs.order_by()
        .values(key)
        .annotate(n=Count("pk"), mean=Avg("score"), pct=Avg("percent"), top=Max("max_points"))
        .order_by(key)
    )
    return [
        ScoreFact(r[key], r["n"], _round(r["mean"]), _round(r["pct"]), _round(r["top"]))
        for r in rows
    ]


def mystery_shopping_by_unit(
    period_start: dt.date,
    period_end: dt.date,
    *,
    unit: OrgUnit | None = None,
    published_only: bool = True,
) -> list[ScoreFact]:
    """Mean mystery-shopper score per inspected unit over the period; see the module docstring."""
    qs = _inspections(period_start, period_end, unit, None, [Kind.MYSTERY])
    if published_only:
        qs = qs.filter(published_at__isnull=False)
    rows = (
        qs.order_by()
        .values("unit_id")
        .annotate(n=Count("pk"), mean=Avg("score"), pct=Avg("percent"), top=Max("max_points"))
        .order_by("unit_id")
    )
    return [
        ScoreFact(r["unit_id"], r["n"], _round(r["mean"]), _round(r["pct"]), _round(r["top"]))
        for r in rows
    ]


def inspection_deductions(
    period_start: dt.date,
    period_end: dt.date,
    *,
    unit: OrgUnit | None = None,
    template: str | None = None,
    kinds: Iterable[str] | None = None,
    staff_id: int | None = None,
) -> list[DeductionFact]:
    """Every current deduction of the period; see the module docstring."""
    inspections = _inspections(period_start, period_end, unit, template, kinds)
    if staff_id is not None:
        inspections = inspections.filter(staff_id=staff_id)
    # One appeal at most per deduction (a unique constraint): a LEFT JOIN, not a subquery per row.
    rows = (
        Answer.objects.filter(
            deducted__gt=0, overturned=False, inspection_id__in=inspections.values("pk")
        )
        .values_list(
            "inspection_id",
            "pk",
            "item_id",
            "item__code",
            "item__section__code",
            "inspection__version__template__code",
            "inspection__unit_id",
            "inspection__staff_id",
            "inspection__visited_at",
            "nonconformities",
            "deducted",
            "appeals__outcome",
        )
        .order_by("inspection_id", "order")
    )
    return [
        DeductionFact(
            inspection_id=r[0],
            answer_id=r[1],
            template_item_id=r[2],
            item_code=r[3],
            section_code=r[4],
            template_code=r[5],
            unit_id=r[6],
            staff_id=r[7],
            visited_at=r[8],
            nonconformities=r[9],
            deducted=r[10],
            appeal=r[11] or "",
        )
        for r in rows
    ]
