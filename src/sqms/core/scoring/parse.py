"""Building a scheme from data, with every mistake named by its place."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqms.core.scoring.model import (
    HUNDRED,
    ONE,
    RULE_NEEDS,
    ZERO,
    Band,
    Component,
    FactKind,
    Ladder,
    LadderStep,
    Normalise,
    Problem,
    RoundingSpec,
    RoundMode,
    Rule,
    RuleKind,
    Scheme,
    SchemeError,
    StarRule,
    TieRule,
    VetoScope,
    _d,
)

# --- parsing and validation ------------------------------------------------------------------


def _name(source: str, sources: Mapping[str, FactKind]) -> str:
    """The key of `sources` a rule's source falls under: itself, or its name before the
    qualifier (`inspections.percent:store-service@unit` → `inspections.percent@unit`)."""
    if source in sources:
        return source
    head, _sep, rest = source.partition(":")
    suffix = "@" + rest.rsplit("@", 1)[1] if "@" in rest else ""
    return head + suffix


def _known(source: str, sources: Mapping[str, FactKind]) -> bool:
    return _name(source, sources) in sources


def _rounding(raw: Any, loc: tuple[str | int, ...], problems: list[Problem]) -> RoundingSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(Problem(loc, "rounding is a mapping with step and mode"))
        return None
    step = _d(raw.get("step", 1), (*loc, "step"), problems)
    mode_raw = raw.get("mode", "ceil")
    if mode_raw not in RoundMode._value2member_map_:
        problems.append(
            Problem((*loc, "mode"), f"mode is one of {', '.join(m.value for m in RoundMode)}")
        )
        return None
    if step is None:
        return None
    if step <= 0:
        problems.append(Problem((*loc, "step"), "the rounding step must be positive"))
        return None
    return RoundingSpec(step=step, mode=RoundMode(mode_raw))


def _rule(
    raw: Any,
    loc: tuple[str | int, ...],
    problems: list[Problem],
    sources: Mapping[str, FactKind] | None,
    comp_max: Decimal,
    component: str = "",
) -> Rule | None:
    if not isinstance(raw, Mapping):
        problems.append(Problem(loc, "a rule is a mapping"))
        return None
    kind_raw = raw.get("kind")
    if kind_raw not in RuleKind._value2member_map_:
        problems.append(
            Problem(
                (*loc, "kind"),
                f"unknown rule kind {kind_raw!r}; one of {', '.join(k.value for k in RuleKind)}",
            )
        )
        return None
    kind = RuleKind(str(kind_raw))
    before = len(problems)
    source = str(raw.get("source", "") or "")
    if kind is RuleKind.MANUAL and not source:
        source = f"manual:{component}"
    if not source:
        problems.append(Problem((*loc, "source"), "a rule needs a source"))
    elif sources is not None:
        name = _name(source, sources)
        if name not in sources:
            problems.append(
                Problem(
                    (*loc, "source"),
                    f"unknown source {source!r}; known: {', '.join(sorted(sources))}",
                )
            )
        elif sources[name] not in RULE_NEEDS[kind]:
            problems.append(
                Problem(
                    (*loc, "source"),
                    f"a {kind.value} rule needs a "
                    f"{' or '.join(sorted(k.value for k in RULE_NEEDS[kind]))} source; "
                    f"{name} gives a {sources[name].value}",
                )
            )
    points = _d(raw.get("points", 1), (*loc, "points"), problems)
    per = _d(raw.get("per", 1), (*loc, "per"), problems)
    target = (
        _d(raw["target"], (*loc, "target"), problems) if raw.get("target") is not None else None
    )
    limit = _d(raw["limit"], (*loc, "limit"), problems) if raw.get("limit") is not None else None
    rounding = _rounding(raw.get("rounding"), (*loc, "rounding"), problems)
    scope_raw = raw.get("scope", "component")
    if scope_raw not in VetoScope._value2member_map_:
        problems.append(Problem((*loc, "scope"), "scope is component or scorecard"))
        scope_raw = "component"
    free = raw.get("free", 0)
    if not isinstance(free, int) or isinstance(free, bool) or free < 0:
        problems.append(Problem((*loc, "free"), "free is a whole number ≥ 0"))
        free = 0
    if len(problems) > before or points is None or per is None:
        return None
    if points < 0:
        problems.append(
            Problem((*loc, "points"), "points are a deduction and must not be negative")
        )
    if per <= 0:
        problems.append(Problem((*loc, "per"), "per must be positive"))
    if kind is RuleKind.RATE_BELOW_TARGET:
        if target is None:
            problems.append(Problem((*loc, "target"), "a rate-below-target rule needs a target"))
        elif target <= 0:
            problems.append(
                Problem((*loc, "target"), "unreachable: no rate is below a target of 0 or less")
            )
    if kind is RuleKind.RATE_ABOVE_LIMIT and limit is None:
        problems.append(Problem((*loc, "limit"), "a rate-above-limit rule needs a limit"))
    if kind is RuleKind.BAND:
        if target is None or limit is None:
            problems.append(
                Problem(loc, "a band rule needs target (lower ratio) and limit (upper ratio)")
            )
        elif target > limit:
            problems.append(
                Problem((*loc, "target"), "the band's lower ratio is above its upper ratio")
            )
    zero_if_any = bool(raw.get("zero_if_any", False))
    reference_source = str(raw.get("reference_source", "") or "")
    if reference_source and sources is not None and not _known(reference_source, sources):
        problems.append(Problem((*loc, "reference_source"), f"unknown source {reference_source!r}"))
    if (
        points == 0
        and kind not in (RuleKind.VETO, RuleKind.CHECKLIST, RuleKind.MANUAL)
        and not zero_if_any
    ):
        problems.append(Problem((*loc, "points"), "unreachable: this rule can never deduct"))
    if comp_max == 0:
        problems.append(Problem(loc, "unreachable: the component is worth 0 points"))
    if len(problems) > before:
        return None
    return Rule(
        kind=kind,
        source=source,
        points=points,
        target=target,
        limit=limit,
        per=per,
        rounding=rounding,
        zero_if_any=zero_if_any,
        scope=VetoScope(scope_raw),
        free=free,
        reference_source=reference_source,
        label=str(raw.get("label", "") or ""),
    )


def _bands(raw: Any, scale: Decimal, decimals: int, problems: list[Problem]) -> tuple[Band, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Problem(("bands",), "bands are a list"))
        return ()
    bands: list[tuple[int, Band]] = []
    for i, b in enumerate(raw):
        loc: tuple[str | int, ...] = ("bands", i)
        if not isinstance(b, Mapping) or not b.get("code"):
            problems.append(Problem(loc, "a band is a mapping with a code, min and max"))
            continue
        lo = _d(b.get("min"), (*loc, "min"), problems)
        hi = _d(b.get("max"), (*loc, "max"), problems)
        if lo is None or hi is None:
            continue
        if lo > hi:
            problems.append(Problem((*loc, "min"), f"min {lo} is above max {hi}"))
            continue
        if hi > scale or lo < 0:
            problems.append(Problem(loc, f"the band {lo}-{hi} leaves the scale 0-{scale}"))
        bands.append((i, Band(str(b["code"]), lo, hi, str(b.get("label", "") or ""))))
    if not bands:
        return ()
    step = ONE.scaleb(-decimals)
    ordered = sorted(bands, key=lambda ib: ib[1].min)
    if ordered[0][1].min > 0:
        problems.append(
            Problem(
                ("bands", ordered[0][0], "min"), f"gap: no band covers 0 to {ordered[0][1].min}"
            )
        )
    if ordered[-1][1].max < scale:
        problems.append(
            Problem(
                ("bands", ordered[-1][0], "max"),
                f"gap: no band covers {ordered[-1][1].max} to {scale}",
            )
        )
    for (_ia, a), (ib, b) in itertools.pairwise(ordered):
        if b.min <= a.max:
            problems.append(
                Problem(
                    ("bands", ib, "min"),
                    f"overlap: {b.code} starts at {b.min}, inside {a.code} ({a.min}-{a.max})",
                )
            )
        elif b.min - a.max > step:
            problems.append(
                Problem(
                    ("bands", ib, "min"),
                    f"gap: nothing covers {a.max + step} to "
                    f"{b.min - step} (bands are read at {decimals} decimals)",
                )
            )
    codes = [b.code for _i, b in bands]
    for i, b in bands:
        if codes.count(b.code) > 1:
            problems.append(Problem(("bands", i, "code"), f"band {b.code} appears twice"))
            break
    return tuple(b for _i, b in bands)


def _ladder(
    raw: Any, problems: list[Problem], sources: Mapping[str, FactKind] | None
) -> Ladder | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("steps"), list) or not raw["steps"]:
        problems.append(Problem(("ladder",), "a ladder has a source and a list of steps"))
        return None
    source = str(raw.get("source", "") or "")
    if sources is not None and not _known(source, sources):
        problems.append(Problem(("ladder", "source"), f"unknown source {source!r}"))
    steps: list[LadderStep] = []
    for i, s in enumerate(raw["steps"]):
        loc: tuple[str | int, ...] = ("ladder", "steps", i)
        if not isinstance(s, Mapping):
            problems.append(Problem(loc, "a step is a mapping with count and amount"))
            continue
        count = s.get("count")
        amount = _d(s.get("amount", 0), (*loc, "amount"), problems)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            problems.append(Problem((*loc, "count"), "count is a whole number ≥ 0"))
            continue
        if steps and count <= steps[-1].count:
            problems.append(
                Problem((*loc, "count"), f"unreachable: count {count} repeats or goes back")
            )
            continue
        if steps and count != steps[-1].count + 1:
            problems.append(
                Problem(
                    (*loc, "count"),
                    f"gap: counts {steps[-1].count + 1}-{count - 1} have no step",
                )
            )
        if not steps and count != 0:
            problems.append(Problem((*loc, "count"), "gap: the ladder must start at 0"))
        if amount is not None:
            steps.append(LadderStep(count, amount, str(s.get("outcome", "") or "")))
    above = None
    if raw.get("above") is not None:
        a = raw["above"]
        if not isinstance(a, Mapping):
            problems.append(Problem(("ladder", "above"), "above is a mapping"))
        else:
            amt = _d(a.get("amount", 0), ("ladder", "above", "amount"), problems)
            if amt is not None and steps:
                above = LadderStep(steps[-1].count + 1, amt, str(a.get("outcome", "") or ""))
    return Ladder(source, tuple(steps), above)


def _stars(
    raw: Any, problems: list[Problem], sources: Mapping[str, FactKind] | None
) -> StarRule | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(Problem(("stars",), "stars is a mapping"))
        return None
    votes = str(raw.get("votes", "") or "")
    eligible = str(raw.get("eligible", "") or "")
    for key, val in (("votes", votes), ("eligible", eligible)):
        if not val:
            problems.append(Problem(("stars", key), "a source is required"))
        elif sources is not None and not _known(val, sources):
            problems.append(Problem(("stars", key), f"unknown source {val!r}"))
    share = str(raw.get("share", "1/5"))
    try:
        num_s, den_s = share.split("/")
        num, den = int(num_s), int(den_s)
        if not 0 < num <= den:
            raise ValueError
    except ValueError:
        problems.append(Problem(("stars", "share"), "share is a fraction such as 1/5"))
        num, den = 1, 5
    tie = raw.get("tie", "include_all")
    if tie not in TieRule._value2member_map_:
        problems.append(
            Problem(("stars", "tie"), f"tie is one of {', '.join(t.value for t in TieRule)}")
        )
        tie = "include_all"
    amount = _d(raw.get("amount", 0), ("stars", "amount"), problems) or ZERO
    emax = raw.get("eligible_max", 0)
    if not isinstance(emax, int) or isinstance(emax, bool) or emax < 0:
        problems.append(Problem(("stars", "eligible_max"), "a whole number ≥ 0"))
        emax = 0
    return StarRule(votes, eligible, emax, num, den, TieRule(tie), amount)


def scheme_parse(data: Mapping[str, Any], sources: Mapping[str, FactKind] | None = None) -> Scheme:
    """Build a scheme from its data (a pack's YAML, the editor's JSON), checking everything;
    raises SchemeError listing every problem with its place. `sources` are the known fact
    sources and what they give (None: not checked)."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise SchemeError([Problem((), "a scheme is a mapping")])
    code = str(data.get("code", "") or "")
    if not code:
        problems.append(Problem(("code",), "a scheme needs a code"))
    scale = _d(data.get("scale", 100), ("scale",), problems) or HUNDRED
    if scale <= 0:
        problems.append(Problem(("scale",), "the scale must be positive"))
        scale = HUNDRED
    decimals = data.get("decimals", 2)
    if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 4:
        problems.append(Problem(("decimals",), "decimals is a whole number from 0 to 4"))
        decimals = 2
    band_decimals = data.get("band_decimals", 0)
    if (
        not isinstance(band_decimals, int)
        or isinstance(band_decimals, bool)
        or not 0 <= band_decimals <= 4
    ):
        problems.append(Problem(("band_decimals",), "band_decimals is a whole number from 0 to 4"))
        band_decimals = 0
    norm_raw = data.get("normalise", "none")
    if norm_raw not in Normalise._value2member_map_:
        problems.append(Problem(("normalise",), "normalise is none or proportional"))
        norm_raw = "none"
    rounding = _rounding(data.get("rounding"), ("rounding",), problems) or RoundingSpec()
    comps_raw = data.get("components")
    components: list[Component] = []
    if not isinstance(comps_raw, list) or not comps_raw:
        problems.append(Problem(("components",), "a scheme needs at least one component"))
        comps_raw = []
    seen: set[str] = set()
    for i, c in enumerate(comps_raw):
        loc: tuple[str | int, ...] = ("components", i)
        if not isinstance(c, Mapping):
            problems.append(Problem(loc, "a component is a mapping"))
            continue
        ccode = str(c.get("code", "") or "")
        if not ccode:
            problems.append(Problem((*loc, "code"), "a component needs a code"))
        elif ccode in seen:
            problems.append(Problem((*loc, "code"), f"component {ccode} appears twice"))
        seen.add(ccode)
        cmax = _d(c.get("max"), (*loc, "max"), problems)
        if cmax is None:
            continue
        if cmax < 0:
            problems.append(Problem((*loc, "max"), "max must not be negative"))
            continue
        floor = _d(c.get("floor", 0), (*loc, "floor"), problems) or ZERO
        cap = _d(c["cap"], (*loc, "cap"), problems) if c.get("cap") is not None else None
        if floor < 0 or floor > cmax:
            problems.append(Problem((*loc, "floor"), f"the floor must lie in 0-{cmax}"))
        if cap is not None and not floor <= cap <= cmax:
            problems.append(Problem((*loc, "cap"), f"the cap must lie in {floor}-{cmax}"))
        rules_raw = c.get("rules")
        if not isinstance(rules_raw, list) or not rules_raw:
            problems.append(Problem((*loc, "rules"), "a component needs at least one rule"))
            rules_raw = []
        rules = []
        for j, r in enumerate(rules_raw):
            rule = _rule(r, (*loc, "rules", j), problems, sources, cmax, ccode)
            if rule is not None:
                rules.append(rule)
        # A scorecard veto or an unconditional zeroing before other rules leaves them able to
        # change nothing only when triggered, so they stay reachable; two checklist rules in one
        # component would double-count the same maximum.
        if sum(1 for r in rules if r.kind is RuleKind.CHECKLIST) > 1:
            problems.append(
                Problem((*loc, "rules"), "a component takes at most one checklist rule")
            )
        components.append(
            Component(ccode, cmax, tuple(rules), floor, cap, str(c.get("label", "") or ""))
        )
    total = sum((c.max for c in components), ZERO)
    if components and total != scale and norm_raw == Normalise.NONE:
        problems.append(
            Problem(
                ("components",),
                f"the components add up to {total}, not the scale {scale}: fix the points or "
                "set normalise: proportional (total × scale / Σ max)",
            )
        )
    bands = _bands(data.get("bands"), scale, band_decimals, problems)
    ladder = _ladder(data.get("ladder"), problems, sources)
    stars = _stars(data.get("stars"), problems, sources)
    if problems:
        raise SchemeError(problems)
    return Scheme(
        code=code,
        components=tuple(components),
        scale=scale,
        normalise=Normalise(norm_raw),
        decimals=decimals,
        rounding=rounding,
        bands=bands,
        band_decimals=band_decimals,
        ladder=ladder,
        stars=stars,
    )
