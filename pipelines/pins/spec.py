"""The pins file (`.controlplane/pins.yaml`): its JSON Schema, and parsing with
messages a person can act on. Pure: text in, pins or errors out."""

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from dashboard.platform.api_types import PIN_ID_PATTERN

DEFAULT_PATH = ".controlplane/pins.yaml"
MAX_FILE_BYTES = 256 * 1024
MAX_PROMPT_BYTES = 512 * 1024
MAX_PINS = 200
KINDS = ("prompt", "model", "generator")
# One spelling for the file and for the pin tags of the ingest API.
PIN_ID_RE = re.compile(PIN_ID_PATTERN)
# provider/model, optionally @version: "openai/gpt-4.1-2025-04-14".
MODEL_RE = re.compile(
    r"^[a-z0-9][a-z0-9._-]{0,49}/[A-Za-z0-9][A-Za-z0-9._:-]{0,149}(@[A-Za-z0-9._-]{1,50})?$"
)
# A model id names a fixed version: a date (2025-04-14, 20250414) or an @version.
DATED_RE = re.compile(r"(?:19|20)\d\d-?[01]\d-?[0-3]\d")
FLOATING_RE = re.compile(r"(?:^|[/@:._-])latest(?:$|[/@:._-])", re.IGNORECASE)
DURATION_RE = re.compile(r"^([1-9][0-9]{0,5})(s|m|h|d)$")
DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PATH_RE = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[^\x00\\]{1,500}$")
PIN_KEYS = {"id", "kind", "model", "prompt", "params", "owners", "approvals", "rollout"}
ROLLOUT_KEYS = {"stages", "hold", "guard_slo", "max_burn"}
PARAM_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")

JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "/api/v1/schemas/pins.json",
    "title": "Control plane pins file (.controlplane/pins.yaml)",
    "description": (
        "Model and prompt pins of one repository. Model ids name a fixed, dated "
        "version (provider/model-YYYY-MM-DD or provider/model@version); "
        "'latest' aliases are refused. See docs/pins.md."
    ),
    "type": "object",
    "additionalProperties": False,
    "required": ["pins"],
    "properties": {
        "pins": {
            "type": "array",
            "maxItems": MAX_PINS,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "kind"],
                "properties": {
                    "id": {"type": "string", "pattern": PIN_ID_RE.pattern},
                    "kind": {"enum": list(KINDS)},
                    "model": {
                        "type": "string",
                        "pattern": MODEL_RE.pattern,
                        "not": {"pattern": "(?i)(^|[/@:._-])latest($|[/@:._-])"},
                    },
                    "prompt": {"type": "string", "minLength": 1, "maxLength": 500},
                    "params": {
                        "type": "object",
                        "maxProperties": 50,
                        "propertyNames": {"pattern": PARAM_KEY_RE.pattern},
                        "additionalProperties": {
                            "type": ["string", "number", "boolean", "null"]
                        },
                        "properties": {
                            "temperature": {
                                "type": "number",
                                "minimum": 0,
                                "maximum": 2,
                            },
                            "max_tokens": {"type": "integer", "minimum": 1},
                        },
                    },
                    "owners": {
                        "type": "array",
                        "maxItems": 50,
                        "items": {"type": "string", "minLength": 1, "maxLength": 150},
                    },
                    "approvals": {"type": "integer", "minimum": 1, "maximum": 10},
                    "rollout": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "stages": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 20,
                                "items": {
                                    "type": "integer",
                                    "minimum": 0,
                                    "maximum": 100,
                                },
                            },
                            "hold": {"type": "string", "pattern": DURATION_RE.pattern},
                            "guard_slo": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 150,
                            },
                            "max_burn": {
                                "type": "number",
                                "exclusiveMinimum": 0,
                                "maximum": 1000,
                            },
                        },
                    },
                },
                "allOf": [
                    {
                        "if": {"properties": {"kind": {"const": "prompt"}}},
                        "then": {"required": ["prompt"]},
                    },
                    {
                        "if": {"properties": {"kind": {"const": "model"}}},
                        "then": {"required": ["model"]},
                    },
                ],
            },
        }
    },
}


