"""Inspection pages: the list, starting an inspection, the inspector's phone page (answers saved
one by one with htmx, the live score, camera upload, submit), an inspection's record with its
findings, photos, appeals and corrections, and the findings of a unit or staff member."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sqms.common.errors import DomainError, NotFound, PermissionDenied
from sqms.common.forms import form_errors
from sqms.common.http import scoped
from sqms.inspections import selectors, services
from sqms.inspections.models import (
    Answer,
    Appeal,
    Inspection,
    Kind,
    Photo,
    SampleEntry,
    Status,
)
from sqms.org.models import OrgUnit, Staff, User
from sqms.org.roles import Cap
from sqms.org.selectors import (
    access_for,
    can,
    staff_queryset_for_user,
    unit_queryset_for_user,
)

TABS = [
    ("mine", gettext_lazy("My drafts")),
    ("submitted", gettext_lazy("Submitted")),
    ("unpublished", gettext_lazy("Covert, not yet published")),
    ("", gettext_lazy("All")),
]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _may_view(request: HttpRequest) -> None:
    access = access_for(request.user)
    if not (
        access.any_cap(Cap.INSPECTION_VIEW)
        or access.any_cap(Cap.INSPECTION_PERFORM)
        or access.staff_id is not None
    ):
        raise PermissionDenied()


@scoped
def inspection_list(request: HttpRequest) -> HttpResponse:
    _may_view(request)
    tab = request.GET.get("tab", "mine" if can(request.user, Cap.INSPECTION_PERFORM) else "")
    unit = None
    if request.GET.get("unit", "").isdigit():
        unit = (
            unit_queryset_for_user(request.user, Cap.INSPECTION_VIEW)
            .filter(pk=int(request.GET["unit"]))
            .first()
        )
        if unit is None:
            raise NotFound(_("Unit not found."))
    flt = selectors.InspectionFilter(
        unit=unit,
        kind=request.GET.get("kind", ""),
        mine=tab == "mine",
        status=Status.DRAFT if tab == "mine" else (Status.SUBMITTED if tab == "submitted" else ""),
        unpublished=tab == "unpublished",
    )
    qs = selectors.inspection_list_for_user(request.user, flt)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "inspections/inspection_list.html",
        {
            "page": page,
            "tab": tab,
            "tabs": TABS,
            "unit": unit,
            "kinds": Kind.choices,
            "kind": flt.kind,
            "can_perform": can(request.user, Cap.INSPECTION_PERFORM),
            "can_manage": can(request.user, Cap.INSPECTION_MANAGE),
        },
    )


class StartForm(forms.Form):
    template = forms.ModelChoiceField(label=gettext_lazy("Checklist"), queryset=None)  # type: ignore[arg-type]
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit inspected"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
    )
    staff = forms.ModelChoiceField(
        label=gettext_lazy("Staff member"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
    )
    area = forms.CharField(label=gettext_lazy("Area"), max_length=80, required=False)
    time_slot = forms.CharField(label=gettext_lazy("Time slot"), max_length=40, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = selectors.template_list_for_user(user)  # type: ignore[attr-defined]
        units = unit_queryset_for_user(user, Cap.INSPECTION_PERFORM).filter(is_active=True)
        self.fields["unit"].queryset = units.order_by("path")  # type: ignore[attr-defined]
        self.fields["staff"].queryset = (  # type: ignore[attr-defined]
            staff_queryset_for_user(user, Cap.INSPECTION_PERFORM)
            .filter(end_date__isnull=True)
            .select_related("unit")
            .order_by("unit__code", "name")
        )


@scoped
def inspection_new(request: HttpRequest) -> HttpResponse:
    """Start an inspection: choose the checklist and the unit or staff member (or come from a
    sample entry, which names them)."""
    if not can(request.user, Cap.INSPECTION_PERFORM):
        raise PermissionDenied()
    entry = None
    entry_id = request.POST.get("entry") or request.GET.get("entry") or ""
    if entry_id.isdigit():
        entry = (
            SampleEntry.objects.select_related("draw__plan__template", "unit", "staff", "customer")
            .filter(pk=int(entry_id))
            .first()
        )
        if entry is None or not can(request.user, Cap.INSPECTION_PERFORM, entry.unit):
            raise NotFound(_("Sample entry not found."))
    initial: dict[str, Any] = {"kind": request.GET.get("kind", "")}
    if entry is not None:
        plan = entry.draw.plan
        initial.update(template=plan.template_id, kind=plan.kind, unit=entry.unit_id)
        if entry.staff_id:
            initial["staff"] = entry.staff_id
    if request.GET.get("template", "").isdigit():
        initial["template"] = int(request.GET["template"])
    if request.GET.get("unit", "").isdigit():
        initial["unit"] = int(request.GET["unit"])
    form = StartForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            inspection = services.inspection_start(
                actor=_user(request),
                template=d["template"],
                unit=d["unit"],
                staff=d["staff"],
                customer=entry.customer if entry else None,
                kind=d["kind"],
                area=d["area"],
                time_slot=d["time_slot"],
                sample_entry=entry,
            )
        except DomainError as exc:
            form_errors(form, exc)
        else:
            return redirect("inspections:fill", inspection_id=inspection.pk)
    return render(request, "inspections/inspection_new.html", {"form": form, "entry": entry})


def _fill_context(request: HttpRequest, inspection: Inspection) -> dict[str, Any]:
    sheet = selectors.inspection_sheet(inspection)
    answers = [a for s in sheet for a in s["answers"]]
    return {
        "inspection": inspection,
        "sheet": sheet,
        "answered": sum(a.answered for a in answers),
        "total": len(answers),
        "lost": sum((a.deducted for a in answers), start=type(answers[0].deducted)(0))
        if answers
        else 0,
        "receipts": inspection.photos.filter(role=Photo.Role.RECEIPT),
        "mystery": inspection.kind == Kind.MYSTERY,
    }


def _draft_for(request: HttpRequest, inspection_id: int) -> Inspection:
    inspection = selectors.inspection_get_for_user(request.user, inspection_id)
    if inspection.status != Status.DRAFT:
        raise NotFound(_("This inspection is no longer a draft."))
    if inspection.inspector_id != request.user.pk and not can(
        request.user, Cap.INSPECTION_MANAGE, inspection.unit
    ):
        raise PermissionDenied()
    return inspection


@scoped
def inspection_fill(request: HttpRequest, inspection_id: int) -> HttpResponse:
    """The inspector's phone page."""
    inspection = selectors.inspection_get_for_user(request.user, inspection_id)
    if inspection.status != Status.DRAFT:
        return redirect("inspections:detail", inspection_id=inspection.pk)
    inspection = _draft_for(request, inspection_id)
    return render(request, "inspections/inspection_fill.html", _fill_context(request, inspection))


