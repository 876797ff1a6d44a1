"""Writes to the complaint rules (categories, time-limit policies, organisation-wide settings),
as a pack or an operator gives them. Validated as a whole: a pack with one bad entry changes
nothing, and every problem is reported with its place in the pack."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sqms.common.audit import audit_record
from sqms.common.errors import DomainError, FieldError
from sqms.common.memo import bump
from sqms.complaints.models import Category, Channel, ComplaintRules, Level, SlaPolicy, TimeUnit
from sqms.core.sla import Target
from sqms.core.sla import TimeUnit as CoreUnit
from sqms.org.models import OrgUnit, User

CLOCKS = ("first_response", "update", "resolution")
AMOUNT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+([a-z_]+)\s*$")


def parse_limit(
    raw: Any, loc: list[str | int], errors: list[FieldError]
) -> tuple[Decimal, str] | None:
    """'12 calendar_hours' → (12, 'calendar_hours'); a problem is added to `errors`."""
    m = AMOUNT_RE.match(str(raw))
    if not m or m.group(2) not in TimeUnit.values:
        errors.append(
            FieldError(
                loc=loc,
                msg=_("Write a time limit as AMOUNT UNIT, with UNIT one of %(units)s.")
                % {"units": ", ".join(TimeUnit.values)},
            )
        )
        return None
    try:
        Target(Decimal(m.group(1)), CoreUnit(m.group(2)))
    except (ValueError, InvalidOperation) as exc:
        errors.append(FieldError(loc=loc, msg=str(exc)))
        return None
    return Decimal(m.group(1)), m.group(2)


def _categories(items: Any, errors: list[FieldError], warnings: list[str]) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    seen: set[str] = set()

    def walk(nodes: Any, parent: str | None, loc: list[str | int]) -> None:
        if not isinstance(nodes, list):
            errors.append(FieldError(loc=loc, msg=_("Expected a list.")))
            return
        for i, node in enumerate(nodes):
            here = [*loc, i]
            if not isinstance(node, dict):
                errors.append(FieldError(loc=here, msg=_("Expected a mapping.")))
                continue
            code = str(node.get("code", "")).strip()
            if not re.match(r"^[a-z0-9][a-z0-9-]{0,39}$", code):
                errors.append(
                    FieldError(
                        loc=[*here, "code"],
                        msg=_("A category code is lower-case letters, digits and '-'."),
                    )
                )
                continue
            if code in seen:
                errors.append(
                    FieldError(
                        loc=[*here, "code"],
                        msg=_("Category %(code)s appears twice.") % {"code": code},
                    )
                )
                continue
            seen.add(code)
            for lang in ("zh", "en"):
                if not str(node.get(lang, "")).strip():
                    errors.append(FieldError(loc=[*here, lang], msg=_("A name is required.")))
            route = node.get("route_to")
            route_unit = None
            if route:
                route_unit = OrgUnit.objects.filter(code=str(route)).first()
                if route_unit is None:
                    warnings.append(
                        _(
                            "Category %(code)s: unit %(unit)s does not exist here; "
                            "complaints stay with their store."
                        )
                        % {"code": code, "unit": route}
                    )
            flat.append(
                {
                    "code": code,
                    "parent": parent,
                    "name_zh": str(node.get("zh", "")).strip(),
                    "name_en": str(node.get("en", "")).strip(),
                    "route_to": route_unit,
                    "counts_against_staff": bool(node.get("counts_against_staff", True)),
                    "order": len(flat),
                }
            )
            if "children" in node:
                walk(node["children"], code, [*here, "children"])

    walk(items, None, ["complaints", "categories"])
    return flat


def _policies(items: Any, errors: list[FieldError]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not isinstance(items, list):
        errors.append(FieldError(loc=["complaints", "policies"], msg=_("Expected a list.")))
        return out
    keys: set[tuple[str, int | None]] = set()
    for i, item in enumerate(items):
        loc: list[str | int] = ["complaints", "policies", i]
        if not isinstance(item, dict):
            errors.append(FieldError(loc=loc, msg=_("Expected a mapping.")))
            continue
        channel = str(item.get("channel", ""))
        if channel not in Channel.values:
            errors.append(
                FieldError(loc=[*loc, "channel"], msg=_("Unknown channel %(v)s.") % {"v": channel})
            )
            continue
        urgency = item.get("urgency")
        if urgency is not None and urgency not in Level.values:
            errors.append(FieldError(loc=[*loc, "urgency"], msg=_("Urgency is 1, 2 or 3.")))
            continue
        if (channel, urgency) in keys:
            errors.append(
                FieldError(loc=loc, msg=_("A second policy for the same channel and urgency."))
            )
            continue
        keys.add((channel, urgency))
        row: dict[str, Any] = {
            "channel": channel,
            "urgency": urgency,
            "follow_up_required": bool(item.get("follow_up_required", True)),
        }
        for clock in CLOCKS:
            row[f"{clock}_amount"], row[f"{clock}_unit"] = None, ""
            if item.get(clock) is not None:
                parsed = parse_limit(item[clock], [*loc, clock], errors)
                if parsed:
                    row[f"{clock}_amount"], row[f"{clock}_unit"] = parsed
        out.append(row)
    return out


@transaction.atomic
def complaint_config_apply(*, actor: User | None, data: dict[str, Any], pack: str) -> list[str]:
    """Apply a pack's `complaints` section: categories (upserted by code; ones the pack no longer
    lists are deactivated, never deleted), policies (replaced) and rules. Returns warnings."""
    errors: list[FieldError] = []
    warnings: list[str] = []
    if not isinstance(data, dict):
        raise DomainError(
            code="invalid_pack", message=_("The complaints section must be a mapping.")
        )
    cats = _categories(data.get("categories", []), errors, warnings)
    policies = _policies(data.get("policies", []), errors)
    raw_rules = data.get("rules") or {}
    rules_row: dict[str, Any] = {}
    if "escalation_answer" in raw_rules:
        parsed = parse_limit(
            raw_rules["escalation_answer"], ["complaints", "rules", "escalation_answer"], errors
        )
        if parsed:
            rules_row["escalation_answer_amount"], rules_row["escalation_answer_unit"] = parsed
    for key, lo, hi in (
        ("escalation_step_hours", 0.5, 720),
        ("warn_share", 0, 0.9),
        ("register_due_day", 1, 28),
    ):
        if key in raw_rules:
            try:
                value = Decimal(str(raw_rules[key]))
            except InvalidOperation:
                value = Decimal(-1)
            if not (Decimal(str(lo)) <= value <= Decimal(str(hi))):
                errors.append(
                    FieldError(
                        loc=["complaints", "rules", key],
                        msg=_("Must be between %(lo)s and %(hi)s.") % {"lo": lo, "hi": hi},
                    )
                )
            else:
                rules_row[key] = int(value) if key == "register_due_day" else value
    if errors:
        raise DomainError(
            code="invalid_pack",
            message=_("The pack has errors; nothing was loaded."),
            errors=errors,
        )
    by_code: dict[str, Category] = {}
    for row in cats:
        parent = by_code.get(row.pop("parent")) if row.get("parent") else None
        cat, _created = Category.objects.update_or_create(
            code=row["code"], defaults={**row, "parent": parent, "is_active": True}
        )
        by_code[cat.code] = cat
    Category.objects.exclude(code__in=list(by_code)).update(is_active=False)
    SlaPolicy.objects.all().delete()  # configuration, not a record: the audit entry keeps the old
    SlaPolicy.objects.bulk_create([SlaPolicy(**p) for p in policies])
    bump()  # update() and bulk_create() send no signal
    ComplaintRules.objects.update_or_create(pk=1, defaults={**rules_row, "pack": pack})
    audit_record(
        actor=actor,
        action="complaints.config_apply",
        target_type="complaints.rules",
        target_id="1",
        after={
            "pack": pack,
            "categories": list(by_code),
            "policies": len(policies),
            "rules": rules_row,
        },
    )
    return warnings
