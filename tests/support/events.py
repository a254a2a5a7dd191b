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


def request_event(
    authorization: str | None,
    http_method: str,
    resource: str,
    path: str,
    *,
    stage: str = "live",
) -> dict[str, Any]:
    """A REST REQUEST event for ``http_method path`` routed to the ``resource`` template.

    ``methodArn`` keeps the path as the client spelled it (a trailing slash included), as
    API Gateway does; ``resource`` is the template of the resource API Gateway picked.
    """
    event = load_event("request")
    arn_prefix = event["methodArn"].split("/", 1)[0]
    event["methodArn"] = f"{arn_prefix}/{stage}/{http_method}{path}"
    event["httpMethod"] = event["requestContext"]["httpMethod"] = http_method
    event["resource"] = event["requestContext"]["resourcePath"] = resource
    event["path"] = path
    event["requestContext"]["stage"] = stage
    event["pathParameters"] = None
    for headers in ("headers", "multiValueHeaders"):
        event[headers] = {k: v for k, v in event[headers].items() if k != "authorization"}
    if authorization is not None:
        event["headers"]["authorization"] = authorization
        event["multiValueHeaders"]["authorization"] = [authorization]
    return event


def http_api_event(
    authorization: str | None,
    route_key: str,
    method: str,
    path: str,
    *,
    stage: str = "live",
    route_in_identity: bool = True,
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event for ``method path`` routed to ``route_key``.

    ``identitySource`` holds the values of ``$request.header.Authorization`` and (with
    ``route_in_identity``) ``$context.httpMethod`` and ``$context.routeKey``, in that order, as
    API Gateway sends them for the module's authorizer.
    """
    event = load_event("http_api_request")
    arn_prefix = event["routeArn"].split("/", 1)[0]
    event["routeArn"] = f"{arn_prefix}/{stage}/{method}{path}"
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/{stage}{path}"
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["stage"] = stage
    event["pathParameters"] = None
    del event["headers"]["authorization"]
    identity = []
    if authorization is not None:
        event["headers"]["authorization"] = authorization
        identity.append(authorization)
    if route_in_identity:
        identity.extend([method, route_key])
    event["identitySource"] = identity
    return event
