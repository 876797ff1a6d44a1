"""The complaint table carries the indexes its model declares and no others: each one is written
by every intake while it holds the writers' lock, so a leftover costs every complaint."""

from django.db import connection

from sqms.complaints.models import Complaint


def test_the_complaint_table_has_exactly_the_declared_indexes(db):
    table = Complaint._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexes = {
        name
        for name, c in constraints.items()
        if c["index"]
        and not c["unique"]
        and not c["primary_key"]
        # PostgreSQL's twin of the unique tracking code for LIKE (varchar_pattern_ops).
        and not (name.startswith(f"{table}_ref_") and name.endswith("_like"))
    }
    declared = {index.name for index in Complaint._meta.indexes}
    # The one foreign key left with an index of its own: no Meta index begins with it.
    own = {name for name in indexes if name.startswith(f"{table}_created_by_id_")}
    assert len(own) == 1
    assert indexes - own == declared


def test_a_lookup_by_a_mostly_empty_key_uses_its_partial_index(db):
    # x = ? implies x IS NOT NULL: both databases then read the partial index.
    qs = Complaint.objects.filter(merged_into_id=1)
    plan = qs.explain()
    assert "complaint_merged_into_set" in plan
