"""Every write to the organisation a user can cause: one function per business operation, each in
a transaction with its audit entry. Views, the API, imports and commands call these."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sqms.common.audit import audit_record, snapshot
from sqms.common.errors import DomainError, FieldError, PermissionDenied, field_error
from sqms.common.memo import bump
from sqms.common.models import WorkCalendar
from sqms.org.models import OrgUnit, Position, RoleGrant, Staff, UnitKind, User
from sqms.org.roles import Cap, Role
from sqms.org.selectors import access_for, forget_access

UNIT_FIELDS = ["code", "name", "kind", "parent", "calendar", "is_active"]
STAFF_FIELDS = [
    "employee_no",
    "name",
    "unit",
    "position",
    "phone",
    "email",
    "start_date",
    "end_date",
]
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{3,28}[0-9]$")


def _require(user: User | None, cap: str, unit: OrgUnit | None) -> None:
    """Raise unless `user` holds `cap` on `unit` (None: the top of the tree, superusers only)."""
    if user is None:  # system jobs (imports from the CLI, the demo loader) act with full rights
        return
    access = access_for(user)
    if access.superuser:
        return
    if unit is None or not access.covers(cap, unit.path):
        raise PermissionDenied()


def validate_code(code: str, field: str = "code") -> str:
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise field_error(
            field,
            _("A code is 1–40 letters, digits, '-', '_' or '.', starting with a letter or digit."),
        )
    return code


# A store's public complaint page is /c/<code>/; these words are pages of their own there.
RESERVED_UNIT_CODES = frozenset({"status"})


def validate_unit_code(code: str, field: str = "code") -> str:
    code = validate_code(code, field)
    if code.lower() in RESERVED_UNIT_CODES:
        msg = _("%(code)s is a word SQMS's own pages use; choose another code.")
        raise field_error(field, msg % {"code": code})
    return code


def validate_phone(phone: str, field: str = "phone") -> str:
    phone = (phone or "").strip()
    if phone and not PHONE_RE.match(phone):
        raise field_error(field, _("A phone number may contain only digits, spaces, '-' and '+'."))
    return phone


# --- Units ----------------------------------------------------------------------------------


@transaction.atomic
def unit_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None,
    calendar: WorkCalendar | None = None,
) -> OrgUnit:
    """Create a unit under `parent` (None: a new root, superusers only)."""
    _require(actor, Cap.ORG_MANAGE, parent)
    code = validate_unit_code(code)
    name = (name or "").strip()
    errors = []
    if not name:
        errors.append(FieldError(loc=["name"], msg=_("Enter a name.")))
    if kind not in UnitKind.values:
        errors.append(FieldError(loc=["kind"], msg=_("Unknown unit kind.")))
    if OrgUnit.objects.filter(code=code).exists():
        errors.append(
            FieldError(loc=["code"], msg=_("A unit with code %(code)s exists.") % {"code": code})
        )
    if parent is not None and not parent.is_active:
        errors.append(FieldError(loc=["parent"], msg=_("The parent unit is deactivated.")))
    if errors:
        raise DomainError(code="invalid", message=errors[0].msg, errors=errors)
    unit = OrgUnit.objects.create(
        code=code, name=name[:120], kind=kind, parent=parent, calendar=calendar, path=""
    )
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    audit_record(
        actor=actor, action="org.unit.create", target=unit, after=snapshot(unit, UNIT_FIELDS)
    )
    return unit


@transaction.atomic
def unit_update(
    *,
    actor: User | None,
    unit: OrgUnit,
    name: str | None = None,
    code: str | None = None,
    kind: str | None = None,
    calendar: WorkCalendar | bool | None = False,
) -> OrgUnit:
    """Rename, recode, re-kind a unit or set its calendar (`calendar=False` leaves it alone)."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    _require(actor, Cap.ORG_MANAGE, unit)
    before = snapshot(unit, UNIT_FIELDS)
    changed: list[str] = []
    if name is not None:
        if not name.strip():
            raise field_error("name", _("Enter a name."))
        unit.name = name.strip()[:120]
        changed.append("name")
    if code is not None and code != unit.code:
        code = validate_unit_code(code)
        if OrgUnit.objects.filter(code=code).exclude(pk=unit.pk).exists():
            raise field_error("code", _("A unit with code %(code)s exists.") % {"code": code})
        unit.code = code
        changed.append("code")
    if kind is not None:
        if kind not in UnitKind.values:
            raise field_error("kind", _("Unknown unit kind."))
        unit.kind = kind
        changed.append("kind")
    if calendar is not False:
        unit.calendar = calendar if isinstance(calendar, WorkCalendar) else None
        changed.append("calendar")
    if changed:
        unit.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action="org.unit.update",
            target=unit,
            before=before,
            after=snapshot(unit, UNIT_FIELDS),
        )
    return unit


