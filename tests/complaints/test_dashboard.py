"""The dashboard page, its Excel exports and Plotly's script: who may open them, what they show
for the September of test_analysis, and what they cost in queries."""

from __future__ import annotations

import datetime as dt
import gzip
import html
import io
import json
import re

import openpyxl
import pytest
from django.urls import reverse

from sqms.complaints.views.dashboard import preset_period
from tests.conftest import make_user

from . import test_analysis
from .conftest import SH

# The September of test_analysis, described there.
september = test_analysis.september

URL = "/complaints/dashboard/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def kpi(response, label: str) -> str:  # type: ignore[no-untyped-def]
    found = re.search(
        rf'kpi-label">{label}</span><span class="kpi-value">([^<]*)<', response.content.decode()
    )
    assert found is not None, label
    return found.group(1)


def charts(response) -> dict:  # type: ignore[no-untyped-def]
    """The figures the page hands to charts.js, by chart name."""
    found = re.findall(r'data-chart="(\w+)" data-figure="([^"]*)"', response.content.decode())
    assert found
    return {name: json.loads(html.unescape(figure)) for name, figure in found}


SEPT = {"period": "custom", "date_from": "2026-09-01", "date_to": "2026-09-30"}


def test_urls():
    assert reverse("complaints:dashboard") == URL
    assert reverse("complaints:dashboard-export") == URL + "export.xlsx"
    assert reverse("complaints:dashboard-matrix") == URL + "matrix.xlsx"
    assert reverse("complaints:dashboard-plotly") == URL + "plotly.js"


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("this_month", dt.date(2026, 3, 1), dt.date(2026, 3, 18)),
        ("last_month", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("last_3_months", dt.date(2026, 1, 1), dt.date(2026, 3, 18)),
        ("this_year", dt.date(2026, 1, 1), dt.date(2026, 3, 18)),
    ],
)
def test_presets(preset, start, end):
    assert preset_period(preset, dt.date(2026, 3, 18)) == (start, end)


def test_preset_last_month_in_january():
    assert preset_period("last_month", dt.date(2027, 1, 5)) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 31),
    )


# --- The page ---------------------------------------------------------------------------------


def test_page_for_the_quality_manager(client, people, september):
    login(client, people.quality)
    r = client.get(URL, SEPT, **EN)
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-chart="volume"' in body and 'data-chart="follow_up"' in body
    assert re.search(r'kpi-label">Complaints received</span><span class="kpi-value">8<', body)
    assert re.search(r'kpi-label">Late now</span><span class="kpi-value">5<', body)
    assert re.search(r'kpi-label">Replied in time</span><span class="kpi-value">80.0%<', body)
    assert re.search(r'kpi-label">Satisfied</span><span class="kpi-value">75.0%<', body)
    assert "/complaints/dashboard/plotly.js?v=" in body
    assert "/static/sqms/charts.js" in body
    assert "<script>" not in body  # no inline script: the CSP forbids them
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in body
    figs = charts(r)
    assert sorted(figs) == ["follow_up", "pareto", "sla", "staff", "units", "volume"]
    assert [t["name"] for t in figs["volume"]["data"]] == [
        "Service desk",
        "Hotline",
        "Public web form",
    ]
    assert sum(figs["volume"]["data"][0]["y"]) == 5
    # One label per day, on a category axis (Plotly's own date ticks fell between buckets).
    assert figs["volume"]["data"][0]["x"] == [f"09-{d:02}" for d in range(1, 31)]
    assert figs["volume"]["layout"]["xaxis"]["type"] == "category"
    assert figs["pareto"]["data"][1]["y"] == [50.0, 75.0, 87.5, 100.0]
    assert figs["units"]["data"][0]["x"] == [1, 2, 5]  # largest at the top of a horizontal bar
    assert figs["follow_up"]["data"][0]["values"] == [2, 1, 1]
    assert figs["volume"]["empty"] == ""
    # The department × category table, with its totals row.
    assert re.search(
        r"<tfoot><tr><th>Total</th>(<th class=\"num\">\d+</th>){6}<th class=\"num\">8</th>", body
    )


