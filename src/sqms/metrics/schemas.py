from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class KpiOut(Schema):
    code: str
    name_zh: str
    name_en: str
    formula: str
    direction: str
    target: Decimal | None
    source: str
    subject: str
    numerator_label: str
    denominator_label: str
    definition: str


class MeasurementIn(Schema):
    kpi: str = Field(..., min_length=1, max_length=60)
    subject: str = Field(..., min_length=1, max_length=40, description="unit code or employee no.")
    period_start: dt.date
    period_end: dt.date
    numerator: Decimal
    denominator: Decimal | None = None
    note: str = Field("", max_length=200)


class MeasurementOut(Schema):
    id: int
    kpi: str
    unit: str
    staff: str | None
    period_start: dt.date
    period_end: dt.date
    numerator: Decimal
    denominator: Decimal | None
    value: Decimal
    note: str
