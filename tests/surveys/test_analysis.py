"""Campaign results from stored responses, checked against the same figures computed here by
another route (pandas), and the anonymity rules: a group of four cannot be seen, nor recovered
by subtracting one shown group from another."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from django.utils import translation

from sqms.common.errors import NotFound
from sqms.surveys import analysis
from sqms.surveys.models import Audience, RespondentGroup
from tests.surveys.conftest import DIM_OF_ITEM, DIMS, employee_answers, servqual_answers


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def servqual_data(make_campaign, submit, org):
    """30 customers over S1, S2, S3 with a reliability gap; 6 managers predicting expectations."""
    campaign = make_campaign()
    rng = np.random.default_rng(5)
    table = []
    for i in range(30):
        unit = [org.s1, org.s2, org.s3][i % 3]
        e = rng.integers(5, 8, size=22).tolist()
        p = [
            max(
                1,
                min(
                    7, x - (2 if DIM_OF_ITEM[j] == "reliability" else 0) + int(rng.integers(-1, 2))
                ),
            )
            for j, x in enumerate(e)
        ]
        w = [10, 40, 20, 15, 15] if i % 2 else [20, 20, 20, 20, 20]
        overall = int(np.clip(round(np.mean(p)), 1, 7))
        submit(campaign, servqual_answers(e, p, w, overall), unit)
        table.append({"unit": unit.code, "e": e, "p": p, "w": w, "overall": overall})
    for _ in range(6):
        submit(campaign, servqual_answers(4, 4), org.s1, group=RespondentGroup.MANAGEMENT)
    return campaign, table


def test_servqual_results_match_pandas(servqual_data, people) -> None:
    campaign, table = servqual_data
    res = analysis.campaign_results(people.quality, campaign)
    sq = res.figures["servqual"]
    assert sq["n"] == 30  # the managers are not customers
    gaps = pd.DataFrame([np.array(r["p"]) - np.array(r["e"]) for r in table])
    per_dim = pd.DataFrame(
        {d: gaps.loc[:, [j for j in range(22) if DIM_OF_ITEM[j] == d]].mean(axis=1) for d in DIMS}
    )
    expected = per_dim.mean()
    for row in sq["dimensions"]:
        assert row["gap"]["value"] == pytest.approx(expected[row["code"]], abs=1e-12)
        assert row["gap"]["n"] == 30
    assert sq["unweighted"]["value"] == pytest.approx(expected.mean(), abs=1e-12)
    weights = pd.DataFrame([r["w"] for r in table], columns=DIMS).mean() / 100
    assert sq["weighted"]["value"] == pytest.approx(float((weights * expected).sum()), abs=1e-12)
    assert sq["weighting"] == "mean_weights"
    worst = min(sq["dimensions"], key=lambda d: d["gap"]["value"])
    assert worst["code"] == "reliability"
    assert [i["gap"]["value"] for i in sq["items"]] == pytest.approx(
        gaps.mean().tolist(), abs=1e-12
    )
    # Gap 1: managers (all 4) against customers' own expectations, per dimension.
    gap1 = {g["code"]: g for g in sq["gap1"]}
    cust_e = pd.DataFrame([r["e"] for r in table])
    rel = cust_e.loc[:, [j for j in range(22) if DIM_OF_ITEM[j] == "reliability"]].mean(axis=1)
    assert gap1["reliability"]["difference"] == pytest.approx(4 - rel.mean(), abs=1e-12)
    assert (gap1["reliability"]["n_managers"], gap1["reliability"]["n_customers"]) == (6, 30)
    assert sq["ipa"]["crosshair"] == "means"
    assert {r["code"] for r in sq["ipa"]["rows"]} == set(DIMS)
    assert sq["drivers"]["n"] == 30


def test_gap_3_comes_from_the_published_mystery_shopper_visits(servqual_data, people, org):
    # Delivery against the standards: the published mystery-shopper visits of the campaign's
    # window under the group (an unpublished one is still covert and not shown).
    from sqms.inspections import services as inspections
    from sqms.inspections.models import Kind, Photo
    from tests.inspections.factories import fill, mini_template, photo

    campaign, _table = servqual_data
    res = analysis.campaign_results(people.quality, campaign)
    assert res.figures["servqual"]["gap3"] is None
    template = mini_template(people.quality)

    def visit(unit, **found):
        i = inspections.inspection_start(
            actor=people.inspector, template=template, unit=unit, kind=Kind.MYSTERY
        )
        i = fill(i, people.inspector, **found)
        inspections.photo_add(
            actor=people.inspector, inspection=i, file=photo(), role=Photo.Role.RECEIPT
        )
        return inspections.inspection_submit(actor=people.inspector, inspection=i)

    for unit, found in ((org.s1, {"A1": 1}), (org.s3, {})):
        inspections.inspection_publish(actor=people.quality, inspection=visit(unit, **found))
    visit(org.s2, A1=5)  # not published
    gap3 = analysis.campaign_results(people.quality, campaign).figures["servqual"]["gap3"]
    assert [(u["unit"], u["n"], float(u["mean_percent"])) for u in gap3["units"]] == [
        ("天河店", 1, 100.0),
        ("徐汇店", 1, 93.33),
    ]
    assert (gap3["n"], float(gap3["mean_percent"])) == (2, pytest.approx(96.665))


def test_units_compared_with_small_ones_unranked(servqual_data, people) -> None:
    campaign, _table = servqual_data
    res = analysis.campaign_results(people.quality, campaign)
    rows = res.figures["comparison"]["rows"]
    # Below HQ: R1 (S1 + S2 + managers) and R2 (S3), each well over 5.
    assert sorted(r["unit"].code for r in rows) == ["R1", "R2"]
    assert all(r["rank"] in (1, 2) and not r["small"] for r in rows)
    r1 = analysis.campaign_results(
        people.quality,
        campaign,
        unit_id=rows[0]["unit"].pk if rows[0]["unit"].code == "R1" else rows[1]["unit"].pk,
    )
    assert sorted(r["unit"].code for r in r1.figures["comparison"]["rows"]) == ["S1", "S2"]


def test_region_reads_only_its_stores(servqual_data, people, org) -> None:
    campaign, table = servqual_data
    res = analysis.campaign_results(people.region, campaign)
    assert res.root == org.r1
    assert res.figures["servqual"]["n"] == sum(1 for r in table if r["unit"] in ("S1", "S2"))
    with pytest.raises(NotFound):
        analysis.campaign_results(people.region, campaign, unit_id=org.s3.pk)


@pytest.fixture
def anonymous_campaign(make_campaign, submit, org):
    campaign = make_campaign("employee-satisfaction", audience=Audience.STAFF)
    for unit, n, score in [(org.s1, 6, 4), (org.s2, 4, 1), (org.s3, 9, 3)]:
        for _ in range(n):
            submit(campaign, employee_answers(score, score), unit)
    return campaign


def test_a_group_of_four_is_not_shown(anonymous_campaign, people, org) -> None:
    res = analysis.campaign_results(people.quality, anonymous_campaign, unit_id=org.s2.pk)
    assert res.suppressed is True
    assert (res.n, res.figures) == (0, {})


def test_a_group_of_four_cannot_be_recovered_by_differencing(
    anonymous_campaign, people, org
) -> None:
    # R1 (10) is shown; if S1 (6) were too, R1 − S1 would give S2's four answers.
    r1 = analysis.campaign_results(people.quality, anonymous_campaign, unit_id=org.r1.pk)
    s1 = analysis.campaign_results(people.quality, anonymous_campaign, unit_id=org.s1.pk)
    assert (r1.suppressed, r1.n) == (False, 10)
    assert s1.suppressed is True and s1.figures == {}
    shown = {u["unit"].code for u in r1.units}
    assert shown == {"HQ", "R1", "R2", "S3"}
    assert r1.figures["comparison"]["rows"] == []  # no store of R1 may be shown beside it
    # The store manager of S1 holds results on S1 only: nothing to see there either.
    own = analysis.campaign_results(people.store, anonymous_campaign)
    assert own.suppressed is True


def test_anonymous_region_figures_are_whole_groups(anonymous_campaign, people, org) -> None:
    res = analysis.campaign_results(people.quality, anonymous_campaign)
    assert res.n == 19
    overall = next(i for i in res.figures["items"] if i["code"] == "overall")
    assert overall["value"] == pytest.approx((6 * 4 + 4 * 1 + 9 * 3) / 19)
    assert sorted(r["unit"].code for r in res.figures["comparison"]["rows"]) == ["R1", "R2"]
    assert res.figures["satisfaction"]["n"] == 19
    assert res.figures["satisfaction"]["count"] == 6


def test_employee_dimensions_alpha_and_drivers(make_campaign, submit, org, people) -> None:
    campaign = make_campaign("employee-satisfaction", audience=Audience.STAFF)
    rng = np.random.default_rng(1)
    for i in range(40):
        base = int(rng.integers(2, 6))
        answers = employee_answers(base, base)
        answers["pay_1"] = int(rng.integers(1, 6))
        submit(campaign, answers, [org.s1, org.s3][i % 2])
    res = analysis.campaign_results(people.quality, campaign)
    dims = {d["code"]: d for d in res.figures["dimensions"]}
    assert len(dims) == 11
    assert dims["environment"]["alpha"]["raw"] == pytest.approx(1.0)
    assert dims["pay"]["alpha"]["k"] == 2
    assert res.figures["drivers"]["n"] == 40
    assert math.isfinite(res.figures["drivers"]["r2"])


def test_trend_across_waves(make_campaign, submit, org, people) -> None:
    import datetime as dt

    from tests.surveys.conftest import TODAY

    first = make_campaign(
        "csi-retail", name="Spring", opens_on=TODAY - dt.timedelta(days=60), closes_on=TODAY
    )
    second = make_campaign("csi-retail", name="Summer")
    answers = {
        "quality": 4,
        "price": 3,
        "attitude": 5,
        "speed": 4,
        "environment": 4,
        "complaint": 4,
        "overall": 4,
        "recommend": 9,
        "visit": "weekly",
    }
    for _ in range(5):
        submit(first, answers, org.s1)
        submit(second, answers | {"attitude": 3}, org.s1)
    trend = analysis.campaign_trend(people.quality, second)
    assert trend["waves"] == ["Spring", "Summer"]
    [series] = trend["series"]
    assert series["unit"] == org.r1
    spring, summer = series["points"]
    assert spring["value"] == pytest.approx(
        (4 * 0.25 + 3 * 0.15 + 5 * 0.2 + 4 * 0.15 + 4 * 0.15 + 4 * 0.1 - 1) / 4 * 100
    )
    assert summer["value"] < spring["value"]
    assert spring["n"] == 5
