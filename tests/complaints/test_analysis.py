"""The dashboard's analyses on a small known September: exact figures for the quality manager
(everything), the store manager of S1 (his store only) and the filters.

The month, all times Asia/Shanghai (retail-chain pack: desk 12 calendar hours to reply and 4
working hours between updates; hotline 4 working hours to first answer, 1 working day between
updates, 3 working days to reply; web 1/1/3 working days). Price complaints go to the purchasing
department D-PUR.

    c1  S1 desk    attitude-rude     09-01  E1 substantiated; replied in 1 h; visit satisfied
    c2  S1 desk    attitude-ignore   09-02  E1 substantiated; replied 2 days late; visit basic
    c3  S1 hotline price → D-PUR     09-03  replied in 1 h; visit dissatisfied → reopened
    c10 S1 desk    attitude-rude     09-04  voided (not counted anywhere)
    c6  S2 desk    environment-clean 09-07  replied in 1 h; visit satisfied
    c7  S3 hotline price → D-PUR     09-08  E9 substantiated; replied in 1 h (no visit yet)
    c8  S3 desk    attitude-rude     09-09  E9 substantiated; open
    c4  S1 desk    service-speed     09-10  E2 not substantiated; open
    c5  S1 web     attitude-rude     09-15  E2 substantiated; open
    c9  S1 desk    attitude-rude     08-31  open (outside the period, but late now)

The analyses run on 2026-09-28 10:00.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from sqms.complaints import analysis, services
from sqms.complaints.analysis import AnalysisFilter
from sqms.complaints.models import Category
from sqms.org import services as org_services
from sqms.org.models import UnitKind

from .conftest import SH

SEPTEMBER = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
NOW = dt.datetime(2026, 9, 28, 10, 0, tzinfo=SH)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def september(org, people, make_complaint, time_machine) -> dict[str, Any]:
    """The month described in the module docstring; returns the complaints by name."""
    dpur = org_services.unit_create(
        actor=None, code="D-PUR", name="采购部", kind=UnitKind.BACK_OFFICE, parent=org.hq
    )
    Category.objects.filter(code__in=["price", "merchandise"]).update(route_to=dpur)
    q = people.quality
    e1, e2, _e3 = org.s1_staff
    e9 = org.s3_staff[0]
    c: dict[str, Any] = {"dpur": dpur}

    def step(when: dt.datetime) -> None:
        time_machine.move_to(when, tick=False)

    def reply(complaint: Any) -> None:
        services.complaint_reply(complaint=complaint, actor=q, reply="已处理", improvement="培训")

    def visit(complaint: Any, satisfaction: str, accepted: bool) -> None:
        services.complaint_follow_up(
            complaint=complaint, actor=q, satisfaction=satisfaction, accepted=accepted
        )

    def verify(complaint: Any, substantiated: bool) -> None:
        services.complaint_verify(
            complaint=complaint, actor=q, substantiated=substantiated, finding="查实"
        )

    step(at(9, 1))
    c["c1"] = make_complaint(actor=q, unit=org.s1, category="attitude-rude", staff=e1)
    step(at(9, 1, 11))
    verify(c["c1"], True)
    reply(c["c1"])
    step(at(9, 1, 12))
    visit(c["c1"], "satisfied", True)
    step(at(9, 2))
    c["c2"] = make_complaint(actor=q, unit=org.s1, category="attitude-ignore", staff=e1)
    step(at(9, 3))
    c["c3"] = make_complaint(actor=q, unit=org.s1, category="price", channel="hotline")
    step(at(9, 3, 11))
    reply(c["c3"])
    step(at(9, 4))
    verify(c["c2"], True)
    reply(c["c2"])
    step(at(9, 4, 11))
    visit(c["c2"], "basic", True)
    step(at(9, 4, 12))
    visit(c["c3"], "dissatisfied", False)
    step(at(9, 4, 13))
    c["c10"] = make_complaint(actor=q, unit=org.s1, category="attitude-rude")
    services.complaint_void(complaint=c["c10"], actor=q, reason="登记错误")
    step(at(9, 7))
    c["c6"] = make_complaint(actor=q, unit=org.s2, category="environment-clean")
    step(at(9, 7, 11))
    reply(c["c6"])
    step(at(9, 7, 12))
    visit(c["c6"], "satisfied", True)
    step(at(9, 8))
    c["c7"] = make_complaint(actor=q, unit=org.s3, category="price", channel="hotline", staff=e9)
    step(at(9, 8, 11))
    verify(c["c7"], True)
    reply(c["c7"])
    step(at(9, 9))
    c["c8"] = make_complaint(actor=q, unit=org.s3, category="attitude-rude", staff=e9)
    step(at(9, 9, 10, 30))
    verify(c["c8"], True)
    step(at(9, 10))
    c["c4"] = make_complaint(actor=q, unit=org.s1, category="service-speed", staff=e2)
    step(at(9, 10, 10, 30))
    verify(c["c4"], False)
    step(at(9, 15))
    c["c5"] = make_complaint(
        actor=q, unit=org.s1, category="attitude-rude", channel="web", staff=e2
    )
    step(at(9, 15, 10, 30))
    verify(c["c5"], True)
    step(at(9, 15, 11))
    c["c9"] = make_complaint(actor=q, unit=org.s1, category="attitude-rude", received_at=at(8, 31))
    step(NOW)
    return c


def sept(**kwargs: Any) -> AnalysisFilter:
    return AnalysisFilter(*SEPTEMBER, **kwargs)


def test_filter_period_and_buckets():
    f = sept()
    assert f.start == dt.datetime(2026, 9, 1, tzinfo=SH)
    assert f.end == dt.datetime(2026, 10, 1, tzinfo=SH)
    assert f.granularity == "day"
    assert len(f.buckets()) == 30
    long = AnalysisFilter(dt.date(2026, 8, 15), dt.date(2026, 10, 16))  # 63 days
    assert long.granularity == "month"
    assert long.buckets() == [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    assert AnalysisFilter(dt.date(2026, 8, 15), dt.date(2026, 10, 15)).granularity == "day"
    feb = analysis.month_filter(dt.date(2028, 2, 17))
    assert (feb.date_from, feb.date_to) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))


# --- The quality manager: every store --------------------------------------------------------


def test_volume_per_day_and_channel(september, people):
    v = analysis.volume_over_time(people.quality, sept())
    assert v["granularity"] == "day"
    assert v["total"] == 8
    assert v["open"] == 5  # c3 reopened, c4, c5, c7 replied without a visit, c8
    assert [(s["channel"], sum(s["counts"])) for s in v["series"]] == [
        ("desk", 5),
        ("hotline", 2),
        ("web", 1),
    ]
    desk = v["series"][0]["counts"]
    assert [i + 1 for i, n in enumerate(desk) if n] == [1, 2, 7, 9, 10]
    assert v["buckets"][0] == dt.date(2026, 9, 1)
    assert v["totals"][2] == 1  # 3 September: c3 (hotline)
    assert sum(v["totals"]) == 8


def test_volume_per_month_for_a_long_period(september, people):
    f = AnalysisFilter(dt.date(2026, 8, 1), dt.date(2026, 10, 31))
    v = analysis.volume_over_time(people.quality, f)
    assert v["granularity"] == "month"
    assert v["buckets"] == [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    assert v["totals"] == [1, 8, 0]  # c9 on 31 August (Shanghai time)


def test_pareto_top_level_and_leaf(september, people):
    with translation.override("zh-hans"):
        top = analysis.category_pareto(people.quality, sept())
    assert top["total"] == 8
    assert [(r["code"], r["count"], r["share"], r["cumulative"]) for r in top["rows"]] == [
        ("attitude", 4, 50.0, 50.0),
        ("price", 2, 25.0, 75.0),
        ("service", 1, 12.5, 87.5),
        ("environment", 1, 12.5, 100.0),
    ]
    assert top["rows"][0]["label"] == "服务态度"
    leaf = analysis.category_pareto(people.quality, sept(), level="leaf")
    assert [(r["code"], r["count"]) for r in leaf["rows"]] == [
        ("attitude-rude", 3),
        ("price", 2),
        ("service-speed", 1),
        ("attitude-ignore", 1),
        ("environment-clean", 1),
    ]


def test_category_labels_follow_the_language(september, people):
    with translation.override("en"):
        top = analysis.category_pareto(people.quality, sept())
        matrix = analysis.department_category_matrix(people.quality, sept())
    assert top["rows"][0]["label"] == "Service attitude"
    assert matrix["columns"][0]["label"] == "Service quality"


def test_by_unit(september, people, org):
    rows = analysis.by_unit(people.quality, sept())
    assert [(r["code"], r["name"], r["count"]) for r in rows] == [
        ("S1", "徐汇店", 5),
        ("S3", "天河店", 2),
        ("S2", "浦东店", 1),
    ]
    assert [r["code"] for r in analysis.by_unit(people.quality, sept(), limit=1)] == ["S1"]


def test_sla_compliance(september, people):
    sla = analysis.sla_compliance(people.quality, sept())
    assert [(r["kind"], r["met"], r["missed"], r["percent"]) for r in sla["rows"]] == [
        ("first_response", 2, 0, 100.0),
        ("update", 4, 1, 80.0),
        ("resolution", 4, 1, 80.0),
    ]
    assert (sla["met"], sla["missed"], sla["percent"]) == (10, 2, 83.3)
    assert sla["late_now"] == 5  # c3, c4, c5, c8 and c9 (received in August)


def test_substantiated_by_staff(september, people, org):
    rows = analysis.substantiated_by_staff(people.quality, sept())
    assert [(r["employee_no"], r["name"], r["unit"], r["count"]) for r in rows] == [
        ("E1", "李娜", "徐汇店", 2),
        ("E9", "陈静", "天河店", 2),
        ("E2", "王芳", "徐汇店", 1),
    ]


def test_follow_up_satisfaction(september, people):
    fu = analysis.follow_up_satisfaction(people.quality, sept())
    assert fu["total"] == 4
    assert [(c["satisfaction"], c["count"]) for c in fu["counts"]] == [
        ("satisfied", 2),
        ("basic", 1),
        ("dissatisfied", 1),
    ]
    assert fu["satisfied_percent"] == 75.0
    assert (fu["accepted"], fu["accepted_percent"]) == (3, 75.0)


def test_department_category_matrix(september, people):
    m = analysis.department_category_matrix(people.quality, sept())
    assert [c["code"] for c in m["columns"]] == [
        "service",
        "attitude",
        "environment",
        "merchandise",
        "price",
        "other",
    ]
    assert [(r["code"], r["cells"], r["total"]) for r in m["rows"]] == [
        ("S1", [1, 3, 0, 0, 0, 0], 4),
        ("D-PUR", [0, 0, 0, 0, 2, 0], 2),
        ("S2", [0, 0, 1, 0, 0, 0], 1),
        ("S3", [0, 1, 0, 0, 0, 0], 1),
    ]
    assert m["column_totals"] == [1, 4, 1, 0, 2, 0]
    assert (m["total"], m["units"]) == (8, 4)
    top = analysis.department_category_matrix(people.quality, sept(), limit=2)
    assert [r["code"] for r in top["rows"]] == ["S1", "D-PUR"]
    assert (top["total"], top["units"], top["column_totals"]) == (8, 4, [1, 4, 1, 0, 2, 0])


def test_unclassified_complaints_get_their_own_column(september, people, org, make_complaint):
    make_complaint(actor=people.quality, unit=org.s2, category=None, received_at=at(9, 20))
    with translation.override("en"):
        m = analysis.department_category_matrix(people.quality, sept())
        pareto = analysis.category_pareto(people.quality, sept())
    assert m["columns"][-1] == {"category_id": None, "code": "", "label": "Unclassified"}
    assert m["column_totals"] == [1, 4, 1, 0, 2, 0, 1]
    assert ("Unclassified", 1) in [(r["label"], r["count"]) for r in pareto["rows"]]


def test_dashboard_key_figures(september, people):
    d = analysis.dashboard(people.quality, sept())
    assert d["kpi"] == {
        "total": 8,
        "open": 5,
        "late_now": 5,
        "replied_in_time": 80.0,
        "satisfied": 75.0,
    }


# --- The store manager of S1: his store only --------------------------------------------------


def test_store_manager_counts_only_his_store(september, people):
    d = analysis.dashboard(people.store, sept())
    assert d["kpi"] == {
        "total": 5,
        "open": 3,
        "late_now": 4,
        "replied_in_time": 66.7,
        "satisfied": 66.7,
    }
    assert [(s["channel"], sum(s["counts"])) for s in d["volume"]["series"]] == [
        ("desk", 3),
        ("hotline", 1),
        ("web", 1),
    ]
    assert [(r["code"], r["count"], r["cumulative"]) for r in d["pareto"]["rows"]] == [
        ("attitude", 3, 60.0),
        ("service", 1, 80.0),
        ("price", 1, 100.0),
    ]
    assert [(r["code"], r["count"]) for r in d["units"]] == [("S1", 5)]
    assert [(r["kind"], r["met"], r["missed"]) for r in d["sla"]["rows"]] == [
        ("first_response", 1, 0),
        ("update", 2, 1),
        ("resolution", 2, 1),
    ]
    assert [(s["employee_no"], s["count"]) for s in d["staff"]] == [("E1", 2), ("E2", 1)]
    assert [c["count"] for c in d["follow_up"]["counts"]] == [1, 1, 1]
    # The price complaint from his store went to D-PUR: he still sees it, on D-PUR's row.
    assert [(r["code"], r["total"]) for r in d["matrix"]["rows"]] == [("S1", 4), ("D-PUR", 1)]


def test_outsider_sees_only_his_store(september, people):
    d = analysis.dashboard(people.outsider, sept())
    assert d["kpi"]["total"] == 2
    assert [(r["code"], r["count"]) for r in d["units"]] == [("S3", 2)]
    assert [(s["employee_no"], s["count"]) for s in d["staff"]] == [("E9", 2)]


def test_user_without_the_right_counts_nothing(september, org):
    from tests.conftest import make_user

    nobody = make_user("nobody", None, None)
    d = analysis.dashboard(nobody, sept())
    assert d["kpi"] == {
        "total": 0,
        "open": 0,
        "late_now": 0,
        "replied_in_time": None,
        "satisfied": None,
    }
    assert d["matrix"]["rows"] == []


# --- Filters ----------------------------------------------------------------------------------


def test_unit_filter_takes_the_subtree(september, people, org):
    s1 = analysis.dashboard(people.quality, sept(unit=org.s1))
    assert s1["kpi"]["total"] == 5
    r1 = analysis.volume_over_time(people.quality, sept(unit=org.r1))
    assert r1["total"] == 6  # S1's five and S2's one
    dpur = analysis.volume_over_time(people.quality, sept(unit=september["dpur"]))
    assert dpur["total"] == 2  # the price complaints it handles


def test_channel_and_category_filters(september, people):
    assert analysis.volume_over_time(people.quality, sept(channel="hotline"))["total"] == 2
    attitude = analysis.category_pareto(people.quality, sept(category="attitude"), level="leaf")
    assert [(r["code"], r["count"]) for r in attitude["rows"]] == [
        ("attitude-rude", 3),
        ("attitude-ignore", 1),
    ]
    assert analysis.volume_over_time(people.quality, sept(category="attitude-rude"))["total"] == 3
    assert analysis.volume_over_time(people.quality, sept(category="no-such"))["total"] == 0
    late = analysis.sla_compliance(people.quality, sept(category="attitude"))["late_now"]
    assert late == 3  # c5, c8 and c9


def test_empty_period(september, people):
    f = AnalysisFilter(dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    d = analysis.dashboard(people.quality, f)
    assert d["kpi"]["total"] == 0
    assert d["volume"]["series"] == []
    assert d["volume"]["totals"] == [0] * 31
    assert d["pareto"] == {"level": "top", "rows": [], "total": 0}
    assert d["sla"]["rows"] == []
    assert d["sla"]["late_now"] == 5


# --- Cost -------------------------------------------------------------------------------------


def test_dashboard_query_count(september, people, django_assert_num_queries):
    f = sept()
    # categories; volume; pareto; units + names; clocks + late now; staff + names; visits;
    # matrix + names. The user's grants were read before (once per request).
    analysis.categories(f)
    analysis.dashboard(people.store, f)
    f = sept()
    with django_assert_num_queries(12):
        analysis.dashboard(people.store, f)


def test_the_analyses_of_a_period_read_the_covering_index_alone(september, people):
    """Over a million complaints every analysis of a quarter visited its rows one by one (8 s
    for the dashboard on SQLite); the covering index answers them from itself. On PostgreSQL
    the planner's choice depends on the table's visibility map, so there the test holds the
    grouping to the bare columns (the unary plus is SQLite's way to keep off an index)."""
    with CaptureQueriesContext(connection) as seen:
        analysis.dashboard(people.quality, sept())
    period = [q["sql"] for q in seen.captured_queries if '"received_at" >=' in q["sql"]]
    assert len(period) == 7
    grouped = [sql for sql in period if '+"complaints_complaint"' in sql]
    if connection.vendor != "sqlite":
        assert grouped == []
        return
    assert len(grouped) == 2  # by unit, and the department × category matrix
    for sql in period:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            steps = [row[3] for row in cursor.fetchall()]
        # The complaints, read in the query itself or in its subquery (U0, V0).
        reads = [s for s in steps if s.split()[1] in ("complaints_complaint", "U0", "V0")]
        assert reads, steps
        assert all("USING COVERING INDEX complaint_analysis" in s for s in reads), (sql, steps)


# --- Shared figures ----------------------------------------------------------------------------


def test_cached_figures_are_renewed_by_one_request_at_a_time(
    september, people, org, make_complaint, time_machine
):
    from django.core.cache import cache

    first = analysis.dashboard_cached(people.store, sept())
    assert (first["kpi"]["total"], first["as_of"]) == (5, NOW)
    make_complaint(actor=people.quality, unit=org.s1, received_at=at(9, 20))
    assert analysis.dashboard_cached(people.store, sept())["kpi"]["total"] == 5  # still fresh
    assert analysis.dashboard_cached(people.outsider, sept())["kpi"]["total"] == 2  # own scope
    time_machine.move_to(NOW + dt.timedelta(seconds=analysis.CACHE_SECONDS + 1), tick=False)
    # Another request is computing them again: this one gets the old figures meanwhile...
    lock = analysis._cache_key(people.store, sept(), 30) + ":lock"
    assert cache.add(lock, 1)
    assert analysis.dashboard_cached(people.store, sept())["kpi"]["total"] == 5
    cache.delete(lock)
    # ...and once nobody is, the next request computes them and lets go of the lock.
    renewed = analysis.dashboard_cached(people.store, sept())
    assert renewed["kpi"]["total"] == 6
    assert renewed["as_of"] == NOW + dt.timedelta(seconds=analysis.CACHE_SECONDS + 1)
    assert cache.get(lock) is None


def test_cached_figures_of_another_shape_are_ignored(september, people):
    from django.core.cache import cache

    cache.set(analysis._cache_key(people.store, sept(), 30), {"kpi": "from an old version"})
    assert analysis.dashboard_cached(people.store, sept())["kpi"]["total"] == 5
