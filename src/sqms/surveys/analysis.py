"""Results of a campaign, as the report pages, the Excel export and the API show them: the
responses the user may read turned into arrays and handed to sqms.core.survey_stats.

Anonymous campaigns: the groups (org units) whose results may be shown are decided once for the
whole campaign with `publishable_groups` (at least `min_group` respondents, and nothing
recoverable by subtracting one shown group from another), and only then cut down to the user's
part of the tree, so that two users' views are pieces of the same safe picture. An anonymous
campaign has no period filter and no breakdown by respondent group, which would open other
differences; its free-text answers are shown only for shown groups."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sqms.common.errors import NotFound
from sqms.core import survey_stats as ss
from sqms.org.models import OrgUnit
from sqms.org.selectors import AnyUser
from sqms.surveys.instruments import Item, Spec, spec_parse, text
from sqms.surveys.models import Campaign, InstrumentKind, RespondentGroup
from sqms.surveys.selectors import (
    campaign_queryset_for_user,
    responses_for_user,
    result_root_paths,
)

NAN = float("nan")
MAX_WAVES = 8
MAX_COMMENTS = 200


def lang() -> str:
    return "zh" if (get_language() or "zh").startswith("zh") else "en"


@dataclass
class Rows:
    """Responses as arrays: one row per response."""

    unit_ids: list[int]
    paths: list[str]
    groups: list[str]
    subject_units: list[int | None]
    subject_staff: list[int | None]
    answers: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.unit_ids)

    def matrix(self, items: list[Item]) -> np.ndarray:
        codes = [i.code for i in items]
        out = np.full((len(self.answers), len(codes)), np.nan)
        for r, a in enumerate(self.answers):
            for c, code in enumerate(codes):
                v = a.get(code)
                if isinstance(v, int | float) and not isinstance(v, bool):
                    out[r, c] = v
        return out

    def subset(self, mask: list[bool]) -> Rows:
        def pick(values: list[Any]) -> list[Any]:
            return [v for v, m in zip(values, mask, strict=True) if m]

        return Rows(
            pick(self.unit_ids),
            pick(self.paths),
            pick(self.groups),
            pick(self.subject_units),
            pick(self.subject_staff),
            pick(self.answers),
        )


def load_rows(qs: Any) -> Rows:
    rows = Rows([], [], [], [], [], [])
    for unit_id, path, group, subject_unit, subject_staff, answers in qs.values_list(
        "unit_id", "unit__path", "group", "subject_unit_id", "subject_staff_id", "answers"
    ).order_by("pk"):
        rows.unit_ids.append(unit_id)
        rows.paths.append(path)
        rows.groups.append(group)
        rows.subject_units.append(subject_unit)
        rows.subject_staff.append(subject_staff)
        rows.answers.append(answers)
    return rows


# --- The unit tree and what may be shown ----------------------------------------------------


@dataclass
class Tree:
    units: dict[int, OrgUnit]
    parent: dict[int, int | None]
    own: dict[int, int]
    totals: dict[int, int]
    shown: set[int]  # anonymous: publishable; otherwise every unit with answers

    def children(self, unit_id: int) -> list[int]:
        return sorted(
            (u for u, p in self.parent.items() if p == unit_id),
            key=lambda u: self.units[u].path,
        )


def unit_tree(campaign: Campaign, unit_ids: list[int]) -> Tree:
    """The campaign's units that have answers, with their ancestors up to the campaign's unit."""
    own: dict[int, int] = defaultdict(int)
    for u in unit_ids:
        own[u] += 1
    top = campaign.unit
    leaf_units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=list(own))}
    needed: set[int] = set()
    for u in leaf_units.values():
        ids = u.ancestor_ids()
        needed.update(ids[ids.index(top.pk) :] if top.pk in ids else [u.pk])
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=needed)}
    units[top.pk] = top
    parent: dict[int, int | None] = {}
    for pk, u in units.items():
        anc = u.ancestor_ids()
        parent[pk] = anc[-2] if pk != top.pk and len(anc) > 1 and anc[-2] in units else None
    totals = {pk: 0 for pk in units}
    for pk, n in own.items():
        cur: int | None = pk
        while cur is not None:
            totals[cur] += n
            cur = parent.get(cur)
    if campaign.anonymous:
        published = ss.publishable_groups(
            {str(k): (str(v) if v is not None else None) for k, v in parent.items()},
            {str(k): v for k, v in own.items()},
            campaign.min_group,
        )
        shown = {int(s) for s in published}
    else:
        shown = {pk for pk, n in totals.items() if n > 0}
    return Tree(units, parent, dict(own), totals, shown)


# --- Results --------------------------------------------------------------------------------


@dataclass
class Results:
    campaign: Campaign
    spec: Spec
    root: OrgUnit
    n: int
    suppressed: bool = False  # anonymous and the chosen group may not be shown
    units: list[dict[str, Any]] = field(default_factory=list)  # selectable groups
    hidden_units: int = 0
    figures: dict[str, Any] = field(default_factory=dict)


def _est(e: ss.Estimate) -> dict[str, Any]:
    return {"value": e.value, "n": e.n, "low": e.low, "high": e.high}


def _rate(r: ss.Rate) -> dict[str, Any]:
    return {
        "value": r.value,
        "n": r.n,
        "count": r.count,
        "low": r.low,
        "high": r.high,
        "definition": r.definition.value,
    }


def dimension_label(spec: Spec, code: str) -> str:
    for d in spec.dimensions:
        if d["code"] == code:
            return text(d, lang())
    return code


def item_label(spec: Spec, item: Item) -> str:
    if item.question == item.code:
        return text(spec.question(item.code), lang())
    q = spec.question(item.question)
    row = next(r for r in q["rows"] if r["code"] == item.code)
    return text(row, lang())


def campaign_results(user: AnyUser, campaign: Campaign, unit_id: int | None = None) -> Results:
    """Every figure of the campaign's report for the part of the tree the user reads (or the
    group `unit_id` inside it)."""
    spec = spec_parse(campaign.instrument.spec)
    roots = result_root_paths(user, campaign)
    all_rows = load_rows(responses_for_user(user, campaign).select_related(None))
    tree = unit_tree(
        campaign,
        load_rows_units(campaign) if campaign.anonymous else all_rows.unit_ids,
    )
    root_unit = _pick_root(campaign, roots, tree, unit_id)
    inside = [p.startswith(root_unit.path) for p in all_rows.paths]
    rows = all_rows.subset(inside)
    results = Results(campaign, spec, root_unit, len(rows))
    results.units = [
        {
            "id": pk,
            "unit": tree.units[pk],
            "n": tree.totals[pk],
            "depth": tree.units[pk].depth,
            "small": tree.totals[pk] < campaign.min_group,
        }
        for pk in sorted(tree.shown, key=lambda k: tree.units[k].path)
        if any(tree.units[pk].path.startswith(r) for r in roots)
    ]
    results.hidden_units = sum(
        1
        for pk, u in tree.units.items()
        if pk not in tree.shown and tree.totals[pk] > 0 and any(u.path.startswith(r) for r in roots)
    )
    if campaign.anonymous and root_unit.pk not in tree.shown:
        results.suppressed = True
        results.n = 0
        return results
    results.figures = _figures(campaign, spec, rows, tree, root_unit)
    return results


def load_rows_units(campaign: Campaign) -> list[int]:
    """All of an anonymous campaign's respondents' units (whoever is asking): suppression is
    decided on the whole campaign."""
    from sqms.surveys.models import Response

    return list(
        Response.objects.filter(campaign=campaign).order_by("pk").values_list("unit_id", flat=True)
    )


def _pick_root(campaign: Campaign, roots: list[str], tree: Tree, unit_id: int | None) -> OrgUnit:
    if unit_id is not None:
        unit = tree.units.get(unit_id) or OrgUnit.objects.filter(pk=unit_id).first()
        if unit is None or not any(unit.path.startswith(r) for r in roots):
            raise NotFound(_("Unit not found."))
        if not unit.path.startswith(campaign.unit.path):
            raise NotFound(_("Unit not found."))
        return unit
    if not roots:
        raise NotFound(_("Survey not found."))
    # Several separate parts of the tree (grants on two stores): start with the first. Never
    # their union under a common ancestor's name — for an anonymous survey that union is no
    # group of the tree, and two hidden stores together could pass the threshold.
    unit = next((u for u in tree.units.values() if u.path == roots[0]), None)
    return unit or OrgUnit.objects.get(path=roots[0])


def _scored(spec: Spec) -> list[Item]:
    return [i for i in spec.items if i.scored]


def _figures(
    campaign: Campaign, spec: Spec, rows: Rows, tree: Tree, root: OrgUnit
) -> dict[str, Any]:
    conf = spec.analysis
    out: dict[str, Any] = {"n": len(rows)}
    if not len(rows):
        return out
    kind = campaign.instrument.kind
    sq_conf = conf.get("servqual")
    if sq_conf:
        out["servqual"] = _servqual(campaign, spec, rows, sq_conf)
        out["servqual"]["gap3"] = _gap3(campaign, root)
    items = _scored(spec)
    if sq_conf:
        items = [
            i for i in items if i.question not in (sq_conf["expectation"], sq_conf["perception"])
        ]
    x = rows.matrix(items)
    out["items"] = [
        {
            "code": it.code,
            "label": item_label(spec, it),
            "dimension": it.dimension,
            "scale": it.scale,
            **_est(e),
        }
        for it, e in zip(items, ss.column_means_ci(x), strict=True)
    ]
    dims = _dimension_scores(spec, rows, items)
    if dims and not sq_conf:
        out["dimensions"] = [
            {
                "code": d,
                "label": dimension_label(spec, d),
                **_est(ss.mean_ci(scores)),
                "alpha": _alpha(rows, [i for i in items if i.dimension == d]),
            }
            for d, scores in dims.items()
        ]
    sat = conf.get("satisfaction")
    if sat:
        values = _satisfaction_values(spec, rows, sat)
        rate = ss.satisfaction_rate(
            values,
            definition=ss.RateDefinition(campaign.satisfaction_definition),
            satisfied_min=float(sat["satisfied_min"]),
            dissatisfied_max=float(sat["dissatisfied_max"]),
        )
        out["satisfaction"] = _rate(rate)
    if conf.get("csi"):
        weights = conf["csi"]["weights"]
        csi_items = [spec.by_code[c] for c in weights]
        lows = {i.scale[0] for i in csi_items}
        highs = {i.scale[1] for i in csi_items}
        if len(lows) == 1 and len(highs) == 1:
            result = ss.csi(
                rows.matrix(csi_items),
                [float(weights[i.code]) for i in csi_items],
                lows.pop(),
                highs.pop(),
            )
            out["csi"] = {
                "value": result.value,
                "n": result.n,
                "low": result.low,
                "high": result.high,
                "scale": [result.scale_min, result.scale_max],
            }
    if conf.get("nps"):
        n = ss.nps(rows.matrix([spec.by_code[conf["nps"]]]))
        out["nps"] = {
            "value": n.value,
            "n": n.n,
            "low": n.low,
            "high": n.high,
            "promoters": n.promoters,
            "passives": n.passives,
            "detractors": n.detractors,
        }
    overall_code = conf.get("overall")
    if overall_code and not sq_conf and dims and len(dims) >= 2:
        y = rows.matrix([spec.by_code[overall_code]])[:, 0]
        names = list(dims)
        drivers = ss.key_drivers(y, np.column_stack([dims[d] for d in names]), names)
        out["drivers"] = _drivers(spec, drivers)
        perf = {d: float(np.nanmean(dims[d])) for d in names if np.isfinite(dims[d]).any()}
        imp = dict(zip(names, drivers.shares, strict=True))
        if all(math.isfinite(v) for v in imp.values()) and perf:
            lo, hi = _scale_of(items)
            ipa = ss.ipa_quadrants(
                imp,
                perf,
                crosshair=ss.Crosshair(campaign.ipa_crosshair),
                importance_mid=1 / len(names),
                performance_mid=(lo + hi) / 2,
            )
            out["ipa"] = _ipa(spec, ipa, imp, perf, _("Share of R² (derived importance)"))
    out["choices"] = _choices(spec, rows)
    out["comparison"] = _comparison(campaign, spec, rows, tree, root)
    if spec.data.get("subject") == "unit":
        out["subjects"] = _subjects(campaign, spec, rows)
    if kind == InstrumentKind.OPINION_CARD or spec.data.get("subject") == "staff":
        out["staff"] = _staff_results(campaign, spec, rows)
    out["comments"] = _comments(spec, rows)
    return out


def _scale_of(items: list[Item]) -> tuple[float, float]:
    lows = [i.scale[0] for i in items if i.type == "likert"] or [1]
    highs = [i.scale[1] for i in items if i.type == "likert"] or [5]
    return float(min(lows)), float(max(highs))


def _dimension_scores(spec: Spec, rows: Rows, items: list[Item]) -> dict[str, np.ndarray]:
    """Each respondent's mean over the rated items of each dimension (NaN: none answered)."""
    out: dict[str, np.ndarray] = {}
    for d in spec.dimensions:
        its = [i for i in items if i.dimension == d["code"] and i.type == "likert"]
        if its:
            m = rows.matrix(its)
            with np.errstate(invalid="ignore"), _quiet():
                out[d["code"]] = np.nanmean(m, axis=1)
    return out


