"""Survey pages: the campaign list, detail, results with charts, Excel, instruments, the
sample-size calculator — happy path, validation, permission denial that changes nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from sqms.surveys.models import Audience, Campaign, Instrument
from tests.surveys.conftest import TODAY, employee_answers, servqual_answers


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def servqual_campaign(make_campaign, submit, org):
    campaign = make_campaign(name="Store SERVQUAL")
    for i in range(12):
        unit = [org.s1, org.s2, org.s3][i % 3]
        submit(campaign, servqual_answers(6, 4 if i % 2 else 5, overall=4 + i % 3), unit)
    return campaign


def test_campaign_list_scoped(
    client, people, servqual_campaign, make_campaign, org, django_assert_max_num_queries
) -> None:
    other = make_campaign(name="South only", unit=org.r2)
    login(client, people.region)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("surveys:list"))
    assert response.status_code == 200
    names = [c.name for c in response.context["campaigns"]]
    assert names == ["Store SERVQUAL"]  # the HQ campaign covers R1; R2's does not
    assert other.name not in response.content.decode()


def test_cashier_has_no_survey_pages(client, people, servqual_campaign) -> None:
    login(client, people.cashier)
    assert client.get(reverse("surveys:list")).status_code == 403
    assert client.get(reverse("surveys:results", args=[servqual_campaign.pk])).status_code == 404


def test_outsider_gets_404_for_a_campaign_of_another_region(
    client, people, make_campaign, org
) -> None:
    campaign = make_campaign(name="East", unit=org.r1)
    login(client, people.outsider)
    assert client.get(reverse("surveys:detail", args=[campaign.pk])).status_code == 404
    assert client.get(reverse("surveys:results", args=[campaign.pk])).status_code == 404


def test_results_page_has_every_chart_and_its_numbers(client, people, servqual_campaign) -> None:
    login(client, people.quality)
    response = client.get(reverse("surveys:results", args=[servqual_campaign.pk]))
    assert response.status_code == 200
    charts = response.context["charts"]
    assert sorted(charts) == ["drivers", "gaps", "ipa", "item_gaps", "radar", "trend", "units"]
    radar = json.loads(charts["radar"])
    assert radar["data"][0]["name"] == "Expectation (E)"
    body = response.content.decode()
    assert "Wilson 95%" in body
    assert "n=12" in body


def test_results_xlsx_aggregated_and_raw(client, people, servqual_campaign) -> None:
    login(client, people.quality)
    agg = client.get(reverse("surveys:results-xlsx", args=[servqual_campaign.pk]))
    wb = load_workbook(io.BytesIO(agg.content))
    assert wb.sheetnames[:3] == ["Summary", "SERVQUAL dimensions", "SERVQUAL items"]
    summary = list(wb["Summary"].iter_rows(values_only=True))
    assert summary[0] == ("Figure", "Value", "n", "95% low", "95% high", "Setting")
    assert summary[1][:3] == ("Responses", 12, 12)
    raw = client.get(reverse("surveys:raw-xlsx", args=[servqual_campaign.pk]))
    rows = list(load_workbook(io.BytesIO(raw.content)).active.iter_rows(values_only=True))
    assert len(rows) == 13
    assert rows[0][8:10] == ("E01", "E02")


def test_no_raw_export_of_an_anonymous_campaign(client, people, make_campaign, submit, org) -> None:
    campaign = make_campaign("employee-satisfaction", audience=Audience.STAFF)
    for _ in range(6):
        submit(campaign, employee_answers(), org.s1)
    login(client, people.quality)
    assert client.get(reverse("surveys:raw-xlsx", args=[campaign.pk])).status_code == 403


def test_new_campaign_form(client, people, instruments, org, now) -> None:
    login(client, people.quality)
    data = {
        "instrument": instruments["csi-retail"].pk,
        "name": "CSI July",
        "unit": org.r1.pk,
        "audience": "customers",
        "opens_on": TODAY.isoformat(),
        "closes_on": TODAY.isoformat(),
        "reminder_days": "3, 7",
        "satisfaction_definition": "not_dissatisfied",
        "ipa_crosshair": "midpoint",
        "weighting": "mean_weights",
        "min_group": 5,
    }
    response = client.post(reverse("surveys:new"), data)
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert (campaign.unit, campaign.satisfaction_definition, campaign.reminder_days) == (
        org.r1,
        "not_dissatisfied",
        [3, 7],
    )


def test_new_campaign_form_errors_and_denial(client, people, instruments, org, now) -> None:
    login(client, people.quality)
    bad = {
        "instrument": instruments["csi-retail"].pk,
        "name": "x",
        "unit": org.r1.pk,
        "audience": "customers",
        "opens_on": TODAY.isoformat(),
        "closes_on": "2020-01-01",
        "satisfaction_definition": "satisfied_share",
        "ipa_crosshair": "means",
        "weighting": "mean_weights",
        "min_group": 5,
    }
    response = client.post(reverse("surveys:new"), bad)
    assert response.status_code == 200
    assert response.context["form"].errors["closes_on"] == ["The survey closes before it opens."]
    client.logout()
    login(client, people.store)
    assert client.post(reverse("surveys:new"), bad).status_code == 403
    assert Campaign.objects.count() == 0


def test_store_manager_cannot_close_a_campaign(client, people, servqual_campaign) -> None:
    login(client, people.store)
    response = client.post(reverse("surveys:action", args=[servqual_campaign.pk, "close"]))
    assert response.status_code == 403
    servqual_campaign.refresh_from_db()
    assert servqual_campaign.status == "open"


def test_detail_poster_and_cards(client, people, make_campaign, org) -> None:
    campaign = make_campaign("opinion-card", audience=Audience.SERVICE_CALLS, unit=org.r1)
    login(client, people.quality)
    detail = client.get(reverse("surveys:detail", args=[campaign.pk]))
    assert detail.status_code == 200
    assert f"/s/o/{campaign.public_key}/S1/" in detail.content.decode()
    poster = client.get(reverse("surveys:poster", args=[campaign.pk, org.s1.pk]))
    assert "<svg" in poster.content.decode()
    png = client.get(reverse("surveys:poster", args=[campaign.pk, org.s1.pk]) + "?format=png")
    assert png["Content-Type"] == "image/png"
    made = client.post(
        reverse("surveys:cards-new", args=[campaign.pk]),
        {"unit": org.s1.pk, "count": 1, "subject_staff": "E1", "source_ref": "WO-9"},
    )
    assert made.status_code == 302
    cards = client.get(made["Location"])
    inv = campaign.invitations.get()
    assert (inv.subject_staff, inv.source_ref) == (org.cashier_staff, "WO-9")
    assert f"{inv.code[:5]} {inv.code[5:]}" in cards.content.decode()


def test_instrument_pages_and_a_new_bilingual_instrument(client, people, instruments) -> None:
    login(client, people.quality)
    assert client.get(reverse("surveys:instruments")).status_code == 200
    sq = instruments["servqual-22"]
    zh = client.get(reverse("surveys:instrument", args=[sq.pk]) + "?lang=zh")
    assert "优秀的门店应当拥有现代化的设备" in zh.content.decode()
    form = client.get(reverse("surveys:instrument-new") + f"?from={sq.pk}")
    assert "version: 2" in form.context["form"].initial["definition"]
    yaml_text = """
