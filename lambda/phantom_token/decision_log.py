"""One JSON line per decision on stdout. Never the token, the JWT or the secret.

The line is also a CloudWatch embedded metric format (EMF) document: CloudWatch Logs turns its
``_aws`` directives into metrics, so counting decisions costs no API call and no dependency
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
Dimensions are the function's name and the outcome only: a dimension value is a new metric,
so tokens, principals, routes and paths stay plain members of the line.
"""

from __future__ import annotations

import json
import logging
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

logger = logging.getLogger("phantom_token")
_encoder = json.JSONEncoder(separators=(",", ":"), default=str)
_own_handler: logging.StreamHandler[Any] | None = None

# ----- the metrics: one source for the Lambda, the Terraform module's alarms and the tests ---

DEFAULT_NAMESPACE = "PhantomToken"
FUNCTION_DIMENSION = "FunctionName"
OUTCOME_DIMENSION = "Outcome"
OUTCOMES = ("allow", "deny", "unauthorized", "error")
# Every decision: 1, under (FunctionName, Outcome) and under (FunctionName) for the total.
DECISIONS = "Decisions"
# Every decision that looked the token up: 1 for a hit, 0 for a miss (Average = hit ratio).
CACHE_HIT = "CacheHit"
# A miss: the introspection's duration, retries and pauses included.
INTROSPECTION_TIME = "IntrospectionTime"
# The first read of the client secret in a container (a cold start's cost).
SECRET_READ_TIME = "SecretReadTime"  # noqa: S105 (a metric name)
# A miss: what the identity server's last attempt came to, one metric per class (value 1).
ANSWER_METRICS = {
    "2xx": "IdentityServer2xx",
    "3xx": "IdentityServer3xx",
    "4xx": "IdentityServer4xx",
    "5xx": "IdentityServer5xx",
    "timeout": "IdentityServerTimeout",
    "unreachable": "IdentityServerUnreachable",
    "invalid": "IdentityServerInvalid",
}
# The classes that mean the identity server, not the client, failed the call.
FAILED_ANSWERS = ("5xx", "timeout", "unreachable", "invalid")
UNITS = {
    DECISIONS: "Count",
    CACHE_HIT: "Count",
    INTROSPECTION_TIME: "Milliseconds",
    SECRET_READ_TIME: "Milliseconds",
    **dict.fromkeys(ANSWER_METRICS.values(), "Count"),
}
# Lambda sets it to the function's name ("Defined runtime environment variables",
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html); a dimension value
# must not be empty, hence the stand-in outside Lambda.
_UNKNOWN_FUNCTION = "unknown"

_namespace = DEFAULT_NAMESPACE
_function_name = _UNKNOWN_FUNCTION
# The directives depend only on which metrics a line carries: encoded once per combination.
_directives: dict[tuple[str, ...], str] = {}
_clock: Callable[[], float] = time.time


def configure(
    level: str, namespace: str = DEFAULT_NAMESPACE, function_name: str | None = None
) -> None:
    global _own_handler, _namespace, _function_name  # noqa: PLW0603
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        # The Lambda runtime's root handler would prefix each line and break the JSON.
        logger.propagate = False
        _own_handler = handler
    logger.setLevel(level)
    _namespace = namespace
    _function_name = function_name or _UNKNOWN_FUNCTION
    _directives.clear()


def metric_values(fields: Mapping[str, Any]) -> dict[str, float]:
    """The metrics a decision line carries, read from its fields."""
    values: dict[str, float] = {DECISIONS: 1}
    cache = fields.get("cache")
    if cache is not None:
        values[CACHE_HIT] = 1 if cache == "hit" else 0
    introspection_ms = fields.get("introspection_ms")
    if introspection_ms is not None:
        values[INTROSPECTION_TIME] = introspection_ms
    answer = ANSWER_METRICS.get(fields.get("identity_answer"))  # type: ignore[arg-type]
    if answer is not None:
        values[answer] = 1
    secret_read_ms = fields.get("secret_read_ms")
    if secret_read_ms is not None:
        values[SECRET_READ_TIME] = secret_read_ms
    return values


def _directive_text(names: tuple[str, ...]) -> str:
    text = _directives.get(names)
    if text is None:
        text = _encoder.encode(
            [
                {
                    "Namespace": _namespace,
                    "Dimensions": [[FUNCTION_DIMENSION, OUTCOME_DIMENSION]],
                    "Metrics": [{"Name": DECISIONS, "Unit": UNITS[DECISIONS]}],
                },
                {
                    "Namespace": _namespace,
                    "Dimensions": [[FUNCTION_DIMENSION]],
                    "Metrics": [{"Name": name, "Unit": UNITS[name]} for name in names],
                },
            ]
        )
        _directives[names] = text
    return text


def decision_line(level: int, fields: Mapping[str, Any], *, full: bool = True) -> str:
    """The JSON line: EMF metadata first, then the decision's fields (``full``) and metrics.

    Without ``full`` (the log level filters the decision out), only the metrics are written:
    alarms must not depend on the log level.
    """
    outcome = str(fields.get("outcome", "error"))
    metrics = metric_values(fields)
    members: dict[str, Any] = (
        {"level": logging.getLevelName(level), "message": "authorizer decision", **fields}
        if full
        else {}
    )
    members[FUNCTION_DIMENSION] = _function_name
    members[OUTCOME_DIMENSION] = outcome
    members.update(metrics)
    # The directives are spliced in as text: encoding them again on every call would cost
    # more than the rest of a cache hit's line.
    timestamp = int(_clock() * 1000)
    directives = _directive_text(tuple(metrics))
    return (
        f'{{"_aws":{{"Timestamp":{timestamp},"CloudWatchMetrics":{directives}}},'
        + (_encoder.encode(members)[1:])
    )


def log_decision(level: int, **fields: Any) -> None:
    enabled = logger.isEnabledFor(level)
    handlers = logger.handlers
    own = len(handlers) == 1 and handlers[0] is _own_handler and not logger.filters
    if not enabled:
        if own and _own_handler is not None:
            _write(_own_handler, decision_line(level, fields, full=False))
        return
    line = decision_line(level, fields)
    if own and _own_handler is not None:
        # Only our handler listens: write the line as it would, without building a LogRecord
        # (caller lookup, thread and process names), which costs more than the decision.
        _write(_own_handler, line)
    else:
        logger.log(level, line)


def _write(handler: logging.StreamHandler[Any], line: str) -> None:
    stream = handler.stream
    stream.write(line + "\n")
    stream.flush()
