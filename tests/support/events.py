"""Authorizer event fixtures, loaded relative to this file (never the working directory)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return copy.deepcopy(event)


def token_event(authorization: str | None, method_arn: str | None = None) -> dict[str, Any]:
    event = load_event("token")
    if authorization is None:
        del event["authorizationToken"]
    else:
        event["authorizationToken"] = authorization
    if method_arn is not None:
        event["methodArn"] = method_arn
    return event
