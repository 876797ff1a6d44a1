"""Inspections: versioned checklist templates, inspections and their answers, photos, appeals
and corrections, retail customers (for sampling), sampling plans with their seeded draws, and
recurring schedules. Nothing here is deleted: a used template version is never changed (an edit
makes a new version), a submitted inspection changes only through a recorded correction or an
appeal decision."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sqms.core.scorecard import FloorMode as CoreFloor
from sqms.core.scorecard import NaPolicy as CoreNa
from sqms.core.scorecard import Rounding as CoreRounding
from sqms.core.scorecard import VetoScope as CoreVeto
from sqms.org.models import OrgUnit, Staff


class Subject(models.TextChoices):
    UNIT = "unit", _("Unit")
    STAFF = "staff", _("Staff member")


class Kind(models.TextChoices):
    SELF_CHECK = "self_check", _("Routine self-check")
    QC_ROUND = "qc_round", _("QC round")
    JOINT = "joint", _("Monthly joint inspection")
    MYSTERY = "mystery", _("Mystery shopper")
    VISIT = "visit", _("On-site customer visit")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    VOIDED = "voided", _("Voided")


class FloorMode(models.TextChoices):
    ITEM = CoreFloor.ITEM.value, _("per item")
    SECTION = CoreFloor.SECTION.value, _("per section")


class NaPolicy(models.TextChoices):
    REDUCE = CoreNa.REDUCE.value, _("reduce the maximum")
    RESCALE = CoreNa.RESCALE.value, _("rescale to the full maximum")


class Rounding(models.TextChoices):
    HALF_UP = CoreRounding.HALF_UP.value, _("half up")
    HALF_EVEN = CoreRounding.HALF_EVEN.value, _("half to even")
    DOWN = CoreRounding.DOWN.value, _("down")
    UP = CoreRounding.UP.value, _("up")


class Veto(models.TextChoices):
    NONE = CoreVeto.NONE.value, _("no veto")
    SECTION = CoreVeto.SECTION.value, _("zeroes the section")
    INSPECTION = CoreVeto.INSPECTION.value, _("zeroes the inspection")


def _localised(zh: str, en: str) -> str:
    return (en or zh) if (get_language() or "").startswith("en") else (zh or en)


class ChecklistTemplate(models.Model):
    """A checklist, by code. Its content lives in versions; `current` is the one new inspections
    use."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    subject = models.CharField(_("inspects"), max_length=10, choices=Subject.choices)
    kind = models.CharField(_("usual kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    current = models.ForeignKey(
        "TemplateVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pack = models.CharField(max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localised(self.name_zh, self.name_en)


class TemplateVersion(models.Model):
    """One frozen version of a checklist: its sections, items and scoring settings."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    na_policy = models.CharField(max_length=10, choices=NaPolicy.choices, default=NaPolicy.REDUCE)
    decimals = models.PositiveSmallIntegerField(default=1)
    rounding = models.CharField(max_length=10, choices=Rounding.choices, default=Rounding.HALF_UP)
    max_points = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))
    note = models.CharField(_("change note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["template", "number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="one_template_version")
        ]

    def __str__(self) -> str:
        return f"{self.template.code} v{self.number}"


class TemplateSection(models.Model):
    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="sections")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    floor = models.CharField(max_length=10, choices=FloorMode.choices, default=FloorMode.ITEM)
    points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="one_section_code_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class TemplateItem(models.Model):
    """An item: its points, the deduction per nonconformity, whether a photo must back a
    finding, whether N/A is allowed, and whether failing it vetoes its section or the whole
    inspection."""

    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="items")
    section = models.ForeignKey(TemplateSection, on_delete=models.PROTECT, related_name="items")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(_("code"), max_length=40)
    text = models.CharField(_("item"), max_length=500)
    guidance = models.TextField(_("guidance"), blank=True)
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    deduction = models.DecimalField(
        _("deduction per nonconformity"), max_digits=7, decimal_places=2, default=Decimal(1)
    )
    evidence_required = models.BooleanField(_("photo required for a finding"), default=False)
    na_allowed = models.BooleanField(_("N/A allowed"), default=False)
    veto = models.CharField(_("veto"), max_length=12, choices=Veto.choices, blank=True, default="")

    class Meta:
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="one_item_code_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"


class InspectionRules(models.Model):
    """Organisation-wide inspection settings from the pack (a single row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    appeal_days = models.PositiveSmallIntegerField(_("days to appeal"), default=5)
    report_hour = models.PositiveSmallIntegerField(
        _("hour the daily QC report is sent"), default=18
    )
    pack = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="inspection_rules_singleton")
        ]

    def __str__(self) -> str:
        return f"inspection rules ({self.pack or 'default'})"


class Customer(models.Model):
    """A retail customer (零售户) of a district, with the purchase figures of the classification
    period; `scale_class` is the 20/60/20 class within its business format (seed 004)."""

    code = models.CharField(_("customer code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="customers"
    )
    staff = models.ForeignKey(
        Staff,
        verbose_name=_("customer manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    market_type = models.CharField(_("market type"), max_length=20, blank=True)
    business_format = models.CharField(_("business format"), max_length=40)
    purchase_quantity = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    purchase_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    scale_class = models.PositiveSmallIntegerField(_("scale class"), null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["unit", "is_active"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SamplingPlan(models.Model):
    """What to sample, how much and how often: e.g. 5% of each district's retail customers,
    semiannual, stratified by scale class."""

    class Population(models.TextChoices):
        UNIT = "unit", _("Stores and units")
        STAFF = "staff", _("Staff members")
        CUSTOMER = "customer", _("Retail customers")

    class Period(models.TextChoices):
        WEEK = "week", _("Weekly")
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")
        HALF = "half", _("Semiannual")

    class Strata(models.TextChoices):
        NONE = "", _("Not stratified")
        SCALE = "scale_class", _("By scale class")
        UNIT = "unit", _("By unit")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("checklist"), on_delete=models.PROTECT
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("within"), on_delete=models.PROTECT, related_name="+"
    )
    population = models.CharField(_("population"), max_length=10, choices=Population.choices)
    unit_kind = models.CharField(_("unit kind"), max_length=20, blank=True)
    position = models.CharField(_("position"), max_length=40, blank=True)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    rate = models.DecimalField(_("share"), max_digits=5, decimal_places=4, default=Decimal(0))
    minimum = models.PositiveIntegerField(_("at least"), default=0)
    stratify = models.CharField(
        _("strata"), max_length=20, choices=Strata.choices, blank=True, default=""
    )
    kind = models.CharField(_("inspection kind"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SampleDraw(models.Model):
    """One draw of a plan for one period; the seed is stored so the draw can be repeated. A
    period may be drawn again (the latest draw is the one worked on); the same seed gives the
    same sample."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="draws")
    period_start = models.DateField()
    period_end = models.DateField()
    seed = models.CharField(max_length=80)
    population_size = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    drawn_at = models.DateTimeField()
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "-drawn_at"]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.period_start}"


class SampleEntry(models.Model):
    draw = models.ForeignKey(SampleDraw, on_delete=models.PROTECT, related_name="entries")
    order = models.PositiveIntegerField()
    stratum = models.CharField(max_length=40, blank=True)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["draw", "order"]

    def __str__(self) -> str:
        return f"{self.draw_id}/{self.order}"


class Inspection(models.Model):
    """One inspection, on the exact template version it was done with. `score` is the current
    score (after appeals and corrections); `submitted_score` what it was at submission. A covert
    (mystery-shopper) inspection is hidden from the inspected unit until `published_at`."""

    version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, related_name="inspections"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="inspections"
    )
    staff = models.ForeignKey(
        Staff,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="inspections"
    )
    sample_entry = models.ForeignKey(
        SampleEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="inspections"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inspections_done"
    )
    covert = models.BooleanField(_("covert"), default=False)
    visited_at = models.DateTimeField(_("visited"))
    visit_end = models.DateTimeField(_("visit ended"), null=True, blank=True)
    time_slot = models.CharField(_("time slot"), max_length=40, blank=True)
    area = models.CharField(_("area"), max_length=80, blank=True)
    script = models.TextField(_("visit script"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    percent = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    vetoed = models.BooleanField(default=False)
    submitted_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-visited_at"]
        indexes = [
            models.Index(fields=["status", "visited_at"]),
            models.Index(fields=["unit", "visited_at"]),
            models.Index(fields=["staff", "visited_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.version.template.code} @ {self.unit.code}"

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT


class Answer(models.Model):
    """What the inspector found on one item. `deducted` is the points this item currently
    costs (after floors; zero when an appeal overturned it)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="answers")
    item = models.ForeignKey(TemplateItem, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField()
    answered = models.BooleanField(default=False)
    nonconformities = models.PositiveSmallIntegerField(default=0)
    not_applicable = models.BooleanField(default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    deducted = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal(0))
    overturned = models.BooleanField(default=False)

    class Meta:
        ordering = ["inspection", "order"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="one_answer_per_item")
        ]
        indexes = [models.Index(fields=["item", "deducted"])]

    def __str__(self) -> str:
        return f"{self.inspection_id}/{self.item_id}"


def photo_path(instance: Photo, filename: str) -> str:
    return f"inspections/{instance.inspection_id}/{filename}"


class Photo(models.Model):
    class Role(models.TextChoices):
        EVIDENCE = "evidence", _("Evidence")
        RECEIPT = "receipt", _("Receipt")

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="photos")
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EVIDENCE)
    file = models.FileField(upload_to=photo_path, max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class Appeal(models.Model):
    """An appeal (申诉) against one deduction, and the quality department's decision. UPHELD
    keeps the deduction; OVERTURNED removes it and rescores the inspection."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        UPHELD = "upheld", _("Deduction upheld")
        OVERTURNED = "overturned", _("Deduction overturned")

    answer = models.ForeignKey(Answer, on_delete=models.PROTECT, related_name="appeals")
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="appeals")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField()
    statement = models.TextField(_("statement"))
    evidence = models.FileField(upload_to="inspections/appeals/", max_length=300, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(fields=["answer"], name="one_appeal_per_answer"),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} on {self.answer_id}"


class Correction(models.Model):
    """A recorded change to a submitted inspection: who, when, why, the answers before and
    after, and the score before and after."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="corrections")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    before = models.JSONField()
    after = models.JSONField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"correction {self.pk} of {self.inspection_id}"


class Schedule(models.Model):
    """A recurring round: this checklist on this unit once per day, week or month (the duty
    manager's daily check, the monthly joint inspection). Overdue when a period passes without
    a submitted inspection."""

    class Frequency(models.TextChoices):
        DAY = "day", _("Daily")
        WEEK = "week", _("Weekly")
        MONTH = "month", _("Monthly")

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["unit", "template"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "unit", "kind"], name="one_schedule_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template.code} @ {self.unit.code} / {self.frequency}"
