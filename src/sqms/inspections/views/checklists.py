"""Checklist pages: the list, one checklist with its versions, the editor (one row per item, the
same layout as the Excel sheet), and Excel import and export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.http import scoped
from sqms.inspections import checklists, selectors, services
from sqms.inspections.models import Kind, NaPolicy, Rounding, Subject
from sqms.org.models import User
from sqms.org.roles import Cap
from sqms.org.selectors import can

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BLANK_ROWS = 5


def error_lines(errors: list[Any]) -> list[str]:
    """Errors as lines to show: "Row 3, points: …" for rows, the field path otherwise."""
    lines = []
    for e in errors:
        if isinstance(e, str):
            lines.append(e)
        elif e.loc and isinstance(e.loc[0], int):
            lines.append(
                _("Row %(row)s, %(col)s: %(msg)s")
                % {"row": e.loc[0], "col": e.loc[1] if len(e.loc) > 1 else "", "msg": e.msg}
            )
        else:
            lines.append(f"{'.'.join(str(x) for x in e.loc)}: {e.msg}" if e.loc else e.msg)
    return lines


def _manage(request: HttpRequest) -> None:
    if not can(request.user, Cap.INSPECTION_MANAGE):
        raise PermissionDenied()


@scoped
def template_list(request: HttpRequest) -> HttpResponse:
    if not selectors.may_use_templates(request.user):
        raise PermissionDenied()
    return render(
        request,
        "inspections/template_list.html",
        {
            "templates": selectors.template_list_for_user(request.user),
            "manage": can(request.user, Cap.INSPECTION_MANAGE),
        },
    )


@scoped
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    template = selectors.template_get_for_user(request.user, template_id)
    versions = list(selectors.template_versions(template))
    number = request.GET.get("v", "")
    version = selectors.version_get(template, int(number)) if number.isdigit() else template.current
    spec = checklists.version_spec(version) if version else None
    return render(
        request,
        "inspections/template_detail.html",
        {
            "template": template,
            "version": version,
            "versions": versions,
            "spec": spec,
            "manage": can(request.user, Cap.INSPECTION_MANAGE),
        },
    )


def _rows_from_post(request: HttpRequest) -> list[dict[str, Any]]:
    keys = [k for k, _label in checklists.COLUMNS]
    columns = {k: request.POST.getlist(k) for k in keys}
    count = max((len(v) for v in columns.values()), default=0)
    return [{k: (columns[k][i] if i < len(columns[k]) else "") for k in keys} for i in range(count)]


def _settings_from_post(request: HttpRequest) -> dict[str, Any]:
    return {k: request.POST.get(k, "") for k in checklists.SETTINGS_KEYS if k != "max_points"}


@scoped
def template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """Edit a checklist (or write a new one) as rows; saving a checklist already used for
    inspections makes a new version."""
    _manage(request)
    template = selectors.template_get_for_user(request.user, template_id) if template_id else None
    errors: list[Any] = []
    if request.method == "POST":
        rows = _rows_from_post(request)
        settings = _settings_from_post(request)
        if template is not None:
            settings["code"] = template.code
        try:
            spec = checklists.rows_to_spec(rows, settings, first_row=1)
            version = services.template_save(
                actor=request.user,  # type: ignore[arg-type]
                spec=spec,
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            errors = exc.errors or [exc.message]
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved as version %(n)d.") % {"n": version.number})
            return redirect("inspections:template", template_id=version.template_id)
        spec_like = {**settings, "rows": rows}
    elif template is not None and template.current is not None:
        spec = checklists.version_spec(template.current)
        spec_like = {**spec, "rows": checklists.spec_to_rows(spec)}
    else:
        spec_like = {
            "code": "",
            "subject": Subject.UNIT,
            "kind": Kind.QC_ROUND,
            "na_policy": NaPolicy.REDUCE,
            "decimals": 1,
            "rounding": Rounding.HALF_UP,
            "rows": [],
        }
    keys = [k for k, _label in checklists.COLUMNS]
    rows = [
        [(k, "" if row.get(k) is None else row.get(k)) for k in keys]
        for row in [*spec_like["rows"], *({} for _i in range(BLANK_ROWS))]
    ]
    return render(
        request,
        "inspections/template_edit.html",
        {
            "template": template,
            "spec": spec_like,
            "rows": rows,
            "columns": checklists.COLUMNS,
            "errors": error_lines(errors),
            "subjects": Subject.choices,
            "kinds": Kind.choices,
            "na_policies": NaPolicy.choices,
            "roundings": Rounding.choices,
        },
    )


@scoped
def template_export(request: HttpRequest, template_id: int) -> HttpResponse:
    template = selectors.template_get_for_user(request.user, template_id)
    number = request.GET.get("v", "")
    version = selectors.version_get(template, int(number)) if number.isdigit() else template.current
    if version is None:
        raise PermissionDenied()
    content = checklists.workbook_export(checklists.version_spec(version))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="{template.code}-v{version.number}.xlsx"'
    )
    return response


@scoped
def template_import(request: HttpRequest) -> HttpResponse:
    """Upload a checklist workbook; every bad row is listed with its row and column and
    nothing is saved unless all rows are valid."""
    _manage(request)
    errors: list[Any] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError(code="required", message=_("Choose a file."))
            spec = checklists.workbook_import(
                upload.read(), {"code": request.POST.get("code", "").strip()}
            )
            user: User = request.user  # type: ignore[assignment]
            version = services.template_save(actor=user, spec=spec, note=_("Excel import"))
        except DomainError as exc:
            errors = exc.errors or [exc.message]
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Imported %(code)s as version %(n)d.")
                % {"code": version.template.code, "n": version.number},
            )
            return redirect("inspections:template", template_id=version.template_id)
    return render(
        request,
        "inspections/template_import.html",
        {"errors": error_lines(errors), "columns": checklists.COLUMNS},
    )


@scoped
def template_blank(request: HttpRequest) -> HttpResponse:
    """An empty workbook in the import layout, with one example row."""
    if not selectors.may_use_templates(request.user):
        raise PermissionDenied()
    example = {
        "code": "my-checklist",
        "name_zh": "我的检查表",
        "name_en": "My checklist",
        "subject": Subject.UNIT,
        "kind": Kind.QC_ROUND,
        "description": "",
        "na_policy": NaPolicy.REDUCE,
        "decimals": 1,
        "rounding": Rounding.HALF_UP,
        "max_points": "",
        "sections": [
            {
                "code": "A",
                "title": "仪容仪表",
                "floor": "item",
                "points": None,
                "items": [
                    {
                        "code": "A1",
                        "text": "着工装、佩戴工牌",
                        "points": 5,
                        "deduction": 1,
                        "guidance": "",
                        "evidence_required": False,
                        "na_allowed": False,
                        "veto": "",
                    }
                ],
            }
        ],
    }
    response = HttpResponse(checklists.workbook_export(example), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="checklist-template.xlsx"'
    return response


urlpatterns: list[URLPattern] = [
    path("checklists/", template_list, name="templates"),
    path("checklists/new/", template_edit, name="template-new"),
    path("checklists/import/", template_import, name="template-import"),
    path("checklists/blank.xlsx", template_blank, name="template-blank"),
    path("checklists/<int:template_id>/", template_detail, name="template"),
    path("checklists/<int:template_id>/edit/", template_edit, name="template-edit"),
    path("checklists/<int:template_id>/export.xlsx", template_export, name="template-export"),
]
