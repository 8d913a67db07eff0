"""SLO definitions in: OpenSLO v1 and v1alpha, Sloth `prometheus/v1`, Pyrra
`ServiceLevelObjective`, read into one neutral shape (`SloSpec`).

`specs_parse(text)` reads a (multi-document) YAML file and returns the specs it
defines, or every error with its place (document index, path, message): a file
with any error yields no spec at all, so nothing of a refused file is stored.
Queries (PromQL and the like) are kept for display; they are never run.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import yaml

OPENSLO_VERSIONS = ("openslo/v1", "openslo/v1alpha")
SLOTH_VERSION = "prometheus/v1"
PYRRA_VERSION = "pyrra.dev/v1alpha1"
BUDGETING = {
    "Occurrences": "occurrences",
    "Timeslices": "timeslices",
    "RatioTimeslices": "ratio_timeslices",
}
# Sloth's specs carry no window; its CLI defaults to 30 days.
SLOTH_DEFAULT_WINDOW = timedelta(days=30)
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$", re.IGNORECASE)
DURATION_RE = re.compile(r"^(\d+)(s|m|h|d|w)$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
V1ALPHA_UNITS = {
    "Second": 1,
    "Minute": 60,
    "Hour": 3600,
    "Day": 86400,
    "Week": 7 * 86400,
}


@dataclass(frozen=True)
class SpecError:
    document: int  # 0-based index of the YAML document in the file
    path: str  # where in the document, e.g. "spec.objectives[0].target"
    message: str

    def __str__(self) -> str:
        return f"document {self.document}, {self.path or '(root)'}: {self.message}"


@dataclass(frozen=True)
class SloSpec:
    name: str
    display_name: str
    service: str
    description: str
    objective: float  # in (0, 1)
    window: timedelta
    rolling: bool
    budgeting: str  # occurrences | timeslices | ratio_timeslices
    indicator: dict[str, Any]  # kind (ratio | threshold | raw | latency) and queries
    source_format: str
    slice_target: float | None = None
    slice_window: timedelta | None = None
    alerting: dict[str, Any] = field(default_factory=dict)


class SpecsRefused(ValueError):
    def __init__(self, errors: list[SpecError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def duration_parse(raw: object) -> timedelta | None:
    """`28d`, `2w`, `1h`, `30m`, `10s` → a timedelta; None when not one."""
    match = DURATION_RE.match(str(raw).strip()) if raw is not None else None
    if match is None or int(match.group(1)) == 0:
        return None
    return timedelta(seconds=int(match.group(1)) * UNITS[match.group(2)])


class _Reader:
    """Collects errors for one document while reading its fields."""

    def __init__(self, index: int, errors: list[SpecError]):
        self.index = index
        self.errors = errors

    def fail(self, path: str, message: str) -> None:
        self.errors.append(SpecError(self.index, path, message))

    def get(self, data: object, path: str, *, required: bool = True) -> Any:
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None and required:
            self.fail(path, "is required")
        return value

    def name(self, raw: object, path: str) -> str:
        name = str(raw or "")
        if not NAME_RE.match(name):
            self.fail(path, f"{name!r} is not a name (letters, digits, . _ -)")
        return name

    def ratio(self, raw: object, path: str, *, percent: bool = False) -> float:
        try:
            value = float(str(raw).strip().rstrip("%")) if raw is not None else None
        except ValueError:
            value = None
        if value is not None and percent:
            value /= 100
        if value is None or not math.isfinite(value) or not 0 < value < 1:
            self.fail(path, f"{raw!r} is not a target strictly between 0 and 1")
            return 0.0
        return value

    def duration(self, raw: object, path: str) -> timedelta:
        value = duration_parse(raw)
        if value is None:
            self.fail(path, f"{raw!r} is not a duration such as 28d, 2w or 30m")
            return timedelta(0)
        return value


def _query(source: object) -> str:
    """The query text of an OpenSLO metricSource (or v1alpha `query`)."""
    if not isinstance(source, dict):
        return ""
    spec = (source.get("metricSource") or {}).get("spec") or {}
    return str(spec.get("query") or source.get("query") or "")


def _openslo_indicator(r: _Reader, sli_spec: object, path: str) -> dict[str, Any]:
    if not isinstance(sli_spec, dict):
        r.fail(path, "is required")
        return {}
    ratio = sli_spec.get("ratioMetric")
    if isinstance(ratio, dict):
        kind = "good" if "good" in ratio else "bad"
        if kind not in ratio or "total" not in ratio:
            r.fail(f"{path}.ratioMetric", "needs good (or bad) and total")
        return {
            "kind": "ratio",
            "counts": kind,
            kind: _query(ratio.get(kind)),
            "total": _query(ratio.get("total")),
        }
    threshold = sli_spec.get("thresholdMetric")
    if isinstance(threshold, dict):
        return {"kind": "threshold", "query": _query(threshold)}
    r.fail(path, "needs ratioMetric or thresholdMetric")
    return {}


def _openslo_v1(r: _Reader, doc: dict, slis: dict[str, dict]) -> list[SloSpec]:
    spec = r.get(doc, "spec") or {}
    if "indicatorRef" in spec:
        ref = str(spec["indicatorRef"])
        sli_spec = (slis.get(ref) or {}).get("spec")
        if sli_spec is None:
            r.fail("spec.indicatorRef", f"no SLI named {ref!r} in this file")
    else:
        sli_spec = r.get(doc, "spec.indicator.spec")
    # A missing indicator was reported once above; do not report it again.
    indicator = (
        _openslo_indicator(r, sli_spec, "spec.indicator.spec")
        if sli_spec is not None
        else {}
    )
    windows = spec.get("timeWindow") or []
    if not isinstance(windows, list) or len(windows) != 1:
        r.fail("spec.timeWindow", "needs exactly one window")
        windows = [{}]
    window = r.duration(windows[0].get("duration"), "spec.timeWindow[0].duration")
    return _openslo_objectives(
        r, doc, window=window, window_spec=windows[0], indicator=indicator
    )


def _openslo_v1alpha(r: _Reader, doc: dict) -> list[SloSpec]:
    spec = r.get(doc, "spec") or {}
    windows = spec.get("timeWindows") or []
    window = timedelta(0)
    if not isinstance(windows, list) or len(windows) != 1:
        r.fail("spec.timeWindows", "needs exactly one window")
        windows = [{}]
    unit = V1ALPHA_UNITS.get(str(windows[0].get("unit")))
    count = windows[0].get("count")
    if unit is None or not isinstance(count, int) or count <= 0:
        r.fail("spec.timeWindows[0]", "needs a unit (Second…Week) and a count > 0")
    else:
        window = timedelta(seconds=unit * count)
    indicator = {
        "kind": "threshold",
        "query": _query(spec.get("indicator", {}).get("thresholdMetric")),
    }
    return _openslo_objectives(
        r, doc, window=window, window_spec=windows[0], indicator=indicator
    )


def _openslo_objectives(
    r: _Reader, doc: dict, *, window: timedelta, window_spec: dict, indicator: dict
) -> list[SloSpec]:
    """What both OpenSLO versions share: budgeting method, names, objectives."""
    spec = doc.get("spec") or {}
    name = r.name(r.get(doc, "metadata.name"), "metadata.name")
    budgeting = BUDGETING.get(str(spec.get("budgetingMethod")))
    if budgeting is None:
        r.fail("spec.budgetingMethod", f"one of {', '.join(BUDGETING)}")
    return _objectives(
        r,
        spec,
        name=name,
        display_name=str((doc.get("metadata") or {}).get("displayName") or name),
        window=window,
        rolling=bool(window_spec.get("isRolling", True)),
        budgeting=budgeting or "occurrences",
        indicator=indicator,
        source_format=str(doc.get("apiVersion")),
    )


def _objectives(r: _Reader, spec: dict, **common: Any) -> list[SloSpec]:
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or not objectives:
        r.fail("spec.objectives", "needs at least one objective")
        return []
    specs = []
    for i, objective in enumerate(objectives):
        path = f"spec.objectives[{i}]"
        if not isinstance(objective, dict):
            r.fail(path, "must be a mapping")
            continue
        if "targetPercent" in objective:
            target = r.ratio(
                objective["targetPercent"], f"{path}.targetPercent", percent=True
            )
        else:
            target = r.ratio(objective.get("target"), f"{path}.target")
        indicator = dict(common["indicator"])
        ratio = objective.get("ratioMetrics")  # v1alpha puts the ratio here
        if isinstance(ratio, dict):
            indicator = {
                "kind": "ratio",
                "counts": "good",
                "good": _query(ratio.get("good")),
                "total": _query(ratio.get("total")),
            }
        if "op" in objective:
            indicator["threshold"] = {
                "op": objective["op"],
                "value": objective.get("value"),
            }
        slice_target = slice_window = None
        if common["budgeting"] != "occurrences":
            slice_window = r.duration(
                objective.get("timeSliceWindow"), f"{path}.timeSliceWindow"
            )
            if common["budgeting"] == "timeslices":
                slice_target = r.ratio(
                    objective.get("timeSliceTarget"), f"{path}.timeSliceTarget"
                )
        name = common["name"]
        if len(objectives) > 1:
            name = (
                f"{name}.{objective.get('name') or objective.get('displayName') or i}"
            )
        specs.append(
            SloSpec(
                name=name,
                display_name=str(
                    objective.get("displayName") or common["display_name"]
                ),
                service=str(spec.get("service") or ""),
                description=str(spec.get("description") or ""),
                objective=target,
                window=common["window"],
                rolling=common["rolling"],
                budgeting=common["budgeting"],
                indicator=indicator,
                source_format=common["source_format"],
                slice_target=slice_target,
                slice_window=slice_window,
                alerting={"policies": spec.get("alertPolicies") or []},
            )
        )
    return specs


def _sloth(r: _Reader, doc: dict) -> list[SloSpec]:
    service = str(r.get(doc, "service") or "")
    slos = doc.get("slos")
    if not isinstance(slos, list) or not slos:
        r.fail("slos", "needs at least one SLO")
        return []
    specs = []
    for i, slo in enumerate(slos):
        path = f"slos[{i}]"
        slo = slo if isinstance(slo, dict) else {}
        name = r.name(slo.get("name"), f"{path}.name")
        objective = r.ratio(slo.get("objective"), f"{path}.objective", percent=True)
        sli = slo.get("sli") or {}
        if isinstance(sli.get("events"), dict):
            events = sli["events"]
            indicator = {
                "kind": "ratio",
                "counts": "bad",
                "bad": str(events.get("error_query") or ""),
                "total": str(events.get("total_query") or ""),
            }
        elif isinstance(sli.get("raw"), dict):
            indicator = {
                "kind": "raw",
                "query": str(sli["raw"].get("errorRatioQuery") or ""),
            }
        else:
            r.fail(f"{path}.sli", "needs events (error_query, total_query) or raw")
            indicator = {}
        specs.append(
            SloSpec(
                name=name,
                display_name=name,
                service=service,
                description=str(slo.get("description") or ""),
                objective=objective,
                window=SLOTH_DEFAULT_WINDOW,
                rolling=True,
                budgeting="occurrences",
                indicator=indicator,
                source_format=SLOTH_VERSION,
                alerting=dict(slo.get("alerting") or {}),
            )
        )
    return specs


def _pyrra(r: _Reader, doc: dict) -> list[SloSpec]:
    name = r.name(r.get(doc, "metadata.name"), "metadata.name")
    spec = r.get(doc, "spec") or {}
    objective = r.ratio(spec.get("target"), "spec.target", percent=True)
    window = r.duration(spec.get("window"), "spec.window")
    indicator_spec = spec.get("indicator") or {}
    ratio = indicator_spec.get("ratio")
    latency = indicator_spec.get("latency") or indicator_spec.get("latencyNative")
    if isinstance(ratio, dict):
        indicator = {
            "kind": "ratio",
            "counts": "bad",
            "bad": str((ratio.get("errors") or {}).get("metric") or ""),
            "total": str((ratio.get("total") or {}).get("metric") or ""),
        }
    elif isinstance(latency, dict):
        indicator = {
            "kind": "latency",
            "counts": "good",
            "good": str((latency.get("success") or {}).get("metric") or ""),
            "total": str((latency.get("total") or {}).get("metric") or ""),
            "latency": str(latency.get("latency") or ""),
        }
    else:
        r.fail("spec.indicator", "needs ratio, latency or latencyNative")
        indicator = {}
    labels = (doc.get("metadata") or {}).get("labels") or {}
    return [
        SloSpec(
            name=name,
            display_name=name,
            service=str(labels.get("pyrra.dev/team") or labels.get("app") or ""),
            description=str(spec.get("description") or ""),
            objective=objective,
            window=window,
            rolling=True,
            budgeting="occurrences",
            indicator=indicator,
            source_format=PYRRA_VERSION,
            alerting=dict(spec.get("alerting") or {}),
        )
    ]


def _documents(text: str, errors: list[SpecError]) -> list[dict]:
    try:
        loaded = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        errors.append(SpecError(0, where, f"not YAML: {getattr(exc, 'problem', exc)}"))
        return []
    documents: list[dict] = []
    for item in loaded:
        # The OpenSLO SDK's examples are YAML lists of documents.
        for doc in item if isinstance(item, list) else [item]:
            if doc is not None:
                documents.append(doc)
    return documents


def specs_parse(text: str) -> list[SloSpec]:
    """Every SLO the file defines; raises SpecsRefused with every error."""
    errors: list[SpecError] = []
    documents = _documents(text, errors)
    slis = {
        str((doc.get("metadata") or {}).get("name")): doc
        for doc in documents
        if isinstance(doc, dict) and doc.get("kind") == "SLI"
    }
    specs: list[SloSpec] = []
    for index, doc in enumerate(documents):
        r = _Reader(index, errors)
        if not isinstance(doc, dict):
            r.fail("", "must be a mapping")
            continue
        version, kind = doc.get("apiVersion"), doc.get("kind")
        if doc.get("version") == SLOTH_VERSION:
            specs += _sloth(r, doc)
        elif version == PYRRA_VERSION and kind == "ServiceLevelObjective":
            specs += _pyrra(r, doc)
        elif version == "openslo/v1" and kind == "SLO":
            specs += _openslo_v1(r, doc, slis)
        elif version == "openslo/v1alpha" and kind == "SLO":
            specs += _openslo_v1alpha(r, doc)
        elif version in OPENSLO_VERSIONS and kind in (
            "Service",
            "SLI",
            "DataSource",
            "AlertPolicy",
            "AlertCondition",
            "AlertNotificationTarget",
        ):
            continue  # read where an SLO refers to it, or kept for display
        else:
            r.fail("kind", f"unknown document: apiVersion {version!r}, kind {kind!r}")
    names = [s.name for s in specs]
    for name in {n for n in names if names.count(n) > 1}:
        errors.append(SpecError(0, "metadata.name", f"{name!r} is defined twice"))
    if errors:
        raise SpecsRefused(errors)
    return specs
