"""Inspections: start, answer (the live score), photos, submit, publish, correct, void; appeals
against deductions and their decisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sqms.common.audit import audit_record
from sqms.common.clock import now as current_time
from sqms.common.errors import DomainError, FieldError, PermissionDenied, field_error
from sqms.common.notifications import notify
from sqms.core import scorecard
from sqms.inspections.models import (
    Answer,
    Appeal,
    ChecklistTemplate,
    Correction,
    Customer,
    Inspection,
    Kind,
    Photo,
    SampleEntry,
    Status,
    Subject,
    TemplateItem,
)
from sqms.inspections.services._common import (
    MAX_NONCONFORMITIES,
    MAX_PHOTOS,
    MAX_TEXT,
    PHOTO_TYPES,
    _points,
    _require,
    _text,
    rules,
)
from sqms.inspections.services.templates import checklist_for
from sqms.org.models import OrgUnit, RoleGrant, Staff, User
from sqms.org.roles import ROLE_CAPS, Cap
from sqms.org.selectors import access_for

# --- Inspections ------------------------------------------------------------------------------


def _rescore(inspection: Inspection, answers: list[Answer]) -> scorecard.ScoreResult:
    """Score the answers and write each answer's deduction and the inspection's score fields
    (the caller saves the inspection). Overturned deductions count as conforming."""
    checklist, codes = checklist_for(inspection.version)
    found = {
        codes[a.item_id]: scorecard.Answer(
            0 if a.overturned else a.nonconformities, a.not_applicable
        )
        for a in answers
    }
    try:
        result = scorecard.score_checklist(checklist, found)
    except scorecard.ChecklistError as exc:
        raise DomainError(code="invalid_answer", message=str(exc)) from None
    lost = result.deductions
    changed = []
    for a in answers:
        value = lost.get(codes[a.item_id], Decimal(0))
        if a.deducted != value:
            a.deducted = value
            changed.append(a)
    if changed:
        Answer.objects.bulk_update(changed, ["deducted"])
    inspection.score = result.score
    inspection.max_points = result.max_points
    inspection.percent = result.percent
    inspection.vetoed = result.vetoed
    return result


def _locked(inspection: Inspection) -> Inspection:
    return (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("unit", "version", "version__template")
        .get(pk=inspection.pk)
    )


def _may_edit_draft(actor: User | None, inspection: Inspection) -> None:
    if inspection.status != Status.DRAFT:
        raise DomainError(
            code="not_draft",
            message=_("This inspection was submitted; only a recorded correction can change it."),
            status=409,
        )
    if actor is None or actor.pk == inspection.inspector_id:
        return
    _require(actor, Cap.INSPECTION_MANAGE, inspection.unit)


@transaction.atomic
def inspection_start(
    *,
    actor: User,
    template: ChecklistTemplate,
    unit: OrgUnit | None = None,
    staff: Staff | None = None,
    customer: Customer | None = None,
    kind: str = "",
    visited_at: dt.datetime | None = None,
    time_slot: str = "",
    area: str = "",
    script: str = "",
    sample_entry: SampleEntry | None = None,
) -> Inspection:
    """Open a draft on the template's current version, with one unanswered row per item. An
    inspection of a staff member (or of a customer visit attributed to him) belongs to his
    unit. Mystery-shopper inspections are covert until published."""
    if sample_entry is not None:
        unit = unit or sample_entry.unit
        staff = staff or sample_entry.staff
        customer = customer or sample_entry.customer
    if customer is not None:
        unit = customer.unit
        staff = staff or customer.staff
    if staff is not None:
        unit = staff.unit
    if unit is None:
        raise field_error("unit", _("Choose the unit inspected."), code="required")
    _require(actor, Cap.INSPECTION_PERFORM, unit)
    template = ChecklistTemplate.objects.get(pk=template.pk)  # the current version, not a stale one
    if not template.is_active or template.current_id is None:
        raise field_error("template", _("This checklist is not in use."))
    if template.subject == Subject.STAFF and staff is None:
        raise field_error("staff", _("This checklist inspects a staff member: choose one."))
    kind = kind or template.kind
    if kind not in Kind.values:
        raise field_error("kind", _("Unknown kind of inspection."))
    if not unit.is_active:
        raise field_error("unit", _("This unit is no longer active."))
    inspection = Inspection.objects.create(
        version_id=template.current_id,
        kind=kind,
        unit=unit,
        staff=staff,
        customer=customer,
        sample_entry=sample_entry,
        inspector=actor,
        covert=kind == Kind.MYSTERY,
        visited_at=visited_at or current_time(),
        time_slot=_text(time_slot, "time_slot", limit=40),
        area=_text(area, "area", limit=80),
        script=_text(script, "script"),
    )
    items = list(
        TemplateItem.objects.filter(version_id=template.current_id).values_list("pk", "order")
    )
    Answer.objects.bulk_create(
        [Answer(inspection=inspection, item_id=pk, order=order) for pk, order in items]
    )
    answers = list(inspection.answers.all())
    _rescore(inspection, answers)
    inspection.save(update_fields=["score", "max_points", "percent", "vetoed"])
    audit_record(
        actor=actor,
        action="inspection.start",
        target=inspection,
        after={
            "template": template.code,
            "version": inspection.version.number,
            "kind": kind,
            "unit": unit.pk,
            "staff": staff.pk if staff else None,
        },
    )
    return inspection


@transaction.atomic
def inspection_answer(
    *,
    actor: User,
    inspection: Inspection,
    answer_id: int,
    nonconformities: int | None = None,
    not_applicable: bool | None = None,
    note: str | None = None,
) -> tuple[Inspection, Answer]:
    """Record what was found on one item of a draft and rescore it (the live score)."""
    inspection = _locked(inspection)
    _may_edit_draft(actor, inspection)
    answers = list(inspection.answers.select_related("item"))
    answer = next((a for a in answers if a.pk == answer_id), None)
    if answer is None:
        raise field_error("answer", _("No such item in this inspection."))
    before = {"n": answer.nonconformities, "na": answer.not_applicable}
    if not_applicable is not None:
        if not_applicable and not answer.item.na_allowed:
            raise field_error("not_applicable", _("This item cannot be marked not applicable."))
        answer.not_applicable = not_applicable
        if not_applicable:
            answer.nonconformities = 0
    if nonconformities is not None:
        if not 0 <= nonconformities <= MAX_NONCONFORMITIES:
            raise field_error(
                "nonconformities",
                _("Between 0 and %(n)d nonconformities.") % {"n": MAX_NONCONFORMITIES},
            )
        answer.nonconformities = nonconformities
        if nonconformities:
            answer.not_applicable = False
    if note is not None:
        answer.note = _text(note, "note", limit=500)
    answer.answered = True
    answer.save(update_fields=["nonconformities", "not_applicable", "note", "answered"])
    _rescore(inspection, answers)
    inspection.save(update_fields=["score", "max_points", "percent", "vetoed", "updated_at"])
    audit_record(
        actor=actor,
        action="inspection.answer",
        target=inspection,
        before=before,
        after={
            "item": answer.item.code,
            "n": answer.nonconformities,
            "na": answer.not_applicable,
            "score": inspection.score,
        },
    )
    answer.refresh_from_db(fields=["deducted"])
    return inspection, answer


@transaction.atomic
def inspection_answer_rest(*, actor: User, inspection: Inspection) -> int:
    """Mark every item not yet answered as conforming; returns how many."""
    inspection = _locked(inspection)
    _may_edit_draft(actor, inspection)
    count = inspection.answers.filter(answered=False).update(answered=True)
    audit_record(
        actor=actor, action="inspection.answer_rest", target=inspection, after={"items": count}
    )
    return count


@transaction.atomic
def inspection_update(
    *,
    actor: User,
    inspection: Inspection,
    visited_at: dt.datetime | None = None,
    visit_end: dt.datetime | None = None,
    time_slot: str | None = None,
    area: str | None = None,
    script: str | None = None,
    notes: str | None = None,
) -> Inspection:
    """Change a draft's details (times, slot, area, the mystery shopper's script, notes)."""
    inspection = _locked(inspection)
    _may_edit_draft(actor, inspection)
    fields: list[str] = []
    if visited_at is not None:
        inspection.visited_at = visited_at
        fields.append("visited_at")
    if visit_end is not None:
        if visit_end < inspection.visited_at:
            raise field_error("visit_end", _("The visit cannot end before it began."))
        inspection.visit_end = visit_end
        fields.append("visit_end")
    for name, value, limit in (
        ("time_slot", time_slot, 40),
        ("area", area, 80),
        ("script", script, MAX_TEXT),
        ("notes", notes, MAX_TEXT),
    ):
        if value is not None:
            setattr(inspection, name, _text(value, name, limit=limit))
            fields.append(name)
    if fields:
        inspection.save(update_fields=[*fields, "updated_at"])
        audit_record(
            actor=actor,
            action="inspection.update",
            target=inspection,
            after={f: getattr(inspection, f) for f in fields},
        )
    return inspection


def _check_photo(file: UploadedFile, name: str = "file") -> None:
    limit = settings.SQMS_ATTACHMENT_MAX_MB * 1024 * 1024
    if (file.size or 0) > limit:
        raise field_error(
            name, _("A photo may be at most %(mb)d MB.") % {"mb": settings.SQMS_ATTACHMENT_MAX_MB}
        )
    if (file.content_type or "") not in PHOTO_TYPES:
        raise field_error(name, _("Only photos (JPEG, PNG, WebP, HEIC) can be attached."))


@transaction.atomic
def photo_add(
    *,
    actor: User,
    inspection: Inspection,
    file: UploadedFile,
    answer_id: int | None = None,
    role: str = Photo.Role.EVIDENCE,
) -> Photo:
    """Attach a photo to a draft: evidence for an item, or the mystery shopper's receipt."""
    inspection = _locked(inspection)
    _may_edit_draft(actor, inspection)
    _check_photo(file)
    if role not in Photo.Role.values:
        raise field_error("role", _("Unknown kind of photo."))
    answer = None
    if answer_id is not None:
        answer = inspection.answers.filter(pk=answer_id).first()
        if answer is None:
            raise field_error("answer", _("No such item in this inspection."))
    if inspection.photos.count() >= MAX_PHOTOS:
        raise field_error("file", _("At most %(n)d photos.") % {"n": MAX_PHOTOS})
    photo = Photo(
        inspection=inspection,
        answer=answer,
        role=role,
        name=(file.name or "photo")[-200:],
        size=file.size or 0,
        content_type=file.content_type or "",
        uploaded_by=actor,
    )
    photo.file.save(file.name or "photo.jpg", file, save=False)
    photo.save()
    audit_record(
        actor=actor,
        action="inspection.photo_add",
        target=inspection,
        after={"photo": photo.pk, "answer": answer_id, "role": role, "size": photo.size},
    )
    return photo


