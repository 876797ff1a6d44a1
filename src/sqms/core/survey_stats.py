"""Survey statistics: SERVQUAL gaps, CSI, satisfaction rates, NPS, Cronbach's alpha, key drivers,
importance-performance quadrants, unit comparisons, sample sizes, and the small-group suppression
that keeps anonymous results anonymous.

Pure functions on numpy arrays (NaN = no answer). Distributions, tests, intervals and regressions
come from scipy and statsmodels; what is written here is only the bookkeeping the literature
defines on top of them. Sources, as cited in each function:

- Parasuraman, Zeithaml & Berry (1988), "SERVQUAL: a multiple-item scale ...", J. Retailing 64(1);
  (1991) "Refinement and reassessment of the SERVQUAL scale", J. Retailing 67(4);
  Cronin & Taylor (1992) for SERVPERF.
- Fornell et al. (1996), "The American Customer Satisfaction Index", J. Marketing 60(4).
- Wilson (1927), "Probable inference ...", JASA 22 (the score interval).
- Reichheld (2003), "The one number you need to grow", HBR (NPS).
- Cronbach (1951), "Coefficient alpha and the internal structure of tests", Psychometrika 16.
- Johnson (2000), "A heuristic method for estimating the relative weight of predictor variables
  in multiple regression", Multivariate Behavioral Research 35(1).
- Martilla & James (1977), "Importance-performance analysis", J. Marketing 41(1).
- Cochran (1977), Sampling Techniques, 3rd ed., ch. 4-5.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

FloatArray = npt.NDArray[np.float64]
NAN = float("nan")

#: Fewest respondents behind any figure of an anonymous survey (and the smallest sample a
#: ranking of units takes seriously).
MIN_GROUP = 5


def _as_matrix(values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    return array.reshape(-1, 1) if array.ndim == 1 else array


def _as_vector(values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[~np.isnan(array)]


# --- Means with intervals -------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A mean (or index) with its sample size and a two-sided t interval; NaN where n is too
    small to say (no value without answers, no interval with one answer)."""

    value: float
    n: int
    low: float
    high: float
    sd: float = NAN

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def mean_ci(values: npt.ArrayLike, confidence: float = 0.95) -> Estimate:
    """The mean of the answers given (NaN skipped) with a Student t interval."""
    x = _as_vector(values)
    return (
        column_means_ci(x.reshape(-1, 1), confidence)[0] if x.size else Estimate(NAN, 0, NAN, NAN)
    )


def column_means_ci(matrix: npt.ArrayLike, confidence: float = 0.95) -> list[Estimate]:
    """Per column of a respondents × items matrix: mean, n and t interval, NaN skipped.
    Vectorised: one pass over the matrix for the counts, sums and sums of squares."""
    x = _as_matrix(matrix)
    present = ~np.isnan(x)
    n = present.sum(axis=0)
    filled = np.where(present, x, 0.0)
    total = filled.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        centred = np.where(present, x - mean, 0.0)
        var = (centred * centred).sum(axis=0) / (n - 1)
        sd = np.sqrt(var)
        se = sd / np.sqrt(n)
        t = stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
    out = []
    for j in range(x.shape[1]):
        nj = int(n[j])
        if nj == 0:
            out.append(Estimate(NAN, 0, NAN, NAN))
        elif nj == 1:
            out.append(Estimate(float(mean[j]), 1, NAN, NAN))
        else:
            h = float(t[j] * se[j])
            m = float(mean[j])
            out.append(Estimate(m, nj, m - h, m + h, float(sd[j])))
    return out


def _shifted(estimate: Estimate, value: float) -> Estimate:
    """`estimate`'s interval width around another point value (see servqual)."""
    if math.isnan(estimate.low):
        return Estimate(value, estimate.n, NAN, NAN, estimate.sd)
    h = estimate.half_width
    return Estimate(value, estimate.n, value - h, value + h, estimate.sd)


