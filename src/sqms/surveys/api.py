"""The surveys API: schemas in, one selector or service call, schema out. Results come as the
report computes them (every figure with n and its interval), NaN as null."""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from sqms.common.api import idempotent
from sqms.common.errors import PermissionDenied, field_error
from sqms.org.models import OrgUnit, Staff
from sqms.org.roles import Cap
from sqms.org.selectors import can, staff_queryset_for_user, unit_queryset_for_user
from sqms.surveys import analysis, selectors, services
from sqms.surveys.models import Campaign, Channel, Instrument, Invitation, Response
from sqms.surveys.schemas import (
    CampaignIn,
    CampaignOut,
    InstrumentDetailOut,
    InstrumentIn,
    InstrumentOut,
    InvitationOut,
    InvitationsIn,
    ResponseIn,
    ResponseOut,
)

router = Router(tags=["surveys"])


def _unit(request: HttpRequest, code: str, field: str) -> OrgUnit:
    unit = unit_queryset_for_user(request.user, Cap.SURVEY_VIEW).filter(code=code).first()
    if unit is None:
        raise field_error(field, _("Unknown unit %(code)s.") % {"code": code})
    return unit


@router.get("/instruments", response=list[InstrumentOut])
def list_instruments(request: HttpRequest) -> list[Instrument]:
    if not can(request.user, Cap.SURVEY_VIEW):
        raise PermissionDenied()
    return list(selectors.instrument_list())


@router.get("/instruments/{instrument_id}", response=InstrumentDetailOut)
def get_instrument(request: HttpRequest, instrument_id: int) -> Instrument:
    return selectors.instrument_get_for_user(request.user, instrument_id)


@router.post("/instruments", response={201: InstrumentDetailOut})
def create_instrument(request: HttpRequest, payload: InstrumentIn) -> Status[Any]:
    return idempotent(
        request,
        payload,
        lambda: services.instrument_create(actor=request.user, data=payload.spec, source="api")[0],  # type: ignore[arg-type]
        InstrumentDetailOut,
    )


@router.get("/campaigns", response=list[CampaignOut])
def list_campaigns(request: HttpRequest, status: str = "") -> list[Campaign]:
    if not can(request.user, Cap.SURVEY_VIEW):
        raise PermissionDenied()
    return list(selectors.campaign_list_for_user(request.user, status=status)[:500])


@router.post("/campaigns", response={201: CampaignOut})
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status[Any]:
    instrument = Instrument.objects.filter(pk=payload.instrument).first()
    if instrument is None:
        raise field_error("instrument", _("Unknown instrument."))
    data = services.CampaignData(
        instrument=instrument,
        name=payload.name,
        unit=_unit(request, payload.unit, "unit"),
        audience=payload.audience,
        opens_on=payload.opens_on,
        closes_on=payload.closes_on,
        anonymous=payload.anonymous,
        reminder_days=payload.reminder_days,
        satisfaction_definition=payload.satisfaction_definition,
        ipa_crosshair=payload.ipa_crosshair,
        weighting=payload.weighting,
        min_group=payload.min_group,
        rated_units=[_unit(request, c, "rated_units") for c in payload.rated_units],
    )
    return idempotent(
        request,
        payload,
        lambda: services.campaign_create(actor=request.user, data=data),  # type: ignore[arg-type]
        CampaignOut,
    )


@router.get("/campaigns/{campaign_id}", response=CampaignOut)
def get_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return selectors.campaign_get_for_user(request.user, campaign_id)


@router.post("/campaigns/{campaign_id}/open", response=CampaignOut)
def open_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    campaign = selectors.campaign_get_for_user(request.user, campaign_id, Cap.SURVEY_MANAGE)
    return services.campaign_open(actor=request.user, campaign=campaign)  # type: ignore[arg-type]


@router.post("/campaigns/{campaign_id}/close", response=CampaignOut)
def close_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    campaign = selectors.campaign_get_for_user(request.user, campaign_id, Cap.SURVEY_MANAGE)
    return services.campaign_close(actor=request.user, campaign=campaign)  # type: ignore[arg-type]


@router.post("/campaigns/{campaign_id}/responses", response={201: ResponseOut})
def key_in_response(request: HttpRequest, campaign_id: int, payload: ResponseIn) -> Status[Any]:
    campaign = selectors.campaign_get_for_user(request.user, campaign_id, Cap.SURVEY_MANAGE)
    subject = _unit(request, payload.subject_unit, "subject_unit") if payload.subject_unit else None
    submission = services.Submission(
        answers=payload.answers,
        channel=Channel.PAPER,
        unit=_unit(request, payload.unit, "unit"),
        subject_unit=subject,
        group=payload.group,
    )

    def create() -> Response:
        return services.response_submit(
            actor=request.user, campaign=campaign, submission=submission
        )  # type: ignore[arg-type]

    return idempotent(request, payload, create, ResponseOut)


@router.post("/campaigns/{campaign_id}/invitations", response={201: list[InvitationOut]})
def create_invitations(
    request: HttpRequest, campaign_id: int, payload: InvitationsIn
) -> Status[list[Invitation]]:
    campaign = selectors.campaign_get_for_user(request.user, campaign_id, Cap.SURVEY_MANAGE)
    staff: Staff | None = None
    if payload.subject_staff:
        staff = (
            staff_queryset_for_user(request.user).filter(employee_no=payload.subject_staff).first()
        )
        if staff is None:
            raise field_error(
                "subject_staff",
                _("Unknown employee number %(no)s.") % {"no": payload.subject_staff},
            )
    spec = services.InvitationSpec(
        unit=_unit(request, payload.unit, "unit"),
        subject_staff=staff,
        source_ref=payload.source_ref,
    )
    made = services.invitations_create(
        actor=request.user, campaign=campaign, specs=[spec] * payload.count
    )  # type: ignore[arg-type]
    return Status(201, made)


def _clean(value: Any) -> Any:
    """JSON-ready results: NaN → null, units and staff as their codes."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, OrgUnit):
        return value.code
    if isinstance(value, Staff):
        return value.employee_no
    return value


@router.get("/campaigns/{campaign_id}/results")
def campaign_results(request: HttpRequest, campaign_id: int, unit: str = "") -> dict[str, Any]:
    campaign = selectors.campaign_get_for_user(request.user, campaign_id, Cap.SURVEY_RESULTS)
    unit_id = _unit(request, unit, "unit").pk if unit else None
    res = analysis.campaign_results(request.user, campaign, unit_id)
    return {
        "campaign": campaign.pk,
        "group": res.root.code,
        "n": res.n,
        "suppressed": res.suppressed,
        "min_group": campaign.min_group,
        "groups": [{"unit": u["unit"].code, "n": u["n"]} for u in res.units],
        "figures": _clean(res.figures),
    }
