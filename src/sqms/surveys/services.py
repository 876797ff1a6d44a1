"""Every write of the surveys app: instruments, campaigns, invitations, responses, reminders.

Anonymity rules kept here: a response of an anonymous campaign never points at its invitation
or at a person, carries its day but not its time, and writes no audit entry of its own (an
entry's time and sequence number would tie it to the invitation marked used in the same
transaction); the campaign's audit trail records what was asked and when it opened and closed."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sqms.common import clock
from sqms.common.audit import audit_record
from sqms.common.errors import DomainError, FieldError, PermissionDenied, field_error
from sqms.common.notifications import notify
from sqms.core.survey_stats import MIN_GROUP, Crosshair, RateDefinition, Weighting
from sqms.org.models import OrgUnit, Staff, UnitKind, User
from sqms.org.roles import Cap
from sqms.org.selectors import AnyUser, access_for
from sqms.surveys.instruments import Spec, answers_clean, spec_parse, text
from sqms.surveys.models import (
    Audience,
    Campaign,
    CampaignStatus,
    Channel,
    Instrument,
    Invitation,
    RespondentGroup,
    Response,
    SurveyDefaults,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a printed card
CODE_LENGTH = 10
MAX_INVITATIONS = 5000  # per call: a printed batch, not a mail merge


def _require(actor: AnyUser | None, cap: str, unit: OrgUnit | None = None) -> None:
    if actor is None:  # the system (a pack, the demo, a task)
        return
    access = access_for(actor)
    if not (access.covers(cap, unit.path) if unit is not None else access.any_cap(cap)):
        raise PermissionDenied()


def survey_defaults() -> SurveyDefaults:
    return SurveyDefaults.objects.filter(pk=1).first() or SurveyDefaults()


# --- Instruments ----------------------------------------------------------------------------


@transaction.atomic
def instrument_create(
    *, actor: User | None, data: Mapping[str, Any], source: str = ""
) -> tuple[Instrument, bool]:
    """Store one version of an instrument; (instrument, created). The same code and version
    again with the same definition changes nothing; with another definition it is refused, since
    answers already given must keep meaning what they meant."""
    _require(actor, Cap.SURVEY_MANAGE)
    spec = spec_parse(data)
    d = spec.data
    existing = Instrument.objects.filter(code=d["code"], version=d["version"]).first()
    if existing is not None:
        if existing.spec == d:
            return existing, False
        latest = Instrument.objects.filter(code=d["code"]).order_by("-version").first()
        next_version = (latest.version if latest else 0) + 1
        raise field_error(
            "version",
            _("Version %(v)d of %(code)s exists with other questions: save this as version %(n)d.")
            % {"v": d["version"], "code": d["code"], "n": next_version},
            code="version_exists",
        )
    instrument = Instrument.objects.create(
        code=d["code"],
        version=d["version"],
        kind=d["kind"],
        title_zh=text(d["title"], "zh")[:200],
        title_en=text(d["title"], "en")[:200],
        anonymous=bool(d.get("anonymous", False)),
        spec=d,
        source=source[:60],
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="survey.instrument_create",
        target=instrument,
        after={"code": instrument.code, "version": instrument.version, "source": source},
    )
    return instrument, True


def instrument_spec(instrument: Instrument) -> Spec:
    return spec_parse(instrument.spec)


# --- Campaigns ------------------------------------------------------------------------------


@dataclass
class CampaignData:
    instrument: Instrument
    name: str
    unit: OrgUnit
    audience: str
    opens_on: dt.date
    closes_on: dt.date
    anonymous: bool | None = None  # None: as the instrument says
    reminder_days: list[int] | None = None  # None: the defaults
    satisfaction_definition: str = ""
    ipa_crosshair: str = ""
    weighting: str = ""
    min_group: int | None = None
    rated_units: list[OrgUnit] | None = None


def _validate_campaign(data: CampaignData, defaults: SurveyDefaults) -> list[FieldError]:
    errors: list[FieldError] = []
    if not data.name.strip():
        errors.append(FieldError(loc=["name"], msg=_("A name is required.")))
    if not data.instrument.is_active:
        errors.append(FieldError(loc=["instrument"], msg=_("This instrument is retired.")))
    if data.audience not in Audience.values:
        errors.append(FieldError(loc=["audience"], msg=_("Unknown audience.")))
    if data.closes_on < data.opens_on:
        errors.append(FieldError(loc=["closes_on"], msg=_("The survey closes before it opens.")))
    if not data.unit.is_active:
        errors.append(FieldError(loc=["unit"], msg=_("This unit is deactivated.")))
    if data.instrument.anonymous and data.anonymous is False:
        errors.append(
            FieldError(loc=["anonymous"], msg=_("This instrument is anonymous by design."))
        )
    subject = data.instrument.spec.get("subject", "none")
    if subject == "unit" and not data.rated_units:
        errors.append(FieldError(loc=["rated_units"], msg=_("Name the departments to be rated.")))
    for i, unit in enumerate(data.rated_units or []):
        if unit.kind not in (UnitKind.BACK_OFFICE, UnitKind.DEPARTMENT):
            errors.append(
                FieldError(
                    loc=["rated_units", i],
                    msg=_("%(unit)s is not a department.") % {"unit": unit},
                )
            )
    days = data.reminder_days if data.reminder_days is not None else defaults.reminder_days
    if not isinstance(days, list) or any(
        not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in days
    ):
        errors.append(
            FieldError(loc=["reminder_days"], msg=_("Reminder days are whole numbers from 1."))
        )
    choices = {
        "satisfaction_definition": RateDefinition,
        "ipa_crosshair": Crosshair,
        "weighting": Weighting,
    }
    for name, enum in choices.items():
        value = getattr(data, name)
        if value and value not in {e.value for e in enum}:
            errors.append(FieldError(loc=[name], msg=_("Unknown choice %(v)s.") % {"v": value}))
    if data.min_group is not None and data.min_group < MIN_GROUP:
        errors.append(
            FieldError(
                loc=["min_group"],
                msg=_("At least %(n)d, to keep answers anonymous.") % {"n": MIN_GROUP},
            )
        )
    return errors


@transaction.atomic
def campaign_create(*, actor: User | None, data: CampaignData) -> Campaign:
    """A new campaign in draft, its analysis settings fixed from the defaults where not given."""
    _require(actor, Cap.SURVEY_MANAGE, data.unit)
    defaults = survey_defaults()
    errors = _validate_campaign(data, defaults)
    if errors:
        raise DomainError(
            code="invalid_campaign", message=_("The campaign cannot be saved."), errors=errors
        )
    campaign = Campaign.objects.create(
        instrument=data.instrument,
        name=data.name.strip()[:200],
        unit=data.unit,
        audience=data.audience,
        anonymous=data.instrument.anonymous if data.anonymous is None else data.anonymous,
        opens_on=data.opens_on,
        closes_on=data.closes_on,
        public_key=secrets.token_urlsafe(12),
        reminder_days=sorted(
            set(data.reminder_days if data.reminder_days is not None else defaults.reminder_days)
        ),
        satisfaction_definition=data.satisfaction_definition or defaults.satisfaction_definition,
        ipa_crosshair=data.ipa_crosshair or defaults.ipa_crosshair,
        weighting=data.weighting or defaults.weighting,
        min_group=data.min_group if data.min_group is not None else defaults.min_group,
        created_by=actor,
    )
    if data.rated_units:
        campaign.rated_units.set(data.rated_units)
    audit_record(
        actor=actor,
        action="survey.campaign_create",
        target=campaign,
        after={
            "instrument": f"{data.instrument.code} v{data.instrument.version}",
            "unit": data.unit.code,
            "audience": campaign.audience,
            "anonymous": campaign.anonymous,
            "window": [campaign.opens_on, campaign.closes_on],
        },
    )
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return (
        Campaign.objects.select_for_update()
        .select_related("unit", "instrument")
        .get(pk=campaign.pk)
    )


@transaction.atomic
def campaign_open(*, actor: User | None, campaign: Campaign) -> Campaign:
    campaign = _locked(campaign)
    _require(actor, Cap.SURVEY_MANAGE, campaign.unit)
    if campaign.status != CampaignStatus.DRAFT:
        raise DomainError(code="invalid_transition", message=_("Only a draft can be opened."))
    campaign.status = CampaignStatus.OPEN
    campaign.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="survey.campaign_open", target=campaign)
    return campaign


@transaction.atomic
def campaign_close(*, actor: User | None, campaign: Campaign) -> Campaign:
    campaign = _locked(campaign)
    _require(actor, Cap.SURVEY_MANAGE, campaign.unit)
    if campaign.status != CampaignStatus.OPEN:
        raise DomainError(code="invalid_transition", message=_("Only an open survey can close."))
    campaign.status = CampaignStatus.CLOSED
    campaign.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="survey.campaign_close", target=campaign)
    return campaign


@transaction.atomic
def campaign_set_quotas(
    *, actor: User | None, campaign: Campaign, quotas: Mapping[int, int]
) -> Campaign:
    """Target respondents per stratum (a unit inside the campaign's subtree); 0 removes one."""
    campaign = _locked(campaign)
    _require(actor, Cap.SURVEY_MANAGE, campaign.unit)
    units = {
        u.pk: u
        for u in OrgUnit.objects.filter(pk__in=list(quotas), path__startswith=campaign.unit.path)
    }
    errors = []
    for unit_id, target in quotas.items():
        if unit_id not in units:
            errors.append(
                FieldError(loc=["quotas", str(unit_id)], msg=_("Not a unit of this campaign."))
            )
        elif not isinstance(target, int) or isinstance(target, bool) or target < 0:
            errors.append(
                FieldError(loc=["quotas", str(unit_id)], msg=_("A quota is a whole number ≥ 0."))
            )
    if errors:
        raise DomainError(code="invalid_quotas", message=_("The quotas are wrong."), errors=errors)
    before = dict(campaign.quotas)
    campaign.quotas = {str(k): v for k, v in sorted(quotas.items()) if v > 0}
    campaign.save(update_fields=["quotas", "updated_at"])
    audit_record(
        actor=actor,
        action="survey.campaign_quotas",
        target=campaign,
        before=before,
        after=campaign.quotas,
    )
    return campaign


# --- Invitations ----------------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass
class InvitationSpec:
    unit: OrgUnit
    staff: Staff | None = None
    subject_staff: Staff | None = None
    subject_unit: OrgUnit | None = None
    source_ref: str = ""


@transaction.atomic
def invitations_create(
    *, actor: User | None, campaign: Campaign, specs: Iterable[InvitationSpec]
) -> list[Invitation]:
    """Invitations (a link and a card code each). A source already invited (the same closed
    complaint or service call) is skipped, so a repeated run invites nobody twice."""
    campaign = _locked(campaign)
    _require(actor, Cap.SURVEY_MANAGE, campaign.unit)
    if campaign.status == CampaignStatus.CLOSED:
        raise DomainError(code="campaign_closed", message=_("This survey is closed."))
    wanted = list(specs)
    if len(wanted) > MAX_INVITATIONS:
        raise field_error(
            "count", _("At most %(n)d invitations at a time.") % {"n": MAX_INVITATIONS}
        )
    errors = []
    for i, s in enumerate(wanted):
        if not s.unit.path.startswith(campaign.unit.path):
            errors.append(FieldError(loc=[i, "unit"], msg=_("Not a unit of this campaign.")))
    if errors:
        raise DomainError(
            code="invalid_invitations", message=_("Some invitations are wrong."), errors=errors
        )
    known = set(campaign.invitations.exclude(source_ref="").values_list("source_ref", flat=True))
    rows = []
    for s in wanted:
        if s.source_ref and s.source_ref in known:
            continue
        known.add(s.source_ref)
        rows.append(
            Invitation(
                campaign=campaign,
                token=secrets.token_urlsafe(24),
                code=_new_code(),
                unit=s.unit,
                staff=s.staff,
                subject_staff=s.subject_staff,
                subject_unit=s.subject_unit,
                source_ref=s.source_ref[:40],
            )
        )
    created = Invitation.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action="survey.invitations_create",
        target=campaign,
        after={"count": len(created), "skipped": len(wanted) - len(created)},
    )
    return created


