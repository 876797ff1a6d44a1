"""Periodic work of the surveys app; thin wrappers over the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sqms.surveys import services


# Huey's crontab reads UTC: 01:30 UTC is 09:30 in China, when people are at work to answer.
@db_periodic_task(crontab(hour="1", minute="30"))
def survey_reminders_daily() -> dict[str, int]:
    """Remind invited staff who have not answered, on their campaigns' reminder days."""
    return {"reminded": services.reminders_send().reminded}
