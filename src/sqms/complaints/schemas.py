"""API schemas of complaints. The complainant's contact details go out masked unless the caller
holds the personal-data right and asks for them (`?reveal=1`, logged)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class UnitRef(Schema):
    id: int
    code: str
    name: str


class StaffRef(Schema):
    id: int
    employee_no: str
    name: str


class CategoryOut(Schema):
    id: int
    code: str
    parent_id: int | None
    name_zh: str
    name_en: str
    route_to_id: int | None
    counts_against_staff: bool


class ComplaintIn(Schema):
    channel: str = Field(..., description="desk, slip, hotline, web, api or email")
    unit: str = Field(..., description="code of the store or unit concerned", max_length=40)
    description: str = Field(..., min_length=1, max_length=5000)
    title: str = Field("", max_length=120)
    received_at: dt.datetime | None = Field(None, description="ISO 8601 with offset; default now")
    complainant_name: str = Field("", max_length=80)
    complainant_phone: str = Field("", max_length=30)
    complainant_email: str = Field("", max_length=254)
    contact_preference: str = "phone"
    anonymous: bool = False
    staff: str | None = Field(None, description="employee number of the staff member concerned")
    staff_description: str = Field(
        "", max_length=200, description="the staff member as the customer described him"
    )
    occurred_at: dt.datetime | None = Field(
        None, description="when it happened, ISO 8601 with offset, if the customer said"
    )
    category: str | None = Field(None, description="category code")
    urgency: int = Field(2, ge=1, le=3)
    importance: int = Field(2, ge=1, le=3)


class ClockOut(Schema):
    kind: str
    target_amount: float
    target_unit: str
    started_at: dt.datetime
    deadline: dt.datetime | None
    paused: bool
    breached_at: dt.datetime | None
    stopped_at: dt.datetime | None
    met: bool | None


class EventOut(Schema):
    at: dt.datetime
    kind: str
    actor: str
    note: str
    data: dict[str, object]


class ComplaintOut(Schema):
    id: int
    ref: str
    channel: str
    status: str
    received_at: dt.datetime
    unit: UnitRef
    responsible_unit: UnitRef
    staff: StaffRef | None
    staff_description: str
    occurred_at: dt.datetime | None
    assignee: StaffRef | None
    category: str | None
    urgency: int
    importance: int
    title: str
    description: str
    complainant_name: str
    complainant_phone: str
    complainant_email: str
    contact_preference: str
    anonymous: bool
    contact_masked: bool
    substantiated: bool | None
    finding: str
    reply: str
    improvement: str
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    next_deadline: dt.datetime | None
    breached: bool
    waiting_on: str
    escalation_level: int
    reopen_count: int
    merged_into: str | None


class ComplaintDetailOut(ComplaintOut):
    clocks: list[ClockOut]
    events: list[EventOut]


class AssignIn(Schema):
    assignee: str = Field(..., description="employee number")
    note: str = Field("", max_length=5000)


class ClassifyIn(Schema):
    category: str | None = None
    urgency: int = Field(2, ge=1, le=3)
    importance: int = Field(2, ge=1, le=3)
    staff: str | None = None
    responsible_unit: str | None = None


class NoteIn(Schema):
    note: str = Field(..., min_length=1, max_length=5000)
    contacted: bool = False


class WaitIn(Schema):
    on: str = Field(..., description="customer or third_party")
    note: str = Field("", max_length=5000)


class VerifyIn(Schema):
    substantiated: bool
    finding: str = Field(..., min_length=1, max_length=5000)


class ReplyIn(Schema):
    reply: str = Field(..., min_length=1, max_length=5000)
    improvement: str = Field("", max_length=5000)


class FollowUpIn(Schema):
    satisfaction: str = Field(..., description="satisfied, basic or dissatisfied")
    accepted: bool
    note: str = Field("", max_length=5000)
    method: str = Field("phone", max_length=20)
    close: bool = True


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=5000)


class MergeIn(Schema):
    into: str = Field(..., description="tracking code of the complaint to keep")
    reason: str = Field("", max_length=5000)


class EscalateIn(Schema):
    reason: str = Field(..., min_length=1, max_length=5000)


class CloseIn(Schema):
    note: str = Field("", max_length=5000)
