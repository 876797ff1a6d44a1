"""Saving rows on the hot write paths with statements that Django compiled once.

`Model.save()` builds its INSERT anew on every call: the compiler quotes each column, asks each
field for its placeholder and assembles the text, which costs more than running the statement.
`insert(obj)` and `insert_all(objs)` do what `save()` does for new rows of a plain model (pre-save
values, the database preparation of each value, the pks returned, the save signals, `_state`),
but reuse the SQL text that Django's own compiler produced the first time for that model, number
of rows and database. Values are always bound parameters; no SQL text is ever made from a value.

Anything the cached text cannot express falls back to `obj.save()`: a value that is an
expression (F(), Now(), a database default), a field with its own placeholder, a model with
parents (multi-table inheritance) or with columns the database returns besides the pk.
`update(obj, fields)` is the same for `save(update_fields=...)` of an existing row,
`get_by(Model, field=value, ...)` for `filter(...).first()` on exact values of unique columns,
and `first(key, build)` for the first row of a query that never changes.

The statements run on the driver's cursor, with the checks Django makes before each statement
and its translation of the driver's errors, unless something watches the statements (the debug
log, CaptureQueriesContext, an execute_wrapper): then on Django's. Inside `batch()`, on
PostgreSQL, the ones whose answer nobody waits for wait and go to the server together.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connections,
    router,
    transaction,
)
from django.db.models import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    EmailField,
    ForeignKey,
    IntegerField,
    Model,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    Q,
    SmallIntegerField,
    TextField,
)
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)

# The compiled statements, per model, database and shape (row count; lookup or updated
# columns); an insert or update statement is None when the model must go through save().
_SELECTS: dict[tuple[type[Model], str, tuple[str, ...], bool], tuple[Any, ...]] = {}
_INSERTS: dict[tuple[type[Model], str, int], tuple[list[Any], str, bool] | None] = {}
_UPDATES: dict[tuple[type[Model], str, tuple[str, ...]], tuple[list[Any], str] | None] = {}


# Values of these types are never expressions; anything else is asked (a hundred values an
# intake, so the cheap test first).
_PLAIN_TYPES = frozenset(
    {str, int, float, bool, type(None), dt.datetime, dt.date, dt.time, Decimal, UUID, dict, list}
)


def _is_expression(value: Any) -> bool:
    return type(value) not in _PLAIN_TYPES and hasattr(value, "resolve_expression")


# How a field's value is prepared for the database, for the field classes (exactly these, not
# subclasses) and value types whose preparation by Django is known: `get_db_prep_save` then runs
# a chain of a dozen calls that ends in the identity or in one method of the backend. Anything
# else asks the field.
_AS_IS = 1  # str for text, bool for booleans: Django hands them back unchanged
_INTEGER = 2  # an int: the backend's adapt_integerfield_value (psycopg wants typed integers)
_AUTO_PK = 3  # an int pointing at an auto pk: the backend's validate_autopk_value
_DATETIME = 4  # an aware datetime: the backend's adapt_datetimefield_value
_ASK = 0
_KINDS: dict[type, tuple[int, type]] = {
    CharField: (_AS_IS, str),
    TextField: (_AS_IS, str),
    EmailField: (_AS_IS, str),
    BooleanField: (_AS_IS, bool),
    IntegerField: (_INTEGER, int),
    SmallIntegerField: (_INTEGER, int),
    BigIntegerField: (_INTEGER, int),
    PositiveIntegerField: (_INTEGER, int),
    PositiveSmallIntegerField: (_INTEGER, int),
    DateTimeField: (_DATETIME, dt.datetime),
}
_FIELD_KINDS: dict[Any, tuple[int, type, str]] = {}


def _kind(field: Any) -> tuple[int, type, str]:
    known = _FIELD_KINDS.get(field)
    if known is None:
        kind, value_type = _KINDS.get(type(field), (_ASK, object))
        if type(field) is ForeignKey and type(field.target_field) in (AutoField, BigAutoField):
            kind, value_type = _AUTO_PK, int
        known = _FIELD_KINDS[field] = (kind, value_type, field.get_internal_type())
    return known


def prepare_values(fields: Sequence[Any], values: Sequence[Any], connection: Any) -> list[Any]:
    """`[f.get_db_prep_save(v, connection) for f, v in …]`, the same values, in fewer calls."""
    ops = connection.ops
    out = []
    for field, value in zip(fields, values, strict=True):
        kind, value_type, internal = _kind(field)
        if value is None and kind != _ASK:
            out.append(None)  # what each of these fields prepares None into
        elif kind == _ASK or type(value) is not value_type:
            out.append(field.get_db_prep_save(value, connection=connection))
        elif kind == _AS_IS:
            out.append(value)
        elif kind == _INTEGER:
            out.append(ops.adapt_integerfield_value(value, internal))
        elif kind == _AUTO_PK:
            out.append(ops.validate_autopk_value(value))
        elif value.tzinfo is not None:  # _DATETIME; a naive one gets Django's warning
            out.append(ops.adapt_datetimefield_value(value))
        else:
            out.append(field.get_db_prep_save(value, connection=connection))
    return out


# A statement's text with SQLite's ? placeholders, converted once by Django's own conversion.
_QMARK: dict[str, str] = {}


class _Raw:
    """The database driver's cursor, for the statements above: what Django's CursorWrapper adds
    to each execution (the wrapper objects, the %s → ? rewrite of the text on SQLite) cost more
    than running the statement."""

    __slots__ = ("cursor", "sqlite")

    def __init__(self, cursor: Any, sqlite: bool) -> None:
        self.cursor = cursor
        self.sqlite = sqlite

    def execute(self, sql: str, params: Sequence[Any]) -> None:
        if self.sqlite:
            text = _QMARK.get(sql)
            if text is None:
                text = _QMARK[sql] = self.cursor.convert_query(sql)
            sqlite3.Cursor.execute(self.cursor, text, params)
        else:
            self.cursor.execute(sql, params)

    def fetchone(self) -> Any:
        return self.cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self.cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return int(self.cursor.rowcount)


@contextmanager
def _cursor(connection: Any) -> Iterator[Any]:
    """A cursor for one statement: Django's own while anything watches the statements (the debug
    log, CaptureQueriesContext, an execute_wrapper), else the driver's, with the checks that
    Django makes before each statement and its translation of the driver's errors."""
    if connection.execute_wrappers or connection.queries_logged:
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor = connection.create_cursor()
        try:
            yield _Raw(cursor, connection.vendor == "sqlite")
        finally:
            cursor.close()