def reverse_scored(
    matrix: npt.ArrayLike, columns: Sequence[int], scale_min: float, scale_max: float
) -> FloatArray:
    """Negatively worded items scored the other way round: x → (min + max) − x, e.g. 8 − x on a
    7-point scale for SERVQUAL 1988's items 10-13 and 18-22 (PZB 1988). A copy; NaN stays NaN."""
    x = _as_matrix(matrix).copy()
    if columns:
        cols = list(columns)
        x[:, cols] = (scale_min + scale_max) - x[:, cols]
    return x


# --- SERVQUAL -------------------------------------------------------------------------------


class Weighting(StrEnum):
    """How the 100-point importance allocation weights the dimension scores (they differ)."""

    MEAN_WEIGHTS = "mean_weights"  # Σ w̄_d · SQ_d, with w̄_d the respondents' mean weight
    PER_RESPONDENT = "per_respondent"  # mean over respondents of Σ w_rd · SQ_rd


@dataclass(frozen=True)
class ServqualItem:
    index: int  # 0-based position in the item order
    dimension: str
    expectation: Estimate
    perception: Estimate
    gap: Estimate


@dataclass(frozen=True)
class ServqualDimension:
    code: str
    expectation: Estimate
    perception: Estimate
    gap: Estimate  # the mean over respondents of each respondent's mean item gap
    weight: float  # mean importance weight (points / 100); NaN without an allocation


@dataclass(frozen=True)
class ServqualResult:
    n: int  # respondents with at least one complete E/P pair
    items: list[ServqualItem]
    dimensions: list[ServqualDimension]
    unweighted: Estimate
    weighted: Estimate | None
    weighting: Weighting
    servperf: Estimate  # perception items only (Cronin & Taylor 1992)


def servqual(
    expectation: npt.ArrayLike,
    perception: npt.ArrayLike,
    item_dimensions: Sequence[str],
    dimensions: Sequence[str],
    importance: npt.ArrayLike | None = None,
    weighting: Weighting = Weighting.MEAN_WEIGHTS,
    confidence: float = 0.95,
) -> ServqualResult:
    """SERVQUAL after PZB (1988, 1991). `expectation` and `perception` are respondents × items
    (already reverse-scored where the wording asks for it), `item_dimensions[j]` names item j's
    dimension, `importance` is respondents × dimensions of allocated points (out of 100).

    Item gap G = P − E, a pair with a missing side dropped; a respondent's dimension score is the
    mean of his item gaps in it; a dimension's score the mean over respondents; unweighted
    SERVQUAL the mean of the dimension scores. Weights w_d = points_d / 100 from respondents whose
    allocation sums to 100; `weighting` says whether the mean weights weight the dimension scores
    or each respondent's weights his own scores (the value records which). Intervals of the
    overall scores take the spread of the respondents' own overall scores, centred on the
    defined value."""
    e = _as_matrix(expectation)
    p = _as_matrix(perception)
    if e.shape != p.shape or e.shape[1] != len(item_dimensions):
        raise ValueError("expectation, perception and item_dimensions must agree in shape")
    gap = p - e  # NaN where either side is missing
    dims = list(dimensions)
    idx = {d: [j for j, dd in enumerate(item_dimensions) if dd == d] for d in dims}
    e_est = column_means_ci(e, confidence)
    p_est = column_means_ci(p, confidence)
    g_est = column_means_ci(gap, confidence)
    items = [
        ServqualItem(j, item_dimensions[j], e_est[j], p_est[j], g_est[j])
        for j in range(len(item_dimensions))
    ]
    n_resp = int((~np.isnan(gap)).any(axis=1).sum())
    with np.errstate(invalid="ignore"):
        resp_gap = np.column_stack([_row_nanmean(gap[:, idx[d]]) for d in dims])
        resp_e = np.column_stack([_row_nanmean(e[:, idx[d]]) for d in dims])
        resp_p = np.column_stack([_row_nanmean(p[:, idx[d]]) for d in dims])
    dim_gap = column_means_ci(resp_gap, confidence)
    dim_e = column_means_ci(resp_e, confidence)
    dim_p = column_means_ci(resp_p, confidence)

    weights = np.full(len(dims), NAN)
    resp_w: FloatArray | None = None
    if importance is not None:
        w = _as_matrix(importance)
        if w.shape[1] != len(dims):
            raise ValueError("importance needs one column per dimension")
        valid = ~np.isnan(w).any(axis=1) & np.isclose(np.nansum(w, axis=1), 100.0)
        valid &= (w >= 0).all(axis=1, where=~np.isnan(w))
        resp_w = np.where(valid[:, None], w / 100.0, NAN)
        if valid.any():
            weights = resp_w[valid].mean(axis=0)

    dimension_rows = [
        ServqualDimension(d, dim_e[i], dim_p[i], dim_gap[i], float(weights[i]))
        for i, d in enumerate(dims)
    ]
    dim_values = np.array([de.value for de in dim_gap])
    unweighted_value = float(np.mean(dim_values)) if not np.isnan(dim_values).any() else NAN
    complete = ~np.isnan(resp_gap).any(axis=1)
    unweighted = _shifted(mean_ci(resp_gap[complete].mean(axis=1), confidence), unweighted_value)

    weighted: Estimate | None = None
    if resp_w is not None and not np.isnan(weights).any():
        if weighting is Weighting.MEAN_WEIGHTS:
            value = float(np.dot(weights, dim_values))
            weighted = _shifted(mean_ci(resp_gap[complete] @ weights, confidence), value)
        else:
            ok = complete & ~np.isnan(resp_w).any(axis=1)
            weighted = mean_ci((resp_gap[ok] * resp_w[ok]).sum(axis=1), confidence)
    p_complete = ~np.isnan(resp_p).any(axis=1)
    servperf = mean_ci(resp_p[p_complete].mean(axis=1), confidence)
    return ServqualResult(
        n_resp, items, dimension_rows, unweighted, weighted, Weighting(weighting), servperf
    )


