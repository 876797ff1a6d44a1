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
        user=None, by="unit", ids=[org.s1.pk, org.s3.pk], start=TODAY, end=TODAY
    )
    assert result[org.s1.pk].suppressed is True and math.isnan(result[org.s1.pk].value)
    assert (result[org.s3.pk].n, result[org.s3.pk].value) == (6, 0.0)
    assert facts.fact_is_reportable(result[org.s3.pk]) is True
    assert facts.fact_is_reportable(result[org.s1.pk]) is False
