"""Excel import of paper complaint registers (service desk and hotline log): every problem is
reported with its row and column and a file with any problem imports nothing; a valid file is
imported through the complaint services in one go. The page and the command wrap the same
function."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook, load_workbook

from sqms.common.models import AuditEntry
from sqms.complaints.import_jobs import register_import_run
from sqms.complaints.imports import DESK, HOTLINE, ImportReport, import_complaint_workbook
from sqms.complaints.models import Channel, ClockKind, Complaint, RegisterImport, Status

from .conftest import SH

NOW = dt.datetime(2026, 8, 5, 10, 0, tzinfo=SH)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DESK_HEAD = [c.header for c in DESK.columns]
HOTLINE_HEAD = [c.header for c in HOTLINE.columns]


@pytest.fixture(autouse=True)
def _now(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW)


def desk_row(no: object = 1, **kw: object) -> list[object]:
    row = {
        "date": "2026-07-03",
        "time": "14:30",
        "store": "S1",
        "name": "王先生",
        "phone": "13912345678",
        "content": "收银员结账时态度生硬，不理睬顾客。",
        "staff": "E1",
        "category": "attitude-rude",
        "reply": "",
        "opinion": "",
        **kw,
    }
    return [no, *(row[c.key] for c in DESK.columns[1:])]


def hotline_row(no: object = 1, **kw: object) -> list[object]:
    row = {
        "date": dt.date(2026, 7, 20),
        "time": dt.time(9, 15),
        "store": "S1",
        "name": "李女士",
        "phone": "138-1234-5678",
        "content": "电话投诉：生鲜区地面湿滑，没有提示牌。",
        "staff": "",
        "category": "environment-clean",
        "operator": "总部客服小周",
        "remark": "已告知三日内答复",
        **kw,
    }
    return [no, *(row[c.key] for c in HOTLINE.columns[1:])]


def xlsx(rows: list[list[object]], title: str = "Sheet") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(actor, rows: list[list[object]], dry_run: bool = False, layout: str = "auto"):  # type: ignore[no-untyped-def]
    with translation.override("en"):
        return import_complaint_workbook(
            actor=actor, file=io.BytesIO(xlsx(rows)), dry_run=dry_run, layout=layout
        )


def where(report: ImportReport) -> list[tuple[int, str]]:
    return [(e.row, e.field) for e in report.errors]


def counts() -> tuple[int, int]:
    return Complaint.objects.count(), AuditEntry.objects.count()


# --- Valid files ----------------------------------------------------------------------------


def test_desk_register_imports_every_row_replied_where_the_reply_is_filled(people, org, pack):
    before = counts()
    report = run(
        people.store,
        [
            DESK_HEAD,
            desk_row(1),
            desk_row(
                2,
                date="2026/07/31",
                time="23:40",
                staff="",
                content="找零少给了5元。",
                category="service-error",
                reply="核对监控后退还5元并致歉。",
                opinion="满意",
            ),
        ],
    )
    assert report.errors == []
    assert report.imported is True
    assert (report.rows, report.replied) == (2, 1)
    assert report.layout is DESK
    assert Complaint.objects.count() == before[0] + 2
    first, second = Complaint.objects.order_by("received_at")
    assert [first.channel, second.channel] == [Channel.DESK, Channel.DESK]
    assert first.received_at == dt.datetime(2026, 7, 3, 14, 30, tzinfo=SH)
    # 23:40 on 31 July in China is still July there (15:40 UTC).
    assert second.received_at == dt.datetime(2026, 7, 31, 23, 40, tzinfo=SH)
    assert first.status == Status.RECEIVED
    assert first.staff == org.cashier_staff
    assert first.category.code == "attitude-rude"
    assert first.created_by == people.store
    assert first.complainant_phone == "13912345678"
    assert second.status == Status.REPLIED
    assert second.reply == "核对监控后退还5元并致歉。"
    # A paper register does not say when the customer was answered: the reply is recorded as of
    # the time received, so the historic complaint does not read as months late.
    assert second.replied_at == second.received_at
    assert second.clocks.get(kind=ClockKind.RESOLUTION).met is True
    assert second.description == "找零少给了5元。\n\nCustomer opinion: 满意"
    assert report.refs == [first.ref, second.ref]


def test_hotline_log_with_english_headers_and_excel_dates(people, org, pack):
    head = [c.en for c in HOTLINE.columns]
    report = run(people.region, [head, hotline_row(1), hotline_row(2, store="S2", phone="")])
    assert report.errors == []
    assert report.layout is HOTLINE
    a, b = Complaint.objects.order_by("pk")
    assert (a.channel, b.channel) == (Channel.HOTLINE, Channel.HOTLINE)
    assert a.received_at == dt.datetime(2026, 7, 20, 9, 15, tzinfo=SH)
    assert (a.unit, b.unit) == (org.s1, org.s2)
    assert a.description == (
        "电话投诉：生鲜区地面湿滑，没有提示牌。\n\n"
        "Taken by: 总部客服小周\nRemarks: 已告知三日内答复"
    )
    assert b.complainant_phone == ""
    assert b.contact_preference == "none"


def test_chinese_only_headers_below_a_title_row_are_recognised(people, pack):
    report = run(
        people.store,
        [["顾客投诉意见登记表"], [c.zh for c in DESK.columns], desk_row(1, time="9点05分")],
    )
    assert report.errors == []
    assert report.layout is DESK
    assert Complaint.objects.get().received_at == dt.datetime(2026, 7, 3, 9, 5, tzinfo=SH)


def test_template_round_trip_skips_the_example_row(client, people, pack):
    client.force_login(people.store)
    resp = client.get("/complaints/import/template-hotline.xlsx")
    wb = load_workbook(io.BytesIO(resp.content))
    ws = wb.worksheets[0]
    ws.append(hotline_row(1))
    buf = io.BytesIO()
    wb.save(buf)
    report = import_complaint_workbook(actor=people.store, file=buf, dry_run=False)
    assert report.errors == []
    assert report.rows == 1
    assert Complaint.objects.get().channel == Channel.HOTLINE


# --- Bad rows -------------------------------------------------------------------------------

BAD_ROWS = [
    ("bad date", {"date": "2026-13-45"}, "date"),
    ("bad time", {"time": "25:99"}, "time"),
    ("no time", {"time": ""}, "time"),
    ("unknown store", {"store": "S99"}, "store"),
    ("bad phone", {"phone": "13x-abc"}, "phone"),
    ("unknown staff", {"staff": "E404"}, "staff"),
    ("staff of another store", {"staff": "E9"}, "staff"),
    ("unknown category", {"category": "nope"}, "category"),
    ("empty content", {"content": "  "}, "content"),
    ("future date", {"date": "2026-08-06"}, "date"),
]


@pytest.mark.parametrize(("case", "fields", "field"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_a_bad_row_is_reported_with_row_and_field_and_nothing_is_imported(
    people, pack, case, fields, field
):
    before = counts()
    report = run(people.quality, [DESK_HEAD, desk_row(1), desk_row(2, **fields), desk_row(3)])
    assert where(report) == [(3, field)]
    assert report.imported is False
    assert counts() == before


def test_every_problem_of_every_row_is_reported_at_once(people, pack):
    before = counts()
    report = run(
        people.quality,
        [
            DESK_HEAD,
            desk_row(1, phone="13x-abc", category="nope"),
            [None] * len(DESK_HEAD),  # blank rows are skipped
            desk_row(2, date="yesterday", staff="E404"),
        ],
    )
    assert where(report) == [(2, "phone"), (2, "category"), (4, "date"), (4, "staff")]
    assert report.errors[0].column == "联系电话 Phone"
    assert counts() == before


def test_store_outside_the_importers_scope_reads_as_unknown(people, pack):
    before = counts()
    report = run(
        people.store,
        [DESK_HEAD, desk_row(1, store="S3", staff=""), desk_row(2, store="S99", staff="")],
    )
    assert where(report) == [(2, "store"), (3, "store")]
    assert [e.message for e in report.errors] == [
        "Unknown store code 'S3'.",
        "Unknown store code 'S99'.",
    ]
    assert counts() == before


def test_staff_outside_the_importers_scope_reads_as_unknown(people, pack):
    report = run(people.store, [DESK_HEAD, desk_row(1, staff="E9")])
    assert [(e.row, e.field, e.message) for e in report.errors] == [
        (2, "staff", "Unknown staff number 'E9'.")
    ]


def test_a_reply_needs_the_right_to_handle_complaints(people, pack):
    before = counts()
    report = run(people.cashier, [DESK_HEAD, desk_row(1, reply="已致歉")])
    assert where(report) == [(2, "reply")]
    assert counts() == before


def test_the_same_register_imported_twice_is_refused(people, pack):
    assert run(people.store, [DESK_HEAD, desk_row(1)]).imported is True
    before = counts()
    report = run(people.store, [DESK_HEAD, desk_row(1)])
    assert where(report) == [(2, "content")]
    assert counts() == before


# --- Bad files ------------------------------------------------------------------------------


def test_missing_and_unknown_headers_are_reported(people, pack):
    before = counts()
    head = [h for h in DESK_HEAD if not h.startswith("投诉内容")] + ["Weather"]
    report = run(people.store, [head, desk_row(1)[:-1]])
    assert where(report) == [(1, "header"), (1, "header")]
    assert "投诉内容 Complaint" in report.errors[0].message
    assert "'Weather'" in report.errors[1].message
    assert counts() == before


def test_a_file_without_any_register_header(people, pack):
    report = run(people.store, [["a", "b", "c"], [1, 2, 3]])
    assert where(report) == [(1, "header")]
    assert report.layout is None


def test_choosing_the_wrong_layout_reports_the_headers(people, pack):
    report = run(people.store, [DESK_HEAD, desk_row(1)], layout="hotline")
    assert report.layout is HOTLINE
    assert {w for w in where(report)} == {(1, "header")}
    assert Complaint.objects.count() == 0


def test_a_non_xlsx_file_is_reported(people, pack):
    before = counts()
    with translation.override("en"):
        report = import_complaint_workbook(
            actor=people.store, file=io.BytesIO(b"date,store\n2026-07-01,S1\n"), dry_run=False
        )
    assert where(report) == [(0, "file")]
    assert report.errors[0].message.startswith("This is not a readable .xlsx file")
    assert counts() == before


def test_a_file_with_only_the_header(people, pack):
    report = run(people.store, [DESK_HEAD])
    assert where(report) == [(0, "file")]


def test_dry_run_checks_and_imports_nothing(people, pack):
    before = counts()
    report = run(people.store, [DESK_HEAD, desk_row(1), desk_row(2, reply="已处理")], dry_run=True)
    assert report.errors == []
    assert (report.rows, report.replied, report.imported) == (2, 1, False)
    assert counts() == before


# --- The page -------------------------------------------------------------------------------


def test_import_page_get_and_templates(client, people, pack):
    client.force_login(people.store)
    resp = client.get("/complaints/import/")
    assert resp.status_code == 200
    assert b"/complaints/import/template-desk.xlsx" in resp.content
    for layout, head in (("desk", DESK_HEAD), ("hotline", HOTLINE_HEAD)):
        resp = client.get(f"/complaints/import/template-{layout}.xlsx")
        assert resp.status_code == 200
        assert resp["Content-Type"] == XLSX
        wb = load_workbook(io.BytesIO(resp.content))
        assert wb.sheetnames[1:] == ["说明 Notes", "类别 Categories"]
        ws = wb.worksheets[0]
        assert [c.value for c in ws[1]] == head
        assert ws["A2"].value == "例"
        assert ws.column_dimensions["G"].width == 44
        notes = [r[0] for r in wb["说明 Notes"].iter_rows(min_row=2, values_only=True)]
        assert notes[: len(head)] == head
        codes = [r[0] for r in wb["类别 Categories"].iter_rows(min_row=2, values_only=True)]
        assert "attitude-rude" in codes
    assert client.get("/complaints/import/template-other.xlsx").status_code == 404


@pytest.fixture
def worker(django_capture_on_commit_callbacks):
    """The worker runs each queued job as soon as the request's transaction commits."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    try:
        yield django_capture_on_commit_callbacks
    finally:
        HUEY.immediate = False


