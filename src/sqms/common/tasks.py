"""Periodic work of the common app; thin wrappers over housekeeping functions."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sqms.common.housekeeping import idempotency_purge
from sqms.common.notifications import deliver_email


@db_periodic_task(crontab(minute="17"))
def purge_idempotency_records() -> int:
    return idempotency_purge()


@db_task()
def send_notification_email(recipients: list[str], title: str, body: str, url: str) -> None:
    deliver_email(recipients, title, body, url)
