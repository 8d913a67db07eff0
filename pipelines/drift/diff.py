"""The structural diff between a live schema and an entity graph (both in the
normal form of schema.py), keyed by names, each change with its risk class, and
a stable fingerprint of the change set.

Risk classes:
- `additive`: nothing existing can break or be lost (new table, nullable column,
  column with a default, index, widening type, dropping NOT NULL / an index).
- `tightening`: existing rows may not fit (NOT NULL, new unique, narrower type,
  new foreign key, new primary key, NOT NULL column without default): needs a
  backfill or a check, and the migration validates it.
- `destructive`: data is lost (drop table or column, a type change across
  families, dropping a primary key).

A dropped and an added column of the same type in one table (or a dropped and
an added table with the same columns) are flagged `possible_rename`: never
guessed silently.
"""

import hashlib
import json
from dataclasses import dataclass, field

from pipelines.drift.schema import default_label, fk_key
from pipelines.drift.types import change_kind, parse_type

ADDITIVE, TIGHTENING, DESTRUCTIVE = "additive", "tightening", "destructive"
RISKS = (ADDITIVE, TIGHTENING, DESTRUCTIVE)


@dataclass
class Change:
    kind: str  # add_table, drop_table, add_column, drop_column, alter_type, ...
    table: str
    name: str = ""  # column, index or foreign key (its key)
    risk: str = ADDITIVE
    before: object = None
    after: object = None
    note: str = ""
    possible_rename: str = ""
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "table": self.table,
            "name": self.name,
            "risk": self.risk,
            "before": self.before,
            "after": self.after,
            "note": self.note,
            "possible_rename": self.possible_rename,
        }

    @property
    def summary(self) -> str:
        return change_summary(self.as_json())


def change_summary(change: dict) -> str:
    """One line a reviewer reads: "add column orders.note (text, nullable)"."""
    kind, table, name = change["kind"], change["table"], change["name"]
    before, after = change["before"], change["after"]
    where = f"{table}.{name}" if name else table
    words = {
        "add_table": lambda: f"create table {table}",
        "drop_table": lambda: f"drop table {table}",
        "add_column": lambda: f"add column {where} ({_column_label(after)})",
        "drop_column": lambda: f"drop column {where} ({_column_label(before)})",
        "alter_type": lambda: f"change type of {where}: {before} → {after}",
        "set_not_null": lambda: f"make {where} NOT NULL",
        "drop_not_null": lambda: f"make {where} nullable",
        "set_default": lambda: (
            f"set default of {where}: {default_label(before) or 'none'} → "
            f"{default_label(after)}"
        ),
        "drop_default": lambda: f"drop default of {where} ({default_label(before)})",
        "add_unique": lambda: f"make {where} unique",
        "drop_unique": lambda: f"drop unique on {where}",
        "add_index": lambda: (
            f"create {'unique ' if (after or {}).get('unique') else ''}index "
            f"{name} on {table} ({', '.join((after or {}).get('fields', []))})"
        ),
        "drop_index": lambda: f"drop index {name} on {table}",
        "add_fk": lambda: f"add foreign key {table}{name}",
        "drop_fk": lambda: f"drop foreign key {table}{name}",
        "add_pk": lambda: f"set primary key of {table} ({', '.join(after or [])})",
        "drop_pk": lambda: f"drop primary key of {table} ({', '.join(before or [])})",
    }
    text = words[kind]() if kind in words else f"{kind} {where}"
    if change.get("possible_rename"):
        text += f" — possible rename of {change['possible_rename']}"
    return text


def _column_label(column: dict | None) -> str:
    if not column:
        return ""
    parts = [column["type"], "nullable" if column["nullable"] else "NOT NULL"]
    if column.get("default"):
        parts.append(f"default {default_label(column['default'])}")
    return ", ".join(parts)


def _pk(entity: dict) -> list[str]:
    return [f["name"] for f in entity["fields"] if f["primary_key"]]


def _column_changes(table: str, old: dict, new: dict) -> list[Change]:
    name, changes = new["name"], []
    if old["type"] != new["type"]:
        how = change_kind(parse_type(old["type"]), parse_type(new["type"]))
        risk = {"widen": ADDITIVE, "narrow": TIGHTENING}.get(how, DESTRUCTIVE)
        note = {
            "widen": "wider type: every value fits",
            "narrow": "narrower type: values that do not fit make the migration fail",
        }.get(how, "values are cast to the new type and may be lost")
        changes.append(
            Change("alter_type", table, name, risk, old["type"], new["type"], note)
        )
    if old["default"] != new["default"]:
        if new["default"] is None:
            changes.append(
                Change("drop_default", table, name, ADDITIVE, old["default"])
            )
        else:
            changes.append(
                Change(
                    "set_default", table, name, ADDITIVE, old["default"], new["default"]
                )
            )
    if old["nullable"] and not new["nullable"] and not new["primary_key"]:
        changes.append(
            Change(
                "set_not_null",
                table,
                name,
                TIGHTENING,
                note="rows with NULL must be backfilled first",
            )
        )
    elif not old["nullable"] and new["nullable"]:
        changes.append(Change("drop_not_null", table, name, ADDITIVE))
    if not old["unique"] and new["unique"]:
        changes.append(
            Change(
                "add_unique", table, name, TIGHTENING, note="duplicates make it fail"
            )
        )
    elif old["unique"] and not new["unique"]:
        changes.append(Change("drop_unique", table, name, ADDITIVE))
    return changes