class _Batch:
    """Statements of one connection waiting to go to PostgreSQL together (see `batch`)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.queue: list[tuple[str, list[Any], Callable[[Any], None]]] = []

    def flush(self) -> None:
        queue, self.queue = self.queue, []
        if not queue:
            return
        # One execute, one round trip: psycopg binds the values on our side (Django's cursor
        # on PostgreSQL is a ClientCursor) and the server answers each statement in turn.
        with self.connection.cursor() as cursor:
            cursor.execute("; ".join(q[0] for q in queue), [v for q in queue for v in q[1]])
            for i, (_sql, _params, done) in enumerate(queue):
                if i:
                    cursor.nextset()
                done(cursor)

    def before_statement(self, execute: Any, sql: str, params: Any, many: bool, ctx: Any) -> Any:
        self.flush()  # anything else that runs sees the rows written before it
        return execute(sql, params, many, ctx)


_BATCHES = threading.local()


def _batch_of(connection: Any) -> _Batch | None:
    return getattr(_BATCHES, connection.alias, None)


@contextmanager
def batch(using: str = "default") -> Iterator[None]:
    """Inside, on PostgreSQL, the INSERTs and UPDATEs of this module whose answer nobody waits
    for are sent together, in one round trip, when the block ends or just before any other
    statement of the connection runs (so every read sees them). The pks are set, and post_save
    sent, at that moment; an error surfaces there too, still inside the caller's transaction.
    Elsewhere (SQLite has no round trips), and inside a batch already, it does nothing."""
    connection = connections[using]
    if (
        connection.vendor != "postgresql"
        or connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")
        or _batch_of(connection) is not None
    ):
        yield
        return
    pending = _Batch(connection)
    setattr(_BATCHES, using, pending)
    try:
        with connection.execute_wrapper(pending.before_statement):
            yield
            pending.flush()
    finally:
        pending.queue.clear()  # what an error left behind: its transaction rolls back
        delattr(_BATCHES, using)


def _run(
    connection: Any, sql: str, params: list[Any], done: Callable[[Any], None], now: bool = False
) -> None:
    """Run one statement and hand its cursor to `done`; in a batch, later (see `batch`), or
    with what waits in it when the caller needs the answer `now`."""
    pending = _batch_of(connection)
    if pending is not None:
        pending.queue.append((sql, params, done))
        if now:
            pending.flush()
        return
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        done(cursor)


def _plain(model: type[Model]) -> bool:
    meta = model._meta
    return (
        not meta.parents
        and not meta.order_with_respect_to
        and meta.auto_field is not None
        and list(meta.db_returning_fields) == [meta.pk]
        and not any(
            hasattr(f, "get_placeholder") or f.has_db_default() for f in meta.local_concrete_fields
        )
    )


def _insert_statement(model: type[Model], alias: str, n: int) -> tuple[list[Any], str, bool] | None:
    """The INSERT of `n` rows of `model` returning their pks, as Django compiles it, or None when
    the model or the database needs save()'s own path."""
    key = (model, alias, n)
    if key not in _INSERTS:
        connection = connections[alias]
        statement = None
        if _plain(model) and (n == 1 or connection.features.can_return_rows_from_bulk_insert):
            meta = model._meta
            fields = [
                f
                for f in meta.local_concrete_fields
                if not f.generated and f is not meta.auto_field
            ]
            # Compiled from blank instances, so that every value is a bound parameter.
            query = InsertQuery(model)
            query.insert_values(fields, [model() for _ in range(n)])
            compiler = query.get_compiler(using=alias)
            compiler.returning_fields = [meta.pk]
            ((sql, params),) = compiler.as_sql()
            if len(params) == n * len(fields):
                statement = (fields, sql, False)
            elif n > 1 and len(params) == len(fields) and all(isinstance(p, list) for p in params):
                # PostgreSQL's INSERT … SELECT * FROM UNNEST(%s::type[], …): one array a column.
                statement = (fields, sql, True)
        _INSERTS[key] = statement
    return _INSERTS[key]


