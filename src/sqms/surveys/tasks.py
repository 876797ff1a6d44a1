"""Periodic work of the surveys app; thin wrappers over the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sqms.common.i18n import in_site_language
from sqms.surveys import services


# Huey's crontab reads UTC: 01:30 UTC is 09:30 in China, when people are at work to answer.
@db_periodic_task(crontab(hour="1", minute="30"))
@in_site_language
def survey_reminders_daily() -> dict[str, int]:
    """Remind invited staff who have not answered, on their campaigns' reminder days."""
    return {"reminded": services.reminders_send().reminded}


# 17:50 UTC is 01:50 in China: yesterday's closed complaints get their survey invitations.
@db_periodic_task(crontab(hour="17", minute="50"))
@in_site_language
def survey_invite_closed_complaints_daily() -> dict[str, int]:
    return {"invited": services.invitations_for_closed_complaints()}
