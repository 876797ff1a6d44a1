"""Surveys: instruments (versioned, bilingual questionnaires kept as data), campaigns (who is
asked, how, when, with which quotas), invitations (one per person or printed card) and responses.

Anonymity is built into the tables: a response of an anonymous campaign points at no invitation
and no person, and carries the day it came in, not the time (a time could be matched against an
invitation's). Results of anonymous campaigns are shown only for groups of at least
`MIN_GROUP` respondents, with the suppression of sqms.core.survey_stats.publishable_groups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sqms.core.survey_stats import MIN_GROUP, Crosshair, RateDefinition, Weighting
from sqms.org.models import OrgUnit, Staff


def _lang_zh() -> bool:
    return (get_language() or "zh").startswith("zh")


class InstrumentKind(models.TextChoices):
    SERVQUAL = "servqual", _("SERVQUAL (expectation and perception)")
    CSI = "csi", _("Customer satisfaction (CSI)")
    EMPLOYEE = "employee", _("Employee satisfaction")
    INTERNAL = "internal", _("Internal service quality")
    OPINION_CARD = "opinion_card", _("Post-service opinion card")
    CUSTOM = "custom", _("Other questionnaire")


class Instrument(models.Model):
    """One version of a questionnaire. `spec` is the whole validated definition (questions,
    dimensions, analysis settings; see sqms.surveys.instruments); a change is a new version, so
    campaigns keep the questions they were answered with."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=20, choices=InstrumentKind.choices)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    spec = models.JSONField()
    source = models.CharField(_("source"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def title(self) -> str:
        return self.title_zh if _lang_zh() else self.title_en


class SurveyDefaults(models.Model):
    """Organisation-wide campaign defaults from the pack (a single row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    satisfaction_definition = models.CharField(
        max_length=20,
        choices=[(v.value, v.value) for v in RateDefinition],
        default=RateDefinition.SATISFIED_SHARE.value,
    )
    ipa_crosshair = models.CharField(
        max_length=20, choices=[(v.value, v.value) for v in Crosshair], default="means"
    )
    weighting = models.CharField(
        max_length=20, choices=[(v.value, v.value) for v in Weighting], default="mean_weights"
    )
    min_group = models.PositiveSmallIntegerField(default=MIN_GROUP)
    reminder_days = models.JSONField(default=list)
    pack = models.CharField(max_length=60, blank=True)

    class Meta:
        verbose_name = _("survey defaults")
        verbose_name_plural = _("survey defaults")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="survey_defaults_singleton")
        ]

    def __str__(self) -> str:
        return f"survey defaults ({self.pack or 'default'})"


class Audience(models.TextChoices):
    CUSTOMERS = "customers", _("Customers of the units")
    STAFF = "staff", _("All staff of the units")
    INTERNAL = "internal", _("Internal customers of back-office departments")
    COMPLAINTS = "complaints", _("Every closed complaint")
    SERVICE_CALLS = "service_calls", _("Every service call")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Campaign(models.Model):
    """One round of a survey: an instrument asked of an audience under `unit`, between two
    dates, with quotas per stratum (unit) and the analysis settings its figures are computed
    with (stored here, so a figure never changes meaning when the defaults do)."""

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=200)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="survey_campaigns"
    )
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    public_key = models.CharField(max_length=24, unique=True, editable=False)
    # Days after an invitation on which a person who has not answered is reminded.
    reminder_days = models.JSONField(_("reminder days"), default=list, blank=True)
    # Target respondents per stratum: {unit id (text): n}; an open link stops taking answers
    # for a stratum whose quota is full.
    quotas = models.JSONField(_("quotas"), default=dict, blank=True)
    satisfaction_definition = models.CharField(
        _("satisfaction rate"),
        max_length=20,
        choices=[
            (RateDefinition.SATISFIED_SHARE.value, _("Satisfied / surveyed")),
            (RateDefinition.NOT_DISSATISFIED.value, _("1 − dissatisfied / rated")),
        ],
        default=RateDefinition.SATISFIED_SHARE.value,
    )
    ipa_crosshair = models.CharField(
        _("IPA crosshair"),
        max_length=20,
        choices=[
            (Crosshair.MEANS.value, _("Grand means")),
            (Crosshair.MIDPOINT.value, _("Scale midpoints")),
        ],
        default=Crosshair.MEANS.value,
    )
    weighting = models.CharField(
        _("importance weighting"),
        max_length=20,
        choices=[
            (Weighting.MEAN_WEIGHTS.value, _("Mean weights × dimension scores")),
            (Weighting.PER_RESPONDENT.value, _("Each respondent's own weights")),
        ],
        default=Weighting.MEAN_WEIGHTS.value,
    )
    min_group = models.PositiveSmallIntegerField(_("smallest group shown"), default=MIN_GROUP)
    rated_units = models.ManyToManyField(
        OrgUnit, verbose_name=_("rated departments"), blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")), name="campaign_window"
            ),
            models.CheckConstraint(
                condition=models.Q(min_group__gte=MIN_GROUP), name="campaign_min_group"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    LINK = "link", _("Personal link")
    QR = "qr", _("QR code")
    CARD = "card", _("Printed card")
    PAPER = "paper", _("Paper, keyed in")


class Invitation(models.Model):
    """An invitation to answer once: a personal link (`token`) and a short code printed on a
    card. For an anonymous campaign it only learns *that* it was used (no time, no response)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="invitations")
    token = models.CharField(max_length=40, unique=True)
    code = models.CharField(_("card code"), max_length=12, unique=True)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT)
    staff = models.ForeignKey(
        Staff,
        verbose_name=_("invited staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_invitations",
    )
    subject_staff = models.ForeignKey(
        Staff,
        verbose_name=_("staff member rated"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("department rated"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_ref = models.CharField(_("source"), max_length=40, blank=True)
    responded = models.BooleanField(_("answered"), default=False)
    responded_at = models.DateTimeField(null=True, blank=True)  # never set when anonymous
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["campaign", "responded"])]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="one_invitation_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.code


class RespondentGroup(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    MANAGEMENT = "management", _("Management")
    FRONT_LINE = "front_line", _("Front-line staff")
    BACK_OFFICE = "back_office", _("Back-office staff")


class Response(models.Model):
    """One completed questionnaire. `answers` maps item codes to values (numbers, option codes,
    lists of option codes, text), validated against the instrument when it came in. `unit` is
    the stratum; the subject is what was rated (a technician, a back-office department)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="responses")
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.PROTECT, related_name="response"
    )
    respondent_staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_staff = models.ForeignKey(
        Staff,
        verbose_name=_("staff member rated"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_ratings",
    )
    subject_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("department rated"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    group = models.CharField(
        _("respondent group"),
        max_length=20,
        choices=RespondentGroup.choices,
        default=RespondentGroup.CUSTOMER,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(max_length=10, blank=True)
    submitted_on = models.DateField(_("answered on"))
    submitted_at = models.DateTimeField(null=True, blank=True)  # never set when anonymous
    answers = models.JSONField()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [
            models.Index(fields=["campaign", "unit"]),
            models.Index(fields=["subject_staff", "submitted_on"]),
            models.Index(fields=["unit", "submitted_on"]),
        ]

    def __str__(self) -> str:
        return f"response {self.pk}"
