"""Register pages: the Excel import of paper registers (service desk and hotline), and the stores'
monthly registers — the month's overview, one register with its submit form, and its export in
the paper form's layout. Registers are fetched through the scoped selector, so a register outside
the user's scope answers 404 by every door (page, export, submit)."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from sqms.common.errors import DomainError, NotFound, PermissionDenied
from sqms.common.http import scoped
from sqms.complaints import import_jobs, imports
from sqms.complaints import registers as reg
from sqms.org.forms import ImportForm
from sqms.org.roles import Cap
from sqms.org.selectors import can

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(content, content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


# --- Import ---------------------------------------------------------------------------------


class ComplaintImportForm(ImportForm):
    layout = forms.ChoiceField(
        label=gettext_lazy("Register"),
        choices=[
            ("auto", gettext_lazy("Recognise it from the headers")),
            ("desk", gettext_lazy("Service-desk register (顾客投诉意见登记表)")),
            ("hotline", gettext_lazy("Hotline log (顾客电话投诉记录表)")),
        ],
        initial="auto",
    )
    field_order = ["file", "layout", "dry_run"]


@scoped
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    """The upload form; a valid upload goes to the worker and the page follows its job."""
    if not can(request.user, Cap.COMPLAINT_INTAKE):
        raise PermissionDenied()
    form = (
        ComplaintImportForm(request.POST, request.FILES)
        if request.method == "POST"
        else ComplaintImportForm()
    )
    if request.method == "POST" and form.is_valid():
        job = import_jobs.register_import_start(
            actor=request.user,  # type: ignore[arg-type]
            upload=form.cleaned_data["file"],
            dry_run=form.cleaned_data["dry_run"],
            layout=form.cleaned_data["layout"],
        )
        return redirect("complaints:import-job", token=job.token)
    return render(request, "complaints/import.html", {"form": form})


@scoped
def import_job(request: HttpRequest, token: str) -> HttpResponse:
    """One upload's progress, then its report; htmx asks again every second until it is done."""
    job = import_jobs.register_import_get_for_user(request.user, token)
    htmx = getattr(request, "htmx", None)
    template = "complaints/_import_job.html" if htmx else "complaints/import_job.html"
    response = render(request, template, {"job": job, "report": job.report})
    patch_vary_headers(response, ["HX-Request"])
    return response


@scoped
def import_template(request: HttpRequest, layout: str) -> HttpResponse:
    if not can(request.user, Cap.COMPLAINT_INTAKE):
        raise PermissionDenied()
    if layout not in imports.LAYOUTS:
        raise NotFound(_("No such template."))
    return _xlsx(imports.complaint_template(layout), f"sqms-complaints-{layout}.xlsx")


# --- Monthly registers ----------------------------------------------------------------------


def _month(value: str | None) -> dt.date:
    """`YYYY-MM` from the query string; by default the month whose register is due next."""
    if value and re.fullmatch(r"\d{4}-\d{2}", value):
        year, month = int(value[:4]), int(value[5:])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    return reg.previous_month(reg.local_today())


@scoped
def register_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Cap.COMPLAINT_VIEW):
        raise PermissionDenied()
    month = _month(request.GET.get("month"))
    rows = reg.register_list_for_user(request.user, month)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    ended = reg.month_bounds(month)[1] <= reg.month_bounds(reg.local_today())[0]
    return render(
        request,
        "complaints/registers/register_list.html",
        {
            "page": page,
            "month": month,
            "previous": reg.previous_month(month),
            "next": reg.next_month(month),
            "ended": ended,
            "started": month <= reg.local_today(),
            "today": reg.local_today(),
            "can_import": can(request.user, Cap.COMPLAINT_INTAKE),
            "open": sum(1 for r in rows if r.state != reg.State.SUBMITTED),
            "late": sum(1 for r in rows if r.late),
        },
    )


@scoped
@require_POST
def register_open(request: HttpRequest) -> HttpResponse:
    """Compile a store's register for a month (it exists from then on) and show it."""
    unit_id = request.POST.get("unit", "")
    if not unit_id.isdigit():
        raise NotFound(_("Store not found."))
    store = reg.register_store_for_user(request.user, int(unit_id))
    month = _month(request.POST.get("month"))
    if month > reg.local_today():
        messages.error(request, _("A month that has not begun has no register yet."))
        return redirect(reverse("complaints:registers") + f"?month={month:%Y-%m}")
    register = reg.register_compile(store, month)
    return redirect("complaints:register", register_id=register.pk)


class SubmitForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note for the operations group"),
        required=False,
        max_length=reg.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@scoped
@require_http_methods(["GET", "POST"])
def register_detail(request: HttpRequest, register_id: int) -> HttpResponse:
    register = reg.register_get_for_user(request.user, register_id)
    # Contact details are masked; a POST with `reveal` shows them in full (each view logged).
    reveal = request.method == "POST" and request.POST.get("reveal") == "1"
    lines = reg.register_lines(request.user, register, reveal=reveal)
    month_over = reg.month_bounds(register.month)[1] <= reg.month_bounds(reg.local_today())[0]
    return render(
        request,
        "complaints/registers/register_detail.html",
        {
            "register": register,
            "lines": lines,
            "may_reveal": any(line.contact.masked for line in lines)
            and can(request.user, Cap.PERSONAL_DATA, register.unit),
            "can_submit": register.state == reg.State.OPEN
            and can(request.user, Cap.REGISTER_SUBMIT, register.unit),
            "month_over": month_over,
            "submit_from": reg.next_month(register.month),
            "form": SubmitForm(),
        },
    )


@scoped
@require_POST
def register_submit(request: HttpRequest, register_id: int) -> HttpResponse:
    register = reg.register_get_for_user(request.user, register_id)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
        return redirect("complaints:register", register_id=register.pk)
    try:
        register = reg.register_submit(
            actor=request.user,  # type: ignore[arg-type]
            register=register,
            note=form.cleaned_data["note"],
        )
    except (NotFound, PermissionDenied):
        raise  # 404 / 403 through `scoped`, like every other door
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The register was submitted late.")
            if register.late
            else _("The register was submitted on time."),
        )
    return redirect("complaints:register", register_id=register.pk)


@scoped
def register_export(request: HttpRequest, register_id: int) -> HttpResponse:
    register = reg.register_get_for_user(request.user, register_id)
    content = reg.register_export(request.user, register)
    return _xlsx(content, f"register-{register.unit.code}-{register.month:%Y-%m}.xlsx")


urlpatterns: list[URLPattern] = [
    path("import/", import_view, name="import"),
    path("import/<slug:token>/", import_job, name="import-job"),
    path("import/template-<slug:layout>.xlsx", import_template, name="import-template"),
    path("registers/", register_list, name="registers"),
    path("registers/open/", register_open, name="register-open"),
    path("registers/<int:register_id>/", register_detail, name="register"),
    path("registers/<int:register_id>/submit", register_submit, name="register-submit"),
    path("registers/<int:register_id>/export.xlsx", register_export, name="register-export"),
]
