"""KPIs (考核指标): definitions with formula, target and direction, and their measurements per
period and subject. A KPI is computed from SQMS's own facts or measured outside and entered or
imported (a call centre's answered and requested calls, seed 003 10.2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sqms.org.models import OrgUnit, Staff


class Formula(models.TextChoices):
    RATIO_PERCENT = "ratio_pct", _("Ratio in %")
    RATIO_PERMILLE = "ratio_permille", _("Ratio in ‰")
    COUNT = "count", _("Count")
    MEAN = "mean", _("Mean")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class KpiSource(models.TextChoices):
    ENTERED = "entered", _("Entered or imported per period")
    COMPLAINTS = "complaints.substantiated", _("Substantiated complaints (SQMS)")
    INSPECTIONS = "inspections.percent", _("Mean inspection score in % (SQMS)")
    SURVEYS = "surveys.satisfaction_rate", _("Survey satisfaction rate (SQMS)")


class SubjectKind(models.TextChoices):
    STAFF = "staff", _("Staff member")
    UNIT = "unit", _("Unit")


class Kpi(models.Model):
    """One indicator. For a ratio, value = numerator / denominator × 100 (or × 1000); a
    "1 − x" indicator (satisfaction = 1 − dissatisfied / rated) is entered with the numerator
    of what is counted as good, and says so in `definition`."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    formula = models.CharField(_("formula"), max_length=20, choices=Formula.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    target = models.DecimalField(
        _("target value"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    source = models.CharField(
        _("source"), max_length=40, choices=KpiSource.choices, default=KpiSource.ENTERED
    )
    subject = models.CharField(
        _("measured per"), max_length=10, choices=SubjectKind.choices, default=SubjectKind.UNIT
    )
    numerator_label = models.CharField(_("numerator"), max_length=120, blank=True)
    denominator_label = models.CharField(_("denominator"), max_length=120, blank=True)
    definition = models.TextField(_("definition"), blank=True)
    pack = models.CharField(max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["code"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def is_ratio(self) -> bool:
        return self.formula in (Formula.RATIO_PERCENT, Formula.RATIO_PERMILLE)

    @property
    def unit_sign(self) -> str:
        return {"ratio_pct": "%", "ratio_permille": "‰"}.get(self.formula, "")


class Measurement(models.Model):
    """A KPI's figure for one subject (staff member or unit) and period. Entered again for the
    same subject and period, it is replaced through the service, which logs the old figure."""

    class Origin(models.TextChoices):
        ENTERED = "entered", _("Entered")
        IMPORTED = "imported", _("Imported")

    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="measurements")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    numerator = models.DecimalField(_("numerator"), max_digits=14, decimal_places=4)
    denominator = models.DecimalField(
        _("denominator"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    note = models.CharField(_("note"), max_length=200, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.ENTERED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["kpi", "-period_start", "unit"]
        indexes = [models.Index(fields=["kpi", "period_start", "period_end"])]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "unit", "period_start", "period_end"],
                condition=models.Q(staff__isnull=True),
                name="one_unit_measurement_per_period",
            ),
            models.UniqueConstraint(
                fields=["kpi", "staff", "period_start", "period_end"],
                condition=models.Q(staff__isnull=False),
                name="one_staff_measurement_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="measurement_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} {self.period_start}–{self.period_end}: {self.value}"
