from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class RunOut(Schema):
    id: int
    scheme: str
    version: int
    period: str
    period_start: dt.date
    period_end: dt.date
    scope: str
    status: str
    whatif: bool
    done: int
    total: int
    appeal_deadline: dt.datetime | None
    published_at: dt.datetime | None


class RunIn(Schema):
    scheme: str = Field(..., min_length=1, max_length=60)
    version: int | None = Field(None, description="default: the active version")
    period: str = Field(
        ..., min_length=4, max_length=10, description="2026-11, 2026-Q3, 2026-H2, 2026"
    )
    scope: str = Field(..., min_length=1, max_length=40, description="unit code")
    whatif: bool = False


class LineOut(Schema):
    id: int
    component: str
    rule_index: int
    kind: str
    source: str
    inputs: dict[str, Any]
    points: Decimal
    note: str
    refs: list[list[Any]]


class ScorecardOut(Schema):
    id: int
    run: int
    staff: str | None
    staff_name: str | None
    unit: str
    total: Decimal
    grade: str
    rank: int | None
    star: bool
    amount: Decimal
    vetoed: bool
    components: list[dict[str, Any]]
    outcomes: dict[str, Any]


class ScorecardDetailOut(ScorecardOut):
    lines: list[LineOut]


class AppealIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class AppealOut(Schema):
    id: int
    line: int
    state: str
    reason: str
    decision: str
    points: Decimal | None


class SchemeCheckIn(Schema):
    spec: dict[str, Any]


class ProblemOut(Schema):
    loc: list[str | int]
    msg: str
