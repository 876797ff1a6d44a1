"""Every write to a complaint a user (or the SLA sweep) can cause: one function per business
operation, each in a transaction, each recorded on the complaint's timeline and in the audit log.
Views, the API, imports, the demo loader and tasks call these and nothing else."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sqms.common import rows
from sqms.common.audit import audit_record
from sqms.common.calendars import working_calendar
from sqms.common.clock import as_of
from sqms.common.clock import now as current_time
from sqms.common.errors import DomainError, FieldError, PermissionDenied, field_error
from sqms.common.memo import memo
from sqms.common.notifications import notify
from sqms.complaints.models import (
    OPEN_STATUSES,
    UNANSWERED_STATUSES,
    Attachment,
    Category,
    Channel,
    ClockKind,
    Complaint,
    ComplaintEvent,
    ComplaintRules,
    ContactPreference,
    Escalation,
    FollowUp,
    Level,
    Satisfaction,
    SlaClock,
    SlaPolicy,
    Status,
)
from sqms.core import sla
from sqms.core.workcal import WorkingCalendar
from sqms.org.models import OrgUnit, RoleGrant, Staff, User
from sqms.org.roles import ROLE_CAPS, Cap
from sqms.org.selectors import access_for, unit_calendar
from sqms.org.services import PHONE_RE

Kind = ComplaintEvent.Kind
REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone
ALLOWED_UPLOADS = {
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "application/pdf",
    "audio/mpeg",
    "audio/mp4",
    "audio/x-m4a",
    "audio/wav",
}
MAX_TEXT = 5000


def _require(actor: User | None, cap: str, *units: OrgUnit) -> None:
    """Raise unless `actor` holds `cap` on one of `units` (None is the system: full rights)."""
    if actor is None:
        return
    access = access_for(actor)
    if not any(access.covers(cap, u.path) for u in units if u is not None):
        raise PermissionDenied()


def _domain(exc: sla.TransitionError) -> DomainError:
    return DomainError(
        code="invalid_transition",
        message=_("A complaint that is %(current)s cannot be %(wanted)s.")
        % {
            "current": Status(exc.current.value).label,
            "wanted": Status(exc.wanted.value).label,
        },
        status=409,
    )


def _transition(complaint: Complaint, wanted: str) -> None:
    try:
        sla.ensure_transition(complaint.status, wanted)
    except sla.TransitionError as exc:
        raise _domain(exc) from None


def _text(value: str, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise field_error(field, _("This field is required."), code="required")
    if len(value) > limit:
        raise field_error(field, _("At most %(n)d characters.") % {"n": limit})
    return value


def _person(actor: User | None) -> str:
    """Who did it, as colleagues know him: the staff member's name, else the login's full name,
    else the login (the audit log keeps the login itself)."""
    if actor is None or not actor.is_authenticated:
        return ""
    staff = actor.staff if actor.staff_id else None
    return (staff.name if staff else "") or actor.get_full_name() or actor.get_username()


def _event(complaint: Complaint, kind: str, actor: User | None, **fields: Any) -> ComplaintEvent:
    """Record a timeline event now (`fields` as `_new_event` takes them)."""
    return rows.insert(_new_event(complaint, kind, actor, **fields))


def _new_event(
    complaint: Complaint,
    kind: str,
    actor: User | None,
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool = False,
    at: dt.datetime | None = None,
) -> ComplaintEvent:
    return ComplaintEvent(
        complaint=complaint,
        at=at or current_time(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=_person(actor),
        kind=kind,
        note=note,
        data=data or {},
        public=public,
    )


def _audit(
    actor: User | None, action: str, complaint: Complaint, note: str = "", **after: Any
) -> None:
    audit_record(
        actor=actor,
        action=f"complaint.{action}",
        target=complaint,
        after={"status": complaint.status, **after},
        note=note,
    )


def _locked(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("responsible_unit", "unit")
        .get(pk=complaint.pk)
    )


def _save(complaint: Complaint, *fields: str) -> None:
    complaint.save(update_fields=[*fields, "updated_at"])


# --- Calendars and clocks -------------------------------------------------------------------


def calendar_for(unit: OrgUnit, around: dt.date | None = None) -> WorkingCalendar:
    """The unit's working calendar as pure arithmetic, covering the years around `around`."""
    return working_calendar(unit_calendar(unit), around or timezone.localdate(current_time()))


def rules() -> ComplaintRules:
    """The pack's complaint rules (remembered per process, sqms.common.memo: do not change)."""
    return memo(
        "complaint-rules",
        1,
        lambda: ComplaintRules.objects.filter(pk=1).first() or ComplaintRules(),
    )


def policy_for(channel: str, urgency: int) -> SlaPolicy | None:
    """The policy of this channel and urgency, else of this channel and any urgency
    (remembered per process under the configuration revision: read it, do not change it)."""

    def load() -> SlaPolicy | None:
        policies = list(
            SlaPolicy.objects.filter(Q(urgency=urgency) | Q(urgency__isnull=True), channel=channel)
        )
        policies.sort(key=lambda p: p.urgency is None)
        return policies[0] if policies else None

    return memo("sla-policy", (channel, urgency), load)


def _target(amount: Decimal | None, unit: str) -> sla.Target | None:
    if amount is None or not unit:
        return None
    return sla.Target(Decimal(amount), sla.TimeUnit(unit))


def _start_clock(
    complaint: Complaint,
    kind: str,
    target: sla.Target | None,
    start: dt.datetime,
    cal: WorkingCalendar,
    owner_unit: OrgUnit | None = None,
) -> SlaClock | None:
    if target is None:
        return None
    return SlaClock.objects.create(
        complaint=complaint,
        kind=kind,
        target_amount=target.amount,
        target_unit=target.unit.value,
        started_at=start,
        deadline=sla.clock_deadline(cal, target, start),
        owner_unit=owner_unit,
    )


def _stop_clocks(complaint: Complaint, kinds: Iterable[str], at: dt.datetime) -> None:
    for clock in SlaClock.objects.filter(
        complaint=complaint, kind__in=list(kinds), stopped_at__isnull=True
    ):
        clock.stopped_at = at
        if clock.deadline is not None:
            clock.met = at <= clock.deadline
        else:  # stopped while paused: it was in time if any time was left
            clock.met = (
                clock.paused_remaining is not None and clock.paused_remaining > dt.timedelta(0)
            )
        clock.save(update_fields=["stopped_at", "met"])
        if clock.met is False and not complaint.breached:
            # A late reply is a breach even if no sweep ran while it was late.
            complaint.breached = True
            Complaint.objects.filter(pk=complaint.pk).update(breached=True)


