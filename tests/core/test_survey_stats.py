"""sqms.core.survey_stats against independent references: published figures (R plspm's output on
its `satisfaction` data, Newcombe's 1998 Wilson intervals, Cochran's textbook sample sizes) and
formulas written out here by another route (pandas, closed forms, numpy's least squares, SVD)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sqms.core import survey_stats as ss

ORACLE = Path(__file__).resolve().parents[2].parent / "shared" / "oracles" / "plspm_satisfaction"
NAN = float("nan")


# --- Cronbach's alpha -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def satisfaction() -> pd.DataFrame:
    if not (ORACLE / "satisfaction.csv").exists():
        pytest.skip(f"the plspm oracle data is not at {ORACLE}")
    return pd.read_csv(ORACLE / "satisfaction.csv", index_col=0)


BLOCKS = {"IMAG": 5, "EXPE": 5, "QUAL": 5, "VAL": 4, "SAT": 4, "LOY": 4}


def test_standardised_alpha_matches_r_plspm_on_its_satisfaction_data(satisfaction) -> None:
    # plspm reports the alpha of the standardised block: our `standardised`, to 1e-12.
    published = pd.read_csv(ORACLE / "satisfaction_unidim.csv", index_col=0)
    for block, k in BLOCKS.items():
        items = satisfaction[[f"{block.lower()}{i}" for i in range(1, k + 1)]].to_numpy()
        alpha = ss.cronbach_alpha(items)
        assert alpha.k == k
        assert alpha.n == 250
        assert alpha.standardised == pytest.approx(
            published.loc[block, "cronbach_alpha"], abs=1e-12
        )


def test_raw_alpha_matches_the_covariance_formula(satisfaction) -> None:
    # Another route: α = k/(k−1)·(1 − tr(C)/ΣC) from the covariance matrix (pandas).
    for block, k in BLOCKS.items():
        items = satisfaction[[f"{block.lower()}{i}" for i in range(1, k + 1)]]
        cov = items.cov().to_numpy()
        expected = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
        assert ss.cronbach_alpha(items.to_numpy()).raw == pytest.approx(expected, abs=1e-12)


def test_item_means_and_intervals_match_pandas_and_scipy(satisfaction) -> None:
    items = satisfaction[["sat1", "sat2", "sat3", "sat4"]]
    for est, col in zip(ss.column_means_ci(items.to_numpy()), items.columns, strict=True):
        x = items[col]
        low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=x.sem())
        assert (est.n, est.value) == (250, pytest.approx(x.mean(), abs=1e-12))
        assert (est.low, est.high) == (
            pytest.approx(low, abs=1e-12),
            pytest.approx(high, abs=1e-12),
        )


def test_alpha_listwise_and_readings() -> None:
    x = np.array([[1, 2, 3], [2, 3, 4], [3, 3, 5], [4, 5, NAN]], dtype=float)
    assert ss.cronbach_alpha(x).n == 3
    assert ss.cronbach_alpha(x[:, :1]).raw != ss.cronbach_alpha(x[:, :1]).raw  # k=1: NaN
    table = [(0.95, "excellent"), (0.85, "good"), (0.7, "acceptable"), (0.65, "questionable")]
    for value, label in [*table, (0.2, "poor"), (NAN, "n/a")]:
        assert ss.alpha_reading(value) == label


# --- Intervals and rates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    # Newcombe (1998), Statistics in Medicine 17, table I, method 3 (Wilson score).
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611)],
)
def test_wilson_interval_matches_newcombe_1998(count: int, n: int, low: float, high: float) -> None:
    rate = ss.proportion(count, n, ss.RateDefinition.SATISFIED_SHARE)
    assert (round(rate.low, 4), round(rate.high, 4)) == (low, high)


def test_wilson_interval_matches_its_closed_form() -> None:
    for count, n in [(3, 7), (45, 50), (500, 1000)]:
        z = stats.norm.ppf(0.975)
        p = count / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        rate = ss.proportion(count, n, ss.RateDefinition.SATISFIED_SHARE)
        assert rate.low == pytest.approx(centre - half, abs=1e-12)
        assert rate.high == pytest.approx(centre + half, abs=1e-12)


def test_the_two_satisfaction_rates_differ_on_neutral_answers() -> None:
    answers = [5, 5, 4, 3, 3, 2, 1, NAN]  # 5-point: satisfied ≥ 4, dissatisfied ≤ 2
    share = ss.satisfaction_rate(
        answers, definition=ss.RateDefinition.SATISFIED_SHARE, satisfied_min=4, dissatisfied_max=2
    )
    not_dis = ss.satisfaction_rate(
        answers, definition=ss.RateDefinition.NOT_DISSATISFIED, satisfied_min=4, dissatisfied_max=2
    )
    assert (share.count, share.n, share.value) == (3, 7, 3 / 7)
    assert (not_dis.count, not_dis.n, not_dis.value) == (5, 7, 5 / 7)
    assert not_dis.definition == "not_dissatisfied"


def test_nps_counts_and_interval() -> None:
    answers = [10, 9, 9, 8, 7, 6, 0, 3, 10, 10]
    result = ss.nps(answers)
    assert (result.promoters, result.passives, result.detractors, result.n) == (5, 2, 3, 10)
    assert result.value == pytest.approx(20.0)
    pp, pd_ = 0.5, 0.3
    se = math.sqrt((pp + pd_ - 0.04) / 10)
    assert result.high == pytest.approx(100 * (0.2 + 1.959963984540054 * se))
    assert ss.nps([]).n == 0


# --- SERVQUAL -------------------------------------------------------------------------------

DIMS = ["tangibles", "reliability"]
ITEM_DIMS = ["tangibles", "tangibles", "reliability"]


def test_servqual_by_hand() -> None:
    e = np.array([[7, 6, 7], [6, 6, 5], [5, NAN, 6]], dtype=float)
    p = np.array([[5, 6, 4], [6, 5, 5], [4, 3, 6]], dtype=float)
    w = np.array([[40, 60], [50, 50], [30, 30]], dtype=float)  # the third does not sum to 100
    result = ss.servqual(e, p, ITEM_DIMS, DIMS, importance=w)
    assert [i.gap.value for i in result.items] == [-1.0, -0.5, -1.0]
    assert [i.gap.n for i in result.items] == [3, 2, 3]
    # Respondent dimension scores: tangibles (−1, −0.5, −1), reliability (−3, 0, 0).
    tang, rel = result.dimensions
    assert tang.gap.value == pytest.approx(-2.5 / 3)
    assert rel.gap.value == pytest.approx(-1.0)
    assert result.unweighted.value == pytest.approx((-2.5 / 3 - 1) / 2)
    assert (tang.weight, rel.weight) == (pytest.approx(0.45), pytest.approx(0.55))
    assert result.weighting == ss.Weighting.MEAN_WEIGHTS
    assert result.weighted is not None
    assert result.weighted.value == pytest.approx(0.45 * (-2.5 / 3) + 0.55 * -1.0)
    per = ss.servqual(e, p, ITEM_DIMS, DIMS, importance=w, weighting=ss.Weighting.PER_RESPONDENT)
    assert per.weighted is not None
    # Only the two valid allocations: (0.4·−1 + 0.6·−3) and (0.5·−0.5 + 0.5·0).
    assert per.weighted.value == pytest.approx(((-0.4 - 1.8) + (-0.25)) / 2)
    assert per.weighted.n == 2
    assert result.n == 3


def test_servqual_dimension_scores_match_a_pandas_groupby() -> None:
    rng = np.random.default_rng(7)
    n, k = 400, 22
    dims = ["T"] * 4 + ["R"] * 5 + ["S"] * 4 + ["A"] * 4 + ["E"] * 5
    e = rng.integers(1, 8, size=(n, k)).astype(float)
    p = rng.integers(1, 8, size=(n, k)).astype(float)
    e[rng.random((n, k)) < 0.05] = NAN
    result = ss.servqual(e, p, dims, ["T", "R", "S", "A", "E"])
    long = pd.DataFrame(p - e).melt(ignore_index=False, var_name="item", value_name="gap")
    long["dim"] = [dims[j] for j in long["item"]]
    per_resp = long.dropna().groupby([long.dropna().index, "dim"])["gap"].mean()
    expected = per_resp.groupby(level="dim").mean()
    for d in result.dimensions:
        assert d.gap.value == pytest.approx(expected[d.code], abs=1e-12)
    assert result.unweighted.value == pytest.approx(expected.mean(), abs=1e-12)


def test_reverse_scoring_8_minus_x() -> None:
    x = np.array([[1, 7, NAN], [4, 2, 3]], dtype=float)
    out = ss.reverse_scored(x, [1, 2], 1, 7)
    assert out.tolist()[1] == [4, 6, 5]
    assert out[0, 1] == 1 and math.isnan(out[0, 2])


def test_gap_one_is_managers_minus_customers_with_welch() -> None:
    customers, managers = [6, 7, 6, 5, 7, 6], [5, 5, 4, 6]
    gap = ss.expectation_gap(customers, managers)
    reference = stats.ttest_ind(managers, customers, equal_var=False)
    assert gap.difference == pytest.approx(5.0 - 37 / 6)
    assert gap.p_value == pytest.approx(reference.pvalue)
    assert (gap.n_a, gap.n_b) == (4, 6)


# --- CSI ------------------------------------------------------------------------------------


def test_csi_weighted_indicator_means_rescaled() -> None:
    x = np.array([[5, 4, 3], [4, 4, 5], [3, NAN, 4]], dtype=float)
    result = ss.csi(x, [0.5, 0.3, 0.2], 1, 5)
    means = [4.0, 4.0, 4.0]
    assert result.value == pytest.approx(
        (sum(w * m for w, m in zip([0.5, 0.3, 0.2], means, strict=True)) - 1) / 4 * 100
    )
    assert result.n == 3
    assert (result.scale_min, result.scale_max) == (1, 5)


def test_acsi_score_formula() -> None:
    scores = ss.acsi_score([[10, 10, 10], [1, 1, 1], [8, 7, 9]], [1, 1, 2])
    assert scores.tolist() == pytest.approx([100.0, 0.0, ((7 + 6) * 0.25 + 8 * 0.5) / 9 * 100])


# --- Key drivers ----------------------------------------------------------------------------


def _johnson_by_svd(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson (2000) as he wrote it: Z = UVᵀ from X's SVD, regress y on Z, Λ = regression of
    X on Z; an independent route from the eigen-decomposition the module uses."""
    zx = (x - x.mean(0)) / x.std(0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    u, _s, vt = np.linalg.svd(zx, full_matrices=False)
    z = u @ vt
    z = z / z.std(0, ddof=1)
    beta = np.linalg.lstsq(z, zy, rcond=None)[0]
    lam = np.linalg.lstsq(z, zx, rcond=None)[0]
    return (lam.T**2) @ (beta**2)


def test_key_drivers_against_least_squares_and_johnson_by_svd() -> None:
    rng = np.random.default_rng(11)
    n = 300
    a = rng.normal(size=n)
    x = np.column_stack([a, a * 0.8 + rng.normal(scale=0.6, size=n), rng.normal(size=n)])
    y = 0.5 * x[:, 0] + 0.3 * x[:, 1] + 0.2 * x[:, 2] + rng.normal(scale=0.7, size=n)
    result = ss.key_drivers(y, x, ["a", "b", "c"])
    zx = (x - x.mean(0)) / x.std(0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    beta = np.linalg.lstsq(zx, zy, rcond=None)[0]
    r2 = 1 - ((zy - zx @ beta) ** 2).sum() / (zy**2).sum()
    assert result.beta == pytest.approx(beta.tolist(), abs=1e-10)
    assert result.r_squared == pytest.approx(r2, abs=1e-12)
    assert sum(result.relative_weights) == pytest.approx(r2, abs=1e-10)
    assert result.relative_weights == pytest.approx(_johnson_by_svd(x, y).tolist(), abs=1e-10)
    assert sum(result.shares) == pytest.approx(1.0)
    assert result.n == n


def test_relative_weights_of_uncorrelated_predictors_are_squared_correlations() -> None:
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(200, 2)))
    x = q - q.mean(0)
    x, _ = np.linalg.qr(x - x.mean(0))
    y = x @ np.array([2.0, 1.0]) + rng.normal(scale=0.05, size=200)
    result = ss.key_drivers(y, x, ["a", "b"])
    r = [np.corrcoef(x[:, j], y)[0, 1] ** 2 for j in range(2)]
    assert result.relative_weights == pytest.approx(r, abs=1e-3)


