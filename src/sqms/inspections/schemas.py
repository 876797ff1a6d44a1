"""API schemas of the inspections module."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class ItemOut(Schema):
    code: str
    text: str
    points: Decimal
    deduction: Decimal
    evidence_required: bool
    na_allowed: bool
    veto: str
    guidance: str


class SectionOut(Schema):
    code: str
    title: str
    floor: str
    points: Decimal | None
    items: list[ItemOut]


class TemplateOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    subject: str
    kind: str
    version: int
    max_points: Decimal


class TemplateDetailOut(TemplateOut):
    na_policy: str
    decimals: int
    rounding: str
    sections: list[SectionOut]


class TemplateIn(Schema):
    """A whole checklist; saving a checklist already used makes a new version."""

    code: str
    name_zh: str = ""
    name_en: str = ""
    subject: str = "unit"
    kind: str = "qc_round"
    description: str = ""
    na_policy: str = "reduce"
    decimals: int = 1
    rounding: str = "half_up"
    max_points: Decimal | None = None
    sections: list[dict[str, object]]
    note: str = ""


class AnswerOut(Schema):
    id: int
    item: str
    section: str
    answered: bool
    nonconformities: int
    not_applicable: bool
    note: str
    deducted: Decimal
    overturned: bool
    appeal: str


class InspectionOut(Schema):
    id: int
    template: str
    version: int
    kind: str
    status: str
    unit: str
    staff: str | None
    inspector: str
    covert: bool
    visited_at: dt.datetime
    area: str
    time_slot: str
    score: Decimal | None
    max_points: Decimal | None
    percent: Decimal | None
    vetoed: bool
    submitted_score: Decimal | None
    submitted_at: dt.datetime | None
    published_at: dt.datetime | None


class InspectionDetailOut(InspectionOut):
    answers: list[AnswerOut]


class InspectionPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[InspectionOut]


class InspectionIn(Schema):
    template: str = Field(description="checklist code")
    unit: str | None = Field(None, description="unit code (or give staff)")
    staff: str | None = Field(None, description="employee number")
    kind: str = ""
    visited_at: dt.datetime | None = None
    area: str = Field("", max_length=80)
    time_slot: str = Field("", max_length=40)
    script: str = ""


class AnswerIn(Schema):
    nonconformities: int | None = Field(None, ge=0, le=99)
    not_applicable: bool | None = None
    note: str | None = Field(None, max_length=500)


class AppealIn(Schema):
    item: str
    statement: str = Field(min_length=1, max_length=5000)


class DecisionIn(Schema):
    outcome: str = Field(description="upheld or overturned")
    reason: str = Field(min_length=1, max_length=5000)


class AppealOut(Schema):
    id: int
    item: str
    outcome: str
    statement: str
    reason: str
    filed_at: dt.datetime
    decided_at: dt.datetime | None
    score: Decimal | None
