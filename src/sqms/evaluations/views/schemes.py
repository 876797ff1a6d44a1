"""Scheme pages: the list, one scheme with its versions and the editor (the rules as YAML,
checked whole: every mistake is listed with its place), activation of a version."""

from __future__ import annotations

import yaml
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sqms.common.errors import DomainError, NotFound, PermissionDenied
from sqms.common.http import scoped
from sqms.evaluations import selectors, services
from sqms.evaluations.forms import SchemeForm
from sqms.evaluations.labels import problem_label
from sqms.evaluations.models import SchemeVersion
from sqms.org.roles import Cap
from sqms.org.selectors import can


def _dump(spec: dict) -> str:  # type: ignore[type-arg]
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=100)


@scoped
def scheme_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Cap.EVALUATION_VIEW):
        raise PermissionDenied()
    return render(
        request,
        "evaluations/scheme_list.html",
        {
            "schemes": selectors.scheme_list_for_user(request.user),
            "can_manage": can(request.user, Cap.EVALUATION_MANAGE),
        },
    )


def _editor(request: HttpRequest, initial: dict, scheme=None) -> HttpResponse:  # type: ignore[no-untyped-def,type-arg]
    manage = can(request.user, Cap.EVALUATION_MANAGE)
    form = SchemeForm(request.POST or None, initial=initial)
    problems = []
    if request.method == "POST":
        if not manage:
            raise PermissionDenied()
        if form.is_valid():
            d = form.cleaned_data
            if "check" in request.POST:
                problems = [
                    {"loc": ".".join(map(str, p.loc)), "msg": problem_label(p.msg)}
                    for p in services.scheme_problems(d["spec"])
                ]
                if not problems:
                    messages.success(request, _("The scheme is valid."))
            else:
                try:
                    version = services.scheme_save(
                        actor=request.user,  # type: ignore[arg-type]
                        code=d["code"],
                        name_zh=d["name_zh"],
                        name_en=d["name_en"],
                        spec=d["spec"],
                        note=d["note"],
                    )
                except DomainError as exc:
                    if isinstance(exc, PermissionDenied):
                        raise
                    problems = [
                        {"loc": ".".join(map(str, e.loc)), "msg": problem_label(e.msg)}
                        for e in exc.errors
                    ]
                else:
                    messages.success(request, _("Saved as version %(n)d.") % {"n": version.number})
                    return redirect("evaluations:scheme", code=version.scheme.code)
    versions = list(scheme.versions.all().order_by("-number")) if scheme else []
    return render(
        request,
        "evaluations/scheme_detail.html",
        {
            "scheme": scheme,
            "form": form,
            "problems": problems,
            "versions": versions,
            "can_manage": manage,
        },
    )


@scoped
@require_http_methods(["GET", "POST"])
def scheme_new(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Cap.EVALUATION_MANAGE):
        raise PermissionDenied()
    spec = {"code": "", "subject": "staff", "period": "month", "scale": 100, "components": []}
    return _editor(request, {"spec": _dump(spec)})


@scoped
@require_http_methods(["GET", "POST"])
def scheme_detail(request: HttpRequest, code: str) -> HttpResponse:
    scheme = selectors.scheme_get_for_user(request.user, code)
    latest = scheme.versions.order_by("-number").first()
    initial = {
        "code": scheme.code,
        "name_zh": scheme.name_zh,
        "name_en": scheme.name_en,
        "spec": _dump(latest.spec) if latest else "",
    }
    return _editor(request, initial, scheme)


@scoped
@require_POST
def version_activate(request: HttpRequest, version_id: int) -> HttpResponse:
    if not can(request.user, Cap.EVALUATION_VIEW):
        raise NotFound()
    version = SchemeVersion.objects.filter(pk=version_id).select_related("scheme").first()
    if version is None:
        raise NotFound()
    try:
        services.scheme_version_activate(actor=request.user, version=version)  # type: ignore[arg-type]
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        for e in exc.errors:
            messages.error(request, f"{'.'.join(map(str, e.loc))}: {e.msg}")
    else:
        messages.success(request, _("Version %(n)d is now active.") % {"n": version.number})
    return redirect("evaluations:scheme", code=version.scheme.code)


urlpatterns: list[URLPattern] = [
    path("schemes/", scheme_list, name="schemes"),
    path("schemes/new/", scheme_new, name="scheme-new"),
    path("schemes/<slug:code>/", scheme_detail, name="scheme"),
    path("versions/<int:version_id>/activate", version_activate, name="version-activate"),
]