def test_key_drivers_need_more_cases_than_predictors() -> None:
    result = ss.key_drivers([1, 2, 3], [[1, 2], [2, 1], [3, 3]], ["a", "b"])
    assert result.n == 3 and math.isnan(result.r_squared)


# --- IPA ------------------------------------------------------------------------------------

IMP = {
    "tangibles": 0.10,
    "reliability": 0.32,
    "responsiveness": 0.22,
    "assurance": 0.19,
    "empathy": 0.17,
}
PERF = {
    "tangibles": 5.9,
    "reliability": 4.6,
    "responsiveness": 5.4,
    "assurance": 5.8,
    "empathy": 5.0,
}


def test_ipa_grand_means_crosshair() -> None:
    ipa = ss.ipa_quadrants(IMP, PERF, crosshair=ss.Crosshair.MEANS)
    assert ipa.importance_cut == pytest.approx(0.2)
    assert ipa.quadrants == {
        "tangibles": ss.Quadrant.POSSIBLE_OVERKILL,
        "reliability": ss.Quadrant.CONCENTRATE_HERE,
        "responsiveness": ss.Quadrant.KEEP_UP,
        "assurance": ss.Quadrant.POSSIBLE_OVERKILL,
        "empathy": ss.Quadrant.LOW_PRIORITY,
    }