class _quiet:
    """numpy warns on the mean of an all-NaN row; that row's NaN is the answer."""

    def __enter__(self) -> None:
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._w.__exit__(*exc)


def _alpha(rows: Rows, items: list[Item]) -> dict[str, Any] | None:
    if len(items) < 2:
        return None
    a = ss.cronbach_alpha(rows.matrix(items))
    return {"raw": a.raw, "standardised": a.standardised, "k": a.k, "n": a.n, "reading": a.reading}


def _satisfaction_values(spec: Spec, rows: Rows, sat: dict[str, Any]) -> np.ndarray:
    codes = sat.get("items") or [sat["item"]]
    m = rows.matrix([spec.by_code[c] for c in codes])
    if m.shape[1] == 1:
        return m[:, 0]
    with _quiet():
        return np.nanmean(m, axis=1)


def _servqual(campaign: Campaign, spec: Spec, rows: Rows, conf: dict[str, Any]) -> dict[str, Any]:
    e_items, p_items = spec.rows(conf["expectation"]), spec.rows(conf["perception"])
    customers = [g != RespondentGroup.MANAGEMENT for g in rows.groups]
    cust = rows.subset(customers)
    e, p = cust.matrix(e_items), cust.matrix(p_items)
    lo, hi = e_items[0].scale
    reverse = [
        j for j, it in enumerate(e_items) if it.item_no in set(conf.get("reverse_items", []))
    ]
    e, p = ss.reverse_scored(e, reverse, lo, hi), ss.reverse_scored(p, reverse, lo, hi)
    dims = [d["code"] for d in spec.dimensions]
    w = None
    if conf.get("importance"):
        w_rows = spec.rows(conf["importance"])
        order = {r.dimension: r for r in w_rows}
        w = cust.matrix([order[d] for d in dims])
        if np.isnan(w).all():
            w = None
    result = ss.servqual(
        e,
        p,
        [i.dimension for i in e_items],
        dims,
        importance=w,
        weighting=ss.Weighting(campaign.weighting),
    )
    dim_rows = []
    for d in result.dimensions:
        idx = [j for j, it in enumerate(p_items) if it.dimension == d.code]
        alpha = ss.cronbach_alpha(p[:, idx]) if len(idx) > 1 else None
        dim_rows.append(
            {
                "code": d.code,
                "label": dimension_label(spec, d.code),
                "e": _est(d.expectation),
                "p": _est(d.perception),
                "gap": _est(d.gap),
                "weight": d.weight,
                "alpha": (
                    {
                        "raw": alpha.raw,
                        "standardised": alpha.standardised,
                        "n": alpha.n,
                        "k": alpha.k,
                        "reading": alpha.reading,
                    }
                    if alpha
                    else None
                ),
            }
        )
    items_out = [
        {
            "no": e_items[it.index].item_no or it.index + 1,
            "dimension": it.dimension,
            "label": item_label(spec, p_items[it.index]),
            "e": _est(it.expectation),
            "p": _est(it.perception),
            "gap": _est(it.gap),
        }
        for it in result.items
    ]
    out: dict[str, Any] = {
        "n": result.n,
        "dimensions": dim_rows,
        "items": items_out,
        "unweighted": _est(result.unweighted),
        "weighted": _est(result.weighted) if result.weighted else None,
        "weighting": result.weighting.value,
        "servperf": _est(result.servperf),
        "scale": [lo, hi],
    }
    # Key drivers: overall satisfaction on the perception dimension scores.
    overall = spec.analysis.get("overall")
    with _quiet():
        perf_scores = np.column_stack(
            [
                np.nanmean(p[:, [j for j, it in enumerate(p_items) if it.dimension == d]], axis=1)
                for d in dims
            ]
        )
    if overall:
        y = cust.matrix([spec.by_code[overall]])[:, 0]
        out["drivers"] = _drivers(spec, ss.key_drivers(y, perf_scores, dims))
    if result.weighted is not None or w is not None:
        imp = {d.code: d.weight for d in result.dimensions}
        if all(math.isfinite(v) for v in imp.values()):
            perf = {d.code: d.perception.value for d in result.dimensions}
            ipa = ss.ipa_quadrants(
                imp,
                perf,
                crosshair=ss.Crosshair(campaign.ipa_crosshair),
                importance_mid=1 / len(dims),
                performance_mid=(lo + hi) / 2,
            )
            out["ipa"] = _ipa(spec, ipa, imp, perf, _("Importance (mean share of 100 points)"))
    # Gap 1: managers' prediction of customers' expectations against customers' own.
    managers = rows.subset([not c for c in customers])
    if len(managers):
        me = ss.reverse_scored(managers.matrix(e_items), reverse, lo, hi)
        gap1 = []
        for d in dims:
            idx = [j for j, it in enumerate(e_items) if it.dimension == d]
            with _quiet():
                cm, mm = np.nanmean(e[:, idx], axis=1), np.nanmean(me[:, idx], axis=1)
            g = ss.expectation_gap(cm, mm)
            gap1.append(
                {
                    "code": d,
                    "label": dimension_label(spec, d),
                    "difference": g.difference,
                    "low": g.low,
                    "high": g.high,
                    "p": g.p_value,
                    "n_managers": g.n_a,
                    "n_customers": g.n_b,
                }
            )
        out["gap1"] = gap1
    return out


