"""The tables an intake writes carry the indexes their models declare and no others: each one is
written by every intake (on SQLite while it holds the writers' lock), so a leftover costs every
complaint. The foreign keys keep no index of their own where a declared index begins with them
or nothing looks rows up by them."""

from collections import Counter

import pytest
from django.db import connection

from sqms.common.models import AuditEntry, IdempotencyRecord, Notification
from sqms.complaints.models import Complaint, ComplaintEvent, SlaClock

WRITTEN_BY_AN_INTAKE = [
    Complaint,
    SlaClock,
    ComplaintEvent,
    Notification,
    AuditEntry,
    IdempotencyRecord,
]


def _columns(model, names):
    return tuple(model._meta.get_field(n).column for n in names)


@pytest.mark.parametrize("model", WRITTEN_BY_AN_INTAKE, ids=lambda m: m.__name__)
def test_a_table_an_intake_writes_has_exactly_the_declared_indexes(db, model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    present = Counter(
        tuple(c["columns"])
        for name, c in constraints.items()
        if c["index"]
        and not c["unique"]
        and not c["primary_key"]
        # PostgreSQL's twin of an indexed text column for LIKE (varchar_pattern_ops).
        and not name.endswith("_like")
    )
    declared = Counter(_columns(model, index.fields) for index in model._meta.indexes)
    declared.update(
        (f.column,)
        for f in model._meta.concrete_fields
        if f.db_index and not f.unique and not f.primary_key
    )
    assert present == declared


def test_only_the_tracking_code_and_the_chain_place_are_unique(db):
    def unique(model):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        return {
            tuple(c["columns"])
            for c in constraints.values()
            if c["unique"] and not c["primary_key"]
        }

    assert unique(Complaint) == {("ref",)}
    # The entry's hash is not: the chain's seq and prev_hash are what verification checks.
    assert unique(AuditEntry) == {("lane", "seq")}


def test_a_lookup_by_a_mostly_empty_key_uses_its_partial_index(db):
    # x = ? implies x IS NOT NULL: both databases then read the partial index.
    qs = Complaint.objects.filter(merged_into_id=1)
    plan = qs.explain()
    assert "complaint_merged_into_set" in plan


def test_the_breached_tab_reads_its_partial_index(db):
    # No complaint is breached at intake, so the index costs an intake nothing. PostgreSQL
    # scans an empty table whatever its indexes: told not to, it shows the index applies.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Complaint.objects.filter(breached=True).order_by("-received_at").explain()
    assert "complaint_breached" in plan
