"""Scoped reads of inspections. A user sees an inspection when his grant holding
`inspections.view` covers the inspected unit, and moreover

- it is published (a covert mystery-shopper inspection only once the quality department
  published it; a draft never), or he is its inspector, or he holds `inspections.manage` there;
- or it is about himself (his staff record) and published.

Anything else is "not found". Pages, the API, exports and the reports all read through here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sqms.common.errors import NotFound, PermissionDenied
from sqms.inspections.models import (
    Answer,
    Appeal,
    ChecklistTemplate,
    Inspection,
    Photo,
    SampleDraw,
    SampleEntry,
    SamplingPlan,
    Schedule,
    Status,
    TemplateVersion,
)
from sqms.org.models import OrgUnit
from sqms.org.roles import Cap
from sqms.org.selectors import AnyUser, access_for


def _units(prefixes: list[str]) -> QuerySet[OrgUnit]:
    paths = Q()
    for p in prefixes:
        paths |= Q(path__startswith=p)
    return OrgUnit.objects.filter(paths).values("pk")  # type: ignore[return-value]


def _scope_q(user: AnyUser) -> Q | None:
    """The filter for inspections the user may see; None means everything."""
    access = access_for(user)
    if access.superuser:
        return None
    q = Q(pk__in=[])
    view = access.prefixes(Cap.INSPECTION_VIEW)
    if view:
        manage = access.prefixes(Cap.INSPECTION_MANAGE)
        visible = Q(published_at__isnull=False) | Q(inspector_id=user.pk)
        if manage:
            visible |= Q(unit_id__in=_units(manage))
        q |= Q(unit_id__in=_units(view)) & visible
    elif access.prefixes(Cap.INSPECTION_PERFORM):
        q |= Q(inspector_id=user.pk)
    if access.staff_id is not None:
        q |= Q(staff_id=access.staff_id, published_at__isnull=False)
    return q


def inspection_queryset_for_user(user: AnyUser) -> QuerySet[Inspection]:
    q = _scope_q(user)
    qs = Inspection.objects.all()
    return qs if q is None else qs.filter(q)


def inspection_get_for_user(user: AnyUser, inspection_id: int, cap: str = "") -> Inspection:
    """The inspection if the user may see it (else NotFound); with `cap`, PermissionDenied when
    he may see it but does not hold `cap` on its unit."""
    inspection = (
        inspection_queryset_for_user(user)
        .select_related(
            "unit",
            "staff",
            "staff__position",
            "customer",
            "inspector",
            "version",
            "version__template",
        )
        .filter(pk=inspection_id)
        .first()
    )
    if inspection is None:
        raise NotFound(_("Inspection not found."))
    if cap and not access_for(user).covers(cap, inspection.unit.path):
        raise PermissionDenied()
    return inspection


def inspection_sheet(inspection: Inspection) -> list[dict[str, Any]]:
    """The inspection's sections with their answers, items, photos and appeals, for the phone
    page and the detail page (four queries whatever the size)."""
    answers = list(
        inspection.answers.select_related("item", "item__section")
        .prefetch_related(
            Prefetch("photos", queryset=Photo.objects.order_by("pk")),
            Prefetch("appeals", queryset=Appeal.objects.select_related("filed_by", "decided_by")),
        )
        .order_by("order")
    )
    sections: dict[int, dict[str, Any]] = {}
    for a in answers:
        section = a.item.section
        entry = sections.setdefault(
            section.pk, {"section": section, "answers": [], "deducted": Decimal(0)}
        )
        entry["answers"].append(a)
        entry["deducted"] += a.deducted
    return list(sections.values())


@dataclass
class InspectionFilter:
    unit: OrgUnit | None = None
    status: str = ""
    kind: str = ""
    template: str = ""
    staff_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    mine: bool = False
    unpublished: bool = False


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def inspection_list_for_user(
    user: AnyUser, f: InspectionFilter | None = None
) -> QuerySet[Inspection]:
    f = f or InspectionFilter()
    qs = inspection_queryset_for_user(user).select_related(
        "unit", "staff", "inspector", "version", "version__template"
    )
    if f.unit is not None:
        qs = qs.filter(unit__path__startswith=f.unit.path)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.template:
        qs = qs.filter(version__template__code=f.template)
    if f.staff_id:
        qs = qs.filter(staff_id=f.staff_id)
    if f.date_from:
        qs = qs.filter(visited_at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(visited_at__lt=_day_start(f.date_to + dt.timedelta(days=1)))
    if f.mine:
        qs = qs.filter(inspector_id=user.pk)
    if f.unpublished:
        qs = qs.filter(status=Status.SUBMITTED, published_at__isnull=True)
    return qs.order_by("-visited_at", "-pk")


def findings_for_user(
    user: AnyUser, *, unit: OrgUnit | None = None, staff_id: int | None = None, limit: int = 50
) -> list[Answer]:
    """Failed items (current deductions) of submitted inspections the user may see, newest
    first: a unit's (subtree) or a staff member's findings."""
    visible = inspection_queryset_for_user(user).filter(status=Status.SUBMITTED)
    if unit is not None:
        visible = visible.filter(unit__path__startswith=unit.path)
    if staff_id is not None:
        visible = visible.filter(staff_id=staff_id)
    return list(
        Answer.objects.filter(inspection__in=visible.values("pk"), deducted__gt=0)
        .select_related("item", "inspection", "inspection__unit", "inspection__staff")
        .order_by("-inspection__visited_at", "order")[:limit]
    )


# --- Templates, plans, schedules ----------------------------------------------------------


def may_use_templates(user: AnyUser) -> bool:
    access = access_for(user)
    return any(
        access.any_cap(c)
        for c in (Cap.INSPECTION_VIEW, Cap.INSPECTION_PERFORM, Cap.INSPECTION_MANAGE)
    )


def template_list_for_user(
    user: AnyUser, *, active_only: bool = True
) -> QuerySet[ChecklistTemplate]:
    """Checklists are organisation-wide: everyone who inspects or sees inspections reads them."""
    if not may_use_templates(user):
        return ChecklistTemplate.objects.none()
    qs = ChecklistTemplate.objects.select_related("current")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.annotate(version_count=Count("versions")).order_by("code")


def template_get_for_user(user: AnyUser, template_id: int) -> ChecklistTemplate:
    template = template_list_for_user(user, active_only=False).filter(pk=template_id).first()
    if template is None:
        raise NotFound(_("Checklist not found."))
    return template


def template_versions(template: ChecklistTemplate) -> QuerySet[TemplateVersion]:
    return template.versions.annotate(used=Count("inspections")).order_by("-number")


def version_get(template: ChecklistTemplate, number: int) -> TemplateVersion:
    version = template.versions.filter(number=number).select_related("template").first()
    if version is None:
        raise NotFound(_("Checklist version not found."))
    return version


def plan_list_for_user(user: AnyUser) -> QuerySet[SamplingPlan]:
    access = access_for(user)
    qs = SamplingPlan.objects.select_related("template", "unit").filter(is_active=True)
    if access.superuser:
        return qs
    prefixes = access.prefixes(Cap.INSPECTION_VIEW)
    if not prefixes:
        return qs.none()
    q = Q()
    for p in prefixes:
        q |= Q(unit__path__startswith=p)
    return qs.filter(q)


def plan_get_for_user(user: AnyUser, plan_id: int, cap: str = "") -> SamplingPlan:
    plan = plan_list_for_user(user).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("Sampling plan not found."))
    if cap and not access_for(user).covers(cap, plan.unit.path):
        raise PermissionDenied()
    return plan


def draw_get(plan: SamplingPlan, draw_id: int) -> SampleDraw:
    draw = plan.draws.filter(pk=draw_id).first()
    if draw is None:
        raise NotFound(_("Sample not found."))
    return draw


def draw_entries(draw: SampleDraw) -> list[SampleEntry]:
    """The sample, each entry annotated with its submitted inspection if one was done."""
    done = Inspection.objects.filter(sample_entry=OuterRef("pk"), status=Status.SUBMITTED)
    return list(
        draw.entries.select_related("unit", "staff", "customer", "customer__staff")
        .annotate(done=Exists(done), done_id=Max("inspections__pk"))
        .order_by("order")
    )


def draw_progress(draws: list[SampleDraw]) -> dict[int, tuple[int, int]]:
    """(done, quota) per draw, in one query."""
    rows = (
        SampleEntry.objects.filter(draw__in=draws)
        .values("draw_id")
        .annotate(
            quota=Count("pk", distinct=True),
            done=Count(
                "inspections",
                filter=Q(inspections__status=Status.SUBMITTED),
                distinct=True,
            ),
        )
    )
    return {r["draw_id"]: (r["done"], r["quota"]) for r in rows}


def _period_end(frequency: str, start: dt.date) -> dt.date:
    if frequency == Schedule.Frequency.DAY:
        return start
    if frequency == Schedule.Frequency.WEEK:
        return start - dt.timedelta(days=start.weekday()) + dt.timedelta(days=6)
    nxt = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def schedules_for_user(user: AnyUser, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Recurring rounds on units the user sees, with the last submitted inspection and whether
    the round is overdue: each period (day, week, month) needs one, due by the period's end; a
    round is overdue when the period after the last one done (or after its start) has ended."""
    access = access_for(user)
    today = today or timezone.localdate()
    qs = Schedule.objects.filter(is_active=True).select_related("template", "unit", "assignee")
    if not access.superuser:
        prefixes = access.prefixes(Cap.INSPECTION_VIEW)
        if not prefixes:
            return []
        q = Q()
        for p in prefixes:
            q |= Q(unit__path__startswith=p)
        qs = qs.filter(q)
    last = (
        Inspection.objects.filter(
            status=Status.SUBMITTED,
            unit_id=OuterRef("unit_id"),
            kind=OuterRef("kind"),
            version__template_id=OuterRef("template_id"),
        )
        .order_by("-visited_at")
        .values("visited_at")[:1]
    )
    out = []
    for s in qs.annotate(last_done=last):
        last_day = timezone.localdate(s.last_done) if s.last_done else None
        if last_day is not None:
            due = _period_end(
                s.frequency, _period_end(s.frequency, last_day) + dt.timedelta(days=1)
            )
        else:
            due = _period_end(s.frequency, s.starts_on)
        out.append({"schedule": s, "last_done": s.last_done, "due": due, "overdue": today > due})
    return out