def test_ipa_midpoint_crosshair_changes_the_result() -> None:
    ipa = ss.ipa_quadrants(
        IMP, PERF, crosshair=ss.Crosshair.MIDPOINT, importance_mid=0.2, performance_mid=4.0
    )
    assert ipa.quadrants["reliability"] == ss.Quadrant.KEEP_UP
    assert ipa.quadrants["empathy"] == ss.Quadrant.POSSIBLE_OVERKILL
    with pytest.raises(ValueError):
        ss.ipa_quadrants(IMP, PERF, crosshair=ss.Crosshair.MIDPOINT)


# --- Comparing units ------------------------------------------------------------------------


def test_compare_groups_anova_by_hand_and_small_groups_unranked() -> None:
    groups = {
        "S1": [5, 4, 5, 4, 5, 5],
        "S2": [3, 2, 3, 4, 3, 2, 3],
        "S3": [4, 4, 3, 5, 4],
        "S4": [1, 1, 1, 1],  # too small to rank
    }
    result = ss.compare_groups(groups, min_n=5)
    big = [np.array(groups[c], dtype=float) for c in ("S1", "S2", "S3")]
    grand = np.concatenate(big).mean()
    ssb = sum(len(g) * (g.mean() - grand) ** 2 for g in big)
    ssw = sum(((g - g.mean()) ** 2).sum() for g in big)
    f = (ssb / 2) / (ssw / (18 - 3))
    assert result.anova_f == pytest.approx(f)
    assert result.anova_p == pytest.approx(stats.f.sf(f, 2, 15))
    assert [(g.code, g.rank, g.small) for g in result.groups] == [
        ("S1", 1, False),
        ("S3", 2, False),
        ("S2", 3, False),
        ("S4", None, True),
    ]
    assert math.isnan(result.groups[3].p_vs_rest)
    assert result.groups[3].estimate.value == 1.0


