"""The inspections API: schemas in, one selector or service call, schema out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from sqms.common.api import idempotent, page_of
from sqms.common.errors import NotFound, field_error
from sqms.inspections import checklists, selectors, services
from sqms.inspections.models import Appeal, Inspection
from sqms.inspections.schemas import (
    AnswerIn,
    AppealIn,
    AppealOut,
    DecisionIn,
    InspectionDetailOut,
    InspectionIn,
    InspectionOut,
    InspectionPage,
    TemplateDetailOut,
    TemplateIn,
    TemplateOut,
)
from sqms.org.models import User
from sqms.org.roles import Cap
from sqms.org.selectors import staff_queryset_for_user, unit_queryset_for_user

router = Router(tags=["inspections"])


def _local(value: Any) -> Any:
    return timezone.localtime(value) if isinstance(value, dt.datetime) else value


def _out(i: Inspection) -> dict[str, Any]:
    return {
        "id": i.pk,
        "template": i.version.template.code,
        "version": i.version.number,
        "kind": i.kind,
        "status": i.status,
        "unit": i.unit.code,
        "staff": i.staff.employee_no if i.staff_id else None,
        "inspector": i.inspector.get_username(),
        "covert": i.covert,
        "visited_at": _local(i.visited_at),
        "area": i.area,
        "time_slot": i.time_slot,
        "score": i.score,
        "max_points": i.max_points,
        "percent": i.percent,
        "vetoed": i.vetoed,
        "submitted_score": i.submitted_score,
        "submitted_at": _local(i.submitted_at),
        "published_at": _local(i.published_at),
    }


def _detail(i: Inspection) -> dict[str, Any]:
    answers = []
    for s in selectors.inspection_sheet(i):
        for a in s["answers"]:
            appeals = list(a.appeals.all())
            answers.append(
                {
                    "id": a.pk,
                    "item": a.item.code,
                    "section": s["section"].code,
                    "answered": a.answered,
                    "nonconformities": a.nonconformities,
                    "not_applicable": a.not_applicable,
                    "note": a.note,
                    "deducted": a.deducted,
                    "overturned": a.overturned,
                    "appeal": appeals[0].outcome if appeals else "",
                }
            )
    return {**_out(i), "answers": answers}


def _template_out(t: Any) -> dict[str, Any]:
    return {
        "id": t.pk,
        "code": t.code,
        "name_zh": t.name_zh,
        "name_en": t.name_en,
        "subject": t.subject,
        "kind": t.kind,
        "version": t.current.number,
        "max_points": t.current.max_points,
    }


@router.get("/checklists", response=list[TemplateOut])
def list_templates(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        _template_out(t)
        for t in selectors.template_list_for_user(request.user).filter(current__isnull=False)
    ]


@router.get("/checklists/{code}", response=TemplateDetailOut)
def get_template(request: HttpRequest, code: str, version: int | None = None) -> dict[str, Any]:
    template = (
        selectors.template_list_for_user(request.user, active_only=False).filter(code=code).first()
    )
    if template is None:
        raise NotFound(_("Checklist not found."))
    chosen = selectors.version_get(template, version) if version else template.current
    spec = checklists.version_spec(chosen)
    return {**_template_out(template), "version": chosen.number, **spec, "id": template.pk}


@router.put("/checklists/{code}", response=TemplateDetailOut)
def put_template(request: HttpRequest, code: str, payload: TemplateIn) -> dict[str, Any]:
    data = payload.model_dump()
    note = data.pop("note")
    data["code"] = code
    actor: User = request.user  # type: ignore[assignment]
    version = services.template_save(actor=actor, spec=data, note=note)
    return get_template(request, code, version.number)


class InspectionFilterIn(Schema):
    unit: str = ""
    status: str = ""
    kind: str = ""
    template: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


@router.get("", response=InspectionPage)
def list_inspections(request: HttpRequest, filters: Query[InspectionFilterIn]) -> dict[str, Any]:
    unit = None
    if filters.unit:
        unit = (
            unit_queryset_for_user(request.user, Cap.INSPECTION_VIEW)
            .filter(code=filters.unit)
            .first()
        )
        if unit is None:
            raise field_error("unit", _("Unknown unit %(code)s.") % {"code": filters.unit})
    qs = selectors.inspection_list_for_user(
        request.user,
        selectors.InspectionFilter(
            unit=unit,
            status=filters.status,
            kind=filters.kind,
            template=filters.template,
            date_from=filters.date_from,
            date_to=filters.date_to,
        ),
    )
    page = page_of(qs, filters.page, filters.page_size)
    return {**page, "items": [_out(i) for i in page["items"]]}


@router.get("/{inspection_id}", response=InspectionDetailOut)
def get_inspection(request: HttpRequest, inspection_id: int) -> dict[str, Any]:
    return _detail(selectors.inspection_get_for_user(request.user, inspection_id))


@router.post("", response={201: InspectionDetailOut})
def start_inspection(request: HttpRequest, payload: InspectionIn) -> Status[Any]:
    template = selectors.template_list_for_user(request.user).filter(code=payload.template).first()
    if template is None:
        raise field_error("template", _("Unknown checklist %(code)s.") % {"code": payload.template})
    unit = None
    if payload.unit:
        unit = (
            unit_queryset_for_user(request.user, Cap.INSPECTION_PERFORM)
            .filter(code=payload.unit)
            .first()
        )
        if unit is None:
            raise field_error("unit", _("Unknown unit %(code)s.") % {"code": payload.unit})
    staff = None
    if payload.staff:
        staff = (
            staff_queryset_for_user(request.user, Cap.INSPECTION_PERFORM)
            .select_related("unit")
            .filter(employee_no=payload.staff)
            .first()
        )
        if staff is None:
            raise field_error("staff", _("Unknown employee number %(no)s.") % {"no": payload.staff})
    visited = payload.visited_at
    if visited is not None and timezone.is_naive(visited):
        visited = timezone.make_aware(visited)
    actor: User = request.user  # type: ignore[assignment]

    def create() -> dict[str, Any]:
        inspection = services.inspection_start(
            actor=actor,
            template=template,
            unit=unit,
            staff=staff,
            kind=payload.kind,
            visited_at=visited,
            area=payload.area,
            time_slot=payload.time_slot,
            script=payload.script,
        )
        return _detail(selectors.inspection_get_for_user(actor, inspection.pk))

    return idempotent(request, payload, create, InspectionDetailOut)


def _draft(request: HttpRequest, inspection_id: int) -> Inspection:
    """The inspection if visible; the services refuse anyone but its inspector (or a manager)."""
    return selectors.inspection_get_for_user(request.user, inspection_id)


@router.patch("/{inspection_id}/answers/{item}", response=InspectionDetailOut)
def answer(
    request: HttpRequest, inspection_id: int, item: str, payload: AnswerIn
) -> dict[str, Any]:
    inspection = _draft(request, inspection_id)
    row = inspection.answers.filter(item__code=item).first()
    if row is None:
        raise field_error("item", _("No such item in this inspection."))
    actor: User = request.user  # type: ignore[assignment]
    services.inspection_answer(
        actor=actor,
        inspection=inspection,
        answer_id=row.pk,
        nonconformities=payload.nonconformities,
        not_applicable=payload.not_applicable,
        note=payload.note,
    )
    return _detail(selectors.inspection_get_for_user(actor, inspection_id))


@router.post("/{inspection_id}/submit", response=InspectionDetailOut)
def submit(request: HttpRequest, inspection_id: int) -> dict[str, Any]:
    inspection = _draft(request, inspection_id)
    actor: User = request.user  # type: ignore[assignment]
    services.inspection_submit(actor=actor, inspection=inspection)
    return _detail(selectors.inspection_get_for_user(actor, inspection_id))


@router.post("/{inspection_id}/publish", response=InspectionOut)
def publish(request: HttpRequest, inspection_id: int) -> dict[str, Any]:
    inspection = selectors.inspection_get_for_user(
        request.user, inspection_id, Cap.INSPECTION_MANAGE
    )
    actor: User = request.user  # type: ignore[assignment]
    return _out(services.inspection_publish(actor=actor, inspection=inspection))


def _appeal_out(appeal: Appeal) -> dict[str, Any]:
    return {
        "id": appeal.pk,
        "item": appeal.answer.item.code,
        "outcome": appeal.outcome,
        "statement": appeal.statement,
        "reason": appeal.reason,
        "filed_at": _local(appeal.filed_at),
        "decided_at": _local(appeal.decided_at),
        "score": Inspection.objects.values_list("score", flat=True).get(pk=appeal.inspection_id),
    }


@router.post("/{inspection_id}/appeals", response={201: AppealOut})
def file_appeal(request: HttpRequest, inspection_id: int, payload: AppealIn) -> Status[Any]:
    inspection = selectors.inspection_get_for_user(request.user, inspection_id)
    row = inspection.answers.select_related("item").filter(item__code=payload.item).first()
    if row is None:
        raise field_error("item", _("No such item in this inspection."))
    actor: User = request.user  # type: ignore[assignment]
    appeal = services.appeal_file(actor=actor, answer=row, statement=payload.statement)
    return Status(201, _appeal_out(appeal))


@router.post("/{inspection_id}/appeals/{appeal_id}/decision", response=AppealOut)
def decide_appeal(
    request: HttpRequest, inspection_id: int, appeal_id: int, payload: DecisionIn
) -> dict[str, Any]:
    inspection = selectors.inspection_get_for_user(
        request.user, inspection_id, Cap.INSPECTION_MANAGE
    )
    appeal = inspection.appeals.select_related("answer__item").filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound(_("Appeal not found."))
    actor: User = request.user  # type: ignore[assignment]
    decided = services.appeal_decide(
        actor=actor, appeal=appeal, outcome=payload.outcome, reason=payload.reason
    )
    return _appeal_out(decided)