def upload_and_follow(client, worker, data, lang="en"):
    """Post the upload, let the worker run it, and read the job page it redirects to."""
    with worker(execute=True):
        resp = client.post("/complaints/import/", data, HTTP_ACCEPT_LANGUAGE=lang)
    assert resp.status_code == 302
    job = RegisterImport.objects.get(token=resp["Location"].rstrip("/").rsplit("/", 1)[-1])
    return job, client.get(resp["Location"], HTTP_ACCEPT_LANGUAGE=lang)


def test_import_page_upload(client, people, pack, worker):
    client.force_login(people.store)
    content = xlsx([DESK_HEAD, desk_row(1)])
    upload = SimpleUploadedFile("desk.xlsx", content, content_type=XLSX)
    job, resp = upload_and_follow(client, worker, {"file": upload, "layout": "auto"})
    assert (job.state, job.user, job.name, job.dry_run) == (
        "done",
        people.store,
        "desk.xlsx",
        False,
    )
    assert job.report["imported"] is True
    assert "Imported 1 complaint (0 as replied)." in resp.content.decode()
    assert Complaint.objects.get().channel == Channel.DESK
    # The upload is kept as the source of what it created, and the start is audited.
    assert job.file.read() == content
    assert AuditEntry.objects.filter(action="complaints.import.start").count() == 1