def _row_nanmean(block: FloatArray) -> FloatArray:
    present = ~np.isnan(block)
    count = present.sum(axis=1)
    total = np.where(present, block, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, NAN)


def expectation_gap(
    customers: npt.ArrayLike, managers: npt.ArrayLike, confidence: float = 0.95
) -> Comparison2:
    """Gap 1 of the gap model (PZB 1985): managers answer the expectation items as they think
    customers would; the gap is managers' mean minus customers' mean, with Welch's t test."""
    return welch(managers, customers, confidence)


@dataclass(frozen=True)
class Comparison2:
    """Mean of a minus mean of b, Welch's t test and its interval for the difference."""

    difference: float
    low: float
    high: float
    p_value: float
    n_a: int
    n_b: int


def welch(a: npt.ArrayLike, b: npt.ArrayLike, confidence: float = 0.95) -> Comparison2:
    x, y = _as_vector(a), _as_vector(b)
    if x.size < 2 or y.size < 2:
        diff = float(x.mean() - y.mean()) if x.size and y.size else NAN
        return Comparison2(diff, NAN, NAN, NAN, int(x.size), int(y.size))
    with warnings.catch_warnings():
        # scipy warns on nearly identical answers; the test's result then is what it is.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(x, y, equal_var=False)
    ci = result.confidence_interval(confidence)
    return Comparison2(
        float(x.mean() - y.mean()),
        float(ci.low),
        float(ci.high),
        float(result.pvalue),
        int(x.size),
        int(y.size),
    )


# --- CSI, satisfaction rate, NPS ------------------------------------------------------------


@dataclass(frozen=True)
class Csi:
    value: float  # 0-100
    n: int
    low: float
    high: float
    scale_min: float
    scale_max: float


