"""Helpers for the inspection tests: a small checklist, photos, a snapshot of everything an
inspection write could change (so a refused write can be shown to have changed nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from sqms.common.models import AuditEntry, Notification
from sqms.inspections import services
from sqms.inspections.models import (
    Answer,
    Appeal,
    ChecklistTemplate,
    Correction,
    Inspection,
    Photo,
    SampleDraw,
    SampleEntry,
    TemplateItem,
    TemplateVersion,
)
from sqms.org.models import User

SH = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 9, 10, 0, tzinfo=SH)
# The smallest valid PNG (1×1 pixel).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


def photo(name: str = "finding.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type=content_type)


SPEC: dict[str, Any] = {
    "code": "mini",
    "name_zh": "小检查表",
    "name_en": "Mini check",
    "subject": "unit",
    "kind": "qc_round",
    "decimals": 1,
    "sections": [
        {
            "code": "A",
            "title": "Service",
            "items": [
                {"code": "A1", "text": "Greeting", "points": 10, "deduction": 2},
                {"code": "A2", "text": "Tidy", "points": 10, "evidence_required": True},
                {"code": "A3", "text": "Returns", "points": 5, "na_allowed": True},
            ],
        },
        {
            "code": "B",
            "title": "Records",
            "floor": "section",
            "points": 5,
            "items": [
                {"code": "B1", "text": "Register", "points": 3, "deduction": 3},
                {"code": "B2", "text": "Forged", "points": 0, "veto": "inspection"},
            ],
        },
    ],
}


def mini_template(actor: User | None = None, **changes: Any) -> ChecklistTemplate:
    services.template_save(actor=actor, spec={**SPEC, **changes})
    return ChecklistTemplate.objects.get(code=changes.get("code", "mini"))


def answer_of(inspection: Inspection, code: str) -> Answer:
    return inspection.answers.select_related("item").get(item__code=code)


def fill(inspection: Inspection, actor: User, **found: int) -> Inspection:
    """Answer every item: the named ones with that many nonconformities, the rest conforming."""
    for code, n in found.items():
        services.inspection_answer(
            actor=actor,
            inspection=inspection,
            answer_id=answer_of(inspection, code).pk,
            nonconformities=n,
        )
    services.inspection_answer_rest(actor=actor, inspection=inspection)
    return Inspection.objects.get(pk=inspection.pk)


def world() -> dict[str, Any]:
    return {
        "counts": {
            m.__name__: m.objects.count()
            for m in (
                ChecklistTemplate,
                TemplateVersion,
                TemplateItem,
                Inspection,
                Answer,
                Photo,
                Appeal,
                Correction,
                SampleDraw,
                SampleEntry,
                AuditEntry,
                Notification,
            )
        },
        "inspections": list(
            Inspection.objects.order_by("pk").values_list(
                "pk", "status", "score", "published_at", "submitted_score"
            )
        ),
        "answers": list(
            Answer.objects.order_by("pk").values_list(
                "pk", "nonconformities", "not_applicable", "deducted", "overturned", "answered"
            )
        ),
        "appeals": list(Appeal.objects.order_by("pk").values_list("pk", "outcome")),
    }
