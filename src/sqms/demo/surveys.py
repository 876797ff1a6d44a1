"""Demo surveys, answered through the services "as of" past days: two SERVQUAL waves across the
stores (the latest with a clear reliability gap, two stores with too few answers to rank, and
managers' predictions of customers' expectations for gap 1), the anonymous employee survey
answered from personal links, and three months of post-service opinion cards rating the
delivery and installation staff."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from sqms.common import clock
from sqms.org.models import OrgUnit, Staff, UnitKind, User
from sqms.surveys import services
from sqms.surveys.instruments import spec_parse
from sqms.surveys.models import Audience, Campaign, Channel, Instrument, RespondentGroup

SH = dt.timezone(dt.timedelta(hours=8))
DIMS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
ITEM_DIMS = ["tangibles"] * 4 + ["reliability"] * 5 + ["responsiveness"] * 4
ITEM_DIMS += ["assurance"] * 4 + ["empathy"] * 5
# How far perception falls short of expectation per dimension in the latest wave (7 points).
SHORTFALL = {
    "tangibles": 0.3,
    "reliability": 1.7,
    "responsiveness": 0.9,
    "assurance": 0.4,
    "empathy": 0.7,
}
COMMENTS = [
    "结账排队太久，高峰期只开两个收银台。",
    "促销价签和收银价格不一致，希望改进。",
    "员工很热情，帮我找到了想要的商品。",
    "说好第二天到货，结果等了三天。",
    "The staff were friendly but the promised delivery was late.",
    "店里很干净，购物环境好。",
]


def _clip(x: float, lo: int = 1, hi: int = 7) -> int:
    return max(lo, min(hi, round(x)))


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(9, 20), rng.randint(0, 59)), tzinfo=SH)


def _servqual_answers(
    rng: random.Random, store_bias: float, shortfall: dict[str, float]
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    p_dims: list[float] = []
    for j, dim in enumerate(ITEM_DIMS, start=1):
        e = rng.gauss(6.1, 0.7)
        p = e - shortfall[dim] + store_bias + rng.gauss(0, 0.8)
        answers[f"E{j:02d}"] = _clip(e)
        answers[f"P{j:02d}"] = _clip(p)
        p_dims.append(p)
    weights = [rng.gauss(m, 4) for m in (12, 32, 22, 18, 16)]
    weights = [max(0, round(w)) for w in weights]
    weights[1] += 100 - sum(weights)
    if weights[1] < 0:
        weights = [20, 20, 20, 20, 20]
    for dim, w in zip(DIMS, weights, strict=True):
        answers[f"W_{dim}"] = w
    rel = [p for p, d in zip(p_dims, ITEM_DIMS, strict=True) if d == "reliability"]
    answers["overall"] = _clip(
        0.3 * sum(p_dims) / len(p_dims) + 0.6 * sum(rel) / len(rel) + 0.4 + rng.gauss(0, 0.5)
    )
    if rng.random() < 0.12:
        answers["comment"] = rng.choice(COMMENTS)
    return answers


def _campaign(
    instrument: Instrument,
    name: str,
    unit: OrgUnit,
    audience: str,
    opens: dt.date,
    closes: dt.date,
    actor: User,
    **kw: Any,
) -> Campaign:
    with clock.as_of(_at(opens, random.Random(0))):
        campaign = services.campaign_create(
            actor=actor,
            data=services.CampaignData(
                instrument=instrument,
                name=name,
                unit=unit,
                audience=audience,
                opens_on=opens,
                closes_on=closes,
                **kw,
            ),
        )
        return services.campaign_open(actor=actor, campaign=campaign)


def _submit(campaign: Campaign, at: dt.datetime, answers: dict[str, Any], **kw: Any) -> None:
    with clock.as_of(at):
        services.response_submit(
            actor=kw.pop("actor", None),
            campaign=campaign,
            submission=services.Submission(answers=answers, **kw),
        )


def load_demo_surveys(*, seed: int = 2026, now: dt.datetime | None = None) -> dict[str, int]:
    rng = random.Random(seed + 5)
    today = timezone.localtime(now or timezone.now()).date()
    quality = User.objects.get(username="quality")
    hq = OrgUnit.objects.get(parent__isnull=True)
    stores = list(OrgUnit.objects.filter(kind=UnitKind.STORE, is_active=True).order_by("code"))
    instruments = {i.code: i for i in Instrument.objects.filter(is_active=True)}
    made = {"responses": 0}

    # SERVQUAL: last autumn's wave (closed) and this quarter's (open).
    bias = {s.pk: rng.gauss(0, 0.35) for s in stores}
    old = _campaign(
        instruments["servqual-22"],
        "2025年第四季度 SERVQUAL 顾客调查",
        hq,
        Audience.CUSTOMERS,
        today - dt.timedelta(days=170),
        today - dt.timedelta(days=140),
        quality,
    )
    milder = {d: v * 0.7 for d, v in SHORTFALL.items()}
    for store in stores:
        for _ in range(14):
            day = old.opens_on + dt.timedelta(days=rng.randrange(30))
            _submit(
                old,
                _at(day, rng),
                _servqual_answers(rng, bias[store.pk], milder),
                channel=Channel.QR,
                unit=store,
            )
            made["responses"] += 1
    with clock.as_of(_at(old.closes_on, rng)):
        services.campaign_close(actor=quality, campaign=old)
    new = _campaign(
        instruments["servqual-22"],
        "2026年第二季度 SERVQUAL 顾客调查",
        hq,
        Audience.CUSTOMERS,
        today - dt.timedelta(days=25),
        today + dt.timedelta(days=10),
        quality,
    )
    for i, store in enumerate(stores):
        n = 3 if i in (5, 10) else 24 + rng.randrange(8)  # two stores short of answers
        for _ in range(n):
            day = new.opens_on + dt.timedelta(days=rng.randrange(25))
            _submit(
                new,
                _at(min(day, today), rng),
                _servqual_answers(rng, bias[store.pk], SHORTFALL),
                channel=Channel.QR,
                unit=store,
            )
            made["responses"] += 1
    # Gap 1: store managers fill in the expectation form as they think customers would —
    # they underrate how much customers expect reliability.
    for store in stores[:10]:
        answers = _servqual_answers(rng, 0, SHORTFALL)
        for j, dim in enumerate(ITEM_DIMS, start=1):
            answers[f"E{j:02d}"] = _clip(rng.gauss(4.9 if dim == "reliability" else 5.9, 0.6))
        answers.pop("comment", None)
        _submit(
            new,
            _at(today - dt.timedelta(days=20), rng),
            answers,
            channel=Channel.PAPER,
            unit=store,
            group=RespondentGroup.MANAGEMENT,
            actor=quality,
        )
        made["responses"] += 1

    # The anonymous employee survey: personal links for everyone, about 70% answer.
    emp = _campaign(
        instruments["employee-satisfaction"],
        "2026年员工满意度调查",
        hq,
        Audience.STAFF,
        today - dt.timedelta(days=14),
        today + dt.timedelta(days=14),
        quality,
        reminder_days=[3, 7],
    )
    with clock.as_of(_at(emp.opens_on, rng)):
        invitations = services.invitations_create(
            actor=quality, campaign=emp, specs=services.staff_invitation_specs(emp)
        )
    items = spec_parse(instruments["employee-satisfaction"].spec).rows("items")
    low = {"pay": -0.9, "career": -0.7, "cost": -0.5, "management": -0.3}
    for inv in invitations:
        if rng.random() > 0.7:
            continue
        mood = rng.gauss(0, 0.6)
        answers: dict[str, Any] = {}
        for it in items:
            answers[it.code] = _clip(
                3.7 + low.get(it.dimension, 0) + mood + rng.gauss(0, 0.6), 1, 5
            )
        answers["overall"] = _clip(3.5 + mood + rng.gauss(0, 0.5), 1, 5)
        day = emp.opens_on + dt.timedelta(days=rng.randrange(14))
        _submit(emp, _at(day, rng), answers, channel=Channel.LINK, invitation=inv)
        made["responses"] += 1

    # Opinion cards after every home delivery or installation, three months of them.
    crew = list(
        Staff.objects.filter(
            position__code__in=["delivery_staff", "technician"], end_date__isnull=True
        ).order_by("employee_no")
    )
    cards = _campaign(
        instruments["opinion-card"],
        "送货安装服务意见卡",
        hq,
        Audience.SERVICE_CALLS,
        today - dt.timedelta(days=90),
        today + dt.timedelta(days=90),
        quality,
    )
    late_one = crew[0].pk if crew else None
    for k in range(130):
        day = cards.opens_on + dt.timedelta(days=rng.randrange(90))
        person = rng.choice(crew)
        store = rng.choice(stores)
        with clock.as_of(_at(day, rng)):
            [inv] = services.invitations_create(
                actor=quality,
                campaign=cards,
                specs=[
                    services.InvitationSpec(
                        unit=store, subject_staff=person, source_ref=f"WO-{day:%Y%m%d}-{k:03d}"
                    )
                ],
            )
        if rng.random() > 0.85:
            continue  # not every card comes back
        base = 3.4 + rng.gauss(0, 0.4)
        answers = {
            "attitude": _clip(base + rng.gauss(0, 0.4), 1, 4),
            "technique": _clip(base + rng.gauss(0, 0.4), 1, 4),
            "arrival": _clip(
                base - (1.2 if person.pk == late_one else 0) + rng.gauss(0, 0.5), 1, 4
            ),
            "promise": _clip(base + rng.gauss(0, 0.5), 1, 4),
        }
        _submit(
            cards,
            _at(day + dt.timedelta(days=1), rng) if day < today else _at(day, rng),
            answers,
            channel=Channel.CARD,
            invitation=inv,
        )
        made["responses"] += 1
    made["campaigns"] = 4
    return made
