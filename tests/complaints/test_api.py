"""The complaints API at /api/v1/complaints: creation with idempotency and problem+json errors
that name the field, scoped lists and details with masked contact details, 404 (not 403) for
other stores' complaints, and the lifecycle through the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sqms.common.models import AuditEntry, IdempotencyRecord
from sqms.complaints import services
from sqms.complaints.models import Complaint, Status
from sqms.org.roles import Role
from tests.conftest import make_user

from .factories import NOW, fresh, sh, world

PROBLEM = "application/problem+json"
NEW = {
    "channel": "api",
    "unit": "S1",
    "description": "收银员结账时态度恶劣。",
    "complainant_name": "王先生",
    "complainant_phone": "13912345678",
    "category": "attitude-rude",
}


@pytest.fixture(autouse=True)
def _now_and_english(time_machine, settings):
    time_machine.move_to(NOW, tick=False)
    settings.LANGUAGE_CODE = "en"


def when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


def problem(resp, status: int) -> dict:
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"] == PROBLEM
    body = resp.json()
    assert body["status"] == status
    return body


def locs(body: dict) -> list[list]:
    return [e["loc"] for e in body["errors"]]


# --- Creating -------------------------------------------------------------------------------


def test_create(api_client, people, org, pack):
    resp = api_client.as_user(people.store).post("/complaints", NEW)
    assert resp.status_code == 201
    body = resp.json()
    c = Complaint.objects.get()
    assert body["id"] == c.pk
    assert body["ref"] == c.ref
    assert (body["channel"], body["status"], body["category"]) == (
        "api",
        "received",
        NEW["category"],
    )
    assert body["unit"] == {"id": org.s1.pk, "code": "S1", "name": "徐汇店"}
    assert body["responsible_unit"]["code"] == "S1"
    assert (body["staff"], body["assignee"], body["merged_into"]) == (None, None, None)
    assert when(body["received_at"]) == NOW
    assert when(body["next_deadline"]) == sh(2026, 6, 10, 18)  # first response: 1 working day
    # The answer to a creation is masked like any other read.
    assert (body["complainant_name"], body["complainant_phone"], body["contact_masked"]) == (
        "王**",
        "139****5678",
        True,
    )
    assert (c.complainant_name, c.complainant_phone) == ("王先生", "13912345678")
    assert AuditEntry.objects.get(action="complaint.create").actor == people.store


def _as_listed(api, complaint_id: int) -> dict:  # type: ignore[no-untyped-def]
    (item,) = [c for c in api.get("/complaints").json()["items"] if c["id"] == complaint_id]
    return item


@pytest.mark.parametrize("key", [None, "slip-0043"])
def test_the_answer_made_before_the_transaction_is_the_complaint_as_saved(
    api_client, people, pack, key
):
    # The answer is serialised before the transaction with the id to come as 0; it must read
    # as the saved complaint reads everywhere else.
    api = api_client.as_user(people.store)
    resp = api.post("/complaints", NEW, headers={"Idempotency-Key": key} if key else None)
    assert resp.status_code == 201
    body = resp.json()
    assert body["id"] == Complaint.objects.get().pk > 0
    listed = _as_listed(api, body["id"])
    for k in ("received_at", "next_deadline"):
        assert when(body.pop(k)) == when(listed.pop(k))
    assert body == listed


def test_a_tracking_code_drawn_again_is_the_one_answered(api_client, people, pack, monkeypatch):
    api = api_client.as_user(people.store)
    codes = iter(["2606-TAKEN001", "2606-TAKEN001", "2606-FRESH002"])
    monkeypatch.setattr(services, "_new_ref", lambda received: next(codes))
    first = api.post("/complaints", NEW, headers={"Idempotency-Key": "a"}).json()
    second = api.post("/complaints", NEW, headers={"Idempotency-Key": "b"}).json()
    assert (first["ref"], second["ref"]) == ("2606-TAKEN001", "2606-FRESH002")
    assert Complaint.objects.get(pk=second["id"]).ref == "2606-FRESH002"
    assert IdempotencyRecord.objects.get(key="b").body == json.dumps(
        second, ensure_ascii=False, separators=(",", ":")
    )


def test_create_with_an_idempotency_key_replays_the_answer(api_client, people, pack):
    api = api_client.as_user(people.store)
    first = api.post("/complaints", NEW, headers={"Idempotency-Key": "slip-0042"})
    assert first.status_code == 201
    after_first = world()
    again = api.post("/complaints", NEW, headers={"Idempotency-Key": "slip-0042"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert world() == after_first
    assert Complaint.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_refused(api_client, people, pack):
    api = api_client.as_user(people.store)
    api.post("/complaints", NEW, headers={"Idempotency-Key": "slip-0042"})
    before = world()
    resp = api.post(
        "/complaints", {**NEW, "description": "另一件事"}, headers={"Idempotency-Key": "slip-0042"}
    )
    body = problem(resp, 422)
    assert body["type"] == "urn:sqms:error:idempotency_key_reused"
    assert world() == before


def test_a_failed_creation_leaves_its_idempotency_key_unused(api_client, people, pack):
    api = api_client.as_user(people.store)
    bad = api.post(
        "/complaints", {**NEW, "complainant_phone": "abc"}, headers={"Idempotency-Key": "k"}
    )
    assert bad.status_code == 422
    assert IdempotencyRecord.objects.count() == 0
    good = api.post("/complaints", NEW, headers={"Idempotency-Key": "k"})
    assert good.status_code == 201


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ('{"channel": "api", "unit": ', "a value was expected at line 1, column 28"),
        ("not json at all", "a value was expected at line 1, column 1"),
        ('{"channel": "api",}', "a name in double quotes was expected at line 1, column 19"),
        ('{"unit" "S001"}', "a colon was expected at line 1, column 9"),
        ("{} {}", "there is more after the JSON value at line 1, column 4"),
        (b'{"description": "\xff"}', "byte 18 is not UTF-8"),
    ],
)
def test_unparsable_json_is_a_400_problem_that_says_where(api_client, people, pack, raw, where):
    api = api_client.as_user(people.store)
    before = world()
    body = problem(api.raw_post("/complaints", raw), 400)
    assert body["type"] == "urn:sqms:error:unparsable_body"
    assert body["title"] == "The request body is not valid JSON"
    assert body["errors"] == [{"loc": ["body"], "msg": where}]
    assert world() == before


def test_unparsable_json_is_explained_in_chinese_too(api_client, people, pack):
    api = api_client.as_user(people.store)
    resp = api.raw_post("/complaints", '{"unit" "S001"}', headers={"Accept-Language": "zh-hans"})
    body = problem(resp, 400)
    assert body["title"] == "请求正文不是有效的 JSON"
    assert body["errors"] == [{"loc": ["body"], "msg": "第 1 行第 9 列：此处应有冒号"}]


@pytest.mark.parametrize("raw", ['["a", "list"]', "{}", '"a string"'])
def test_json_of_the_wrong_shape_names_the_missing_fields(api_client, people, pack, raw):
    api = api_client.as_user(people.store)
    before = world()
    body = problem(api.raw_post("/complaints", raw), 422)
    assert body["type"] == "urn:sqms:error:validation"
    assert locs(body) == [["body", "channel"], ["body", "unit"], ["body", "description"]]
    assert world() == before


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"urgency": "high"}, ["body", "urgency"]),
        ({"urgency": 4}, ["body", "urgency"]),
        ({"received_at": "yesterday"}, ["body", "received_at"]),
        ({"description": ""}, ["body", "description"]),
        ({"description": None}, ["body", "description"]),
        ({"unit": None}, ["body", "unit"]),
        ({"anonymous": "maybe"}, ["body", "anonymous"]),
    ],
)
def test_wrongly_typed_fields_are_named(api_client, people, pack, change, loc):
    api = api_client.as_user(people.store)
    before = world()
    body = problem(api.post("/complaints", {**NEW, **change}), 422)
    assert body["type"] == "urn:sqms:error:validation"
    assert locs(body) == [loc]
    assert world() == before


@pytest.mark.parametrize(
    ("change", "loc", "msg"),
    [
        (
            {"complainant_phone": "139-abc-5678"},
            "complainant_phone",
            "A phone number may contain only digits, spaces, '-' and '+'.",
        ),
        (
            {"received_at": "2026-06-09T12:00:00+08:00"},
            "received_at",
            "The time received cannot be in the future.",
        ),
        ({"unit": "S9"}, "unit", "Unknown unit S9."),
        ({"unit": "S3"}, "unit", "Unknown unit S3."),  # another region's store
        ({"category": "weather"}, "category", "Unknown category weather."),
        ({"staff": "E404"}, "staff", "Unknown employee number E404."),
        ({"channel": "fax"}, "channel", "Unknown channel fax."),
    ],
)
def test_invalid_complaints_are_refused_naming_the_field(
    api_client, people, pack, change, loc, msg
):
    api = api_client.as_user(people.store)
    before = world()
    body = problem(api.post("/complaints", {**NEW, **change}), 422)
    assert {"loc": [loc], "msg": msg} in body["errors"]
    assert world() == before


def test_another_stores_staff_is_unknown_and_not_named(api_client, people, pack):
    api = api_client.as_user(people.store)
    before = world()
    body = problem(api.post("/complaints", {**NEW, "staff": "E9"}), 422)
    assert body["errors"] == [{"loc": ["staff"], "msg": "Unknown employee number E9."}]
    assert "陈静" not in json.dumps(body, ensure_ascii=False)
    assert world() == before


def test_a_hotline_system_names_any_stores_staff_by_employee_number(api_client, org, pack):
    # The hotline's token belongs to a head-office user with only the staff role: he registers
    # for every store, so every store's employee numbers are known to him.
    hotline = make_user("hotline", Role.STAFF, org.hq)
    resp = api_client.as_user(hotline).post(
        "/complaints", {**NEW, "channel": "hotline", "unit": "S3", "staff": "E9"}
    )
    assert resp.status_code == 201, resp.content
    assert Complaint.objects.get().staff == org.s3_staff[0]


def test_create_with_when_it_happened_and_the_staff_as_described(api_client, people, pack):
    body = {
        **NEW,
        "occurred_at": "2026-06-08T19:30:00+08:00",
        "staff_description": "3号收银台，戴眼镜的女收银员",
    }
    resp = api_client.as_user(people.store).post("/complaints", body)
    assert resp.status_code == 201, resp.content
    c = Complaint.objects.get()
    assert (c.occurred_at, c.staff_description) == (
        sh(2026, 6, 8, 19, 30),
        "3号收银台，戴眼镜的女收银员",
    )
    answer = resp.json()
    assert when(answer["occurred_at"]) == sh(2026, 6, 8, 19, 30)
    assert answer["staff_description"] == "3号收银台，戴眼镜的女收银员"


def test_it_cannot_have_happened_after_it_was_received(api_client, people, pack):
    body = {**NEW, "received_at": "2026-06-09T09:00:00+08:00", "occurred_at": "2026-06-09T09:30"}
    answer = problem(api_client.as_user(people.store).post("/complaints", body), 422)
    assert [(e["loc"], e["msg"]) for e in answer["errors"]] == [
        (["occurred_at"], "It cannot have happened after the complaint was received.")
    ]
    assert Complaint.objects.count() == 0


def test_create_without_the_intake_right_is_forbidden(api_client, people, pack):
    api = api_client.as_user(people.auditor)
    before = world()
    body = problem(api.post("/complaints", NEW), 403)
    assert body["type"] == "urn:sqms:error:permission_denied"
    assert world() == before


def test_create_without_a_token_is_401(client, pack):
    before = world()
    resp = client.post("/api/v1/complaints", NEW, content_type="application/json")
    problem(resp, 401)
    assert world() == before


# --- Reading --------------------------------------------------------------------------------


@pytest.fixture
def some(make_complaint, people, org):
    """Three complaints at S1, one at S2 and two at S3."""
    s1 = [make_complaint(actor=people.store) for _ in range(3)]
    s2 = [make_complaint(actor=people.region, unit=org.s2)]
    s3 = [make_complaint(actor=people.outsider, unit=org.s3) for _ in range(2)]
    return {"s1": s1, "s2": s2, "s3": s3}


@pytest.mark.parametrize(
    ("persona", "stores"),
    [
        ("store", ["s1"]),
        ("cashier", ["s1"]),
        ("region", ["s1", "s2"]),
        ("outsider", ["s3"]),
        ("quality", ["s1", "s2", "s3"]),
        ("auditor", ["s1", "s2", "s3"]),
    ],
)
def test_the_list_is_scoped(api_client, people, some, persona, stores):
    body = api_client.as_user(getattr(people, persona)).get("/complaints").json()
    expected = {c.ref for s in stores for c in some[s]}
    assert body["count"] == len(expected)
    assert {item["ref"] for item in body["items"]} == expected


def test_the_list_masks_contact_details(api_client, people, some):
    body = api_client.as_user(people.cashier).get("/complaints").json()
    assert {
        (i["complainant_name"], i["complainant_phone"], i["contact_masked"]) for i in body["items"]
    } == {("王**", "139****5678", True)}
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 0


def test_the_list_never_reveals_contact_details(api_client, people, some):
    """Unmasking is one complaint at a time, on its detail, where each view is logged."""
    body = api_client.as_user(people.store).get("/complaints", reveal=1).json()
    assert {i["complainant_phone"] for i in body["items"]} == {"139****5678"}
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 0


def test_the_list_filters_and_pages(api_client, people, some, org):
    api = api_client.as_user(people.quality)
    body = api.get("/complaints", unit="R1", page_size=2, order="ref").json()
    refs = sorted(c.ref for c in some["s1"] + some["s2"])
    assert (body["count"], body["page"], body["page_size"]) == (4, 1, 2)
    assert [i["ref"] for i in body["items"]] == refs[:2]
    body = api.get("/complaints", unit="R1", page_size=2, page=2, order="ref").json()
    assert [i["ref"] for i in body["items"]] == refs[2:]
    services.complaint_void(complaint=some["s3"][0], actor=people.quality, reason="重复")
    body = api.get("/complaints", status="ended").json()
    assert [i["ref"] for i in body["items"]] == [some["s3"][0].ref]
    # Closed is read as "no other status" (see selectors); it is still exactly the closed ones.
    Complaint.objects.filter(pk=some["s1"][0].pk).update(status=Status.CLOSED)
    body = api.get("/complaints", status="closed").json()
    assert [i["ref"] for i in body["items"]] == [some["s1"][0].ref]
    body = api.get("/complaints", status="voided").json()
    assert [i["ref"] for i in body["items"]] == [some["s3"][0].ref]


def test_a_long_list_is_counted_up_to_the_cap_unless_asked(api_client, people, some, settings):
    # Six complaints and a cap of 2: the answer says "at least 2" unless the exact count is
    # asked for; the pages are the same either way.
    settings.SQMS_LIST_COUNT_CAP = 2
    api = api_client.as_user(people.quality)
    body = api.get("/complaints", page_size=2, order="ref").json()
    assert (body["count"], body["count_exact"], len(body["items"])) == (2, False, 2)
    body = api.get("/complaints", page_size=2, order="ref", count="exact").json()
    assert (body["count"], body["count_exact"]) == (6, True)
    third = api.get("/complaints", page_size=2, page=3, order="ref").json()["items"]
    assert [i["ref"] for i in third] == sorted(c.ref for cs in some.values() for c in cs)[4:]
    assert locs(problem(api.get("/complaints", count="all"), 422)) == [["query", "count"]]


def test_filtering_on_another_stores_unit_is_refused(api_client, people, some):
    body = problem(api_client.as_user(people.store).get("/complaints", unit="S3"), 422)
    assert locs(body) == [["unit"]]


def test_the_list_query_count_does_not_grow_with_rows(
    api_client, people, make_complaint, org, django_assert_max_num_queries
):
    api = api_client.as_user(people.quality)
    make_complaint(actor=people.store)
    api.get("/complaints")  # warm up: the token's last use is written once
    # The token, the grants, the ids (a short list is counted from them), the rows with their
    # units, staff, category and merged-into target.
    with django_assert_max_num_queries(4):
        assert api.get("/complaints").json()["count"] == 1
    for _ in range(15):
        make_complaint(actor=people.store, staff=org.cashier_staff)
    with django_assert_max_num_queries(4):
        assert api.get("/complaints").json()["count"] == 16


def test_detail(api_client, people, make_complaint):
    c = make_complaint(actor=people.store)
    body = api_client.as_user(people.store).get(f"/complaints/{c.pk}").json()
    assert body["ref"] == c.ref
    assert [(k["kind"], when(k["deadline"]), k["paused"]) for k in body["clocks"]] == [
        ("update", sh(2026, 6, 9, 15), False),
        ("resolution", sh(2026, 6, 9, 22), False),
    ]
    # The person, as colleagues know him (the store manager 张伟), not his login.
    assert [(e["kind"], e["actor"]) for e in body["events"]] == [("received", "张伟")]
    assert body["contact_masked"] is True
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 0


def test_detail_by_tracking_code(api_client, people, make_complaint):
    c = make_complaint(actor=people.store)
    body = api_client.as_user(people.store).get(f"/complaints/by-ref/{c.ref.lower()}").json()
    assert body["id"] == c.pk


@pytest.mark.parametrize("persona", ["store", "quality"])
def test_reveal_shows_contact_details_and_logs_the_view(
    api_client, people, make_complaint, persona
):
    c = make_complaint(actor=people.store)
    user = getattr(people, persona)
    body = api_client.as_user(user).get(f"/complaints/{c.pk}", reveal=1).json()
    assert (body["complainant_name"], body["complainant_phone"], body["contact_masked"]) == (
        "王先生",
        "13912345678",
        False,
    )
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert (entry.actor, entry.target_type, entry.target_id) == (
        user,
        "complaints.complaint",
        str(c.pk),
    )
    assert entry.after == {"fields": ["complainant_name", "complainant_phone", "complainant_email"]}


@pytest.mark.parametrize("persona", ["cashier", "auditor", "inspector"])
def test_reveal_is_forbidden_without_the_personal_data_right(
    api_client, people, make_complaint, persona
):
    c = make_complaint(actor=people.store)
    api = api_client.as_user(getattr(people, persona))
    before = world()
    body = problem(api.get(f"/complaints/{c.pk}", reveal=1), 403)
    assert "13912345678" not in json.dumps(body)
    assert world() == before


def test_another_stores_complaint_is_not_found(api_client, people, make_complaint, org):
    theirs = make_complaint(actor=people.outsider, unit=org.s3, description="天河店的秘密投诉")
    api = api_client.as_user(people.store)
    before = world()
    for resp in (
        api.get(f"/complaints/{theirs.pk}"),
        api.get(f"/complaints/{theirs.pk}", reveal=1),
        api.get(f"/complaints/by-ref/{theirs.ref}"),
        api.post(f"/complaints/{theirs.pk}/assign", {"assignee": "E9"}),
        api.post(f"/complaints/{theirs.pk}/reply", {"reply": "已处理"}),
        api.post(f"/complaints/{theirs.pk}/void", {"reason": "误登记"}),
    ):
        body = problem(resp, 404)
        text = json.dumps(body, ensure_ascii=False)
        assert theirs.ref not in text
        assert "天河" not in text
    assert world() == before
    assert problem(api.get("/complaints/999999"), 404)["title"] == "Not found"


# --- The lifecycle through the API ----------------------------------------------------------


def test_the_lifecycle_through_the_api(api_client, people, make_complaint, time_machine):
    c = make_complaint(actor=people.store)
    api = api_client.as_user(people.store)
    url = f"/complaints/{c.pk}"
    body = api.post(f"{url}/assign", {"assignee": "E2", "note": "请处理"}).json()
    assert (body["status"], body["assignee"]["employee_no"]) == ("assigned", "E2")
    body = api.post(f"{url}/notes", {"note": "已致电", "contacted": True}).json()
    assert [e["kind"] for e in body["events"]][-1] == "contacted"
    body = api.post(f"{url}/verify", {"substantiated": True, "finding": "属实"}).json()
    assert (body["substantiated"], body["finding"]) == (True, "属实")
    time_machine.move_to(sh(2026, 6, 9, 16), tick=False)
    body = api.post(f"{url}/reply", {"reply": "已致歉", "improvement": "培训"}).json()
    assert (body["status"], when(body["replied_at"]), body["next_deadline"]) == (
        "replied",
        sh(2026, 6, 9, 16),
        None,
    )
    body = api.post(
        f"{url}/follow-up", {"satisfaction": "satisfied", "accepted": True, "close": False}
    ).json()
    assert body["status"] == "follow_up"
    body = api.post(f"{url}/close", {"note": "结案"}).json()
    assert (body["status"], when(body["closed_at"])) == ("closed", sh(2026, 6, 9, 16))
    assert [e["kind"] for e in body["events"]] == [
        "received",
        "assigned",
        "contacted",
        "verified",
        "replied",
        "follow_up",
        "closed",
    ]
    assert fresh(c).status == Status.CLOSED


def test_an_invalid_transition_is_409(api_client, people, make_complaint):
    c = make_complaint(actor=people.store)
    api = api_client.as_user(people.store)
    before = world()
    for path, payload in [
        ("close", {}),
        ("follow-up", {"satisfaction": "satisfied", "accepted": True}),
        ("resume", {}),
    ]:
        body = problem(api.post(f"/complaints/{c.pk}/{path}", payload), 409)
        assert body["title"] == "Conflict"
    assert world() == before
    api.post(f"/complaints/{c.pk}/reply", {"reply": "已处理"})
    before = world()
    body = problem(api.post(f"/complaints/{c.pk}/assign", {"assignee": "E1"}), 409)
    assert body["type"] == "urn:sqms:error:invalid_transition"
    assert body["detail"] == "A complaint that is Replied cannot be Assigned."
    assert world() == before


def test_assign_an_unknown_or_out_of_scope_employee(api_client, people, make_complaint):
    c = make_complaint(actor=people.store)
    api = api_client.as_user(people.store)
    before = world()
    for number in ("E404", "E9"):
        body = problem(api.post(f"/complaints/{c.pk}/assign", {"assignee": number}), 422)
        assert body["errors"] == [
            {"loc": ["assignee"], "msg": f"Unknown employee number {number}."}
        ]
    assert world() == before


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("assign", {"assignee": "E1"}),
        ("reply", {"reply": "已处理"}),
        ("verify", {"substantiated": False, "finding": "不属实"}),
        ("escalate", {"reason": "上报"}),
        ("withdraw", {"reason": "撤回"}),
        ("void", {"reason": "误登记"}),
    ],
)
def test_the_cashier_may_read_but_not_act(api_client, people, make_complaint, path, payload):
    c = make_complaint(actor=people.store)
    api = api_client.as_user(people.cashier)
    assert api.get(f"/complaints/{c.pk}").status_code == 200
    before = world()
    body = problem(api.post(f"/complaints/{c.pk}/{path}", payload), 403)
    assert body["type"] == "urn:sqms:error:permission_denied"
    assert world() == before


def test_void_needs_the_managing_right_and_a_reason(api_client, people, make_complaint):
    c = make_complaint(actor=people.store)
    store = api_client.as_user(people.store)
    before = world()
    problem(store.post(f"/complaints/{c.pk}/void", {"reason": "x"}), 403)
    assert world() == before
    api = api_client.as_user(people.quality)
    before = world()
    assert locs(problem(api.post(f"/complaints/{c.pk}/void", {}), 422)) == [["body", "reason"]]
    assert locs(problem(api.post(f"/complaints/{c.pk}/void", {"reason": "  "}), 422)) == [
        ["reason"]
    ]
    assert world() == before
    body = api.post(f"/complaints/{c.pk}/void", {"reason": "重复登记"}).json()
    assert body["status"] == "voided"


def test_merge_by_tracking_code(api_client, people, make_complaint):
    keep = make_complaint(actor=people.store)
    dup = make_complaint(actor=people.store)
    api = api_client.as_user(people.store)
    before = world()
    body = problem(api.post(f"/complaints/{dup.pk}/merge", {"into": "2606-NOPE2345"}), 422)
    assert body["errors"] == [{"loc": ["into"], "msg": "Unknown complaint 2606-NOPE2345."}]
    assert world() == before
    body = api.post(f"/complaints/{dup.pk}/merge", {"into": keep.ref.lower()}).json()
    assert (body["status"], body["merged_into"]) == ("merged", keep.ref)


def test_wait_escalate_and_classify_through_the_api(api_client, people, make_complaint, org):
    c = make_complaint(actor=people.store)
    api = api_client.as_user(people.store)
    body = api.post(f"/complaints/{c.pk}/wait", {"on": "customer"}).json()
    assert (body["waiting_on"], [k["paused"] for k in body["clocks"]]) == (
        "customer",
        [True, True],
    )
    body = api.post(f"/complaints/{c.pk}/resume", {}).json()
    assert body["waiting_on"] == ""
    body = api.post(f"/complaints/{c.pk}/escalate", {"reason": "超出权限"}).json()
    assert body["escalation_level"] == 1
    body = api.post(
        f"/complaints/{c.pk}/classify",
        {"category": "service-speed", "urgency": 3, "importance": 3, "staff": "E1"},
    ).json()
    assert (body["category"], body["urgency"], body["staff"]["employee_no"]) == (
        "service-speed",
        3,
        "E1",
    )
    body = problem(api.post(f"/complaints/{c.pk}/wait", {"on": "the moon"}), 422)
    assert locs(body) == [["on"]]


def test_categories(api_client, people, pack):
    body = api_client.as_user(people.cashier).get("/complaints/categories").json()
    assert [c["code"] for c in body][:4] == [
        "service",
        "service-speed",
        "service-error",
        "service-procedure",
    ]
    assert len(body) == 13
