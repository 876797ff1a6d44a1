"""Every write to inspections a user (or a pack, or the demo) can cause: one function per
business operation, each in a transaction with its audit entry. Views, the API, packs, tasks and
the demo loader call these and nothing else.

Scores are always computed by `sqms.core.scorecard` from the answers and the exact template
version the inspection was started on; a submitted inspection changes only through
`inspection_correct` (recorded with before and after) or an appeal decision."""

from sqms.inspections.services._common import (
    MAX_NONCONFORMITIES,
    MAX_PHOTOS,
    PHOTO_TYPES,
    rules,
)
from sqms.inspections.services.inspections import (
    appeal_deadline,
    appeal_decide,
    appeal_file,
    inspection_answer,
    inspection_answer_rest,
    inspection_correct,
    inspection_publish,
    inspection_start,
    inspection_submit,
    inspection_update,
    inspection_void,
    may_appeal,
    photo_add,
)
from sqms.inspections.services.sampling import (
    customers_classify,
    customers_upsert,
    period_bounds,
    plan_save,
    rules_save,
    sample_draw,
    schedule_save,
)
from sqms.inspections.services.templates import (
    checklist_for,
    template_deactivate,
    template_save,
)

__all__ = [
    "MAX_NONCONFORMITIES",
    "MAX_PHOTOS",
    "PHOTO_TYPES",
    "appeal_deadline",
    "appeal_decide",
    "appeal_file",
    "checklist_for",
    "customers_classify",
    "customers_upsert",
    "inspection_answer",
    "inspection_answer_rest",
    "inspection_correct",
    "inspection_publish",
    "inspection_start",
    "inspection_submit",
    "inspection_update",
    "inspection_void",
    "may_appeal",
    "period_bounds",
    "photo_add",
    "plan_save",
    "rules",
    "rules_save",
    "sample_draw",
    "schedule_save",
    "template_deactivate",
    "template_save",
]
