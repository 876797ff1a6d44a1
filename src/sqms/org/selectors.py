"""Scoped reads of the organisation. These functions are the one place that decides what a user
may see or change: pages, the API and exports all call them, so they cannot disagree.

A grant on a unit covers its subtree. A record outside every grant is reported as not found, not
as forbidden, so that guessing ids reveals nothing. A staff member always sees his own record.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from sqms.common import rows
from sqms.common.calendars import default_calendar
from sqms.common.errors import NotFound, PermissionDenied
from sqms.common.memo import memo
from sqms.common.models import WorkCalendar
from sqms.org.models import OrgUnit, Position, RoleGrant, Staff, User
from sqms.org.roles import ROLE_CAPS, Cap

AnyUser = User | AnonymousUser


@dataclass
class Access:
    """What one user may do where: for each capability, the paths of the subtrees it holds on."""

    superuser: bool = False
    paths: dict[str, set[str]] = field(default_factory=dict)
    staff_id: int | None = None

    def prefixes(self, cap: str) -> list[str]:
        """The minimal set of subtree paths for `cap` (a path inside another is dropped)."""
        paths = sorted(self.paths.get(cap, set()))
        minimal: list[str] = []
        for p in paths:
            if not any(p.startswith(m) for m in minimal):
                minimal.append(p)
        return minimal

    def covers(self, cap: str, path: str) -> bool:
        return self.superuser or any(path.startswith(p) for p in self.paths.get(cap, ()))

    def any_cap(self, cap: str) -> bool:
        return self.superuser or bool(self.paths.get(cap))


def access_for(user: AnyUser) -> Access:
    """The user's access, kept on the user object for the request. Its grants are remembered
    per process under the configuration revision (sqms.common.memo), which every change to a
    grant, a unit or a login draws anew; the Access is never changed once built."""
    if not user.is_authenticated or not user.is_active:
        return Access()
    cached = getattr(user, "_sqms_access", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    access = Access(superuser=user.is_superuser, staff_id=user.staff_id)  # type: ignore[union-attr]
    grants = memo("grants", user.pk, lambda: _grant_paths(user.pk))
    for role, path in grants:
        for cap in ROLE_CAPS.get(role, ()):
            access.paths.setdefault(cap, set()).add(path)
    user._sqms_access = access  # type: ignore[union-attr]
    return access


def _grant_paths(user_id: int) -> list[tuple[str, str]]:
    return list(
        RoleGrant.objects.filter(user_id=user_id, unit__is_active=True).values_list(
            "role", "unit__path"
        )
    )


def forget_access(user: AnyUser) -> None:
    """Drop the per-request access cache after a grant changes."""
    if hasattr(user, "_sqms_access"):
        del user._sqms_access  # type: ignore[union-attr]


def covers_whole_tree(access: Access, cap: str) -> bool:
    """Whether `cap` holds on every unit: a superuser, or a grant on each root (the quality
    manager at head office). A scope filter would then keep every row, but it still costs
    the big tables their best plan (12.5 s instead of 1.6 for the quality manager's dashboard
    of a quarter of a million complaints on SQLite), so the callers leave it out."""
    if access.superuser:
        return True
    # Only a grant on a root can cover one (a root's path is "/<id>/"); the tree is read only then.
    on_roots = {p for p in access.prefixes(cap) if p.count("/") == 2}
    if not on_roots:
        return False
    roots = _root_paths()
    return bool(roots) and on_roots.issuperset(roots)


def _root_paths() -> tuple[str, ...]:
    return memo(
        "root-paths",
        None,
        lambda: tuple(sorted(u.path for u in _units_by_id().values() if u.parent_id is None)),
    )


def _path_q(access: Access, cap: str, lookup: str) -> Q:
    if covers_whole_tree(access, cap):
        return Q()
    prefixes = access.prefixes(cap)
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for p in prefixes:
        q |= Q(**{f"{lookup}__startswith": p})
    return q


# --- Units ----------------------------------------------------------------------------------


def unit_queryset_for_user(user: AnyUser, cap: str = Cap.ORG_VIEW) -> QuerySet[OrgUnit]:
    access = access_for(user)
    return OrgUnit.objects.filter(_path_q(access, cap, "path"))


def unit_get_for_user(user: AnyUser, unit_id: int, cap: str = Cap.ORG_VIEW) -> OrgUnit:
    """The unit, if the user may see it; PermissionDenied if he may see it but not do `cap`."""
    unit = (
        unit_queryset_for_user(user, Cap.ORG_VIEW)
        .select_related("parent", "calendar")
        .filter(pk=unit_id)
        .first()
    )
    if unit is None:
        raise NotFound(_("Unit not found."))
    if cap != Cap.ORG_VIEW and not access_for(user).covers(cap, unit.path):
        raise PermissionDenied()
    return unit


def unit_by_code_for_user(user: AnyUser, code: str, cap: str = Cap.ORG_VIEW) -> OrgUnit | None:
    """The unit with this code if the user holds `cap` on it, else None: an unknown code and
    another region's unit read the same. The unit rows are remembered per process under the
    configuration revision (sqms.common.memo); the caller gets its own copy."""
    unit = _units_by_code().get(code)
    if unit is None or not access_for(user).covers(cap, unit.path):
        return None
    return copy.copy(unit)


def _units_by_code() -> dict[str, OrgUnit]:
    # Every unit at once, one query per process and configuration revision: an intake names one
    # of thousands of stores, and one lookup a store would miss for most of them after a change.
    return memo("units-by-code", None, lambda: {u.code: u for u in OrgUnit.objects.all()})


def _units_by_id() -> dict[int, OrgUnit]:
    return memo("units-by-id", None, lambda: {u.pk: u for u in _units_by_code().values()})


def warm_up() -> None:
    """Load the whole-tree maps (sqms.common.warm: a web worker does it when it starts)."""
    _units_by_id()
    _root_paths()
    _unit_calendars()


def _staff_by_no(employee_no: str) -> Staff | None:
    # Tens of thousands of staff are not all kept: one compiled lookup each, with the unit taken
    # from the units already in memory.
    staff = rows.get_by(Staff, employee_no=employee_no)
    if staff is not None:
        unit = _units_by_id().get(staff.unit_id)
        if unit is not None:  # else a unit newer than the map: the field reads it when asked
            staff.unit = unit
    return staff


def staff_by_employee_no_for_user(
    user: AnyUser, employee_no: str, cap: str = Cap.ORG_VIEW
) -> Staff | None:
    """The staff member with this employee number (and his unit) if `staff_queryset_for_user`
    would show him, else None; remembered as `unit_by_code_for_user` is."""
    staff = memo("staff-by-no", employee_no, lambda: _staff_by_no(employee_no))
    if staff is None:
        return None
    access = access_for(user)
    own = cap == Cap.ORG_VIEW and access.staff_id == staff.pk and not access.superuser
    if not (own or access.covers(cap, staff.unit.path)):
        return None
    return copy.copy(staff)


def unit_get_by_code_for_user(user: AnyUser, code: str, cap: str = Cap.ORG_VIEW) -> OrgUnit:
    unit = unit_queryset_for_user(user, Cap.ORG_VIEW).filter(code=code).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    if cap != Cap.ORG_VIEW and not access_for(user).covers(cap, unit.path):
        raise PermissionDenied()
    return unit


def unit_roots_for_user(user: AnyUser, include_inactive: bool = False) -> list[OrgUnit]:
    """The top units of the part of the tree the user sees."""
    access = access_for(user)
    qs = OrgUnit.objects.all()
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if access.superuser:
        qs = qs.filter(parent__isnull=True)
    else:
        prefixes = access.prefixes(Cap.ORG_VIEW)
        if not prefixes:
            return []
        qs = qs.filter(path__in=prefixes)
    return list(_with_counts(qs).order_by("code"))


def unit_children_for_user(
    user: AnyUser, unit: OrgUnit, include_inactive: bool = False
) -> list[OrgUnit]:
    """Children of a unit the caller already fetched through `unit_get_for_user`."""
    qs = OrgUnit.objects.filter(parent=unit)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return list(_with_counts(qs).order_by("kind", "code"))


def _with_counts(qs: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    return qs.annotate(
        child_count=Count("children", filter=Q(children__is_active=True), distinct=True),
        staff_count=Count("staff", filter=Q(staff__end_date__isnull=True), distinct=True),
    )


def unit_list_for_user(
    user: AnyUser,
    *,
    q: str = "",
    kind: str = "",
    parent_id: int | None = None,
    include_inactive: bool = False,
) -> QuerySet[OrgUnit]:
    qs = unit_queryset_for_user(user).select_related("parent")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    return qs.order_by("path")


def unit_ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """Units from the root down to the parent (for breadcrumbs); one query."""
    ids = unit.ancestor_ids()[:-1]
    by_id = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def unit_choices_for_user(user: AnyUser, cap: str) -> QuerySet[OrgUnit]:
    """Active units where the user holds `cap`: the options of a unit field in a form."""
    return unit_queryset_for_user(user, cap).filter(is_active=True).order_by("path")


# --- Staff ----------------------------------------------------------------------------------


def staff_queryset_for_user(user: AnyUser, cap: str = Cap.ORG_VIEW) -> QuerySet[Staff]:
    access = access_for(user)
    q = _path_q(access, cap, "unit__path")
    if cap == Cap.ORG_VIEW and access.staff_id is not None and not access.superuser:
        q |= Q(pk=access.staff_id)
    return Staff.objects.filter(q)


def staff_list_for_user(
    user: AnyUser,
    *,
    unit: OrgUnit | None = None,
    subtree: bool = False,
    q: str = "",
    position: str = "",
    active: bool | None = True,
) -> QuerySet[Staff]:
    qs = staff_queryset_for_user(user).select_related("unit", "position")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path) if subtree else qs.filter(unit=unit)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(employee_no__icontains=q))
    if position:
        qs = qs.filter(position__code=position)
    if active is True:
        qs = qs.filter(end_date__isnull=True)
    elif active is False:
        qs = qs.filter(end_date__isnull=False)
    return qs.order_by("employee_no")


def staff_get_for_user(user: AnyUser, staff_id: int, cap: str = Cap.ORG_VIEW) -> Staff:
    staff = (
        staff_queryset_for_user(user).select_related("unit", "position").filter(pk=staff_id).first()
    )
    if staff is None:
        raise NotFound(_("Staff member not found."))
    if cap != Cap.ORG_VIEW and not access_for(user).covers(cap, staff.unit.path):
        raise PermissionDenied()
    return staff


def can(user: AnyUser, cap: str, unit: OrgUnit | None = None) -> bool:
    """Whether the user holds `cap` on `unit` (or anywhere, when no unit is given)."""
    access = access_for(user)
    if unit is None:
        return access.any_cap(cap)
    return access.covers(cap, unit.path)


def position_list() -> QuerySet[Position]:
    return Position.objects.order_by("code")


def grant_get_for_user(user: AnyUser, grant_id: int) -> RoleGrant:
    """A grant on a unit where the user may manage roles (else not found)."""
    grant = RoleGrant.objects.select_related("unit", "user").filter(pk=grant_id).first()
    if grant is None or not access_for(user).covers(Cap.ROLES_MANAGE, grant.unit.path):
        raise NotFound(_("Role grant not found."))
    return grant


def grants_for_unit(unit: OrgUnit) -> QuerySet[RoleGrant]:
    return RoleGrant.objects.filter(unit=unit).select_related("user", "user__staff")


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise a number, not enough to call it."""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if len(digits) >= 11 else 0
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def unit_calendar(unit: OrgUnit) -> WorkCalendar:
    """The unit's own working calendar, else its nearest ancestor's, else the default one
    (remembered per process under the configuration revision: read it, do not change it)."""
    own, fallback = _unit_calendars()
    for uid in reversed(unit.ancestor_ids()):
        if uid in own:
            return own[uid]
    return fallback


def _unit_calendars() -> tuple[dict[int, WorkCalendar], WorkCalendar]:
    return memo("unit-calendars", None, _calendars_by_unit)


def _calendars_by_unit() -> tuple[dict[int, WorkCalendar], WorkCalendar]:
    # One query for the whole tree: the units that have a calendar of their own (a few regions
    # or stores), and the default calendar.
    own: dict[int, WorkCalendar] = {}
    fallback = None
    assigned = (
        WorkCalendar.objects.filter(Q(orgunit__isnull=False) | Q(is_default=True))
        .annotate(for_unit=F("orgunit__id"))
        .order_by("pk")
    )
    for calendar in assigned:
        if calendar.for_unit is not None:
            own[calendar.for_unit] = calendar
        if calendar.is_default and fallback is None:
            fallback = calendar
    # No default calendar (an operator removed it): the stand-in is remembered too, instead of
    # being looked for again at every intake.
    return own, fallback if fallback is not None else default_calendar()
