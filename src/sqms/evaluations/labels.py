"""Display labels from a scheme's own data (components, grade bands, ladder outcomes), in the
reader's language: a label may be given as `label` (Chinese) with `en` beside it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
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
