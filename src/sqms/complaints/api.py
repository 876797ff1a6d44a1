"""The complaints API: schemas in, one selector or service call, schema out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from sqms.common.api import Serialized, idempotent, page_of
from sqms.common.errors import DomainError, FieldError, NotFound, field_error
from sqms.complaints import selectors, services
from sqms.complaints.models import Category, Complaint
from sqms.complaints.schemas import (
    AssignIn,
    CategoryOut,
    ClassifyIn,
    CloseIn,
    ComplaintDetailOut,
    ComplaintIn,
    ComplaintOut,
    EscalateIn,
    FollowUpIn,
    MergeIn,
    NoteIn,
    ReasonIn,
    ReplyIn,
    VerifyIn,
    WaitIn,
)
from sqms.org.models import OrgUnit, Staff
from sqms.org.roles import Cap
from sqms.org.selectors import (
    staff_by_employee_no_for_user,
    staff_queryset_for_user,
    unit_by_code_for_user,
)

router = Router(tags=["complaints"])


class ComplaintFilterIn(Schema):
    status: str = ""
    channel: str = ""
    category: str = ""
    unit: str = ""
    staff: int | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    substantiated: bool | None = None
    q: str = ""
    order: str = ""
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)
    count: str = Field(
        "",
        pattern="^(|exact)$",
        description="`exact` to count every match; by default the count stops at 10,000",
    )


def _unit(request: HttpRequest, code: str, field: str) -> OrgUnit:
    unit = unit_by_code_for_user(request.user, code, Cap.COMPLAINT_VIEW)
    if unit is None:
        raise field_error(field, _("Unknown unit %(code)s.") % {"code": code})
    return unit


def _staff(
    request: HttpRequest, employee_no: str | None, field: str, cap: str = Cap.ORG_VIEW
) -> Staff | None:
    if not employee_no:
        return None
    # Scoped: another store's employee number reads as unknown, and his name never leaks.
    staff = staff_by_employee_no_for_user(request.user, employee_no, cap)
    if staff is None:
        raise field_error(field, _("Unknown employee number %(no)s.") % {"no": employee_no})
    return staff


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A time without an offset is read in the site's zone (Asia/Shanghai by default)."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _local(value: Any) -> Any:
    return timezone.localtime(value) if isinstance(value, dt.datetime) else value


def _category(code: str | None, field: str = "category") -> Category | None:
    if not code:
        return None
    cat = selectors.category_by_code(code)
    if cat is None:
        raise field_error(field, _("Unknown category %(code)s.") % {"code": code})
    return cat


def _out(
    request: HttpRequest, complaint: Complaint, *, reveal: bool = False, detail: bool = False
) -> dict[str, Any]:
    contact = selectors.complaint_contact(request.user, complaint, reveal=reveal)
    data: dict[str, Any] = {
        "id": complaint.pk,
        "ref": complaint.ref,
        "channel": complaint.channel,
        "status": complaint.status,
        "received_at": complaint.received_at,
        "unit": complaint.unit,
        "responsible_unit": complaint.responsible_unit,
        "staff": complaint.staff,
        "staff_description": complaint.staff_description,
        "occurred_at": complaint.occurred_at,
        "assignee": complaint.assignee,
        "category": complaint.category.code if complaint.category else None,
        "urgency": complaint.urgency,
        "importance": complaint.importance,
        "title": complaint.title,
        "description": complaint.description,
        "complainant_name": contact.name,
        "complainant_phone": contact.phone,
        "complainant_email": contact.email,
        "contact_masked": contact.masked,
        "contact_preference": complaint.contact_preference,
        "anonymous": complaint.anonymous,
        "substantiated": complaint.substantiated,
        "finding": complaint.finding,
        "reply": complaint.reply,
        "improvement": complaint.improvement,
        "replied_at": complaint.replied_at,
        "closed_at": complaint.closed_at,
        "next_deadline": complaint.next_deadline,
        "breached": complaint.breached,
        "waiting_on": complaint.waiting_on,
        "escalation_level": complaint.escalation_level,
        "reopen_count": complaint.reopen_count,
        "merged_into": complaint.merged_into.ref if complaint.merged_into_id else None,
    }
    for key in ("received_at", "occurred_at", "replied_at", "closed_at", "next_deadline"):
        data[key] = _local(data[key])
    if detail:
        data["clocks"] = [
            {
                "kind": c.kind,
                "target_amount": float(c.target_amount),
                "target_unit": c.target_unit,
                "started_at": _local(c.started_at),
                "deadline": _local(c.deadline),
                "paused": c.paused_remaining is not None and c.stopped_at is None,
                "breached_at": _local(c.breached_at),
                "stopped_at": _local(c.stopped_at),
                "met": c.met,
            }
            for c in selectors.clocks_for(complaint)
        ]
        data["events"] = [
            {
                "at": _local(e.at),
                "kind": e.kind,
                "actor": e.actor_label,
                "note": e.note,
                "data": e.data,
            }
            for e in complaint.events.all()
        ]
    return data


_ID_ZERO = '{"id":0,'


@router.post("", response={201: ComplaintOut})
def create_complaint(request: HttpRequest, payload: ComplaintIn) -> Status[Any]:
    # Lookups, validation and deadlines before the idempotency transaction opens (it holds
    # SQLite's write lock); inside it only the writes.
    unit = _unit(request, payload.unit, "unit")
    data = services.Intake(
        channel=payload.channel,
        unit=unit,
        description=payload.description,
        title=payload.title,
        received_at=_aware(payload.received_at),
        complainant_name=payload.complainant_name,
        complainant_phone=payload.complainant_phone,
        complainant_email=payload.complainant_email,
        contact_preference=payload.contact_preference,
        anonymous=payload.anonymous,
        staff=_staff(request, payload.staff, "staff", Cap.COMPLAINT_INTAKE),
        staff_description=payload.staff_description,
        occurred_at=_aware(payload.occurred_at),
        category=_category(payload.category),
        urgency=payload.urgency,
        importance=payload.importance,
    )
    actor: Any = request.user
    prepared = services.intake_prepare(actor=actor, data=data)
    # The answer too is made before the transaction, with the id to come written as 0 (the
    # first field, so the text starts with it); inside, the id is put in its place.
    drawn = prepared.complaint.ref
    draft = _out(request, prepared.complaint)
    draft["id"] = 0
    body = ComplaintOut.from_orm(draft).model_dump_json(by_alias=True)

    def create() -> Serialized | dict[str, Any]:
        complaint = services.complaint_create(actor=actor, data=data, prepared=prepared)
        if complaint.ref != drawn or not body.startswith(_ID_ZERO):  # the code was drawn again
            return _out(request, complaint)
        return Serialized(f'{{"id":{complaint.pk},' + body[len(_ID_ZERO) :])

    return idempotent(request, payload, create, ComplaintOut)


class ComplaintPage(Schema):
    count: int = Field(description="the matches, or 10,000 when count_exact is false")
    count_exact: bool = Field(description="false: more match than were counted (ask ?count=exact)")
    page: int
    page_size: int
    items: list[ComplaintOut]


@router.get("", response=ComplaintPage)
def list_complaints(request: HttpRequest, filters: Query[ComplaintFilterIn]) -> dict[str, Any]:
    unit = _unit(request, filters.unit, "unit") if filters.unit else None
    f = selectors.ComplaintFilter(
        status=filters.status,
        channel=filters.channel,
        category=filters.category,
        unit=unit,
        staff_id=filters.staff,
        received_from=filters.received_from,
        received_to=filters.received_to,
        substantiated=filters.substantiated,
        q=filters.q,
        order=filters.order,
    )
    qs = selectors.complaint_list_for_user(request.user, f).select_related("merged_into")
    page = page_of(qs, filters.page, filters.page_size, exact_count=filters.count == "exact")
    page["items"] = [_out(request, c) for c in page["items"]]
    return page


@router.get("/categories", response=list[CategoryOut])
def list_categories(request: HttpRequest) -> list[Category]:
    return selectors.category_tree()


@router.get("/by-ref/{ref}", response=ComplaintDetailOut)
def get_by_ref(request: HttpRequest, ref: str, reveal: bool = False) -> dict[str, Any]:
    complaint = selectors.complaint_get_by_ref_for_user(request.user, ref)
    return _out(request, complaint, reveal=reveal, detail=True)


@router.get("/{complaint_id}", response=ComplaintDetailOut)
def get_complaint(request: HttpRequest, complaint_id: int, reveal: bool = False) -> dict[str, Any]:
    complaint = selectors.complaint_get_for_user(request.user, complaint_id)
    return _out(request, complaint, reveal=reveal, detail=True)


def _handled(request: HttpRequest, complaint_id: int, cap: str = Cap.COMPLAINT_HANDLE) -> Complaint:
    return selectors.complaint_get_for_user(request.user, complaint_id, cap)


def _reload(request: HttpRequest, complaint: Complaint) -> dict[str, Any]:
    return _out(request, selectors.complaint_get_for_user(request.user, complaint.pk), detail=True)


@router.post("/{complaint_id}/classify", response=ComplaintDetailOut)
def classify(request: HttpRequest, complaint_id: int, payload: ClassifyIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    target = (
        _unit(request, payload.responsible_unit, "responsible_unit")
        if payload.responsible_unit
        else None
    )
    services.complaint_classify(
        complaint=complaint,
        actor=request.user,  # type: ignore[arg-type]
        category=_category(payload.category),
        urgency=payload.urgency,
        importance=payload.importance,
        staff=_staff(request, payload.staff, "staff"),
        responsible_unit=target,
    )
    return _reload(request, complaint)


@router.post("/{complaint_id}/assign", response=ComplaintDetailOut)
def assign(request: HttpRequest, complaint_id: int, payload: AssignIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    staff = staff_queryset_for_user(request.user).filter(employee_no=payload.assignee).first()
    if staff is None:
        raise field_error(
            "assignee", _("Unknown employee number %(no)s.") % {"no": payload.assignee}
        )
    services.complaint_assign(
        complaint=complaint, actor=request.user, assignee=staff, note=payload.note
    )  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/investigate", response=ComplaintDetailOut)
def investigate(request: HttpRequest, complaint_id: int, payload: CloseIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    services.complaint_investigate(complaint=complaint, actor=request.user, note=payload.note)  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/notes", response=ComplaintDetailOut)
def add_note(request: HttpRequest, complaint_id: int, payload: NoteIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    services.complaint_note(
        complaint=complaint, actor=request.user, note=payload.note, contacted=payload.contacted
    )  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/wait", response=ComplaintDetailOut)
def wait(request: HttpRequest, complaint_id: int, payload: WaitIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    services.complaint_wait(
        complaint=complaint, actor=request.user, on=payload.on, note=payload.note
    )  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/resume", response=ComplaintDetailOut)
def resume(request: HttpRequest, complaint_id: int, payload: CloseIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    services.complaint_resume(complaint=complaint, actor=request.user, note=payload.note)  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/verify", response=ComplaintDetailOut)
def verify(request: HttpRequest, complaint_id: int, payload: VerifyIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    services.complaint_verify(
        complaint=complaint,
        actor=request.user,
        substantiated=payload.substantiated,
        finding=payload.finding,
    )  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/reply", response=ComplaintDetailOut)
def reply(request: HttpRequest, complaint_id: int, payload: ReplyIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    services.complaint_reply(
        complaint=complaint,
        actor=request.user,
        reply=payload.reply,
        improvement=payload.improvement,
    )  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/follow-up", response=ComplaintDetailOut)
def follow_up(request: HttpRequest, complaint_id: int, payload: FollowUpIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    services.complaint_follow_up(
        complaint=complaint,
        actor=request.user,  # type: ignore[arg-type]
        satisfaction=payload.satisfaction,
        accepted=payload.accepted,
        note=payload.note,
        method=payload.method,
        close=payload.close,
    )
    return _reload(request, complaint)


@router.post("/{complaint_id}/close", response=ComplaintDetailOut)
def close(request: HttpRequest, complaint_id: int, payload: CloseIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    services.complaint_close(complaint=complaint, actor=request.user, note=payload.note)  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/reopen", response=ComplaintDetailOut)
def reopen(request: HttpRequest, complaint_id: int, payload: ReasonIn) -> dict[str, Any]:
    complaint = selectors.complaint_get_for_user(request.user, complaint_id)
    services.complaint_reopen(complaint=complaint, actor=request.user, reason=payload.reason)  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/withdraw", response=ComplaintDetailOut)
def withdraw(request: HttpRequest, complaint_id: int, payload: ReasonIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    services.complaint_withdraw(complaint=complaint, actor=request.user, reason=payload.reason)  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/void", response=ComplaintDetailOut)
def void(request: HttpRequest, complaint_id: int, payload: ReasonIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id, Cap.COMPLAINT_MANAGE)
    services.complaint_void(complaint=complaint, actor=request.user, reason=payload.reason)  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/merge", response=ComplaintDetailOut)
def merge(request: HttpRequest, complaint_id: int, payload: MergeIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    try:
        into = selectors.complaint_get_by_ref_for_user(request.user, payload.into)
    except NotFound:
        raise DomainError(
            code="invalid",
            message=_("Unknown complaint %(ref)s.") % {"ref": payload.into},
            errors=[
                FieldError(
                    loc=["into"], msg=_("Unknown complaint %(ref)s.") % {"ref": payload.into}
                )
            ],
        ) from None
    services.complaint_merge(
        complaint=complaint, into=into, actor=request.user, reason=payload.reason
    )  # type: ignore[arg-type]
    return _reload(request, complaint)


@router.post("/{complaint_id}/escalate", response=ComplaintDetailOut)
def escalate(request: HttpRequest, complaint_id: int, payload: EscalateIn) -> dict[str, Any]:
    complaint = _handled(request, complaint_id)
    services.complaint_escalate(complaint=complaint, actor=request.user, reason=payload.reason)  # type: ignore[arg-type]
    return _reload(request, complaint)