def _gap3(campaign: Campaign, root: OrgUnit) -> dict[str, Any] | None:
    """Gap 3 of the gap model (PZB 1985), delivery against the service standards: the published
    mystery-shopper visits of the campaign's window in the group's subtree, as the mean score in
    % of the checklist's maximum per unit and over all of them (None: no such visit)."""
    from sqms.inspections.facts import mystery_shopping_by_unit

    facts = mystery_shopping_by_unit(campaign.opens_on, campaign.closes_on, unit=root)
    if not facts:
        return None
    names = dict(
        OrgUnit.objects.filter(pk__in=[f.subject_id for f in facts]).values_list("pk", "name")
    )
    n = sum(f.n for f in facts)
    return {
        "n": n,
        "mean_percent": sum(f.mean_percent * f.n for f in facts) / n,
        "units": [
            {"unit": names.get(f.subject_id, ""), "n": f.n, "mean_percent": f.mean_percent}
            for f in sorted(facts, key=lambda f: names.get(f.subject_id, ""))
        ],
    }


def _drivers(spec: Spec, d: ss.Drivers) -> dict[str, Any]:
    return {
        "n": d.n,
        "r2": d.r_squared,
        "rows": [
            {
                "code": code,
                "label": dimension_label(spec, code),
                "beta": b,
                "p": pv,
                "weight": w,
                "share": s,
            }
            for code, b, pv, w, s in zip(
                d.names, d.beta, d.p_values, d.relative_weights, d.shares, strict=True
            )
        ],
    }