class PinsFileError(ValueError):
    """The file cannot be read as pins; `errors` lists every problem found."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class PinSpec:
    """One pin as the file declares it (normalised)."""

    id: str
    kind: str
    model: str = ""
    prompt: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    owners: tuple[str, ...] = ()
    approvals: int | None = None
    rollout: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """The entry as it would be written back to the file."""
        entry: dict[str, Any] = {"id": self.id, "kind": self.kind}
        if self.model:
            entry["model"] = self.model
        if self.prompt:
            entry["prompt"] = self.prompt
        if self.params:
            entry["params"] = dict(self.params)
        if self.owners:
            entry["owners"] = list(self.owners)
        if self.approvals is not None:
            entry["approvals"] = self.approvals
        if self.rollout is not None:
            entry["rollout"] = dict(self.rollout)
        return entry


def content_hash(spec: PinSpec, prompt_blob_sha: str = "") -> str:
    """The version of a pin: its entry and its prompt file's git blob sha."""
    canonical = json.dumps(
        {"entry": spec.as_json(), "prompt_blob": prompt_blob_sha},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def git_blob_sha(content: bytes) -> str:
    """Git's blob id of `content` (what GitHub's contents API calls `sha`)."""
    header = f"blob {len(content)}\0".encode()
    return hashlib.sha1(header + content, usedforsecurity=False).hexdigest()


def duration_seconds(text: str) -> int:
    match = DURATION_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 30m, 2h or 1d")
    return int(match.group(1)) * DURATION_SECONDS[match.group(2)]


def model_problem(model: str) -> str | None:
    """Why a model id is refused, or None."""
    if FLOATING_RE.search(model):
        return (
            f"{model!r} is a 'latest' alias, which moves under you; pin a dated "
            "version such as openai/gpt-4.1-2025-04-14"
        )
    if not MODEL_RE.match(model):
        return (
            f"{model!r} is not provider/model[@version] "
            "(for example openai/gpt-4.1-2025-04-14)"
        )
    if "@" not in model and not DATED_RE.search(model):
        return (
            f"{model!r} names no fixed version; add its date "
            "(provider/model-YYYY-MM-DD) or @version"
        )
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: float) -> bool:
    return value == value and value not in (float("inf"), float("-inf"))


def _pin(entry: object, where: str, errors: list[str]) -> PinSpec | None:
    if not isinstance(entry, dict):
        errors.append(f"{where} is not a mapping (id: …, kind: …)")
        return None
    before = len(errors)
    pin_id = entry.get("id")
    if not isinstance(pin_id, str) or not PIN_ID_RE.match(pin_id):
        errors.append(
            f"{where}.id must be lowercase letters, digits, '.', '_' or '-' "
            f"(1–100 characters), got {pin_id!r}"
        )
    else:
        where = f"pin {pin_id!r}"
    unknown = sorted(str(k) for k in entry if k not in PIN_KEYS)
    if unknown:
        errors.append(
            f"{where} has unknown field(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(PIN_KEYS))}"
        )
    kind = entry.get("kind")
    if kind not in KINDS:
        errors.append(f"{where}.kind must be one of {', '.join(KINDS)}, got {kind!r}")
    model = entry.get("model", "")
    if model is None or not isinstance(model, str):
        errors.append(f"{where}.model must be a string")
        model = ""
    elif model and (problem := model_problem(model)):
        errors.append(f"{where}.model: {problem}")
    elif kind == "model" and not model:
        errors.append(f"{where} is a model pin without a model")
    prompt = entry.get("prompt", "")
    if prompt is None or not isinstance(prompt, str):
        errors.append(f"{where}.prompt must be a path in the repository")
        prompt = ""
    elif prompt and not PATH_RE.match(prompt):
        errors.append(
            f"{where}.prompt must be a relative path inside the repository "
            f"(no leading /, no ..), got {prompt!r}"
        )
    elif kind == "prompt" and not prompt:
        errors.append(f"{where} is a prompt pin without a prompt file")
    params = entry.get("params", {}) or {}
    if not isinstance(params, dict):
        errors.append(f"{where}.params must be a mapping")
        params = {}
    for key, value in params.items():
        if not isinstance(key, str) or not PARAM_KEY_RE.match(key):
            errors.append(f"{where}.params has an invalid name {key!r}")
        elif value is not None and not isinstance(value, str | int | float | bool):
            errors.append(f"{where}.params.{key} must be a string, number or boolean")
        elif _is_number(value) and not _finite(float(value)):
            errors.append(f"{where}.params.{key} must be a finite number")
        elif isinstance(value, str) and ("\x00" in value or len(value) > 1000):
            errors.append(f"{where}.params.{key} is too long or holds NUL")
    temperature = params.get("temperature")
    if temperature is not None and (
        not _is_number(temperature) or not 0 <= temperature <= 2
    ):
        errors.append(f"{where}.params.temperature must be a number from 0 to 2")
    max_tokens = params.get("max_tokens")
    if max_tokens is not None and (
        not isinstance(max_tokens, int)
        or isinstance(max_tokens, bool)
        or not 1 <= max_tokens <= 10_000_000
    ):
        errors.append(f"{where}.params.max_tokens must be a whole number ≥ 1")
    if len(params) > 50:
        errors.append(f"{where}.params has more than 50 entries")
    owners = entry.get("owners", []) or []
    if not isinstance(owners, list) or not all(
        isinstance(o, str) and 0 < len(o) <= 150 and "\x00" not in o for o in owners
    ):
        errors.append(f"{where}.owners must be a list of user or group names")
        owners = []
    approvals = entry.get("approvals")
    if approvals is not None and (
        not isinstance(approvals, int)
        or isinstance(approvals, bool)
        or not 1 <= approvals <= 10
    ):
        errors.append(f"{where}.approvals must be a whole number from 1 to 10")
    rollout = entry.get("rollout")
    if rollout is not None:
        rollout = _rollout(rollout, where, errors)
    if len(errors) > before:
        return None
    return PinSpec(
        id=pin_id,
        kind=kind,
        model=model,
        prompt=prompt,
        params={k: params[k] for k in sorted(params)},
        owners=tuple(owners),
        approvals=approvals,
        rollout=rollout,
    )


