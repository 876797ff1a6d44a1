"""Imports of paper registers through the page: the upload is kept, and the worker checks and
imports it (`sqms.complaints.imports` does the work) while the page shows its progress. A
register of thousands of rows takes minutes, longer than a web request may last."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sqms.common.audit import audit_record
from sqms.common.errors import DomainError, FieldError, NotFound, PermissionDenied
from sqms.complaints.imports import LAYOUTS, ImportReport, import_complaint_workbook
from sqms.complaints.models import RegisterImport
from sqms.org.models import User
from sqms.org.roles import Cap
from sqms.org.selectors import access_for

log = logging.getLogger(__name__)

# How often, in rows, the check reports its progress to the page.
PROGRESS_STEPS = 50


def register_import_start(
    *, actor: User, upload: UploadedFile, layout: str = "auto", dry_run: bool = False
) -> RegisterImport:
    """Keep an uploaded register and queue its check (and import) for the worker; the page
    follows the job. Only the uploader sees it."""
    if not access_for(actor).any_cap(Cap.COMPLAINT_INTAKE):
        raise PermissionDenied()
    if layout != "auto" and layout not in LAYOUTS:
        raise DomainError(
            code="invalid",
            message=_("Unknown register layout."),
            errors=[FieldError(loc=["layout"], msg=_("Unknown register layout."))],
        )
    with transaction.atomic():
        job = RegisterImport(
            token=secrets.token_hex(16),
            user=actor,
            name=(upload.name or "register.xlsx").rsplit("/", 1)[-1][:200],
            layout=layout,
            dry_run=dry_run,
            language=get_language() or settings.LANGUAGE_CODE,
        )
        job.file.save(f"{job.token}.xlsx", upload, save=False)
        job.save()
        audit_record(
            actor=actor,
            action="complaints.import.start",
            target=job,
            after={"name": job.name, "layout": layout, "dry_run": dry_run},
        )
        transaction.on_commit(lambda: _queue(job.pk))
    return job


def _queue(job_id: int) -> None:
    from sqms.complaints.tasks import run_register_import

    run_register_import(job_id)


def register_import_run(job_id: int) -> RegisterImport:
    """The worker's part: check the workbook and, unless it is a dry run or has errors, import
    it (all of it, in one transaction, or nothing). Progress is written while the rows are
    checked; the import itself holds the database's write lock, so the page shows it as one
    step. Run twice, it does nothing the second time."""
    job = RegisterImport.objects.select_related("user").get(pk=job_id)
    if job.state != RegisterImport.State.QUEUED:
        return job
    rows = RegisterImport.objects.filter(pk=job.pk)
    rows.update(state=RegisterImport.State.CHECKING)

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "check" and (done % PROGRESS_STEPS == 0 or done == total):
            rows.update(done=done, total=total)
        elif phase == "import" and done == 0:
            rows.update(state=RegisterImport.State.WRITING, done=0, total=total)

    with translation.override(job.language):
        try:
            with job.file.open("rb") as fh:
                report = import_complaint_workbook(
                    actor=job.user,
                    file=fh,
                    dry_run=job.dry_run,
                    layout=job.layout,
                    progress=progress,
                )
            job.report = _report_data(report)
            job.state = RegisterImport.State.DONE
        except Exception:
            log.exception("import %s failed", job.token)
            job.report = {
                "errors": [
                    {
                        "row": 0,
                        "field": "file",
                        "column": "",
                        "message": _(
                            "The import stopped on an unexpected error; nothing was "
                            "imported. Try again, or tell the administrator."
                        ),
                    }
                ],
            }
            job.state = RegisterImport.State.FAILED
    job.finished_at = timezone.now()
    job.save(update_fields=["report", "state", "finished_at"])
    return job


def _report_data(report: ImportReport) -> dict[str, Any]:
    return {
        "layout": str(report.layout.title) if report.layout else "",
        "rows": report.rows,
        "replied": report.replied,
        "imported": report.imported,
        "dry_run": report.dry_run,
        "refs": report.refs,
        "errors": [
            {"row": e.row, "field": e.field, "column": e.column, "message": str(e.message)}
            for e in report.errors
        ],
    }


def register_import_get_for_user(user: Any, token: str) -> RegisterImport:
    """An import job, for the user who started it (anyone else: not found)."""
    job = RegisterImport.objects.filter(token=token, user_id=user.pk).first()
    if job is None:
        raise NotFound(_("Import not found."))
    return job
