"""Survey services: instruments from the pack, campaigns, invitations, answering (once per
invitation, inside the window, within quotas, validated item by item), anonymity, reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from sqms.common.errors import DomainError, PermissionDenied
from sqms.common.models import AuditEntry, Notification
from sqms.org import services as org_services
from sqms.org.models import UnitKind
from sqms.surveys import services
from sqms.surveys.configuration import survey_config_apply
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
from tests.surveys.conftest import TODAY, employee_answers, servqual_answers


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- Pack and instruments -------------------------------------------------------------------


def test_pack_installs_the_five_instruments_and_defaults(instruments) -> None:
    assert sorted(instruments) == [
        "csi-retail",
        "employee-satisfaction",
        "internal-service",
        "opinion-card",
        "servqual-22",
    ]
    sq = instruments["servqual-22"]
    assert (sq.version, sq.kind, sq.anonymous) == (1, "servqual", False)
    assert sq.title_zh == "SERVQUAL 服务质量调查（22项）"
    assert instruments["employee-satisfaction"].anonymous is True
    defaults = SurveyDefaults.objects.get()
    assert (defaults.reminder_days, defaults.min_group, defaults.pack) == (
        [3, 7],
        5,
        "retail-chain",
    )


def test_pack_loaded_twice_changes_nothing(instruments) -> None:
    warnings = survey_config_apply(
        actor=None, data={"instruments": ["servqual-22"]}, pack="retail-chain"
    )
    assert warnings == ["Instrument servqual-22 v1 was already installed."]
    assert Instrument.objects.count() == 5


def test_bad_pack_section_names_each_mistake_and_changes_nothing(db) -> None:
    with pytest.raises(DomainError) as exc:
        survey_config_apply(
            actor=None,
            data={
                "instruments": ["servqual-22", "nope"],
                "defaults": {"min_group": 3, "ipa_crosshair": "middle", "colour": "red"},
            },
            pack="x",
        )
    locs = sorted(tuple(e.loc) for e in exc.value.errors)
    assert locs == [
        ("surveys", "defaults", "colour"),
        ("surveys", "defaults", "ipa_crosshair"),
        ("surveys", "defaults", "min_group"),
        ("surveys", "instruments", 1),
    ]
    assert Instrument.objects.count() == 0
    assert SurveyDefaults.objects.count() == 0


def _bilingual_spec(version: int = 1) -> dict[str, Any]:
    return {
        "code": "checkout-pulse",
        "version": version,
        "kind": "custom",
        "title": {"zh": "结账体验", "en": "Checkout pulse"},
        "dimensions": [{"code": "speed", "zh": "速度", "en": "Speed"}],
        "questions": [
            {
                "code": "q1",
                "type": "likert",
                "points": 5,
                "dimension": "speed",
                "zh": "结账快吗？",
                "en": "Was checkout quick?",
            },
            {
                "code": "q2",
                "type": "single",
                "zh": "您用什么支付？",
                "en": "How did you pay?",
                "options": [
                    {"code": "cash", "zh": "现金", "en": "Cash"},
                    {"code": "app", "zh": "手机支付", "en": "Phone"},
                ],
            },
        ],
    }


def test_instrument_create_by_quality_manager(people) -> None:
    instrument, created = services.instrument_create(actor=people.quality, data=_bilingual_spec())
    assert created is True
    assert (instrument.title_zh, instrument.title_en) == ("结账体验", "Checkout pulse")
    entry = AuditEntry.objects.get(action="survey.instrument_create")
    assert entry.target_id == str(instrument.pk)


def test_instrument_changed_under_the_same_version_is_refused(people) -> None:
    services.instrument_create(actor=people.quality, data=_bilingual_spec())
    changed = _bilingual_spec()
    changed["questions"][0]["en"] = "Was it quick?"
    with pytest.raises(DomainError) as exc:
        services.instrument_create(actor=people.quality, data=changed)
    assert exc.value.errors[0].loc == ["version"]
    assert "save this as version 2" in exc.value.errors[0].msg
    _v2, created = services.instrument_create(
        actor=people.quality, data=_bilingual_spec(2) | {"questions": changed["questions"]}
    )
    assert created is True
    assert list(Instrument.objects.values_list("version", flat=True)) == [2, 1]


def test_instrument_with_mistakes_names_each_place(people) -> None:
    bad = _bilingual_spec()
    bad["questions"][0]["points"] = 6
    bad["questions"][0]["en"] = ""
    bad["questions"][1]["options"] = [{"code": "cash", "zh": "现金", "en": "Cash"}]
    bad["questions"].append({"code": "q1", "type": "nps", "zh": "x", "en": "y"})
    with pytest.raises(DomainError) as exc:
        services.instrument_create(actor=people.quality, data=bad)
    assert sorted(tuple(e.loc) for e in exc.value.errors) == [
        ("questions", 0, "en"),
        ("questions", 0, "points"),
        ("questions", 1, "options"),
        ("questions", 2, "code"),
    ]
    assert Instrument.objects.count() == 0


def test_instrument_create_needs_manage(people) -> None:
    with pytest.raises(PermissionDenied):
        services.instrument_create(actor=people.store, data=_bilingual_spec())
    assert Instrument.objects.count() == 0


# --- Campaigns ------------------------------------------------------------------------------


def test_campaign_takes_the_defaults_and_is_audited(make_campaign, people) -> None:
    campaign = make_campaign(actor=people.quality)
    assert campaign.status == CampaignStatus.OPEN
    assert (campaign.reminder_days, campaign.min_group, campaign.weighting) == (
        [3, 7],
        5,
        "mean_weights",
    )
    assert campaign.satisfaction_definition == "satisfied_share"
    actions = list(
        AuditEntry.objects.filter(target_type="surveys.campaign", target_id=str(campaign.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["survey.campaign_create", "survey.campaign_open"]


def test_campaign_validation(make_campaign, org) -> None:
    with pytest.raises(DomainError) as exc:
        make_campaign(
            "employee-satisfaction",
            anonymous=False,
            closes_on=TODAY - dt.timedelta(days=10),
            min_group=3,
            reminder_days=[0],
        )
    assert sorted(tuple(e.loc) for e in exc.value.errors) == [
        ("anonymous",),
        ("closes_on",),
        ("min_group",),
        ("reminder_days",),
    ]
    with pytest.raises(DomainError) as exc:
        make_campaign("internal-service", audience=Audience.INTERNAL)
    assert exc.value.errors[0].loc == ["rated_units"]
    assert Campaign.objects.count() == 0


def test_store_manager_cannot_run_a_campaign(make_campaign, people, org) -> None:
    with pytest.raises(PermissionDenied):
        make_campaign(actor=people.store, unit=org.s1)
    assert Campaign.objects.count() == 0


def test_close_then_answers_are_refused(make_campaign, submit, org) -> None:
    campaign = make_campaign()
    services.campaign_close(actor=None, campaign=campaign)
    with pytest.raises(DomainError) as exc:
        submit(campaign, servqual_answers(6, 5), org.s1)
    assert exc.value.code == "campaign_not_open"
    with pytest.raises(DomainError):
        services.campaign_open(actor=None, campaign=campaign)
    assert Response.objects.count() == 0


def test_window_is_enforced(make_campaign, submit, org) -> None:
    campaign = make_campaign(opens_on=TODAY + dt.timedelta(days=1))
    with pytest.raises(DomainError) as exc:
        submit(campaign, servqual_answers(6, 5), org.s1)
    assert exc.value.code == "campaign_not_open"


# --- Answering ------------------------------------------------------------------------------


def test_open_link_answer_is_stored_with_unit_time_and_audit(make_campaign, submit, org) -> None:
    campaign = make_campaign()
    response = submit(campaign, servqual_answers(6, 5), org.s1, language="zh-hans")
    assert (response.unit, response.group, response.channel) == (org.s1, "customer", "qr")
    assert response.submitted_on == TODAY
    assert response.submitted_at is not None
    assert response.answers["E01"] == 6 and response.answers["W_reliability"] == 30
    assert (
        AuditEntry.objects.filter(action="survey.response", target_id=str(response.pk)).count() == 1
    )


@pytest.mark.parametrize(
    ("change", "loc", "msg"),
    [
        ({"E01": 8}, "E01", "Choose a whole number from 1 to 7."),
        ({"E01": 0}, "E01", "Choose a whole number from 1 to 7."),
        ({"E01": 2.5}, "E01", "Choose a whole number from 1 to 7."),
        ({"E01": "seven"}, "E01", "Choose a whole number from 1 to 7."),
        ({"P22": None}, "P22", "This question needs an answer."),
        ({"W_tangibles": 50}, "W", "Share out exactly 100 points."),
        ({"colour": "red"}, "colour", "Not a question of this survey."),
        ({"comment": "x" * 2001}, "comment", "At most 2000 characters."),
    ],
)
def test_malformed_answers_are_refused_by_item(
    make_campaign, submit, org, change, loc, msg
) -> None:
    campaign = make_campaign()
    answers = servqual_answers(6, 5) | change
    with pytest.raises(DomainError) as exc:
        submit(campaign, answers, org.s1)
    assert [(e.loc, e.msg) for e in exc.value.errors] == [(["answers", loc], msg)]
    assert Response.objects.count() == 0


def test_open_link_for_a_unit_outside_the_campaign_is_refused(make_campaign, submit, org) -> None:
    campaign = make_campaign(unit=org.r1)
    with pytest.raises(DomainError) as exc:
        submit(campaign, servqual_answers(6, 5), org.s3)
    assert exc.value.errors[0].loc == ["unit"]


def test_one_response_per_invitation(make_campaign, org) -> None:
    campaign = make_campaign("opinion-card", audience=Audience.SERVICE_CALLS, unit=org.r1)
    [inv] = services.invitations_create(
        actor=None,
        campaign=campaign,
        specs=[
            services.InvitationSpec(unit=org.s1, subject_staff=org.cashier_staff, source_ref="WO-1")
        ],
    )
    answers = {"attitude": 4, "technique": 3, "arrival": 2, "promise": 4}
    sub = services.Submission(answers=answers, channel=Channel.CARD, invitation=inv)
    first = services.response_submit(actor=None, campaign=campaign, submission=sub)
    assert (first.invitation, first.subject_staff, first.unit) == (inv, org.cashier_staff, org.s1)
    with pytest.raises(DomainError) as exc:
        services.response_submit(actor=None, campaign=campaign, submission=sub)
    assert (exc.value.code, exc.value.status) == ("already_answered", 409)
    assert Response.objects.count() == 1
    inv.refresh_from_db()
    assert inv.responded is True and inv.responded_at is not None


def test_same_source_is_invited_once(make_campaign, org) -> None:
    campaign = make_campaign("opinion-card", audience=Audience.SERVICE_CALLS, unit=org.r1)
    spec = services.InvitationSpec(unit=org.s1, subject_staff=org.cashier_staff, source_ref="WO-7")
    assert len(services.invitations_create(actor=None, campaign=campaign, specs=[spec])) == 1
    assert services.invitations_create(actor=None, campaign=campaign, specs=[spec, spec]) == []
    assert Invitation.objects.count() == 1


def test_invitation_outside_the_campaign_unit_is_refused(make_campaign, org, people) -> None:
    campaign = make_campaign(unit=org.r1)
    with pytest.raises(DomainError):
        services.invitations_create(
            actor=None, campaign=campaign, specs=[services.InvitationSpec(unit=org.s3)]
        )
    with pytest.raises(PermissionDenied):
        services.invitations_create(
            actor=people.store, campaign=campaign, specs=[services.InvitationSpec(unit=org.s1)]
        )
    assert Invitation.objects.count() == 0


def test_quota_stops_the_open_link_for_a_full_stratum(make_campaign, submit, org) -> None:
    campaign = make_campaign(unit=org.r1)
    services.campaign_set_quotas(actor=None, campaign=campaign, quotas={org.s1.pk: 2})
    submit(campaign, servqual_answers(6, 5), org.s1)
    submit(campaign, servqual_answers(6, 5), org.s1)
    with pytest.raises(DomainError) as exc:
        submit(campaign, servqual_answers(6, 5), org.s1)
    assert exc.value.code == "quota_full"
    submit(campaign, servqual_answers(6, 5), org.s2)  # another stratum still answers
    assert Response.objects.filter(unit=org.s1).count() == 2


def test_quotas_name_the_bad_stratum(make_campaign, org) -> None:
    campaign = make_campaign(unit=org.r1)
    with pytest.raises(DomainError) as exc:
        services.campaign_set_quotas(
            actor=None, campaign=campaign, quotas={org.s3.pk: 5, org.s1.pk: -1}
        )
    assert sorted(e.loc[1] for e in exc.value.errors) == sorted([str(org.s3.pk), str(org.s1.pk)])
    campaign.refresh_from_db()
    assert campaign.quotas == {}


# --- Anonymity ------------------------------------------------------------------------------


def test_anonymous_response_links_to_no_invitation_no_person_no_time(make_campaign, org) -> None:
    campaign = make_campaign("employee-satisfaction", audience=Audience.STAFF, unit=org.hq)
    invitations = services.invitations_create(
        actor=None, campaign=campaign, specs=services.staff_invitation_specs(campaign)
    )
    assert len(invitations) == 5  # everyone in the personas' organisation
    inv = next(i for i in invitations if i.staff == org.cashier_staff)
    audit_before = AuditEntry.objects.count()
    response = services.response_submit(
        actor=None,
        campaign=campaign,
        submission=services.Submission(
            answers=employee_answers(), channel=Channel.LINK, invitation=inv
        ),
    )
    assert response.invitation is None
    assert response.respondent_staff is None
    assert response.submitted_at is None
    assert response.submitted_on == TODAY
    assert response.group == RespondentGroup.FRONT_LINE
    inv.refresh_from_db()
    assert (inv.responded, inv.responded_at) == (True, None)
    assert AuditEntry.objects.count() == audit_before  # no entry ties it to the invitation
    with pytest.raises(DomainError) as exc:
        services.response_submit(
            actor=None,
            campaign=campaign,
            submission=services.Submission(
                answers=employee_answers(), channel=Channel.LINK, invitation=inv
            ),
        )
    assert exc.value.code == "already_answered"
    assert Response.objects.count() == 1


def test_internal_service_needs_a_rated_department(make_campaign, submit, org) -> None:
    campaign = make_campaign("internal-service", audience=Audience.INTERNAL, rated_units=[org.qa])
    answers = {
        "respond": 4,
        "deadline": 3,
        "adequate": 3,
        "resources": 2,
        "attitude": 4,
        "overall": 3,
    }
    with pytest.raises(DomainError) as exc:
        submit(campaign, answers, org.s1)
    assert exc.value.errors[0].loc == ["subject_unit"]
    response = submit(campaign, answers, org.s1, subject_unit=org.qa)
    assert response.subject_unit == org.qa


def test_internal_service_invites_front_line_once_per_department(make_campaign, org) -> None:
    pur = org_services.unit_create(
        actor=None, code="PUR", name="采购部", kind=UnitKind.BACK_OFFICE, parent=org.hq
    )
    campaign = make_campaign(
        "internal-service", audience=Audience.INTERNAL, rated_units=[org.qa, pur]
    )
    specs = services.staff_invitation_specs(campaign)
    # 5 staff in stores, none in back offices; 2 departments each.
    assert len(specs) == 10
    assert {s.subject_unit for s in specs} == {org.qa, pur}


# --- Keyed-in paper answers -----------------------------------------------------------------


def test_paper_answers_need_manage_and_may_name_the_group(
    make_campaign, submit, org, people
) -> None:
    campaign = make_campaign()
    with pytest.raises(PermissionDenied):
        submit(campaign, servqual_answers(6, 5), org.s1, channel=Channel.PAPER, actor=people.store)
    response = submit(
        campaign,
        servqual_answers(7, 5),
        org.s1,
        channel=Channel.PAPER,
        actor=people.quality,
        group=RespondentGroup.MANAGEMENT,
    )
    assert response.group == "management"
    assert Response.objects.count() == 1


# --- Reminders ------------------------------------------------------------------------------


def test_reminders_go_to_who_has_not_answered_on_the_reminder_days(
    make_campaign, org, people, now
) -> None:
    campaign = make_campaign("employee-satisfaction", audience=Audience.STAFF, unit=org.hq)
    invitations = services.invitations_create(
        actor=None, campaign=campaign, specs=services.staff_invitation_specs(campaign)
    )
    answered = next(i for i in invitations if i.staff == org.s1_staff[2])  # the store manager
    services.response_submit(
        actor=None,
        campaign=campaign,
        submission=services.Submission(
            answers=employee_answers(), channel=Channel.LINK, invitation=answered
        ),
    )
    assert services.reminders_send(today=TODAY + dt.timedelta(days=1)).reminded == 0
    result = services.reminders_send(today=TODAY + dt.timedelta(days=3))
    # Logins with a staff record: cashier (E1), store (E3, answered), outsider (E10).
    assert result.reminded == 2
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "cashier",
        "outsider",
    ]
    assert services.reminders_send(today=TODAY + dt.timedelta(days=3)).reminded == 0