def _answer_response(
    request: HttpRequest, inspection: Inspection, answer: Answer, error: str = ""
) -> HttpResponse:
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(reverse("inspections:fill", args=[inspection.pk]) + f"#answer-{answer.pk}")
    inspection = Inspection.objects.select_related("version__template", "unit").get(
        pk=inspection.pk
    )
    ctx = _fill_context(request, inspection)
    fresh = next(a for s in ctx["sheet"] for a in s["answers"] if a.pk == answer.pk)
    return render(
        request,
        "inspections/_answer_swap.html",
        {**ctx, "a": fresh, "oob": True, "error": error},
    )


@scoped
@require_POST
def answer_save(request: HttpRequest, inspection_id: int, answer_id: int) -> HttpResponse:
    """One tap on the phone: conforms, one more or one less nonconformity, N/A, or a note."""
    inspection = _draft_for(request, inspection_id)
    answer = inspection.answers.select_related("item").filter(pk=answer_id).first()
    if answer is None:
        raise NotFound(_("No such item in this inspection."))
    kwargs: dict[str, Any] = {}
    action = request.POST.get("action", "")
    if action == "ok":
        kwargs.update(nonconformities=0, not_applicable=False)
    elif action == "more":
        kwargs["nonconformities"] = answer.nonconformities + 1
    elif action == "less":
        kwargs["nonconformities"] = max(answer.nonconformities - 1, 0)
    elif action == "na":
        kwargs["not_applicable"] = not answer.not_applicable
    if "note" in request.POST:
        kwargs["note"] = request.POST["note"]
    error = ""
    try:
        _i, answer = services.inspection_answer(
            actor=_user(request), inspection=inspection, answer_id=answer.pk, **kwargs
        )
    except DomainError as exc:
        error = exc.errors[0].msg if exc.errors else exc.message
        if not request.htmx:  # type: ignore[attr-defined]
            messages.error(request, error)
    return _answer_response(request, inspection, answer, error)


@scoped
@require_POST
def photo_upload(request: HttpRequest, inspection_id: int) -> HttpResponse:
    """A photo from the phone's camera, for an item (evidence) or the receipt."""
    inspection = _draft_for(request, inspection_id)
    file = request.FILES.get("photo")
    answer_id = request.POST.get("answer", "")
    answer = inspection.answers.filter(pk=int(answer_id)).first() if answer_id.isdigit() else None
    try:
        if file is None:
            raise DomainError(code="required", message=_("Choose a photo."))
        services.photo_add(
            actor=_user(request),
            inspection=inspection,
            file=file,
            answer_id=answer.pk if answer else None,
            role=Photo.Role.EVIDENCE if answer else Photo.Role.RECEIPT,
        )
    except DomainError as exc:
        error = exc.errors[0].msg if exc.errors else exc.message
        if answer is not None and request.htmx:  # type: ignore[attr-defined]
            return _answer_response(request, inspection, answer, error)
        messages.error(request, error)
    if answer is not None:
        return _answer_response(request, inspection, answer)
    return redirect(reverse("inspections:fill", args=[inspection.pk]) + "#details")


