"""Scoped reads of surveys. A campaign is visible to a user whose survey grant lies inside the
campaign's subtree or above it (a company-wide campaign concerns every store); its responses are
read only from units the user holds `surveys.results` on."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from sqms.common.errors import NotFound, PermissionDenied
from sqms.org.roles import Cap
from sqms.org.selectors import AnyUser, access_for
from sqms.surveys.models import Campaign, Instrument, Invitation, Response


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _campaign_q(user: AnyUser, cap: str) -> Q:
    access = access_for(user)
    if access.superuser:
        return Q()
    prefixes = access.prefixes(cap)
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for p in prefixes:
        q |= Q(unit__path__startswith=p) | Q(unit__path__in=_ancestor_paths(p))
    return q


def campaign_queryset_for_user(user: AnyUser, cap: str = Cap.SURVEY_VIEW) -> QuerySet[Campaign]:
    return Campaign.objects.filter(_campaign_q(user, cap))


def campaign_list_for_user(user: AnyUser, *, status: str = "") -> QuerySet[Campaign]:
    qs = campaign_queryset_for_user(user).select_related("instrument", "unit")
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        n_responses=Count("responses", distinct=True),
    ).order_by("-opens_on", "-pk")


def campaign_get_for_user(user: AnyUser, campaign_id: int, cap: str = Cap.SURVEY_VIEW) -> Campaign:
    """The campaign if the user may see it (else NotFound); PermissionDenied if he may see it
    but not do `cap` (managing needs the grant on the campaign's own unit or above)."""
    campaign = (
        campaign_queryset_for_user(user)
        .select_related("instrument", "unit")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise NotFound(_("Survey not found."))
    access = access_for(user)
    if cap == Cap.SURVEY_MANAGE and not access.covers(cap, campaign.unit.path):
        raise PermissionDenied()
    if (
        cap == Cap.SURVEY_RESULTS
        and not campaign_queryset_for_user(user, cap).filter(pk=campaign.pk).exists()
    ):
        raise PermissionDenied()
    return campaign


def responses_for_user(user: AnyUser, campaign: Campaign) -> QuerySet[Response]:
    """The campaign's responses from units where the user may read results."""
    access = access_for(user)
    qs = Response.objects.filter(campaign=campaign)
    if access.superuser:
        return qs
    prefixes = access.prefixes(Cap.SURVEY_RESULTS)
    if not prefixes:
        return qs.none()
    q = Q()
    for p in prefixes:
        q |= Q(unit__path__startswith=p)
    return qs.filter(q)


def result_root_paths(user: AnyUser, campaign: Campaign) -> list[str]:
    """The tops of the part of the campaign's tree whose results the user may read."""
    access = access_for(user)
    if access.superuser:
        return [campaign.unit.path]
    out = []
    for p in access.prefixes(Cap.SURVEY_RESULTS):
        if p.startswith(campaign.unit.path):
            out.append(p)
        elif campaign.unit.path.startswith(p):
            out.append(campaign.unit.path)
    return sorted(set(out))


def instrument_list(*, active_only: bool = False) -> QuerySet[Instrument]:
    qs = Instrument.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.annotate(n_campaigns=Count("campaigns")).order_by("code", "-version")


def instrument_get_for_user(user: AnyUser, instrument_id: int) -> Instrument:
    """Instruments are shared by the whole organisation: anyone with survey access sees them."""
    if not access_for(user).any_cap(Cap.SURVEY_VIEW):
        raise NotFound(_("Instrument not found."))
    instrument = Instrument.objects.filter(pk=instrument_id).first()
    if instrument is None:
        raise NotFound(_("Instrument not found."))
    return instrument


def invitations_for_user(user: AnyUser, campaign: Campaign) -> QuerySet[Invitation]:
    """The campaign's invitations in units the user may see campaigns of."""
    access = access_for(user)
    qs = Invitation.objects.filter(campaign=campaign).select_related("unit", "subject_staff")
    if access.superuser:
        return qs
    q = Q()
    for p in access.prefixes(Cap.SURVEY_VIEW):
        q |= Q(unit__path__startswith=p)
    return qs.filter(q) if q else qs.none()


def invitation_by_token(token: str) -> Invitation | None:
    """Public: the invitation behind a link (no user to scope by; the token is the secret)."""
    if not token or len(token) > 40:
        return None
    return (
        Invitation.objects.select_related(
            "campaign__instrument", "campaign__unit", "unit", "subject_staff", "subject_unit"
        )
        .filter(token=token)
        .first()
    )


def invitation_by_code(code: str) -> Invitation | None:
    code = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(code) != 10:
        return None
    return Invitation.objects.filter(code=code).first()


def response_counts(campaign: Campaign) -> dict[int, int]:
    """Responses per unit id (the strata) of a campaign."""
    rows = Response.objects.filter(campaign=campaign).values("unit").annotate(n=Count("pk"))
    return {r["unit"]: r["n"] for r in rows}
