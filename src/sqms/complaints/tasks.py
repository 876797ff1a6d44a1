"""Background and periodic work of the complaints app; thin wrappers over the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sqms.common.i18n import in_site_language
from sqms.complaints import import_jobs, registers, services


# Huey's crontab reads UTC: 17:40 UTC is 01:40 in China, after the day of the due date has ended.
@db_periodic_task(crontab(hour="17", minute="40"))
@in_site_language
def registers_daily() -> dict[str, int]:
    """Open the registers of the month that just ended, then flag the overdue ones."""
    today = registers.local_today()
    created = registers.register_compile_all(registers.previous_month(today))
    result = registers.register_flag_overdue(today)
    return {
        "created": created + result.created,
        "flagged": result.flagged,
        "notified": result.notified,
    }


@db_periodic_task(crontab(minute="*/5"))
@in_site_language
def sweep_time_limits() -> dict[str, int]:
    """Every five minutes: warn of complaints due soon, record breaches, escalate late ones."""
    result = services.sla_sweep()
    return {"warned": result.warned, "breached": result.breached, "escalated": result.escalated}


@db_task()
def run_register_import(job_id: int) -> str:
    """Check and import one uploaded paper register (the import page follows it)."""
    return import_jobs.register_import_run(job_id).state
