"""Survey fixtures: the shipped instruments installed through the pack section, campaigns made
through the real services, and answer builders for each instrument."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from sqms.org.models import OrgUnit
from sqms.packs.loader import PACK_DIR
from sqms.surveys import services
from sqms.surveys.configuration import survey_config_apply
from sqms.surveys.models import Audience, Campaign, Channel, Instrument, Response

SH = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 9, 10, 0, tzinfo=SH)
TODAY = NOW.date()
DIMS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
DIM_OF_ITEM = ["tangibles"] * 4 + ["reliability"] * 5 + ["responsiveness"] * 4
DIM_OF_ITEM += ["assurance"] * 4 + ["empathy"] * 5


@pytest.fixture
def now():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def instruments(db: None) -> dict[str, Instrument]:
    import yaml

    section = yaml.safe_load((PACK_DIR / "retail-chain.yaml").read_text(encoding="utf-8"))
    survey_config_apply(actor=None, data=section["surveys"], pack="retail-chain")
    return {i.code: i for i in Instrument.objects.all()}


@pytest.fixture
def make_campaign(
    org: Any, instruments: dict[str, Instrument], now: Any
) -> Callable[..., Campaign]:
    def make(
        code: str = "servqual-22",
        *,
        unit: OrgUnit | None = None,
        audience: str = Audience.CUSTOMERS,
        open_: bool = True,
        actor: Any = None,
        **fields: Any,
    ) -> Campaign:
        data = services.CampaignData(
            instrument=instruments[code],
            name=fields.pop("name", f"{code} June"),
            unit=unit or org.hq,
            audience=audience,
            opens_on=fields.pop("opens_on", TODAY - dt.timedelta(days=2)),
            closes_on=fields.pop("closes_on", TODAY + dt.timedelta(days=20)),
            **fields,
        )
        campaign = services.campaign_create(actor=actor, data=data)
        if open_:
            campaign = services.campaign_open(actor=actor, campaign=campaign)
        return campaign

    return make


def servqual_answers(
    e: list[int] | int, p: list[int] | int, w: list[int] | None = None, overall: int = 5
) -> dict[str, Any]:
    es = e if isinstance(e, list) else [e] * 22
    ps = p if isinstance(p, list) else [p] * 22
    answers: dict[str, Any] = {f"E{i + 1:02d}": es[i] for i in range(22)}
    answers.update({f"P{i + 1:02d}": ps[i] for i in range(22)})
    for d, pts in zip(DIMS, w or [20, 30, 20, 15, 15], strict=True):
        answers[f"W_{d}"] = pts
    answers["overall"] = overall
    return answers


def employee_answers(score: int = 4, overall: int = 4) -> dict[str, Any]:
    from sqms.surveys.instruments import spec_parse

    spec = spec_parse(Instrument.objects.get(code="employee-satisfaction").spec)
    answers: dict[str, Any] = {i.code: score for i in spec.rows("items")}
    answers["overall"] = overall
    return answers


@pytest.fixture
def submit() -> Callable[..., Response]:
    def do(campaign: Campaign, answers: dict[str, Any], unit: OrgUnit, **kw: Any) -> Response:
        return services.response_submit(
            actor=kw.pop("actor", None),
            campaign=campaign,
            submission=services.Submission(
                answers=answers, channel=kw.pop("channel", Channel.QR), unit=unit, **kw
            ),
        )

    return do
