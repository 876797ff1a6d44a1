"""Evaluation pages and exports: who sees what, the workflow through the pages, and that a
staff member reads only his own scorecard by page, API and export."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
import time_machine
from openpyxl import load_workbook

from sqms.common.models import AuditEntry
from sqms.evaluations.models import Appeal, Run, RunStatus, Scorecard
from tests.evaluations.factories import CASHIER_SPEC, cashier_scheme, computed_run, sh, world


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def views_logged() -> int:
    return AuditEntry.objects.filter(action="evaluations.scorecard_view").count()


def test_staff_reads_only_his_own_scorecard_by_page_api_and_export(
    client, api_client, org, people, published
) -> None:  # type: ignore[no-untyped-def]
    mine = Scorecard.objects.get(run=published, staff=org.cashier_staff)
    colleague = Scorecard.objects.get(run=published, staff=org.s1_staff[1])
    login(client, people.cashier)
    page = client.get(f"/evaluations/scorecards/{mine.pk}/")
    assert page.status_code == 200
    assert "80" in page.content.decode()
    assert client.get(f"/evaluations/scorecards/{colleague.pk}/").status_code == 404
    assert client.get(f"/evaluations/scorecards/{colleague.pk}/export.xlsx").status_code == 404
    export = client.get(f"/evaluations/scorecards/{mine.pk}/export.xlsx")
    assert export.status_code == 200
    ws = load_workbook(io.BytesIO(export.content)).active
    assert ws.cell(1, 1).value == "客户服务质量测评明细表 — 李娜"
    assert client.get(f"/evaluations/runs/{published.pk}/summary.xlsx").status_code == 403
    api = api_client.as_user(people.cashier)
    assert api.get(f"/evaluations/scorecards/{colleague.pk}").status_code == 404
    body = api.get(f"/evaluations/scorecards/{mine.pk}").json()
    assert (body["staff"], body["total"]) == ("E1", "80.0")
    assert [c["staff"] for c in api.get(f"/evaluations/runs/{published.pk}/scorecards").json()] == [
        "E1"
    ]
    assert [c["id"] for c in api.get("/evaluations/scorecards/mine").json()] == [mine.pk]
    assert views_logged() == 0  # his own: nothing to log


def test_others_views_are_logged(client, org, people, published) -> None:  # type: ignore[no-untyped-def]
    card = Scorecard.objects.get(run=published, staff=org.cashier_staff)
    login(client, people.store)
    assert client.get(f"/evaluations/scorecards/{card.pk}/").status_code == 200
    entry = AuditEntry.objects.get(action="evaluations.scorecard_view")
    assert (entry.actor_id, entry.target_id) == (people.store.pk, str(card.pk))
    login(client, people.outsider)  # manager of S3: not his store
    assert client.get(f"/evaluations/scorecards/{card.pk}/").status_code == 404
    assert views_logged() == 1


def test_before_publication_only_quality_sees_results(client, org, people) -> None:  # type: ignore[no-untyped-def]
    run = computed_run(cashier_scheme(), org.hq)
    card = Scorecard.objects.get(run=run, staff=org.cashier_staff)
    for user in (people.store, people.cashier, people.region, people.inspector):
        login(client, user)
        assert client.get(f"/evaluations/runs/{run.pk}/").status_code == 404
        assert client.get(f"/evaluations/runs/{run.pk}/bulletin/").status_code == 404
        assert client.get(f"/evaluations/scorecards/{card.pk}/").status_code == 404
    login(client, people.quality)
    page = client.get(f"/evaluations/runs/{run.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-chart="ranking"' in html and 'data-chart="distribution"' in html
    assert "Open for appeals" in html or "开放申诉" in html


def test_bulletin_reaches_its_audience(client, org, people, published) -> None:  # type: ignore[no-untyped-def]
    login(client, people.cashier)
    page = client.get(f"/evaluations/runs/{published.pk}/bulletin/")
    assert page.status_code == 200
    assert "李娜" in page.content.decode()
    # The run page itself is the quality department's: others are sent to the bulletin.
    assert client.get(f"/evaluations/runs/{published.pk}/").status_code == 302
    Run.objects.filter(pk=published.pk).update(audience="managers")
    assert client.get(f"/evaluations/runs/{published.pk}/bulletin/").status_code == 404
    login(client, people.outsider)
    assert client.get(f"/evaluations/runs/{published.pk}/bulletin/").status_code == 200


def test_workflow_through_the_pages(client, org, people) -> None:  # type: ignore[no-untyped-def]
    run = computed_run(cashier_scheme(), org.hq)
    login(client, people.store)
    before = world()
    assert client.post(f"/evaluations/runs/{run.pk}/advance").status_code == 404
    assert world() == before
    with time_machine.travel(sh(2026, 12, 2, 9)):
        login(client, people.quality)
        assert client.post(f"/evaluations/runs/{run.pk}/advance").status_code == 302
    assert Run.objects.get(pk=run.pk).status == RunStatus.APPEALS
    with time_machine.travel(sh(2026, 12, 3)):
        login(client, people.quality)
        resp = client.post(f"/evaluations/runs/{run.pk}/advance", follow=True)
    assert Run.objects.get(pk=run.pk).status == RunStatus.APPEALS
    assert "2026-12-07" in resp.content.decode()


def test_appeal_through_the_page(client, org, people, appeals_open) -> None:  # type: ignore[no-untyped-def]
    card = Scorecard.objects.get(run=appeals_open, staff=org.cashier_staff)
    line = card.lines.get(order=0)
    other = Scorecard.objects.get(run=appeals_open, staff=org.s1_staff[1]).lines.get(order=0)
    with time_machine.travel(sh(2026, 12, 3)):
        login(client, people.cashier)
        page = client.get(f"/evaluations/scorecards/{card.pk}/")
        assert f'action="/evaluations/lines/{line.pk}/appeal"' in page.content.decode()
        assert (
            client.post(f"/evaluations/lines/{other.pk}/appeal", {"reason": "x"}).status_code == 404
        )
        assert (
            client.post(f"/evaluations/lines/{line.pk}/appeal", {"reason": ""}).status_code == 302
        )
        assert Appeal.objects.count() == 0
        resp = client.post(f"/evaluations/lines/{line.pk}/appeal", {"reason": "Not my till."})
    assert resp.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.line_id, appeal.reason) == (line.pk, "Not my till.")
    with time_machine.travel(sh(2026, 12, 4)):
        login(client, people.quality)
        resp = client.post(
            f"/evaluations/appeals/{appeal.pk}/decide",
            {"upheld": "1", "decision": "CCTV checked.", "points": ""},
        )
    assert resp.status_code == 302
    card.refresh_from_db()
    assert card.total == D("100.0")


def test_summary_export_layout(client, org, people, published) -> None:  # type: ignore[no-untyped-def]
    login(client, people.quality)
    resp = client.get(f"/evaluations/runs/{published.pk}/summary.xlsx")
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert ws.cell(1, 1).value == "客户服务质量测评汇总表"
    header = [ws.cell(3, c).value for c in range(1, 13)]
    assert header == [
        "序号",
        "部(所)",
        "姓名",
        "岗位",
        "顾客投诉（40分）",
        "服务规范（60分）",
        "测评总得分",
        "等级",
        "名次",
        "奖惩（元）",
        "服务明星",
        "备注",
    ]
    first = [ws.cell(4, c).value for c in range(1, 11)]
    assert first[2] == "王芳" and first[6] == 100 and first[8] == 1 and first[9] == 30


def test_scheme_editor_lists_every_problem(client, org, people) -> None:  # type: ignore[no-untyped-def]
    login(client, people.quality)
    spec = (
        "code: x\nscale: 100\ncomponents:\n"
        "  - {code: a, max: 60, rules: [{kind: per_event, source: nowhere}]}\n"
    )
    resp = client.post(
        "/evaluations/schemes/new/", {"code": "x", "name_zh": "x", "name_en": "x", "spec": spec}
    )
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "components.0.rules.0.source" in html
    assert "the components add up to 60, not the scale 100" in html
    login(client, people.store)
    assert client.get("/evaluations/schemes/").status_code == 403


def test_scheme_editor_saves_a_new_version_of_a_frozen_one(client, org, people) -> None:  # type: ignore[no-untyped-def]
    import yaml

    computed_run(cashier_scheme(), org.hq)
    login(client, people.quality)
    spec = yaml.safe_dump({**CASHIER_SPEC, "decimals": 2}, allow_unicode=True)
    resp = client.post(
        "/evaluations/schemes/cashier-monthly/",
        {
            "code": "cashier-monthly",
            "name_zh": "收银员月度考评",
            "name_en": "Cashier monthly evaluation",
            "spec": spec,
        },
    )
    assert resp.status_code == 302
    assert list(
        Run.objects.get()
        .version.scheme.versions.order_by("number")
        .values_list("number", "state", "frozen")
    ) == [(1, "active", True), (2, "draft", False)]


@pytest.mark.parametrize("path", ["/evaluations/", "/evaluations/mine/", "/metrics/"])
def test_pages_answer(client, people, published, path) -> None:  # type: ignore[no-untyped-def]
    login(client, people.quality)
    assert client.get(path).status_code == 200


def test_run_list_query_count(client, people, published, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    login(client, people.quality)
    with django_assert_max_num_queries(12):
        assert client.get("/evaluations/").status_code == 200


def test_start_a_run_from_the_page(client, org, people, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from huey.contrib.djhuey import HUEY

    version = cashier_scheme()
    login(client, people.quality)
    resp = client.post(
        "/evaluations/runs/new/", {"version": version.pk, "period": "2026-Q4", "scope": "HQ"}
    )
    assert resp.status_code == 200
    assert "This scheme evaluates per month" in resp.content.decode()
    assert Run.objects.count() == 0
    HUEY.immediate = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            resp = client.post(
                "/evaluations/runs/new/",
                {"version": version.pk, "period": "2026-11", "scope": "HQ"},
            )
    finally:
        HUEY.immediate = False
    run = Run.objects.get()
    assert resp["Location"] == f"/evaluations/runs/{run.pk}/"
    assert (run.status, run.total) == (RunStatus.DRAFT, 3)
    progress = client.get(f"/evaluations/runs/{run.pk}/progress")
    assert progress["HX-Refresh"] == "true"


def test_api_runs_and_appeal(api_client, org, people, appeals_open) -> None:  # type: ignore[no-untyped-def]
    card = Scorecard.objects.get(run=appeals_open, staff=org.cashier_staff)
    line = card.lines.get(order=0)
    assert api_client.as_user(people.cashier).get("/evaluations/runs").json() == []
    runs = api_client.as_user(people.quality).get("/evaluations/runs").json()
    assert [(r["id"], r["status"]) for r in runs] == [(appeals_open.pk, "appeals")]
    api = api_client.as_user(people.cashier)
    with time_machine.travel(sh(2026, 12, 3)):
        bad = api.post(f"/evaluations/lines/{line.pk}/appeal", {"reason": ""})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["loc"] == ["body", "reason"]
        ok = api.post(f"/evaluations/lines/{line.pk}/appeal", {"reason": "Not mine."})
    assert (ok.status_code, ok.json()["state"]) == (201, "pending")
    other = Scorecard.objects.get(run=appeals_open, staff=org.s1_staff[1]).lines.get(order=0)
    assert api.post(f"/evaluations/lines/{other.pk}/appeal", {"reason": "x"}).status_code == 404
    assert Appeal.objects.count() == 1


def test_api_starts_runs_and_checks_schemes(api_client, org, people) -> None:  # type: ignore[no-untyped-def]
    cashier_scheme()
    api = api_client.as_user(people.quality)
    r = api.post(
        "/evaluations/runs", {"scheme": "cashier-monthly", "period": "2026-11", "scope": "HQ"}
    )
    assert (r.status_code, r.json()["status"]) == (202, "queued")
    refused = api_client.as_user(people.store).post(
        "/evaluations/runs", {"scheme": "cashier-monthly", "period": "2026-10", "scope": "S1"}
    )
    assert refused.status_code == 403
    assert Run.objects.count() == 1
    problems = (
        api_client.as_user(people.quality)
        .post("/evaluations/schemes/check", {"spec": {"code": "x", "components": []}})
        .json()
    )
    assert problems == [{"loc": ["components"], "msg": "a scheme needs at least one component"}]


def test_scorecard_list_query_count(
    api_client, org, people, published, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    api = api_client.as_user(people.quality)
    with django_assert_max_num_queries(8):
        body = api.get(f"/evaluations/runs/{published.pk}/scorecards").json()
    assert [c["staff"] for c in body] == ["E2", "E9", "E1"]


def test_scheme_problems_and_line_notes_read_in_chinese() -> None:
    from django.utils import translation

    from sqms.evaluations.labels import note_label, problem_label

    with translation.override("zh-hans"):
        assert problem_label(
            "the components add up to 110, not the scale 100: fix the points or set normalise: "
            "proportional (total × scale / Σ max)"
        ) == (
            "各项目满分合计为 110，与满分制 100 不符：请调整分值，或设置 normalise: proportional"
            "（总分 × 满分制 / 各项满分之和）"
        )
        assert problem_label("overlap: b starts at 70, inside c (0-70)") == (
            "重叠：等级 b 从 70 开始，落在等级 c 之内"
        )
        assert problem_label("something new") == "something new"
        assert note_label("appeal upheld: 40 → 30") == "申诉成立：40 → 30"
        assert note_label("no data: full points") == "无数据：得满分"