def schema_diff(live: dict, graph: dict) -> list[Change]:
    """What must change in `live` to make it `graph`, in a stable order."""
    before = {e["name"]: e for e in live["entities"]}
    after = {e["name"]: e for e in graph["entities"]}
    changes: list[Change] = []
    added_tables = [n for n in after if n not in before]
    dropped_tables = [n for n in before if n not in after]
    for name in sorted(added_tables):
        changes.append(Change("add_table", name, risk=ADDITIVE, after=after[name]))
    for name in sorted(dropped_tables):
        changes.append(
            Change(
                "drop_table",
                name,
                risk=DESTRUCTIVE,
                before=before[name],
                note="every row of the table is lost",
            )
        )
    _flag_table_renames(changes, before, after)
    for name in sorted(set(before) & set(after)):
        changes.extend(_entity_changes(before[name], after[name]))
    return changes


def _signature(entity: dict) -> tuple:
    return tuple(sorted((f["name"], f["type"]) for f in entity["fields"]))


def _flag_table_renames(changes: list[Change], before: dict, after: dict) -> None:
    added = [c for c in changes if c.kind == "add_table"]
    dropped = [c for c in changes if c.kind == "drop_table"]
    for drop in dropped:
        for add in added:
            if _signature(before[drop.table]) == _signature(after[add.table]):
                drop.possible_rename = f"{drop.table} → {add.table}"
                add.possible_rename = f"{drop.table} → {add.table}"


def _entity_changes(old: dict, new: dict) -> list[Change]:
    table, changes = new["name"], []
    old_fields = {f["name"]: f for f in old["fields"]}
    new_fields = {f["name"]: f for f in new["fields"]}
    # Keys that go away go first (a dropped FK before a dropped column).
    old_fks = {fk_key(k): k for k in old["foreign_keys"]}
    new_fks = {fk_key(k): k for k in new["foreign_keys"]}
    for key in sorted(old_fks):
        theirs = new_fks.get(key)
        if theirs is None or theirs["on_delete"] != old_fks[key]["on_delete"]:
            changes.append(Change("drop_fk", table, key, ADDITIVE, before=old_fks[key]))
    old_indexes = {i["name"]: i for i in old["indexes"]}
    new_indexes = {i["name"]: i for i in new["indexes"]}
    for name in sorted(old_indexes):
        theirs = new_indexes.get(name)
        if theirs is None or (theirs["fields"], theirs["unique"]) != (
            old_indexes[name]["fields"],
            old_indexes[name]["unique"],
        ):
            changes.append(
                Change("drop_index", table, name, ADDITIVE, before=old_indexes[name])
            )
    if _pk(old) != _pk(new) and _pk(old):
        changes.append(
            Change(
                "drop_pk",
                table,
                risk=DESTRUCTIVE,
                before=_pk(old),
                note="rows are no longer identified by it",
            )
        )
    added = [n for n in new_fields if n not in old_fields]
    dropped = [n for n in old_fields if n not in new_fields]
    column_adds = []
    for name in added:
        column = new_fields[name]
        tight = not column["nullable"] and column["default"] is None
        column_adds.append(
            Change(
                "add_column",
                table,
                name,
                TIGHTENING if tight else ADDITIVE,
                after=column,
                note="NOT NULL without a default: existing rows need a backfill"
                if tight
                else "",
            )
        )
    column_drops = [
        Change(
            "drop_column",
            table,
            name,
            DESTRUCTIVE,
            before=old_fields[name],
            note="the column's values are lost",
        )
        for name in dropped
    ]
    for drop in column_drops:
        for add in column_adds:
            if drop.before["type"] == add.after["type"]:
                drop.possible_rename = f"{table}.{drop.name} → {table}.{add.name}"
                add.possible_rename = drop.possible_rename
    changes.extend(column_adds)
    for name in new_fields:
        if name in old_fields:
            changes.extend(_column_changes(table, old_fields[name], new_fields[name]))
    # New unique columns among added columns are part of add_column.
    if _pk(old) != _pk(new) and _pk(new):
        changes.append(
            Change(
                "add_pk",
                table,
                risk=TIGHTENING,
                after=_pk(new),
                note="duplicates or NULLs make it fail",
            )
        )
    for name in sorted(new_indexes):
        theirs = old_indexes.get(name)
        mine = new_indexes[name]
        if theirs is None or (theirs["fields"], theirs["unique"]) != (
            mine["fields"],
            mine["unique"],
        ):
            changes.append(
                Change(
                    "add_index",
                    table,
                    name,
                    TIGHTENING if mine["unique"] else ADDITIVE,
                    after=mine,
                    note="duplicates make it fail" if mine["unique"] else "",
                )
            )
    for key in sorted(new_fks):
        theirs = old_fks.get(key)
        if theirs is None or theirs["on_delete"] != new_fks[key]["on_delete"]:
            changes.append(
                Change(
                    "add_fk",
                    table,
                    key,
                    TIGHTENING,
                    after=new_fks[key],
                    note="rows without a match make it fail",
                )
            )
    changes.extend(column_drops)
    return changes


def fingerprint(changes: list[Change]) -> str:
    """sha256 of the change set in canonical JSON: the same drift, the same
    fingerprint, whichever order or process computed it ("" for no drift)."""
    if not changes:
        return ""
    canonical = json.dumps(
        [c.as_json() for c in changes],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def risk_of(changes: list[Change] | list[dict]) -> str:
    """The worst risk of the set ("" for none)."""
    risks = {c["risk"] if isinstance(c, dict) else c.risk for c in changes}
    for risk in reversed(RISKS):
        if risk in risks:
            return risk
    return ""


def risk_counts(changes: list[dict]) -> dict[str, int]:
    return {risk: sum(1 for c in changes if c["risk"] == risk) for risk in RISKS}
