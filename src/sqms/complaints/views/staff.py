"""Complaint pages for staff: the list with deadlines, the intake form (desk, slip, hotline),
and a complaint's file with its timeline, clocks and the actions the user may take."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sqms.common.errors import DomainError, NotFound, PermissionDenied
from sqms.common.forms import form_errors
from sqms.common.http import scoped
from sqms.common.models import Notification
from sqms.common.notifications import notification_mark_read
from sqms.common.paging import CappedPaginator
from sqms.complaints import forms as f
from sqms.complaints import selectors, services
from sqms.complaints.models import (
    OPEN_STATUSES,
    Channel,
    ClockKind,
    Complaint,
    Status,
    TimeUnit,
)
from sqms.complaints.views.pickers import unit_options
from sqms.core import sla
from sqms.org.models import OrgUnit, Staff
from sqms.org.roles import Cap
from sqms.org.selectors import (
    can,
    staff_queryset_for_user,
    unit_queryset_for_user,
)

ENDED = (Status.VOIDED, Status.MERGED, Status.WITHDRAWN)
REOPEN_NEEDS_MANAGE = (Status.CLOSED, Status.WITHDRAWN)
# Lazy: the labels are read when a page is drawn, in its reader's language.
STATUS_TABS = [
    ("open", gettext_lazy("Open")),
    ("late", gettext_lazy("Late")),
    ("due_soon", gettext_lazy("Due within 24 h")),
    ("breached", gettext_lazy("Missed a time limit")),
    ("ended", gettext_lazy("Closed and ended")),
    ("", gettext_lazy("All")),
]


def _remaining(deadline: dt.datetime | None, now: dt.datetime) -> dict[str, Any] | None:
    """How a deadline reads in a list: '3 h 20 min left' or 'late by 2 d 4 h'."""
    if deadline is None:
        return None
    delta = deadline - now
    late = delta.total_seconds() < 0
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    elif hours:
        text = _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    else:
        text = _("%(m)d min") % {"m": minutes}
    return {
        "late": late,
        "soon": not late and seconds < 4 * 3600,
        "text": (_("late by %(t)s") if late else _("%(t)s left")) % {"t": text},
    }


# What the list shows (see _list_rows), and nothing else: 50 rows of every column and of the
# five joined tables cost more to load than to query.
LIST_FIELDS = (
    "ref",
    "title",
    "description",
    "received_at",
    "channel",
    "status",
    "waiting_on",
    "escalation_level",
    "substantiated",
    "next_deadline",
    "breached",
    "unit__name",
    "responsible_unit__name",
    "category__name_zh",
    "category__name_en",
    "assignee__name",
)


def _short(text: str, limit: int = 40) -> str:
    """As the truncatechars filter: at most `limit` characters, the last one an ellipsis."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _list_rows(page: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """What each row of the list shows, as plain values: the template then only prints them.
    (Fifty rows through the template's own tags and filters took 11 ms of the page.)"""
    channels = {v: str(label) for v, label in Channel.choices}
    statuses = {v: str(label) for v, label in Status.choices}
    link = reverse("complaints:detail", args=[999_999_999])
    rows = []
    for c in page:
        left = _remaining(c.next_deadline, now) if c.is_open else None
        deadline = timezone.localtime(c.next_deadline) if left and c.next_deadline else None
        rows.append(
            {
                "url": link.replace("999999999", str(c.pk)),
                "ref": c.ref,
                "summary": _short(c.title or c.description),
                "has_title": bool(c.title),
                "received": f"{timezone.localtime(c.received_at):%Y-%m-%d %H:%M}",
                "unit": c.unit.name,
                "routed_to": (
                    c.responsible_unit.name if c.responsible_unit_id != c.unit_id else ""
                ),
                "category": c.category.label if c.category_id else "—",
                "channel": channels.get(c.channel, c.channel),
                "status": c.status,
                "status_label": statuses.get(c.status, c.status),
                "waiting": bool(c.waiting_on),
                "escalation_level": c.escalation_level,
                "substantiated": bool(c.substantiated),
                "left": left,
                "deadline": f"{deadline:%m-%d %H:%M}" if deadline else "",
                "breached": c.breached,
                "assignee": c.assignee.name if c.assignee_id else "—",
            }
        )
    return rows


@scoped
def complaint_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Cap.COMPLAINT_VIEW):
        raise PermissionDenied()
    form = f.ComplaintFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    status = request.GET.get("status", "open") if "status" in request.GET else "open"
    unit = None
    if data.get("unit"):
        unit = (
            unit_queryset_for_user(request.user, Cap.COMPLAINT_VIEW).filter(pk=data["unit"]).first()
        )
        if unit is None:
            raise NotFound(_("Unit not found."))
    flt = selectors.ComplaintFilter(
        status=status,
        channel=data.get("channel") or "",
        category=data.get("category") or "",
        unit=unit,
        received_from=data.get("received_from"),
        received_to=data.get("received_to"),
        q=data.get("q") or "",
        order=request.GET.get("order", ""),
    )
    qs = (
        selectors.complaint_list_for_user(request.user, flt)
        .select_related(None)
        .select_related("unit", "responsible_unit", "category", "assignee")
        .only(*LIST_FIELDS)
    )
    page = CappedPaginator(qs, 50).get_page(request.GET.get("page"))
    rows = _list_rows(page, timezone.now())
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "complaints/complaint_list.html",
        {
            "page": page,
            "rows": rows,
            "form": form,
            "status": status,
            "tabs": STATUS_TABS,
            "unit": unit,
            "unit_options": unit_options(request.user, unit),
            "categories": selectors.category_tree(),
            "query": query.urlencode(),
            "can_intake": can(request.user, Cap.COMPLAINT_INTAKE),
            "escalations": selectors.escalations_to_answer(request.user)[:20],
        },
    )