QUADRANT_LABELS = {
    ss.Quadrant.CONCENTRATE_HERE: ("Concentrate here", "重点改进"),
    ss.Quadrant.KEEP_UP: ("Keep up the good work", "优势保持"),
    ss.Quadrant.LOW_PRIORITY: ("Low priority", "次要改进"),
    ss.Quadrant.POSSIBLE_OVERKILL: ("Possible overkill", "过度投入"),
}


def quadrant_label(q: ss.Quadrant) -> str:
    en, zh = QUADRANT_LABELS[q]
    return zh if lang() == "zh" else en


def _ipa(
    spec: Spec, ipa: ss.Ipa, imp: dict[str, float], perf: dict[str, float], axis: str
) -> dict[str, Any]:
    return {
        "crosshair": ipa.crosshair.value,
        "importance_cut": ipa.importance_cut,
        "performance_cut": ipa.performance_cut,
        "axis": axis,
        "rows": [
            {
                "code": c,
                "label": dimension_label(spec, c),
                "importance": imp[c],
                "performance": perf[c],
                "quadrant": q.value,
                "quadrant_label": quadrant_label(q),
            }
            for c, q in ipa.quadrants.items()
        ],
    }


def key_scores(campaign: Campaign, spec: Spec, rows: Rows) -> tuple[np.ndarray, str]:
    """One score per respondent to compare units on, and its name: the unweighted SERVQUAL gap,
    the CSI on 0-100, or the overall item."""
    conf = spec.analysis
    if conf.get("servqual"):
        sq = conf["servqual"]
        e_items, p_items = spec.rows(sq["expectation"]), spec.rows(sq["perception"])
        lo, hi = e_items[0].scale
        reverse = [
            j for j, it in enumerate(e_items) if it.item_no in set(sq.get("reverse_items", []))
        ]
        gap = ss.reverse_scored(rows.matrix(p_items), reverse, lo, hi) - ss.reverse_scored(
            rows.matrix(e_items), reverse, lo, hi
        )
        dims = [d["code"] for d in spec.dimensions]
        with _quiet():
            per_dim = np.column_stack(
                [
                    np.nanmean(
                        gap[:, [j for j, it in enumerate(e_items) if it.dimension == d]], axis=1
                    )
                    for d in dims
                ]
            )
        return per_dim.mean(axis=1), _("SERVQUAL gap (P − E)")
    if conf.get("csi"):
        weights = conf["csi"]["weights"]
        its = [spec.by_code[c] for c in weights]
        m = rows.matrix(its)
        w = np.array([float(weights[c]) for c in weights])
        present = ~np.isnan(m)
        with np.errstate(invalid="ignore", divide="ignore"):
            own = (np.where(present, m, 0) * w).sum(axis=1) / (present * w).sum(axis=1)
        lo, hi = its[0].scale
        return (own - lo) / (hi - lo) * 100, _("CSI (0-100)")
    overall = conf.get("overall")
    if overall:
        return rows.matrix([spec.by_code[overall]])[:, 0], _("Overall satisfaction")
    items = _scored(spec)
    with _quiet():
        return np.nanmean(rows.matrix(items), axis=1), _("Mean score")


