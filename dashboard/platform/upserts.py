"""One result type for every write that may create, change or leave a row alone
(idempotent upserts, redelivered webhooks, operator commands run twice)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

T = TypeVar("T")

Status = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class Upserted(Generic[T]):
    """What a write did (`status`) to which row (`obj`)."""

    obj: T
    status: Status

    @property
    def created(self) -> bool:
        return self.status == "created"

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


# The INSERT statement of each (model, conflict column, database, with a pk),
# built once per process: a webhook delivery should not rebuild it every time.
_INSERTS: dict[tuple, tuple[str, list]] = {}


def insert_unless_present(
    obj: models.Model, *, conflict: str | None = None
) -> int | None:
    """INSERT `obj` unless it collides with a row already there (on the unique
    column `conflict`, or on any unique constraint when None): one statement
    (`INSERT … ON CONFLICT DO NOTHING RETURNING pk`), no savepoint and no SELECT
    first. The new primary key (also set on `obj`, now saved), or None when the
    row was there already. Field defaults and auto_now(_add) apply as in save();
    no signals are sent."""
    model = type(obj)
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    with_pk = obj.pk is not None
    key = (model, conflict, connection.alias, with_pk)
    statement = _INSERTS.get(key)
    if statement is None:
        quote = connection.ops.quote_name
        fields = [
            f
            for f in meta.concrete_fields
            if not (f.primary_key and not with_pk)
            and not getattr(f, "generated", False)
        ]
        target = f"({quote(meta.get_field(conflict).column)})" if conflict else ""
        # Identifiers only from the model's own metadata, quoted; values as params.
        sql = (
            f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608  # nosec B608
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT {target} DO NOTHING "
            f"RETURNING {quote(meta.pk.column)}"
        )
        _INSERTS[key] = statement = (sql, fields)
    sql, fields = statement
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return None
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj.pk


# Constant strings written into a statement as they are: no quote, backslash or
# `%` (the driver's placeholder) can be among these characters.
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_ .:-]*")


def _sql_literal(value: object) -> str | None:
    """The SQL literal of a constant default (NULL, an integer, plain text), or
    None when it has to stay a parameter."""
    if value is None:
        return "NULL"
    # Subclasses too: the driver's Int4, a TextChoices member; never a bool.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str) and _PLAIN_TEXT.fullmatch(value):
        return f"'{str.__str__(value)}'"
    return None


def insert_values_unless_present(
    model: type[models.Model], values: dict[str, object], *, conflict: str
) -> int | None:
    """insert_unless_present() for a row given as {attname: value}, values the
    database driver takes as they are (str, int, bytes, aware datetimes): no
    model instance, no per-field preparation, the statement built once. Fields
    not in `values` get their defaults (auto_now(_add): now). The new primary
    key, or None when the row was there already."""
    connection = connections[router.db_for_write(model)]
    key = (model, conflict, connection.alias, tuple(values))
    statement = _INSERTS.get(key)
    if statement is None:
        meta = model._meta
        quote = connection.ops.quote_name
        fields = [
            f
            for f in meta.concrete_fields
            if not f.primary_key and not getattr(f, "generated", False)
        ]
        # Per field: its name in `values`, or how to make its value.
        fill: list[tuple[str | None, Callable[[BaseDatabaseWrapper], object]]] = []
        # Per field: its placeholder, or the SQL literal of a constant default.
        slots: list[str] = []
        for f in fields:
            if f.attname in values:
                fill.append((f.attname, None))
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                fill.append((None, lambda _connection: timezone.now()))
            elif f.has_default() and callable(f.default):
                fill.append(
                    (None, lambda c, f=f: f.get_db_prep_save(f.get_default(), c))
                )
            else:  # a constant default, prepared once
                constant = f.get_db_prep_save(f.get_default(), connection)
                literal = _sql_literal(constant)
                if literal is not None:  # written into the statement: no parameter
                    slots.append(literal)
                    continue
                fill.append((None, lambda _connection, constant=constant: constant))
            slots.append("%s")
        # Identifiers only from the model's own metadata, quoted; values as
        # params (constants of _sql_literal's few safe shapes inline).
        sql = (
            f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608  # nosec B608
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(slots)}) "
            f"ON CONFLICT ({quote(meta.get_field(conflict).column)}) DO NOTHING "
            f"RETURNING {quote(meta.pk.column)}"
        )
        _INSERTS[key] = statement = (sql, fill)
    sql, fill = statement
    params = [values[name] if name else make(connection) for name, make in fill]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else row[0]