def _refresh_deadline(complaint: Complaint) -> None:
    """Keep `next_deadline` (the earliest running deadline) in step with the clocks."""
    # The complaint's few clocks through the complaint index, the minimum taken here: an
    # aggregate lets SQLite's planner scan the (stopped_at, deadline) index of every clock.
    running = [
        deadline
        for stopped_at, deadline in SlaClock.objects.filter(complaint_id=complaint.pk).values_list(
            "stopped_at", "deadline"
        )
        if stopped_at is None and deadline is not None
    ]
    complaint.next_deadline = min(running, default=None)


def _retarget_clocks(complaint: Complaint) -> None:
    """Give the running and paused clocks the targets of the complaint's policy now (its
    urgency may have changed), counted from each clock's start on the responsible unit's
    calendar. A clock whose deadline moves gets a fresh warning; a breach already recorded
    stays on record."""
    policy = policy_for(complaint.channel, complaint.urgency)
    if policy is None:
        return
    amounts = {
        ClockKind.FIRST_RESPONSE: (policy.first_response_amount, policy.first_response_unit),
        ClockKind.UPDATE: (policy.update_amount, policy.update_unit),
        ClockKind.RESOLUTION: (policy.resolution_amount, policy.resolution_unit),
    }
    cal = calendar_for(complaint.responsible_unit, timezone.localdate(complaint.received_at))
    for clock in SlaClock.objects.filter(
        complaint=complaint, kind__in=list(amounts), stopped_at__isnull=True
    ):
        new = _target(*amounts[ClockKind(clock.kind)])
        if new is None:
            continue  # the policy has no such limit: the clock keeps the one it started with
        old = sla.Target(Decimal(clock.target_amount), sla.TimeUnit(clock.target_unit))
        if clock.paused_remaining is not None:
            clock.paused_remaining = sla.clock_retarget_paused(
                cal, clock.started_at, old, new, clock.paused_remaining
            )
        else:
            deadline = sla.clock_deadline(cal, new, clock.started_at)
            if deadline != clock.deadline and clock.breached_at is None:
                clock.warned_at = None
            clock.deadline = deadline
        clock.target_amount, clock.target_unit = new.amount, new.unit.value
        clock.save(
            update_fields=[
                "target_amount",
                "target_unit",
                "deadline",
                "paused_remaining",
                "warned_at",
            ]
        )
    _refresh_deadline(complaint)


def _restart_update_clock(complaint: Complaint, at: dt.datetime, cal: WorkingCalendar) -> None:
    """Progress on an unanswered complaint restarts its 'update while open' clock."""
    if complaint.status not in UNANSWERED_STATUSES:
        return
    running = SlaClock.objects.filter(
        complaint=complaint, kind=ClockKind.UPDATE, stopped_at__isnull=True
    ).first()
    if running is None:
        return
    _stop_clocks(complaint, [ClockKind.UPDATE], at)
    target = sla.Target(Decimal(running.target_amount), sla.TimeUnit(running.target_unit))
    if complaint.waiting_on:
        SlaClock.objects.create(
            complaint=complaint,
            kind=ClockKind.UPDATE,
            target_amount=target.amount,
            target_unit=target.unit.value,
            started_at=at,
            paused_remaining=sla.clock_remaining(
                cal, target.unit, at, sla.clock_deadline(cal, target, at)
            ),
        )
    else:
        _start_clock(complaint, ClockKind.UPDATE, target, at, cal)


# --- Intake ---------------------------------------------------------------------------------


@dataclass
class Intake:
    """What any channel delivers; validated by `complaint_create`."""

    channel: str
    unit: OrgUnit
    description: str
    received_at: dt.datetime | None = None
    title: str = ""
    complainant_name: str = ""
    complainant_phone: str = ""
    complainant_email: str = ""
    contact_preference: str = ContactPreference.PHONE
    anonymous: bool = False
    staff: Staff | None = None
    category: Category | None = None
    urgency: int = Level.NORMAL
    importance: int = Level.NORMAL
    staff_description: str = ""
    occurred_at: dt.datetime | None = None


def phone_problem(phone: str) -> str | None:
    """What is wrong with a complainant's phone number, if anything. The forms ask it as they
    check their fields, so the phone's error shows beside the others at once."""
    if phone and not PHONE_RE.match(phone.strip()):
        return _("A phone number may contain only digits, spaces, '-' and '+'.")
    return None


def validate_intake(data: Intake, *, now: dt.datetime, row: int | None = None) -> list[FieldError]:
    """Every problem with an intake at once (an import reports them all per row)."""
    errors: list[FieldError] = []

    def bad(field: str, msg: str) -> None:
        errors.append(FieldError(loc=[row, field] if row is not None else [field], msg=msg))

    if data.channel not in Channel.values:
        bad("channel", _("Unknown channel %(v)s.") % {"v": data.channel})
    if not data.unit.is_active:
        bad("unit", _("Unit %(code)s is deactivated.") % {"code": data.unit.code})
    description = (data.description or "").strip()
    if not description:
        bad("description", _("Describe what happened."))
    elif len(description) > MAX_TEXT:
        bad("description", _("At most %(n)d characters.") % {"n": MAX_TEXT})
    if len(data.title or "") > 120:
        bad("title", _("At most %(n)d characters.") % {"n": 120})
    if len(data.complainant_name or "") > 80:
        bad("complainant_name", _("At most %(n)d characters.") % {"n": 80})
    phone = (data.complainant_phone or "").strip()
    if problem := phone_problem(phone):
        bad("complainant_phone", problem)
    if data.contact_preference not in ContactPreference.values:
        bad("contact_preference", _("Unknown contact preference."))
    if data.contact_preference == ContactPreference.PHONE and not phone and not data.anonymous:
        bad("complainant_phone", _("Give a phone number, or choose another way to be contacted."))
    if data.contact_preference == ContactPreference.EMAIL and not data.complainant_email:
        bad("complainant_email", _("Give an e-mail address to be contacted by e-mail."))
    if data.received_at is not None:
        if timezone.is_naive(data.received_at):
            bad("received_at", _("Give the time with its time zone."))
        elif data.received_at > now + dt.timedelta(minutes=5):
            bad("received_at", _("The time received cannot be in the future."))
    if len(data.staff_description or "") > 200:
        bad("staff_description", _("At most %(n)d characters.") % {"n": 200})
    if data.occurred_at is not None:
        if timezone.is_naive(data.occurred_at):
            bad("occurred_at", _("Give the time with its time zone."))
        elif data.occurred_at > (data.received_at or now) + dt.timedelta(minutes=5):
            bad("occurred_at", _("It cannot have happened after the complaint was received."))
    if data.urgency not in Level.values:
        bad("urgency", _("Urgency is 1 (low), 2 (normal) or 3 (high)."))
    if data.importance not in Level.values:
        bad("importance", _("Importance is 1 (low), 2 (normal) or 3 (high)."))
    if data.staff is not None and not data.staff.unit.path.startswith(data.unit.path):
        bad(
            "staff",
            _("%(name)s does not work at %(unit)s.")
            % {"name": data.staff.name, "unit": data.unit.name},
        )
    if data.category is not None and not data.category.is_active:
        bad("category", _("Category %(code)s is no longer used.") % {"code": data.category.code})
    return errors