def staff_invitation_specs(campaign: Campaign) -> list[InvitationSpec]:
    """One invitation per active staff member under the campaign's unit; for an internal
    service survey, one per staff member and rated department."""
    today = clock.now().date()
    staff = (
        Staff.objects.filter(unit__path__startswith=campaign.unit.path, unit__is_active=True)
        .filter(start_date__lte=today)
        .exclude(end_date__lt=today)
        .select_related("unit")
        .order_by("pk")
    )
    if campaign.audience == Audience.INTERNAL:
        rated = list(campaign.rated_units.all())
        return [
            InvitationSpec(unit=s.unit, staff=s, subject_unit=r)
            for s in staff
            if s.unit.kind not in (UnitKind.BACK_OFFICE,)
            for r in rated
        ]
    return [InvitationSpec(unit=s.unit, staff=s) for s in staff]


# --- Responses ------------------------------------------------------------------------------


def group_of(staff: Staff | None) -> str:
    """The respondent group a staff member answers in (customers have none)."""
    if staff is None:
        return RespondentGroup.CUSTOMER
    if staff.position.is_manager:
        return RespondentGroup.MANAGEMENT
    if staff.unit.kind in (UnitKind.BACK_OFFICE, UnitKind.COMPANY):
        return RespondentGroup.BACK_OFFICE
    return RespondentGroup.FRONT_LINE


