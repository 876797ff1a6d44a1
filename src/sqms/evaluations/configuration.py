"""The `evaluations` section of an industry pack: the appeal time limit, the bulletin's default
audience and the schemes. Validated whole; every mistake is named with its place
(`evaluations.schemes.0.components.2.rules.0.target`) and nothing is loaded when one is wrong.
Loading a pack again makes a new version only of the schemes that changed."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from sqms.common.audit import audit_record
from sqms.common.errors import DomainError, FieldError
from sqms.evaluations.models import Audience, EvaluationRules
from sqms.evaluations.services import scheme_problems, scheme_save
from sqms.org.models import Position, User
from sqms.org.services import position_upsert

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def evaluation_config_apply(*, actor: User | None, data: Any, pack: str) -> list[str]:
    errors: list[FieldError] = []
    if not isinstance(data, dict):
        raise DomainError(
            code="invalid_pack",
            message=_("The evaluations section is a mapping."),
            errors=[FieldError(loc=["evaluations"], msg=_("Expected a mapping."))],
        )
    rules = data.get("rules", {}) or {}
    days = rules.get("appeal_days", 5)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 60:
        errors.append(
            FieldError(
                loc=["evaluations", "rules", "appeal_days"], msg=_("A whole number of days, 1-60.")
            )
        )
    audience = rules.get("audience", Audience.ALL)
    if audience not in Audience.values:
        errors.append(
            FieldError(
                loc=["evaluations", "rules", "audience"],
                msg=_("One of %(choices)s.") % {"choices": ", ".join(Audience.values)},
            )
        )
    positions = data.get("positions", []) or []
    planned_positions = []
    if not isinstance(positions, list):
        errors.append(FieldError(loc=["evaluations", "positions"], msg=_("Expected a list.")))
        positions = []
    for i, node in enumerate(positions):
        ploc: list[str | int] = ["evaluations", "positions", i]
        if not isinstance(node, dict) or not CODE_RE.match(str(node.get("code", ""))):
            errors.append(
                FieldError(
                    loc=[*ploc, "code"],
                    msg=_("A position code is lower-case letters, digits and '_'."),
                )
            )
            continue
        for lang in ("zh", "en"):
            if not str(node.get(lang, "")).strip():
                errors.append(FieldError(loc=[*ploc, lang], msg=_("A name is required.")))
        planned_positions.append(
            (
                str(node["code"]),
                str(node.get("zh", "")),
                str(node.get("en", "")),
                bool(node.get("manager", False)),
            )
        )
    declared = {p[0] for p in planned_positions}
    schemes = data.get("schemes", [])
    if not isinstance(schemes, list):
        errors.append(FieldError(loc=["evaluations", "schemes"], msg=_("Expected a list.")))
        schemes = []
    planned = []
    seen: set[str] = set()
    for i, node in enumerate(schemes):
        loc: list[str | int] = ["evaluations", "schemes", i]
        if not isinstance(node, dict):
            errors.append(FieldError(loc=loc, msg=_("Expected a mapping.")))
            continue
        code = str(node.get("code", ""))
        if code in seen:
            errors.append(
                FieldError(
                    loc=[*loc, "code"], msg=_("Scheme %(code)s appears twice.") % {"code": code}
                )
            )
        seen.add(code)
        for lang in ("zh", "en"):
            if not str(node.get(lang, "")).strip():
                errors.append(FieldError(loc=[*loc, lang], msg=_("A name is required.")))
        spec = {k: v for k, v in node.items() if k not in ("zh", "en")}
        for p in scheme_problems(spec, positions_known=declared):
            errors.append(FieldError(loc=[*loc, *p.loc], msg=p.msg))
        planned.append((code, str(node.get("zh", "")), str(node.get("en", "")), spec))
    if errors:
        raise DomainError(code="invalid_pack", message=errors[0].msg, errors=errors)
    existing = set(Position.objects.filter(code__in=declared).values_list("code", flat=True))
    for code, zh, en, manager in planned_positions:
        if code not in existing:  # a pack never renames the organisation's own positions
            position_upsert(actor=actor, code=code, name_zh=zh, name_en=en, is_manager=manager)
    row, _created = EvaluationRules.objects.get_or_create(id=1)
    if (row.appeal_days, row.audience) != (days, audience):
        before = {"appeal_days": row.appeal_days, "audience": row.audience}
        row.appeal_days, row.audience = days, audience
        row.save()
        audit_record(
            actor=actor,
            action="evaluations.rules_update",
            target=row,
            before=before,
            after={"appeal_days": days, "audience": audience},
        )
    for code, zh, en, spec in planned:
        scheme_save(
            actor=actor, code=code, name_zh=zh, name_en=en, spec=spec, pack=pack, activate=True
        )
    return []
