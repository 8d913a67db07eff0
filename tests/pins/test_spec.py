"""The pins file: what is accepted, what is refused and why, the published
JSON Schema agreeing with the parser, versions by content."""

import json

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pipelines.pins.spec import (
    JSON_SCHEMA,
    PinsFileError,
    content_hash,
    git_blob_sha,
    pins_dump,
    pins_parse,
    spec_of,
)

EXAMPLE = """
pins:
  - id: checkout-summary            # stable id, unique in the repository
    kind: prompt
    model: openai/gpt-4.1-2025-04-14
    prompt: prompts/checkout-summary.md
    params: {temperature: 0.2, max_tokens: 800}
    owners: [payments-reviewers]
    rollout: {stages: [5, 25, 50, 100], hold: 30m, guard_slo: checkout-latency, max_burn: 2}
  - id: fraud-model
    kind: model
    model: anthropic/claude-3-5-sonnet@20241022
"""


def refused(text: str) -> list[str]:
    with pytest.raises(PinsFileError) as caught:
        pins_parse(text)
    return caught.value.errors


def test_the_issue_example_is_read_as_written():
    pins = pins_parse(EXAMPLE)
    pin = pins["checkout-summary"]
    assert pin.kind == "prompt"
    assert pin.model == "openai/gpt-4.1-2025-04-14"
    assert pin.prompt == "prompts/checkout-summary.md"
    assert pin.params == {"max_tokens": 800, "temperature": 0.2}
    assert pin.owners == ("payments-reviewers",)
    assert pin.rollout == {
        "stages": [5, 25, 50, 100],
        "hold": "30m",
        "guard_slo": "checkout-latency",
        "max_burn": 2,
    }
    assert pins["fraud-model"].model == "anthropic/claude-3-5-sonnet@20241022"


@pytest.mark.parametrize(
    "model",
    [
        "openai/gpt-4o-latest",
        "openai/latest",
        "anthropic/claude-3-5-sonnet@latest",
        "ollama/llama3:latest",
        "openai/GPT-4-LATEST",
    ],
)
def test_latest_aliases_are_refused_with_the_reason(model):
    errors = refused(f"pins:\n  - {{id: a, kind: model, model: '{model}'}}\n")
    assert any("'latest' alias" in e for e in errors), errors
    assert not _schema_accepts(
        yaml.safe_load(f"pins: [{{id: a, kind: model, model: '{model}'}}]")
    )


def test_a_model_without_a_fixed_version_is_refused():
    errors = refused("pins: [{id: a, kind: model, model: openai/gpt-4o}]")
    assert errors == [
        "pin 'a'.model: 'openai/gpt-4o' names no fixed version; add its date "
        "(provider/model-YYYY-MM-DD) or @version"
    ]


def test_every_problem_is_listed_with_where_it_is():
    errors = refused(
        """
pins:
  - id: Bad Id
    kind: prompt
  - id: ok
    kind: banana
    colour: red
  - id: ok2
    kind: prompt
    prompt: ../etc/passwd
    params: {temperature: 3, max_tokens: 0}
    rollout: {stages: [5, 500], hold: soon, max_burn: -1}
  - id: ok3
    kind: model
  - id: ok3
    kind: model
    model: openai/gpt-4.1-2025-04-14
  - id: ok3
    kind: model
    model: openai/gpt-4.1-2025-04-14
extra: 1
"""
    )
    text = "\n".join(errors)
    for expected in [
        "Unknown top-level field(s) extra",
        "pins[0].id must be lowercase",
        "pin 'ok'.kind must be one of prompt, model, generator, got 'banana'",
        "pin 'ok' has unknown field(s) colour",
        "pin 'ok2'.prompt must be a relative path",
        "pin 'ok2'.params.temperature must be a number from 0 to 2",
        "pin 'ok2'.params.max_tokens must be a whole number",
        "pin 'ok2'.rollout.stages must be 1–20 whole percentages",
        "pin 'ok2'.rollout.hold must be a duration",
        "pin 'ok2'.rollout.max_burn must be a number above 0",
        "pin 'ok3' is a model pin without a model",
        "pin id 'ok3' appears more than once",
    ]:
        assert expected in text, (expected, errors)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pins: [", "not YAML"),
        ("- a\n- b\n", "must be a mapping"),
        ("pins: {a: 1}", "'pins' must be a list"),
        ('pins: [{id: a, kind: prompt, prompt: "p\\0.md"}]', "relative path"),
        ('pins: [{id: a, kind: generator, owners: ["a\\0"]}]', "owners must be"),
        (
            "pins: [{id: a, kind: model, model: openai/gpt-4.1-2025-04-14, params: {t: .nan}}]",
            "finite",
        ),
    ],
)
def test_unreadable_files_say_why(text, expected):
    assert any(expected in e for e in refused(text))