def _intake_units(request: HttpRequest) -> QuerySet[OrgUnit]:
    return (
        unit_queryset_for_user(request.user, Cap.COMPLAINT_INTAKE)
        .filter(is_active=True)
        .order_by("path")
    )


@scoped
def complaint_new(request: HttpRequest) -> HttpResponse:
    """The intake form. A hotline operator keeps the caller on the line: the form is one
    screen, keyboard-first, and on saving it shows the tracking code and the promised time to
    read out, ready for the next call."""
    if not can(request.user, Cap.COMPLAINT_INTAKE):
        raise PermissionDenied()
    units = _intake_units(request)
    unit_id = request.POST.get("unit") or request.GET.get("unit")
    staff_qs = Staff.objects.none()
    if unit_id and str(unit_id).isdigit():
        chosen = units.filter(pk=int(unit_id)).first()
        if chosen is not None:
            staff_qs = _staff_at(request, chosen, Cap.COMPLAINT_INTAKE)
    if not unit_id and units.count() == 1:
        unit_id = str(units.get().pk)  # a store's own staff register for their store
        staff_qs = _staff_at(request, units.get(), Cap.COMPLAINT_INTAKE)
    initial = {"channel": request.GET.get("channel", Channel.DESK), "unit": unit_id}
    form = f.IntakeForm(request.POST or None, initial=initial, units=units, staff=staff_qs)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            complaint = services.complaint_create(
                actor=request.user,  # type: ignore[arg-type]
                data=services.Intake(
                    channel=d["channel"],
                    unit=d["unit"],
                    description=d["description"],
                    title=d["title"],
                    received_at=d["received_at"],
                    complainant_name=d["complainant_name"],
                    complainant_phone=d["complainant_phone"],
                    complainant_email=d["complainant_email"],
                    contact_preference=d["contact_preference"],
                    anonymous=d["anonymous"],
                    staff=d["staff"],
                    staff_description=d["staff_description"],
                    occurred_at=d["occurred_at"],
                    category=d["category"],
                    urgency=d["urgency"],
                    importance=d["importance"],
                ),
                attachments=request.FILES.getlist("attachments"),
            )
        except DomainError as exc:
            form_errors(form, exc)
        else:
            # What the customer is promised is the reply, not the first internal response.
            deadline = selectors.reply_deadline(complaint)
            messages.success(
                request,
                _("Registered %(ref)s. Tell the customer: a reply by %(when)s.")
                % {
                    "ref": complaint.ref,
                    "when": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")
                    if deadline
                    else _("the time the policy sets"),
                },
            )
            if "another" in request.POST:
                return redirect(
                    reverse("complaints:new")
                    + f"?channel={complaint.channel}&unit={complaint.unit_id}"
                )
            return redirect("complaints:detail", complaint_id=complaint.pk)
    return render(
        request,
        "complaints/complaint_new.html",
        {"form": form, "hotline": form["channel"].value() == Channel.HOTLINE},
    )


def _staff_at(request: HttpRequest, unit: OrgUnit, cap: str = Cap.ORG_VIEW) -> QuerySet[Staff]:
    """The unit's current staff whom the user may name: at intake everyone of the units he
    registers complaints for (a hotline operator names any store's cashier without the right
    to browse the staff register), elsewhere those he sees."""
    return (
        staff_queryset_for_user(request.user, cap)
        .filter(unit__path__startswith=unit.path, end_date__isnull=True)
        .select_related("position")
        .order_by("name")
    )


