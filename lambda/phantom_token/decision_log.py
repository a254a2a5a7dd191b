"""One JSON line per decision on stdout. Never the token, the JWT or the secret."""

from __future__ import annotations

import json
import logging
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

logger = logging.getLogger("phantom_token")


def configure(level: str) -> None:
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        # The Lambda runtime's root handler would prefix each line and break the JSON.
        logger.propagate = False
    logger.setLevel(level)


def log_decision(level: int, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        record = {"level": logging.getLevelName(level), "message": "authorizer decision", **fields}
        logger.log(level, json.dumps(record, separators=(",", ":"), default=str))