def _comparison(
    campaign: Campaign, spec: Spec, rows: Rows, tree: Tree, root: OrgUnit
) -> dict[str, Any]:
    """The units directly below the shown group, compared on the key score. Anonymous: only
    shown units take part."""
    scores, label = key_scores(campaign, spec, rows)
    children = (
        [c for c in tree.children(root.pk) if c in tree.shown] if root.pk in tree.units else []
    )
    groups: dict[str, np.ndarray] = {}
    names: dict[str, OrgUnit] = {}
    for c in children:
        unit = tree.units[c]
        mask = np.array([p.startswith(unit.path) for p in rows.paths])
        groups[str(c)] = scores[mask]
        names[str(c)] = unit
    if not groups:
        return {"label": label, "rows": []}
    result = ss.compare_groups(groups, min_n=campaign.min_group)
    return {
        "label": label,
        "anova_p": result.anova_p,
        "kruskal_p": result.kruskal_p,
        "rows": [
            {
                "unit": names[g.code],
                **_est(g.estimate),
                "small": g.small,
                "rank": g.rank,
                "p": g.p_vs_rest,
            }
            for g in result.groups
        ],
    }


def _subjects(campaign: Campaign, spec: Spec, rows: Rows) -> list[dict[str, Any]]:
    """Internal service: each rated department's score. Anonymous: a department with too few
    ratings is hidden, with the complementary suppression of the unit tree (a flat tree)."""
    overall = spec.analysis.get("overall")
    if not overall:
        return []
    y = rows.matrix([spec.by_code[overall]])[:, 0]
    counts: dict[int, int] = defaultdict(int)
    for s in rows.subject_units:
        if s is not None:
            counts[s] += 1
    if campaign.anonymous:
        parent: dict[str, str | None] = {"all": None, **{str(k): "all" for k in counts}}
        shown = {
            int(k)
            for k in ss.publishable_groups(
                parent, {str(k): v for k, v in counts.items()}, campaign.min_group
            )
            if k != "all"
        }
    else:
        shown = set(counts)
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=list(counts))}
    sat = spec.analysis.get("satisfaction")
    out = []
    for pk in sorted(counts, key=lambda k: units[k].path):
        if pk not in shown:
            continue
        mask = np.array([s == pk for s in rows.subject_units])
        row = {"unit": units[pk], **_est(ss.mean_ci(y[mask]))}
        if sat:
            row["rate"] = _rate(
                ss.satisfaction_rate(
                    y[mask],
                    definition=ss.RateDefinition(campaign.satisfaction_definition),
                    satisfied_min=float(sat["satisfied_min"]),
                    dissatisfied_max=float(sat["dissatisfied_max"]),
                )
            )
        row["small"] = row["n"] < campaign.min_group
        out.append(row)
    return out


