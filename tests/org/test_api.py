"""The organisation API: problem+json errors, scoping through every door, idempotency."""

import pytest

from sqms.common.models import AuditEntry, IdempotencyRecord
from sqms.org.models import OrgUnit, Staff

NEW_STAFF = {
    "employee_no": "E100",
    "name": "孙丽",
    "position": "cashier",
    "start_date": "2025-03-01",
    "phone": "13900001111",
}


def _counts():
    return (OrgUnit.objects.count(), Staff.objects.count(), AuditEntry.objects.count())


def test_unauthenticated_is_401_problem(client, org):
    resp = client.get("/api/v1/org/units")
    assert resp.status_code == 401
    assert resp["Content-Type"] == "application/problem+json"
    assert resp.json()["status"] == 401


def test_list_units_is_scoped_and_paginated(api_client, people):
    body = api_client.as_user(people.region).get("/org/units", page_size=2).json()
    assert body["count"] == 3
    assert [u["code"] for u in body["items"]] == ["R1", "S1"]
    body2 = api_client.get("/org/units", page_size=2, page=2).json()
    assert [u["code"] for u in body2["items"]] == ["S2"]


def test_create_staff(api_client, people, org):
    resp = api_client.as_user(people.store).post("/org/staff", {**NEW_STAFF, "unit_id": org.s1.pk})
    assert resp.status_code == 201
    data = resp.json()
    assert data["employee_no"] == "E100"
    assert data["unit"]["code"] == "S1"
    assert data["phone"] == "139****1111"
    staff = Staff.objects.get(employee_no="E100")
    assert (
        AuditEntry.objects.get(action="org.staff.create", target_id=str(staff.pk)).actor
        == people.store
    )


def test_create_staff_validation_errors_name_the_fields(api_client, people, org):
    api = api_client.as_user(people.store)
    before = _counts()
    resp = api.post(
        "/org/staff", {**NEW_STAFF, "unit_id": org.s1.pk, "employee_no": "E1", "phone": "12ab34"}
    )
    assert resp.status_code == 422
    body = resp.json()
    assert resp["Content-Type"] == "application/problem+json"
    assert body["type"] == "urn:sqms:error:invalid"
    assert sorted(e["loc"][-1] for e in body["errors"]) == ["employee_no", "phone"]
    assert _counts() == before


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({**NEW_STAFF, "start_date": "2025-02-30"}, ["body", "start_date"]),
        ({**NEW_STAFF, "start_date": "tomorrow"}, ["body", "start_date"]),
        ({k: v for k, v in NEW_STAFF.items() if k != "name"}, ["body", "name"]),
        ({**NEW_STAFF, "position": "astronaut"}, ["position"]),
    ],
)
def test_malformed_staff_bodies(api_client, people, org, body, loc):
    api = api_client.as_user(people.store)
    before = _counts()
    resp = api.post("/org/staff", {**body, "unit_id": org.s1.pk})
    assert resp.status_code == 422
    assert loc in [e["loc"] for e in resp.json()["errors"]]
    assert _counts() == before


def test_broken_json_is_a_problem_not_a_crash(api_client, people):
    resp = api_client.as_user(people.store).raw_post("/org/staff", '{"employee_no": ')
    assert resp.status_code in (400, 422)
    assert resp["Content-Type"] == "application/problem+json"


def test_every_door_to_another_store_is_closed(api_client, people, org):
    """The S1 store manager, by guessed ids, against S3's unit and staff."""
    api = api_client.as_user(people.store)
    other = org.s3_staff[0]
    before = _counts()
    assert api.get(f"/org/units/{org.s3.pk}").status_code == 404
    assert api.get(f"/org/staff/{other.pk}").status_code == 404
    assert api.get("/org/staff", unit=org.s3.pk).status_code == 404
    assert api.post("/org/staff", {**NEW_STAFF, "unit_id": org.s3.pk}).status_code == 404
    assert api.patch(f"/org/staff/{other.pk}", {"name": "改名"}).status_code == 404
    assert api.post(f"/org/staff/{other.pk}/move", {"unit_id": org.s1.pk}).status_code == 404
    assert (
        api.post(f"/org/staff/{org.s1_staff[0].pk}/move", {"unit_id": org.s3.pk}).status_code == 404
    )
    assert (
        api.post(
            f"/org/staff/{other.pk}/deactivate", {"end_date": "2026-01-01", "reason": "x"}
        ).status_code
        == 404
    )
    assert api.post(f"/org/units/{org.s3.pk}/deactivate", {"reason": "x"}).status_code == 404
    all_staff = api.get("/org/staff", page_size=500).json()
    assert {s["unit"]["code"] for s in all_staff["items"]} == {"S1"}
    assert _counts() == before
    other.refresh_from_db()
    assert (other.name, other.unit_id, other.end_date) == ("陈静", org.s3.pk, None)