def insert(obj: M, *, using: str | None = None) -> M:
    """Save a new `obj` (no pk yet) as one INSERT … RETURNING its pk; return it."""
    insert_all([obj], using=using)
    return obj


def _save_compiled(obj: Model, alias: str) -> None:
    # The rest of save() after its pre_save signal: Django compiles this INSERT itself.
    obj._save_table(cls=type(obj), force_insert=True, using=alias)
    _saved(obj, alias)


def _bound(obj: Model, fields: list[Any], alias: str, connection: Any) -> list[Any] | None:
    """What save() does before its INSERT (related objects checked, pre_save sent, pre-save
    values), then the values prepared for the database; None when a pre_save receiver set an
    expression after all (the caller then leaves the row to Django's compiler)."""
    obj._prepare_related_fields_for_save(operation_name="save")
    pre_save.send(sender=type(obj), instance=obj, raw=False, using=alias, update_fields=None)
    values = [f.pre_save(obj, True) for f in fields]
    if any(_is_expression(v) for v in values):
        return None
    return prepare_values(fields, values, connection)


def _saved(obj: Model, alias: str, pk: Any = None) -> None:
    """What save() does after its INSERT: the pk, `_state`, post_save."""
    model = type(obj)
    if pk is not None:
        setattr(obj, model._meta.pk.attname, pk)
    obj._state.adding = False
    obj._state.db = alias
    post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=alias
    )


BULK_FROM = 20


