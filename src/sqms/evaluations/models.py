"""Evaluations (测评): schemes as versioned data, runs over a period and scope, scorecards with
explainable lines, appeals (申诉), unit results and the published bulletin (通报).

A scheme version is frozen once a run uses it; editing a frozen version makes a new one. Each
scorecard keeps the facts it was scored from and the points overridden by upheld appeals, so a
result recomputes identically from its version whatever happens later to the scheme or the
underlying records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sqms.org.models import OrgUnit, Staff


class Scheme(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    pack = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        ordering = ["code"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class SchemeVersion(models.Model):
    """One version of a scheme's rules (`spec`, the data `sqms.core.scoring.scheme_parse`
    reads). Draft versions may be edited and tried out (what-if); the active version is the one
    evaluations run on; `frozen` once a run used it."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    spec = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    frozen = models.BooleanField(_("frozen"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("scheme version")
        verbose_name_plural = _("scheme versions")
        ordering = ["scheme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="one_scheme_version_number"),
            models.UniqueConstraint(
                fields=["scheme"],
                condition=models.Q(state="active"),
                name="one_active_version_per_scheme",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} v{self.number}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Computing")
    FAILED = "failed", _("Failed")
    DRAFT = "draft", _("Draft")
    APPEALS = "appeals", _("Open for appeals")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


class Audience(models.TextChoices):
    MANAGERS = "managers", _("Managers of the units evaluated")
    ALL = "all", _("Everyone in the units evaluated")


class Run(models.Model):
    """An evaluation of one scheme version over a period and the subtree of `scope`. A what-if
    run (`whatif`) tries a draft version out against the published run `compare_to`; it never
    enters the workflow and nobody but the quality department sees it."""

    version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="runs")
    scope = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    period_label = models.CharField(_("period"), max_length=10)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    whatif = models.BooleanField(_("what-if"), default=False)
    compare_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="whatifs"
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    appeal_deadline = models.DateTimeField(_("appeals until"), null=True, blank=True)
    audience = models.CharField(
        _("bulletin audience"), max_length=10, choices=Audience.choices, default=Audience.ALL
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")
        ordering = ["-period_start", "-created_at"]
        indexes = [models.Index(fields=["status", "period_start"])]

    def __str__(self) -> str:
        return f"{self.version} {self.period_label}"

    @property
    def percent_done(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def computing(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


class Scorecard(models.Model):
    """One subject's result in a run: a staff member (with his unit at the time) or a unit.
    `facts` are the inputs it was scored from (source → value, n, interval, links), `overrides`
    the line points set by upheld appeals ("component:index" → points); `outcomes` what the
    result leads to beside the score (ladder money and outcome, service star, threshold
    consequences)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="scorecards")
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="scorecards"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    total = models.DecimalField(_("score"), max_digits=8, decimal_places=4)
    raw_total = models.DecimalField(max_digits=10, decimal_places=4)
    grade = models.CharField(_("grade"), max_length=30, blank=True)
    vetoed = models.BooleanField(default=False)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    unit_rank = models.PositiveIntegerField(_("rank in unit"), null=True)
    star = models.BooleanField(_("service star"), default=False)
    amount = models.DecimalField(_("reward / penalty"), max_digits=10, decimal_places=2, default=0)
    components = models.JSONField(default=list)
    facts = models.JSONField(default=dict)
    overrides = models.JSONField(default=dict)
    outcomes = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["run", "rank", "pk"]
        indexes = [models.Index(fields=["run", "unit"]), models.Index(fields=["staff", "run"])]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "staff"],
                condition=models.Q(staff__isnull=False),
                name="one_scorecard_per_staff_run",
            ),
            models.UniqueConstraint(
                fields=["run", "unit"],
                condition=models.Q(staff__isnull=True),
                name="one_scorecard_per_unit_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} — {self.staff or self.unit}"


class ScorecardLine(models.Model):
    """One rule's effect on a scorecard: its inputs, the points it took and the records it
    comes from (`refs`: [kind, id, label])."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="lines")
    order = models.PositiveSmallIntegerField()
    component = models.CharField(max_length=40)
    rule_index = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=30)
    source = models.CharField(max_length=100)
    inputs = models.JSONField(default=dict)
    points = models.DecimalField(max_digits=10, decimal_places=4)
    note = models.CharField(max_length=300, blank=True)
    refs = models.JSONField(default=list)

    class Meta:
        ordering = ["scorecard", "order"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "order"], name="one_line_per_order")
        ]

    def __str__(self) -> str:
        return f"{self.component}.{self.rule_index}: −{self.points}"

    @property
    def key(self) -> str:
        return f"{self.component}:{self.rule_index}"


class UnitResult(models.Model):
    """The mean of a unit's scorecards (level 1) or of its child units' means (level 2: a
    division head's score is the mean of his departments, seed 004). Below the scheme's
    threshold, `head_deduction` is what the unit's head loses (1 point per point short)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="unit_results")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    mean = models.DecimalField(max_digits=8, decimal_places=2)
    n = models.PositiveIntegerField()
    grade = models.CharField(max_length=30, blank=True)
    rank = models.PositiveIntegerField(null=True)
    head = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    head_deduction = models.DecimalField(max_digits=8, decimal_places=2, default=0)

    class Meta:
        ordering = ["run", "level", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "unit", "level"], name="one_unit_result")
        ]

    def __str__(self) -> str:
        return f"{self.run} — unit {self.unit_id} (level {self.level}): {self.mean}"


class Appeal(models.Model):
    """A staff member's appeal (申诉) against one line of his own scorecard, filed while the run
    is open for appeals and decided with a reason; an upheld appeal sets the line's points."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    line = models.ForeignKey(ScorecardLine, on_delete=models.PROTECT, related_name="appeals")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="appeals")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decision = models.TextField(_("decision"), blank=True)
    points = models.DecimalField(
        _("points after the appeal"), max_digits=10, decimal_places=4, null=True, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["line"],
                condition=models.Q(state="pending"),
                name="one_pending_appeal_per_line",
            )
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} on {self.line}"


class EvaluationRules(models.Model):
    """Organisation-wide settings from the pack: days staff have to appeal once a run opens."""

    appeal_days = models.PositiveSmallIntegerField(_("days to appeal"), default=5)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.ALL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("evaluation rules")
        verbose_name_plural = _("evaluation rules")

    def __str__(self) -> str:
        return f"appeals within {self.appeal_days} days"
