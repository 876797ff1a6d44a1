"""Inspection pages: the phone page (htmx answers with the live score, camera upload, submit),
an inspection's record with appeals and publication, checklists with Excel import and export,
sampling plans and draws, rounds, the daily QC report (page, Excel, PDF) and the dashboard.
Happy path, bad input and a denial that changes nothing for each."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import translation
from openpyxl import Workbook, load_workbook

from sqms.inspections import checklists, services
from sqms.inspections.models import (
    Appeal,
    ChecklistTemplate,
    Inspection,
    Kind,
    Photo,
    SampleDraw,
    Status,
    TemplateVersion,
)
from tests.inspections.factories import NOW, answer_of, fill, mini_template, photo, world


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"), time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def template(people):
    return mini_template(people.quality)


def login(client, user):
    client.force_login(user)
    return client


def htmx(client, url, data):
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_list_counts_queries(client, people, org, template, django_assert_max_num_queries):
    for _i in range(5):
        inspection = services.inspection_start(
            actor=people.inspector, template=template, unit=org.s1
        )
        services.inspection_submit(
            actor=people.inspector, inspection=fill(inspection, people.inspector)
        )
    login(client, people.store)
    with django_assert_max_num_queries(12):
        response = client.get("/inspections/?tab=submitted")
    assert response.status_code == 200
    assert response.content.decode().count("/inspections/") >= 5
    assert response.context["page"].paginator.count == 5


def test_start_and_phone_page(client, people, org, template):
    login(client, people.inspector)
    response = client.post(
        "/inspections/new/",
        {"template": template.pk, "kind": Kind.QC_ROUND, "unit": org.s1.pk, "area": "checkout"},
    )
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/inspections/{inspection.pk}/fill/"
    page = client.get(response["Location"]).content.decode()
    assert 'accept="image/*" capture="environment"' in page
    assert "data-score>30</span>" in page


def test_start_needs_a_unit(client, people, template):
    login(client, people.inspector)
    response = client.post("/inspections/new/", {"template": template.pk, "kind": "qc_round"})
    assert response.status_code == 200
    assert "Choose the unit inspected." in response.content.decode()
    assert Inspection.objects.count() == 0


def test_store_manager_cannot_start_in_another_store(client, people, org, template):
    login(client, people.outsider)
    response = client.post(
        "/inspections/new/", {"template": template.pk, "kind": "qc_round", "unit": org.s1.pk}
    )
    assert response.status_code == 200  # S1 is not among his choices
    assert Inspection.objects.count() == 0


def test_htmx_answer_returns_the_item_and_the_live_score(client, people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    a1 = answer_of(inspection, "A1")
    login(client, people.inspector)
    url = f"/inspections/{inspection.pk}/answers/{a1.pk}/"
    htmx(client, url, {"action": "more"})
    response = htmx(client, url, {"action": "more"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="answer-{a1.pk}"' in body
    assert 'hx-swap-oob="true"' in body
    assert "data-score>26</span>" in body
    assert "−4" in body
    assert Inspection.objects.get().score == D(26)


def test_answer_refuses_na_where_not_allowed(client, people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    a1 = answer_of(inspection, "A1")
    login(client, people.inspector)
    before = world()
    response = htmx(client, f"/inspections/{inspection.pk}/answers/{a1.pk}/", {"action": "na"})
    assert "This item cannot be marked not applicable." in response.content.decode()
    assert world() == before


def test_other_user_cannot_answer(client, people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    a1 = answer_of(inspection, "A1")
    login(client, people.store)
    before = world()
    response = htmx(client, f"/inspections/{inspection.pk}/answers/{a1.pk}/", {"action": "more"})
    assert response.status_code == 404  # a draft is the inspector's own
    assert world() == before


def test_camera_upload_and_submit(client, people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    inspection = fill(inspection, people.inspector, A2=1)
    a2 = answer_of(inspection, "A2")
    login(client, people.inspector)
    response = client.post(f"/inspections/{inspection.pk}/submit/")
    assert response.status_code == 422
    assert "Item A2 needs a photo of the finding." in response.content.decode()
    response = client.post(
        f"/inspections/{inspection.pk}/photos/",
        {"answer": a2.pk, "photo": photo()},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert Photo.objects.get().answer_id == a2.pk
    photo_url = f"/inspections/photos/{Photo.objects.get().pk}/"
    assert photo_url in response.content.decode()
    response = client.post(f"/inspections/{inspection.pk}/submit/")
    assert response.status_code == 302
    assert Inspection.objects.get().status == Status.SUBMITTED
    assert client.get(photo_url).status_code == 200


def test_photo_of_another_store_is_not_found(client, people, org, template):
    inspection = services.inspection_start(actor=people.inspector, template=template, unit=org.s1)
    p = services.photo_add(actor=people.inspector, inspection=inspection, file=photo())
    login(client, people.outsider)
    assert client.get(f"/inspections/photos/{p.pk}/").status_code == 404


def submitted(people, org, template, kind="", **found):
    inspection = services.inspection_start(
        actor=people.inspector, template=template, unit=org.s1, kind=kind
    )
    inspection = fill(inspection, people.inspector, **found)
    if kind == Kind.MYSTERY:
        services.photo_add(
            actor=people.inspector, inspection=inspection, file=photo(), role=Photo.Role.RECEIPT
        )
    return services.inspection_submit(actor=people.inspector, inspection=inspection)


def test_covert_hidden_until_published(client, people, org, template):
    inspection = submitted(people, org, template, kind=Kind.MYSTERY, A1=1)
    login(client, people.store)
    assert client.get(f"/inspections/{inspection.pk}/").status_code == 404
    assert inspection.pk not in [i.pk for i in client.get("/inspections/?tab=").context["page"]]
    client.logout()
    login(client, people.quality)
    response = client.post(f"/inspections/{inspection.pk}/publish/")
    assert response.status_code == 302
    client.logout()
    login(client, people.store)
    assert client.get(f"/inspections/{inspection.pk}/").status_code == 200


def test_inspector_cannot_publish(client, people, org, template):
    inspection = submitted(people, org, template, kind=Kind.MYSTERY)
    login(client, people.inspector)
    before = world()
    assert client.post(f"/inspections/{inspection.pk}/publish/").status_code == 403
    assert world() == before


def test_appeal_and_decision_pages(client, people, org, template):
    inspection = submitted(people, org, template, A1=2)
    a1 = answer_of(inspection, "A1")
    login(client, people.store)
    page = client.get(f"/inspections/{inspection.pk}/").content.decode()
    assert "Appeal this deduction" in page
    response = client.post(
        f"/inspections/{inspection.pk}/answers/{a1.pk}/appeal/", {"statement": ""}
    )
    assert response.status_code == 302
    assert Appeal.objects.count() == 0
    client.post(f"/inspections/{inspection.pk}/answers/{a1.pk}/appeal/", {"statement": "Not true."})
    appeal = Appeal.objects.get()
    assert (
        client.post(
            f"/inspections/{inspection.pk}/appeals/{appeal.pk}/decide/",
            {"outcome": "overturned", "reason": "x"},
        ).status_code
        == 403
    )
    client.logout()
    login(client, people.quality)
    client.post(
        f"/inspections/{inspection.pk}/appeals/{appeal.pk}/decide/",
        {"outcome": "overturned", "reason": "Photo shows cover."},
    )
    assert Appeal.objects.get().outcome == Appeal.Outcome.OVERTURNED
    assert Inspection.objects.get().score == D(30)


def test_correction_page(client, people, org, template):
    inspection = submitted(people, org, template, A1=1)
    login(client, people.quality)
    client.post(
        f"/inspections/{inspection.pk}/correct/",
        {"item": "A1", "nonconformities": "2", "reason": "Recount."},
    )
    assert Inspection.objects.get().score == D(26)
    page = client.get(f"/inspections/{inspection.pk}/").content.decode()
    assert "score 28.00 → 26.00" in page


def test_findings_page(client, people, org, template):
    submitted(people, org, template, A1=2)
    login(client, people.store)
    page = client.get(f"/inspections/findings/?unit={org.s1.pk}").content.decode()
    assert "Greeting" in page
    client.logout()
    login(client, people.outsider)
    assert client.get(f"/inspections/findings/?unit={org.s1.pk}").status_code == 404


# --- checklists -------------------------------------------------------------------------------


def test_checklist_pages_and_edit_makes_a_version(client, people, org, template):
    submitted(people, org, template, A1=1)
    login(client, people.quality)
    assert "Greeting" in client.get(f"/inspections/checklists/{template.pk}/").content.decode()
    form = client.get(f"/inspections/checklists/{template.pk}/edit/")
    assert form.status_code == 200
    rows = checklists.spec_to_rows(checklists.version_spec(template.current))
    data = {
        k: [str(r[k] if r[k] is not None else "") for r in rows] for k, _l in checklists.COLUMNS
    }
    data["points"][0] = "12"
    data.update(name_zh="小检查表", name_en="Mini check", subject="unit", kind="qc_round")
    data.update(na_policy="reduce", decimals="1", rounding="half_up", note="A1 worth 12")
    response = client.post(f"/inspections/checklists/{template.pk}/edit/", data)
    assert response.status_code == 302
    assert list(TemplateVersion.objects.values_list("number", "max_points")) == [
        (1, D(30)),
        (2, D(32)),
    ]
    assert Inspection.objects.get().score == D(28)


def test_checklist_edit_names_the_row(client, people, template):
    login(client, people.quality)
    rows = checklists.spec_to_rows(checklists.version_spec(template.current))
    data = {
        k: [str(r[k] if r[k] is not None else "") for r in rows] for k, _l in checklists.COLUMNS
    }
    data["deduction"][2] = "-1"
    data.update(name_zh="小检查表", subject="unit", kind="qc_round", decimals="1")
    response = client.post(f"/inspections/checklists/{template.pk}/edit/", data)
    assert "Row 3, deduction: A deduction is a number above 0." in response.content.decode()
    assert TemplateVersion.objects.count() == 1


def test_store_manager_cannot_edit(client, people, template):
    login(client, people.store)
    assert client.get(f"/inspections/checklists/{template.pk}/edit/").status_code == 403


def workbook(rows, settings=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "checklist"
    ws.append([k for k, _l in checklists.COLUMNS])
    for r in rows:
        ws.append(r)
    st = wb.create_sheet("settings")
    for k, v in (settings or {}).items():
        st.append([k, v])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, content: bytes, code: str = ""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = SimpleUploadedFile("c.xlsx", content)
    return client.post("/inspections/checklists/import/", {"file": f, "code": code})


def test_excel_export_then_import_round_trip(client, people, template):
    login(client, people.quality)
    response = client.get(f"/inspections/checklists/{template.pk}/export.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb["checklist"]["F2"].value == "Greeting"
    settings = wb["settings"]
    for row in settings.iter_rows(min_row=2):
        if row[0].value == "code":
            row[1].value = "mini-copy"
    out = io.BytesIO()
    wb.save(out)
    response = upload(client, out.getvalue())
    assert response.status_code == 302
    copy = ChecklistTemplate.objects.get(code="mini-copy")
    assert copy.current.max_points == D(30)
    assert checklists.content_key(checklists.version_spec(copy.current)) == (
        checklists.content_key(checklists.version_spec(template.current))
    )


def test_bad_excel_checklist_rejected_with_row_messages(client, people):
    login(client, people.quality)
    content = workbook(
        [
            ["A", "Service", "item", None, "A1", "Greeting", 10, 1, "no", "no", None, None],
            ["A", "Service", "item", None, "A2", "", "ten", 1, "maybe", "no", None, None],
            ["B", "", "floor?", None, "B1", "Register", 5, 0, "no", "no", "all", None],
        ],
        {"code": "bad", "name_zh": "坏表"},
    )
    response = upload(client, content)
    page = response.content.decode()
    for line in (
        "Row 3, text: The item&#x27;s text is required.",
        "Row 3, points: Points are a number from 0 to 1000.",
        "Row 3, evidence_required: Write yes or no.",
        "Row 4, section_title: A title is required.",
        "Row 4, section_floor: One of: item, section.",
        "Row 4, deduction: A deduction is a number above 0.",
        "Row 4, veto: One of: —, section, inspection.",
    ):
        assert line in page
    assert ChecklistTemplate.objects.count() == 0


def test_not_a_workbook(client, people):
    login(client, people.quality)
    response = upload(client, b"not a workbook")
    assert "The file is not an Excel workbook (.xlsx)." in response.content.decode()


# --- plans, rounds, reports -------------------------------------------------------------------


def test_plan_draw_pages(client, people, org, template):
    plan = services.plan_save(
        actor=people.quality,
        code="stores",
        name="Stores monthly",
        template=template,
        unit=org.hq,
        population="unit",
        unit_kind="store",
        period="month",
        minimum=2,
    )
    login(client, people.quality)
    response = client.post(f"/inspections/plans/{plan.pk}/", {"day": "2026-06-09", "seed": "s"})
    draw = SampleDraw.objects.get()
    assert response["Location"] == f"/inspections/plans/{plan.pk}/draws/{draw.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "2 drawn of 3 with seed s." in page
    assert "0 of 2 done" in page
    assert "Stores monthly" in client.get("/inspections/plans/").content.decode()
    client.logout()
    login(client, people.store)
    assert client.post(f"/inspections/plans/{plan.pk}/", {"day": "2026-06-09"}).status_code in (
        403,
        404,
    )
    assert SampleDraw.objects.count() == 1


def test_rounds_overdue(client, people, org, template):
    services.schedule_save(
        actor=people.quality,
        template=template,
        unit=org.s1,
        frequency="day",
        starts_on=dt.date(2026, 6, 7),
    )
    login(client, people.store)
    page = client.get("/inspections/rounds/").content.decode()
    assert "1 round is overdue." in page


def test_daily_report_page_excel_and_pdf(client, people, org, template):
    submitted(people, org, template, A1=2)
    login(client, people.quality)
    page = client.get(f"/inspections/report/daily/?day=2026-06-09&unit={org.s1.pk}")
    assert page.status_code == 200
    assert page.context["report"]["findings"] == 1
    xlsx = client.get(f"/inspections/report/daily.xlsx?day=2026-06-09&unit={org.s1.pk}")
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.worksheets[0]["H5"].value == 26
    pdf = client.get(f"/inspections/report/daily.pdf?day=2026-06-09&unit={org.s1.pk}")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    client.logout()
    login(client, people.outsider)
    assert client.get(f"/inspections/report/daily/?unit={org.s1.pk}").status_code == 404


def test_dashboard_and_export(client, people, org, template, django_assert_max_num_queries):
    submitted(people, org, template, A1=2)
    submitted(people, org, template, B1=1)
    login(client, people.quality)
    with django_assert_max_num_queries(20):
        response = client.get("/inspections/dashboard/?from=2026-06-01&to=2026-06-30")
    data = response.context["data"]
    assert data["count"] == 2
    assert (data["distribution"][8], data["distribution"][9]) == (1, 1)  # 86.7% and 90%
    xlsx = client.get("/inspections/dashboard/export.xlsx?from=2026-06-01&to=2026-06-30")
    assert load_workbook(io.BytesIO(xlsx.content))["Failed items"]["C2"].value == 1


def test_navigation_links_inspections(client, people):
    login(client, people.inspector)
    assert 'href="/inspections/"' in client.get("/").content.decode()