def _rollout(rollout: object, where: str, errors: list[str]) -> dict | None:
    if not isinstance(rollout, dict):
        errors.append(
            f"{where}.rollout must be a mapping (stages, hold, guard_slo, max_burn)"
        )
        return None
    unknown = sorted(str(k) for k in rollout if k not in ROLLOUT_KEYS)
    if unknown:
        errors.append(
            f"{where}.rollout has unknown field(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(ROLLOUT_KEYS))}"
        )
    clean: dict[str, Any] = {}
    stages = rollout.get("stages")
    if stages is not None:
        if (
            not isinstance(stages, list)
            or not 1 <= len(stages) <= 20
            or not all(
                isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= 100
                for s in stages
            )
        ):
            errors.append(
                f"{where}.rollout.stages must be 1–20 whole percentages (0–100)"
            )
        else:
            clean["stages"] = list(stages)
    hold = rollout.get("hold")
    if hold is not None:
        if not isinstance(hold, str) or not DURATION_RE.match(hold):
            errors.append(
                f"{where}.rollout.hold must be a duration such as 30m, 2h or 1d"
            )
        else:
            clean["hold"] = hold
    guard = rollout.get("guard_slo")
    if guard is not None:
        if not isinstance(guard, str) or not 0 < len(guard) <= 150 or "\x00" in guard:
            errors.append(f"{where}.rollout.guard_slo must be an SLO's name")
        else:
            clean["guard_slo"] = guard
    max_burn = rollout.get("max_burn")
    if max_burn is not None:
        if (
            not _is_number(max_burn)
            or not 0 < max_burn <= 1000
            or not _finite(max_burn)
        ):
            errors.append(f"{where}.rollout.max_burn must be a number above 0 (≤ 1000)")
        else:
            clean["max_burn"] = max_burn
    return clean


def pins_parse(text: str) -> dict[str, PinSpec]:
    """The pins of a file by id, or PinsFileError listing every problem."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise PinsFileError([f"The pins file is larger than {MAX_FILE_BYTES} bytes"])
    if "\x00" in text:
        raise PinsFileError(["The pins file holds a NUL character"])
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PinsFileError([f"The pins file is not YAML: {exc}"]) from exc
    except RecursionError as exc:
        raise PinsFileError(["The pins file is nested too deeply"]) from exc
    if document is None:
        document = {"pins": []}
    if not isinstance(document, dict):
        raise PinsFileError(["The pins file must be a mapping with a 'pins' list"])
    errors: list[str] = []
    extra = sorted(str(k) for k in document if k != "pins")
    if extra:
        errors.append(f"Unknown top-level field(s) {', '.join(extra)}; only 'pins'")
    entries = document.get("pins") or []
    if not isinstance(entries, list):
        raise PinsFileError(["'pins' must be a list of pins"])
    if len(entries) > MAX_PINS:
        raise PinsFileError([f"At most {MAX_PINS} pins per file ({len(entries)})"])
    pins: dict[str, PinSpec] = {}
    for index, entry in enumerate(entries):
        pin = _pin(entry, f"pins[{index}]", errors)
        if pin is None:
            continue
        if pin.id in pins:
            errors.append(f"pin id {pin.id!r} appears more than once")
            continue
        pins[pin.id] = pin
    if errors:
        raise PinsFileError(errors)
    return pins


def pins_dump(pins: list[PinSpec]) -> str:
    """A pins file holding `pins`, in their order."""
    header = (
        "# Model and prompt pins; see docs/pins.md. Reviewed by the control plane.\n"
    )
    body = yaml.safe_dump(
        {"pins": [p.as_json() for p in pins]},
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
    )
    return header + body


def spec_of(entry: object) -> PinSpec:
    """One pin entry (a mapping) checked as the file's entries are."""
    errors: list[str] = []
    pin = _pin(entry, "the pin", errors)
    if pin is None:
        raise PinsFileError(errors)
    return pin
