"""Periodic work of the inspections app; thin wrappers over the services."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sqms.common.i18n import in_site_language
from sqms.inspections import services


@db_periodic_task(crontab(minute="5"))
@in_site_language
def daily_report() -> int:
    """Hourly: at the pack's report hour (local time), send the day's QC report once."""
    now = timezone.localtime()
    if now.hour != services.rules().report_hour:
        return 0
    return services.daily_report_send(actor=None, day=now.date())
