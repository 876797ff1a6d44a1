"""Organisation pages. Each fetches its object through the scoped selectors, so a unit outside
the user's subtree answers 404 whatever the door (page, htmx partial, export)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods
from openpyxl import Workbook

from sqms.common.audit import personal_data_view_record
from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.forms import form_errors
from sqms.common.http import scoped
from sqms.org import imports, selectors, services
from sqms.org.forms import (
    GrantForm,
    ImportForm,
    LoginForm,
    MoveStaffForm,
    MoveUnitForm,
    ReasonForm,
    StaffForm,
    StaffLeaveForm,
    UnitForm,
)
from sqms.org.models import User
from sqms.org.roles import Cap


def unit_url(unit_id: int) -> str:
    return reverse("org:unit", kwargs={"unit_id": unit_id})


def staff_url(staff_id: int) -> str:
    return reverse("org:staff", kwargs={"staff_id": staff_id})


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    unit: Any,
    title: str,
    submit: Callable[[dict[str, Any]], tuple[str, str]],
    danger: bool = False,
) -> HttpResponse:
    """The page of a one-form operation: on a valid POST, `submit` calls the service and returns
    (success message, where to go next); a DomainError goes back onto the form, beside its field."""
    if request.method == "POST" and form.is_valid():
        try:
            message, next_url = submit(form.cleaned_data)
            messages.success(request, message)
            return redirect(next_url)
        except DomainError as exc:
            form_errors(form, exc)
    return render(
        request, "org/form.html", {"form": form, "unit": unit, "title": title, "danger": danger}
    )


@scoped
def tree(request: HttpRequest) -> HttpResponse:
    if not selectors.can(request.user, Cap.ORG_VIEW):
        raise PermissionDenied()
    q = request.GET.get("q", "").strip()
    results = selectors.unit_list_for_user(request.user, q=q)[:50] if q else None
    return render(
        request,
        "org/unit_tree.html",
        {
            "roots": selectors.unit_roots_for_user(request.user),
            "q": q,
            "results": results,
            "can_import": selectors.can(request.user, Cap.STAFF_MANAGE)
            or selectors.can(request.user, Cap.ORG_MANAGE),
        },
    )


@scoped
def children(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_get_for_user(request.user, unit_id)
    return render(
        request,
        "org/_unit_children.html",
        {"units": selectors.unit_children_for_user(request.user, unit)},
    )


@scoped
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_get_for_user(request.user, unit_id)
    q = request.GET.get("q", "").strip()
    subtree = request.GET.get("subtree") == "1"
    show = request.GET.get("show", "current")
    active = {"current": True, "left": False, "all": None}.get(show, True)
    staff = selectors.staff_list_for_user(
        request.user, unit=unit, subtree=subtree, q=q, active=active
    )
    page = Paginator(staff, 50).get_page(request.GET.get("page"))
    ctx = {
        "unit": unit,
        "ancestors": selectors.unit_ancestors(unit),
        "page": page,
        "q": q,
        "subtree": subtree,
        "show": show,
        "children": selectors.unit_children_for_user(request.user, unit, include_inactive=True),
        "calendar": selectors.unit_calendar(unit),
        "can_manage_org": selectors.can(request.user, Cap.ORG_MANAGE, unit),
        "can_manage_staff": selectors.can(request.user, Cap.STAFF_MANAGE, unit),
        "grants": selectors.grants_for_unit(unit),
        "can_manage_roles": selectors.can(request.user, Cap.ROLES_MANAGE, unit),
        "can_complaints": selectors.can(request.user, Cap.COMPLAINT_VIEW, unit),
        "can_poster": selectors.can(request.user, Cap.COMPLAINT_INTAKE, unit),
        "can_inspections": selectors.can(request.user, Cap.INSPECTION_VIEW, unit),
        "grant_form": GrantForm(),
    }
    template = (
        "org/_staff_table.html"
        if request.htmx and request.htmx.target == "staff-table"
        else "org/unit_detail.html"
    )  # type: ignore[attr-defined]
    return render(request, template, ctx)


@scoped
def staff_export(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The unit's current staff (with sub-units) as Excel, phone numbers masked."""
    unit = selectors.unit_get_for_user(request.user, unit_id)
    wb = Workbook()
    ws = wb.active
    ws.title = "staff"
    ws.append(
        [
            _("Employee number"),
            pgettext("person", "Name"),
            _("Unit code"),
            _("Unit"),
            _("Position"),
            _("Start date"),
            _("Phone"),
        ]
    )
    for s in selectors.staff_list_for_user(request.user, unit=unit, subtree=True).iterator(
        chunk_size=2000
    ):
        ws.append(
            [
                s.employee_no,
                s.name,
                s.unit.code,
                s.unit.name,
                str(s.position),
                s.start_date,
                selectors.mask_phone(s.phone),
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="staff-{unit.code}.xlsx"'
    return resp


@scoped
@require_http_methods(["GET", "POST"])
def unit_add(request: HttpRequest, unit_id: int) -> HttpResponse:
    parent = selectors.unit_get_for_user(request.user, unit_id, Cap.ORG_MANAGE)

    def submit(data: dict[str, Any]) -> tuple[str, str]:
        unit = services.unit_create(actor=request.user, parent=parent, **data)
        return _("Unit %(name)s was added.") % {"name": unit.name}, unit_url(unit.pk)

    return _form_page(
        request,
        UnitForm(request.POST or None),
        unit=parent,
        submit=submit,
        title=_("Add a unit under %(name)s") % {"name": parent.name},
    )


@scoped
@require_http_methods(["GET", "POST"])
def unit_move(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_get_for_user(request.user, unit_id, Cap.ORG_MANAGE)
    units = selectors.unit_choices_for_user(request.user, Cap.ORG_MANAGE).exclude(
        path__startswith=unit.path
    )

    def submit(data: dict[str, Any]) -> tuple[str, str]:
        services.unit_move(actor=request.user, unit=unit, new_parent=data["parent"])
        return _("The unit was moved."), unit_url(unit.pk)

    return _form_page(
        request,
        MoveUnitForm(request.POST or None, units=units),
        unit=unit,
        submit=submit,
        title=_("Move %(name)s") % {"name": unit.name},
    )


@scoped
@require_http_methods(["GET", "POST"])
def unit_deactivate(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_get_for_user(request.user, unit_id, Cap.ORG_MANAGE)

    def submit(data: dict[str, Any]) -> tuple[str, str]:
        services.unit_deactivate(actor=request.user, unit=unit, reason=data["reason"])
        return _("The unit was deactivated."), unit_url(unit.pk)

    return _form_page(
        request,
        ReasonForm(request.POST or None),
        unit=unit,
        submit=submit,
        danger=True,
        title=_("Deactivate %(name)s") % {"name": unit.name},
    )


@scoped
@require_http_methods(["GET", "POST"])
def staff_add(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_get_for_user(request.user, unit_id, Cap.STAFF_MANAGE)
    form = StaffForm(request.POST or None, initial={"start_date": timezone.localdate()})

    def submit(data: dict[str, Any]) -> tuple[str, str]:
        staff = services.staff_create(actor=request.user, unit=unit, **data)
        return _("%(name)s was added.") % {"name": staff.name}, unit_url(unit.pk)

    return _form_page(
        request,
        form,
        unit=unit,
        submit=submit,
        title=_("Add staff to %(name)s") % {"name": unit.name},
    )


@scoped
def staff_detail(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff = selectors.staff_get_for_user(request.user, staff_id)
    phone = selectors.mask_phone(staff.phone) if staff.phone else ""
    can_see = selectors.can(request.user, Cap.PERSONAL_DATA, staff.unit)
    if request.GET.get("reveal") == "phone" and can_see and staff.phone:
        personal_data_view_record(actor=request.user, target=staff, fields=["phone"])
        phone = staff.phone
    return render(
        request,
        "org/staff_detail.html",
        {
            "staff": staff,
            "phone": phone,
            "can_reveal": can_see and phone != staff.phone,
            "ancestors": selectors.unit_ancestors(staff.unit),
            "can_manage": selectors.can(request.user, Cap.STAFF_MANAGE, staff.unit),
            "is_self": getattr(request.user, "staff_id", None) == staff.pk,
            "login": getattr(staff, "user", None),
            "can_create_login": selectors.can(request.user, Cap.ROLES_MANAGE, staff.unit),
            "can_inspections": selectors.can(request.user, Cap.INSPECTION_VIEW, staff.unit)
            or getattr(request.user, "staff_id", None) == staff.pk,
        },
    )


@scoped
@require_http_methods(["GET", "POST"])
def staff_move(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff = selectors.staff_get_for_user(request.user, staff_id, Cap.STAFF_MANAGE)
    units = selectors.unit_choices_for_user(request.user, Cap.STAFF_MANAGE).exclude(
        pk=staff.unit_id
    )

    def submit(data: dict[str, Any]) -> tuple[str, str]:
        services.staff_move(actor=request.user, staff=staff, unit=data["unit"], note=data["note"])
        return _("%(name)s was transferred.") % {"name": staff.name}, staff_url(staff.pk)

    return _form_page(
        request,
        MoveStaffForm(request.POST or None, units=units),
        unit=staff.unit,
        submit=submit,
        title=_("Transfer %(name)s") % {"name": staff.name},
    )


@scoped
@require_http_methods(["GET", "POST"])
def staff_leave(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff = selectors.staff_get_for_user(request.user, staff_id, Cap.STAFF_MANAGE)
    form = StaffLeaveForm(request.POST or None, initial={"end_date": timezone.localdate()})

    def submit(data: dict[str, Any]) -> tuple[str, str]:
        services.staff_deactivate(actor=request.user, staff=staff, **data)
        message = _("%(name)s is recorded as having left.") % {"name": staff.name}
        return message, staff_url(staff.pk)

    return _form_page(
        request,
        form,
        unit=staff.unit,
        submit=submit,
        danger=True,
        title=_("Record %(name)s leaving") % {"name": staff.name},
    )


@scoped
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    if not (
        selectors.can(request.user, Cap.STAFF_MANAGE) or selectors.can(request.user, Cap.ORG_MANAGE)
    ):
        raise PermissionDenied()
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    report = None
    if request.method == "POST" and form.is_valid():
        report = imports.import_org_workbook(
            actor=request.user, file=form.cleaned_data["file"], dry_run=form.cleaned_data["dry_run"]
        )
    return render(request, "org/import.html", {"form": form, "report": report})


@scoped
def import_template(request: HttpRequest) -> HttpResponse:
    resp = HttpResponse(
        imports.org_template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = 'attachment; filename="sqms-org-template.xlsx"'
    return resp


@scoped
@require_http_methods(["POST"])
def grant_add(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_get_for_user(request.user, unit_id, Cap.ROLES_MANAGE)
    form = GrantForm(request.POST)
    if form.is_valid():
        user = User.objects.filter(username=form.cleaned_data["username"]).first()
        if user is None:
            messages.error(
                request, _("No user is called %(u)s.") % {"u": form.cleaned_data["username"]}
            )
        else:
            try:
                services.role_grant(
                    actor=request.user, user=user, role=form.cleaned_data["role"], unit=unit
                )
                messages.success(request, _("The role was granted."))
            except DomainError as exc:
                messages.error(request, exc.message)
    else:
        messages.error(request, _("Give a user name and a role."))
    return redirect("org:unit", unit_id=unit.pk)


@scoped
@require_http_methods(["POST"])
def grant_revoke(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = selectors.grant_get_for_user(request.user, grant_id)
    unit_id = grant.unit_id
    services.role_revoke(actor=request.user, grant=grant, reason=request.POST.get("reason", ""))
    messages.success(request, _("The role was revoked."))
    return redirect("org:unit", unit_id=unit_id)


@scoped
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest, staff_id: int) -> HttpResponse:
    """Create the login of a staff member; he gets the staff role on his unit."""
    staff = selectors.staff_get_for_user(request.user, staff_id, Cap.ROLES_MANAGE)
    if hasattr(staff, "user"):
        messages.error(request, _("%(name)s already has a login.") % {"name": staff.name})
        return redirect("org:staff", staff_id=staff.pk)
    form = LoginForm(request.POST or None, initial={"username": staff.employee_no.lower()})

    def submit(data: dict[str, Any]) -> tuple[str, str]:
        services.staff_login_create(actor=request.user, staff=staff, **data)
        return _("The login was created."), staff_url(staff.pk)

    return _form_page(
        request,
        form,
        unit=staff.unit,
        submit=submit,
        title=_("Login for %(name)s") % {"name": staff.name},
    )
