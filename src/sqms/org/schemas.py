"""API schemas of the organisation."""

import datetime as dt

from ninja import Field, Schema

from sqms.org.selectors import mask_phone


class UnitRef(Schema):
    id: int
    code: str
    name: str


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    depth: int
    is_active: bool
    calendar_id: int | None


class UnitIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=120)
    kind: str
    parent_id: int


class UnitPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=40)
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: str | None = None


class MoveUnitIn(Schema):
    parent_id: int


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=1000)


class PositionOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    is_manager: bool


class StaffOut(Schema):
    """Phone numbers are masked in lists; the detail endpoint shows them to those allowed."""

    id: int
    employee_no: str
    name: str
    unit: UnitRef
    position: str = Field(..., alias="position.code")
    phone: str
    start_date: dt.date
    end_date: dt.date | None
    is_active: bool

    @staticmethod
    def resolve_phone(obj: object) -> str:
        shown = getattr(obj, "phone_shown", None)
        return shown if shown is not None else mask_phone(getattr(obj, "phone", ""))

    @staticmethod
    def resolve_is_active(obj: object) -> bool:
        return getattr(obj, "end_date", None) is None


class StaffIn(Schema):
    employee_no: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=80)
    unit_id: int
    position: str = Field(..., description="Position code, e.g. 'cashier'")
    start_date: dt.date
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)


class StaffPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=80)
    position: str | None = None
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)


class MoveStaffIn(Schema):
    unit_id: int
    note: str = ""


class StaffLeaveIn(Schema):
    end_date: dt.date
    reason: str = Field(..., min_length=1, max_length=1000)


class GrantOut(Schema):
    role: str
    unit: UnitRef


class MeOut(Schema):
    id: int
    username: str
    staff: StaffOut | None
    grants: list[GrantOut]
    is_superuser: bool
