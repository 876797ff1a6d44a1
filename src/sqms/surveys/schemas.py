"""API schemas of the surveys app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class InstrumentOut(Schema):
    id: int
    code: str
    version: int
    kind: str
    title_zh: str
    title_en: str
    anonymous: bool
    is_active: bool


class InstrumentDetailOut(InstrumentOut):
    spec: dict[str, Any]


class InstrumentIn(Schema):
    """The whole definition, as in the shipped YAML files (see sqms.surveys.instruments)."""

    spec: dict[str, Any]


class CampaignIn(Schema):
    instrument: int
    name: str = Field(..., max_length=200)
    unit: str = Field(..., description="unit code: the audience's subtree")
    audience: str
    opens_on: dt.date
    closes_on: dt.date
    anonymous: bool | None = None
    reminder_days: list[int] | None = None
    satisfaction_definition: str = ""
    ipa_crosshair: str = ""
    weighting: str = ""
    min_group: int | None = None
    rated_units: list[str] = Field(default_factory=list, description="unit codes")


class CampaignOut(Schema):
    id: int
    name: str
    instrument: int = Field(..., alias="instrument_id")
    unit: str = Field(..., alias="unit.code")
    audience: str
    anonymous: bool
    status: str
    opens_on: dt.date
    closes_on: dt.date
    reminder_days: list[int]
    quotas: dict[str, int]
    satisfaction_definition: str
    ipa_crosshair: str
    weighting: str
    min_group: int


class ResponseIn(Schema):
    """Answers keyed in from paper by staff (channel "paper")."""

    unit: str
    answers: dict[str, Any]
    group: str = ""
    subject_unit: str = ""


class ResponseOut(Schema):
    id: int
    unit: str = Field(..., alias="unit.code")
    submitted_on: dt.date
    group: str
    channel: str


class InvitationsIn(Schema):
    unit: str
    count: int = Field(1, ge=1, le=500)
    subject_staff: str = Field("", description="employee number of the staff member rated")
    source_ref: str = Field("", max_length=40)


class InvitationOut(Schema):
    id: int
    code: str
    token: str
    unit: str = Field(..., alias="unit.code")
    source_ref: str
    responded: bool
