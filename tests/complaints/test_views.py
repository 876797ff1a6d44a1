"""The staff complaint pages as each persona sees them: the list (scoped, constant query count),
the intake form (desk and hotline, field errors beside their fields), a complaint's file with
the actions the user may take, attachments, revealing contact details, and notifications.
Refused requests change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sqms.common.models import AuditEntry, Notification
from sqms.complaints import services
from sqms.complaints.models import Attachment, Complaint, ComplaintEvent, Status
from sqms.org.roles import Role
from tests.conftest import make_user

from .factories import NOW, fresh, kinds, local, sh, world

Kind = ComplaintEvent.Kind
INTAKE = {
    "channel": "desk",
    "complainant_phone": "13912345678",
    "complainant_name": "王先生",
    "contact_preference": "phone",
    "description": "收银员结账时态度恶劣。",
    "urgency": "2",
    "importance": "2",
}


@pytest.fixture(autouse=True)
def _now_english_media(time_machine, settings, tmp_path):
    time_machine.move_to(NOW, tick=False)
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"


def msgs(client, resp) -> list[str]:
    """The messages the page a redirect leads to shows (showing them uses them up)."""
    assert resp.status_code == 302, resp.status_code
    page = client.get(resp["Location"])
    return [str(m) for m in page.context["messages"]]


def refs(resp) -> set[str]:
    return {r["ref"] for r in resp.context["rows"]}


def act(client, complaint, action: str, data: dict | None = None):
    return client.post(f"/complaints/{complaint.pk}/do/{action}", data or {})


@pytest.fixture
def s1(make_complaint, people):
    return make_complaint(actor=people.store)


@pytest.fixture
def s3(make_complaint, people, org):
    return make_complaint(actor=people.outsider, unit=org.s3, description="天河店的投诉")


# --- The list -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("store", ["s1"]), ("cashier", ["s1"]), ("outsider", ["s3"]), ("quality", ["s1", "s3"])],
)
def test_the_list_is_scoped(client, people, s1, s3, persona, sees):
    client.force_login(getattr(people, persona))
    resp = client.get("/complaints/")
    assert resp.status_code == 200
    assert refs(resp) == {{"s1": s1, "s3": s3}[k].ref for k in sees}


def test_a_second_companys_complaints_stay_out_of_the_first_ones_list(
    client, people, org, s1, make_complaint
):
    # The quality manager's grant on HQ covers the whole tree until a second root appears.
    from sqms.org import services as org_services
    from sqms.org.models import UnitKind

    hq2 = org_services.unit_create(
        actor=None, code="HQ2", name="二公司", kind=UnitKind.COMPANY, parent=None
    )
    theirs = make_complaint(actor=people.admin, unit=hq2, description="二公司的投诉")
    client.force_login(people.quality)
    assert refs(client.get("/complaints/")) == {s1.ref}
    client.force_login(people.admin)
    assert refs(client.get("/complaints/")) == {s1.ref, theirs.ref}


def test_searching_the_list_by_tracking_code_or_words(client, people, s1, s3, make_complaint):
    other = make_complaint(actor=people.store, description="生鲜区地面湿滑，没有提示牌。")
    client.force_login(people.store)
    # A code read out over the phone, typed in lower case with spaces around it.
    assert refs(client.get("/complaints/", {"q": f"  {s1.ref.lower()} "})) == {s1.ref}
    assert refs(client.get("/complaints/", {"q": "地面湿滑"})) == {other.ref}
    assert refs(client.get("/complaints/", {"q": "收银员"})) == {s1.ref}
    # Another store's code is not found, whatever its shape.
    assert refs(client.get("/complaints/", {"q": s3.ref})) == set()
    client.force_login(people.quality)
    assert refs(client.get("/complaints/", {"q": s3.ref})) == {s3.ref}


def test_the_overview_counts_open_late_due_and_the_weeks(
    client, people, org, make_complaint, time_machine
):
    # Received now at S1 (first response due within 4 working hours); ten days ago and never
    # answered (late); two days ago and voided (not open, but received this week); now at S3.
    time_machine.move_to(NOW - dt.timedelta(days=10), tick=False)
    make_complaint(actor=people.store)
    time_machine.move_to(NOW - dt.timedelta(days=2), tick=False)
    voided = make_complaint(actor=people.store)
    services.complaint_void(complaint=voided, actor=people.quality, reason="重复登记")
    time_machine.move_to(NOW, tick=False)
    make_complaint(actor=people.store)
    make_complaint(actor=people.outsider, unit=org.s3)
    client.force_login(people.store)
    figures = client.get("/").context["complaints"]
    assert figures == {"open": 2, "late": 1, "due_soon": 1, "week": 2, "escalations": 0}
    client.force_login(people.quality)
    figures = client.get("/").context["complaints"]
    assert figures == {"open": 3, "late": 1, "due_soon": 2, "week": 3, "escalations": 0}


def test_the_list_shows_deadlines_and_tabs(client, people, s1, time_machine):
    time_machine.move_to(sh(2026, 6, 9, 14), tick=False)
    client.force_login(people.store)
    resp = client.get("/complaints/")
    [row] = resp.context["rows"]
    assert row["ref"] == s1.ref and row["url"] == f"/complaints/{s1.pk}/"
    assert row["left"] == {"late": False, "soon": True, "text": "1 h 0 min left"}
    assert resp.context["can_intake"] is True
    assert refs(client.get("/complaints/", {"status": "late"})) == set()
    assert refs(client.get("/complaints/", {"status": "ended"})) == set()
    time_machine.move_to(sh(2026, 6, 9, 16), tick=False)
    assert refs(client.get("/complaints/", {"status": "late"})) == {s1.ref}


def test_the_list_query_count_does_not_grow_with_rows(
    client, people, make_complaint, org, django_assert_max_num_queries
):
    client.force_login(people.quality)
    make_complaint(actor=people.store)
    client.get("/complaints/")
    # Session, user, grants, the ids (a short list is counted from them), the page's rows with
    # their joins, categories, the unread notices, escalations to answer, the units of the filter.
    with django_assert_max_num_queries(9):
        assert client.get("/complaints/").status_code == 200
    for i in range(20):
        unit = org.s1 if i % 2 else org.s3
        make_complaint(actor=people.quality, unit=unit, category="price")
    with django_assert_max_num_queries(9):
        resp = client.get("/complaints/")
    assert len(resp.context["rows"]) == 21


def test_the_list_sends_anonymous_users_to_log_in(client, s1):
    for url in (
        "/complaints/",
        "/complaints/new/",
        f"/complaints/{s1.pk}/",
        "/complaints/notifications/",
    ):
        resp = client.get(url)
        assert resp.status_code == 302
        assert resp["Location"].startswith("/accounts/login/")
    before = world()
    resp = act(client, s1, "void", {"reason": "x"})
    assert resp.status_code == 302
    assert resp["Location"].startswith("/accounts/login/")
    assert world() == before


# --- The intake form ------------------------------------------------------------------------


def test_the_intake_form_preselects_the_store_of_a_store_manager(client, people, org, pack):
    client.force_login(people.store)
    resp = client.get("/complaints/new/")
    assert resp.status_code == 200
    assert resp.context["hotline"] is False
    form = resp.context["form"]
    assert form["unit"].value() == str(org.s1.pk)
    # By name: 张伟, 李娜, 王芳.
    assert [s.employee_no for s in form.fields["staff"].queryset] == ["E3", "E1", "E2"]


def test_hotline_mode(client, people, pack):
    client.force_login(people.quality)
    resp = client.get("/complaints/new/", {"channel": "hotline"})
    assert resp.status_code == 200
    assert resp.context["hotline"] is True
    assert "<title>Hotline call" in resp.content.decode()


def test_the_hotline_operator_names_any_stores_staff_without_seeing_the_register(client, org, pack):
    # A head-office operator with only the staff role registers calls for every store: the
    # picker offers the chosen store's current staff although he may not browse the register.
    hotline = make_user("hotline", Role.STAFF, org.hq)
    client.force_login(hotline)
    assert client.get(f"/org/staff/{org.s3_staff[0].pk}/").status_code in (403, 404)
    options = client.get("/complaints/staff-options", {"unit": org.s3.pk}).content.decode()
    assert "陈静" in options and "赵磊" in options and "李娜" not in options
    resp = client.post(
        "/complaints/new/",
        {**INTAKE, "channel": "hotline", "unit": org.s3.pk, "staff": org.s3_staff[0].pk},
    )
    assert resp.status_code == 302, resp.context["form"].errors
    assert (Complaint.objects.get().staff, Complaint.objects.get().unit) == (
        org.s3_staff[0],
        org.s3,
    )


def test_a_store_cannot_name_another_stores_staff(client, people, org, pack):
    client.force_login(people.store)
    assert (
        "陈静" not in client.get("/complaints/staff-options", {"unit": org.s3.pk}).content.decode()
    )
    before = world()
    resp = client.post(
        "/complaints/new/", {**INTAKE, "unit": org.s1.pk, "staff": org.s3_staff[0].pk}
    )
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["staff"]
    assert world() == before


def test_registering_a_complaint(client, people, org, pack):
    client.force_login(people.store)
    resp = client.post("/complaints/new/", {**INTAKE, "unit": org.s1.pk})
    c = Complaint.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == f"/complaints/{c.pk}/"
    assert (c.channel, c.unit, c.created_by, c.complainant_phone) == (
        "desk",
        org.s1,
        people.store,
        "13912345678",
    )
    assert msgs(client, resp) == [
        # The desk's reply is due within 12 hours (seed 000), not its 4-hour update.
        f"Registered {c.ref}. Tell the customer: a reply by 2026-06-09 22:00."
    ]


def test_save_and_register_another(client, people, org, pack):
    client.force_login(people.quality)
    resp = client.post(
        "/complaints/new/",
        {**INTAKE, "channel": "hotline", "unit": org.s2.pk, "another": "1"},
    )
    assert resp.status_code == 302
    assert resp["Location"] == f"/complaints/new/?channel=hotline&unit={org.s2.pk}"
    assert Complaint.objects.get().channel == "hotline"
    follow = client.get(resp["Location"])
    assert follow.context["hotline"] is True
    assert follow.context["form"]["unit"].value() == str(org.s2.pk)


def test_a_bad_phone_is_shown_beside_the_field_and_nothing_is_saved(client, people, org, pack):
    client.force_login(people.store)
    before = world()
    resp = client.post(
        "/complaints/new/", {**INTAKE, "unit": org.s1.pk, "complainant_phone": "139-ABC"}
    )
    assert resp.status_code == 200
    form = resp.context["form"]
    assert form.errors == {
        "complainant_phone": ["A phone number may contain only digits, spaces, '-' and '+'."]
    }
    html = resp.content.decode()
    field = html[html.index('<div class="field has-error">') :]
    assert field.index('name="complainant_phone"') < field.index("A phone number may contain")
    assert world() == before


def test_form_errors_name_their_fields(client, people, org, pack):
    client.force_login(people.store)
    before = world()
    resp = client.post(
        "/complaints/new/",
        {
            **INTAKE,
            "unit": org.s1.pk,
            "description": "",
            "complainant_email": "not-an-address",
            "complainant_phone": "139abc",
        },
    )
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert sorted(errors) == ["complainant_email", "complainant_phone", "description"]
    assert world() == before


def test_the_intake_form_offers_only_units_in_scope(client, people, org, pack):
    client.force_login(people.outsider)
    before = world()
    resp = client.post("/complaints/new/", {**INTAKE, "unit": org.s1.pk})
    assert resp.status_code == 200
    assert list(resp.context["form"].errors) == ["unit"]
    assert world() == before


def test_the_intake_form_is_forbidden_without_the_intake_right(client, people, org, pack):
    client.force_login(people.auditor)
    before = world()
    assert client.get("/complaints/new/").status_code == 403
    assert client.post("/complaints/new/", {**INTAKE, "unit": org.s1.pk}).status_code == 403
    assert world() == before


# --- A complaint's file ---------------------------------------------------------------------


def test_the_store_manager_sees_the_file_with_its_actions(client, people, s1):
    client.force_login(people.store)
    resp = client.get(f"/complaints/{s1.pk}/")
    assert resp.status_code == 200
    can = resp.context["can"]
    assert {k for k, v in can.items() if v} == {
        "classify",
        "assign",
        "investigate",
        "note",
        "wait",
        "verify",
        "reply",
        "escalate",
        "withdraw",
        "merge",
        "attach",
    }
    html = resp.content.decode()
    assert f'action="/complaints/{s1.pk}/do/assign"' in html
    assert f'action="/complaints/{s1.pk}/do/void"' not in html
    assert resp.context["contact"].phone == "139****5678"
    assert resp.context["may_reveal"] is True


def test_the_quality_manager_may_also_void_and_reopen(client, people, s1):
    client.force_login(people.quality)
    can = client.get(f"/complaints/{s1.pk}/").context["can"]
    assert can["void"] is True
    services.complaint_reply(complaint=s1, actor=people.store, reply="已致歉")
    can = client.get(f"/complaints/{s1.pk}/").context["can"]
    assert (can["reopen"], can["follow_up"], can["assign"]) == (True, True, False)


def test_the_cashier_sees_the_file_without_actions(client, people, s1):
    client.force_login(people.cashier)
    resp = client.get(f"/complaints/{s1.pk}/")
    assert resp.status_code == 200
    assert not any(resp.context["can"].values())
    html = resp.content.decode()
    assert "/do/" not in html
    assert "13912345678" not in html
    assert "139****5678" in html
    assert resp.context["may_reveal"] is False


@pytest.mark.parametrize(
    ("action", "data"),
    [("void", {"reason": "误登记"}), ("reply", {"reply": "已处理"}), ("note", {"note": "看过"})],
)
def test_the_cashier_may_not_act(client, people, s1, action, data):
    client.force_login(people.cashier)
    before = world()
    assert act(client, s1, action, data).status_code == 403
    assert world() == before


@pytest.mark.parametrize(
    ("action", "data"),
    [("void", {"reason": "误登记"}), ("reply", {"reply": "已处理"}), ("note", {"note": "看过"})],
)
def test_an_action_without_the_right_changes_nothing(client, people, s1, action, data):
    client.force_login(people.cashier)
    before = world()
    act(client, s1, action, data)
    assert world() == before


@pytest.mark.parametrize(
    ("persona", "owner", "theirs"),
    [("outsider", "store", "s1"), ("store", "outsider", "s3"), ("region", "outsider", "s3")],
)
def test_another_stores_complaint_is_not_found(client, people, s1, s3, persona, owner, theirs):
    complaint = {"s1": s1, "s3": s3}[theirs]
    services.complaint_attach(
        complaint=complaint,
        actor=getattr(people, owner),
        files=[SimpleUploadedFile("receipt.png", b"\x89PNG...", content_type="image/png")],
    )
    attachment = Attachment.objects.get()
    client.force_login(getattr(people, persona))
    before = world()
    for resp in (
        client.get(f"/complaints/{complaint.pk}/"),
        client.post(f"/complaints/{complaint.pk}/", {"reveal": "1"}),
        act(client, complaint, "reply", {"reply": "已处理"}),
        act(client, complaint, "void", {"reason": "x"}),
        act(client, complaint, "attach", {"files": SimpleUploadedFile("x.png", b"x")}),
        client.get(f"/complaints/{complaint.pk}/files/{attachment.pk}"),
    ):
        assert resp.status_code == 404
        html = resp.content.decode()
        assert complaint.ref not in html
        assert complaint.description not in html
    assert world() == before


def test_an_unknown_action_is_not_found(client, people, s1):
    client.force_login(people.store)
    before = world()
    assert act(client, s1, "delete").status_code == 404
    assert client.get(f"/complaints/{s1.pk}/do/assign").status_code == 405
    assert world() == before


# --- Actions through the page ---------------------------------------------------------------


def test_assign_investigate_verify_reply_and_follow_up_through_the_page(client, people, org, s1):
    client.force_login(people.store)
    steps = [
        ("assign", {"assignee": org.s1_staff[1].pk, "note": "请处理"}, "Assigned to 王芳."),
        ("investigate", {"note": "调取监控"}, "Investigation started."),
        ("note", {"note": "已致电顾客", "contacted": "on"}, "Note added."),
        ("verify", {"substantiated": "1", "finding": "属实"}, "Verification recorded."),
        ("reply", {"reply": "已致歉", "improvement": "培训"}, "Reply recorded."),
        (
            "follow_up",
            {"satisfaction": "satisfied", "accepted": "1", "method": "phone", "close": "on"},
            "Follow-up visit recorded.",
        ),
    ]
    for action, data, message in steps:
        resp = act(client, s1, action, data)
        assert resp.status_code == 302
        assert resp["Location"] == f"/complaints/{s1.pk}/"
        assert msgs(client, resp) == [message]
    c = fresh(s1)
    assert (c.status, c.assignee, c.substantiated) == (Status.CLOSED, org.s1_staff[1], True)
    assert kinds(c) == [
        Kind.RECEIVED,
        Kind.ASSIGNED,
        Kind.INVESTIGATING,
        Kind.CONTACTED,
        Kind.VERIFIED,
        Kind.REPLIED,
        Kind.FOLLOW_UP,
        Kind.CLOSED,
    ]


def test_a_refused_action_says_why_and_changes_nothing(client, people, s1):
    client.force_login(people.store)
    services.complaint_reply(complaint=s1, actor=people.store, reply="已致歉")
    before = world()
    resp = act(client, s1, "close", {})
    assert resp.status_code == 302
    assert msgs(client, resp) == ["This complaint cannot be closed before its follow-up visit."]
    resp = act(client, s1, "reopen", {"reason": ""})
    assert msgs(client, resp) == ["Reason: This field is required."]
    assert world() == before


def test_wait_and_resume_through_the_page(client, people, s1, time_machine):
    client.force_login(people.store)
    act(client, s1, "wait", {"on": "customer", "note": "等小票"})
    assert fresh(s1).waiting_on == "customer"
    assert client.get(f"/complaints/{s1.pk}/").context["can"]["resume"] is True
    time_machine.move_to(sh(2026, 6, 9, 14), tick=False)
    resp = act(client, s1, "resume", {})
    assert msgs(client, resp) == ["The time limits run again."]
    # Paused at once: the 4 working hours of the update clock start again at 14:00.
    assert local(fresh(s1).next_deadline) == sh(2026, 6, 9, 18)


def test_void_through_the_page(client, people, s1):
    client.force_login(people.quality)
    before = world()
    resp = act(client, s1, "void", {"reason": ""})
    assert msgs(client, resp) == ["Reason: This field is required."]
    assert world() == before
    resp = act(client, s1, "void", {"reason": "重复登记"})
    assert msgs(client, resp) == ["Complaint voided."]
    assert fresh(s1).status == Status.VOIDED


def test_escalate_and_answer_through_the_pages(client, people, s1):
    client.force_login(people.store)
    assert msgs(client, act(client, s1, "escalate", {"reason": "超出权限"})) == [
        "Escalated to the level above."
    ]
    client.force_login(people.region)
    listing = client.get("/complaints/")
    assert [e.complaint for e in listing.context["escalations"]] == [s1]
    assert client.get(f"/complaints/{s1.pk}/").context["open_escalation"] is not None
    resp = act(client, s1, "answer", {"answer": "同意赔偿", "promised_by": "2026-06-11T12:00"})
    assert msgs(client, resp) == ["Answer recorded."]
    assert local(fresh(s1).clocks.get(kind="resolution").deadline) == sh(2026, 6, 11, 12)
    assert list(client.get("/complaints/").context["escalations"]) == []


def test_merge_by_tracking_code_through_the_page(client, people, make_complaint):
    keep = make_complaint(actor=people.store)
    dup = make_complaint(actor=people.store)
    client.force_login(people.store)
    before = world()
    resp = act(client, dup, "merge", {"into": "2606-NOPE2345"})
    assert msgs(client, resp) == ["Unknown complaint 2606-NOPE2345."]
    assert world() == before
    resp = act(client, dup, "merge", {"into": keep.ref.lower(), "reason": "同一顾客"})
    assert msgs(client, resp) == [f"Merged into {keep.ref}."]
    assert (fresh(dup).status, fresh(dup).merged_into) == (Status.MERGED, keep)
    page = client.get(f"/complaints/{keep.pk}/")
    assert list(page.context["duplicates"]) == [dup]


def test_merge_into_another_stores_complaint_is_unknown(client, people, s1, s3):
    client.force_login(people.store)
    before = world()
    resp = act(client, s1, "merge", {"into": s3.ref})
    assert msgs(client, resp) == [f"Unknown complaint {s3.ref}."]
    assert world() == before


# --- Attachments ----------------------------------------------------------------------------


def test_attach_and_download(client, people, s1):
    client.force_login(people.store)
    photo = SimpleUploadedFile("小票.png", b"\x89PNG\r\n", content_type="image/png")
    resp = act(client, s1, "attach", {"files": photo})
    assert msgs(client, resp) == ["Attached."]
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.size, attachment.uploaded_by) == (
        "小票.png",
        6,
        people.store,
    )
    assert kinds(s1) == [Kind.RECEIVED, Kind.ATTACHMENT]
    client.force_login(people.cashier)
    resp = client.get(f"/complaints/{s1.pk}/files/{attachment.pk}")
    assert resp.status_code == 200
    assert b"".join(resp.streaming_content) == b"\x89PNG\r\n"


def test_an_attachment_of_the_wrong_kind_is_refused(client, people, s1):
    client.force_login(people.store)
    before = world()
    script = SimpleUploadedFile("run.sh", b"rm -rf /", content_type="text/x-shellscript")
    resp = act(client, s1, "attach", {"files": script})
    assert msgs(client, resp) == [
        "Nothing was attached.",
        "0: run.sh: only photos, PDF and sound recordings can be attached.",
    ]
    assert world() == before


def test_an_attachment_of_another_complaint_is_not_found(client, people, make_complaint):
    a = make_complaint(actor=people.store)
    b = make_complaint(actor=people.store)
    services.complaint_attach(
        complaint=a,
        actor=people.store,
        files=[SimpleUploadedFile("a.pdf", b"%PDF", content_type="application/pdf")],
    )
    client.force_login(people.store)
    assert client.get(f"/complaints/{b.pk}/files/{Attachment.objects.get().pk}").status_code == 404


# --- Personal data --------------------------------------------------------------------------


def test_revealing_contact_details_is_logged(client, people, s1):
    client.force_login(people.store)
    resp = client.post(f"/complaints/{s1.pk}/", {"reveal": "1"})
    assert resp.status_code == 200
    assert resp.context["contact"].phone == "13912345678"
    assert "13912345678" in resp.content.decode()
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert (entry.actor, entry.target_id) == (people.store, str(s1.pk))
    client.get(f"/complaints/{s1.pk}/")
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 1


def test_the_cashier_may_not_reveal_contact_details(client, people, s1):
    client.force_login(people.cashier)
    before = world()
    resp = client.post(f"/complaints/{s1.pk}/", {"reveal": "1"})
    assert resp.status_code == 403
    assert "13912345678" not in resp.content.decode()
    assert world() == before


# --- Notifications --------------------------------------------------------------------------


def test_notifications_are_listed_and_marked_read(client, people, make_complaint):
    c = make_complaint(actor=people.store)  # tells the store manager
    services.complaint_escalate(complaint=c, actor=people.store, reason="超出权限")
    client.force_login(people.store)
    resp = client.get("/complaints/notifications/")
    assert resp.status_code == 200
    assert [n.title for n in resp.context["rows"]] == [f"New complaint {c.ref} at 徐汇店"]
    assert resp.context["rows"][0].url == f"/complaints/{c.pk}/"
    resp = client.post("/complaints/notifications/")
    assert resp.status_code == 302
    assert resp["Location"] == "/complaints/notifications/"
    assert Notification.objects.filter(user=people.store, read_at__isnull=True).count() == 0
    # Somebody else's notices stay unread.
    assert Notification.objects.filter(user=people.region, read_at__isnull=True).count() == 1
    assert "unread" not in client.get("/complaints/notifications/").content.decode()


def test_the_cashier_filters_the_list_by_her_own_store(client, people, s1, org):
    client.force_login(people.cashier)
    resp = client.get("/complaints/", {"unit": org.s1.pk})
    assert resp.status_code == 200
    assert refs(resp) == {s1.ref}


def test_filtering_the_list_by_unit(client, people, s1, s3, org):
    client.force_login(people.quality)
    assert refs(client.get("/complaints/", {"unit": org.s3.pk})) == {s3.ref}
    assert refs(client.get("/complaints/", {"unit": org.r1.pk})) == {s1.ref}
    client.force_login(people.store)
    assert client.get("/complaints/", {"unit": org.s3.pk}).status_code == 404


def test_a_list_longer_than_the_count_cap_says_so(client, people, make_complaint, settings):
    # The count stops at the cap: with three complaints and a cap of two, the page says "more
    # than 2" and still pages through what it counted.
    settings.SQMS_LIST_COUNT_CAP = 2
    for _ in range(3):
        make_complaint(actor=people.store)
    client.force_login(people.quality)
    resp = client.get("/complaints/?status=")
    page = resp.context["page"]
    assert (page.paginator.count, page.paginator.capped, page.paginator.num_pages) == (3, True, 1)
    assert "More than 2 complaints: narrow the filter to see them all." in resp.content.decode()
