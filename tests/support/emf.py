"""A validator of CloudWatch embedded metric format (EMF) documents, written from the spec.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

- The log event is one JSON object, nothing before or after it.
- The root holds ``_aws``, an object with ``Timestamp`` (a number: milliseconds since the
  epoch) and ``CloudWatchMetrics`` (an array of MetricDirective objects).
- A MetricDirective holds ``Namespace`` (a string), ``Dimensions`` (an array of DimensionSets)
  and ``Metrics`` (an array of MetricDefinitions, at most 100); no other member.
- A DimensionSet is an array of at most 30 strings, each naming a root member whose value is
  a string (a dimension value: 1 to 1024 characters).
- A MetricDefinition holds ``Name`` (a string naming a root member), optionally ``Unit``
  (one of the units below) and ``StorageResolution`` (1 or 60); no other member. The named
  member is a number or an array of at most 100 numbers.

Objects defined by the spec must not contain other members; the root may.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

UNITS = frozenset(
    {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    }
)
MAX_METRICS = 100
MAX_DIMENSIONS = 30
MAX_VALUES = 100
_METADATA_KEYS = {"Timestamp", "CloudWatchMetrics", "LogGroupName", "LogStreamName"}
_DIRECTIVE_KEYS = {"Namespace", "Dimensions", "Metrics"}
_DEFINITION_KEYS = {"Name", "Unit", "StorageResolution"}


class EmfError(AssertionError):
    """The document is not valid EMF; the message says where."""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise EmfError(problem)


def validate_line(line: str) -> dict[str, Any]:
    """The parsed document, or EmfError naming the first rule the line breaks."""
    try:
        document = json.loads(line, parse_constant=_no_constant)
    except ValueError as exc:
        raise EmfError(f"not one JSON value: {exc}") from None
    validate_document(document)
    return document  # type: ignore[no-any-return]


def _no_constant(name: str) -> None:
    raise EmfError(f"{name} is not JSON")


def validate_document(document: object) -> None:
    _check(isinstance(document, dict), "the root is not a JSON object")
    assert isinstance(document, dict)
    metadata = document.get("_aws")
    _check(isinstance(metadata, dict), "_aws is missing or not an object")
    assert isinstance(metadata, dict)
    _check(not (metadata.keys() - _METADATA_KEYS), f"_aws has unknown members: {metadata}")
    timestamp = metadata.get("Timestamp")
    _check(
        _is_number(timestamp) and timestamp >= 0 and float(timestamp).is_integer(),
        f"_aws.Timestamp is not whole milliseconds since the epoch: {timestamp!r}",
    )
    directives = metadata.get("CloudWatchMetrics")
    _check(
        isinstance(directives, list) and bool(directives),
        "_aws.CloudWatchMetrics is not a non-empty array",
    )
    assert isinstance(directives, list)
    for index, directive in enumerate(directives):
        _validate_directive(document, directive, f"CloudWatchMetrics[{index}]")


def _validate_directive(root: dict[str, Any], directive: object, where: str) -> None:
    _check(isinstance(directive, dict), f"{where} is not an object")
    assert isinstance(directive, dict)
    _check(directive.keys() == _DIRECTIVE_KEYS, f"{where} members are not {_DIRECTIVE_KEYS}")
    namespace = directive["Namespace"]
    _check(
        isinstance(namespace, str) and 1 <= len(namespace) <= 255 and namespace.strip() != "",
        f"{where}.Namespace is not a namespace: {namespace!r}",
    )
    dimension_sets = directive["Dimensions"]
    _check(isinstance(dimension_sets, list), f"{where}.Dimensions is not an array")
    for number, dimension_set in enumerate(dimension_sets):
        place = f"{where}.Dimensions[{number}]"
        _check(isinstance(dimension_set, list), f"{place} is not an array")
        _check(len(dimension_set) <= MAX_DIMENSIONS, f"{place} has more than 30 dimensions")
        for name in dimension_set:
            _check(isinstance(name, str), f"{place} holds a non-string {name!r}")
            value = root.get(name)
            _check(
                isinstance(value, str) and 1 <= len(value) <= 1024 and value.strip() != "",
                f"{place}: the member {name!r} is not a dimension value: {value!r}",
            )
    metrics = directive["Metrics"]
    _check(
        isinstance(metrics, list) and 1 <= len(metrics) <= MAX_METRICS,
        f"{where}.Metrics is not an array of 1 to 100 definitions",
    )
    for number, definition in enumerate(metrics):
        place = f"{where}.Metrics[{number}]"
        _check(isinstance(definition, dict), f"{place} is not an object")
        _check(
            "Name" in definition and not (definition.keys() - _DEFINITION_KEYS),
            f"{place} members are not Name, Unit, StorageResolution",
        )
        name = definition["Name"]
        _check(isinstance(name, str) and 1 <= len(name) <= 255, f"{place}.Name: {name!r}")
        if "Unit" in definition:
            _check(definition["Unit"] in UNITS, f"{place}.Unit: {definition['Unit']!r}")
        if "StorageResolution" in definition:
            _check(
                definition["StorageResolution"] in (1, 60),
                f"{place}.StorageResolution: {definition['StorageResolution']!r}",
            )
        value = root.get(name)
        _check(
            _is_number(value)
            or (
                isinstance(value, list)
                and 1 <= len(value) <= MAX_VALUES
                and all(_is_number(item) for item in value)
            ),
            f"{place}: the member {name!r} is not a number or an array of numbers: {value!r}",
        )


def metric_members(document: dict[str, Any]) -> set[str]:
    """The root members the directives name: dimensions and metric values."""
    names: set[str] = set()
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            names.update(dimension_set)
        names.update(definition["Name"] for definition in directive["Metrics"])
    return names


def without_metrics(document: dict[str, Any]) -> dict[str, Any]:
    """The decision's own fields: the document without ``_aws`` and the members it names."""
    named = metric_members(document) | {"_aws"}
    return {key: value for key, value in document.items() if key not in named}


def record_lines(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every line the decision log builds from now on, in order (whichever handler writes it)."""
    from phantom_token import decision_log  # noqa: PLC0415

    lines: list[str] = []
    build = decision_log.decision_line

    def recording(level: int, fields: Any, *, full: bool = True) -> str:
        line = build(level, fields, full=full)
        lines.append(line)
        return line

    monkeypatch.setattr(decision_log, "decision_line", recording)
    return lines


def validate_decision_lines(lines: list[str]) -> None:
    """Each line is EMF, and its Outcome dimension is one of the Lambda's four outcomes."""
    from phantom_token import decision_log  # noqa: PLC0415

    for line in lines:
        document = validate_line(line)
        outcome = document.get(decision_log.OUTCOME_DIMENSION)
        _check(outcome in decision_log.OUTCOMES, f"unknown outcome {outcome!r} in {line}")