def test_page_for_the_store_manager_counts_his_store(client, people, september):
    login(client, people.store)
    r = client.get(URL, SEPT, **EN)
    assert r.status_code == 200
    body = r.content.decode()
    assert re.search(r'kpi-label">Complaints received</span><span class="kpi-value">5<', body)
    assert "天河店" not in body  # S3's name appears nowhere: not in the picker, not in charts
    assert "浦东店" not in body
    assert charts(r)["units"]["data"][0]["y"] == ["徐汇店"]


def test_default_period_is_this_month(client, people, september):
    login(client, people.quality)
    r = client.get(URL, **EN)  # 28 September 2026
    assert r.status_code == 200
    assert 'name="date_from" value="2026-09-01"' in r.content.decode()
    assert 'name="date_to" value="2026-09-28"' in r.content.decode()


def test_htmx_request_gets_the_body_only(client, people, september):
    login(client, people.quality)
    r = client.get(URL, SEPT, HTTP_HX_REQUEST="true", **EN)
    assert r.status_code == 200
    body = r.content.decode()
    assert "<html" not in body
    assert "<script" not in body  # htmx would drop it
    assert "HX-Request" in r["Vary"]
    # htmx asking for a page it lost from its history gets the whole page.
    restore = client.get(URL, SEPT, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()
    assert charts(r)["follow_up"]["data"][0]["values"] == [2, 1, 1]


def test_user_without_the_right_is_refused(client, org, september):
    nobody = make_user("nobody", None, None)
    login(client, nobody)
    assert client.get(URL).status_code == 403
    assert client.get(URL + "export.xlsx").status_code == 403
    assert client.get(URL + "matrix.xlsx?month=2026-09").status_code == 403


def test_anonymous_is_sent_to_login(client, org):
    r = client.get(URL)
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("login"))


def test_unit_outside_scope_is_not_found(client, people, org, september):
    login(client, people.store)
    assert client.get(URL, {"unit": org.s3.pk}).status_code == 404
    assert client.get(URL + "export.xlsx", {"unit": org.s3.pk}).status_code == 404
    assert client.get(URL + "matrix.xlsx", {"unit": org.s3.pk}).status_code == 404
    assert client.get(URL, {"unit": org.s1.pk}).status_code == 200


def test_unit_filter_in_scope(client, people, org, september):
    login(client, people.quality)
    r = client.get(URL, {**SEPT, "unit": org.s3.pk}, **EN)
    assert r.status_code == 200
    assert re.search(
        r'kpi-label">Complaints received</span><span class="kpi-value">2<', r.content.decode()
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"period": "custom", "date_from": "2026-09-30", "date_to": "2026-09-01"},
            "The end comes before the start.",
        ),
        ({"period": "custom", "date_from": "2026-09-01"}, "Give both dates of a custom period."),
        (
            {"period": "custom", "date_from": "1066-10-14", "date_to": "2026-09-01"},
            "Give a date from 2000 to 2099.",
        ),
        ({"date_from": "not a date", "date_to": "2026-09-01"}, "Enter a valid date."),
        ({"unit": "abc"}, "Enter a whole number."),
        ({"channel": "pigeon"}, "Select a valid choice."),
        ({"category": "no-such"}, "Select a valid choice."),
    ],
)
def test_bad_filters_show_a_message_and_this_month(client, people, september, params, message):
    login(client, people.quality)
    r = client.get(URL, params, **EN)
    assert r.status_code == 200
    body = r.content.decode()
    assert message in body
    assert 'name="date_from" value="2026-09-01"' in body


def test_page_query_count(client, people, september, django_assert_max_num_queries):
    login(client, people.store)
    params = {**SEPT, "unit": str(people.store.staff.unit_id)}
    # Computed: session, user, configuration revision, grants, categories, unit filter, cache
    # read, the 11 queries of the analyses, cache write (4 with its savepoint), unit picker,
    # unread notifications.
    with django_assert_max_num_queries(25):
        assert client.get(URL, params).status_code == 200
    # From the cache: the same without the analyses and the cache write.
    with django_assert_max_num_queries(8):
        assert client.get(URL, params).status_code == 200


