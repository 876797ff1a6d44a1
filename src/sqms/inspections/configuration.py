"""The `inspections` section of an industry pack: checklist templates (as data), sampling plans
and the appeal settings. Validated whole — every problem with its place in the pack — and
applied through the services, so a reloaded pack with an unchanged checklist keeps its version
and a changed one gets a new version (old inspections keep their scores).

    inspections:
      rules: {appeal_days: 5}
      templates:
        - code: store-service
          zh: 门店服务检查
          en: Store service check
          subject: unit            # or staff
          kind: qc_round           # self_check, qc_round, joint, mystery, visit
          max_points: 100          # optional: checked against the sections
          na_policy: reduce        # or rescale
          decimals: 1
          rounding: half_up
          sections:
            - code: A
              title: 仪容仪表
              floor: item          # or section (then `points` is the section's worth)
              items:
                - {code: A1, text: …, points: 5, deduction: 1, evidence_required: true,
                   na_allowed: false, veto: "", guidance: …}
      plans:
        - {code: …, name: …, template: store-service, unit: HQ, population: unit,
           unit_kind: store, period: month, rate: 0.25, minimum: 2, stratify: ""}
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sqms.common.errors import DomainError, FieldError
from sqms.inspections import checklists, services
from sqms.inspections.models import ChecklistTemplate, SamplingPlan
from sqms.org.models import OrgUnit, User


def _plans(items: Any, codes: set[str], errors: list[FieldError]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if items is None:
        return out
    if not isinstance(items, list):
        errors.append(FieldError(loc=["inspections", "plans"], msg=_("Expected a list.")))
        return out
    for i, p in enumerate(items):
        loc: list[str | int] = ["inspections", "plans", i]
        if not isinstance(p, dict):
            errors.append(FieldError(loc=loc, msg=_("Expected a mapping.")))
            continue
        template = str(p.get("template") or "")
        if template not in codes and not ChecklistTemplate.objects.filter(code=template).exists():
            errors.append(
                FieldError(
                    loc=[*loc, "template"],
                    msg=_("No checklist %(code)s in this pack.") % {"code": template},
                )
            )
        try:
            rate = Decimal(str(p.get("rate", 0)))
        except InvalidOperation:
            errors.append(FieldError(loc=[*loc, "rate"], msg=_("A share between 0 and 1.")))
            continue
        if not Decimal(0) <= rate <= Decimal(1):
            errors.append(FieldError(loc=[*loc, "rate"], msg=_("A share between 0 and 1.")))
        for key, choices in (
            ("population", SamplingPlan.Population.values),
            ("period", SamplingPlan.Period.values),
        ):
            if str(p.get(key) or "") not in choices:
                errors.append(
                    FieldError(
                        loc=[*loc, key],
                        msg=_("One of: %(choices)s.") % {"choices": ", ".join(choices)},
                    )
                )
        if str(p.get("stratify") or "") not in SamplingPlan.Strata.values:
            errors.append(FieldError(loc=[*loc, "stratify"], msg=_("Unknown strata.")))
        out.append({**p, "rate": rate, "loc": loc})
    return out


@transaction.atomic
def inspection_config_apply(*, actor: User | None, data: Any, pack: str) -> list[str]:
    """Apply a pack's `inspections` section; returns warnings (a plan whose unit this
    organisation does not have is skipped with a warning)."""
    errors: list[FieldError] = []
    warnings: list[str] = []
    if not isinstance(data, dict):
        raise DomainError(
            code="invalid_pack", message=_("The inspections section must be a mapping.")
        )
    unknown = sorted(set(data) - {"rules", "templates", "plans"})
    for key in unknown:
        errors.append(FieldError(loc=["inspections", key], msg=_("Unknown key.")))
    specs: list[dict[str, Any]] = []
    raw_templates = data.get("templates") or []
    if not isinstance(raw_templates, list):
        errors.append(FieldError(loc=["inspections", "templates"], msg=_("Expected a list.")))
        raw_templates = []
    seen: set[str] = set()
    for i, t in enumerate(raw_templates):
        loc: list[str | int] = ["inspections", "templates", i]
        try:
            spec = checklists.spec_validate(t, loc)
        except DomainError as exc:
            errors.extend(exc.errors)
            if isinstance(t, dict) and t.get("code"):
                seen.add(str(t["code"]))  # so that its plans are not reported as well
            continue
        if spec["code"] in seen:
            errors.append(
                FieldError(
                    loc=[*loc, "code"],
                    msg=_("Checklist %(code)s appears twice.") % {"code": spec["code"]},
                )
            )
        seen.add(spec["code"])
        specs.append(spec)
    plans = _plans(data.get("plans"), seen, errors)
    raw_rules = data.get("rules") or {}
    appeal_days = None
    if not isinstance(raw_rules, dict):
        errors.append(FieldError(loc=["inspections", "rules"], msg=_("Expected a mapping.")))
    elif "appeal_days" in raw_rules:
        value = raw_rules["appeal_days"]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 60:
            errors.append(
                FieldError(
                    loc=["inspections", "rules", "appeal_days"], msg=_("Between 1 and 60 days.")
                )
            )
        else:
            appeal_days = value
    if errors:
        raise DomainError(
            code="invalid_pack",
            message=_("The pack has errors; nothing was loaded."),
            errors=errors,
        )
    for spec in specs:
        services.template_save(
            actor=actor, spec=spec, note=_("from pack %(pack)s") % {"pack": pack}, pack=pack
        )
    root = OrgUnit.objects.filter(parent__isnull=True, is_active=True).order_by("pk").first()
    for p in plans:
        unit = OrgUnit.objects.filter(code=str(p.get("unit"))).first() if p.get("unit") else root
        if unit is None:
            warnings.append(
                _("Plan %(code)s: unit %(unit)s does not exist here; the plan was skipped.")
                % {"code": p.get("code"), "unit": p.get("unit") or "—"}
            )
            continue
        try:
            services.plan_save(
                actor=actor,
                code=str(p.get("code") or ""),
                name=str(p.get("name") or ""),
                template=ChecklistTemplate.objects.get(code=p["template"]),
                unit=unit,
                population=str(p["population"]),
                period=str(p["period"]),
                rate=p["rate"],
                minimum=int(p.get("minimum") or 0),
                stratify=str(p.get("stratify") or ""),
                kind=str(p.get("kind") or ""),
                unit_kind=str(p.get("unit_kind") or ""),
                position=str(p.get("position") or ""),
            )
        except DomainError as exc:
            raise DomainError(
                code="invalid_pack",
                message=_("The pack has errors; nothing was loaded."),
                errors=[FieldError(loc=[*p["loc"], *e.loc], msg=e.msg) for e in exc.errors],
            ) from None
    if appeal_days is not None:
        services.rules_save(actor=actor, appeal_days=appeal_days, pack=pack)
    return warnings
