"""Complaints: the record, its timeline, its time-limit clocks, escalations, follow-up visits,
attachments, and the stores' monthly registers. Categories and time-limit policies are data
(loaded from a pack, editable). Nothing here is ever deleted: complaints are withdrawn, voided
or merged with a reason."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sqms.core.sla import Status as CoreStatus
from sqms.core.sla import TimeUnit as CoreTimeUnit
from sqms.org.models import OrgUnit, Staff


class Channel(models.TextChoices):
    DESK = "desk", _("Service desk")
    SLIP = "slip", _("Suggestion box slip")
    HOTLINE = "hotline", _("Hotline")
    WEB = "web", _("Public web form")
    API = "api", _("API")
    EMAIL = "email", _("E-mail or letter")


class Status(models.TextChoices):
    RECEIVED = CoreStatus.RECEIVED.value, _("Received")
    ASSIGNED = CoreStatus.ASSIGNED.value, _("Assigned")
    INVESTIGATING = CoreStatus.INVESTIGATING.value, _("Investigating")
    REPLIED = CoreStatus.REPLIED.value, _("Replied")
    FOLLOW_UP = CoreStatus.FOLLOW_UP.value, _("Followed up")
    CLOSED = CoreStatus.CLOSED.value, _("Closed")
    WITHDRAWN = CoreStatus.WITHDRAWN.value, _("Withdrawn")
    VOIDED = CoreStatus.VOIDED.value, _("Voided")
    MERGED = CoreStatus.MERGED.value, _("Merged")


OPEN_STATUSES = [
    Status.RECEIVED,
    Status.ASSIGNED,
    Status.INVESTIGATING,
    Status.REPLIED,
    Status.FOLLOW_UP,
]
# Statuses in which the reply clocks still run.
UNANSWERED_STATUSES = [Status.RECEIVED, Status.ASSIGNED, Status.INVESTIGATING]


class Level(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")


class ContactPreference(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("Text message")
    EMAIL = "email", _("E-mail")
    NONE = "none", _("No contact wanted")


class TimeUnit(models.TextChoices):
    WORKING_HOURS = CoreTimeUnit.WORKING_HOURS.value, _("working hours")
    WORKING_DAYS = CoreTimeUnit.WORKING_DAYS.value, _("working days")
    CALENDAR_HOURS = CoreTimeUnit.CALENDAR_HOURS.value, _("hours (calendar)")
    CALENDAR_DAYS = CoreTimeUnit.CALENDAR_DAYS.value, _("days (calendar)")


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    UPDATE = "update", _("Update while open")
    RESOLUTION = "resolution", _("Reply to the customer")
    ESCALATION = "escalation", _("Answer to an escalation")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class Category(models.Model):
    """A node of the complaint category tree (from a pack). `route_to` names the business
    department that product or price complaints are sent to; `counts_against_staff` says
    whether a substantiated complaint of this kind counts in staff evaluations."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    route_to = models.ForeignKey(
        OrgUnit,
        verbose_name=_("route to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counts_against_staff = models.BooleanField(_("counts against staff"), default=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class SlaPolicy(models.Model):
    """Time limits for complaints of one channel (and urgency, or any urgency when blank).
    Each clock's limit may be left empty: that clock then does not run."""

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Level.choices, null=True, blank=True
    )
    first_response_amount = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    first_response_unit = models.CharField(max_length=20, choices=TimeUnit.choices, blank=True)
    update_amount = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    update_unit = models.CharField(max_length=20, choices=TimeUnit.choices, blank=True)
    resolution_amount = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    resolution_unit = models.CharField(max_length=20, choices=TimeUnit.choices, blank=True)
    follow_up_required = models.BooleanField(_("follow-up visit required"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("time-limit policy")
        verbose_name_plural = _("time-limit policies")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "urgency"], name="one_policy_per_channel_urgency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} / {self.get_urgency_display() or '*'}"


class ComplaintRules(models.Model):
    """Organisation-wide complaint settings from the pack (a single row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    escalation_answer_amount = models.DecimalField(max_digits=7, decimal_places=2, default=12)
    escalation_answer_unit = models.CharField(
        max_length=20, choices=TimeUnit.choices, default=TimeUnit.CALENDAR_HOURS
    )
    # A late clock climbs one more level of the org tree each step while it stays late.
    escalation_step_hours = models.DecimalField(max_digits=7, decimal_places=2, default=12)
    # How long before a deadline "due soon" is flagged, as a share of the time limit.
    warn_share = models.DecimalField(max_digits=3, decimal_places=2, default=0.25)
    register_due_day = models.PositiveSmallIntegerField(default=13)
    pack = models.CharField(max_length=60, blank=True)

    class Meta:
        verbose_name = _("complaint rules")
        verbose_name_plural = _("complaint rules")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="rules_singleton")]

    def __str__(self) -> str:
        return f"rules ({self.pack or 'default'})"


class Complaint(models.Model):
    """One complaint, whatever the channel. `unit` is where it arose (the store); the
    `responsible_unit` handles it (the store, or the business department a product/price
    complaint is routed to); scoping follows both."""

    ref = models.CharField(_("tracking code"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField(_("received"))
    complainant_name = models.CharField(_("complainant"), max_length=80, blank=True)
    complainant_phone = models.CharField(_("phone"), max_length=30, blank=True)
    complainant_email = models.EmailField(_("e-mail"), blank=True)
    contact_preference = models.CharField(
        _("contact preference"),
        max_length=10,
        choices=ContactPreference.choices,
        default=ContactPreference.PHONE,
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # The foreign keys have no index of their own where an index in Meta begins with them (an
    # intake writes every index of the table while it holds the writers' lock), and a partial
    # one where they are mostly empty; the category has none (categories are never deleted,
    # only deactivated); see Meta.indexes.
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,
    )
    staff = models.ForeignKey(
        Staff,
        verbose_name=_("staff concerned"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,
    )
    # The staff member as the customer described him, when nobody could name him for sure
    # ("the cashier at till 3, glasses"); the store manager then picks `staff`.
    staff_description = models.CharField(_("staff as described"), max_length=200, blank=True)
    # When it happened, if the customer said (received_at is when we heard of it).
    occurred_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Level.choices, default=Level.NORMAL
    )
    importance = models.PositiveSmallIntegerField(
        _("importance"), choices=Level.choices, default=Level.NORMAL
    )
    title = models.CharField(_("subject"), max_length=120, blank=True)
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    responsible_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="complaints_handled",
        db_index=False,
    )
    assignee = models.ForeignKey(
        Staff,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_assigned",
        db_index=False,
    )
    substantiated = models.BooleanField(_("substantiated"), null=True, blank=True)
    finding = models.TextField(_("finding"), blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    reply = models.TextField(_("reply to the customer"), blank=True)
    improvement = models.TextField(_("improvement measure"), blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    follow_up_required = models.BooleanField(_("follow-up visit required"), default=True)
    waiting_on = models.CharField(_("waiting on"), max_length=20, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_to = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        db_index=False,
    )
    end_reason = models.TextField(_("reason"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # The earliest running deadline, kept in step with the clocks for fast "late" lists.
    next_deadline = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(_("time limit missed"), default=False)
    # Never looked up by: no index (an intake writes every index of the table).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            # Mostly empty at intake and after: only the rows that have one are indexed.
            *(
                models.Index(
                    fields=[name],
                    condition=models.Q(**{f"{name}__isnull": False}),
                    name=f"complaint_{name}_set",
                )
                for name in ("assignee", "escalated_to", "merged_into")
            ),
            models.Index(fields=["unit", "received_at"]),
            models.Index(fields=["responsible_unit", "received_at"]),
            # Open lists sort by the next deadline; a partial index keeps them off the closed bulk.
            models.Index(
                fields=["next_deadline"],
                condition=models.Q(
                    status__in=["received", "assigned", "investigating", "replied", "follow_up"]
                ),
                name="complaint_open_by_deadline",
            ),
            # The other half of a subtree's open list, the complaints routed to its units (a
            # filter by unit is "arose there OR is handled there"): without it SQLite took the
            # responsible unit's every complaint of the period and checked each row, 35 ms of a
            # filtered list over a million complaints instead of 3.
            models.Index(
                fields=["responsible_unit", "received_at", "category", "next_deadline"],
                condition=models.Q(
                    status__in=["received", "assigned", "investigating", "replied", "follow_up"]
                ),
                name="complaint_open_by_responsible",
            ),
            # Counting and listing a subtree's open complaints reads this index alone: the
            # scope's unit ids, the category and the date filters are checked on it, and the
            # list's order taken from it, without visiting the rows.
            models.Index(
                fields=[
                    "status",
                    "unit",
                    "responsible_unit",
                    "category",
                    "received_at",
                    "next_deadline",
                ],
                name="complaint_status_units_filters",
            ),
            models.Index(fields=["received_at"]),
            # The dashboard's analyses of a period read this index alone: every column they
            # filter, group or count by, after the time received, and the id (PostgreSQL's
            # index entries do not carry it, and the analyses count ids and select them in
            # subqueries). Without it each analysis visited a quarter's rows one by one: the
            # dashboard of three months of a million complaints took 8 s on SQLite and 1.7 s on
            # PostgreSQL, with it 1.5 s and 0.6 s. It does not replace the index above, by which
            # the lists take the newest rows first.
            models.Index(
                fields=[
                    "received_at",
                    "status",
                    "channel",
                    "category",
                    "unit",
                    "responsible_unit",
                    "staff",
                    "substantiated",
                    "id",
                ],
                name="complaint_analysis",
            ),
            # The "missed a time limit" tab: a few percent of the complaints, and none at intake
            # (a complaint is marked breached later), so an intake writes nothing to it.
            # Without it the tab's count read the whole table (0.57 s over a million).
            models.Index(
                fields=["received_at"],
                condition=models.Q(breached=True),
                name="complaint_breached",
            ),
            models.Index(fields=["staff", "substantiated"]),
            # No index begins with the category: a list filtered by category reads the newest
            # rows along the time received, and the dashboard its covering index; with one, the
            # dashboard of a category took it and visited every row (2.2 s instead of 0.6).
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="merged") | models.Q(merged_into__isnull=False),
                name="merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ComplaintEvent(models.Model):
    """One step on a complaint's timeline (what the customer's file shows, in order)."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        CLASSIFIED = "classified", _("Classified")
        ASSIGNED = "assigned", _("Assigned")
        INVESTIGATING = "investigating", _("Investigation started")
        NOTE = "note", _("Progress note")
        CONTACTED = "contacted", _("Customer contacted")
        WAITING = "waiting", _("Waiting")
        RESUMED = "resumed", _("Resumed")
        VERIFIED = "verified", _("Verified")
        REPLIED = "replied", _("Replied to the customer")
        FOLLOW_UP = "follow_up", _("Follow-up visit")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        VOIDED = "voided", _("Voided")
        MERGED = "merged", _("Merged")
        ESCALATED = "escalated", _("Escalated")
        ESCALATION_ANSWERED = "escalation_answered", _("Escalation answered")
        DEADLINE_WARNING = "deadline_warning", _("Deadline approaching")
        DEADLINE_MISSED = "deadline_missed", _("Deadline missed")
        ATTACHMENT = "attachment", _("Attachment added")

    # The foreign keys have no index of their own: (complaint, at) serves the first, and
    # nothing looks events up by their actor.
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Shown on the public status page (the customer sees these steps, never internal notes).
    public = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["complaint", "at"])]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class SlaClock(models.Model):
    """One time limit of one complaint. Running: `deadline` set and `paused_remaining` null.
    Paused: `paused_remaining` holds what was left. Stopped: `stopped_at` set, `met` says
    whether it was in time."""

    # (complaint, kind) in Meta serves lookups by complaint.
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="clocks", db_index=False
    )
    kind = models.CharField(max_length=20, choices=ClockKind.choices)
    target_amount = models.DecimalField(max_digits=7, decimal_places=2)
    target_unit = models.CharField(max_length=20, choices=TimeUnit.choices)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    paused_remaining = models.DurationField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    # Set once a late clock has escalated to the top of the tree: nothing more to do.
    escalation_done = models.BooleanField(default=False)
    stopped_at = models.DateTimeField(null=True, blank=True)
    met = models.BooleanField(null=True)
    # For escalation clocks: the unit that must answer (read with its clock, never looked up by).
    owner_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["stopped_at", "deadline"]),
            models.Index(fields=["complaint", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"

    @property
    def running(self) -> bool:
        return self.stopped_at is None and self.paused_remaining is None


class Escalation(models.Model):
    """One escalation of one complaint to one level of the org tree. Automatic escalations are
    unique per (clock, level): a late clock escalates once per level, however often the sweep
    runs, even with several workers."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="escalations")
    clock = models.ForeignKey(
        SlaClock, null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    level = models.PositiveSmallIntegerField()
    to_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    automatic = models.BooleanField(default=True)
    reason = models.TextField(blank=True)
    answer = models.TextField(blank=True)
    promised_by = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "level"],
                condition=models.Q(clock__isnull=False),
                name="one_escalation_per_clock_level",
            )
        ]
        # Every complaint list shows the escalations waiting for the reader's answer: a few
        # among all the escalations ever made.
        indexes = [
            models.Index(
                fields=["to_unit"],
                condition=models.Q(automatic=False, answered_at__isnull=True),
                name="escalation_waiting_answer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} → {self.to_unit_id} (level {self.level})"


class FollowUp(models.Model):
    """A follow-up visit (回访): how satisfied the customer is and whether he accepts the
    resolution."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="follow_ups")
    at = models.DateTimeField(_("visited"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("method"), max_length=20, default="phone")
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices)
    accepted = models.BooleanField(_("accepts the resolution"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.satisfaction}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"complaints/{instance.complaint_id}/{filename}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class MonthlyRegister(models.Model):
    """A store's complaint register for one month (《顾客投诉意见登记表》), or its zero-complaint
    record (《门店优质服务月记录》) when the month had none. Compiled from the complaints,
    reviewed and submitted by the store manager by the due date."""

    class State(models.TextChoices):
        OPEN = "open", _("Not submitted")
        SUBMITTED = "submitted", _("Submitted")

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="registers")
    month = models.DateField(_("month"))  # the first day of the month
    due_date = models.DateField(_("due"))
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    complaint_count = models.PositiveIntegerField(default=0)
    zero_record = models.BooleanField(_("zero-complaint record"), default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    late = models.BooleanField(_("late"), default=False)
    flagged_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="one_register_per_unit_month")
        ]
        indexes = [models.Index(fields=["month", "state"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}"


def import_upload_path(instance: RegisterImport, filename: str) -> str:
    return f"imports/{instance.token}.xlsx"


class RegisterImport(models.Model):
    """One upload of a paper register through the import page, checked and imported by the
    worker (a register of thousands of rows takes minutes: longer than a web request may). The
    uploaded workbook is kept as the source of the complaints it created."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        CHECKING = "checking", _("Checking the rows")
        WRITING = "writing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    token = models.CharField(max_length=32, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=import_upload_path, max_length=300)
    name = models.CharField(max_length=200)
    layout = models.CharField(max_length=20, default="auto")
    dry_run = models.BooleanField(default=False)
    # The uploader's language, for the messages of the report the worker writes.
    language = models.CharField(max_length=10, default="zh-hans")
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # The ImportReport when finished: layout, rows, replied, imported, dry_run, refs, errors.
    report = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