def _new_ref(at: dt.datetime) -> str:
    local = timezone.localtime(at)
    tail = "".join(secrets.choice(REF_ALPHABET) for _ in range(8))
    return f"{local:%y%m}-{tail}"


@dataclass
class PreparedIntake:
    """What an intake needs that only reads the database: checked input, the responsible
    unit, the policy, the deadlines and whom to tell; and the new rows themselves, built but
    not saved (the complaint with its tracking code drawn, its clocks, its first event).
    Computed before the transaction: on SQLite a transaction holds the write lock, and building
    these rows took a third of it."""

    data: Intake
    received: dt.datetime
    responsible: OrgUnit
    follow_up: bool
    deadlines: list[tuple[str, sla.Target, dt.datetime]]
    recipients: list[User]
    complaint: Complaint
    clocks: list[SlaClock]
    event: ComplaintEvent


def intake_prepare(
    *,
    actor: User | None,
    data: Intake,
    attachments: Sequence[UploadedFile] = (),
    check_scope: bool = True,
    historic: bool = False,
) -> PreparedIntake:
    """Check an intake, compute its deadlines and build its rows, writing nothing (DomainError if
    invalid). One prepared intake is for one `complaint_create`."""
    if check_scope:
        _require(actor, Cap.COMPLAINT_INTAKE, data.unit)
    now = current_time()
    errors = validate_intake(data, now=now)
    errors += _validate_uploads(attachments)
    if errors:
        raise DomainError(
            code="invalid", message=_("The complaint has errors; nothing was saved."), errors=errors
        )
    received = data.received_at or now
    responsible = (data.category.route_to if data.category else None) or data.unit
    policy = policy_for(data.channel, data.urgency)
    has_contact = bool((data.complainant_phone or "").strip() or data.complainant_email)
    follow_up = (policy.follow_up_required if policy else True) and has_contact
    cal = calendar_for(responsible, timezone.localdate(received))
    targets: list[tuple[str, sla.Target]] = []
    if policy is not None:
        for kind, amount, unit in (
            (ClockKind.FIRST_RESPONSE, policy.first_response_amount, policy.first_response_unit),
            (ClockKind.UPDATE, policy.update_amount, policy.update_unit),
            (ClockKind.RESOLUTION, policy.resolution_amount, policy.resolution_unit),
        ):
            target = _target(amount, unit)
            if target is not None:
                targets.append((kind, target))
    deadlines = [(kind, t, sla.clock_deadline(cal, t, received)) for kind, t in targets]
    complaint = Complaint(
        ref=_new_ref(received),
        channel=data.channel,
        received_at=received,
        complainant_name=(data.complainant_name or "").strip(),
        complainant_phone=(data.complainant_phone or "").strip(),
        complainant_email=(data.complainant_email or "").strip(),
        contact_preference=data.contact_preference,
        anonymous=data.anonymous,
        unit=data.unit,
        staff=data.staff,
        category=data.category,
        urgency=data.urgency,
        importance=data.importance,
        title=(data.title or "").strip(),
        description=data.description.strip(),
        staff_description=(data.staff_description or "").strip(),
        occurred_at=data.occurred_at,
        responsible_unit=responsible,
        follow_up_required=follow_up,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        next_deadline=min((d for _k, _t, d in deadlines), default=None),
    )
    return PreparedIntake(
        data=data,
        received=received,
        responsible=responsible,
        follow_up=follow_up,
        deadlines=deadlines,
        recipients=[] if historic else _managers_of(responsible),
        complaint=complaint,
        clocks=[
            SlaClock(
                complaint=complaint,
                kind=kind,
                target_amount=t.amount,
                target_unit=t.unit.value,
                started_at=received,
                deadline=deadline,
            )
            for kind, t, deadline in deadlines
        ],
        event=_new_event(
            complaint,
            Kind.RECEIVED,
            actor,
            data={"channel": data.channel},
            public=True,
            at=received,
        ),
    )


def complaint_create(
    *,
    actor: User | None,
    data: Intake,
    attachments: Sequence[UploadedFile] = (),
    check_scope: bool = True,
    historic: bool = False,
    prepared: PreparedIntake | None = None,
) -> Complaint:
    """Register a complaint from any channel and start its clocks. Staff entry and the API need
    the intake right on the unit; the public form passes `actor=None` (it has no user). A
    `historic` complaint (an imported paper register) notifies nobody of its arrival. Callers
    that open their own transaction pass `prepared` (from `intake_prepare`, called before it)
    so that the reads and the building of the rows stay outside: on SQLite a transaction holds
    the write lock throughout."""
    if prepared is None:
        prepared = intake_prepare(
            actor=actor,
            data=data,
            attachments=attachments,
            check_scope=check_scope,
            historic=historic,
        )
    complaint, responsible, recipients = (
        prepared.complaint,
        prepared.responsible,
        prepared.recipients,
    )
    if complaint.pk is not None:
        raise RuntimeError("a prepared intake is for one complaint_create")
    # Inside a caller's transaction (the API's idempotency record) no savepoint is needed: a
    # failure here fails the caller's transaction whole. On PostgreSQL the rows that follow
    # the complaint go to the server together (rows.batch).
    with transaction.atomic(savepoint=False), rows.batch():
        # The tracking code is drawn at random: one taken already is drawn again.
        for _attempt in range(5):
            if rows.insert_unless_taken(complaint, ["ref"]):
                break
            complaint.ref = _new_ref(prepared.received)
        else:  # pragma: no cover - five collisions in a space of 32**8
            raise DomainError(code="ref_exhausted", message=_("Try again."), status=503)
        rows.insert_all(prepared.clocks)
        rows.insert(prepared.event)
        for upload in attachments:
            _attach(complaint, upload, actor)
        if recipients:
            notify(
                users=recipients,
                title=_("New complaint %(ref)s at %(unit)s")
                % {"ref": complaint.ref, "unit": data.unit.name},
                url=reverse("complaints:detail", args=[complaint.pk]),
            )
        # Last: the audit chain's head row stays locked only until the commit that follows.
        _audit(
            actor,
            "create",
            complaint,
            channel=data.channel,
            unit=data.unit.code,
            responsible_unit=responsible.code,
            category=data.category.code if data.category else None,
        )
    return complaint


