"""Shared tables: the tamper-evident audit log, working calendars, API tokens, idempotency keys."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One recorded write. Entries form a hash chain: each `hash` covers the entry's content and
    the previous entry's hash, and `seq` has no gaps, so a changed, inserted or removed entry is
    found by `sqms audit verify`. Nothing in the product updates or deletes these rows."""

    # The chain this entry is on (see AuditChainHead) and its place there, without gaps.
    lane = models.PositiveSmallIntegerField(_("chain"), default=1)
    seq = models.PositiveBigIntegerField(_("sequence"))
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor name"), max_length=150)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("target type"), max_length=80)
    target_id = models.CharField(_("target id"), max_length=64)
    target_label = models.CharField(_("target"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    prev_hash = models.CharField(max_length=64)
    # Not unique: nothing looks an entry up by its hash, and the chain (each entry's seq and
    # prev_hash) is what `sqms audit verify` checks. A unique index here cost every write a
    # random page of the index.
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        constraints = [
            models.UniqueConstraint(fields=["lane", "seq"], name="audit_entry_lane_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"


AUDIT_LANES = 8


class AuditChainHead(models.Model):
    """The head of one of the audit log's chains: its last sequence number and hash. A writer
    locks a head while it appends, so entries of one chain follow one another; there are
    AUDIT_LANES chains side by side (each row is one), and a writer takes the first head that
    nobody holds, so concurrent transactions do not all wait for one row (on SQLite, where
    writers take turns anyway, everything is on chain 1). Verification walks each chain and
    compares its end with its head, so cut-off newest entries are found on every chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id__gte=1, id__lte=AUDIT_LANES), name="audit_head_lanes"
            )
        ]

    def __str__(self) -> str:
        return f"audit chain {self.pk} at #{self.seq}"


def new_revision() -> int:
    return secrets.randbits(62)


class ConfigRevision(models.Model):
    """One row: the configuration revision (see sqms.common.memo). Drawn anew, at random, by
    every change to what the processes keep in memory (units, grants, logins, tokens,
    categories, policies, calendars)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=new_revision)

    class Meta:
        verbose_name = _("configuration revision")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="config_revision_singleton")
        ]

    def __str__(self) -> str:
        return f"configuration revision {self.value}"


class WorkCalendar(models.Model):
    """A working calendar: a weekly pattern of working hours, optionally on top of the official
    Chinese holiday list, with this calendar's own date overrides (both directions)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # {"0": [["09:00", "12:00"], ["13:00", "18:00"]], ... "6": []}; Monday is "0".
    weekly_hours = models.JSONField(_("weekly working hours"))
    follow_official_holidays = models.BooleanField(
        _("follow official Chinese holidays"),
        default=True,
        help_text=_("Public holidays and make-up working days published by the State Council."),
    )
    is_default = models.BooleanField(_("default calendar"), default=False)
    # Drawn anew by every service that changes what the calendar computes (its overrides, the
    # official days): built calendars are kept per process under (id, revision). Random, not a
    # counter, so that a reused id (a rolled-back creation, a restored backup) never matches.
    revision = models.BigIntegerField(_("revision"), default=new_revision, editable=False)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_calendar",
            )
        ]

    def __str__(self) -> str:
        return self.name


class DayKind(models.TextChoices):
    OFF = "off", _("Day off")
    WORKING = "working", _("Working day")


class OfficialDay(models.Model):
    """Official holiday data entered by hand for years the chinesecalendar package does not know
    yet (each November the State Council publishes next year's list), or to correct it. A row here
    wins over the package for its date."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("official calendar day")
        verbose_name_plural = _("official calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class CalendarOverride(models.Model):
    """One calendar's own exception for one date: a day off (e.g. store closed for stocktaking) or
    a working day with its hours (e.g. a weekend sale). Wins over the weekly pattern and the
    official list."""

    calendar = models.ForeignKey(
        WorkCalendar, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    # For a working day: [["09:00", "18:00"]]; empty means the calendar's usual weekday hours.
    hours = models.JSONField(_("hours"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_override_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.calendar.code} {self.date} {self.get_kind_display()}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the secret is stored (the secret is 256
    random bits, so a fast digest is safe); the full token is shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The stored answer to a creating POST sent with an Idempotency-Key header, so a client that
    retries after a lost response gets the same answer and creates nothing twice."""

    # The unique (user, key) below serves lookups by user: no index of its own.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_record_per_key_and_user")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class Notification(models.Model):
    """An in-app notice to one user; `common.notify` also e-mails it when the user has an
    address (through the configured e-mail backend)."""

    # (user, read_at) in Meta serves lookups by user: no index of its own.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    at = models.DateTimeField(_("time"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title
