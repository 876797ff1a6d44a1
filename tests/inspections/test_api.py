"""The inspections API: checklists, starting, answering and submitting an inspection,
appeals and decisions; problem+json naming the field; scoping by the org tree."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import time_machine
from django.utils import translation

from sqms.inspections import services
from sqms.inspections.models import Appeal, Inspection, Status
from tests.inspections.factories import NOW, SPEC, fill, mini_template, world


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"), time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def template(people):
    return mini_template(people.quality)


def test_checklists(api_client, people, template):
    api = api_client.as_user(people.inspector)
    rows = api.get("/inspections/checklists").json()
    assert [(r["code"], r["version"], r["max_points"]) for r in rows] == [("mini", 1, "30.00")]
    detail = api.get("/inspections/checklists/mini").json()
    assert [i["code"] for s in detail["sections"] for i in s["items"]] == [
        "A1",
        "A2",
        "A3",
        "B1",
        "B2",
    ]


def test_put_checklist_validation_names_the_field(client, people, template):
    client.force_login(people.quality)
    body = {**SPEC, "sections": [{"code": "A", "title": "x", "items": [{"code": "A1"}]}]}
    before = world()
    r = client.put("/api/v1/inspections/checklists/mini", body, content_type="application/json")
    assert r.status_code == 422
    assert r["Content-Type"] == "application/problem+json"
    assert {tuple(e["loc"]) for e in r.json()["errors"]} == {
        ("sections", 0, "items", 0, "text"),
        ("sections", 0, "items", 0, "points"),
    }
    assert world() == before


def test_put_checklist_makes_a_version_once_used(client, people, org, template):
    i = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    services.inspection_submit(actor=people.inspector, inspection=fill(i, people.inspector))
    client.force_login(people.quality)
    body = {**SPEC, "note": "renamed", "name_en": "Mini check 2"}
    body["sections"] = [SPEC["sections"][0]]
    r = client.put("/api/v1/inspections/checklists/mini", body, content_type="application/json")
    assert (r.status_code, r.json()["version"], r.json()["max_points"]) == (200, 2, "25.00")
    assert Inspection.objects.get().score == D(30)


def test_start_answer_submit(api_client, people, org, template):
    api = api_client.as_user(people.inspector)
    r = api.post("/inspections", {"template": "mini", "unit": "S1", "area": "front"})
    assert r.status_code == 201
    body = r.json()
    assert (body["status"], body["score"], len(body["answers"])) == ("draft", "30.00", 5)
    iid = body["id"]
    r = api.patch(f"/inspections/{iid}/answers/A1", {"nonconformities": 2})
    assert r.json()["score"] == "26.00"
    r = api.post(f"/inspections/{iid}/submit", {})
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "loc": ["answers", "A2"],
        "msg": "Item A2 is not answered yet.",
    }
    services.inspection_answer_rest(actor=people.inspector, inspection=Inspection.objects.get())
    r = api.post(f"/inspections/{iid}/submit", {})
    assert (r.status_code, r.json()["status"]) == (200, "submitted")


def test_bad_answer_body(api_client, people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    api = api_client.as_user(people.inspector)
    before = world()
    r = api.patch(f"/inspections/{inspection.pk}/answers/A1", {"nonconformities": -3})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == "nonconformities"
    assert world() == before


def test_unknown_unit_and_other_store(api_client, people, org, template):
    api = api_client.as_user(people.outsider)
    before = world()
    r = api.post("/inspections", {"template": "mini", "unit": "S1"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"loc": ["unit"], "msg": "Unknown unit S1."}]
    assert world() == before


def test_list_is_scoped_and_counts_queries(
    api_client, people, org, template, django_assert_max_num_queries
):
    for unit in (org.s1, org.s1, org.s3):
        i = services.inspection_start(actor=people.inspector, template=template, unit=unit)
        services.inspection_submit(actor=people.inspector, inspection=fill(i, people.inspector))
    api = api_client.as_user(people.store)
    with django_assert_max_num_queries(8):
        body = api.get("/inspections").json()
    assert body["count"] == 2
    assert {r["unit"] for r in body["items"]} == {"S1"}
    other = Inspection.objects.get(unit=org.s3)
    assert api.get(f"/inspections/{other.pk}").status_code == 404


def test_appeal_and_decision(api_client, people, org, template):
    i = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    services.inspection_submit(actor=people.inspector, inspection=fill(i, people.inspector, A1=1))
    store = api_client.as_user(people.store)
    r = store.post(f"/inspections/{i.pk}/appeals", {"item": "A1", "statement": "No."})
    assert (r.status_code, r.json()["outcome"]) == (201, "pending")
    appeal_id = r.json()["id"]
    r = store.post(
        f"/inspections/{i.pk}/appeals/{appeal_id}/decision",
        {"outcome": "overturned", "reason": "mine"},
    )
    assert r.status_code == 403
    assert Appeal.objects.get().outcome == "pending"
    quality = api_client.as_user(people.quality)
    r = quality.post(
        f"/inspections/{i.pk}/appeals/{appeal_id}/decision",
        {"outcome": "overturned", "reason": "ok"},
    )
    assert (r.json()["outcome"], r.json()["score"]) == ("overturned", "30.00")
    assert Inspection.objects.get().status == Status.SUBMITTED
    assert Inspection.objects.get().score == D(30)
