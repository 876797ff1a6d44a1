"""A web worker does its start-up work before its first request (sqms.common.warm): the URL
configuration, the URL maps of both languages, and the whole-tree maps an intake reads."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from sqms.common import memo, warm
from sqms.common.models import Notification, WorkCalendar

BODY = {
    "channel": "hotline",
    "unit": "S1",
    "description": "收银员态度差",
    "complainant_phone": "13800001111",
}
# The statements of the whole-tree loads: every unit, the units' calendars, the managers.
WHOLE_TREE = {
    "units": 'FROM "org_orgunit" ORDER BY',
    "calendars": '"common_workcalendar"',
    "managers": '"org_rolegrant"."role" IN',
}


def _whole_tree_reads(api, body) -> set[str]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        resp = api.post("/complaints", body)
    assert resp.status_code == 201, resp.content
    sql = [q["sql"] for q in ctx.captured_queries]
    return {name for name, text in WHOLE_TREE.items() if any(text in s for s in sql)}


@pytest.mark.parametrize("calendars", ["default", "none left"])
def test_after_the_warm_up_an_intake_reads_nothing_of_the_whole_tree(
    api_client, people, org, pack, calendars
):
    if calendars == "none left":  # an operator removed them all: a stand-in is remembered
        WorkCalendar.objects.all().delete()
    api = api_client.as_user(people.store)
    memo.forget()
    assert _whole_tree_reads(api, BODY) == set(WHOLE_TREE)  # cold: the first intake loads it

    memo.forget()
    assert warm.warm() > 0
    assert _whole_tree_reads(api, {**BODY, "description": "又一次"}) == set()
    assert Notification.objects.filter(user=people.store).count() == 2  # told both times


def test_the_url_maps_of_both_languages_are_built(db):
    resolver = get_resolver()
    resolver._reverse_dict.clear()
    warm.warm()
    assert {"zh-hans", "en"} <= set(resolver._reverse_dict)


def test_a_step_the_database_refuses_is_skipped_and_the_rest_run(db, monkeypatch, caplog):
    ran: list[str] = []

    def refused() -> None:
        raise OperationalError("no such table: org_orgunit")

    monkeypatch.setattr(warm, "_STEPS", [refused, lambda: ran.append("next")])
    with caplog.at_level(logging.WARNING, logger="sqms.common.warm"):
        warm.warm()
    assert ran == ["next"]
    assert "refused skipped: no such table: org_orgunit" in caplog.text
