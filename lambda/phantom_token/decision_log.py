"""One JSON line per decision on stdout. Never the token, the JWT or the secret."""

from __future__ import annotations

import json
import logging
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

logger = logging.getLogger("phantom_token")
_encoder = json.JSONEncoder(separators=(",", ":"), default=str)
_own_handler: logging.StreamHandler[Any] | None = None


def configure(level: str) -> None:
    global _own_handler  # noqa: PLW0603
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        # The Lambda runtime's root handler would prefix each line and break the JSON.
        logger.propagate = False
        _own_handler = handler
    logger.setLevel(level)


def log_decision(level: int, **fields: Any) -> None:
    if not logger.isEnabledFor(level):
        return
    line = _encoder.encode(
        {"level": logging.getLevelName(level), "message": "authorizer decision", **fields}
    )
    handlers = logger.handlers
    if len(handlers) == 1 and handlers[0] is _own_handler and not logger.filters:
        # Only our handler listens: write the line as it would, without building a LogRecord
        # (caller lookup, thread and process names), which costs more than the decision.
        stream = _own_handler.stream
        stream.write(line + "\n")
        stream.flush()
    else:
        logger.log(level, line)
