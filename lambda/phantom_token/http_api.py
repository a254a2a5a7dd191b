"""HTTP API (API Gateway v2) authorizer events, payload format 2.0, and their simple responses.

The event (API Gateway Developer Guide, "Working with AWS Lambda authorizers for HTTP APIs",
payload format 2.0) carries ``version: "2.0"``, ``type: "REQUEST"``, ``routeArn`` in place of
``methodArn``, ``routeKey`` (``"GET /orders/{id}"`` or ``"$default"``), ``identitySource`` as
a list of the identity sources' values, and lower-cased ``headers`` in which repeated headers
are joined with commas. With simple responses enabled the answer is
``{"isAuthorized": bool, "context": {...}}``; ``isAuthorized: false`` is a 403.

An HTTP API picks one route per request: an exact route and method first, then a greedy
``{proxy+}`` route, then ``$default`` (Developer Guide, "Working with routes for HTTP APIs",
"Routing API requests"); a route ``ANY /admin`` has the route key ``ANY /admin``. So the scopes
of a route are those of its route key exactly, with no union with ``ANY``.
"""

from __future__ import annotations

from phantom_token.errors import EventError
from phantom_token.policy import authorizer_context, parse_method_arn, principal_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, TypedDict

    from phantom_token.config import Config

    class SimpleResponse(TypedDict):
        isAuthorized: bool
        context: dict[str, str | int | float | bool]


DEFAULT_ROUTE = "$default"
NO_ROUTE_KEY = (
    "ROUTE_SCOPES needs $context.routeKey among the HTTP API authorizer's identity sources "
    "(a cached simple response is reused on every route that shares its identity sources)"
)


def is_http_api_event(event: Mapping[str, Any]) -> bool:
    """Payload format 2.0: ``version`` says so. Anything else is read as a REST event."""
    return event.get("version") == "2.0"


def route_key(event: Mapping[str, Any]) -> str:
    """The event's ``routeKey``, after checking that ``routeArn`` is an execute-api ARN."""
    if event.get("type") != "REQUEST":
        raise EventError("a payload 2.0 event must be a REQUEST event")
    arn = event.get("routeArn")
    try:
        parse_method_arn(arn if isinstance(arn, str) else "")
    except EventError:
        raise EventError("event has no execute-api routeArn") from None
    key = event.get("routeKey")
    if not isinstance(key, str) or not key:
        raise EventError("event has no routeKey")
    return key


def needed_scopes(config: Config, key: str, identity_source: object) -> frozenset[str]:
    """REQUIRED_SCOPES, plus ``ROUTE_SCOPES[routeKey]`` compared exactly; ``$default`` adds none.

    With ROUTE_SCOPES the route key must be one of the identity sources' values: API Gateway
    caches a simple response per identity-source values and reuses it "for all routes of an
    API that use the authorizer" unless ``$context.routeKey`` is one of them (Developer Guide,
    "Caching authorizer responses"). Without it a decision for one route would answer another,
    so the event is refused (500) before any network call.
    """
    if not config.route_scopes:
        return config.required_scopes
    if not isinstance(identity_source, list) or key not in identity_source:
        raise EventError(NO_ROUTE_KEY)
    needed = set(config.required_scopes)
    if key != DEFAULT_ROUTE:
        for entry in config.route_scopes:
            if entry.key == key:
                needed |= entry.scopes
    return frozenset(needed)


def simple_response(
    config: Config, allow: bool, jwt: str, claims: Mapping[str, Any]
) -> SimpleResponse:
    """Allow: the JWT under ``Authorization`` plus CONTEXT_CLAIMS; Deny: an empty context.

    The principal is checked as for REST (``sub`` or ``client_id``) so that the same token is
    an error (500) on both kinds of API, never an Allow on one of them.
    """
    principal_id(claims)
    if not allow:
        return {"isAuthorized": False, "context": {}}
    return {
        "isAuthorized": True,
        "context": authorizer_context(jwt, claims, config.context_claims),
    }
