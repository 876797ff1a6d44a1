"""A person's scorecard with drill-down to every line's records, his appeals, the quality
department's decisions and manual entries, and the scorecard in Excel. Every door goes through
`selectors.scorecard_get_for_user`, so a colleague's scorecard is 404 by page, API and export."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sqms.common import clock
from sqms.common.errors import DomainError, NotFound, PermissionDenied
from sqms.common.http import scoped
from sqms.evaluations import exports, selectors, services
from sqms.evaluations.forms import AppealForm, DecisionForm, ManualForm
from sqms.evaluations.labels import component_labels, grade_labels, note_label, outcome_label
from sqms.evaluations.models import Appeal, RunStatus, ScorecardLine
from sqms.evaluations.views.common import XLSX, line_rows
from sqms.inspections.facts import inspection_deductions
from sqms.org.roles import Cap
from sqms.org.selectors import access_for


def _deductions(card):  # type: ignore[no-untyped-def]
    """The inspection items behind the card's inspection lines (one query)."""
    templates = {
        ln.source.split(":", 1)[1] if ":" in ln.source else ""
        for ln in card.lines.all()
        if ln.source.startswith("inspections.")
    }
    if not templates:
        return []
    rows = []
    for template in sorted(templates):
        rows += inspection_deductions(
            card.run.period_start,
            card.run.period_end,
            template=template or None,
            staff_id=card.staff_id,
            unit=None if card.staff_id else card.unit,
        )
    return rows


@scoped
def scorecard_detail(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    card = selectors.scorecard_get_for_user(request.user, scorecard_id)
    run = card.run
    lines = list(card.lines.all())
    appeals = {
        a.line_id: a for a in Appeal.objects.filter(scorecard=card).select_related("decided_by")
    }
    own = card.staff_id is not None and card.staff_id == getattr(request.user, "staff_id", None)
    manage = (
        access_for(request.user).covers(Cap.EVALUATION_MANAGE, run.scope.path) and not run.whatif
    )
    can_appeal = (
        own
        and run.status == RunStatus.APPEALS
        and run.appeal_deadline is not None
        and clock.now() <= run.appeal_deadline
        and access_for(request.user).any_cap(Cap.EVALUATION_APPEAL)
    )
    spec = run.version.spec
    comps = component_labels(spec)
    manual_components = [
        c["code"]
        for c in spec.get("components", [])
        if any(r.get("kind") == "manual" for r in c.get("rules", []))
    ]
    ladder = card.outcomes.get("ladder")
    context = {
        "card": card,
        "run": run,
        "rows": line_rows(run, lines),
        "appeals": appeals,
        "components": [{**c, "label": comps.get(c["code"], c["code"])} for c in card.components],
        "grade": grade_labels(spec).get(card.grade, card.grade),
        "ladder": {**ladder, "label": outcome_label(ladder.get("outcome", ""))} if ladder else None,
        "own": own,
        "can_appeal": can_appeal,
        "can_decide": manage and run.status == RunStatus.APPEALS,
        "can_manual": manage and run.status == RunStatus.DRAFT,
        "manual_components": [(c, comps.get(c, c)) for c in manual_components],
        "appeal_form": AppealForm(),
        "decision_form": DecisionForm(),
        "manual_form": ManualForm(),
        "deductions": _deductions(card),
        "star_note": note_label(card.outcomes.get("star", {}).get("note", "")),
    }
    return render(request, "evaluations/scorecard.html", context)


@scoped
def scorecard_export(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    card = selectors.scorecard_get_for_user(request.user, scorecard_id)
    resp = HttpResponse(exports.scorecard_workbook(card), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="scorecard-{card.pk}.xlsx"'
    return resp


def _errors(request: HttpRequest, exc: DomainError) -> None:
    for e in exc.errors:
        messages.error(request, e.msg)
    if not exc.errors:
        messages.error(request, exc.message)


def _carry_out(
    request: HttpRequest, card_id: int, action: Callable[[], object], done: str
) -> HttpResponse:
    """Run a scorecard action and go back to the scorecard: its refusals as messages (a
    missing right stays a 403), else `done`."""
    try:
        action()
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        _errors(request, exc)
    else:
        messages.success(request, done)
    return redirect("evaluations:scorecard", scorecard_id=card_id)


@scoped
@require_POST
def appeal_post(request: HttpRequest, line_id: int) -> HttpResponse:
    line = ScorecardLine.objects.filter(pk=line_id).select_related("scorecard").first()
    if line is None:
        raise NotFound()
    card = selectors.scorecard_get_for_user(request.user, line.scorecard_id, log=False)
    form = AppealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the line is wrong."))
        return redirect("evaluations:scorecard", scorecard_id=card.pk)
    return _carry_out(
        request,
        card.pk,
        lambda: services.appeal_file(
            actor=request.user,  # type: ignore[arg-type]
            line=line,
            reason=form.cleaned_data["reason"],
        ),
        _("Your appeal was filed."),
    )


@scoped
@require_POST
def appeal_decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
    appeal = Appeal.objects.filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound()
    card = selectors.scorecard_get_for_user(request.user, appeal.scorecard_id, log=False)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for the decision."))
        return redirect("evaluations:scorecard", scorecard_id=card.pk)
    d = form.cleaned_data
    return _carry_out(
        request,
        card.pk,
        lambda: services.appeal_decide(
            actor=request.user,  # type: ignore[arg-type]
            appeal=appeal,
            upheld=d["upheld"],
            decision=d["decision"],
            points=d["points"],
        ),
        _("The appeal was decided."),
    )


@scoped
@require_POST
def manual_post(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    card = selectors.scorecard_get_for_user(request.user, scorecard_id, log=False)
    form = ManualForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the points and a justification."))
        return redirect("evaluations:scorecard", scorecard_id=card.pk)
    d = form.cleaned_data
    return _carry_out(
        request,
        card.pk,
        lambda: services.scorecard_manual_set(
            actor=request.user,  # type: ignore[arg-type]
            card=card,
            component=d["component"],
            points=d["points"],
            justification=d["justification"],
        ),
        _("Manual points recorded."),
    )


urlpatterns: list[URLPattern] = [
    path("scorecards/<int:scorecard_id>/", scorecard_detail, name="scorecard"),
    path("scorecards/<int:scorecard_id>/export.xlsx", scorecard_export, name="scorecard-export"),
    path("scorecards/<int:scorecard_id>/manual", manual_post, name="manual"),
    path("lines/<int:line_id>/appeal", appeal_post, name="appeal"),
    path("appeals/<int:appeal_id>/decide", appeal_decide, name="appeal-decide"),
]