@scoped
def staff_options(request: HttpRequest) -> HttpResponse:
    """The <option>s of the staff picker for the chosen unit (htmx, on unit change)."""
    unit_id = request.GET.get("unit", "")
    staff: Any = []
    if unit_id.isdigit():
        unit = _intake_units(request).filter(pk=int(unit_id)).first()
        if unit is not None:
            staff = _staff_at(request, unit, Cap.COMPLAINT_INTAKE)[:300]
    return render(request, "complaints/_staff_options.html", {"staff": staff})


def _clock_rows(complaint: Complaint, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    # The newest clock of each kind: an update clock restarts with every step, a reopening
    # starts a new reply clock; the earlier ones are history, counted in the compliance report.
    latest = {c.kind: c for c in selectors.clocks_for(complaint)}
    for clock in sorted(latest.values(), key=lambda c: list(ClockKind.values).index(c.kind)):
        rows.append(
            {
                "clock": clock,
                "label": ClockKind(clock.kind).label,
                "target": f"{clock.target_amount.normalize():f} "
                f"{TimeUnit(clock.target_unit).label}",
                "remaining": _remaining(clock.deadline, now) if clock.stopped_at is None else None,
                "paused": clock.stopped_at is None and clock.paused_remaining is not None,
            }
        )
    return rows


@scoped
def complaint_detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    complaint = selectors.complaint_get_for_user(request.user, complaint_id)
    user = request.user
    reveal = request.method == "POST" and request.POST.get("reveal") == "1"
    contact = selectors.complaint_contact(user, complaint, reveal=reveal)
    handle = selectors.can_on(user, Cap.COMPLAINT_HANDLE, complaint)
    manage = selectors.can_on(user, Cap.COMPLAINT_MANAGE, complaint)
    allowed = sla.allowed_transitions(complaint.status)
    staff_here = _staff_at(request, complaint.unit)
    handlers = (
        staff_queryset_for_user(user)
        .filter(end_date__isnull=True)
        .filter(unit__path__startswith=complaint.responsible_unit.path)
        .select_related("position")
        .order_by("name")
    )
    escalations = selectors.escalations_for(complaint)
    open_escalation = next(
        (
            e
            for e in escalations
            if not e.automatic
            and e.answered_at is None
            and can(user, Cap.COMPLAINT_HANDLE, e.to_unit)
        ),
        None,
    )
    now = timezone.now()
    ctx = {
        "complaint": complaint,
        "contact": contact,
        "may_reveal": contact.masked and selectors.may_see_personal_data(user, complaint),
        "events": complaint.events.all(),
        "clocks": _clock_rows(complaint, now),
        "follow_ups": complaint.follow_ups.all(),
        "attachments": complaint.attachments.all(),
        "escalations": escalations,
        "duplicates": complaint.duplicates.all(),
        "handle": handle,
        "manage": manage,
        "is_open": complaint.status in OPEN_STATUSES,
        "can": {
            "classify": handle and complaint.status in OPEN_STATUSES,
            "assign": handle and Status.ASSIGNED in allowed,
            "investigate": handle and complaint.status in (Status.RECEIVED, Status.ASSIGNED),
            "note": handle and complaint.status in OPEN_STATUSES,
            "wait": handle and complaint.status in OPEN_STATUSES and not complaint.waiting_on,
            "resume": handle and bool(complaint.waiting_on),
            "verify": handle
            and complaint.status not in (Status.VOIDED, Status.MERGED, Status.WITHDRAWN),
            "reply": handle and Status.REPLIED in allowed,
            "follow_up": handle and complaint.status in (Status.REPLIED, Status.FOLLOW_UP),
            "close": handle and Status.CLOSED in allowed,
            "escalate": handle and complaint.status in OPEN_STATUSES,
            "withdraw": handle and Status.WITHDRAWN in allowed,
            "void": manage and Status.VOIDED in allowed,
            "merge": handle and Status.MERGED in allowed,
            "reopen": (
                manage or (handle and complaint.status not in (Status.CLOSED, Status.WITHDRAWN))
            )
            and Status.INVESTIGATING in allowed
            and complaint.status not in (Status.RECEIVED, Status.ASSIGNED),
            "attach": handle,
        },
        "open_escalation": open_escalation,
        # One form per action, each with ids of its own ("id_wait-note"): several actions have
        # a note or a reason, and a label must lead to its own form's field.
        "forms": {
            "classify": f.ClassifyForm(
                staff=staff_here,
                initial={
                    "category": complaint.category_id,
                    "urgency": complaint.urgency,
                    "importance": complaint.importance,
                    "staff": complaint.staff_id,
                },
                auto_id="id_classify-%s",
            ),
            "assign": f.AssignForm(
                staff=handlers, initial={"assignee": complaint.assignee_id}, auto_id="id_assign-%s"
            ),
            "note": f.NoteForm(auto_id="id_note-%s"),
            "wait": f.WaitForm(auto_id="id_wait-%s"),
            "verify": f.VerifyForm(
                initial={
                    "substantiated": "1" if complaint.substantiated else "0",
                    "finding": complaint.finding,
                }
                if complaint.substantiated is not None
                else None,
                auto_id="id_verify-%s",
            ),
            "reply": f.ReplyForm(
                initial={"reply": complaint.reply, "improvement": complaint.improvement},
                auto_id="id_reply-%s",
            ),
            "follow_up": f.FollowUpForm(auto_id="id_follow_up-%s"),
            **{
                n: f.ReasonForm(auto_id=f"id_{n}-%s")
                for n in ("escalate", "reopen", "withdraw", "void")
            },
            **{n: f.CloseForm(auto_id=f"id_{n}-%s") for n in ("investigate", "resume", "close")},
            "merge": f.MergeForm(auto_id="id_merge-%s"),
            "answer": f.EscalationAnswerForm(auto_id="id_answer-%s"),
            "attach": f.AttachForm(auto_id="id_attach-%s"),
        },
    }
    return render(request, "complaints/complaint_detail.html", ctx)


def _act(
    request: HttpRequest,
    complaint: Complaint,
    form: Any,
    run: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Run one action from the complaint's page; errors go back to the page as messages that
    name the field, and nothing is changed."""
    if not form.is_valid():
        for name, errs in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for e in errs:
                messages.error(request, f"{label}: {e}" if label else str(e))
    else:
        try:
            messages.success(request, run(form.cleaned_data))
        except (NotFound, PermissionDenied):
            raise  # 404/403 from @scoped, not a message: nothing was changed
        except DomainError as exc:
            messages.error(request, exc.message)
            for err in exc.errors:
                messages.error(request, f"{err.loc[-1]}: {err.msg}")
    return redirect("complaints:detail", complaint_id=complaint.pk)


@require_POST
@scoped
def complaint_action(request: HttpRequest, complaint_id: int, action: str) -> HttpResponse:
    complaint = selectors.complaint_get_for_user(request.user, complaint_id)
    user: Any = request.user
    post = request.POST
    staff_here = _staff_at(request, complaint.unit)
    handlers = staff_queryset_for_user(user).filter(
        unit__path__startswith=complaint.responsible_unit.path, end_date__isnull=True
    )
    c, u = complaint, user

    def classify(d: dict[str, Any]) -> str:
        services.complaint_classify(
            complaint=c,
            actor=u,
            category=d["category"],
            urgency=d["urgency"],
            importance=d["importance"],
            staff=d["staff"],
        )
        return _("Classification saved.")

    def assign(d: dict[str, Any]) -> str:
        services.complaint_assign(complaint=c, actor=u, assignee=d["assignee"], note=d["note"])
        return _("Assigned to %(name)s.") % {"name": d["assignee"].name}

    def investigate(d: dict[str, Any]) -> str:
        services.complaint_investigate(complaint=c, actor=u, note=d["note"])
        return _("Investigation started.")

    def note(d: dict[str, Any]) -> str:
        services.complaint_note(complaint=c, actor=u, note=d["note"], contacted=d["contacted"])
        return _("Note added.")

    def wait(d: dict[str, Any]) -> str:
        services.complaint_wait(complaint=c, actor=u, on=d["on"], note=d["note"])
        return _("The time limits are paused.")

    def resume(d: dict[str, Any]) -> str:
        services.complaint_resume(complaint=c, actor=u, note=d["note"])
        return _("The time limits run again.")

    def verify(d: dict[str, Any]) -> str:
        services.complaint_verify(
            complaint=c, actor=u, substantiated=d["substantiated"], finding=d["finding"]
        )
        return _("Verification recorded.")

    def reply(d: dict[str, Any]) -> str:
        services.complaint_reply(
            complaint=c, actor=u, reply=d["reply"], improvement=d["improvement"]
        )
        return _("Reply recorded.")

    def follow_up(d: dict[str, Any]) -> str:
        services.complaint_follow_up(
            complaint=c,
            actor=u,
            satisfaction=d["satisfaction"],
            accepted=d["accepted"],
            note=d["note"],
            method=d["method"],
            close=d["close"],
        )
        return _("Follow-up visit recorded.")

    def close(d: dict[str, Any]) -> str:
        services.complaint_close(complaint=c, actor=u, note=d["note"])
        return _("Complaint closed.")

    def reopen(d: dict[str, Any]) -> str:
        services.complaint_reopen(complaint=c, actor=u, reason=d["reason"])
        return _("Complaint reopened.")

    def withdraw(d: dict[str, Any]) -> str:
        services.complaint_withdraw(complaint=c, actor=u, reason=d["reason"])
        return _("Complaint withdrawn.")

    def void(d: dict[str, Any]) -> str:
        services.complaint_void(complaint=c, actor=u, reason=d["reason"])
        return _("Complaint voided.")

    def escalate(d: dict[str, Any]) -> str:
        services.complaint_escalate(complaint=c, actor=u, reason=d["reason"])
        return _("Escalated to the level above.")

    actions: dict[str, tuple[Any, Callable[[dict[str, Any]], str]]] = {
        "classify": (f.ClassifyForm(post, staff=staff_here), classify),
        "assign": (f.AssignForm(post, staff=handlers), assign),
        "investigate": (f.CloseForm(post), investigate),
        "note": (f.NoteForm(post), note),
        "wait": (f.WaitForm(post), wait),
        "resume": (f.CloseForm(post), resume),
        "verify": (f.VerifyForm(post), verify),
        "reply": (f.ReplyForm(post), reply),
        "follow_up": (f.FollowUpForm(post), follow_up),
        "close": (f.CloseForm(post), close),
        "reopen": (f.ReasonForm(post), reopen),
        "withdraw": (f.ReasonForm(post), withdraw),
        "void": (f.ReasonForm(post), void),
        "escalate": (f.ReasonForm(post), escalate),
        "merge": (f.MergeForm(post), lambda d: _merge(user, complaint, d)),
        "answer": (f.EscalationAnswerForm(post), lambda d: _answer(user, complaint, d)),
        "attach": (f.AttachForm(post, request.FILES), lambda d: _attach(request, complaint)),
    }
    if action not in actions:
        raise NotFound(_("No such action."))
    form, run = actions[action]
    return _act(request, complaint, form, run)


def _merge(user: Any, complaint: Complaint, d: dict[str, Any]) -> str:
    try:
        into = selectors.complaint_get_by_ref_for_user(user, d["into"])
    except NotFound:
        raise DomainError(
            code="invalid", message=_("Unknown complaint %(ref)s.") % {"ref": d["into"]}
        ) from None
    services.complaint_merge(complaint=complaint, into=into, actor=user, reason=d["reason"])
    return _("Merged into %(ref)s.") % {"ref": into.ref}


def _answer(user: Any, complaint: Complaint, d: dict[str, Any]) -> str:
    escalation = (
        complaint.escalations.filter(automatic=False, answered_at__isnull=True)
        .select_related("to_unit")
        .order_by("-at")
        .first()
    )
    if escalation is None:
        raise DomainError(code="invalid", message=_("There is no open escalation to answer."))
    services.escalation_answer(
        escalation=escalation, actor=user, answer=d["answer"], promised_by=d["promised_by"]
    )
    return _("Answer recorded.")


def _attach(request: HttpRequest, complaint: Complaint) -> str:
    files = request.FILES.getlist("files")
    services.complaint_attach(complaint=complaint, actor=request.user, files=files)  # type: ignore[arg-type]
    return _("Attached.")


@scoped
def attachment_download(
    request: HttpRequest, complaint_id: int, attachment_id: int
) -> HttpResponse:
    complaint = selectors.complaint_get_for_user(request.user, complaint_id)
    att = complaint.attachments.filter(pk=attachment_id).first()
    if att is None:
        raise NotFound(_("Attachment not found."))
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)


@scoped
def notifications(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        notification_mark_read(user=request.user)
        return redirect("complaints:notifications")
    rows = Notification.objects.filter(user=request.user)[:100]
    return render(request, "complaints/notifications.html", {"rows": rows})


urlpatterns: list[URLPattern] = [
    path("", complaint_list, name="list"),
    path("new/", complaint_new, name="new"),
    path("staff-options", staff_options, name="staff-options"),
    path("notifications/", notifications, name="notifications"),
    path("<int:complaint_id>/", complaint_detail, name="detail"),
    path("<int:complaint_id>/do/<slug:action>", complaint_action, name="action"),
    path(
        "<int:complaint_id>/files/<int:attachment_id>",
        attachment_download,
        name="attachment",
    ),
]
