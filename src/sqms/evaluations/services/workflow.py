"""The evaluation workflow: draft → open for appeals → reviewed → approved → published, the
appeals (申诉) staff file against lines of their own scorecard within the pack's time limit, their
decisions (an upheld appeal changes the result), manual entries on a draft, and publication of
the bulletin to its audience."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from sqms.common import clock
from sqms.common.audit import audit_record
from sqms.common.errors import DomainError, FieldError, PermissionDenied
from sqms.common.notifications import notify
from sqms.core.scoring import RuleKind
from sqms.evaluations.models import (
    Appeal,
    Audience,
    EvaluationRules,
    Run,
    RunStatus,
    Scorecard,
    ScorecardLine,
)
from sqms.evaluations.services.runs import run_rederive, scorecard_rescore
from sqms.evaluations.services.schemes import scheme_build
from sqms.org.models import User
from sqms.org.roles import Cap
from sqms.org.selectors import access_for

NEXT = {
    RunStatus.DRAFT: RunStatus.APPEALS,
    RunStatus.APPEALS: RunStatus.REVIEWED,
    RunStatus.REVIEWED: RunStatus.APPROVED,
    RunStatus.APPROVED: RunStatus.PUBLISHED,
}


def _manager(actor: User | None, run: Run) -> None:
    if actor is not None and not access_for(actor).covers(Cap.EVALUATION_MANAGE, run.scope.path):
        raise PermissionDenied()


def _locked(run: Run, expected: str) -> Run:
    run = Run.objects.select_for_update().select_related("scope", "version").get(pk=run.pk)
    if run.whatif:
        raise DomainError(code="whatif", message=_("A what-if run has no workflow."))
    if run.status != expected:
        raise DomainError(
            code="invalid_transition",
            message=_("The evaluation is %(status)s; this step needs it %(expected)s.")
            % {"status": run.get_status_display(), "expected": RunStatus(expected).label},
            status=409,
        )
    return run


def appeal_days(run: Run) -> int:
    days = run.version.spec.get("appeal_days")
    if days:
        return int(days)
    rules = EvaluationRules.objects.first()
    return rules.appeal_days if rules else 5


@transaction.atomic
def run_open_appeals(*, actor: User | None, run: Run) -> Run:
    """Open the draft for appeals: each evaluated person sees his own scorecard and may appeal
    a line until the deadline (the pack's number of days from now)."""
    _manager(actor, run)
    run = _locked(run, RunStatus.DRAFT)
    run.status = RunStatus.APPEALS
    run.appeal_deadline = clock.now() + dt.timedelta(days=appeal_days(run))
    run.save(update_fields=["status", "appeal_deadline", "updated_at"])
    audit_record(
        actor=actor,
        action="evaluations.run_open_appeals",
        target=run,
        after={"appeal_deadline": run.appeal_deadline},
    )
    users = list(
        User.objects.filter(staff__scorecards__run=run, is_active=True).only("pk", "email")
    )
    title = _("Your evaluation %(period)s is open for appeals") % {"period": run.period_label}
    url = reverse("evaluations:mine")
    notify(users=users, title=title, url=url)
    return run


@transaction.atomic
def appeal_file(*, actor: User, line: ScorecardLine, reason: str) -> Appeal:
    """A staff member appeals one line of his own scorecard, while the run is open for appeals
    and before its deadline."""
    line = ScorecardLine.objects.select_related("scorecard__run__scope").get(pk=line.pk)
    card = line.scorecard
    run = card.run
    if card.staff_id is None or actor.staff_id != card.staff_id:
        raise PermissionDenied(_("Only the person evaluated may appeal his scorecard."))
    if not access_for(actor).any_cap(Cap.EVALUATION_APPEAL):
        raise PermissionDenied()
    errors = []
    if not reason.strip():
        errors.append(FieldError(loc=["reason"], msg=_("Say why the line is wrong.")))
    if run.status != RunStatus.APPEALS or run.appeal_deadline is None:
        errors.append(FieldError(loc=["line"], msg=_("This evaluation is not open for appeals.")))
    elif clock.now() > run.appeal_deadline:
        errors.append(
            FieldError(
                loc=["line"],
                msg=_("The time to appeal ended on %(when)s.")
                % {"when": run.appeal_deadline.strftime("%Y-%m-%d %H:%M")},
            )
        )
    if Appeal.objects.filter(line=line, state=Appeal.State.PENDING).exists():
        errors.append(FieldError(loc=["line"], msg=_("This line already has a pending appeal.")))
    if errors:
        raise DomainError(code="invalid_appeal", message=errors[0].msg, errors=errors)
    appeal = Appeal.objects.create(line=line, scorecard=card, filed_by=actor, reason=reason.strip())
    audit_record(
        actor=actor, action="evaluations.appeal_file", target=appeal, after={"reason": reason}
    )
    managers = User.objects.filter(grants__role__in=["quality_manager"], is_active=True).distinct()
    notify(
        users=list(managers),
        title=_("New appeal on an evaluation"),
        url=reverse("evaluations:scorecard", args=[card.pk]),
    )
    return appeal


@transaction.atomic
def appeal_decide(
    *,
    actor: User | None,
    appeal: Appeal,
    upheld: bool,
    decision: str,
    points: Decimal | None = None,
) -> Appeal:
    """Decide an appeal with a reason. Upheld, the line takes `points` (default 0: the
    deduction is struck) and the scorecard, ranks, unit means, ladder and stars follow."""
    appeal = (
        Appeal.objects.select_for_update()
        .select_related("scorecard__run__scope", "line")
        .get(pk=appeal.pk)
    )
    run = appeal.scorecard.run
    _manager(actor, run)
    errors = []
    if appeal.state != Appeal.State.PENDING:
        errors.append(FieldError(loc=["appeal"], msg=_("This appeal is already decided.")))
    if run.status != RunStatus.APPEALS:
        errors.append(
            FieldError(
                loc=["appeal"], msg=_("Appeals are decided while the evaluation is open for them.")
            )
        )
    if not decision.strip():
        errors.append(FieldError(loc=["decision"], msg=_("Give the reason for the decision.")))
    if points is not None and (points < 0 or points > appeal.line.points):
        errors.append(
            FieldError(
                loc=["points"],
                msg=_("Between 0 and the line's %(points)s points.")
                % {"points": appeal.line.points},
            )
        )
    if errors:
        raise DomainError(code="invalid_decision", message=errors[0].msg, errors=errors)
    appeal.state = Appeal.State.UPHELD if upheld else Appeal.State.REJECTED
    appeal.decision = decision.strip()
    appeal.points = (points if points is not None else Decimal(0)) if upheld else None
    appeal.decided_by = actor
    appeal.decided_at = clock.now()
    appeal.save(update_fields=["state", "decision", "points", "decided_by", "decided_at"])
    before_total = appeal.scorecard.total
    if upheld:
        card = Scorecard.objects.select_for_update().get(pk=appeal.scorecard_id)
        card.overrides = {**card.overrides, appeal.line.key: str(appeal.points)}
        card.save(update_fields=["overrides"])
        scorecard_rescore(card, scheme_build(run.version.spec))
        run_rederive(run)
        card.refresh_from_db()
        after_total = card.total
    else:
        after_total = before_total
    audit_record(
        actor=actor,
        action="evaluations.appeal_decide",
        target=appeal,
        before={"total": before_total},
        after={"state": appeal.state, "decision": appeal.decision, "total": after_total},
    )
    user = getattr(appeal.scorecard.staff, "user", None) if appeal.scorecard.staff_id else None
    if user is not None:
        notify(
            users=[user],
            title=_("Your appeal was decided"),
            url=reverse("evaluations:scorecard", args=[appeal.scorecard_id]),
        )
    return appeal


@transaction.atomic
def scorecard_manual_set(
    *,
    actor: User | None,
    card: Scorecard,
    component: str,
    points: Decimal,
    justification: str,
) -> Scorecard:
    """Enter the points a manual rule deducts, with its justification, on a draft scorecard."""
    card = (
        Scorecard.objects.select_for_update()
        .select_related("run__scope", "run__version")
        .get(pk=card.pk)
    )
    run = card.run
    _manager(actor, run)
    scheme = scheme_build(run.version.spec)
    comp = next((c for c in scheme.components if c.code == component), None)
    errors = []
    if run.status != RunStatus.DRAFT:
        errors.append(FieldError(loc=["component"], msg=_("Manual points are entered on a draft.")))
    if comp is None or not any(r.kind is RuleKind.MANUAL for r in comp.rules):
        errors.append(FieldError(loc=["component"], msg=_("This component has no manual rule.")))
    elif not 0 <= points <= comp.max:
        errors.append(
            FieldError(loc=["points"], msg=_("Between 0 and %(max)s.") % {"max": comp.max})
        )
    if not justification.strip():
        errors.append(
            FieldError(loc=["justification"], msg=_("A manual deduction needs a justification."))
        )
    if errors:
        raise DomainError(code="invalid_manual", message=errors[0].msg, errors=errors)
    assert comp is not None
    source = next(r.source for r in comp.rules if r.kind is RuleKind.MANUAL)
    before = card.facts.get(source)
    card.facts = {
        **card.facts,
        source: {"value": str(points), "n": 1, "note": justification.strip()},
    }
    card.save(update_fields=["facts"])
    scorecard_rescore(card, scheme)
    run_rederive(run)
    audit_record(
        actor=actor,
        action="evaluations.manual_set",
        target=card,
        before={"fact": before},
        after={"fact": card.facts[source]},
    )
    return card


@transaction.atomic
def run_review(*, actor: User | None, run: Run) -> Run:
    """Close the appeals: every appeal decided and the time to appeal over."""
    _manager(actor, run)
    run = _locked(run, RunStatus.APPEALS)
    errors = []
    if run.appeal_deadline and clock.now() <= run.appeal_deadline:
        errors.append(
            FieldError(
                loc=["status"],
                msg=_("Staff may appeal until %(when)s.")
                % {"when": run.appeal_deadline.strftime("%Y-%m-%d %H:%M")},
            )
        )
    pending = Appeal.objects.filter(scorecard__run=run, state=Appeal.State.PENDING).count()
    if pending:
        errors.append(
            FieldError(loc=["status"], msg=_("%(n)d appeal(s) still to decide.") % {"n": pending})
        )
    if errors:
        raise DomainError(code="appeals_open", message=errors[0].msg, errors=errors, status=409)
    run.status = RunStatus.REVIEWED
    run.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="evaluations.run_review", target=run)
    return run