@dataclass
class Submission:
    answers: Mapping[str, Any]
    channel: str
    unit: OrgUnit | None = None  # open links: the QR code's unit; invitations: theirs
    invitation: Invitation | None = None
    subject_unit: OrgUnit | None = None  # open internal-service links: the department picked
    group: str = ""  # keyed-in answers may name it (e.g. managers answering the E form)
    language: str = ""


def _quota_full(campaign: Campaign, unit: OrgUnit) -> bool:
    """Open links only: whether some quota covering `unit` is reached."""
    if not campaign.quotas:
        return False
    ids = unit.ancestor_ids()
    targets = {int(k): v for k, v in campaign.quotas.items() if int(k) in ids}
    if not targets:
        return False
    strata = OrgUnit.objects.filter(pk__in=list(targets)).values_list("pk", "path")
    for pk, path in strata:
        got = Response.objects.filter(campaign=campaign, unit__path__startswith=path).count()
        if got >= targets[pk]:
            return True
    return False


@transaction.atomic
def response_submit(*, actor: User | None, campaign: Campaign, submission: Submission) -> Response:
    """Record one completed questionnaire. An invitation answers once (a second answer is
    refused); an open link takes answers for units under the campaign while their quota is not
    full; the survey must be open and inside its window. Answers are validated item by item."""
    campaign = Campaign.objects.select_related("instrument", "unit").get(pk=campaign.pk)
    if submission.channel == Channel.PAPER:
        _require(actor, Cap.SURVEY_MANAGE, submission.unit or campaign.unit)
    today = clock.now().astimezone(timezone.get_default_timezone()).date()
    if campaign.status != CampaignStatus.OPEN or not (
        campaign.opens_on <= today <= campaign.closes_on
    ):
        raise DomainError(code="campaign_not_open", message=_("This survey is not open."))
    spec = instrument_spec(campaign.instrument)
    invitation = None
    if submission.invitation is not None:
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("unit", "staff__unit", "staff__position")
            .get(pk=submission.invitation.pk)
        )
        if invitation.campaign_id != campaign.pk:
            raise DomainError(
                code="invalid_invitation", message=_("Not an invitation to this survey.")
            )
        if invitation.responded:
            raise DomainError(
                code="already_answered",
                message=_("This invitation has already been answered."),
                status=409,
            )
        unit = invitation.unit
        subject_unit = invitation.subject_unit
    else:
        unit = submission.unit
        if unit is None or not unit.path.startswith(campaign.unit.path) or not unit.is_active:
            raise field_error("unit", _("Not a unit of this survey."))
        subject_unit = submission.subject_unit
        if submission.channel != Channel.PAPER and _quota_full(campaign, unit):
            raise DomainError(
                code="quota_full",
                message=_("Thank you: this survey has all the answers it needs here."),
                status=409,
            )
    if spec.data.get("subject") == "unit":
        rated = set(campaign.rated_units.values_list("pk", flat=True))
        if subject_unit is None or subject_unit.pk not in rated:
            raise field_error("subject_unit", _("Choose the department you are rating."))
    answers = answers_clean(spec, submission.answers)
    staff = invitation.staff if invitation is not None else None
    group = submission.group or group_of(staff)
    if group not in RespondentGroup.values:
        raise field_error("group", _("Unknown respondent group."))
    now = clock.now()
    anonymous = campaign.anonymous
    response = Response(
        campaign=campaign,
        unit=unit,
        invitation=None if anonymous else invitation,
        respondent_staff=None if anonymous else staff,
        subject_staff=invitation.subject_staff if invitation is not None else None,
        subject_unit=subject_unit,
        group=group,
        channel=submission.channel,
        language=submission.language[:10],
        submitted_on=now.astimezone(timezone.get_default_timezone()).date(),
        submitted_at=None if anonymous else now,
        answers=answers,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:  # the same invitation answered twice at once
        raise DomainError(
            code="already_answered",
            message=_("This invitation has already been answered."),
            status=409,
        ) from None
    if invitation is not None:
        invitation.responded = True
        invitation.responded_at = None if anonymous else now
        invitation.save(update_fields=["responded", "responded_at"])
    if not anonymous:
        audit_record(
            actor=actor,
            action="survey.response",
            target=response,
            after={"campaign": campaign.pk, "unit": unit.code, "channel": response.channel},
        )
    return response


# --- Reminders ------------------------------------------------------------------------------


@dataclass
class ReminderResult:
    reminded: int = 0


@transaction.atomic
def reminders_send(*, today: dt.date | None = None) -> ReminderResult:
    """Remind each invited staff member with a login who has not answered, on the campaign's
    reminder days (days since the invitation). Reminding reveals only who has not answered yet,
    never what anybody answered."""
    today = today or clock.now().astimezone(timezone.get_default_timezone()).date()
    result = ReminderResult()
    campaigns = Campaign.objects.filter(
        status=CampaignStatus.OPEN, opens_on__lte=today, closes_on__gte=today
    ).exclude(reminder_days=[])
    for campaign in campaigns:
        days = set(campaign.reminder_days)
        pending = (
            Invitation.objects.select_for_update()
            .filter(campaign=campaign, responded=False, staff__user__isnull=False)
            .exclude(last_reminded_on=today)
            .select_related("staff__user")
        )
        due = [
            inv
            for inv in pending
            if (today - timezone.localtime(inv.created_at).date()).days in days
        ]
        for inv in due:
            notify(
                users=[inv.staff.user],  # type: ignore[union-attr]
                title=_("Reminder: please answer the survey “%(name)s”") % {"name": campaign.name},
                body=_("It closes on %(date)s.") % {"date": campaign.closes_on.isoformat()},
                url=f"/s/i/{inv.token}/",
            )
            inv.reminders_sent += 1
            inv.last_reminded_on = today
        Invitation.objects.bulk_update(due, ["reminders_sent", "last_reminded_on"])
        result.reminded += len(due)
    return result
