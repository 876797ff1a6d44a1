"""Shared pieces of the evaluation pages."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sqms.evaluations.labels import (
    component_labels,
    grade_labels,
    input_label,
    kind_label,
    note_label,
    outcome_label,
)
from sqms.evaluations.models import Run, Scorecard, ScorecardLine

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ref_url(kind: str, pk: int, label: str = "") -> str:
    if kind == "measurement" and label:
        return reverse("metrics:detail", args=[label]) + f"#m{pk}"
    if kind == "complaint":
        return reverse("complaints:detail", args=[pk])
    if kind == "inspection":
        return reverse("inspections:detail", args=[pk])
    return ""


def card_rows(run: Run, cards: list[Scorecard]) -> list[dict[str, Any]]:
    grades = grade_labels(run.version.spec)
    return [
        {
            "card": c,
            "name": c.staff.name if c.staff else c.unit.name,
            "grade": grades.get(c.grade, c.grade),
            "outcome": outcome_label(c.outcomes.get("ladder", {}).get("outcome", "")),
        }
        for c in cards
    ]


def line_rows(run: Run, lines: list[ScorecardLine]) -> list[dict[str, Any]]:
    comps = component_labels(run.version.spec)
    out = []
    for ln in lines:
        out.append(
            {
                "line": ln,
                "component": comps.get(ln.component, ln.component),
                "kind": kind_label(ln.kind),
                "inputs": [
                    (input_label(k), v)
                    for k, v in ln.inputs.items()
                    if k not in ("value", "n", "interval")
                ],
                "note": note_label(ln.note),
                "value": ln.inputs.get("value"),
                "n": ln.inputs.get("n"),
                "interval": ln.inputs.get("interval"),
                "refs": [
                    {
                        "kind": r[0],
                        "id": r[1],
                        "label": r[2] or f"#{r[1]}",
                        "url": ref_url(r[0], r[1], r[2]),
                    }
                    for r in ln.refs
                ],
            }
        )
    return out