def test_page_query_count_does_not_grow_with_data(
    client, people, org, september, make_complaint, django_assert_max_num_queries
):
    for day in range(16, 26):
        make_complaint(
            actor=people.quality,
            unit=org.s2,
            category="service-error",
            staff=None,
            received_at=dt.datetime(2026, 9, day, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        )
    login(client, people.quality)
    # Nothing remembered yet: the units are read too (the quality manager's grant covers every
    # root, so the figures need no scope filter).
    with django_assert_max_num_queries(24):
        r = client.get(URL, SEPT)
    assert r.status_code == 200


def test_figures_are_shared_by_the_same_scope_only(client, people, org, september, make_complaint):
    login(client, people.store)
    assert kpi(client.get(URL, SEPT, **EN), "Complaints received") == "5"
    make_complaint(
        actor=people.quality, unit=org.s1, received_at=dt.datetime(2026, 9, 20, tzinfo=SH)
    )
    # Within the cache time the store manager sees the figures computed a moment ago...
    assert kpi(client.get(URL, SEPT, **EN), "Complaints received") == "5"
    # ...another scope computes its own (S3's two), and another filter too.
    login(client, people.outsider)
    assert kpi(client.get(URL, SEPT, **EN), "Complaints received") == "2"
    login(client, people.store)
    assert kpi(client.get(URL, {**SEPT, "channel": "desk"}, **EN), "Complaints received") == "4"


def test_cache_can_be_turned_off(client, people, org, september, make_complaint, settings):
    settings.SQMS_DASHBOARD_CACHE_SECONDS = 0
    login(client, people.store)
    assert kpi(client.get(URL, SEPT, **EN), "Complaints received") == "5"
    make_complaint(
        actor=people.quality, unit=org.s1, received_at=dt.datetime(2026, 9, 20, tzinfo=SH)
    )
    assert kpi(client.get(URL, SEPT, **EN), "Complaints received") == "6"


# --- Excel ------------------------------------------------------------------------------------


def workbook(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_export_has_a_sheet_per_analysis_with_the_totals(client, people, september):
    login(client, people.quality)
    r = client.get(URL + "export.xlsx", SEPT, **EN)
    assert r["Content-Disposition"] == 'attachment; filename="complaints-20260901-20260930.xlsx"'
    wb = workbook(r)
    assert wb.sheetnames == [
        "Summary",
        "Volume",
        "Categories",
        "Subcategories",
        "Units",
        "Time limits",
        "Staff",
        "Follow-up",
        "Units × categories",
    ]
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Complaints received"] == 8
    assert summary["Still open"] == 5
    assert summary["Late now"] == 5
    assert summary["Replied in time"] == pytest.approx(0.8)
    assert summary["From"] == dt.datetime(2026, 9, 1)
    volume = wb["Volume"]
    assert [c.value for c in volume[1]] == [
        "Day",
        "Service desk",
        "Hotline",
        "Public web form",
        "Total",
    ]
    assert volume["A1"].font.b is True
    assert volume.max_row == 32  # header, 30 days, total
    assert [c.value for c in volume[32]] == ["Total", 5, 2, 1, 8]
    assert volume["A2"].value == dt.datetime(2026, 9, 1)
    categories = list(wb["Categories"].iter_rows(min_row=2, values_only=True))
    assert categories[0] == ("Service attitude", 4, 0.5, 0.5)
    assert wb["Categories"]["C2"].number_format == "0.0%"
    assert [r[2] for r in wb["Units"].iter_rows(min_row=2, values_only=True)] == [5, 2, 1]
    clocks = list(wb["Time limits"].iter_rows(min_row=2, values_only=True))
    assert clocks[3] == ("Total", 10, 2, 12, pytest.approx(10 / 12, abs=0.001))
    staff = list(wb["Staff"].iter_rows(min_row=2, values_only=True))
    assert staff == [
        ("E1", "李娜", "徐汇店", 2),
        ("E9", "陈静", "天河店", 2),
        ("E2", "王芳", "徐汇店", 1),
    ]
    follow = {row[0]: row[1] for row in wb["Follow-up"].iter_rows(min_row=2, values_only=True)}
    assert follow["Total"] == 4
    assert follow["Acceptance rate"] == pytest.approx(0.75)
    matrix = list(wb["Units × categories"].iter_rows(values_only=True))
    assert matrix[0][2:] == (
        "Service quality",
        "Service attitude",
        "Environment",
        "Merchandise quality",
        "Price",
        "Other",
        "Total",
    )
    assert matrix[1] == ("S1", "徐汇店", 1, 3, 0, 0, 0, 0, 4)
    assert matrix[-1] == (None, "Total", 1, 4, 1, 0, 2, 0, 8)
    assert wb["Units"].column_dimensions["B"].width >= 8


def test_export_for_the_store_manager_counts_his_store(client, people, september):
    login(client, people.store)
    wb = workbook(client.get(URL + "export.xlsx", SEPT, **EN))
    assert [c.value for c in wb["Volume"][32]] == ["Total", 3, 1, 1, 5]
    assert list(wb["Units × categories"].iter_rows(values_only=True))[-1][-1] == 5


def test_matrix_of_a_month(client, people, september):
    login(client, people.quality)
    r = client.get(URL + "matrix.xlsx", {"month": "2026-09"}, **EN)
    assert r["Content-Disposition"] == (
        'attachment; filename="complaints-by-unit-and-category-2026-09.xlsx"'
    )
    wb = workbook(r)
    assert wb.sheetnames == ["2026-09", "Filter"]
    rows = list(wb["2026-09"].iter_rows(values_only=True))
    assert rows[0][:2] == ("Code", "Responsible unit")
    assert [row[0] for row in rows[1:-1]] == ["S1", "D-PUR", "S2", "S3"]
    assert rows[-1] == (None, "Total", 1, 4, 1, 0, 2, 0, 8)
    august = workbook(client.get(URL + "matrix.xlsx", {"month": "2026-08"}, **EN))
    assert list(august["2026-08"].iter_rows(values_only=True))[-1][-1] == 1  # c9


@pytest.mark.parametrize("month", ["2026-13", "September", "1900-01", "2026-9-1"])
def test_matrix_refuses_a_bad_month(client, people, september, month):
    login(client, people.quality)
    r = client.get(URL + "matrix.xlsx", {"month": month}, **EN)
    assert r.status_code == 400
    assert b"YYYY-MM" in r.content


# --- Plotly's script --------------------------------------------------------------------------


def test_plotly_js_is_served_from_the_package(client):
    r = client.get(URL + "plotly.js")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/javascript; charset=utf-8"
    assert r["Cache-Control"] == "public, max-age=31536000, immutable"
    head = b"".join(r.streaming_content)[:200]
    assert b"plotly.js v" in head
    zipped = client.get(URL + "plotly.js", HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert b"plotly.js v" in gzip.decompress(zipped.content)[:200]
    etag = zipped["ETag"]
    assert client.get(URL + "plotly.js", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.post(URL + "plotly.js").status_code == 405


def test_plotly_css_holds_the_rules_plotly_would_inject(client):
    r = client.get(URL + "plotly.css")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/css; charset=utf-8"
    css = r.content.decode()
    # The rule that stacks a chart's layers, and the mode bar's place.
    assert ".js-plotly-plot .plotly .main-svg{position:absolute;top:0;left:0;" in css
    assert ".js-plotly-plot .plotly .modebar{position:absolute;" in css
    assert ".plotly-notifier .notifier-note{" in css
    selectors = [line.split("{")[0] for line in css.splitlines()]
    assert not [sel for sel in selectors if "X " in sel or "Y " in sel]
    assert css.count("{") == css.count("}") > 50


def test_a_long_period_is_charted_per_month_one_label_each(client, people, september):
    login(client, people.quality)
    r = client.get(
        URL, {"period": "custom", "date_from": "2026-07-01", "date_to": "2026-09-30"}, **EN
    )
    volume = charts(r)["volume"]
    assert [t["x"] for t in volume["data"]] == [["2026-07", "2026-08", "2026-09"]] * len(
        volume["data"]
    )
    assert volume["layout"]["xaxis"]["type"] == "category"
    # September's eight, and the one of 31 August (see test_analysis).
    assert [sum(t["y"][i] for t in volume["data"]) for i in range(3)] == [0, 1, 8]