@transaction.atomic
def run_approve(*, actor: User | None, run: Run) -> Run:
    _manager(actor, run)
    run = _locked(run, RunStatus.REVIEWED)
    run.status = RunStatus.APPROVED
    run.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="evaluations.run_approve", target=run)
    return run


@transaction.atomic
def run_publish(*, actor: User | None, run: Run, audience: str | None = None) -> Run:
    """Publish the bulletin (ranking, grades, service stars) to its audience."""
    _manager(actor, run)
    run = _locked(run, RunStatus.APPROVED)
    if audience is not None:
        if audience not in Audience.values:
            raise DomainError(
                code="invalid_audience",
                message=_("Choose who reads the bulletin."),
                errors=[
                    FieldError(
                        loc=["audience"], msg=_("One of %(a)s.") % {"a": ", ".join(Audience.values)}
                    )
                ],
            )
        run.audience = audience
    run.status = RunStatus.PUBLISHED
    run.published_at = clock.now()
    run.save(update_fields=["status", "audience", "published_at", "updated_at"])
    audit_record(
        actor=actor, action="evaluations.run_publish", target=run, after={"audience": run.audience}
    )
    return run


def run_advance(*, actor: User | None, run: Run) -> Run:
    """The next step of the workflow, whichever it is."""
    steps = {
        RunStatus.DRAFT: run_open_appeals,
        RunStatus.APPEALS: run_review,
        RunStatus.REVIEWED: run_approve,
        RunStatus.APPROVED: run_publish,
    }
    step = steps.get(RunStatus(run.status))
    if step is None:
        raise DomainError(
            code="invalid_transition", message=_("Nothing follows this step."), status=409
        )
    return step(actor=actor, run=run)
