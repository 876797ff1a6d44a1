"""The evaluation rules engine (测评/考核), as plain values: schemes, their validation, and the
scoring of one subject's facts into an explainable scorecard.

A scheme has components with maximum points; each component is scored by rules of a closed set
(`RuleKind`), every rule a *deduction* from the component's maximum (seed 004 scores everything
as "扣分"): checklist (the mean inspection percentage of the period, seed 004 第九条), per-event
("每发生一起有理投诉扣2分"), rate below target ("不得低于90%，每少1%扣2分"), rate above limit
(breakage ‰), band around a reference ("每超(减)1%扣2分", stock-to-sales vs the social
ratio, not below 80% of it), incident ("一项不符扣10分", any accident zeroes the component), veto
(一票否决: zeroes the component or the whole scorecard), completion ("未完成扣5分") and manual
(points entered with a written justification). A component never leaves [floor, cap] ⊆ [0, max].

Partial units are rounded by a stated setting (`RoundingSpec`): the shortfall or excess is
counted in steps of `step` (1 = whole percentage points, 0.01 = proportional to a hundredth) and
rounded by `mode` (ceil = "per started point", floor = only whole points count, half_up).

The total is the sum of the components; when they do not add up to the scale, the scheme must say
how it normalises (`Normalise.PROPORTIONAL`: total × scale / Σ max — seed 004's customer manager
components add up to 120 and the delivery staff's to 110 on a "百分制" scale), otherwise
validation refuses it. Grades are looked up on the total rounded to the bands' precision.

Outcomes that do not change the score — reward/penalty ladders (seed 000's cashier ladder), the
service-star selection, thresholds with consequences (seed 004 第十九条) and the mean aggregation
of staff into units and units into divisions — are separate pure functions here too.

Every line of a result carries its rule, its inputs and its points, so a scorecard explains
itself and recomputes identically from the same scheme and facts.
"""

from __future__ import annotations

from sqms.core.scoring.engine import grade_for, score_scorecard
from sqms.core.scoring.model import (
    RULE_NEEDS,
    Band,
    Component,
    ComponentResult,
    Fact,
    FactKind,
    Ladder,
    LadderStep,
    Line,
    Normalise,
    Problem,
    RoundingSpec,
    RoundMode,
    Rule,
    RuleKind,
    Scheme,
    SchemeError,
    ScorecardResult,
    StarRule,
    TieRule,
    VetoScope,
    round_units,
)
from sqms.core.scoring.outcomes import (
    StarCandidate,
    StarResult,
    ladder_outcome,
    mean,
    service_stars,
    threshold_shortfall,
)
from sqms.core.scoring.parse import scheme_parse

__all__ = [
    "RULE_NEEDS",
    "Band",
    "Component",
    "ComponentResult",
    "Fact",
    "FactKind",
    "Ladder",
    "LadderStep",
    "Line",
    "Normalise",
    "Problem",
    "RoundMode",
    "RoundingSpec",
    "Rule",
    "RuleKind",
    "Scheme",
    "SchemeError",
    "ScorecardResult",
    "StarCandidate",
    "StarResult",
    "StarRule",
    "TieRule",
    "VetoScope",
    "grade_for",
    "ladder_outcome",
    "mean",
    "round_units",
    "scheme_parse",
    "score_scorecard",
    "service_stars",
    "threshold_shortfall",
]