def _staff_results(campaign: Campaign, spec: Spec, rows: Rows) -> list[dict[str, Any]]:
    from sqms.org.models import Staff

    items = _scored(spec)
    m = rows.matrix(items)
    ids = sorted({s for s in rows.subject_staff if s is not None})
    staff = {s.pk: s for s in Staff.objects.filter(pk__in=ids).select_related("unit")}
    sat = spec.analysis.get("satisfaction")
    out = []
    for pk in ids:
        mask = np.array([s == pk for s in rows.subject_staff])
        sub = m[mask]
        with _quiet():
            per_card = np.nanmean(sub, axis=1)
        row: dict[str, Any] = {"staff": staff[pk], **_est(ss.mean_ci(per_card))}
        row["items"] = [_est(e) for e in ss.column_means_ci(sub)]
        if sat:
            row["rate"] = _rate(
                ss.satisfaction_rate(
                    per_card,
                    definition=ss.RateDefinition(campaign.satisfaction_definition),
                    satisfied_min=float(sat["satisfied_min"]),
                    dissatisfied_max=float(sat["dissatisfied_max"]),
                )
            )
        row["small"] = row["n"] < campaign.min_group
        out.append(row)
    out.sort(key=lambda r: (r["small"], -(r["value"] if math.isfinite(r["value"]) else -1e9)))
    return out


