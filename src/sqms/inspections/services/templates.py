"""Checklist templates and their versions."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from sqms.common.audit import audit_record
from sqms.core import scorecard
from sqms.inspections import checklists
from sqms.inspections.models import (
    ChecklistTemplate,
    TemplateItem,
    TemplateSection,
    TemplateVersion,
)
from sqms.inspections.services._common import (
    _require,
    _text,
)
from sqms.org.models import User
from sqms.org.roles import Cap

# --- Templates --------------------------------------------------------------------------------


def _write_version(version: TemplateVersion, spec: dict[str, Any]) -> None:
    items: list[TemplateItem] = []
    order = 0
    for si, s in enumerate(spec["sections"]):
        section = TemplateSection.objects.create(
            version=version,
            order=si,
            code=s["code"],
            title=s["title"],
            floor=s["floor"],
            points=s["points"],
        )
        for it in s["items"]:
            items.append(
                TemplateItem(
                    version=version,
                    section=section,
                    order=order,
                    code=it["code"],
                    text=it["text"],
                    guidance=it["guidance"],
                    points=it["points"],
                    deduction=it["deduction"],
                    evidence_required=it["evidence_required"],
                    na_allowed=it["na_allowed"],
                    veto=it["veto"],
                )
            )
            order += 1
    TemplateItem.objects.bulk_create(items)


@transaction.atomic
def template_save(
    *, actor: User | None, spec: dict[str, Any], note: str = "", pack: str = ""
) -> TemplateVersion:
    """Create or change a checklist. `spec` is validated whole (`checklists.spec_validate`).
    An unchanged checklist keeps its version; a change to a version no inspection used yet
    rewrites that version; a change to a used version makes a new version, so the inspections
    done on the old one keep their scores."""
    _require(actor, Cap.INSPECTION_MANAGE)
    spec = checklists.spec_validate(spec)
    note = _text(note, "note", limit=300)
    template = ChecklistTemplate.objects.select_for_update().filter(code=spec["code"]).first()
    fields = {
        "name_zh": spec["name_zh"],
        "name_en": spec["name_en"],
        "subject": spec["subject"],
        "kind": spec["kind"],
        "description": spec["description"],
    }
    created = template is None
    if template is None:
        template = ChecklistTemplate.objects.create(code=spec["code"], pack=pack, **fields)
    else:
        for k, v in fields.items():
            setattr(template, k, v)
        template.is_active = True
        template.save(update_fields=[*fields, "is_active", "updated_at"])
    current = template.current
    settings_fields = {
        "na_policy": spec["na_policy"],
        "decimals": spec["decimals"],
        "rounding": spec["rounding"],
        "max_points": spec["max_points"],
    }
    if current is not None and checklists.content_key(
        checklists.version_spec(current)
    ) == checklists.content_key(spec):
        return current
    if current is not None and not current.inspections.exists():
        # Nobody scored against it yet: it is still a draft of the checklist, not a record.
        TemplateItem.objects.filter(version=current).delete()
        TemplateSection.objects.filter(version=current).delete()
        for k, v in settings_fields.items():
            setattr(current, k, v)
        current.note = note
        current.save(update_fields=[*settings_fields, "note"])
        version = current
        action = "rewrite"
    else:
        number = (current.number + 1) if current is not None else 1
        version = TemplateVersion.objects.create(
            template=template,
            number=number,
            note=note,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            **settings_fields,
        )
        template.current = version
        template.save(update_fields=["current", "updated_at"])
        action = "create" if created else "new_version"
    _write_version(version, spec)
    audit_record(
        actor=actor,
        action=f"checklist.{action}",
        target=template,
        after={
            "version": version.number,
            "items": sum(len(s["items"]) for s in spec["sections"]),
            "max_points": spec["max_points"],
        },
        note=note,
    )
    return version


@transaction.atomic
def template_deactivate(*, actor: User | None, template: ChecklistTemplate) -> ChecklistTemplate:
    _require(actor, Cap.INSPECTION_MANAGE)
    template = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    template.is_active = False
    template.save(update_fields=["is_active", "updated_at"])
    audit_record(actor=actor, action="checklist.deactivate", target=template)
    return template


def checklist_for(version: TemplateVersion) -> tuple[scorecard.Checklist, dict[int, str]]:
    """The pure scorecard of a version, and item id → item code (two queries)."""
    spec = checklists.version_spec(version)
    codes = dict(TemplateItem.objects.filter(version=version).values_list("pk", "code"))
    return checklists.as_checklist(spec), codes