class DetailsForm(forms.Form):
    visited_at = forms.DateTimeField(
        label=gettext_lazy("Visit began"),
        required=False,
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
    )
    visit_end = forms.DateTimeField(
        label=gettext_lazy("Visit ended"),
        required=False,
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
    )
    area = forms.CharField(label=gettext_lazy("Area"), max_length=80, required=False)
    time_slot = forms.CharField(label=gettext_lazy("Time slot"), max_length=40, required=False)
    script = forms.CharField(
        label=gettext_lazy("Visit script"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@scoped
@require_POST
def details_save(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = _draft_for(request, inspection_id)
    form = DetailsForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.inspection_update(
                actor=_user(request),
                inspection=inspection,
                visited_at=d["visited_at"],
                visit_end=d["visit_end"],
                area=d["area"],
                time_slot=d["time_slot"],
                script=d["script"],
                notes=d["notes"],
            )
        except DomainError as exc:
            messages.error(request, exc.errors[0].msg if exc.errors else exc.message)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                return HttpResponse(_("Saved."))
    else:
        messages.error(request, _("Check the times."))
    return redirect(reverse("inspections:fill", args=[inspection.pk]) + "#details")


@scoped
@require_POST
def answer_rest(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = _draft_for(request, inspection_id)
    services.inspection_answer_rest(actor=_user(request), inspection=inspection)
    return redirect(reverse("inspections:fill", args=[inspection.pk]) + "#submit")


@scoped
@require_POST
def inspection_submit(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = _draft_for(request, inspection_id)
    try:
        services.inspection_submit(actor=_user(request), inspection=inspection)
    except DomainError as exc:
        ctx = _fill_context(request, inspection)
        ctx["submit_errors"] = [e.msg for e in exc.errors] or [exc.message]
        return render(request, "inspections/inspection_fill.html", ctx, status=422)
    messages.success(request, _("Inspection submitted."))
    return redirect("inspections:detail", inspection_id=inspection.pk)


@scoped
def inspection_detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(request.user, inspection_id)
    user = _user(request)
    manage = can(user, Cap.INSPECTION_MANAGE, inspection.unit)
    deadline = services.appeal_deadline(inspection)
    appeal_open = (
        inspection.status == Status.SUBMITTED
        and deadline is not None
        and timezone.now() <= deadline
        and services.may_appeal(user, inspection)
    )
    return render(
        request,
        "inspections/inspection_detail.html",
        {
            "inspection": inspection,
            "sheet": selectors.inspection_sheet(inspection),
            "manage": manage,
            "appeal_open": appeal_open,
            "appeal_deadline": deadline,
            "receipts": inspection.photos.filter(role=Photo.Role.RECEIPT),
            "corrections": inspection.corrections.select_related("actor"),
            "may_fill": inspection.status == Status.DRAFT
            and (inspection.inspector_id == user.pk or manage),
            "outcomes": [
                (Appeal.Outcome.UPHELD, Appeal.Outcome.UPHELD.label),
                (Appeal.Outcome.OVERTURNED, Appeal.Outcome.OVERTURNED.label),
            ],
        },
    )


def _back(inspection: Inspection, anchor: str = "") -> HttpResponse:
    return redirect(reverse("inspections:detail", args=[inspection.pk]) + anchor)


def _act(request: HttpRequest, target: Inspection, fn: Any, ok: str, **kwargs: Any) -> HttpResponse:
    try:
        fn(actor=_user(request), **kwargs)
    except DomainError as exc:
        messages.error(request, exc.errors[0].msg if exc.errors else exc.message)
    else:
        messages.success(request, ok)
    return _back(target)


@scoped
@require_POST
def inspection_publish(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(
        request.user, inspection_id, Cap.INSPECTION_MANAGE
    )
    return _act(
        request,
        inspection,
        services.inspection_publish,
        _("Published: the store can now see the result."),
        inspection=inspection,
    )


@scoped
@require_POST
def inspection_void(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(request.user, inspection_id)
    return _act(
        request,
        inspection,
        services.inspection_void,
        _("Voided."),
        inspection=inspection,
        reason=request.POST.get("reason", ""),
    )


@scoped
@require_POST
def inspection_correct(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(
        request.user, inspection_id, Cap.INSPECTION_MANAGE
    )
    code = request.POST.get("item", "")
    raw = request.POST.get("nonconformities", "")
    change: dict[str, Any] = {"not_applicable": request.POST.get("not_applicable") == "1"}
    if raw.strip().isdigit():
        change["nonconformities"] = int(raw)
    elif raw.strip():
        messages.error(request, _("Nonconformities are a whole number."))
        return _back(inspection)
    return _act(
        request,
        inspection,
        services.inspection_correct,
        _("Correction recorded."),
        inspection=inspection,
        changes={code: change},
        reason=request.POST.get("reason", ""),
    )


@scoped
@require_POST
def appeal_file(request: HttpRequest, inspection_id: int, answer_id: int) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(request.user, inspection_id)
    answer = inspection.answers.filter(pk=answer_id).select_related("inspection").first()
    if answer is None:
        raise NotFound(_("No such item in this inspection."))
    return _act(
        request,
        inspection,
        services.appeal_file,
        _("Appeal filed; the quality department will decide."),
        answer=answer,
        statement=request.POST.get("statement", ""),
        evidence=request.FILES.get("evidence"),
    )


@scoped
@require_POST
def appeal_decide(request: HttpRequest, inspection_id: int, appeal_id: int) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(
        request.user, inspection_id, Cap.INSPECTION_MANAGE
    )
    appeal = inspection.appeals.filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound(_("Appeal not found."))
    return _act(
        request,
        inspection,
        services.appeal_decide,
        _("Decision recorded."),
        appeal=appeal,
        outcome=request.POST.get("outcome", ""),
        reason=request.POST.get("reason", ""),
    )


@scoped
def photo_view(request: HttpRequest, photo_id: int) -> FileResponse:
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        raise NotFound(_("Photo not found."))
    selectors.inspection_get_for_user(request.user, photo.inspection_id)
    return FileResponse(photo.file.open("rb"), content_type=photo.content_type)


@scoped
def appeal_evidence(request: HttpRequest, appeal_id: int) -> FileResponse:
    appeal = Appeal.objects.filter(pk=appeal_id).first()
    if appeal is None or not appeal.evidence:
        raise NotFound(_("Appeal not found."))
    selectors.inspection_get_for_user(request.user, appeal.inspection_id)
    return FileResponse(appeal.evidence.open("rb"))


@scoped
def findings(request: HttpRequest) -> HttpResponse:
    """Failed items of a unit (its subtree) or of a staff member, newest first."""
    _may_view(request)
    unit: OrgUnit | None = None
    staff: Staff | None = None
    if request.GET.get("unit", "").isdigit():
        unit = (
            unit_queryset_for_user(request.user, Cap.INSPECTION_VIEW)
            .filter(pk=int(request.GET["unit"]))
            .first()
        )
        if unit is None:
            raise NotFound(_("Unit not found."))
    if request.GET.get("staff", "").isdigit():
        staff = staff_queryset_for_user(request.user).filter(pk=int(request.GET["staff"])).first()
        if staff is None:
            raise NotFound(_("Staff member not found."))
    rows = selectors.findings_for_user(
        request.user, unit=unit, staff_id=staff.pk if staff else None, limit=200
    )
    return render(
        request,
        "inspections/findings.html",
        {"rows": rows, "unit": unit, "staff": staff},
    )


urlpatterns: list[URLPattern] = [
    path("", inspection_list, name="list"),
    path("new/", inspection_new, name="new"),
    path("findings/", findings, name="findings"),
    path("<int:inspection_id>/", inspection_detail, name="detail"),
    path("<int:inspection_id>/fill/", inspection_fill, name="fill"),
    path("<int:inspection_id>/answers/<int:answer_id>/", answer_save, name="answer"),
    path("<int:inspection_id>/photos/", photo_upload, name="photo-upload"),
    path("<int:inspection_id>/details/", details_save, name="details"),
    path("<int:inspection_id>/rest/", answer_rest, name="rest"),
    path("<int:inspection_id>/submit/", inspection_submit, name="submit"),
    path("<int:inspection_id>/publish/", inspection_publish, name="publish"),
    path("<int:inspection_id>/void/", inspection_void, name="void"),
    path("<int:inspection_id>/correct/", inspection_correct, name="correct"),
    path("<int:inspection_id>/answers/<int:answer_id>/appeal/", appeal_file, name="appeal"),
    path(
        "<int:inspection_id>/appeals/<int:appeal_id>/decide/",
        appeal_decide,
        name="appeal-decide",
    ),
    path("photos/<int:photo_id>/", photo_view, name="photo"),
    path("appeals/<int:appeal_id>/evidence/", appeal_evidence, name="appeal-evidence"),
]
