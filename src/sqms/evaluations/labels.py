"""Display labels from a scheme's own data (components, grade bands, ladder outcomes), in the
reader's language: a label may be given as `label` (Chinese) with `en` beside it."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

OUTCOMES = {"dismissal_review": _("Dismissal review")}
KINDS = {
    "checklist": _("Checklist"),
    "per_event": _("Per event"),
    "rate_below_target": _("Rate below target"),
    "rate_above_limit": _("Rate above limit"),
    "band": _("Band around a reference"),
    "incident": _("Incident"),
    "veto": _("Veto"),
    "completion": _("Completion"),
    "manual": _("Manual"),
}


def _pick(node: dict[str, Any], fallback: str) -> str:
    if (get_language() or "").startswith("en") and node.get("en"):
        return str(node["en"])
    return str(node.get("label") or node.get("zh") or node.get("en") or fallback)


def component_labels(spec: dict[str, Any]) -> dict[str, str]:
    return {c["code"]: _pick(c, c["code"]) for c in spec.get("components", [])}


def grade_labels(spec: dict[str, Any]) -> dict[str, str]:
    return {b["code"]: _pick(b, b["code"]) for b in spec.get("bands", [])}


def outcome_label(code: str) -> str:
    return str(OUTCOMES.get(code, code))


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))


# The engine (sqms.core.scoring) writes its notes in plain English; they are shown translated.
NOTES = {
    "no data": _("no data"),
    "no entry": _("no entry"),
    "no data: full points": _("no data: full points"),
    "veto": _("veto"),
    "veto: the whole scorecard is zero": _("veto: the whole scorecard is zero"),
    "any incident zeroes the component": _("any incident zeroes the component"),
    "not counted: a manual entry needs a justification": _(
        "not counted: a manual entry needs a justification"
    ),
    "done": _("done"),
    "not done": _("not done"),
    "no reference value": _("no reference value"),
    "quota 0": _("quota 0"),
    "nobody eligible": _("nobody eligible"),
    "tie at the cut-off: all tied candidates included": _(
        "tie at the cut-off: all tied candidates included"
    ),
    "tie at the cut-off: tied candidates left out": _(
        "tie at the cut-off: tied candidates left out"
    ),
    "tie at the cut-off: settled by the higher score": _(
        "tie at the cut-off: settled by the higher score"
    ),
    "tie at the cut-off: settled by the higher score; still tied on score: all of them included": _(
        "tie at the cut-off: settled by the higher score; still tied on score: all of them included"
    ),
}
INPUTS = {
    "count": _("count"),
    "free": _("free"),
    "target": _("target"),
    "shortfall": _("shortfall"),
    "units": _("units"),
    "rounding": _("rounding"),
    "limit": _("limit"),
    "excess": _("excess"),
    "low": _("low"),
    "high": _("high"),
    "deviation_pct": _("deviation %"),
    "reference": _("reference"),
}
UPHELD = re.compile(r"^appeal upheld: (\S+) → (\S+)$")
SHARE = re.compile(r"^(\S+)% of (\S+)$")


def note_label(note: str) -> str:
    if note in NOTES:
        return str(NOTES[note])
    m = UPHELD.match(note)
    if m:
        return gettext("appeal upheld: %(before)s → %(after)s") % {"before": m[1], "after": m[2]}
    m = SHARE.match(note)
    if m:
        return gettext("%(value)s%% of %(max)s") % {"value": m[1], "max": m[2]}
    return note  # a manual entry's own justification


def input_label(key: str) -> str:
    return str(INPUTS.get(key, key))


# The scheme checker (sqms.core.scoring.parse) words its problems in English; the editor shows
# the frequent ones translated, the rest as written.
PROBLEMS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"^the components add up to (?P<total>\S+), not the scale (?P<scale>[^:]+):"),
        _(
            "the components add up to %(total)s, not the scale %(scale)s: fix the points or "
            "set normalise: proportional (total × scale / Σ max)"
        ),
    ),
    (
        re.compile(r"^overlap: (?P<band>\S+) starts at (?P<min>\S+), inside (?P<other>\S+) "),
        _("overlap: band %(band)s starts at %(min)s, inside band %(other)s"),
    ),
    (
        re.compile(r"^gap: nothing covers (?P<low>\S+) to (?P<high>\S+) "),
        _("gap: no band covers %(low)s to %(high)s"),
    ),
    (
        re.compile(r"^gap: no band covers (?P<low>\S+) to (?P<high>\S+)$"),
        _("gap: no band covers %(low)s to %(high)s"),
    ),
    (
        re.compile(r"^unreachable: this rule can never deduct$"),
        _("unreachable: this rule can never deduct"),
    ),
    (
        re.compile(r"^unreachable: no rate is below a target of 0 or less$"),
        _("unreachable: no rate is below a target of 0 or less"),
    ),
    (
        re.compile(r"^unreachable: the component is worth 0 points$"),
        _("unreachable: the component is worth 0 points"),
    ),
    (
        re.compile(r"^unreachable: count (?P<count>\d+) repeats or goes back$"),
        _("unreachable: ladder step %(count)s repeats or goes back"),
    ),
    (
        re.compile(r"^unknown source '(?P<source>[^']*)'"),
        _("unknown source %(source)s"),
    ),
    (
        re.compile(
            r"^a (?P<kind>\w+) rule needs a (?P<needs>.+) source; "
            r"(?P<source>\S+) gives a (?P<gives>\w+)$"
        ),
        _("a %(kind)s rule needs a %(needs)s source; %(source)s gives a %(gives)s"),
    ),
    (
        re.compile(r"^no position has the code '(?P<code>[^']*)'$"),
        _("no position has the code %(code)s"),
    ),
    (
        re.compile(r"^a scheme needs at least one component$"),
        _("a scheme needs at least one component"),
    ),
]


def problem_label(msg: str) -> str:
    for pattern, text in PROBLEMS:
        m = pattern.match(msg)
        if m:
            return str(text) % m.groupdict() if m.groupdict() else str(text)
    return msg
