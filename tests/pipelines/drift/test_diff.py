"""The structural diff: each kind of change, its risk class, possible renames,
a stable fingerprint."""

import copy
import json

from pipelines.drift.diff import fingerprint, risk_of, schema_diff
from tests.pipelines.drift.conftest import LIVE, graph_with, normal


def kinds(changes):
    return [(c.kind, c.table, c.name, c.risk) for c in changes]


def test_no_drift_for_the_same_schema():
    assert schema_diff(normal(LIVE), normal(LIVE)) == []
    assert fingerprint([]) == ""


def test_additive_changes():
    changes = schema_diff(normal(LIVE), normal(graph_with()))
    assert kinds(changes) == [
        ("add_table", "refunds", "", "additive"),
        ("add_column", "orders", "coupon", "additive"),
        ("add_index", "orders", "orders_coupon_idx", "additive"),
    ]
    assert risk_of(changes) == "additive"


def test_tightening_and_destructive_changes():
    changes = schema_diff(
        normal(LIVE),
        normal(graph_with(additive=False, tightening=True, destructive=True)),
    )
    assert kinds(changes) == [
        ("set_not_null", "customers", "nickname", "tightening"),
        ("drop_column", "customers", "legacy_code", "destructive"),
    ]
    assert risk_of(changes) == "destructive"


def test_type_changes_are_classified_by_what_they_can_lose():
    graph = copy.deepcopy(LIVE)
    fields = {f["name"]: f for f in graph["entities"][0]["fields"]}
    fields["email"]["max_length"] = 500  # wider
    fields["nickname"]["type"] = "varchar(10)"  # narrower
    fields["legacy_code"]["type"] = "uuid"  # another family
    changes = {c.name: c for c in schema_diff(normal(LIVE), normal(graph))}
    assert changes["email"].risk == "additive"
    assert changes["nickname"].risk == "tightening"
    assert changes["legacy_code"].risk == "destructive"
    assert (
        changes["legacy_code"].before == "integer"
        and changes["legacy_code"].after == "uuid"
    )


def test_new_unique_and_foreign_key_are_tightening_and_dropping_them_additive():
    graph = copy.deepcopy(LIVE)
    graph["entities"][0]["fields"][2]["unique"] = True
    graph["entities"][0]["fields"][1]["unique"] = False
    graph["entities"][1]["foreign_keys"] = []
    changes = kinds(schema_diff(normal(LIVE), normal(graph)))
    assert ("add_unique", "customers", "nickname", "tightening") in changes
    assert ("drop_unique", "customers", "email", "additive") in changes
    assert ("drop_fk", "orders", "(customer_id)->customers(id)", "additive") in changes


def test_drop_and_add_of_the_same_type_is_flagged_as_a_possible_rename():
    graph = copy.deepcopy(LIVE)
    graph["entities"][0]["fields"][3]["name"] = "code"  # legacy_code -> code
    changes = schema_diff(normal(LIVE), normal(graph))
    assert {(c.kind, c.possible_rename) for c in changes} == {
        ("add_column", "customers.legacy_code → customers.code"),
        ("drop_column", "customers.legacy_code → customers.code"),
    }
    assert "possible rename" in changes[0].summary


def test_a_renamed_table_is_flagged_too():
    graph = copy.deepcopy(LIVE)
    graph["entities"][0]["name"] = "clients"
    graph["entities"][1]["foreign_keys"][0]["references"]["entity"] = "clients"
    changes = [c for c in schema_diff(normal(LIVE), normal(graph)) if "table" in c.kind]
    assert {c.possible_rename for c in changes} == {"customers → clients"}


def test_fingerprint_is_stable_and_follows_the_change_set():
    live, graph = normal(LIVE), normal(graph_with(tightening=True))
    first = fingerprint(schema_diff(live, graph))
    again = fingerprint(
        schema_diff(json.loads(json.dumps(live)), json.loads(json.dumps(graph)))
    )
    assert first == again and len(first) == 64
    other = fingerprint(schema_diff(live, normal(graph_with())))
    assert other != first
