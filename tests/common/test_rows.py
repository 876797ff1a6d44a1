"""Rows saved and read with statements Django compiled once (sqms.common.rows) are the rows that
save() and filter().first() would have written and read: the same columns and values, the
same signals, the same errors; values are bound, never spliced into the SQL."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.db.models import F
from django.db.models.functions import Now
from django.db.models.signals import post_save, pre_save
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from sqms.common import rows
from sqms.common.models import AuditChainHead, AuditEntry, IdempotencyRecord, Notification
from sqms.org.models import User
from tests.conftest import make_user

AT = dt.datetime(2026, 6, 9, 10, 30, tzinfo=dt.UTC)


@pytest.fixture
def user(db) -> User:
    return make_user("rows", None, None)


def _entry(**over) -> AuditEntry:  # type: ignore[no-untyped-def]
    values = {
        "lane": 3,
        "seq": 41,
        "at": AT,
        "actor_label": "system",
        "action": "create",
        "target_type": "complaints.complaint",
        "target_id": "7",
        "before": None,
        "after": {"unit": "S1", "说明": ["a", 1, None, {"x": 1.5}]},
        "prev_hash": "0" * 64,
        "hash": "a" * 64,
    }
    return AuditEntry(**{**values, **over})


def _stored(obj) -> dict:  # type: ignore[no-untyped-def]
    fresh = type(obj).objects.get(pk=obj.pk)
    return {k: v for k, v in model_to_dict(fresh).items() if k != "id"}


def test_an_insert_stores_what_save_stores(user):
    by_save = _entry(actor=user)
    by_save.save()
    by_insert = rows.insert(_entry(actor=user, seq=42, hash="b" * 64))
    assert by_insert.pk is not None and by_insert.pk != by_save.pk
    assert not by_insert._state.adding and by_insert._state.db == "default"
    assert _stored(by_insert) == {**_stored(by_save), "seq": 42, "hash": "b" * 64}
    assert AuditEntry.objects.get(pk=by_insert.pk).after == {
        "unit": "S1",
        "说明": ["a", 1, None, {"x": 1.5}],
    }


def test_an_insert_is_one_statement_and_fills_auto_now_add(user):
    record = IdempotencyRecord(user=user, key="k", method="POST", path="/p", request_digest="d")
    with CaptureQueriesContext(connection) as ctx:
        rows.insert(record)
    assert len(ctx.captured_queries) == 1
    assert ctx.captured_queries[0]["sql"].upper().startswith("INSERT")
    assert record.created_at is not None
    assert IdempotencyRecord.objects.get(pk=record.pk).created_at == record.created_at


def test_values_are_bound_not_spliced(user):
    title = "x'); DELETE FROM common_notification; --"
    note = rows.insert(Notification(user=user, at=AT, title=title, body="%s %% ?"))
    stored = Notification.objects.get(pk=note.pk)
    assert (stored.title, stored.body) == (title, "%s %% ?")


def test_an_insert_sends_the_save_signals_once(user):
    seen: list[tuple[str, bool | None]] = []

    def pre(sender, instance, **kw):  # type: ignore[no-untyped-def]
        seen.append(("pre", None))

    def post(sender, instance, created, **kw):  # type: ignore[no-untyped-def]
        seen.append(("post", created))
        assert instance.pk is not None

    pre_save.connect(pre, sender=Notification)
    post_save.connect(post, sender=Notification)
    try:
        rows.insert(Notification(user=user, at=AT, title="t"))
        rows.insert(Notification(user=user, at=Now(), title="an expression goes through save()"))
    finally:
        pre_save.disconnect(pre, sender=Notification)
        post_save.disconnect(post, sender=Notification)
    assert seen == [("pre", None), ("post", True), ("pre", None), ("post", True)]


def test_an_expression_value_is_left_to_the_orm(user):
    note = rows.insert(Notification(user=user, at=Now(), title="now"))
    assert Notification.objects.get(pk=note.pk).at is not None


def test_an_unsaved_related_object_is_refused_as_save_refuses_it():
    with pytest.raises(ValueError, match="unsaved related object"):
        rows.insert(Notification(user=User(username="ghost"), at=AT, title="t"))


def test_insert_all_is_one_statement_that_gives_each_row_its_own_pk(user):
    with CaptureQueriesContext(connection) as ctx:
        few = rows.insert_all([Notification(user=user, at=AT, title=f"few {i}") for i in range(3)])
    assert len(ctx.captured_queries) == 1
    assert [Notification.objects.get(pk=n.pk).title for n in few] == ["few 0", "few 1", "few 2"]
    many = [Notification(user=user, at=AT, title=f"many {i}") for i in range(rows.BULK_FROM)]
    with CaptureQueriesContext(connection) as ctx:
        saved = rows.insert_all(many)
    assert len([q for q in ctx.captured_queries if "INSERT" in q["sql"].upper()]) == 1
    assert sorted(Notification.objects.filter(title__startswith="many").values_list("title")) == (
        sorted((n.title,) for n in saved)
    )


def test_an_update_writes_only_the_named_columns(db):
    head = AuditChainHead.objects.get(pk=2)
    stale = AuditChainHead.objects.get(pk=2)
    head.seq, head.hash = 5, "c" * 64
    with CaptureQueriesContext(connection) as ctx:
        rows.update(head, ["seq", "hash"])
    assert len(ctx.captured_queries) == 1
    fresh = AuditChainHead.objects.get(pk=2)
    assert (fresh.seq, fresh.hash) == (5, "c" * 64)
    assert AuditChainHead.objects.get(pk=3).seq == stale.seq  # another row is untouched
    stale.hash = "d" * 64
    rows.update(stale, ["hash"])
    assert AuditChainHead.objects.get(pk=2).seq == 5  # seq was not named: not written back


def test_an_update_of_a_missing_row_fails_as_save_does(db):
    gone = AuditChainHead(pk=7, seq=1, hash="e" * 64)
    AuditChainHead.objects.filter(pk=7).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        rows.update(gone, ["seq"])


def test_an_update_with_an_expression_is_left_to_the_orm(db):
    head = AuditChainHead.objects.get(pk=4)
    before = head.seq
    head.seq = F("seq") + 2
    rows.update(head, ["seq"])
    assert AuditChainHead.objects.get(pk=4).seq == before + 2


def test_get_by_reads_what_first_reads(user):
    rows.insert(
        IdempotencyRecord(user=user, key="k1", method="POST", path="/p", request_digest="d")
    )
    found = rows.get_by(IdempotencyRecord, user_id=user.pk, key="k1")
    orm = IdempotencyRecord.objects.filter(user=user, key="k1").first()
    assert found is not None and orm is not None
    assert model_to_dict(found) == model_to_dict(orm)
    assert found.created_at == orm.created_at and found.created_at.tzinfo is not None
    assert not found._state.adding
    assert rows.get_by(IdempotencyRecord, user_id=user.pk, key="k2") is None
    assert rows.get_by(IdempotencyRecord, key="k1", user_id=user.pk + 1) is None


def test_get_by_decodes_json_and_takes_none_through_the_orm(user):
    entry = rows.insert(_entry(actor=None))
    found = rows.get_by(AuditEntry, hash="a" * 64)
    assert found is not None and found.after == entry.after and found.before is None
    assert rows.get_by(AuditEntry, actor_id=None, hash="a" * 64) == found


def test_get_by_for_update_locks_the_row_on_postgresql(db):
    with CaptureQueriesContext(connection) as ctx:
        head = rows.get_by(AuditChainHead, for_update=True, id=1)
    assert head is not None and head.pk == 1
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in ctx.captured_queries[-1]["sql"].upper()


def test_insert_unless_taken_writes_nothing_for_a_taken_value_and_the_transaction_goes_on(db):
    first = _entry()
    assert rows.insert_unless_taken(first, ["lane", "seq"]) is True
    again = _entry(hash="b" * 64)  # the same place in the same chain
    with CaptureQueriesContext(connection) as ctx:
        assert rows.insert_unless_taken(again, ["lane", "seq"]) is False
    assert len(ctx.captured_queries) == 1  # no savepoint: one statement that did nothing
    assert again.pk is None and again._state.adding
    # The transaction is still usable (PostgreSQL would refuse everything after a failed INSERT).
    assert AuditEntry.objects.filter(lane=3, seq=41).count() == 1
    again.seq = 99
    assert rows.insert_unless_taken(again, ["lane", "seq"]) is True
    assert AuditEntry.objects.get(pk=again.pk).hash == "b" * 64


def test_insert_unless_taken_still_fails_on_another_constraint(db):
    from django.db import IntegrityError, transaction

    broken = _entry(actor_label=None)  # NOT NULL
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert_unless_taken(broken, ["lane", "seq"])


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
def test_values_are_prepared_as_each_field_prepares_them(db):
    """The shortened preparation (rows.prepare_values) gives what get_db_prep_save gives, value
    and type, for every field of every model of ours and every kind of value it may meet."""
    from django.apps import apps

    probes = [
        None,
        "",
        "徐汇店",
        "0",
        True,
        False,
        0,
        7,
        2**40,
        -3,
        1.5,
        AT,
        dt.datetime(2026, 6, 9, 18, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        dt.date(2026, 6, 9),
        {"a": 1},
    ]
    compared = 0
    for model in apps.get_models():
        if not model.__module__.startswith("sqms."):
            continue
        for field in model._meta.local_concrete_fields:
            for value in probes:
                try:
                    expected = field.get_db_prep_save(value, connection=connection)
                except (TypeError, ValueError, AttributeError, ValidationError):
                    continue  # a value this field refuses: Django refuses it either way
                (got,) = rows.prepare_values([field], [value], connection)
                assert type(got) is type(expected), (field, value)
                # psycopg's Jsonb wrapper has no equality of its own
                assert got == expected or repr(got) == repr(expected), (field, value)
                compared += 1
    assert compared > 1000


def test_unwatched_statements_run_on_the_drivers_cursor_and_read_back_the_same(db, monkeypatch):
    # Nothing watches the statements here (no debug log, no CaptureQueriesContext): rows runs
    # them on the driver's cursor, not through Django's connection.cursor().
    def refused() -> None:
        raise AssertionError("rows went through connection.cursor()")

    assert not connection.queries_logged and not connection.execute_wrappers
    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", refused)
        entry = rows.insert(_entry())
        found = rows.get_by(AuditEntry, id=entry.pk)
        entry.note = "checked"
        rows.update(entry, ["note"])
        assert rows.insert_unless_taken(_entry(hash="f" * 64), ["lane", "seq"]) is False
    assert found is not None and found.after == entry.after and found.at == AT
    assert AuditEntry.objects.get(pk=entry.pk).note == "checked"


def test_a_transaction_marked_for_rollback_refuses_rows_as_it_refuses_the_orm(db):
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            rows.insert(_entry())
        with pytest.raises(TransactionManagementError):
            AuditEntry.objects.count()


def test_a_batch_sends_its_rows_together_and_before_any_other_statement(user):
    from django.db import transaction

    on_postgres = connection.vendor == "postgresql"
    first, second = _entry(), _entry(seq=42, hash="b" * 64)
    notices = [Notification(user=user, at=AT, title=f"n{i}") for i in range(2)]
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), rows.batch():
        rows.insert(first)
        rows.insert_all(notices)
        # Not sent yet on PostgreSQL; SQLite, which has no round trips, sends at once.
        assert (first.pk is None) is on_postgres
        # A read runs after what came before it, in the same round trip's wake.
        assert AuditEntry.objects.filter(hash="a" * 64).count() == 1
        assert first.pk is not None and all(n.pk for n in notices)
        rows.insert(second)
        first.note = "seen"
        rows.update(first, ["note"])
    inserts = [
        q["sql"] for q in ctx.captured_queries if "INSERT" in q["sql"] or "UPDATE" in q["sql"]
    ]
    if on_postgres:  # two executions: two statements, then an INSERT and an UPDATE
        assert [s.count("; ") for s in inserts] == [1, 1]
    else:
        assert len(inserts) == 4
    assert AuditEntry.objects.get(pk=first.pk).note == "seen"
    assert AuditEntry.objects.get(pk=second.pk).seq == 42
    assert not second._state.adding


def test_an_error_in_a_batch_surfaces_inside_its_transaction_and_nothing_is_written(user):
    from django.db import IntegrityError, transaction

    before = AuditEntry.objects.count()  # the user's own creation is audited
    with pytest.raises(IntegrityError), transaction.atomic(), rows.batch():
        rows.insert(_entry())
        rows.insert(_entry(seq=2, hash="c" * 64, actor_label=None))  # NOT NULL
    assert AuditEntry.objects.count() == before
    missing = AuditChainHead(id=999, seq=1, hash="0" * 64)
    missing._state.adding = False
    with pytest.raises(DatabaseError), transaction.atomic(), rows.batch():
        rows.update(missing, ["seq"])


def test_first_reads_what_first_reads_and_goes_with_the_batch(user):
    from django.db import transaction

    def newest():  # type: ignore[no-untyped-def]
        return AuditEntry.objects.filter(lane__lte=5).order_by("-seq")

    rows.insert(_entry(seq=7, hash="d" * 64))
    assert rows.first("test-newest", newest) == newest().first()
    mine = _entry(seq=50, hash="e" * 64)
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), rows.batch():
        rows.insert(mine)
        found = rows.first("test-newest", newest)
    assert found is not None and found.pk == mine.pk and found.after == mine.after
    sent = [q["sql"] for q in ctx.captured_queries if "audit" in q["sql"]]
    if connection.vendor == "postgresql":  # the INSERT and the SELECT in one execute
        assert len(sent) == 1 and "INSERT" in sent[0] and "SELECT" in sent[0]
    else:
        assert len(sent) == 2