def test_import_page_reports_row_errors_and_dry_run(client, people, pack, worker):
    client.force_login(people.store)
    bad = SimpleUploadedFile(
        "desk.xlsx", xlsx([DESK_HEAD, desk_row(1, phone="13x-abc")]), content_type=XLSX
    )
    job, resp = upload_and_follow(client, worker, {"file": bad, "layout": "desk", "dry_run": "on"})
    assert [(e["row"], e["field"]) for e in job.report["errors"]] == [(2, "phone")]
    assert "1 problem found — nothing was imported" in resp.content.decode()
    assert "A phone number may contain only digits" in resp.content.decode()
    good = SimpleUploadedFile("desk.xlsx", xlsx([DESK_HEAD, desk_row(1)]), content_type=XLSX)
    job, resp = upload_and_follow(client, worker, {"file": good, "layout": "desk", "dry_run": "on"})
    assert job.report["errors"] == []
    assert "The file is valid: 1 complaint would be imported" in resp.content.decode()
    assert Complaint.objects.count() == 0


def test_the_report_is_written_in_the_uploaders_language(client, people, pack, worker):
    client.force_login(people.store)
    bad = SimpleUploadedFile(
        "desk.xlsx", xlsx([DESK_HEAD, desk_row(1, phone="13x-abc")]), content_type=XLSX
    )
    job, resp = upload_and_follow(client, worker, {"file": bad, "layout": "desk"}, lang="zh-hans")
    assert job.language == "zh-hans"
    assert job.report["errors"][0]["message"].startswith("电话号码")
    assert job.report["errors"][0]["message"] in resp.content.decode()


