"""Public survey pages (no login) at /s/: a customer scans a unit's QR code (an open link), a
staff member follows his personal link, or a customer types the code printed on his card; he
answers on his phone, in Chinese or English. Every POST counts against a per-address rate
limit; the other spam guards are in public_forms.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from sqms.common import clock
from sqms.common.errors import DomainError
from sqms.org.models import OrgUnit
from sqms.surveys import selectors, services
from sqms.surveys.instruments import Spec, spec_parse, text
from sqms.surveys.models import Campaign, CampaignStatus, Channel, Invitation
from sqms.surveys.public_forms import (
    HONEYPOT,
    STAMP_FIELD,
    CardCodeForm,
    StampError,
    answers_from_post,
    questions_for_page,
    stamp_claim,
    stamp_issue,
    stamp_read,
    stamp_release,
)

T = "surveys/public/"
CODE_RATE = "20/h"  # per address: guessing a 10-character card code takes far more tries
DONE_KEY = "sqms_survey_done"


def _lang() -> str:
    return "zh" if (get_language() or "zh").startswith("zh") else "en"


def _limited(request: HttpRequest, group: str, rate: str) -> bool:
    return bool(
        is_ratelimited(request, group=group, key="ip", rate=rate, method="POST", increment=True)
    )


def _page(
    request: HttpRequest,
    *,
    campaign: Campaign,
    spec: Spec,
    unit: OrgUnit,
    scope: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status: int = 200,
    invitation: Invitation | None = None,
    subject: OrgUnit | None = None,
) -> HttpResponse:
    lang = _lang()
    rated = (
        list(campaign.rated_units.order_by("code")) if spec.data.get("subject") == "unit" else []
    )
    context = {
        "campaign": campaign,
        "unit": unit,
        "title": text(spec.data["title"], lang),
        "description": text(spec.data.get("description"), lang),
        "questions": questions_for_page(spec, lang, values or {}),
        "errors": errors or {},
        "problem": problem,
        "stamp": stamp_issue(scope),
        "anonymous": campaign.anonymous,
        "rated": rated,
        "subject": subject or (invitation.subject_unit if invitation else None),
        "subject_fixed": invitation is not None and invitation.subject_unit is not None,
        "rated_staff": invitation.subject_staff if invitation else None,
    }
    return render(request, T + "answer.html", context, status=status)


def _closed(request: HttpRequest, campaign: Campaign | None, status: int = 410) -> HttpResponse:
    return render(request, T + "closed.html", {"campaign": campaign}, status=status)


def _is_open(campaign: Campaign) -> bool:
    today = timezone.localtime(clock.now()).date()
    return (
        campaign.status == CampaignStatus.OPEN and campaign.opens_on <= today <= campaign.closes_on
    )


def _answer(
    request: HttpRequest,
    *,
    campaign: Campaign,
    unit: OrgUnit,
    scope: str,
    channel: str,
    invitation: Invitation | None = None,
) -> HttpResponse:
    spec = spec_parse(campaign.instrument.spec)
    page: dict[str, Any] = {
        "campaign": campaign,
        "spec": spec,
        "unit": unit,
        "scope": scope,
        "invitation": invitation,
    }
    if request.method != "POST":
        return _page(request, **page)
    if _limited(request, "public-survey", settings.SQMS_SURVEY_RATE):
        return render(request, T + "rate_limited.html", {"campaign": campaign}, status=429)
    values = answers_from_post(spec, request.POST)
    subject = None
    if spec.data.get("subject") == "unit" and invitation is None:
        subject = campaign.rated_units.filter(code=request.POST.get("about", "")).first()
    if request.POST.get(HONEYPOT):
        return _page(
            request,
            **page,
            values=values,
            problem=_("Your answers could not be accepted. Leave the hidden field empty."),
            status=400,
        )
    try:
        key = stamp_read(request.POST.get(STAMP_FIELD, ""), scope)
    except StampError as exc:
        return _page(request, **page, values=values, problem=exc.message, status=400)
    if not stamp_claim(key):
        return redirect("surveys-public:done")  # the same page sent twice: the first counted
    try:
        with transaction.atomic():
            services.response_submit(
                actor=None,
                campaign=campaign,
                submission=services.Submission(
                    answers=values,
                    channel=channel,
                    unit=None if invitation else unit,
                    invitation=invitation,
                    subject_unit=subject,
                    language=get_language() or "",
                ),
            )
    except DomainError as exc:
        stamp_release(key)
        if exc.code in ("already_answered", "quota_full", "campaign_not_open"):
            return render(
                request,
                T + "closed.html",
                {"campaign": campaign, "message": exc.message},
                status=409,
            )
        errors = {str(e.loc[-1]): e.msg for e in exc.errors}
        return _page(
            request,
            **page,
            values=values,
            errors=errors,
            subject=subject,
            problem=_("Please answer the questions marked below."),
            status=422,
        )
    request.session[DONE_KEY] = campaign.anonymous
    return redirect("surveys-public:done")


@never_cache
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, key: str, code: str) -> HttpResponse:
    """A unit's QR code: anyone may answer, within the unit's quota."""
    campaign = Campaign.objects.select_related("instrument", "unit").filter(public_key=key).first()
    unit = OrgUnit.objects.filter(code=code, is_active=True).first()
    if campaign is None or unit is None or not unit.path.startswith(campaign.unit.path):
        return render(request, T + "closed.html", {"campaign": None}, status=404)
    if not _is_open(campaign):
        return _closed(request, campaign)
    return _answer(
        request, campaign=campaign, unit=unit, scope=f"o:{key}:{code}", channel=Channel.QR
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_link(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        return render(request, T + "closed.html", {"campaign": None}, status=404)
    campaign = invitation.campaign
    if invitation.responded:
        return render(
            request,
            T + "closed.html",
            {"campaign": campaign, "message": _("This invitation has already been answered.")},
            status=409,
        )
    if not _is_open(campaign):
        return _closed(request, campaign)
    channel = Channel.CARD if request.GET.get("via") == "card" else Channel.LINK
    return _answer(
        request,
        campaign=campaign,
        unit=invitation.unit,
        scope=f"i:{invitation.pk}",
        channel=channel,
        invitation=invitation,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def card_code(request: HttpRequest) -> HttpResponse:
    """The code printed on an opinion card or survey card leads to its invitation."""
    if request.method != "POST":
        return render(request, T + "code.html", {"form": CardCodeForm()})
    form = CardCodeForm(request.POST)
    if _limited(request, "public-survey-code", CODE_RATE):
        return render(request, T + "code.html", {"form": form, "limited": True}, status=429)
    if form.is_valid():
        invitation = selectors.invitation_by_code(form.cleaned_data["code"])
        if invitation is not None:
            return redirect(f"/s/i/{invitation.token}/?via=card")
        form.add_error("code", _("No survey has this code. Check it and try again."))
    return render(request, T + "code.html", {"form": form}, status=200)


@never_cache
@require_GET
def done(request: HttpRequest) -> HttpResponse:
    anonymous = request.session.pop(DONE_KEY, None)
    return render(request, T + "done.html", {"anonymous": bool(anonymous)})


# Mounted at /s/ under the "surveys-public" namespace: no login.
urlpatterns: list[URLPattern] = [
    path("", card_code, name="code"),
    path("done/", done, name="done"),
    path("i/<str:token>/", invitation_link, name="invitation"),
    path("o/<str:key>/<str:code>/", open_link, name="open"),
]