code: checkout-pulse
version: 1
kind: custom
title: {zh: 结账体验, en: Checkout pulse}
questions:
  - {code: q1, type: likert, points: 5, zh: 结账快吗, en: Was checkout quick}
"""
    response = client.post(reverse("surveys:instrument-new"), {"definition": yaml_text})
    assert response.status_code == 302
    assert Instrument.objects.get(code="checkout-pulse").title_en == "Checkout pulse"
    bad = client.post(
        reverse("surveys:instrument-new"),
        {
            "definition": yaml_text.replace("en: Was checkout quick", "en: ''").replace(
                "checkout-pulse", "other"
            )
        },
    )
    assert bad.status_code == 422
    assert [e.loc for e in bad.context["errors"]] == [["questions", 0, "en"]]
    assert not Instrument.objects.filter(code="other").exists()


def test_store_manager_cannot_save_an_instrument(client, people, instruments) -> None:
    login(client, people.store)
    assert (
        client.post(reverse("surveys:instrument-new"), {"definition": "code: x"}).status_code == 403
    )
    assert Instrument.objects.count() == 5


def test_sample_size_calculator(client, people) -> None:
    login(client, people.quality)
    response = client.get(
        reverse("surveys:sample-size"),
        {"margin": 5, "confidence": "0.95", "proportion": 50, "strata": "S1, 600\nS2, 400"},
    )
    result = response.context["result"]
    assert (result["n"], result["population"]) == (278, 1000)
    assert [a["n"] for a in result["allocation"]] == [167, 112]
    bad = client.get(
        reverse("surveys:sample-size"),
        {"margin": 5, "confidence": "0.95", "proportion": 50, "strata": "S1"},
    )
    assert bad.context["form"].errors["strata"] == [
        "Line 1: write name, size (and a standard deviation)."
    ]
