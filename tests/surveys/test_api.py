"""The surveys API: instruments, campaigns, keyed-in answers, invitations, results."""

from __future__ import annotations

import pytest
from django.utils import translation

from sqms.surveys.models import Campaign, Instrument, Invitation, Response
from tests.surveys.conftest import TODAY, employee_answers, servqual_answers


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_list_instruments_and_get_one(
    api_client, people, instruments, django_assert_max_num_queries
) -> None:
    api = api_client.as_user(people.store)
    with django_assert_max_num_queries(6):
        response = api.get("/surveys/instruments")
    assert response.status_code == 200
    assert sorted(i["code"] for i in response.json()) == sorted(instruments)
    one = api.get(f"/surveys/instruments/{instruments['opinion-card'].pk}").json()
    assert one["spec"]["questions"][0]["code"] == "attitude"


def test_cashier_cannot_list_instruments(api_client, people, instruments) -> None:
    assert api_client.as_user(people.cashier).get("/surveys/instruments").status_code == 403


def test_create_instrument_bilingual_and_invalid(api_client, people, db) -> None:
    api = api_client.as_user(people.quality)
    spec = {
        "code": "pulse",
        "version": 1,
        "kind": "custom",
        "title": {"zh": "快速调查", "en": "Pulse"},
        "questions": [{"code": "q1", "type": "nps", "zh": "推荐吗？", "en": "Recommend?"}],
    }
    created = api.post("/surveys/instruments", {"spec": spec}, headers={"Idempotency-Key": "k1"})
    assert created.status_code == 201
    again = api.post("/surveys/instruments", {"spec": spec}, headers={"Idempotency-Key": "k1"})
    assert again.json()["id"] == created.json()["id"]
    bad = api.post(
        "/surveys/instruments",
        {"spec": spec | {"code": "x2", "questions": [{"code": "q1", "type": "dial"}]}},
    )
    assert bad.status_code == 422
    assert bad["Content-Type"] == "application/problem+json"
    assert bad.json()["errors"] == [
        {
            "loc": ["questions", 0, "type"],
            "msg": "Type must be one of likert, single, multiple, nps, text, matrix, allocation.",
        }
    ]
    assert Instrument.objects.count() == 1
    denied = api_client.as_user(people.store).post(
        "/surveys/instruments", {"spec": spec | {"code": "x3"}}
    )
    assert denied.status_code == 403
    assert Instrument.objects.count() == 1


def test_create_campaign_open_key_in_results(api_client, people, instruments, org, now) -> None:
    api = api_client.as_user(people.quality)
    body = {
        "instrument": instruments["servqual-22"].pk,
        "name": "API SERVQUAL",
        "unit": "R1",
        "audience": "customers",
        "opens_on": TODAY.isoformat(),
        "closes_on": TODAY.isoformat(),
    }
    created = api.post("/surveys/campaigns", body)
    assert created.status_code == 201
    cid = created.json()["id"]
    assert created.json()["unit"] == "R1" and created.json()["status"] == "draft"
    assert api.post(f"/surveys/campaigns/{cid}/open", {}).json()["status"] == "open"
    for unit in ["S1", "S1", "S2"]:
        r = api.post(
            f"/surveys/campaigns/{cid}/responses", {"unit": unit, "answers": servqual_answers(6, 4)}
        )
        assert r.status_code == 201
    out_of_range = api.post(
        f"/surveys/campaigns/{cid}/responses",
        {"unit": "S1", "answers": servqual_answers(6, 4) | {"P01": 11}},
    )
    assert out_of_range.status_code == 422
    assert out_of_range.json()["errors"] == [
        {"loc": ["answers", "P01"], "msg": "Choose a whole number from 1 to 7."}
    ]
    results = api.get(f"/surveys/campaigns/{cid}/results").json()
    assert results["n"] == 3
    assert results["figures"]["servqual"]["unweighted"]["value"] == pytest.approx(-2.0)
    assert results["figures"]["comparison"]["rows"][0]["small"] is True
    assert Response.objects.count() == 3


def test_campaign_validation_and_denial(api_client, people, instruments, org, now) -> None:
    body = {
        "instrument": instruments["csi-retail"].pk,
        "name": "x",
        "unit": "R1",
        "audience": "nobody",
        "opens_on": TODAY.isoformat(),
        "closes_on": TODAY.isoformat(),
    }
    bad = api_client.as_user(people.quality).post("/surveys/campaigns", body)
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"loc": ["audience"], "msg": "Unknown audience."}]
    unknown = api_client.as_user(people.quality).post("/surveys/campaigns", body | {"unit": "NOPE"})
    assert unknown.json()["errors"][0]["loc"] == ["unit"]
    denied = api_client.as_user(people.store).post(
        "/surveys/campaigns", body | {"unit": "S1", "audience": "customers"}
    )
    assert denied.status_code == 403
    assert Campaign.objects.count() == 0


def test_outsider_gets_404_and_cannot_key_in(api_client, people, make_campaign, org) -> None:
    campaign = make_campaign(unit=org.r1)
    api = api_client.as_user(people.outsider)
    assert api.get(f"/surveys/campaigns/{campaign.pk}").status_code == 404
    assert api.get(f"/surveys/campaigns/{campaign.pk}/results").status_code == 404
    assert (
        api.post(
            f"/surveys/campaigns/{campaign.pk}/responses", {"unit": "S3", "answers": {}}
        ).status_code
        == 404
    )
    assert Response.objects.count() == 0


def test_invitations_by_api(api_client, people, make_campaign, org) -> None:
    campaign = make_campaign("opinion-card", audience="service_calls", unit=org.r1)
    api = api_client.as_user(people.quality)
    made = api.post(
        f"/surveys/campaigns/{campaign.pk}/invitations",
        {"unit": "S1", "subject_staff": "E1", "source_ref": "WO-3"},
    )
    assert made.status_code == 201
    [inv] = made.json()
    assert (inv["unit"], inv["source_ref"], inv["responded"], len(inv["code"])) == (
        "S1",
        "WO-3",
        False,
        10,
    )
    unknown = api.post(
        f"/surveys/campaigns/{campaign.pk}/invitations", {"unit": "S1", "subject_staff": "E404"}
    )
    assert unknown.json()["errors"][0]["loc"] == ["subject_staff"]
    assert Invitation.objects.count() == 1


def test_anonymous_results_by_api_hide_small_groups(
    api_client, people, make_campaign, submit, org
) -> None:
    campaign = make_campaign("employee-satisfaction", audience="staff")
    for unit, n in [(org.s1, 6), (org.s2, 4), (org.s3, 9)]:
        for _ in range(n):
            submit(campaign, employee_answers(), unit)
    api = api_client.as_user(people.quality)
    small = api.get(f"/surveys/campaigns/{campaign.pk}/results", unit="S2").json()
    assert (small["suppressed"], small["n"], small["figures"]) == (True, 0, {})
    differencing = api.get(f"/surveys/campaigns/{campaign.pk}/results", unit="S1").json()
    assert differencing["suppressed"] is True
    whole = api.get(f"/surveys/campaigns/{campaign.pk}/results").json()
    assert sorted(g["unit"] for g in whole["groups"]) == ["HQ", "R1", "R2", "S3"]