def test_view_only_role_cannot_write(api_client, people, org):
    api = api_client.as_user(people.inspector)
    before = _counts()
    resp = api.post("/org/staff", {**NEW_STAFF, "unit_id": org.s1.pk})
    assert resp.status_code == 403
    assert _counts() == before


def test_idempotency_key_replays_and_creates_once(api_client, people, org):
    api = api_client.as_user(people.store)
    body = {**NEW_STAFF, "unit_id": org.s1.pk}
    first = api.post("/org/staff", body, headers={"Idempotency-Key": "k-1"})
    second = api.post("/org/staff", body, headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert Staff.objects.filter(employee_no="E100").count() == 1
    conflict = api.post("/org/staff", {**body, "name": "别人"}, headers={"Idempotency-Key": "k-1"})
    assert conflict.status_code == 422
    assert conflict.json()["type"] == "urn:sqms:error:idempotency_key_reused"


def test_failed_creation_leaves_no_idempotency_record(api_client, people, org):
    api = api_client.as_user(people.store)
    bad = {**NEW_STAFF, "unit_id": org.s1.pk, "employee_no": "E1"}
    assert api.post("/org/staff", bad, headers={"Idempotency-Key": "k-2"}).status_code == 422
    assert IdempotencyRecord.objects.count() == 0
    good = {**NEW_STAFF, "unit_id": org.s1.pk}
    assert api.post("/org/staff", good, headers={"Idempotency-Key": "k-2"}).status_code == 201


def test_keys_are_per_user(api_client, people, org):
    body = {**NEW_STAFF, "unit_id": org.s1.pk}
    assert (
        api_client.as_user(people.store)
        .post("/org/staff", body, headers={"Idempotency-Key": "same"})
        .status_code
        == 201
    )
    resp = api_client.as_user(people.region).post(
        "/org/staff", {**body, "employee_no": "E101"}, headers={"Idempotency-Key": "same"}
    )
    assert resp.status_code == 201
    assert Staff.objects.filter(employee_no__in=["E100", "E101"]).count() == 2


def test_phone_is_unmasked_in_detail_only_for_personal_data_roles_and_logged(
    api_client, people, org
):
    staff = org.s1_staff[0]
    masked = api_client.as_user(people.inspector).get(f"/org/staff/{staff.pk}").json()
    assert masked["phone"] == "138****5678"
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 0
    shown = api_client.as_user(people.quality).get(f"/org/staff/{staff.pk}").json()
    assert shown["phone"] == "13812345678"
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert (entry.actor, entry.target_id) == (people.quality, str(staff.pk))


def test_move_and_deactivate_unit(api_client, people, org):
    api = api_client.as_user(people.admin)
    moved = api.post(f"/org/units/{org.s2.pk}/move", {"parent_id": org.r2.pk}).json()
    assert moved["parent_id"] == org.r2.pk
    assert moved["path"] == f"{org.r2.path}{org.s2.pk}/"
    refused = api.post(f"/org/units/{org.s1.pk}/deactivate", {"reason": "closing"})
    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:sqms:error:has_staff"


def test_create_unit_requires_manage_on_the_parent(api_client, people, org):
    body = {"code": "S9", "name": "新店", "kind": "store", "parent_id": org.r1.pk}
    assert api_client.as_user(people.region).post("/org/units", body).status_code == 403
    created = api_client.as_user(people.admin).post("/org/units", body)
    assert created.status_code == 201
    assert created.json()["path"] == f"{org.r1.path}{created.json()['id']}/"


def test_staff_list_query_count_is_constant(api_client, people, org, django_assert_max_num_queries):
    api = api_client.as_user(people.admin)
    for i in range(30):
        api.post("/org/staff", {**NEW_STAFF, "employee_no": f"N{i}", "unit_id": org.s2.pk})
    with django_assert_max_num_queries(6):
        body = api.get("/org/staff", page_size=100).json()
    assert body["count"] == 35


def test_me(api_client, people):
    me = api_client.as_user(people.store).get("/org/me").json()
    assert me["username"] == "store"
    assert me["staff"]["employee_no"] == "E3"
    assert me["grants"] == [
        {
            "role": "unit_manager",
            "unit": {"id": me["grants"][0]["unit"]["id"], "code": "S1", "name": "徐汇店"},
        }
    ]


def test_openapi_is_published(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    assert "/api/v1/org/staff" in paths
    assert "/api/v1/org/units/{unit_id}/move" in paths
