"""AWS Lambda entry point: ``phantom_token.handler.lambda_handler``."""

from __future__ import annotations

import logging
import os
import time

from phantom_token import decision_log
from phantom_token.authorizer import Authorizer, build_authorizer
from phantom_token.config import metrics_namespace
from phantom_token.errors import AuthorizerError, ConfigError, EventError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from phantom_token.http_api import SimpleResponse
    from phantom_token.policy import AuthorizerResponse

# Stop this long before Lambda's own timeout so a slow identity server yields our error, not a kill.
DEADLINE_MARGIN_SECONDS = 0.2
_authorizer: Authorizer | None = None


def _get_authorizer() -> Authorizer:
    global _authorizer  # noqa: PLW0603
    if _authorizer is None:
        _authorizer = build_authorizer(os.environ)
    return _authorizer


def _fail(error: AuthorizerError, request_id: str) -> AuthorizerError:
    """Log the decision for a failure before there is an authorizer to log it; fail closed."""
    if not decision_log.logger.handlers:
        # Still counted where the alarms look: in METRICS_NAMESPACE, when that one is valid.
        try:
            namespace = metrics_namespace(os.environ)
        except ConfigError:
            namespace = decision_log.DEFAULT_NAMESPACE
        decision_log.configure(
            "INFO", namespace, os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or None
        )
    decision_log.log_decision(
        logging.ERROR, outcome="error", reason=str(error), request_id=request_id
    )
    return error


def lambda_handler(event: Any, context: Any) -> AuthorizerResponse | SimpleResponse:
    request_id = str(getattr(context, "aws_request_id", ""))
    try:
        authorizer = _get_authorizer()
    except ConfigError as exc:
        raise _fail(exc, request_id) from None
    except Exception as exc:
        # Whatever else breaks while reading the environment is a 500 too; its text may quote
        # a value from the environment, so only its type is told.
        raise _fail(AuthorizerError(f"internal error ({type(exc).__name__})"), request_id) from None
    if not isinstance(event, dict):
        raise _fail(EventError(f"event is not a JSON object ({type(event).__name__})"), request_id)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    budget = remaining() / 1000 if callable(remaining) else authorizer.config.timeout_seconds * 2
    deadline = time.monotonic() + budget - DEADLINE_MARGIN_SECONDS
    return authorizer.authorize(event, request_id=request_id, deadline=deadline)
