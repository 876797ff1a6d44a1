"""Facts for the evaluation engine: set-based, with n and intervals, scoped, anonymous-safe."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import proportion_confint

from sqms.surveys import facts, services
from sqms.surveys.models import Audience, Channel
from tests.surveys.conftest import TODAY, employee_answers


def _card(campaign, org, staff, answers, ref):
    [inv] = services.invitations_create(
        actor=None,
        campaign=campaign,
        specs=[services.InvitationSpec(unit=org.s1, subject_staff=staff, source_ref=ref)],
    )
    services.response_submit(
        actor=None,
        campaign=campaign,
        submission=services.Submission(answers=answers, channel=Channel.CARD, invitation=inv),
    )


def test_opinion_card_facts_per_technician(
    make_campaign, org, django_assert_max_num_queries
) -> None:
    campaign = make_campaign("opinion-card", audience=Audience.SERVICE_CALLS, unit=org.r1)
    tech, other = org.s1_staff[0], org.s1_staff[1]
    cards = [(4, 4, 3, 4), (3, 3, 2, 2), (4, 3, 4, 4)]
    for i, c in enumerate(cards):
        _card(
            campaign,
            org,
            tech,
            dict(zip(["attitude", "technique", "arrival", "promise"], c, strict=True)),
            f"WO-{i}",
        )
    with django_assert_max_num_queries(2):
        result = facts.opinion_card_facts(
            user=None, staff_ids=[tech.pk, other.pk], start=TODAY, end=TODAY
        )
    fact = result[tech.pk]
    means = [sum(c) / 4 for c in cards]
    assert (fact.n, fact.value) == (3, pytest.approx(sum(means) / 3))
    assert fact.detail["items"]["arrival"] == pytest.approx(3.0)
    assert fact.detail["satisfied_rate"] == pytest.approx(2 / 3)
    assert result[other.pk].n == 0 and math.isnan(result[other.pk].value)


def test_satisfaction_rate_by_unit_with_wilson(make_campaign, submit, org, people) -> None:
    campaign = make_campaign("csi-retail")
    base = {
        "quality": 4,
        "price": 3,
        "attitude": 5,
        "speed": 4,
        "environment": 4,
        "complaint": 4,
        "recommend": 9,
        "visit": "weekly",
    }
    for overall, unit in [(5, org.s1), (4, org.s1), (3, org.s1), (2, org.s2), (5, org.s3)]:
        submit(campaign, base | {"overall": overall}, unit)
    result = facts.satisfaction_rate_facts(
        user=None, by="unit", ids=[org.r1.pk, org.s1.pk, org.s3.pk], start=TODAY, end=TODAY
    )
    r1 = result[org.r1.pk]
    low, high = proportion_confint(2, 4, method="wilson")
    assert (r1.n, r1.value, r1.low, r1.high) == (4, 0.5, pytest.approx(low), pytest.approx(high))
    assert r1.definition == "satisfied_share"
    other = facts.satisfaction_rate_facts(
        user=None, by="unit", ids=[org.r1.pk], start=TODAY, end=TODAY, definition="not_dissatisfied"
    )
    assert other[org.r1.pk].value == 0.75  # the neutral 3 counts as not dissatisfied
    # Scoped: the region manager reads nothing of S3.
    scoped = facts.satisfaction_rate_facts(
        user=people.region, by="unit", ids=[org.s3.pk], start=TODAY, end=TODAY
    )
    assert scoped[org.s3.pk].n == 0
    csi = facts.csi_facts(user=None, unit_ids=[org.s1.pk], start=TODAY, end=TODAY)[org.s1.pk]
    # Everyone answered the six indicators alike: no spread, the interval closes on the index.
    assert (csi.n, csi.value, csi.low) == (3, pytest.approx(76.25), pytest.approx(76.25))
    assert csi.definition == "0-100 from scale 1-5"


def test_anonymous_unit_facts_under_five_are_suppressed(make_campaign, submit, org) -> None:
    campaign = make_campaign("employee-satisfaction", audience=Audience.STAFF)
    for _ in range(4):
        submit(campaign, employee_answers(4, 4), org.s1)
    for _ in range(6):
        submit(campaign, employee_answers(4, 2), org.s3)
    result = facts.satisfaction_rate_facts(
        user=None, by="unit", ids=[org.hq.pk, org.s1.pk, org.s3.pk], start=TODAY, end=TODAY
    )
    assert result[org.s1.pk].suppressed is True and math.isnan(result[org.s1.pk].value)
    # S3's six would give S1's four by subtraction from the company's ten: hidden too.
    assert result[org.s3.pk].suppressed is True
    assert (result[org.hq.pk].n, result[org.hq.pk].value) == (10, 0.4)
    assert facts.fact_is_reportable(result[org.hq.pk]) is True
    assert facts.fact_is_reportable(result[org.s1.pk]) is False


def test_anonymous_unit_facts_cannot_be_differenced(make_campaign, submit, org) -> None:
    # R1 = S1 (6) + S2 (4): facts for R1 and S1 would give S2's four by subtraction.
    campaign = make_campaign("employee-satisfaction", audience=Audience.STAFF)
    for unit, n, overall in [(org.s1, 6, 4), (org.s2, 4, 1), (org.s3, 9, 4)]:
        for _ in range(n):
            submit(campaign, employee_answers(4, overall), unit)
    ids = [org.hq.pk, org.r1.pk, org.s1.pk, org.s2.pk, org.s3.pk]
    result = facts.satisfaction_rate_facts(user=None, by="unit", ids=ids, start=TODAY, end=TODAY)
    assert (result[org.r1.pk].n, result[org.r1.pk].value) == (10, 0.6)
    assert result[org.hq.pk].n == 19
    assert result[org.s3.pk].n == 9
    assert result[org.s1.pk].n == 0 and math.isnan(result[org.s1.pk].value)
    assert result[org.s1.pk].suppressed is True
    assert result[org.s2.pk].n == 0 and result[org.s2.pk].suppressed is True


def test_a_manager_of_two_stores_sees_each_not_their_union(
    make_campaign, submit, org, people
) -> None:
    from sqms.org.roles import Role
    from sqms.surveys import analysis
    from tests.conftest import make_user

    two = make_user("two-stores", Role.UNIT_MANAGER, org.s1)
    from sqms.org import services as org_services

    org_services.role_grant(actor=None, user=two, role=Role.UNIT_MANAGER, unit=org.s3)
    campaign = make_campaign("employee-satisfaction", audience=Audience.STAFF)
    for unit, n in [(org.s1, 3), (org.s2, 8), (org.s3, 3)]:
        for _ in range(n):
            submit(campaign, employee_answers(), unit)
    res = analysis.campaign_results(two, campaign)
    # Not "HQ" with S1 + S3 (6 people from two hidden groups): S1 alone, hidden.
    assert res.root == org.s1
    assert res.suppressed is True
