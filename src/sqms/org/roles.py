"""Roles and what each may do. A role is granted on an org unit and holds for its whole subtree;
the capability table below is the one place that says what a role allows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    QUALITY_MANAGER = "quality_manager", _("Quality manager")
    UNIT_MANAGER = "unit_manager", _("Unit manager")
    INSPECTOR = "inspector", _("Inspector")
    STAFF = "staff", _("Staff member")
    AUDITOR = "auditor", _("Auditor (read-only)")


class Cap(models.TextChoices):
    """Capabilities. Each is checked against the unit a record belongs to."""

    ORG_VIEW = "org.view", _("See units and staff")
    ORG_MANAGE = "org.manage", _("Add, move and deactivate units")
    STAFF_MANAGE = "staff.manage", _("Add and transfer staff, record leaving")
    ROLES_MANAGE = "roles.manage", _("Grant and revoke roles")
    PERSONAL_DATA = "personal_data.view", _("See unmasked personal data")
    AUDIT_VIEW = "audit.view", _("Read the audit log")
    CALENDAR_MANAGE = "calendar.manage", _("Edit working calendars")
    COMPLAINT_VIEW = "complaints.view", _("See complaints")
    COMPLAINT_INTAKE = "complaints.intake", _("Register complaints")
    COMPLAINT_HANDLE = "complaints.handle", _("Handle complaints (assign, reply, follow up)")
    COMPLAINT_MANAGE = "complaints.manage", _("Void, merge and reopen complaints")
    REGISTER_SUBMIT = "registers.submit", _("Submit monthly complaint registers")
    INSPECTION_VIEW = "inspections.view", _("See inspections and their findings")
    INSPECTION_PERFORM = "inspections.perform", _("Carry out inspections")
    INSPECTION_MANAGE = (
        "inspections.manage",
        _("Manage checklists, sampling plans and schedules; publish, correct and decide appeals"),
    )
    INSPECTION_APPEAL = "inspections.appeal", _("Appeal against inspection deductions")
    SURVEY_VIEW = "surveys.view", _("See survey campaigns and instruments")
    SURVEY_MANAGE = "surveys.manage", _("Build instruments, run campaigns, key in answers")
    SURVEY_RESULTS = "surveys.results", _("See survey results")
    METRICS_MANAGE = "metrics.manage", _("Define KPIs and enter or import their measurements")
    EVALUATION_VIEW = (
        "evaluations.view",
        _("See evaluation results before publication (quality department)"),
    )
    EVALUATION_MANAGE = (
        "evaluations.manage",
        _("Edit evaluation schemes, run evaluations, decide appeals, approve and publish"),
    )
    EVALUATION_APPEAL = "evaluations.appeal", _("Appeal against lines of one's own scorecard")


ROLE_CAPS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(Cap.values),
    Role.QUALITY_MANAGER: frozenset(
        {
            Cap.ORG_VIEW,
            Cap.PERSONAL_DATA,
            Cap.AUDIT_VIEW,
            Cap.CALENDAR_MANAGE,
            Cap.COMPLAINT_VIEW,
            Cap.COMPLAINT_INTAKE,
            Cap.COMPLAINT_HANDLE,
            Cap.COMPLAINT_MANAGE,
            Cap.REGISTER_SUBMIT,
            Cap.INSPECTION_VIEW,
            Cap.INSPECTION_PERFORM,
            Cap.INSPECTION_MANAGE,
            Cap.SURVEY_VIEW,
            Cap.SURVEY_MANAGE,
            Cap.SURVEY_RESULTS,
            Cap.METRICS_MANAGE,
            Cap.EVALUATION_VIEW,
            Cap.EVALUATION_MANAGE,
            Cap.EVALUATION_APPEAL,
        }
    ),
    Role.UNIT_MANAGER: frozenset(
        {
            Cap.ORG_VIEW,
            Cap.STAFF_MANAGE,
            Cap.PERSONAL_DATA,
            Cap.COMPLAINT_VIEW,
            Cap.COMPLAINT_INTAKE,
            Cap.COMPLAINT_HANDLE,
            Cap.REGISTER_SUBMIT,
            Cap.INSPECTION_VIEW,
            Cap.INSPECTION_PERFORM,
            Cap.INSPECTION_APPEAL,
            # A store manager prints his store's QR codes and cards and reads its results.
            Cap.SURVEY_VIEW,
            Cap.SURVEY_RESULTS,
            Cap.EVALUATION_APPEAL,
        }
    ),
    Role.INSPECTOR: frozenset(
        {
            Cap.ORG_VIEW,
            Cap.COMPLAINT_VIEW,
            Cap.INSPECTION_VIEW,
            Cap.INSPECTION_PERFORM,
            Cap.SURVEY_VIEW,
            Cap.EVALUATION_APPEAL,
        }
    ),
    # Front-line staff register complaints at the desk and see their unit's, masked.
    # Front-line staff see the inspections about themselves (and appeal them) through their own
    # staff record, not through a capability on their unit.
    # Evaluations: a staff member reads and appeals his own scorecard through his staff record;
    # the capability says he may appeal at all.
    Role.STAFF: frozenset({Cap.COMPLAINT_VIEW, Cap.COMPLAINT_INTAKE, Cap.EVALUATION_APPEAL}),
    Role.AUDITOR: frozenset(
        {
            Cap.ORG_VIEW,
            Cap.AUDIT_VIEW,
            Cap.COMPLAINT_VIEW,
            Cap.INSPECTION_VIEW,
            Cap.SURVEY_VIEW,
            Cap.SURVEY_RESULTS,
        }
    ),
}
