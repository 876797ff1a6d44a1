"""The `metrics` section of an industry pack: KPI definitions. Validated whole; every mistake is
named with its place (`kpis.3.formula`) and nothing is loaded when one is wrong."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from sqms.common.errors import DomainError, FieldError
from sqms.metrics import services
from sqms.metrics.models import Direction, Formula, KpiSource, SubjectKind
from sqms.org.models import User

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def _choice(
    node: dict[str, Any],
    key: str,
    choices: list[str],
    default: str,
    loc: list[str | int],
    errors: list[FieldError],
) -> str:
    value = str(node.get(key, default))
    if value not in choices:
        errors.append(
            FieldError(
                loc=[*loc, key],
                msg=_("One of %(choices)s.") % {"choices": ", ".join(choices)},
            )
        )
    return value


def metrics_config_apply(*, actor: User | None, data: Any, pack: str) -> list[str]:
    errors: list[FieldError] = []
    if not isinstance(data, dict) or not isinstance(data.get("kpis", []), list):
        raise DomainError(
            code="invalid_pack",
            message=_("The metrics section is a mapping with a list of kpis."),
            errors=[FieldError(loc=["metrics"], msg=_("Expected a mapping with a kpis list."))],
        )
    planned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, node in enumerate(data.get("kpis", [])):
        loc: list[str | int] = ["metrics", "kpis", i]
        if not isinstance(node, dict):
            errors.append(FieldError(loc=loc, msg=_("Expected a mapping.")))
            continue
        code = str(node.get("code", ""))
        if not CODE_RE.match(code):
            errors.append(
                FieldError(
                    loc=[*loc, "code"], msg=_("A KPI code is lower-case letters, digits and '-'.")
                )
            )
            continue
        if code in seen:
            errors.append(
                FieldError(
                    loc=[*loc, "code"], msg=_("KPI %(code)s appears twice.") % {"code": code}
                )
            )
            continue
        seen.add(code)
        for lang in ("zh", "en"):
            if not str(node.get(lang, "")).strip():
                errors.append(FieldError(loc=[*loc, lang], msg=_("A name is required.")))
        formula = _choice(node, "formula", list(Formula.values), "", loc, errors)
        direction = _choice(node, "direction", list(Direction.values), "higher", loc, errors)
        source = _choice(node, "source", list(KpiSource.values), "entered", loc, errors)
        subject = _choice(node, "subject", list(SubjectKind.values), "unit", loc, errors)
        target = None
        if node.get("target") is not None:
            try:
                target = Decimal(str(node["target"]))
                if not target.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors.append(FieldError(loc=[*loc, "target"], msg=_("The target is a number.")))
        planned.append(
            {
                "code": code,
                "name_zh": str(node.get("zh", "")),
                "name_en": str(node.get("en", "")),
                "formula": formula,
                "direction": direction,
                "target": target,
                "source": source,
                "subject": subject,
                "numerator_label": str(node.get("numerator", "")),
                "denominator_label": str(node.get("denominator", "")),
                "definition": str(node.get("definition", "")),
                "pack": pack,
                "is_active": True,
            }
        )
    if errors:
        raise DomainError(code="invalid_pack", message=errors[0].msg, errors=errors)
    for values in planned:
        services.kpi_upsert(actor=actor, **values)
    return []