def _choices(spec: Spec, rows: Rows) -> list[dict[str, Any]]:
    out = []
    for it in spec.items:
        if it.type not in ("single", "multiple"):
            continue
        q = spec.question(it.code)
        counts = dict.fromkeys(it.options, 0)
        answered = 0
        for a in rows.answers:
            v = a.get(it.code)
            if v is None:
                continue
            answered += 1
            for choice in [v] if isinstance(v, str) else v:
                if choice in counts:
                    counts[choice] += 1
        labels = {o["code"]: text(o, lang()) for o in q["options"]}
        out.append(
            {
                "code": it.code,
                "label": text(q, lang()),
                "n": answered,
                "multiple": it.type == "multiple",
                "rows": [
                    {
                        "label": labels[c],
                        "count": k,
                        "share": k / answered if answered else NAN,
                    }
                    for c, k in counts.items()
                ],
            }
        )
    return out


def _comments(spec: Spec, rows: Rows) -> list[dict[str, Any]]:
    out = []
    for it in spec.items:
        if it.type != "text":
            continue
        texts = [a[it.code] for a in rows.answers if a.get(it.code)]
        # Sorted, not in order of arrival: the order would tell who answered when.
        out.append(
            {
                "label": text(spec.question(it.code), lang()),
                "n": len(texts),
                "texts": sorted(texts)[:MAX_COMMENTS],
            }
        )
    return out


# --- Trend across waves ---------------------------------------------------------------------


def campaign_trend(user: AnyUser, campaign: Campaign) -> dict[str, Any]:
    """The key score per unit (the units directly below the campaign's unit) in each campaign
    of the same instrument (the waves), oldest first, each with n and its interval. Anonymous
    waves show only their shown units."""
    waves = list(
        campaign_queryset_for_user(user)
        .filter(instrument__code=campaign.instrument.code, unit=campaign.unit)
        .select_related("instrument", "unit")
        .order_by("-opens_on", "-pk")[:MAX_WAVES]
    )[::-1]
    series: dict[int, dict[str, Any]] = {}
    label = ""
    for wave in waves:
        spec = spec_parse(wave.instrument.spec)
        rows = load_rows(responses_for_user(user, wave))
        if not len(rows):
            continue
        tree = unit_tree(wave, load_rows_units(wave) if wave.anonymous else rows.unit_ids)
        scores, label = key_scores(wave, spec, rows)
        for c in tree.children(wave.unit.pk):
            if c not in tree.shown:
                continue
            unit = tree.units[c]
            mask = np.array([p.startswith(unit.path) for p in rows.paths])
            if not mask.any():
                continue
            est = ss.mean_ci(scores[mask])
            s = series.setdefault(c, {"unit": unit, "points": []})
            s["points"].append(
                {
                    "wave": wave.name,
                    "opens_on": wave.opens_on,
                    **_est(est),
                    "small": est.n < wave.min_group,
                }
            )
    return {"label": label, "waves": [w.name for w in waves], "series": list(series.values())}