def _recipients(unit: OrgUnit, cap: str) -> list[User]:
    """Users holding `cap` on `unit` through a grant on the unit itself or its ancestors."""
    roles = [role for role, caps in ROLE_CAPS.items() if cap in caps]
    grants = RoleGrant.objects.filter(
        unit_id__in=unit.ancestor_ids(), role__in=roles, user__is_active=True
    ).select_related("user")
    return [g.user for g in grants]


def _notify_published(inspection: Inspection) -> None:
    url = reverse("inspections:detail", args=[inspection.pk])
    users = [u for u in _recipients(inspection.unit, Cap.INSPECTION_APPEAL)]
    if inspection.staff_id:
        users += list(User.objects.filter(staff_id=inspection.staff_id, is_active=True))
    notify(
        users=users,
        title=_("Inspection result: %(unit)s, %(score)s of %(max)s")
        % {
            "unit": inspection.unit.name,
            "score": inspection.score,
            "max": inspection.max_points,
        },
        body=_("Deductions can be appealed within %(days)d days.") % {"days": rules().appeal_days},
        url=url,
    )


@transaction.atomic
def inspection_submit(*, actor: User, inspection: Inspection) -> Inspection:
    """Submit a complete draft: every item answered, a photo for every finding whose item
    requires one, the receipt photo of a mystery-shopper visit. From now on it is a record.
    An overt inspection is published at once; a covert one waits for `inspection_publish`."""
    inspection = _locked(inspection)
    _may_edit_draft(actor, inspection)
    answers = list(inspection.answers.select_related("item"))
    with_photos = set(
        Photo.objects.filter(inspection=inspection, answer__isnull=False).values_list(
            "answer_id", flat=True
        )
    )
    errors: list[FieldError] = []
    for a in answers:
        if not a.answered:
            errors.append(
                FieldError(
                    loc=["answers", a.item.code],
                    msg=_("Item %(code)s is not answered yet.") % {"code": a.item.code},
                )
            )
        elif a.item.evidence_required and a.nonconformities and a.pk not in with_photos:
            errors.append(
                FieldError(
                    loc=["answers", a.item.code],
                    msg=_("Item %(code)s needs a photo of the finding.") % {"code": a.item.code},
                )
            )
    if (
        inspection.kind == Kind.MYSTERY
        and not inspection.photos.filter(role=Photo.Role.RECEIPT).exists()
    ):
        errors.append(
            FieldError(loc=["receipt"], msg=_("A mystery-shopper visit needs the receipt photo."))
        )
    if errors:
        raise DomainError(
            code="incomplete",
            message=_("The inspection is not complete yet."),
            errors=errors,
        )
    _rescore(inspection, answers)
    now = current_time()
    inspection.status = Status.SUBMITTED
    inspection.submitted_score = inspection.score
    inspection.submitted_at = now
    if not inspection.covert:
        inspection.published_at = now
    inspection.save(
        update_fields=[
            "status",
            "score",
            "max_points",
            "percent",
            "vetoed",
            "submitted_score",
            "submitted_at",
            "published_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="inspection.submit",
        target=inspection,
        after={
            "score": inspection.score,
            "max_points": inspection.max_points,
            "vetoed": inspection.vetoed,
            "deductions": {a.item.code: a.deducted for a in answers if a.deducted},
        },
    )
    if inspection.published_at:
        _notify_published(inspection)
    return inspection


@transaction.atomic
def inspection_publish(*, actor: User, inspection: Inspection) -> Inspection:
    """Show a covert (mystery-shopper) inspection to the inspected unit; the appeal period
    starts now."""
    inspection = _locked(inspection)
    _require(actor, Cap.INSPECTION_MANAGE, inspection.unit)
    if inspection.status != Status.SUBMITTED or inspection.published_at is not None:
        raise DomainError(
            code="invalid_transition",
            message=_("Only a submitted inspection not yet published can be published."),
            status=409,
        )
    inspection.published_at = current_time()
    inspection.save(update_fields=["published_at", "updated_at"])
    audit_record(actor=actor, action="inspection.publish", target=inspection)
    _notify_published(inspection)
    return inspection


@transaction.atomic
def inspection_correct(
    *, actor: User, inspection: Inspection, changes: dict[str, dict[str, Any]], reason: str
) -> Correction:
    """Change the answers of a submitted inspection, with the reason, the answers and the score
    before and after kept in a Correction and the audit log. `changes` maps item codes to
    {"nonconformities": int, "not_applicable": bool}."""
    inspection = _locked(inspection)
    _require(actor, Cap.INSPECTION_MANAGE, inspection.unit)
    reason = _text(reason, "reason", required=True)
    if inspection.status != Status.SUBMITTED:
        raise DomainError(
            code="invalid_transition",
            message=_("Only a submitted inspection can be corrected."),
            status=409,
        )
    answers = list(inspection.answers.select_related("item"))
    by_code = {a.item.code: a for a in answers}
    errors: list[FieldError] = []
    for code, change in changes.items():
        a = by_code.get(code)
        if a is None:
            errors.append(FieldError(loc=["changes", code], msg=_("No such item.")))
            continue
        n = change.get("nonconformities", a.nonconformities)
        na = bool(change.get("not_applicable", a.not_applicable))
        if not isinstance(n, int) or not 0 <= n <= MAX_NONCONFORMITIES:
            errors.append(
                FieldError(
                    loc=["changes", code, "nonconformities"],
                    msg=_("Between 0 and %(n)d nonconformities.") % {"n": MAX_NONCONFORMITIES},
                )
            )
        if na and not a.item.na_allowed:
            errors.append(
                FieldError(
                    loc=["changes", code, "not_applicable"],
                    msg=_("This item cannot be marked not applicable."),
                )
            )
    if not changes:
        errors.append(FieldError(loc=["changes"], msg=_("Nothing to correct.")))
    if errors:
        raise DomainError(
            code="invalid_correction", message=_("The correction has errors."), errors=errors
        )
    before = {
        "score": _points(inspection.score),
        "answers": {c: [by_code[c].nonconformities, by_code[c].not_applicable] for c in changes},
    }
    for code, change in changes.items():
        a = by_code[code]
        a.nonconformities = int(change.get("nonconformities", a.nonconformities))
        a.not_applicable = bool(change.get("not_applicable", a.not_applicable))
        if a.not_applicable:
            a.nonconformities = 0
    Answer.objects.bulk_update([by_code[c] for c in changes], ["nonconformities", "not_applicable"])
    _rescore(inspection, answers)
    inspection.save(update_fields=["score", "max_points", "percent", "vetoed", "updated_at"])
    after = {
        "score": _points(inspection.score),
        "answers": {c: [by_code[c].nonconformities, by_code[c].not_applicable] for c in changes},
    }
    correction = Correction.objects.create(
        inspection=inspection,
        at=current_time(),
        actor=actor,
        reason=reason,
        before=before,
        after=after,
    )
    audit_record(
        actor=actor,
        action="inspection.correct",
        target=inspection,
        before=before,
        after=after,
        note=reason,
    )
    return correction


@transaction.atomic
def inspection_void(*, actor: User, inspection: Inspection, reason: str) -> Inspection:
    """Void an inspection made in error (kept, with the reason; it no longer counts)."""
    inspection = _locked(inspection)
    if inspection.status == Status.DRAFT and actor.pk == inspection.inspector_id:
        pass
    else:
        _require(actor, Cap.INSPECTION_MANAGE, inspection.unit)
    reason = _text(reason, "reason", required=True, limit=300)
    if inspection.status == Status.VOIDED:
        raise DomainError(code="invalid_transition", message=_("Already voided."), status=409)
    inspection.status = Status.VOIDED
    inspection.void_reason = reason
    inspection.save(update_fields=["status", "void_reason", "updated_at"])
    audit_record(actor=actor, action="inspection.void", target=inspection, note=reason)
    return inspection


# --- Appeals ----------------------------------------------------------------------------------


def appeal_deadline(inspection: Inspection) -> dt.datetime | None:
    if inspection.published_at is None:
        return None
    return inspection.published_at + dt.timedelta(days=rules().appeal_days)


def may_appeal(user: User, inspection: Inspection) -> bool:
    return bool(
        access_for(user).covers(Cap.INSPECTION_APPEAL, inspection.unit.path)
        or (inspection.staff_id is not None and user.staff_id == inspection.staff_id)
    )


@transaction.atomic
def appeal_file(
    *, actor: User, answer: Answer, statement: str, evidence: UploadedFile | None = None
) -> Appeal:
    """Appeal against one deduction of a published inspection, within the pack's time limit.
    One appeal per deduction; the decision is final."""
    inspection = _locked(answer.inspection)
    if not may_appeal(actor, inspection):
        raise PermissionDenied()
    statement = _text(statement, "statement", required=True)
    if inspection.status != Status.SUBMITTED or inspection.published_at is None:
        raise DomainError(
            code="not_published", message=_("This inspection is not published."), status=409
        )
    answer = Answer.objects.select_for_update().select_related("item").get(pk=answer.pk)
    if answer.deducted <= 0:
        raise field_error("answer", _("Only a deduction can be appealed."))
    deadline = appeal_deadline(inspection)
    now = current_time()
    if deadline is not None and now > deadline:
        raise DomainError(
            code="appeal_late",
            message=_("The time to appeal ended on %(when)s.")
            % {"when": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
            status=409,
        )
    if Appeal.objects.filter(answer=answer).exists():
        raise DomainError(
            code="appeal_exists", message=_("This deduction was already appealed."), status=409
        )
    if evidence is not None:
        _check_photo(evidence, "evidence")
    appeal = Appeal(
        answer=answer, inspection=inspection, filed_by=actor, filed_at=now, statement=statement
    )
    if evidence is not None:
        appeal.evidence.save(evidence.name or "evidence.jpg", evidence, save=False)
    appeal.save()
    audit_record(
        actor=actor,
        action="inspection.appeal_file",
        target=inspection,
        after={"appeal": appeal.pk, "item": answer.item.code, "deducted": answer.deducted},
        note=statement[:300],
    )
    notify(
        users=_recipients(inspection.unit, Cap.INSPECTION_MANAGE),
        title=_("Appeal against an inspection deduction: %(unit)s, item %(code)s")
        % {"unit": inspection.unit.name, "code": answer.item.code},
        body=statement[:500],
        url=reverse("inspections:detail", args=[inspection.pk]),
    )
    return appeal


@transaction.atomic
def appeal_decide(*, actor: User, appeal: Appeal, outcome: str, reason: str) -> Appeal:
    """Uphold the deduction or overturn it (the inspection is rescored); with a reason."""
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("inspection", "inspection__unit", "answer", "answer__item")
        .get(pk=appeal.pk)
    )
    _require(actor, Cap.INSPECTION_MANAGE, appeal.inspection.unit)
    reason = _text(reason, "reason", required=True)
    if outcome not in (Appeal.Outcome.UPHELD, Appeal.Outcome.OVERTURNED):
        raise field_error("outcome", _("Uphold or overturn."))
    if appeal.outcome != Appeal.Outcome.PENDING:
        raise DomainError(
            code="already_decided", message=_("This appeal was already decided."), status=409
        )
    inspection = _locked(appeal.inspection)
    before_score = inspection.score
    appeal.outcome = outcome
    appeal.decided_by = actor
    appeal.decided_at = current_time()
    appeal.reason = reason
    appeal.save(update_fields=["outcome", "decided_by", "decided_at", "reason"])
    if outcome == Appeal.Outcome.OVERTURNED:
        answer = appeal.answer
        answer.overturned = True
        answer.save(update_fields=["overturned"])
        answers = list(inspection.answers.all())
        for a in answers:
            if a.pk == answer.pk:
                a.overturned = True
        _rescore(inspection, answers)
        inspection.save(update_fields=["score", "max_points", "percent", "vetoed", "updated_at"])
    audit_record(
        actor=actor,
        action="inspection.appeal_decide",
        target=inspection,
        before={"score": before_score},
        after={"appeal": appeal.pk, "outcome": outcome, "score": inspection.score},
        note=reason,
    )
    notify(
        users=[appeal.filed_by],
        title=_("Your appeal on item %(code)s: %(outcome)s")
        % {"code": appeal.answer.item.code, "outcome": appeal.get_outcome_display()},
        body=reason,
        url=reverse("inspections:detail", args=[inspection.pk]),
    )
    return appeal
