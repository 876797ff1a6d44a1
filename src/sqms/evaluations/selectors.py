"""Scoped reads of evaluations — the one place that decides who sees which result, so pages,
the API and the exports cannot disagree:

- the quality department (`evaluations.view` on a subtree) sees every run and scorecard there,
  at every step, the drafts included;
- before publication nobody else sees a result, except that from the opening of appeals each
  evaluated person sees his own scorecard;
- once published, the bulletin (ranking, grades, stars) reaches its audience — the managers of
  the units evaluated, or everyone in them — and a manager sees the scorecards of his subtree;
- a staff member sees only his own scorecard, always.
Every view of someone else's scorecard is written to the audit log.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sqms.common.audit import audit_record
from sqms.common.errors import NotFound
from sqms.evaluations.models import Appeal, Audience, Run, RunStatus, Scheme, Scorecard
from sqms.org.models import OrgUnit
from sqms.org.roles import Cap
from sqms.org.selectors import AnyUser, access_for

OWN_VISIBLE = [RunStatus.APPEALS, RunStatus.REVIEWED, RunStatus.APPROVED, RunStatus.PUBLISHED]


def _prefix_q(prefixes: list[str], lookup: str) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(**{f"{lookup}__startswith": p})
    return q


def sees_results(user: AnyUser, run: Run) -> bool:
    """Whether the user is of the quality department for this run's scope."""
    return access_for(user).covers(Cap.EVALUATION_VIEW, run.scope.path)


def _audience_q(user: AnyUser) -> Q:
    """Published runs whose bulletin reaches the user: a grant anywhere in (or above) the run's
    scope; with audience "all", also a staff member working in the scope."""
    access = access_for(user)
    grant_paths = sorted(access.paths.get(Cap.ORG_VIEW, set()))
    q = Q(pk__in=[])
    for p in grant_paths:
        # A grant at or above the scope, or inside it.
        q |= Q(scope__path__startswith=p)
        ids = [int(x) for x in p.strip("/").split("/") if x]
        q |= Q(scope_id__in=ids)
    if access.staff_id is not None:
        staff_unit = (
            OrgUnit.objects.filter(staff__pk=access.staff_id).values_list("path", flat=True).first()
        )
        if staff_unit:
            ids = [int(x) for x in staff_unit.strip("/").split("/") if x]
            q |= Q(scope_id__in=ids, audience=Audience.ALL)
    return Q(status=RunStatus.PUBLISHED, whatif=False) & q


def run_list_for_user(user: AnyUser) -> QuerySet[Run]:
    access = access_for(user)
    if access.superuser:
        q = Q()
    else:
        q = _prefix_q(access.prefixes(Cap.EVALUATION_VIEW), "scope__path") | _audience_q(user)
    return (
        Run.objects.filter(q)
        .select_related("version__scheme", "scope")
        .order_by("-period_start", "-created_at")
    )


def run_get_for_user(user: AnyUser, run_id: int) -> Run:
    run = run_list_for_user(user).filter(pk=run_id).first()
    if run is None:
        raise NotFound(_("Evaluation not found."))
    return run


def scheme_list_for_user(user: AnyUser) -> QuerySet[Scheme]:
    if not access_for(user).any_cap(Cap.EVALUATION_VIEW):
        return Scheme.objects.none()
    return Scheme.objects.prefetch_related("versions").order_by("code")


def scheme_get_for_user(user: AnyUser, code: str) -> Scheme:
    scheme = scheme_list_for_user(user).filter(code=code).first()
    if scheme is None:
        raise NotFound(_("Scheme not found."))
    return scheme


def scorecard_queryset_for_user(user: AnyUser) -> QuerySet[Scorecard]:
    access = access_for(user)
    if access.superuser:
        return Scorecard.objects.all()
    q = _prefix_q(access.prefixes(Cap.EVALUATION_VIEW), "unit__path")
    # Published: a unit manager reads the scorecards of his subtree.
    q |= Q(run__status=RunStatus.PUBLISHED, run__whatif=False) & _prefix_q(
        access.prefixes(Cap.STAFF_MANAGE), "unit__path"
    )
    if access.staff_id is not None:
        q |= Q(staff_id=access.staff_id, run__status__in=OWN_VISIBLE, run__whatif=False)
    return Scorecard.objects.filter(q)


def scorecard_get_for_user(user: AnyUser, scorecard_id: int, *, log: bool = True) -> Scorecard:
    """The scorecard, if the user may read it; reading someone else's is logged."""
    card = (
        scorecard_queryset_for_user(user)
        .select_related("run__version__scheme", "run__scope", "staff__position", "unit")
        .filter(pk=scorecard_id)
        .first()
    )
    if card is None:
        raise NotFound(_("Scorecard not found."))
    if log and card.staff_id != getattr(user, "staff_id", None):
        from django.db import transaction

        with transaction.atomic():
            audit_record(actor=user, action="evaluations.scorecard_view", target=card)  # type: ignore[arg-type]
    return card


def scorecard_list_for_run(user: AnyUser, run: Run) -> QuerySet[Scorecard]:
    return (
        scorecard_queryset_for_user(user)
        .filter(run=run)
        .select_related("staff__position", "unit", "run__version")
        .order_by("rank", "unit__path", "staff__employee_no")
    )


def my_scorecards(user: AnyUser) -> QuerySet[Scorecard]:
    access = access_for(user)
    if access.staff_id is None:
        return Scorecard.objects.none()
    return (
        Scorecard.objects.filter(
            staff_id=access.staff_id, run__status__in=OWN_VISIBLE, run__whatif=False
        )
        .select_related("run__version__scheme", "unit", "staff")
        .order_by("-run__period_start")
    )


def appeals_for_run(user: AnyUser, run: Run) -> QuerySet[Appeal]:
    if not sees_results(user, run):
        return Appeal.objects.none()
    return (
        Appeal.objects.filter(scorecard__run=run)
        .select_related("line", "scorecard__staff", "filed_by")
        .order_by("state", "created_at")
    )