def test_compare_rates_chi_square() -> None:
    chi2, p = ss.compare_rates({"S1": (40, 50), "S2": (30, 50)})
    # 2×2 without continuity correction: χ² = N(ad − bc)²/(r1 r2 c1 c2).
    expected = 100 * (40 * 20 - 10 * 30) ** 2 / (50 * 50 * 70 * 30)
    assert chi2 == pytest.approx(expected)
    assert p == pytest.approx(stats.chi2.sf(expected, 1))


# --- Sample size ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("margin", "confidence", "population", "expected"),
    # Textbook figures: 385 for ±5% at 95%; 278 of 1,000; 218 of 500 (217.5 up); 1,068 for ±3%.
    [
        (0.05, 0.95, None, 385),
        (0.05, 0.95, 1000, 278),
        (0.05, 0.95, 500, 218),
        (0.03, 0.95, None, 1068),
    ],
)
def test_cochran(margin: float, confidence: float, population: int | None, expected: int) -> None:
    assert ss.cochran_sample_size(margin, confidence, population=population) == expected


def test_cochran_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        ss.cochran_sample_size(0, 0.95)
    with pytest.raises(ValueError):
        ss.cochran_sample_size(0.05, 0.95, population=0)


def test_stratified_allocation_proportional_and_neyman() -> None:
    assert ss.stratified_allocation(100, {"a": 600, "b": 300, "c": 100}) == {
        "a": 60,
        "b": 30,
        "c": 10,
    }
    neyman = ss.stratified_allocation(100, {"a": 500, "b": 500}, {"a": 1.0, "b": 3.0})
    assert neyman == {"a": 25, "b": 75}
    assert ss.stratified_allocation(50, {"a": 10, "b": 1000}) == {"a": 1, "b": 50}


