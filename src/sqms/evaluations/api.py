"""The evaluations API: runs, scorecards (the same scoping as the pages: a staff member reads
only his own), appeals, and checking a scheme."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from sqms.common.errors import NotFound, PermissionDenied, field_error
from sqms.evaluations import selectors, services
from sqms.evaluations.models import Run, SchemeVersion, Scorecard, ScorecardLine
from sqms.evaluations.schemas import (
    AppealIn,
    AppealOut,
    ProblemOut,
    RunIn,
    RunOut,
    SchemeCheckIn,
    ScorecardDetailOut,
    ScorecardOut,
)
from sqms.org.models import OrgUnit
from sqms.org.roles import Cap
from sqms.org.selectors import access_for

router = Router(tags=["evaluations"])


def _run(r: Run) -> dict[str, Any]:
    return {
        "id": r.pk,
        "scheme": r.version.scheme.code,
        "version": r.version.number,
        "period": r.period_label,
        "period_start": r.period_start,
        "period_end": r.period_end,
        "scope": r.scope.code,
        "status": r.status,
        "whatif": r.whatif,
        "done": r.done,
        "total": r.total,
        "appeal_deadline": r.appeal_deadline,
        "published_at": r.published_at,
    }


def _card(c: Scorecard, lines: bool = False) -> dict[str, Any]:
    places = Decimal(1).scaleb(-int(c.run.version.spec.get("decimals", 2)))
    out: dict[str, Any] = {
        "id": c.pk,
        "run": c.run_id,
        "staff": c.staff.employee_no if c.staff else None,
        "staff_name": c.staff.name if c.staff else None,
        "unit": c.unit.code,
        "total": c.total.quantize(places),
        "grade": c.grade,
        "rank": c.rank,
        "star": c.star,
        "amount": c.amount,
        "vetoed": c.vetoed,
        "components": c.components,
        "outcomes": c.outcomes,
    }
    if lines:
        out["lines"] = [
            {
                "id": ln.pk,
                "component": ln.component,
                "rule_index": ln.rule_index,
                "kind": ln.kind,
                "source": ln.source,
                "inputs": ln.inputs,
                "points": ln.points,
                "note": ln.note,
                "refs": ln.refs,
            }
            for ln in c.lines.all()
        ]
    return out


@router.get("/runs", response=list[RunOut])
def list_runs(request: HttpRequest) -> list[dict[str, Any]]:
    return [_run(r) for r in selectors.run_list_for_user(request.user)[:200]]


@router.post("/runs", response={202: RunOut})
def start_run(request: HttpRequest, payload: RunIn) -> Status[Any]:
    if not access_for(request.user).any_cap(Cap.EVALUATION_MANAGE):
        raise PermissionDenied()
    versions = SchemeVersion.objects.filter(scheme__code=payload.scheme).select_related("scheme")
    version = (
        versions.filter(number=payload.version).first()
        if payload.version is not None
        else versions.filter(state=SchemeVersion.State.ACTIVE).first()
    )
    if version is None:
        raise field_error("scheme", _("No such scheme or version."))
    scope = OrgUnit.objects.filter(code=payload.scope, is_active=True).first()
    if scope is None:
        raise field_error("scope", _("No active unit has this code."))
    run = services.run_start(
        actor=request.user,  # type: ignore[arg-type]
        version=version,
        period=payload.period,
        scope=scope,
        whatif=payload.whatif,
    )
    return Status(202, _run(Run.objects.select_related("version__scheme", "scope").get(pk=run.pk)))


@router.get("/runs/{run_id}", response=RunOut)
def get_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    return _run(selectors.run_get_for_user(request.user, run_id))


@router.get("/runs/{run_id}/scorecards", response=list[ScorecardOut])
def run_scorecards(request: HttpRequest, run_id: int) -> list[dict[str, Any]]:
    run = selectors.run_get_for_user(request.user, run_id)
    return [_card(c) for c in selectors.scorecard_list_for_run(request.user, run)[:1000]]


@router.get("/scorecards/mine", response=list[ScorecardOut])
def my_scorecards(request: HttpRequest) -> list[dict[str, Any]]:
    return [_card(c) for c in selectors.my_scorecards(request.user)]


@router.get("/scorecards/{scorecard_id}", response=ScorecardDetailOut)
def get_scorecard(request: HttpRequest, scorecard_id: int) -> dict[str, Any]:
    return _card(selectors.scorecard_get_for_user(request.user, scorecard_id), lines=True)


@router.post("/lines/{line_id}/appeal", response={201: AppealOut})
def appeal_line(request: HttpRequest, line_id: int, payload: AppealIn) -> Status[Any]:
    line = ScorecardLine.objects.filter(pk=line_id).first()
    if line is None:
        raise NotFound()
    selectors.scorecard_get_for_user(request.user, line.scorecard_id, log=False)
    appeal = services.appeal_file(actor=request.user, line=line, reason=payload.reason)  # type: ignore[arg-type]
    return Status(
        201,
        {
            "id": appeal.pk,
            "line": line.pk,
            "state": appeal.state,
            "reason": appeal.reason,
            "decision": appeal.decision,
            "points": appeal.points,
        },
    )


@router.post("/schemes/check", response=list[ProblemOut])
def check_scheme(request: HttpRequest, payload: SchemeCheckIn) -> list[dict[str, Any]]:
    if not access_for(request.user).any_cap(Cap.EVALUATION_VIEW):
        raise PermissionDenied()
    return [{"loc": list(p.loc), "msg": p.msg} for p in services.scheme_problems(payload.spec)]