def csi(
    matrix: npt.ArrayLike,
    weights: Sequence[float],
    scale_min: float,
    scale_max: float,
    confidence: float = 0.95,
) -> Csi:
    """Customer satisfaction index: CSI = Σ wᵢ·s̄ᵢ with Σ wᵢ = 1 over the indicator means,
    rescaled to 0-100 as (CSI − min)/(max − min) × 100, the scale recorded with it. The interval
    comes from respondents' own indices (weights renormalised over the items each answered),
    centred on the index."""
    x = _as_matrix(matrix)
    w = np.asarray(weights, dtype=np.float64)
    if w.size != x.shape[1] or (w < 0).any() or w.sum() <= 0:
        raise ValueError("one non-negative weight per item, not all zero")
    w = w / w.sum()
    means = np.array([e.value for e in column_means_ci(x, confidence)])
    span = scale_max - scale_min
    answered = ~np.isnan(means)
    if not answered.any():
        return Csi(NAN, 0, NAN, NAN, scale_min, scale_max)
    ww = w[answered] / w[answered].sum()
    value = float((np.dot(ww, means[answered]) - scale_min) / span * 100)
    present = ~np.isnan(x)
    wsum = (present * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        own = (np.where(present, x, 0.0) * w).sum(axis=1) / wsum
    own = (own[wsum > 0] - scale_min) / span * 100
    est = _shifted(mean_ci(own, confidence), value)
    return Csi(value, est.n, est.low, est.high, scale_min, scale_max)


def acsi_score(x: npt.ArrayLike, weights: Sequence[float]) -> FloatArray:
    """ACSI score per respondent from three 1-10 items (Fornell et al. 1996):
    ((X1−1)W1 + (X2−1)W2 + (X3−1)W3)/9 × 100 with the weights normalised to sum to 1."""
    m = _as_matrix(x)
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    result: FloatArray = ((m - 1.0) @ w) / 9.0 * 100.0
    return result


class RateDefinition(StrEnum):
    """Which satisfaction rate: they differ on the neutral answers (stored with the figure)."""

    SATISFIED_SHARE = "satisfied_share"  # satisfied / surveyed
    NOT_DISSATISFIED = "not_dissatisfied"  # 1 − dissatisfied / rated


@dataclass(frozen=True)
class Rate:
    value: float  # a proportion, 0-1
    count: int  # the numerator
    n: int
    low: float
    high: float
    definition: RateDefinition


def satisfaction_rate(
    values: npt.ArrayLike,
    *,
    definition: RateDefinition,
    satisfied_min: float,
    dissatisfied_max: float,
    confidence: float = 0.95,
) -> Rate:
    """The share of satisfied answers (≥ satisfied_min), or one minus the share of dissatisfied
    ones (≤ dissatisfied_max), with a Wilson score interval (statsmodels)."""
    x = _as_vector(values)
    n = int(x.size)
    if definition is RateDefinition.SATISFIED_SHARE:
        count = int((x >= satisfied_min).sum())
    else:
        count = n - int((x <= dissatisfied_max).sum())
    return proportion(count, n, definition, confidence)


def proportion(count: int, n: int, definition: RateDefinition, confidence: float = 0.95) -> Rate:
    if n == 0:
        return Rate(NAN, 0, 0, NAN, NAN, definition)
    low, high = proportion_confint(count, n, alpha=1 - confidence, method="wilson")
    return Rate(count / n, count, n, float(low), float(high), definition)


@dataclass(frozen=True)
class Nps:
    value: float  # −100 … 100
    n: int
    promoters: int
    passives: int
    detractors: int
    low: float
    high: float


def nps(values: npt.ArrayLike, confidence: float = 0.95) -> Nps:
    """Net Promoter Score on 0-10 (Reichheld 2003): promoters 9-10, detractors 0-6,
    NPS = 100 × (promoters − detractors)/respondents. The interval is the normal one for a
    difference of two multinomial shares: var = (p_P + p_D − (p_P − p_D)²)/n."""
    x = _as_vector(values)
    n = int(x.size)
    if n == 0:
        return Nps(NAN, 0, 0, 0, 0, NAN, NAN)
    pro = int((x >= 9).sum())
    det = int((x <= 6).sum())
    pp, pd = pro / n, det / n
    score = pp - pd
    se = math.sqrt(max(pp + pd - score * score, 0.0) / n)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return Nps(
        100 * score,
        n,
        pro,
        n - pro - det,
        det,
        100 * max(score - z * se, -1.0),
        100 * min(score + z * se, 1.0),
    )


# --- Reliability ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Alpha:
    """Cronbach's alpha: `raw` from variances, `standardised` from the mean inter-item
    correlation. They differ; label which one a report shows."""

    raw: float
    standardised: float
    k: int
    n: int  # respondents who answered every item of the block (listwise)

    @property
    def reading(self) -> str:
        """The common reading of the raw alpha."""
        return alpha_reading(self.raw)


def alpha_reading(alpha: float) -> str:
    if math.isnan(alpha):
        return "n/a"
    for bound, label in ((0.9, "excellent"), (0.8, "good"), (0.7, "acceptable")):
        if alpha >= bound:
            return label
    return "questionable" if alpha >= 0.6 else "poor"


def cronbach_alpha(matrix: npt.ArrayLike) -> Alpha:
    """Cronbach (1951): raw α = k/(k−1)·(1 − Σ var(itemᵢ)/var(total)) with sample variances, and
    standardised α = k·r̄/(1 + (k−1)·r̄) with r̄ the mean off-diagonal correlation (numpy's
    corrcoef); complete answers only."""
    x = _as_matrix(matrix)
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if k < 2 or n < 2:
        return Alpha(NAN, NAN, k, n)
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    raw = k / (k - 1) * (1 - item_var / total_var) if total_var > 0 else NAN
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(x, rowvar=False)
    rbar = float((r.sum() - np.trace(r)) / (k * (k - 1)))
    std = k * rbar / (1 + (k - 1) * rbar) if not math.isnan(rbar) else NAN
    return Alpha(float(raw), float(std), k, n)


# --- Key drivers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Drivers:
    names: list[str]
    beta: list[float]  # standardised regression coefficients
    p_values: list[float]
    relative_weights: list[float]  # Johnson (2000): they sum to R²
    r_squared: float
    n: int

    @property
    def shares(self) -> list[float]:
        """Relative weights as shares of R² (they sum to 1)."""
        return [w / self.r_squared if self.r_squared else NAN for w in self.relative_weights]


def key_drivers(outcome: npt.ArrayLike, predictors: npt.ArrayLike, names: Sequence[str]) -> Drivers:
    """Regression of overall satisfaction on the dimension scores (complete cases): standardised
    coefficients from statsmodels OLS on z-scores, and Johnson's relative weights, which split R²
    among correlated predictors where the coefficients become unstable. Johnson: with R_xx =
    VΛVᵀ, Λ_h = R_xx^½ = VΛ^½Vᵀ, β = Λ_h⁻¹ r_xy and ε_j = Σ_k (Λ_h)_jk² β_k²."""
    y = np.asarray(outcome, dtype=np.float64).ravel()
    x = _as_matrix(predictors)
    ok = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    y, x = y[ok], x[ok]
    n, k = x.shape
    if n <= k + 1:
        nan_list = [NAN] * k
        return Drivers(list(names), nan_list, nan_list, nan_list, NAN, n)
    sx, sy = x.std(axis=0, ddof=1), y.std(ddof=1)
    if sy == 0 or (sx == 0).any():
        nan_list = [NAN] * k
        return Drivers(list(names), nan_list, nan_list, nan_list, NAN, n)
    zx = (x - x.mean(axis=0)) / sx
    zy = (y - y.mean()) / sy
    fit = sm.OLS(zy, sm.add_constant(zx, has_constant="add")).fit()
    r = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    rxx, rxy = r[:k, :k], r[:k, k]
    evals, evecs = np.linalg.eigh(rxx)
    lam = evecs @ np.diag(np.sqrt(np.clip(evals, 0, None))) @ evecs.T
    # pinv, not solve: perfectly collinear dimensions (everyone answering alike) still get
    # their share of R² split, instead of an error.
    beta = np.linalg.pinv(lam) @ rxy
    eps = (lam**2) @ (beta**2)
    return Drivers(
        list(names),
        [float(b) for b in fit.params[1:]],
        [float(p) for p in fit.pvalues[1:]],
        [float(e) for e in eps],
        float(fit.rsquared),
        n,
    )


# --- Importance-performance analysis --------------------------------------------------------


class Crosshair(StrEnum):
    """Where the IPA grid crosses (Martilla & James 1977): it changes the result."""

    MEANS = "means"  # the grand means of importance and performance
    MIDPOINT = "midpoint"  # the scales' midpoints


class Quadrant(StrEnum):
    CONCENTRATE_HERE = "concentrate_here"  # high importance, low performance (重点改进)
    KEEP_UP = "keep_up"  # high importance, high performance (优势保持)
    LOW_PRIORITY = "low_priority"  # low importance, low performance
    POSSIBLE_OVERKILL = "possible_overkill"  # low importance, high performance


@dataclass(frozen=True)
class Ipa:
    importance_cut: float
    performance_cut: float
    crosshair: Crosshair
    quadrants: dict[str, Quadrant]


def ipa_quadrants(
    importance: Mapping[str, float],
    performance: Mapping[str, float],
    *,
    crosshair: Crosshair,
    importance_mid: float = NAN,
    performance_mid: float = NAN,
) -> Ipa:
    """Each attribute's quadrant; a value on the crosshair counts as high."""
    codes = [c for c in importance if c in performance]
    if crosshair is Crosshair.MEANS:
        icut = float(np.mean([importance[c] for c in codes])) if codes else NAN
        pcut = float(np.mean([performance[c] for c in codes])) if codes else NAN
    else:
        if math.isnan(importance_mid) or math.isnan(performance_mid):
            raise ValueError("a midpoint crosshair needs both scales' midpoints")
        icut, pcut = importance_mid, performance_mid
    quadrants: dict[str, Quadrant] = {}
    for c in codes:
        hi_i, hi_p = importance[c] >= icut, performance[c] >= pcut
        quadrants[c] = (
            (Quadrant.KEEP_UP if hi_p else Quadrant.CONCENTRATE_HERE)
            if hi_i
            else (Quadrant.POSSIBLE_OVERKILL if hi_p else Quadrant.LOW_PRIORITY)
        )
    return Ipa(icut, pcut, Crosshair(crosshair), quadrants)


# --- Comparing units ------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupResult:
    code: str
    estimate: Estimate
    small: bool  # fewer than min_n answers: shown, not ranked, not tested
    p_vs_rest: float  # Welch t against all other ranked groups, Holm-adjusted
    rank: int | None


@dataclass(frozen=True)
class GroupComparison:
    groups: list[GroupResult]
    anova_f: float
    anova_p: float
    kruskal_h: float
    kruskal_p: float


def compare_groups(
    groups: Mapping[str, npt.ArrayLike], min_n: int = MIN_GROUP, confidence: float = 0.95
) -> GroupComparison:
    """Units compared on one score: one-way ANOVA and Kruskal-Wallis over the groups with at
    least `min_n` answers, and each of those against the rest (Welch t, Holm's correction for
    the number of groups). A smaller group keeps its mean and interval but gets no rank."""
    data = {code: _as_vector(v) for code, v in groups.items()}
    big = [c for c, v in data.items() if v.size >= min_n]
    f = p_f = h = p_h = NAN
    raw_p: dict[str, float] = {}
    if len(big) >= 2:
        arrays = [data[c] for c in big]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if any(a.std() > 0 for a in arrays):
                f_res = stats.f_oneway(*arrays)
                f, p_f = float(f_res.statistic), float(f_res.pvalue)
            try:
                k_res = stats.kruskal(*arrays)
                h, p_h = float(k_res.statistic), float(k_res.pvalue)
            except ValueError:  # all answers identical
                pass
        for c in big:
            rest = np.concatenate([data[o] for o in big if o != c])
            raw_p[c] = welch(data[c], rest, confidence).p_value
    adjusted: dict[str, float] = {}
    testable = [c for c in big if not math.isnan(raw_p.get(c, NAN))]
    if testable:
        _reject, p_adj, _s, _b = multipletests([raw_p[c] for c in testable], method="holm")
        adjusted = dict(zip(testable, (float(p) for p in p_adj), strict=True))
    estimates = {c: mean_ci(v, confidence) for c, v in data.items()}
    ranked = sorted(big, key=lambda c: -estimates[c].value)
    rank = {c: i + 1 for i, c in enumerate(ranked)}
    results = [
        GroupResult(c, estimates[c], c not in rank, adjusted.get(c, NAN), rank.get(c)) for c in data
    ]
    results.sort(key=lambda g: (g.rank is None, g.rank or 0, g.code))
    return GroupComparison(results, f, p_f, h, p_h)


def compare_rates(counts: Mapping[str, tuple[int, int]]) -> tuple[float, float]:
    """Chi-square test of independence (scipy) for satisfied/not counts (count, n) per unit:
    the statistic and its p-value; NaN with fewer than two groups or nothing to compare."""
    rows = [(k, n - k) for k, n in counts.values() if n > 0]
    if len(rows) < 2:
        return NAN, NAN
    table = np.array(rows, dtype=np.float64)
    if (table.sum(axis=0) == 0).any():
        return NAN, NAN
    res = stats.chi2_contingency(table, correction=False)
    return float(res.statistic), float(res.pvalue)


# --- Sample size ----------------------------------------------------------------------------


def cochran_sample_size(
    margin: float, confidence: float = 0.95, p: float = 0.5, population: int | None = None
) -> int:
    """Cochran: n₀ = z²·p(1−p)/e², with p = 0.5 when unknown; for a finite population
    n = n₀ / (1 + (n₀ − 1)/N); always rounded up."""
    if not 0 < margin < 1 or not 0 < confidence < 1 or not 0 < p < 1:
        raise ValueError("margin, confidence and p lie strictly between 0 and 1")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    n0 = z * z * p * (1 - p) / (margin * margin)
    if population is not None:
        if population < 1:
            raise ValueError("the population has at least one member")
        n0 = n0 / (1 + (n0 - 1) / population)
        return min(math.ceil(n0 - 1e-9), population)
    return math.ceil(n0 - 1e-9)


def stratified_allocation(
    n: int, sizes: Mapping[str, int], sds: Mapping[str, float] | None = None
) -> dict[str, int]:
    """Split a sample over strata, each rounded up and capped at its size: proportional
    n_h = n·N_h/N, or Neyman n_h = n·N_h·S_h / Σ N_h·S_h when the strata's spreads are given."""
    if sds is None:
        basis = {h: float(size) for h, size in sizes.items()}
    else:
        basis = {h: float(size) * float(sds[h]) for h, size in sizes.items()}
    total = sum(basis.values())
    if total <= 0:
        return {h: 0 for h in sizes}
    return {h: min(math.ceil(n * b / total - 1e-9), sizes[h]) for h, b in basis.items()}


# --- Anonymity: small-group suppression -----------------------------------------------------


def publishable_groups(
    parent: Mapping[str, str | None], own: Mapping[str, int], k: int = MIN_GROUP
) -> set[str]:
    """The nodes of a tree of groups (org units) whose results an anonymous survey may show.

    `parent` maps each node to its parent (None at the root), `own` gives the respondents
    attached to the node itself. A node is shown only with at least k respondents in its subtree,
    and — against differencing — every shown node's respondents not covered by its nearest shown
    descendants number 0 or at least k. Otherwise the smallest of those descendants is hidden
    with its whole subtree, until nothing changes. Every figure that can be derived from the
    shown ones by subtraction then rests on 0 or at least k people."""
    children: dict[str, list[str]] = {node: [] for node in parent}
    for node, up in parent.items():
        if up is not None:
            children.setdefault(up, []).append(node)
    total: dict[str, int] = {}

    def subtotal(node: str) -> int:
        if node not in total:
            total[node] = own.get(node, 0) + sum(subtotal(c) for c in children.get(node, []))
        return total[node]

    for node in parent:
        subtotal(node)
    shown = {node for node in parent if total[node] >= k}

    def nearest_shown(node: str) -> list[str]:
        found: list[str] = []
        for child in children.get(node, []):
            found.extend([child] if child in shown else nearest_shown(child))
        return found

    def hide_subtree(node: str) -> None:
        shown.discard(node)
        for child in children.get(node, []):
            hide_subtree(child)

    changed = True
    while changed:
        changed = False
        for node in sorted(shown, key=lambda n: (-total[n], n)):
            if node not in shown:
                continue
            below = nearest_shown(node)
            residual = total[node] - sum(total[b] for b in below)
            if 0 < residual < k:
                hide_subtree(min(below, key=lambda b: (total[b], b)))
                changed = True
    return shown