@given(
    margin=st.floats(0.01, 0.2),
    population=st.integers(1, 100_000),
)
def test_cochran_finite_population_never_exceeds_it(margin: float, population: int) -> None:
    n = ss.cochran_sample_size(margin, population=population)
    assert 1 <= n <= population
    assert n <= ss.cochran_sample_size(margin)


# --- Anonymity ------------------------------------------------------------------------------

TREE = {"HQ": None, "R1": "HQ", "R2": "HQ", "S1": "R1", "S2": "R1", "S3": "R2"}


def test_a_group_of_four_is_hidden_and_cannot_be_recovered_by_differencing() -> None:
    # R1 = S1 (6) + S2 (4): showing R1 and S1 would give S2's four by subtraction.
    shown = ss.publishable_groups(TREE, {"S1": 6, "S2": 4, "S3": 9})
    assert "S2" not in shown
    assert "S1" not in shown
    assert shown == {"HQ", "R1", "R2", "S3"}


def test_differencing_the_top_is_blocked_too() -> None:
    # HQ has 3 answers of its own: HQ − R1 − R2 would give those three.
    shown = ss.publishable_groups(TREE, {"HQ": 3, "S1": 6, "S2": 5, "S3": 9})
    assert "HQ" in shown
    residual = 23 - sum(t for n, t in {"R1": 11, "R2": 9}.items() if n in shown)
    assert residual == 0 or residual >= 5


def _subtree_totals(parent: dict[str, str | None], own: dict[str, int]) -> dict[str, int]:
    totals = dict.fromkeys(parent, 0)
    for node, count in own.items():
        cur: str | None = node
        while cur is not None:
            totals[cur] += count
            cur = parent[cur]
    return totals


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_derivable_group_has_zero_or_at_least_k(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 12))
    parent: dict[str, str | None] = {"n0": None}
    for i in range(1, size):
        parent[f"n{i}"] = f"n{data.draw(st.integers(0, i - 1))}"
    own = {node: data.draw(st.integers(0, 9)) for node in parent}
    shown = ss.publishable_groups(parent, own, k=5)
    totals = _subtree_totals(parent, own)
    for node in shown:
        assert totals[node] >= 5
        # The nearest shown descendants of a shown node leave 0 or ≥ 5 people uncovered.
        nearest: list[str] = []
        stack = [c for c, p in parent.items() if p == node]
        while stack:
            c = stack.pop()
            if c in shown:
                nearest.append(c)
            else:
                stack.extend(cc for cc, p in parent.items() if p == c)
        residual = totals[node] - sum(totals[c] for c in nearest)
        assert residual == 0 or residual >= 5