def _validate_uploads(files: Sequence[UploadedFile]) -> list[FieldError]:
    from django.conf import settings

    errors: list[FieldError] = []
    limit = settings.SQMS_ATTACHMENT_MAX_MB * 1024 * 1024
    if len(files) > 5:
        errors.append(FieldError(loc=["attachments"], msg=_("At most 5 files.")))
    for i, f in enumerate(files):
        if (f.size or 0) > limit:
            errors.append(
                FieldError(
                    loc=["attachments", i],
                    msg=_("%(name)s is larger than %(mb)d MB.")
                    % {"name": f.name, "mb": settings.SQMS_ATTACHMENT_MAX_MB},
                )
            )
        if (f.content_type or "") not in ALLOWED_UPLOADS:
            errors.append(
                FieldError(
                    loc=["attachments", i],
                    msg=_("%(name)s: only photos, PDF and sound recordings can be attached.")
                    % {"name": f.name},
                )
            )
    return errors


def _attach(complaint: Complaint, upload: UploadedFile, actor: User | None) -> Attachment:
    name = (upload.name or "file").rsplit("/", 1)[-1][:200]
    att = Attachment(
        complaint=complaint,
        name=name,
        size=upload.size or 0,
        content_type=upload.content_type or "",
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[-80:] or "file"
    att.file.save(f"{secrets.token_hex(8)}-{safe}", upload, save=False)
    att.save()
    return att


@transaction.atomic
def complaint_attach(
    *, complaint: Complaint, actor: User, files: Sequence[UploadedFile]
) -> list[Attachment]:
    _require(actor, Cap.COMPLAINT_HANDLE, complaint.unit, complaint.responsible_unit)
    errors = _validate_uploads(files)
    if errors:
        raise DomainError(code="invalid", message=_("Nothing was attached."), errors=errors)
    complaint = _locked(complaint)
    saved = [_attach(complaint, f, actor) for f in files]
    _event(complaint, Kind.ATTACHMENT, actor, note=", ".join(a.name for a in saved))
    _audit(actor, "attach", complaint, files=[a.name for a in saved])
    return saved


# --- Handling -------------------------------------------------------------------------------


def _handle_check(actor: User | None, complaint: Complaint) -> None:
    _require(actor, Cap.COMPLAINT_HANDLE, complaint.responsible_unit, complaint.unit)


@transaction.atomic
def complaint_classify(
    *,
    complaint: Complaint,
    actor: User | None,
    category: Category | None,
    urgency: int,
    importance: int,
    staff: Staff | None = None,
    responsible_unit: OrgUnit | None = None,
) -> Complaint:
    """Set category, urgency, importance and the staff concerned; a category with a business
    department to route to moves the complaint there unless a unit is named explicitly."""
    _handle_check(actor, complaint)
    complaint = _locked(complaint)
    if not complaint.is_open:
        raise DomainError(code="closed", message=_("Only an open complaint can be reclassified."))
    errors: list[FieldError] = []
    if category is not None and not category.is_active:
        errors.append(
            FieldError(
                loc=["category"],
                msg=_("Category %(code)s is no longer used.") % {"code": category.code},
            )
        )
    if urgency not in Level.values:
        errors.append(FieldError(loc=["urgency"], msg=_("Urgency is 1, 2 or 3.")))
    if importance not in Level.values:
        errors.append(FieldError(loc=["importance"], msg=_("Importance is 1, 2 or 3.")))
    if staff is not None and not staff.unit.path.startswith(complaint.unit.path):
        errors.append(
            FieldError(
                loc=["staff"],
                msg=_("%(name)s does not work at %(unit)s.")
                % {"name": staff.name, "unit": complaint.unit.name},
            )
        )
    if errors:
        raise DomainError(code="invalid", message=_("Nothing was changed."), errors=errors)
    target = (
        responsible_unit or (category.route_to if category else None) or complaint.responsible_unit
    )
    if actor is not None and target.pk != complaint.responsible_unit_id:
        _require(actor, Cap.COMPLAINT_HANDLE, complaint.responsible_unit)
    before = {
        "category": complaint.category.code if complaint.category else None,
        "urgency": complaint.urgency,
        "importance": complaint.importance,
        "staff": complaint.staff_id,
        "responsible_unit": complaint.responsible_unit.code,
    }
    complaint.category = category
    complaint.urgency = urgency
    complaint.importance = importance
    complaint.staff = staff
    complaint.responsible_unit = target
    _save(complaint, "category", "urgency", "importance", "staff", "responsible_unit")
    if urgency != before["urgency"] or target.code != before["responsible_unit"]:
        # Another urgency has another policy, another unit another calendar.
        _retarget_clocks(complaint)
        _save(complaint, "next_deadline")
    after = {
        "category": category.code if category else None,
        "urgency": urgency,
        "importance": importance,
        "staff": staff.pk if staff else None,
        "responsible_unit": target.code,
    }
    _event(complaint, Kind.CLASSIFIED, actor, data=after)
    audit_record(
        actor=actor, action="complaint.classify", target=complaint, before=before, after=after
    )
    if before["responsible_unit"] != target.code:
        _notify_unit(
            target,
            _("Complaint %(ref)s was routed to %(unit)s")
            % {"ref": complaint.ref, "unit": target.name},
            complaint,
        )
    return complaint


@transaction.atomic
def complaint_assign(
    *, complaint: Complaint, actor: User | None, assignee: Staff, note: str = ""
) -> Complaint:
    _handle_check(actor, complaint)
    complaint = _locked(complaint)
    _transition(complaint, Status.ASSIGNED)
    if not assignee.unit.path.startswith(complaint.responsible_unit.path) and not (
        complaint.unit.path.startswith(assignee.unit.path)
    ):
        raise field_error(
            "assignee",
            _("%(name)s is outside %(unit)s.")
            % {"name": assignee.name, "unit": complaint.responsible_unit.name},
        )
    if assignee.end_date is not None:
        raise field_error("assignee", _("%(name)s has left.") % {"name": assignee.name})
    now = current_time()
    complaint.assignee = assignee
    complaint.status = Status.ASSIGNED
    _save(complaint, "assignee", "status")
    _restart_update_clock(complaint, now, calendar_for(complaint.responsible_unit))
    _refresh_deadline(complaint)
    _save(complaint, "next_deadline")
    _event(
        complaint, Kind.ASSIGNED, actor, note=_text(note, "note"), data={"assignee": assignee.name}
    )
    _audit(actor, "assign", complaint, assignee=assignee.employee_no)
    users = User.objects.filter(staff=assignee, is_active=True)
    notify(
        users=users,
        title=_("Complaint %(ref)s was assigned to you") % {"ref": complaint.ref},
        url=reverse("complaints:detail", args=[complaint.pk]),
    )
    return complaint


@transaction.atomic
def complaint_investigate(*, complaint: Complaint, actor: User | None, note: str = "") -> Complaint:
    _handle_check(actor, complaint)
    complaint = _locked(complaint)
    if complaint.status not in (Status.RECEIVED, Status.ASSIGNED):
        # Going back to investigating from a reply or a closure is a reopening, with a reason.
        raise _domain(sla.TransitionError(sla.Status(complaint.status), sla.Status.INVESTIGATING))
    complaint.status = Status.INVESTIGATING
    _save(complaint, "status")
    now = current_time()
    _restart_update_clock(complaint, now, calendar_for(complaint.responsible_unit))
    _refresh_deadline(complaint)
    _save(complaint, "next_deadline")
    _event(complaint, Kind.INVESTIGATING, actor, note=_text(note, "note"), public=True)
    _audit(actor, "investigate", complaint)
    return complaint


@transaction.atomic
def complaint_note(
    *, complaint: Complaint, actor: User | None, note: str, contacted: bool = False
) -> Complaint:
    """A progress note; `contacted` records that the customer was contacted, which is the first
    response and stops that clock."""
    _handle_check(actor, complaint)
    note = _text(note, "note", required=True)
    complaint = _locked(complaint)
    if not complaint.is_open:
        raise DomainError(code="closed", message=_("This complaint is no longer open."))
    now = current_time()
    if contacted:
        _stop_clocks(complaint, [ClockKind.FIRST_RESPONSE], now)
    _restart_update_clock(complaint, now, calendar_for(complaint.responsible_unit))
    _refresh_deadline(complaint)
    _save(complaint, "next_deadline")
    _event(complaint, Kind.CONTACTED if contacted else Kind.NOTE, actor, note=note)
    _audit(actor, "contact" if contacted else "note", complaint)
    return complaint


WAIT_REASONS = ("customer", "third_party")


@transaction.atomic
def complaint_wait(
    *, complaint: Complaint, actor: User | None, on: str, note: str = ""
) -> Complaint:
    """Pause every running clock while the complaint waits for the customer or a third party."""
    _handle_check(actor, complaint)
    if on not in WAIT_REASONS:
        raise field_error("on", _("Waiting is on the customer or on a third party."))
    complaint = _locked(complaint)
    if not complaint.is_open or complaint.waiting_on:
        raise DomainError(
            code="invalid_transition", message=_("This complaint cannot be paused now."), status=409
        )
    now = current_time()
    cal = calendar_for(complaint.responsible_unit)
    for clock in SlaClock.objects.filter(
        complaint=complaint, stopped_at__isnull=True, paused_remaining__isnull=True
    ):
        assert clock.deadline is not None
        clock.paused_remaining = sla.clock_remaining(
            cal, sla.TimeUnit(clock.target_unit), now, clock.deadline
        )
        clock.deadline = None
        clock.save(update_fields=["paused_remaining", "deadline"])
    complaint.waiting_on = on
    _refresh_deadline(complaint)
    _save(complaint, "waiting_on", "next_deadline")
    _event(complaint, Kind.WAITING, actor, note=_text(note, "note"), data={"on": on})
    _audit(actor, "wait", complaint, waiting_on=on)
    return complaint


@transaction.atomic
def complaint_resume(*, complaint: Complaint, actor: User | None, note: str = "") -> Complaint:
    _handle_check(actor, complaint)
    complaint = _locked(complaint)
    if not complaint.waiting_on:
        raise DomainError(
            code="invalid_transition", message=_("This complaint is not waiting."), status=409
        )
    now = current_time()
    cal = calendar_for(complaint.responsible_unit)
    for clock in SlaClock.objects.filter(complaint=complaint, stopped_at__isnull=True).exclude(
        paused_remaining=None
    ):
        assert clock.paused_remaining is not None
        clock.deadline = sla.clock_resume(
            cal, sla.TimeUnit(clock.target_unit), now, clock.paused_remaining
        )
        clock.paused_remaining = None
        clock.save(update_fields=["paused_remaining", "deadline"])
    complaint.waiting_on = ""
    _refresh_deadline(complaint)
    _save(complaint, "waiting_on", "next_deadline")
    _event(complaint, Kind.RESUMED, actor, note=_text(note, "note"))
    _audit(actor, "resume", complaint)
    return complaint


@transaction.atomic
def complaint_verify(
    *, complaint: Complaint, actor: User | None, substantiated: bool, finding: str
) -> Complaint:
    """Record the outcome of the investigation: substantiated (有理, 经调查属实) or not, with the
    finding. Only substantiated complaints count against staff."""
    _handle_check(actor, complaint)
    finding = _text(finding, "finding", required=True)
    complaint = _locked(complaint)
    if complaint.status in (Status.VOIDED, Status.MERGED, Status.WITHDRAWN):
        raise DomainError(
            code="invalid_transition",
            message=_("A withdrawn, voided or merged complaint is not verified."),
            status=409,
        )
    before = {"substantiated": complaint.substantiated, "finding": complaint.finding}
    complaint.substantiated = substantiated
    complaint.finding = finding
    complaint.verified_at = current_time()
    _save(complaint, "substantiated", "finding", "verified_at")
    _event(complaint, Kind.VERIFIED, actor, note=finding, data={"substantiated": substantiated})
    audit_record(
        actor=actor,
        action="complaint.verify",
        target=complaint,
        before=before,
        after={"substantiated": substantiated, "finding": finding},
    )
    return complaint


@transaction.atomic
def complaint_reply(
    *, complaint: Complaint, actor: User | None, reply: str, improvement: str = ""
) -> Complaint:
    """Record the reply given to the customer and the improvement measure; stops the reply
    clocks."""
    _handle_check(actor, complaint)
    reply = _text(reply, "reply", required=True)
    improvement = _text(improvement, "improvement")
    complaint = _locked(complaint)
    _transition(complaint, Status.REPLIED)
    now = current_time()
    if complaint.waiting_on:
        complaint.waiting_on = ""
    complaint.status = Status.REPLIED
    complaint.reply = reply
    complaint.improvement = improvement
    complaint.replied_at = now
    _stop_clocks(complaint, [c.value for c in ClockKind], now)
    _refresh_deadline(complaint)
    _save(complaint, "status", "reply", "improvement", "replied_at", "waiting_on", "next_deadline")
    _event(
        complaint, Kind.REPLIED, actor, note=reply, data={"improvement": improvement}, public=True
    )
    _audit(actor, "reply", complaint)
    return complaint


@transaction.atomic
def complaint_follow_up(
    *,
    complaint: Complaint,
    actor: User,
    satisfaction: str,
    accepted: bool,
    note: str = "",
    method: str = "phone",
    close: bool = True,
) -> FollowUp:
    """Record a follow-up visit (回访). A dissatisfied customer, or one who does not accept the
    resolution, reopens the complaint; otherwise it is closed when `close` is set."""
    _handle_check(actor, complaint)
    if satisfaction not in Satisfaction.values:
        raise field_error("satisfaction", _("Choose how satisfied the customer is."))
    note = _text(note, "note")
    complaint = _locked(complaint)
    if complaint.status not in (Status.REPLIED, Status.FOLLOW_UP):
        raise DomainError(
            code="invalid_transition",
            message=_("A follow-up visit comes after the reply to the customer."),
            status=409,
        )
    now = current_time()
    visit = FollowUp.objects.create(
        complaint=complaint,
        at=now,
        by=actor,
        method=(method or "phone")[:20],
        satisfaction=satisfaction,
        accepted=accepted,
        note=note,
    )
    _event(
        complaint,
        Kind.FOLLOW_UP,
        actor,
        note=note,
        data={"satisfaction": satisfaction, "accepted": accepted},
        public=True,
    )
    _audit(actor, "follow_up", complaint, satisfaction=satisfaction, accepted=accepted)
    if satisfaction == Satisfaction.DISSATISFIED or not accepted:
        _reopen(
            complaint,
            actor,
            _("The customer was not satisfied at the follow-up visit."),
        )
        return visit
    complaint.status = Status.FOLLOW_UP
    _save(complaint, "status")
    if close:
        _close(complaint, actor, "")
    return visit


def _close(complaint: Complaint, actor: User | None, note: str) -> None:
    _transition(complaint, Status.CLOSED)
    visits = complaint.follow_ups.filter(accepted=True).exclude(
        satisfaction=Satisfaction.DISSATISFIED
    )
    reopened = (
        complaint.events.filter(kind=Kind.REOPENED)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if reopened is not None:
        visits = visits.filter(at__gt=reopened)  # a visit before the reopening no longer counts
    if complaint.follow_up_required and not visits.exists():
        raise DomainError(
            code="follow_up_required",
            message=_("This complaint cannot be closed before its follow-up visit."),
            status=409,
        )
    now = current_time()
    complaint.status = Status.CLOSED
    complaint.closed_at = now
    _stop_clocks(complaint, [c.value for c in ClockKind], now)
    _refresh_deadline(complaint)
    _save(complaint, "status", "closed_at", "next_deadline")
    _event(complaint, Kind.CLOSED, actor, note=note, public=True)
    _audit(actor, "close", complaint, note=note)


@transaction.atomic
def complaint_close(*, complaint: Complaint, actor: User | None, note: str = "") -> Complaint:
    """Close after the reply; without a satisfied follow-up visit only where the policy allows
    (an anonymous slip has nobody to visit)."""
    _handle_check(actor, complaint)
    note = _text(note, "note")
    complaint = _locked(complaint)
    _close(complaint, actor, note)
    return complaint


REOPENABLE = (Status.REPLIED, Status.FOLLOW_UP, Status.CLOSED, Status.WITHDRAWN)


def _reopen(complaint: Complaint, actor: User | None, reason: str) -> None:
    if complaint.status not in REOPENABLE:
        raise _domain(sla.TransitionError(sla.Status(complaint.status), sla.Status.INVESTIGATING))
    _transition(complaint, Status.INVESTIGATING)
    now = current_time()
    complaint.status = Status.INVESTIGATING
    complaint.closed_at = None
    complaint.end_reason = ""
    complaint.reopen_count += 1
    cal = calendar_for(complaint.responsible_unit)
    policy = policy_for(complaint.channel, complaint.urgency)
    if policy is not None:
        _start_clock(
            complaint,
            ClockKind.RESOLUTION,
            _target(policy.resolution_amount, policy.resolution_unit),
            now,
            cal,
        )
        _start_clock(
            complaint, ClockKind.UPDATE, _target(policy.update_amount, policy.update_unit), now, cal
        )
    _refresh_deadline(complaint)
    _save(complaint, "status", "closed_at", "end_reason", "reopen_count", "next_deadline")
    _event(complaint, Kind.REOPENED, actor, note=reason, public=True)
    _audit(actor, "reopen", complaint, note=reason)
    _notify_unit(
        complaint.responsible_unit,
        _("Complaint %(ref)s was reopened") % {"ref": complaint.ref},
        complaint,
    )


@transaction.atomic
def complaint_reopen(*, complaint: Complaint, actor: User | None, reason: str) -> Complaint:
    reason = _text(reason, "reason", required=True)
    complaint = _locked(complaint)
    if complaint.status in (Status.CLOSED, Status.WITHDRAWN):
        _require(actor, Cap.COMPLAINT_MANAGE, complaint.responsible_unit, complaint.unit)
    else:
        _handle_check(actor, complaint)
    _reopen(complaint, actor, reason)
    return complaint


def _end(complaint: Complaint, actor: User | None, status: str, kind: str, reason: str) -> None:
    _transition(complaint, status)
    now = current_time()
    complaint.status = status
    complaint.end_reason = reason
    complaint.closed_at = now
    complaint.waiting_on = ""
    _stop_clocks(complaint, [c.value for c in ClockKind], now)
    _refresh_deadline(complaint)
    _save(complaint, "status", "end_reason", "closed_at", "waiting_on", "next_deadline")
    _event(complaint, kind, actor, note=reason, public=True)


@transaction.atomic
def complaint_withdraw(*, complaint: Complaint, actor: User | None, reason: str) -> Complaint:
    """The customer withdrew the complaint (reason required; the record stays)."""
    _handle_check(actor, complaint)
    reason = _text(reason, "reason", required=True)
    complaint = _locked(complaint)
    _end(complaint, actor, Status.WITHDRAWN, Kind.WITHDRAWN, reason)
    _audit(actor, "withdraw", complaint, note=reason)
    return complaint


@transaction.atomic
def complaint_void(*, complaint: Complaint, actor: User | None, reason: str) -> Complaint:
    """Void a complaint registered in error (reason required; nothing is ever deleted)."""
    _require(actor, Cap.COMPLAINT_MANAGE, complaint.responsible_unit, complaint.unit)
    reason = _text(reason, "reason", required=True)
    complaint = _locked(complaint)
    _end(complaint, actor, Status.VOIDED, Kind.VOIDED, reason)
    _audit(actor, "void", complaint, note=reason)
    return complaint


@transaction.atomic
def complaint_merge(
    *, complaint: Complaint, into: Complaint, actor: User | None, reason: str = ""
) -> Complaint:
    """Merge a duplicate into the complaint that is kept; the duplicate's timeline stays."""
    _handle_check(actor, complaint)
    _handle_check(actor, into)
    if complaint.pk == into.pk:
        raise field_error("into", _("A complaint cannot be merged into itself."))
    if into.merged_into_id is not None or into.status in (Status.VOIDED, Status.MERGED):
        raise field_error("into", _("%(ref)s cannot take duplicates.") % {"ref": into.ref})
    reason = _text(reason, "reason") or _("Duplicate of %(ref)s") % {"ref": into.ref}
    complaint = _locked(complaint)
    _transition(complaint, Status.MERGED)
    complaint.merged_into = into
    _save(complaint, "merged_into")
    _end(complaint, actor, Status.MERGED, Kind.MERGED, reason)
    _event(
        into,
        Kind.NOTE,
        actor,
        note=_("%(ref)s was merged into this complaint.") % {"ref": complaint.ref},
    )
    _audit(actor, "merge", complaint, into=into.ref)
    return complaint


# --- Escalation -----------------------------------------------------------------------------


def _managers_of(unit: OrgUnit) -> list[User]:
    """Users who handle complaints with a grant exactly on `unit` (the people to tell)."""
    return _managers().get(unit.pk, [])


def warm_up() -> None:
    """Load the managers to tell and the rules (sqms.common.warm: when a web worker starts)."""
    _managers()
    rules()


def _managers() -> dict[int, list[User]]:
    return memo("complaint-managers", None, _managers_by_unit)


def _managers_by_unit() -> dict[int, list[User]]:
    # The whole tree in one query per process and configuration revision (see `memo`).
    roles = [r for r, caps in ROLE_CAPS.items() if Cap.COMPLAINT_HANDLE in caps]
    by_unit: dict[int, list[User]] = {}
    seen: set[tuple[int, int]] = set()
    grants = (
        RoleGrant.objects.filter(role__in=roles, user__is_active=True)
        .select_related("user")
        .order_by("unit_id", "user_id")
    )
    for grant in grants:
        if (grant.unit_id, grant.user_id) not in seen:
            seen.add((grant.unit_id, grant.user_id))
            by_unit.setdefault(grant.unit_id, []).append(grant.user)
    return by_unit


def _notify_unit(unit: OrgUnit, title: str, complaint: Complaint, body: str = "") -> None:
    notify(
        users=_managers_of(unit),
        title=title,
        body=body,
        url=reverse("complaints:detail", args=[complaint.pk]),
    )


@transaction.atomic
def complaint_escalate(*, complaint: Complaint, actor: User | None, reason: str) -> Escalation:
    """A store manager hands a complaint beyond his authority one level up (to the region); the
    level above must answer within the pack's time limit, or state the shortest time in which it
    can be handled."""
    _handle_check(actor, complaint)
    reason = _text(reason, "reason", required=True)
    complaint = _locked(complaint)
    if not complaint.is_open:
        raise DomainError(code="closed", message=_("This complaint is no longer open."))
    current = complaint.escalated_to or complaint.responsible_unit
    parent = OrgUnit.objects.filter(pk=current.parent_id).first()
    if parent is None:
        raise DomainError(
            code="top_of_tree",
            message=_("There is no level above %(unit)s.") % {"unit": current.name},
        )
    now = current_time()
    r = rules()
    cal = calendar_for(parent)
    clock = _start_clock(
        complaint,
        ClockKind.ESCALATION,
        _target(r.escalation_answer_amount, r.escalation_answer_unit),
        now,
        cal,
        owner_unit=parent,
    )
    level = complaint.escalation_level + 1
    escalation = Escalation.objects.create(
        complaint=complaint,
        clock=None,
        level=level,
        to_unit=parent,
        at=now,
        automatic=False,
        reason=reason,
    )
    complaint.escalation_level = level
    complaint.escalated_to = parent
    _refresh_deadline(complaint)
    _save(complaint, "escalation_level", "escalated_to", "next_deadline")
    _event(
        complaint,
        Kind.ESCALATED,
        actor,
        note=reason,
        data={
            "to": parent.name,
            "level": level,
            "deadline": clock.deadline.isoformat() if clock and clock.deadline else None,
        },
    )
    _audit(actor, "escalate", complaint, to=parent.code, level=level, note=reason)
    _notify_unit(
        parent,
        _("Complaint %(ref)s was escalated to %(unit)s")
        % {"ref": complaint.ref, "unit": parent.name},
        complaint,
        body=reason,
    )
    return escalation


@transaction.atomic
def escalation_answer(
    *,
    escalation: Escalation,
    actor: User | None,
    answer: str,
    promised_by: dt.datetime | None = None,
) -> Escalation:
    """The level above answers an escalation: a clear answer, or the shortest time in which it
    can be handled (`promised_by`), which then becomes the reply deadline."""
    _require(actor, Cap.COMPLAINT_HANDLE, escalation.to_unit)
    answer = _text(answer, "answer", required=True)
    escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if escalation.answered_at is not None:
        raise DomainError(
            code="already_answered", message=_("This escalation was already answered."), status=409
        )
    now = current_time()
    if promised_by is not None and promised_by <= now:
        raise field_error("promised_by", _("The promised time must be in the future."))
    complaint = _locked(escalation.complaint)
    escalation.answer = answer
    escalation.promised_by = promised_by
    escalation.answered_at = now
    escalation.save(update_fields=["answer", "promised_by", "answered_at"])
    _stop_clocks(complaint, [ClockKind.ESCALATION], now)
    if promised_by is not None:
        for clock in SlaClock.objects.filter(
            complaint=complaint, kind=ClockKind.RESOLUTION, stopped_at__isnull=True
        ):
            if clock.paused_remaining is not None:
                # Still waiting: the promise extends what is left, the clock stays paused.
                cal = calendar_for(complaint.responsible_unit)
                promised = sla.clock_remaining(
                    cal, sla.TimeUnit(clock.target_unit), now, promised_by
                )
                clock.paused_remaining = max(clock.paused_remaining, promised)
                clock.save(update_fields=["paused_remaining"])
                continue
            clock.deadline = max(promised_by, clock.deadline or promised_by)
            clock.save(update_fields=["deadline"])
    _refresh_deadline(complaint)
    _save(complaint, "next_deadline")
    _event(
        complaint,
        Kind.ESCALATION_ANSWERED,
        actor,
        note=answer,
        data={"promised_by": promised_by.isoformat() if promised_by else None},
    )
    _audit(actor, "escalation_answer", complaint, promised_by=promised_by)
    _notify_unit(
        escalation.complaint.responsible_unit,
        _("The escalation of %(ref)s was answered") % {"ref": complaint.ref},
        complaint,
        body=answer,
    )
    return escalation


def _window(amount: Decimal, unit: str, share: Decimal) -> dt.timedelta:
    """How long before a deadline it counts as "due soon": a share of the time limit (working
    days count as 8 hours, calendar days as 24)."""
    per = {"working_days": 8, "calendar_days": 24}.get(unit, 1)
    return dt.timedelta(hours=float(Decimal(amount) * per * share))


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0


def sla_sweep(now: dt.datetime | None = None) -> SweepResult:
    """Find clocks due soon or late: warn once, record each breach once, and escalate a late
    clock one level up the org tree per escalation step for as long as it stays late. Each clock
    is handled in its own transaction under a row lock, and escalations are unique per clock and
    level, so concurrent sweeps never notify twice."""
    now = now or current_time()
    with as_of(now):  # events and notices carry the sweep's time
        return _sweep(now)


def _sweep(now: dt.datetime) -> SweepResult:
    result = SweepResult()
    r = rules()
    share = Decimal(r.warn_share)
    step = dt.timedelta(hours=float(r.escalation_step_hours))
    horizon = now + dt.timedelta(days=8)
    running = SlaClock.objects.filter(
        stopped_at__isnull=True,
        deadline__isnull=False,
        deadline__lte=horizon,
        complaint__status__in=OPEN_STATUSES,
    ).values_list("pk", "deadline", "warned_at", "target_amount", "target_unit", "escalation_done")
    # Only clocks with something to do are locked: late ones, and ones entering their warning
    # window that were not warned yet.
    due = [
        pk
        for pk, deadline, warned_at, amount, unit, done in running.iterator(chunk_size=2000)
        if (deadline <= now and not done)
        or (warned_at is None and deadline - now <= _window(amount, unit, share))
    ]
    for clock_id in due:
        with transaction.atomic():
            clock = (
                SlaClock.objects.select_for_update(of=("self",))
                .select_related("complaint", "complaint__responsible_unit", "owner_unit")
                .filter(pk=clock_id, stopped_at__isnull=True, deadline__isnull=False)
                .first()
            )
            if clock is None:
                continue
            assert clock.deadline is not None
            complaint = clock.complaint
            if clock.warned_at is None and clock.deadline > now:
                if clock.deadline - now <= _window(clock.target_amount, clock.target_unit, share):
                    clock.warned_at = now
                    clock.save(update_fields=["warned_at"])
                    _event(
                        complaint,
                        Kind.DEADLINE_WARNING,
                        None,
                        data={"clock": clock.kind, "deadline": clock.deadline.isoformat()},
                    )
                    _notify_unit(
                        clock.owner_unit or complaint.responsible_unit,
                        _("Complaint %(ref)s is due %(when)s")
                        % {
                            "ref": complaint.ref,
                            "when": timezone.localtime(clock.deadline).strftime("%Y-%m-%d %H:%M"),
                        },
                        complaint,
                    )
                    result.warned += 1
                continue
            if clock.deadline > now:
                continue
            if clock.breached_at is None:
                clock.breached_at = now
                clock.save(update_fields=["breached_at"])
                Complaint.objects.filter(pk=complaint.pk).update(breached=True)
                _event(
                    complaint,
                    Kind.DEADLINE_MISSED,
                    None,
                    data={"clock": clock.kind, "deadline": clock.deadline.isoformat()},
                )
                audit_record(
                    actor=None,
                    action="complaint.deadline_missed",
                    target=complaint,
                    after={"clock": clock.kind, "deadline": clock.deadline},
                )
                result.breached += 1
            if _escalate_next(clock, now, step):
                result.escalated += 1
    return result


def _escalate_next(clock: SlaClock, now: dt.datetime, step: dt.timedelta) -> bool:
    """Add the next automatic escalation level of a late clock if it is due; at most one level
    per sweep, and never past the top of the tree."""
    assert clock.deadline is not None
    complaint = clock.complaint
    nth = clock.escalations.count() + 1  # this clock's n-th step up
    if sla.escalation_due(clock.deadline, nth, step) > now:
        return False
    base = clock.owner_unit or complaint.responsible_unit
    chain = list(reversed(base.ancestor_ids()[:-1]))  # parent first
    if nth > len(chain):
        SlaClock.objects.filter(pk=clock.pk).update(escalation_done=True)
        return False
    to_unit = OrgUnit.objects.get(pk=chain[nth - 1])
    # The level counts from the responsible unit, whichever clock climbs (an unanswered
    # escalation's clock starts one level up already).
    level = complaint.responsible_unit.depth - to_unit.depth
    # Several late clocks of one complaint tell each unit once.
    told = Escalation.objects.filter(complaint=complaint, to_unit=to_unit).exists()
    try:
        with transaction.atomic():
            Escalation.objects.create(
                complaint=complaint, clock=clock, level=level, to_unit=to_unit, at=now
            )
    except IntegrityError:
        return False  # another sweep took this level first
    if told:
        return False
    Complaint.objects.filter(pk=complaint.pk, escalation_level__lt=level).update(
        escalation_level=level, escalated_to=to_unit
    )
    _event(
        complaint,
        Kind.ESCALATED,
        None,
        note=_("Late: %(clock)s was due %(when)s.")
        % {
            "clock": ClockKind(clock.kind).label,
            "when": timezone.localtime(clock.deadline).strftime("%Y-%m-%d %H:%M"),
        },
        data={"to": to_unit.name, "level": level, "clock": clock.kind, "automatic": True},
    )
    audit_record(
        actor=None,
        action="complaint.escalate",
        target=complaint,
        after={"to": to_unit.code, "level": level, "clock": clock.kind, "automatic": True},
    )
    _notify_unit(
        to_unit,
        _("Late complaint %(ref)s escalated to %(unit)s")
        % {"ref": complaint.ref, "unit": to_unit.name},
        complaint,
    )
    return True