def test_a_queued_import_shows_its_progress_and_is_run_once(client, people, pack):
    # Without a worker the job waits; the page says so and asks again every second.
    client.force_login(people.store)
    upload = SimpleUploadedFile("desk.xlsx", xlsx([DESK_HEAD, desk_row(1)]), content_type=XLSX)
    resp = client.post(
        "/complaints/import/", {"file": upload, "layout": "auto"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    job = RegisterImport.objects.get()
    page = client.get(resp["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for the worker" in page
    assert 'hx-trigger="every 1s"' in page
    partial = client.get(resp["Location"], HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert partial.content.decode().startswith('<section class="card" id="import-report"')
    assert register_import_run(job.pk).state == "done"
    assert register_import_run(job.pk).state == "done"  # a retried task does nothing twice
    assert Complaint.objects.count() == 1
    done = client.get(resp["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done


def test_nobody_else_sees_an_import(client, people, pack):
    client.force_login(people.store)
    upload = SimpleUploadedFile("desk.xlsx", xlsx([DESK_HEAD, desk_row(1)]), content_type=XLSX)
    location = client.post("/complaints/import/", {"file": upload, "layout": "auto"})["Location"]
    for persona in (people.quality, people.outsider):
        client.force_login(persona)
        assert client.get(location).status_code == 404


def test_import_page_refuses_a_non_xlsx_name(client, people, pack):
    client.force_login(people.store)
    upload = SimpleUploadedFile("register.csv", b"a,b\n", content_type="text/csv")
    resp = client.post("/complaints/import/", {"file": upload, "layout": "auto"})
    assert resp.status_code == 200
    assert resp.context["form"].errors["file"]
    assert RegisterImport.objects.count() == 0


def test_import_page_needs_the_intake_right(client, people, pack):
    client.force_login(people.inspector)
    assert client.get("/complaints/import/").status_code == 403
    upload = SimpleUploadedFile("desk.xlsx", xlsx([DESK_HEAD, desk_row(1)]), content_type=XLSX)
    assert client.post("/complaints/import/", {"file": upload}).status_code == 403
    assert client.get("/complaints/import/template-desk.xlsx").status_code == 403
    assert Complaint.objects.count() == 0
    assert RegisterImport.objects.count() == 0


# --- The command ----------------------------------------------------------------------------


def test_command_imports_a_file(tmp_path, people, pack):
    path = tmp_path / "hotline.xlsx"
    path.write_bytes(xlsx([HOTLINE_HEAD, hotline_row(1), hotline_row(2)]))
    out = io.StringIO()
    call_command("import", "complaints", str(path), "--user", "region", stdout=out)
    assert out.getvalue().startswith("Imported 2 complaint(s)")
    assert Complaint.objects.filter(channel=Channel.HOTLINE, created_by=people.region).count() == 2


def test_command_dry_run_and_errors(tmp_path, people, pack):
    path = tmp_path / "desk.xlsx"
    path.write_bytes(xlsx([DESK_HEAD, desk_row(1)]))
    out = io.StringIO()
    call_command("import", "complaints", str(path), "--dry-run", stdout=out)
    assert "Dry run: nothing was imported." in out.getvalue()
    assert Complaint.objects.count() == 0

    path.write_bytes(xlsx([DESK_HEAD, desk_row(1), desk_row(2, store="S3", staff="")]))
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError, match="1 problem"):
        call_command("import", "complaints", str(path), "--user", "store", stderr=err)
    assert err.getvalue().strip() == "row 3, 门店编码 Store code: Unknown store code 'S3'."
    assert Complaint.objects.count() == 0

    with pytest.raises(CommandError, match="no active user"):
        call_command("import", "complaints", str(path), "--user", "nobody")


def test_progress_is_reported_for_the_check_and_the_import(people, pack):
    calls: list[tuple[str, int, int]] = []
    with translation.override("en"):
        report = import_complaint_workbook(
            actor=people.store,
            file=io.BytesIO(xlsx([DESK_HEAD, desk_row(1), desk_row(2, time="15:00")])),
            dry_run=False,
            progress=lambda phase, done, total: calls.append((phase, done, total)),
        )
    assert report.imported is True
    # ("import", 0, n) comes before the import's transaction opens.
    assert calls == [
        ("check", 1, 2),
        ("check", 2, 2),
        ("import", 0, 2),
        ("import", 1, 2),
        ("import", 2, 2),
    ]
