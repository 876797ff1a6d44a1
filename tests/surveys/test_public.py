"""The public answer pages (no login): open links per unit (QR), personal links, card codes;
honeypot, signed stamp, rate limit, one answer per invitation, validation shown by item."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from sqms.surveys import services
from sqms.surveys.models import Audience, Response
from tests.surveys.conftest import employee_answers, servqual_answers

WAIT = dt.timedelta(seconds=5)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):  # type: ignore[no-untyped-def]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"sqms-surveys-{uuid.uuid4().hex}",
        }
    }
    settings.SQMS_PUBLIC_MIN_SECONDS = 3
    settings.SQMS_SURVEY_RATE = "5/h"


@pytest.fixture
def en(client):  # type: ignore[no-untyped-def]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def stamp_of(html: str) -> str:
    return re.search(r'name="stamp" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_open_link_on_a_phone_answers_once_per_page(en, make_campaign, org, now) -> None:
    campaign = make_campaign()
    url = f"/s/o/{campaign.public_key}/S1/"
    page = en.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="viewport"' in html
    assert "Excellent stores will have modern-looking equipment" in html
    now.shift(WAIT)
    data = servqual_answers(6, 5) | {"stamp": stamp_of(html)}
    sent = en.post(url, data)
    assert sent.status_code == 302 and sent["Location"] == "/s/done/"
    again = en.post(url, data)  # a double tap
    assert again.status_code == 302
    response = Response.objects.get()
    assert (response.unit, response.channel, response.answers["P22"]) == (org.s1, "qr", 5)
    assert "Thank you for your answers." in en.get("/s/done/").content.decode()


def test_malformed_answers_are_shown_beside_their_items(en, make_campaign, now) -> None:
    campaign = make_campaign()
    url = f"/s/o/{campaign.public_key}/S1/"
    html = en.get(url).content.decode()
    now.shift(WAIT)
    data = servqual_answers(6, 5) | {"stamp": stamp_of(html), "E03": "9", "W_empathy": "40"}
    del data["P07"]
    page = en.post(url, data)
    assert page.status_code == 422
    errors = page.context["errors"]
    assert errors == {
        "E03": "Choose a whole number from 1 to 7.",
        "P07": "This question needs an answer.",
        "W": "Share out exactly 100 points.",
    }
    assert 'value="6" checked' in page.content.decode()  # what was answered stays
    assert Response.objects.count() == 0
    # Corrected and sent with the same page's stamp: accepted.
    fixed = servqual_answers(6, 5) | {"stamp": stamp_of(html)}
    assert en.post(url, fixed).status_code == 302
    assert Response.objects.count() == 1


def test_honeypot_fast_submit_and_forged_stamp_are_refused(en, make_campaign) -> None:
    campaign = make_campaign()
    url = f"/s/o/{campaign.public_key}/S1/"
    html = en.get(url).content.decode()
    assert (
        en.post(url, servqual_answers(6, 5) | {"stamp": stamp_of(html)}).status_code == 400
    )  # too fast
    assert en.post(url, servqual_answers(6, 5) | {"stamp": "forged"}).status_code == 400
    assert (
        en.post(url, servqual_answers(6, 5) | {"stamp": stamp_of(html), "website": "x"}).status_code
        == 400
    )
    assert Response.objects.count() == 0


def test_rate_limit(en, make_campaign) -> None:
    campaign = make_campaign()
    url = f"/s/o/{campaign.public_key}/S1/"
    codes = [en.post(url, {"stamp": "x"}).status_code for _ in range(6)]
    assert codes == [400, 400, 400, 400, 400, 429]


def test_unknown_or_foreign_unit_and_closed_campaign(en, make_campaign, org) -> None:
    campaign = make_campaign(unit=org.r1)
    assert en.get(f"/s/o/{campaign.public_key}/S3/").status_code == 404
    assert en.get("/s/o/nope/S1/").status_code == 404
    services.campaign_close(actor=None, campaign=campaign)
    assert en.get(f"/s/o/{campaign.public_key}/S1/").status_code == 410


def test_personal_link_once_then_refused(en, make_campaign, org, now) -> None:
    campaign = make_campaign("employee-satisfaction", audience=Audience.STAFF)
    [inv] = services.invitations_create(
        actor=None,
        campaign=campaign,
        specs=[services.InvitationSpec(unit=org.s1, staff=org.cashier_staff)],
    )
    url = f"/s/i/{inv.token}/"
    html = en.get(url).content.decode()
    assert "Anonymous" in html
    now.shift(WAIT)
    assert en.post(url, employee_answers() | {"stamp": stamp_of(html)}).status_code == 302
    second = en.get(url)
    assert second.status_code == 409
    assert "already been answered" in second.content.decode()
    assert Response.objects.get().respondent_staff is None


def test_printed_card_code_leads_to_its_questions(en, make_campaign, org, now) -> None:
    campaign = make_campaign("opinion-card", audience=Audience.SERVICE_CALLS, unit=org.r1)
    [inv] = services.invitations_create(
        actor=None,
        campaign=campaign,
        specs=[
            services.InvitationSpec(unit=org.s1, subject_staff=org.cashier_staff, source_ref="WO-1")
        ],
    )
    typed = f"{inv.code[:5].lower()} {inv.code[5:]}"
    found = en.post("/s/", {"code": typed})
    assert found.status_code == 302 and found["Location"] == f"/s/i/{inv.token}/?via=card"
    page = en.get(found["Location"])
    html = page.content.decode()
    assert "You are rating: 李娜" in html
    assert "Very satisfied" in html
    now.shift(WAIT)
    answers = {
        "attitude": "4",
        "technique": "3",
        "arrival": "2",
        "promise": "4",
        "stamp": stamp_of(html),
    }
    assert en.post(found["Location"], answers).status_code == 302
    response = Response.objects.get()
    assert (response.channel, response.subject_staff, response.invitation) == (
        "card",
        org.cashier_staff,
        inv,
    )
    wrong = en.post("/s/", {"code": "ZZZZZ ZZZZZ"})
    assert wrong.context["form"].errors["code"] == [
        "No survey has this code. Check it and try again."
    ]


def test_internal_service_open_link_asks_for_the_department(en, make_campaign, org, now) -> None:
    campaign = make_campaign("internal-service", audience=Audience.INTERNAL, rated_units=[org.qa])
    url = f"/s/o/{campaign.public_key}/S1/"
    html = en.get(url).content.decode()
    assert "质量管理部" in html
    now.shift(WAIT)
    answers = {
        "respond": "4",
        "deadline": "3",
        "adequate": "3",
        "resources": "2",
        "attitude": "4",
        "overall": "3",
    }
    missing = en.post(url, answers | {"stamp": stamp_of(html)})
    assert missing.context["errors"] == {"subject_unit": "Choose the department you are rating."}
    assert en.post(url, answers | {"stamp": stamp_of(html), "about": "QA"}).status_code == 302
    assert Response.objects.get().subject_unit == org.qa
