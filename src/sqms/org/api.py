"""The organisation API: schemas in, one selector or service call, schema out."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from sqms.common.api import Page, idempotent
from sqms.common.audit import personal_data_view_record
from sqms.common.errors import field_error
from sqms.org import selectors, services
from sqms.org.models import OrgUnit, Position, Staff
from sqms.org.roles import Cap
from sqms.org.schemas import (
    MeOut,
    MoveStaffIn,
    MoveUnitIn,
    PositionOut,
    ReasonIn,
    StaffIn,
    StaffLeaveIn,
    StaffOut,
    StaffPatch,
    UnitIn,
    UnitOut,
    UnitPatch,
)

router = Router(tags=["organisation"])


class UnitFilter(Schema):
    q: str = ""
    kind: str = ""
    parent: int | None = None
    include_inactive: bool = False


class StaffFilter(Schema):
    unit: int | None = None
    subtree: bool = False
    q: str = ""
    position: str = ""
    active: bool | None = True


def _position(code: str, field: str = "position") -> Position:
    position = Position.objects.filter(code=code).first()
    if position is None:
        raise field_error(field, _("Unknown position %(code)s.") % {"code": code})
    return position


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, object]:
    user = request.user
    grants = selectors.RoleGrant.objects.filter(user=user).select_related("unit")
    return {
        "id": user.pk,
        "username": user.get_username(),
        "staff": user.staff,  # type: ignore[union-attr]
        "grants": [{"role": g.role, "unit": g.unit} for g in grants],
        "is_superuser": user.is_superuser,
    }


@router.get("/units", response=list[UnitOut])
@paginate(Page)
def list_units(request: HttpRequest, filters: Query[UnitFilter]) -> object:
    return selectors.unit_list_for_user(
        request.user,
        q=filters.q,
        kind=filters.kind,
        parent_id=filters.parent,
        include_inactive=filters.include_inactive,
    )


@router.get("/units/{unit_id}", response=UnitOut)
def get_unit(request: HttpRequest, unit_id: int) -> OrgUnit:
    return selectors.unit_get_for_user(request.user, unit_id)


@router.post("/units", response={201: UnitOut})
def create_unit(request: HttpRequest, payload: UnitIn) -> Status[object]:
    def create() -> OrgUnit:
        parent = selectors.unit_get_for_user(request.user, payload.parent_id, Cap.ORG_MANAGE)
        return services.unit_create(
            actor=request.user,
            code=payload.code,
            name=payload.name,
            kind=payload.kind,
            parent=parent,
        )

    return idempotent(request, payload, create, UnitOut)


@router.patch("/units/{unit_id}", response=UnitOut)
def update_unit(request: HttpRequest, unit_id: int, payload: UnitPatch) -> OrgUnit:
    unit = selectors.unit_get_for_user(request.user, unit_id, Cap.ORG_MANAGE)
    return services.unit_update(
        actor=request.user, unit=unit, name=payload.name, code=payload.code, kind=payload.kind
    )


@router.post("/units/{unit_id}/move", response=UnitOut)
def move_unit(request: HttpRequest, unit_id: int, payload: MoveUnitIn) -> OrgUnit:
    unit = selectors.unit_get_for_user(request.user, unit_id, Cap.ORG_MANAGE)
    parent = selectors.unit_get_for_user(request.user, payload.parent_id, Cap.ORG_MANAGE)
    return services.unit_move(actor=request.user, unit=unit, new_parent=parent)


@router.post("/units/{unit_id}/deactivate", response=UnitOut)
def deactivate_unit(request: HttpRequest, unit_id: int, payload: ReasonIn) -> OrgUnit:
    unit = selectors.unit_get_for_user(request.user, unit_id, Cap.ORG_MANAGE)
    return services.unit_deactivate(actor=request.user, unit=unit, reason=payload.reason)


@router.get("/positions", response=list[PositionOut])
def list_positions(request: HttpRequest) -> object:
    return selectors.position_list()


@router.get("/staff", response=list[StaffOut])
@paginate(Page)
def list_staff(request: HttpRequest, filters: Query[StaffFilter]) -> object:
    unit = selectors.unit_get_for_user(request.user, filters.unit) if filters.unit else None
    return selectors.staff_list_for_user(
        request.user,
        unit=unit,
        subtree=filters.subtree,
        q=filters.q,
        position=filters.position,
        active=filters.active,
    )


@router.get("/staff/{staff_id}", response=StaffOut)
def get_staff(request: HttpRequest, staff_id: int) -> Staff:
    staff = selectors.staff_get_for_user(request.user, staff_id)
    if staff.phone and selectors.can(request.user, Cap.PERSONAL_DATA, staff.unit):
        staff.phone_shown = staff.phone  # type: ignore[attr-defined]
        personal_data_view_record(actor=request.user, target=staff, fields=["phone"])
    return staff


@router.post("/staff", response={201: StaffOut})
def create_staff(request: HttpRequest, payload: StaffIn) -> Status[object]:
    def create() -> Staff:
        unit = selectors.unit_get_for_user(request.user, payload.unit_id, Cap.STAFF_MANAGE)
        return services.staff_create(
            actor=request.user,
            employee_no=payload.employee_no,
            name=payload.name,
            unit=unit,
            position=_position(payload.position),
            start_date=payload.start_date,
            phone=payload.phone,
            email=payload.email,
        )

    return idempotent(request, payload, create, StaffOut)


@router.patch("/staff/{staff_id}", response=StaffOut)
def update_staff(request: HttpRequest, staff_id: int, payload: StaffPatch) -> Staff:
    staff = selectors.staff_get_for_user(request.user, staff_id, Cap.STAFF_MANAGE)
    position = _position(payload.position) if payload.position else None
    return services.staff_update(
        actor=request.user,
        staff=staff,
        name=payload.name,
        position=position,
        phone=payload.phone,
        email=payload.email,
    )


@router.post("/staff/{staff_id}/move", response=StaffOut)
def move_staff(request: HttpRequest, staff_id: int, payload: MoveStaffIn) -> Staff:
    staff = selectors.staff_get_for_user(request.user, staff_id, Cap.STAFF_MANAGE)
    unit = selectors.unit_get_for_user(request.user, payload.unit_id, Cap.STAFF_MANAGE)
    return services.staff_move(actor=request.user, staff=staff, unit=unit, note=payload.note)


@router.post("/staff/{staff_id}/deactivate", response=StaffOut)
def deactivate_staff(request: HttpRequest, staff_id: int, payload: StaffLeaveIn) -> Staff:
    staff = selectors.staff_get_for_user(request.user, staff_id, Cap.STAFF_MANAGE)
    return services.staff_deactivate(
        actor=request.user, staff=staff, end_date=payload.end_date, reason=payload.reason
    )
