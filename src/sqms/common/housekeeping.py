"""Housekeeping writes run by the worker."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from sqms.common.models import IdempotencyRecord


def idempotency_purge(now: dt.datetime | None = None) -> int:
    """Delete Idempotency-Key answers older than SQMS_IDEMPOTENCY_HOURS; returns how many.
    (A replay cache, not a business record: nothing is audited.)"""
    now = now or timezone.now()
    horizon = now - dt.timedelta(hours=settings.SQMS_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=horizon).delete()
    return deleted