@transaction.atomic
def unit_move(*, actor: User | None, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    """Move a unit and its whole subtree under `new_parent`; the paths of the subtree are
    rewritten in one UPDATE."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    new_parent = OrgUnit.objects.select_for_update().get(pk=new_parent.pk)
    _require(actor, Cap.ORG_MANAGE, unit)
    _require(actor, Cap.ORG_MANAGE, new_parent)
    if unit.parent_id is None:
        raise field_error("parent", _("The top unit cannot be moved."))
    if new_parent.path.startswith(unit.path):
        raise field_error("parent", _("A unit cannot be moved under itself or its own sub-unit."))
    if not new_parent.is_active:
        raise field_error("parent", _("The new parent unit is deactivated."))
    if new_parent.pk == unit.parent_id:
        return unit
    before = snapshot(unit, UNIT_FIELDS)
    old_path = unit.path
    new_path = f"{new_parent.path}{unit.pk}/"
    depth_shift = new_parent.depth + 1 - unit.depth
    OrgUnit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1)),
        depth=F("depth") + depth_shift,
    )
    OrgUnit.objects.filter(pk=unit.pk).update(parent=new_parent, updated_at=timezone.now())
    bump()  # update() sends no signal
    unit.refresh_from_db()
    audit_record(
        actor=actor,
        action="org.unit.move",
        target=unit,
        before=before,
        after=snapshot(unit, UNIT_FIELDS),
    )
    return unit


@transaction.atomic
def unit_deactivate(*, actor: User | None, unit: OrgUnit, reason: str) -> OrgUnit:
    """Deactivate a unit that has no active sub-units and no current staff. Units are never
    deleted: complaints and evaluations keep pointing at them."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    _require(actor, Cap.ORG_MANAGE, unit)
    if not reason.strip():
        raise field_error("reason", _("Say why the unit is deactivated."))
    if not unit.is_active:
        raise DomainError(code="already_inactive", message=_("The unit is already deactivated."))
    active_children = unit.children.filter(is_active=True).count()
    if active_children:
        raise DomainError(
            code="has_active_children",
            message=ngettext(
                "Deactivate or move its %(n)d active sub-unit first.",
                "Deactivate or move its %(n)d active sub-units first.",
                active_children,
            )
            % {"n": active_children},
        )
    current_staff = unit.staff.filter(end_date__isnull=True).count()
    if current_staff:
        raise DomainError(
            code="has_staff",
            message=ngettext(
                "Transfer the %(n)d current staff member or record the leaving first.",
                "Transfer the %(n)d current staff members or record their leaving first.",
                current_staff,
            )
            % {"n": current_staff},
        )
    before = snapshot(unit, UNIT_FIELDS)
    unit.is_active = False
    unit.deactivated_at = timezone.now()
    unit.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    audit_record(
        actor=actor,
        action="org.unit.deactivate",
        target=unit,
        before=before,
        after=snapshot(unit, UNIT_FIELDS),
        note=reason,
    )
    return unit


@transaction.atomic
def unit_reactivate(*, actor: User | None, unit: OrgUnit) -> OrgUnit:
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    _require(actor, Cap.ORG_MANAGE, unit)
    if unit.parent is not None and not unit.parent.is_active:
        raise DomainError(code="parent_inactive", message=_("Reactivate the parent unit first."))
    before = snapshot(unit, UNIT_FIELDS)
    unit.is_active = True
    unit.deactivated_at = None
    unit.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    audit_record(
        actor=actor,
        action="org.unit.reactivate",
        target=unit,
        before=before,
        after=snapshot(unit, UNIT_FIELDS),
    )
    return unit


# --- Positions --------------------------------------------------------------------------------


@transaction.atomic
def position_upsert(
    *, actor: User | None, code: str, name_zh: str, name_en: str, is_manager: bool = False
) -> Position:
    """Create or rename a position (packs load them this way)."""
    if actor is not None and not access_for(actor).superuser:
        _require(actor, Cap.ORG_MANAGE, None)
    code = validate_code(code)
    position, created = Position.objects.update_or_create(
        code=code, defaults={"name_zh": name_zh, "name_en": name_en, "is_manager": is_manager}
    )
    audit_record(
        actor=actor,
        action="org.position.create" if created else "org.position.update",
        target=position,
        after=snapshot(position, ["code", "name_zh", "name_en", "is_manager"]),
    )
    return position


# --- Staff ----------------------------------------------------------------------------------


def _validate_staff_fields(
    *,
    employee_no: str,
    name: str,
    phone: str,
    email: str,
    start_date: dt.date | None,
    end_date: dt.date | None,
    exclude_pk: int | None = None,
) -> list[FieldError]:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    errors: list[FieldError] = []
    if not CODE_RE.match(employee_no or ""):
        errors.append(
            FieldError(loc=["employee_no"], msg=_("An employee number is 1–40 letters or digits."))
        )
    elif Staff.objects.filter(employee_no=employee_no).exclude(pk=exclude_pk).exists():
        errors.append(
            FieldError(
                loc=["employee_no"],
                msg=_("Employee number %(no)s is already taken.") % {"no": employee_no},
            )
        )
    if not (name or "").strip():
        errors.append(FieldError(loc=["name"], msg=_("Enter a name.")))
    if phone and not PHONE_RE.match(phone):
        errors.append(
            FieldError(
                loc=["phone"], msg=_("A phone number may contain only digits, spaces, '-' and '+'.")
            )
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(FieldError(loc=["email"], msg=_("Enter a valid e-mail address.")))
    if start_date is None:
        errors.append(FieldError(loc=["start_date"], msg=_("Enter the start date.")))
    elif end_date is not None and end_date < start_date:
        errors.append(FieldError(loc=["end_date"], msg=_("The end date is before the start date.")))
    return errors


@transaction.atomic
def staff_create(
    *,
    actor: User | None,
    employee_no: str,
    name: str,
    unit: OrgUnit,
    position: Position,
    start_date: dt.date,
    phone: str = "",
    email: str = "",
) -> Staff:
    """Add a staff member to a unit."""
    _require(actor, Cap.STAFF_MANAGE, unit)
    employee_no = (employee_no or "").strip()
    phone = (phone or "").strip()
    email = (email or "").strip()
    errors = _validate_staff_fields(
        employee_no=employee_no,
        name=name,
        phone=phone,
        email=email,
        start_date=start_date,
        end_date=None,
    )
    if not unit.is_active:
        errors.append(FieldError(loc=["unit"], msg=_("The unit is deactivated.")))
    if errors:
        raise DomainError(code="invalid", message=errors[0].msg, errors=errors)
    staff = Staff.objects.create(
        employee_no=employee_no,
        name=name.strip()[:80],
        unit=unit,
        position=position,
        phone=phone,
        email=email,
        start_date=start_date,
    )
    audit_record(
        actor=actor, action="org.staff.create", target=staff, after=snapshot(staff, STAFF_FIELDS)
    )
    return staff


@transaction.atomic
def staff_update(
    *,
    actor: User | None,
    staff: Staff,
    name: str | None = None,
    position: Position | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> Staff:
    """Change a staff member's name, position or contact details."""
    staff = Staff.objects.select_for_update().select_related("unit").get(pk=staff.pk)
    _require(actor, Cap.STAFF_MANAGE, staff.unit)
    before = snapshot(staff, STAFF_FIELDS)
    if name is not None:
        staff.name = name.strip()[:80]
    if position is not None:
        staff.position = position
    if phone is not None:
        staff.phone = phone.strip()
    if email is not None:
        staff.email = email.strip()
    errors = _validate_staff_fields(
        employee_no=staff.employee_no,
        name=staff.name,
        phone=staff.phone,
        email=staff.email,
        start_date=staff.start_date,
        end_date=staff.end_date,
        exclude_pk=staff.pk,
    )
    if errors:
        raise DomainError(code="invalid", message=errors[0].msg, errors=errors)
    staff.save(update_fields=["name", "position", "phone", "email", "updated_at"])
    audit_record(
        actor=actor,
        action="org.staff.update",
        target=staff,
        before=before,
        after=snapshot(staff, STAFF_FIELDS),
    )
    return staff


@transaction.atomic
def staff_move(*, actor: User | None, staff: Staff, unit: OrgUnit, note: str = "") -> Staff:
    """Transfer a staff member to another unit; both units must be within the actor's scope."""
    staff = Staff.objects.select_for_update().select_related("unit").get(pk=staff.pk)
    _require(actor, Cap.STAFF_MANAGE, staff.unit)
    _require(actor, Cap.STAFF_MANAGE, unit)
    if not unit.is_active:
        raise field_error("unit", _("The unit is deactivated."))
    if staff.end_date is not None:
        raise DomainError(code="inactive", message=_("This staff member has left."))
    before = snapshot(staff, STAFF_FIELDS)
    staff.unit = unit
    staff.save(update_fields=["unit", "updated_at"])
    audit_record(
        actor=actor,
        action="org.staff.move",
        target=staff,
        before=before,
        after=snapshot(staff, STAFF_FIELDS),
        note=note,
    )
    return staff


@transaction.atomic
def staff_deactivate(*, actor: User | None, staff: Staff, end_date: dt.date, reason: str) -> Staff:
    """Record that a staff member left on `end_date`; the login linked to him is disabled."""
    staff = Staff.objects.select_for_update().select_related("unit").get(pk=staff.pk)
    _require(actor, Cap.STAFF_MANAGE, staff.unit)
    if not reason.strip():
        raise field_error("reason", _("Say why the staff member leaves."))
    if staff.end_date is not None:
        raise DomainError(code="inactive", message=_("This staff member has already left."))
    if end_date < staff.start_date:
        raise field_error("end_date", _("The end date is before the start date."))
    before = snapshot(staff, STAFF_FIELDS)
    staff.end_date = end_date
    staff.save(update_fields=["end_date", "updated_at"])
    User.objects.filter(staff=staff).update(is_active=False)
    bump()  # the logins are off: no token of theirs may still be remembered
    audit_record(
        actor=actor,
        action="org.staff.deactivate",
        target=staff,
        before=before,
        after=snapshot(staff, STAFF_FIELDS),
        note=reason,
    )
    return staff


# --- Users and roles ----------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    staff: Staff | None = None,
    email: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a login, optionally linked to a staff member. Only superusers create superusers."""
    if actor is not None and not access_for(actor).superuser:
        if is_superuser:
            raise PermissionDenied()
        if staff is None:
            raise PermissionDenied()
        _require(actor, Cap.ROLES_MANAGE, staff.unit)
    username = (username or "").strip()
    if not username:
        raise field_error("username", _("Enter a user name."))
    if User.objects.filter(username__iexact=username).exists():
        raise field_error("username", _("User name %(u)s is taken.") % {"u": username})
    user = User(
        username=username,
        email=email,
        staff=staff,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if staff is not None:
        user.first_name = staff.name[:150]
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action="org.user.create",
        target=user,
        after={
            "username": username,
            "staff": staff.pk if staff else None,
            "superuser": is_superuser,
        },
    )
    return user


@transaction.atomic
def staff_login_create(*, actor: User | None, staff: Staff, username: str, password: str) -> User:
    """Create the login of a staff member with the staff role on his unit (he then sees his own
    record and, later, his own results)."""
    _require(actor, Cap.ROLES_MANAGE, staff.unit)
    if User.objects.filter(staff=staff).exists():
        raise DomainError(code="has_login", message=_("This staff member already has a login."))
    if staff.end_date is not None:
        raise DomainError(code="inactive", message=_("This staff member has left."))
    user = user_create(
        actor=actor, username=username, password=password, staff=staff, email=staff.email
    )
    role_grant(actor=actor, user=user, role=Role.STAFF, unit=staff.unit)
    return user


@transaction.atomic
def role_grant(*, actor: User | None, user: User, role: str, unit: OrgUnit) -> RoleGrant:
    """Grant `role` on `unit` (and so its subtree). The actor must be able to manage roles there,
    and only a superuser grants the system administrator role."""
    _require(actor, Cap.ROLES_MANAGE, unit)
    if role not in Role.values:
        raise field_error("role", _("Unknown role."))
    if role == Role.SYSTEM_ADMIN and actor is not None and not access_for(actor).superuser:
        raise PermissionDenied()
    grant, created = RoleGrant.objects.get_or_create(user=user, role=role, unit=unit)
    if created:
        audit_record(
            actor=actor,
            action="org.role.grant",
            target=grant,
            after={"user": user.pk, "role": role, "unit": unit.code},
        )
    forget_access(user)
    return grant


@transaction.atomic
def role_revoke(*, actor: User | None, grant: RoleGrant, reason: str = "") -> None:
    _require(actor, Cap.ROLES_MANAGE, grant.unit)
    audit_record(
        actor=actor,
        action="org.role.revoke",
        target=grant,
        before={"user": grant.user_id, "role": grant.role, "unit": grant.unit.code},
        note=reason,
    )
    grant.delete()
    forget_access(grant.user)