def insert_all(objs: Sequence[Model], *, using: str | None = None) -> list[Model]:
    """Save new `objs` of one model (no pks yet) as one INSERT of them all, returning their pks;
    from BULK_FROM rows on through bulk_create (a statement per row count is not worth keeping
    for big batches). Signals as save() sends them, for each row."""
    if not objs:
        return []
    model = type(objs[0])
    if len(objs) >= BULK_FROM:
        return model._base_manager.using(using).bulk_create(objs)  # type: ignore[return-value]
    alias = using or router.db_for_write(model, instance=objs[0])
    statement = _insert_statement(model, alias, len(objs))
    if statement is None or any(o.pk is not None or type(o) is not model for o in objs):
        for obj in objs:
            obj.save(force_insert=True, using=alias)
        return list(objs)
    fields = statement[0]
    if any(_is_expression(getattr(o, f.attname)) for o in objs for f in fields):
        for obj in objs:  # a value the cached text cannot bind: Django compiles these
            obj.save(force_insert=True, using=alias)
        return list(objs)
    connection = connections[alias]
    saving: list[Model] = []
    rows: list[list[Any]] = []
    for obj in objs:
        row = _bound(obj, fields, alias, connection)
        if row is None:
            _save_compiled(obj, alias)
            continue
        saving.append(obj)
        rows.append(row)
    if saving:
        statement = _insert_statement(model, alias, len(saving))
        assert statement is not None  # the same model and database as above
        _fields, sql, by_column = statement
        params = (
            [list(column) for column in zip(*rows, strict=True)]
            if by_column
            else [value for row in rows for value in row]
        )

        def done(cursor: Any) -> None:
            pks = [row[0] for row in cursor.fetchall()]
            if len(pks) != len(saving):  # pragma: no cover - RETURNING answers a row per row
                raise DatabaseError(f"INSERT INTO {model._meta.db_table} returned {len(pks)} rows")
            for obj, pk in zip(saving, pks, strict=True):
                _saved(obj, alias, pk)

        _run(connection, sql, params, done)
    return list(objs)


_UNLESS_TAKEN: dict[tuple[type[Model], str, tuple[str, ...]], str] = {}


def insert_unless_taken(obj: Model, columns: Sequence[str], *, using: str | None = None) -> bool:
    """Save a new `obj` unless a row already holds its values of the unique `columns`; return
    whether it was saved. On SQLite and PostgreSQL one statement (INSERT … ON CONFLICT (columns)
    DO NOTHING RETURNING the pk), so that a caller drawing random codes needs no savepoint to
    try again; elsewhere, or for what `insert` leaves to the ORM, a savepoint around save().
    pre_save is sent for each try, post_save for the one saved."""
    model = type(obj)
    alias = using or router.db_for_write(model, instance=obj)
    connection = connections[alias]
    statement = _insert_statement(model, alias, 1)
    fields = statement[0] if statement is not None else []
    if (
        statement is None
        or connection.vendor not in ("sqlite", "postgresql")
        or obj.pk is not None
        or any(_is_expression(getattr(obj, f.attname)) for f in fields)
    ):
        return _save_unless_taken(obj, columns, alias)
    key = (model, alias, tuple(columns))
    if key not in _UNLESS_TAKEN:
        head, returning, tail = statement[1].rpartition(" RETURNING ")
        if not returning:  # pragma: no cover - both databases return the pk
            return _save_unless_taken(obj, columns, alias)
        qn = connection.ops.quote_name
        target = ", ".join(qn(model._meta.get_field(c).column) for c in columns)
        _UNLESS_TAKEN[key] = f"{head} ON CONFLICT ({target}) DO NOTHING RETURNING {tail}"
    params = _bound(obj, fields, alias, connection)
    if params is None:
        return _save_unless_taken(obj, columns, alias, signalled=True)
    found: list[Any] = []
    _run(connection, _UNLESS_TAKEN[key], params, lambda c: found.append(c.fetchone()), now=True)
    row = found[0]
    if row is None:
        return False
    _saved(obj, alias, row[0])
    return True


def _save_unless_taken(
    obj: Model, columns: Sequence[str], alias: str, signalled: bool = False
) -> bool:
    model = type(obj)
    try:
        with transaction.atomic(using=alias):
            if signalled:
                _save_compiled(obj, alias)
            else:
                obj.save(force_insert=True, using=alias)
    except IntegrityError:
        taken = {c: getattr(obj, model._meta.get_field(c).attname) for c in columns}
        if model._base_manager.using(alias).filter(**taken).exists():
            return False
        raise
    return True


def get_by(
    model: type[M], *, for_update: bool = False, using: str | None = None, **exact: Any
) -> M | None:
    """`model.objects.filter(**exact).first()` without the ORDER BY, for a lookup that matches at
    most one row (a pk or a unique set of columns), with `select_for_update()` if asked. The
    values must be plain column values (pks, not instances); None (which would need IS NULL)
    goes through the ORM."""
    if using is None:
        using = router.db_for_write(model) if for_update else router.db_for_read(model)
    manager = model._base_manager.using(using)
    names = tuple(sorted(exact))
    if any(exact[n] is None for n in names):
        qs = manager.filter(**exact)
        return (qs.select_for_update() if for_update else qs).first()
    key = (model, using, names, for_update)
    if key not in _SELECTS:
        qs = manager.filter(**exact)
        if for_update:
            qs = qs.select_for_update()
        sql, _params, columns, converters = _compiled_select(qs, using)
        lookups = [model._meta.get_field(n) for n in names]
        _SELECTS[key] = (lookups, columns, converters, sql)
    lookups, columns, converters, sql = _SELECTS[key]
    connection = connections[using]
    if for_update and connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    params = [
        f.get_db_prep_value(f.get_prep_value(exact[n]), connection, prepared=True)
        for f, n in zip(lookups, names, strict=True)
    ]
    return _read_one(connection, model, using, sql, params, columns, converters)