def test_an_empty_file_has_no_pins():
    assert pins_parse("") == {}
    assert pins_parse("pins: []\n") == {}


def _schema_accepts(document) -> bool:
    try:
        jsonschema.validate(document, JSON_SCHEMA)
    except jsonschema.ValidationError:
        return False
    return True


def test_the_published_schema_accepts_what_the_parser_accepts():
    jsonschema.Draft202012Validator.check_schema(JSON_SCHEMA)
    assert _schema_accepts(yaml.safe_load(EXAMPLE))
    for bad in [
        "pins: [{id: a, kind: prompt}]",  # a prompt pin needs its file
        "pins: [{id: a, kind: model, model: openai/gpt-4.1-2025-04-14, colour: 1}]",
        "pins: [{id: a, kind: model, model: openai/gpt-4.1-2025-04-14, rollout: {stages: [101]}}]",
    ]:
        assert not _schema_accepts(yaml.safe_load(bad)), bad
        refused(bad)


def test_writing_the_pins_back_reads_the_same():
    pins = pins_parse(EXAMPLE)
    assert pins_parse(pins_dump(list(pins.values()))) == pins


def test_the_version_is_the_entry_and_the_prompt_blob():
    pin = pins_parse(EXAMPLE)["checkout-summary"]
    base = content_hash(pin, "a" * 40)
    assert content_hash(pin, "a" * 40) == base
    assert content_hash(pin, "b" * 40) != base  # the prompt text changed
    warmer = spec_of(
        {**pin.as_json(), "params": {"temperature": 0.3, "max_tokens": 800}}
    )
    assert content_hash(warmer, "a" * 40) != base


def test_git_blob_sha_is_gits():
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_sha(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


@given(st.text(max_size=400))
def test_any_text_is_pins_or_a_pins_file_error(text):
    try:
        pins = pins_parse(text)
    except PinsFileError as exc:
        assert exc.errors and all(isinstance(e, str) and e for e in exc.errors)
    else:
        assert all(json.dumps(p.as_json()) for p in pins.values())


entries = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True),
        "kind": st.sampled_from(["prompt", "model", "generator"]),
        "model": st.sampled_from(
            ["openai/gpt-4.1-2025-04-14", "openai/gpt-4o-latest", "x/y", "a/b@v1"]
        ),
        "prompt": st.sampled_from(["p.md", "../up.md", "/abs.md"]),
        "params": st.dictionaries(
            st.sampled_from(["temperature", "max_tokens", "top_p"]),
            st.one_of(st.integers(-5, 5000), st.floats(-1, 3), st.booleans()),
        ),
        "rollout": st.fixed_dictionaries(
            {"stages": st.lists(st.integers(-5, 120), max_size=4)}
        ),
    }
)


@given(st.lists(entries, max_size=3))
def test_the_schema_and_the_parser_agree(pins):
    document = {"pins": pins}
    accepted = True
    try:
        pins_parse(yaml.safe_dump(document))
    except PinsFileError:
        accepted = False
    # The parser also refuses duplicate ids and undated models, which a JSON
    # Schema cannot say: it may refuse more, never accept more.
    if accepted:
        assert _schema_accepts(document)
