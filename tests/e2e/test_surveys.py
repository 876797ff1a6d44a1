"""Surveys in the browser: a customer answers SERVQUAL on his phone from a store's QR link, in
Chinese; the quality manager reads the results with every chart drawn under the strict CSP; a
technician's opinion card is answered from the code printed on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from django.utils import timezone

from sqms.packs.loader import PACK_DIR
from sqms.surveys import services
from sqms.surveys.configuration import survey_config_apply
from sqms.surveys.models import Audience, Channel, Instrument, Response

DIMS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]


@pytest.fixture
def instruments(org: Any) -> dict[str, Instrument]:
    section = yaml.safe_load((PACK_DIR / "retail-chain.yaml").read_text(encoding="utf-8"))
    survey_config_apply(actor=None, data=section["surveys"], pack="retail-chain")
    return {i.code: i for i in Instrument.objects.all()}


def campaign_of(instruments: dict[str, Instrument], code: str, unit: Any, audience: str) -> Any:
    today = timezone.localdate()
    campaign = services.campaign_create(
        actor=None,
        data=services.CampaignData(
            instrument=instruments[code],
            name=f"{code} e2e",
            unit=unit,
            audience=audience,
            opens_on=today - dt.timedelta(days=1),
            closes_on=today + dt.timedelta(days=7),
        ),
    )
    return services.campaign_open(actor=None, campaign=campaign)


def page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_a_customer_answers_servqual_on_his_phone(page_for, org, instruments, settings) -> None:
    settings.SQMS_PUBLIC_MIN_SECONDS = 0
    campaign = campaign_of(instruments, "servqual-22", org.hq, Audience.CUSTOMERS)
    page = page_for(None, phone=True)
    page.goto(f"/s/o/{campaign.public_key}/S1/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator(".pub-brand").inner_text() == "徐汇店"
    assert page.locator("h1").inner_text() == "SERVQUAL 服务质量调查（22项）"
    assert page_width(page) <= 390 + 1
    page_for.shot(page, "answer-zh")
    for j in range(1, 23):
        page.locator(f"input[name=E{j:02d}][value='6']").check(force=True)
        page.locator(f"input[name=P{j:02d}][value='{3 if 5 <= j <= 9 else 5}']").check(force=True)
    for dim, pts in zip(DIMS, [10, 40, 20, 20, 20], strict=True):
        page.fill(f"input[name=W_{dim}]", str(pts))
    assert page.locator(".alloc-sum output").inner_text() == "110"  # answer.js adds up
    page.fill("input[name=W_empathy]", "10")
    assert page.locator(".alloc-sum output").inner_text() == "100"
    page.click("main form.survey button[type=submit]")
    # "overall" was left out: the page comes back with the answers kept and the item marked.
    assert page.locator("#q-overall.has-error").count() == 1
    assert page.locator("input[name=E01][value='6']").is_checked()
    page_for.shot(page, "answer-missing-zh")
    page.locator("input[name=overall][value='4']").check(force=True)
    page.click("main form.survey button[type=submit]")
    page.wait_for_url(page_for.url("/s/done/"))
    assert page.locator("h1").inner_text() == "感谢您的回答。"
    response = Response.objects.get()
    assert (response.unit_id, response.channel, response.answers["P05"]) == (org.s1.pk, "qr", 3)
    assert page_for.problems(page) == []


def test_the_quality_manager_reads_the_charts(page_for, org, people, instruments) -> None:
    campaign = campaign_of(instruments, "servqual-22", org.hq, Audience.CUSTOMERS)
    for i in range(15):
        unit = [org.s1, org.s2, org.s3][i % 3]
        answers: dict[str, Any] = {f"E{j:02d}": 6 + (i + j) % 2 for j in range(1, 23)}
        answers |= {f"P{j:02d}": (3 if 5 <= j <= 9 else 5) + (i * j) % 3 - 1 for j in range(1, 23)}
        answers |= {f"W_{d}": w for d, w in zip(DIMS, [10, 40, 20, 15, 15], strict=True)}
        answers["overall"] = 3 + i % 4
        services.response_submit(
            actor=None,
            campaign=campaign,
            submission=services.Submission(answers=answers, channel=Channel.QR, unit=unit),
        )
    page = page_for(people.quality)
    page.goto(f"/surveys/{campaign.pk}/results/")
    for chart in ("radar", "gaps", "item_gaps", "ipa", "drivers", "units", "trend"):
        page.locator(f"[data-chart={chart}] .main-svg").first.wait_for()
    assert "可靠性" in page.locator("[data-chart=gaps]").inner_text()
    page_for.shot(page, "results-zh")
    assert page_for.problems(page) == []


def test_an_opinion_card_answered_from_its_printed_code(
    page_for, org, people, instruments, settings
) -> None:
    settings.SQMS_PUBLIC_MIN_SECONDS = 0
    campaign = campaign_of(instruments, "opinion-card", org.r1, Audience.SERVICE_CALLS)
    [inv] = services.invitations_create(
        actor=None,
        campaign=campaign,
        specs=[
            services.InvitationSpec(unit=org.s1, subject_staff=org.cashier_staff, source_ref="WO-1")
        ],
    )
    staff = page_for(people.quality)
    staff.goto(f"/surveys/{campaign.pk}/cards/")
    assert staff.locator(".card-print .code").inner_text() == f"{inv.code[:5]} {inv.code[5:]}"
    assert staff.locator(".card-print svg").count() == 1
    page_for.shot(staff, "cards")
    phone = page_for(None, phone=True, locale="en-US")
    phone.goto("/s/")
    phone.fill("#id_code", f"{inv.code[:5]} {inv.code[5:]}".lower())
    phone.click("main form button[type=submit]")
    phone.wait_for_url(page_for.url(f"/s/i/{inv.token}/?via=card"))
    assert phone.locator(".about").inner_text() == "You are rating: 李娜"
    for item, level in [("attitude", 4), ("technique", 4), ("arrival", 2), ("promise", 3)]:
        phone.locator(f"input[name={item}][value='{level}']").check(force=True)
    page_for.shot(phone, "opinion-card-en")
    phone.click("main form.survey button[type=submit]")
    phone.wait_for_url(page_for.url("/s/done/"))
    response = Response.objects.get()
    assert (response.channel, response.subject_staff_id, response.answers["arrival"]) == (
        "card",
        org.cashier_staff.pk,
        2,
    )
    assert page_for.problems(phone) == []
