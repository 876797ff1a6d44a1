import datetime as dt

import time_machine
from django.utils import timezone

from sqms.common.models import IdempotencyRecord
from sqms.common.tasks import purge_idempotency_records


def test_old_idempotency_records_are_purged_by_the_periodic_task(people, settings):
    settings.SQMS_IDEMPOTENCY_HOURS = 24
    start = timezone.now()
    with time_machine.travel(start - dt.timedelta(hours=30), tick=False):
        IdempotencyRecord.objects.create(
            user=people.store,
            key="old",
            method="POST",
            path="/x",
            request_digest="a",
            status=201,
            body="{}",
        )
    IdempotencyRecord.objects.create(
        user=people.store,
        key="new",
        method="POST",
        path="/x",
        request_digest="b",
        status=201,
        body="{}",
    )
    # Huey runs tasks inline when called with .call_local(): the same code the worker runs.
    assert purge_idempotency_records.call_local() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