def _compiled_select(qs: Any, using: str) -> tuple[str, list[Any], list[str], list[Any]]:
    compiler = qs[:1].query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    selected = [expr for expr, _sql, _alias in compiler.select]
    columns = [expr.target.attname for expr in selected]
    converters = [
        (i, convert, expr)
        for i, (funcs, expr) in compiler.get_converters(selected).items()
        for convert in funcs
    ]
    return sql, list(params), columns, converters


def _read_one(
    connection: Any,
    model: type[M],
    using: str,
    sql: str,
    params: list[Any],
    columns: list[str],
    converters: list[Any],
) -> M | None:
    found: list[Any] = []
    _run(connection, sql, params, lambda cursor: found.append(cursor.fetchone()), now=True)
    row = found[0]
    if row is None:
        return None
    values = list(row)
    for i, convert, expr in converters:
        values[i] = convert(values[i], expr, connection)
    return model.from_db(using, columns, values)


_FIRSTS: dict[tuple[Any, str], tuple[type[Model], str, list[Any], list[str], list[Any]]] = {}


def first(key: Any, build: Callable[[], Any], *, using: str | None = None) -> Any:
    """`build().first()` for a query that never changes (no value from outside in it), compiled
    once per `key` and database; in a batch, sent with what waits there (one round trip)."""
    using = using or DEFAULT_DB_ALIAS
    entry = _FIRSTS.get((key, using))
    if entry is None:
        qs = build().using(using)
        if not qs.ordered:
            qs = qs.order_by("pk")  # what first() does
        sql, params, columns, converters = _compiled_select(qs, using)
        entry = _FIRSTS[(key, using)] = (qs.model, sql, params, columns, converters)
    model, sql, params, columns, converters = entry
    connection = connections[using]
    if " FOR UPDATE" in sql and connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    return _read_one(connection, model, using, sql, list(params), columns, converters)


def _update_statement(
    obj: Model, alias: str, names: tuple[str, ...]
) -> tuple[list[Any], str] | None:
    model = type(obj)
    key = (model, alias, names)
    if key not in _UPDATES:
        meta = model._meta
        fields = [meta.get_field(n) for n in names]
        if meta.parents or any(
            hasattr(f, "get_placeholder") or f.primary_key or f.generated or not f.concrete
            for f in fields
        ):
            _UPDATES[key] = None
        else:
            query = UpdateQuery(model)
            query.add_update_fields([(f, None, getattr(obj, f.attname)) for f in fields])
            query.add_q(Q(pk=obj.pk))
            sql, _params = query.get_compiler(using=alias).as_sql()
            _UPDATES[key] = (fields, sql)
    return _UPDATES[key]


def update(obj: Model, fields: Sequence[str], *, using: str | None = None) -> None:
    """`obj.save(update_fields=fields)` for a row that exists: one UPDATE … WHERE pk, raising
    DatabaseError when no row matched, as save() does."""
    model = type(obj)
    alias = using or obj._state.db or router.db_for_write(model, instance=obj)
    statement = _update_statement(obj, alias, tuple(fields))
    if statement is None or any(_is_expression(getattr(obj, n)) for n in fields):
        obj.save(update_fields=fields, using=alias)
        return
    columns, sql = statement
    update_fields = frozenset(fields)
    pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=update_fields)
    connection = connections[alias]
    params = prepare_values(columns, [f.pre_save(obj, False) for f in columns], connection)
    params.append(model._meta.pk.get_db_prep_value(obj.pk, connection))

    def done(cursor: Any) -> None:
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")
        post_save.send(
            sender=model,
            instance=obj,
            created=False,
            update_fields=update_fields,
            raw=False,
            using=alias,
        )

    _run(connection, sql, params, done)
