"""HTTP API (API Gateway v2) authorizer events, payload format 2.0, and their simple responses.

The event (API Gateway Developer Guide, "Working with AWS Lambda authorizers for HTTP APIs",
payload format 2.0) carries ``version: "2.0"``, ``type: "REQUEST"``, ``routeArn`` in place of
``methodArn``, ``routeKey`` (``"GET /orders/{id}"`` or ``"$default"``), ``identitySource`` as
a list of the identity sources' values, and lower-cased ``headers`` in which repeated headers
are joined with commas. With simple responses enabled the answer is
``{"isAuthorized": bool, "context": {...}}``; ``isAuthorized: false`` is a 403.

An HTTP API picks one route per request: an exact route and method first, then a greedy
``{proxy+}`` route, then ``$default`` (Developer Guide, "Working with routes for HTTP APIs",
"Routing API requests"); a route ``ANY /admin`` has the route key ``ANY /admin`` whatever the
request's method. The scopes of a route are those of its route key plus, as on REST APIs, those
of ``ANY <path>`` (for ``GET <path>``) or of ``<request method> <path>`` (for ``ANY <path>``):
one table means the same on both kinds of API, and the union can only over-deny.

``$default`` is where every spelling no route matches ends up, ``/orders/`` for ``GET /orders``
included: with ``DEFAULT_ROUTE=deny`` it is denied before any introspection; otherwise it needs
REQUIRED_SCOPES plus the ``$default`` entry of ROUTE_SCOPES.

The token must be among the identity-source values: API Gateway caches a simple response per
identity-source values, so a cache key without the token would hand one caller's Allow (and
JWT) to every caller who shares the other values.

Payload format 1.0 (REST-like fields, a ``methodArn``, ``version: "1.0"``) is refused: read as
a REST event its ``resource`` and ``httpMethod`` would name no HTTP API route key.
"""

from __future__ import annotations

from phantom_token.config import DEFAULT_ROUTE_KEY
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


DEFAULT_ROUTE = DEFAULT_ROUTE_KEY  # one spelling, where ROUTE_SCOPES is parsed
NO_ROUTE_KEY = (
    "ROUTE_SCOPES, DEFAULT_ROUTE=deny and UNLISTED_ROUTES=deny need $context.routeKey among "
    "the HTTP API authorizer's identity sources (a cached simple response is reused on every "
    "route that shares its identity sources)"
)
NO_AUTHORIZATION_IDENTITY = (
    "the HTTP API authorizer's identity sources must include $request.header.Authorization "
    "(a cached simple response is reused for every caller who shares its identity sources)"
)
NO_METHOD = (
    "ROUTE_SCOPES names methods on a path whose HTTP API route is ANY: the authorizer's identity "
    "sources need $context.httpMethod (a cached simple response would answer every method)"
)
DEFAULT_ROUTE_DENIED = "the $default route is denied (DEFAULT_ROUTE=deny)"


def is_http_api_event(event: Mapping[str, Any]) -> bool:
    """An HTTP API event: it has a ``version`` (REST API events have none)."""
    return "version" in event


def route_key(event: Mapping[str, Any]) -> str:
    """The event's ``routeKey``, after checking the payload format and the ``routeArn``."""
    version = event.get("version")
    if version != "2.0":
        raise EventError(
            f"HTTP API payload format version {str(version)[:20]} is not supported: "
            "configure the authorizer with payload format 2.0"
        )
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


def request_method(event: Mapping[str, Any]) -> str | None:
    """``requestContext.http.method``: the request's method, also on an ``ANY`` route."""
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    method = http.get("method") if isinstance(http, dict) else None
    return method if isinstance(method, str) and method else None


def check_token_is_an_identity_source(identity_source: object, authorization: str | None) -> None:
    """Refuse (500) an event whose identity-source values lack its Authorization header value.

    A hand-wired authorizer keyed by, say, an API key header alone would otherwise cache one
    caller's Allow, JWT included, for everyone with that key. Compared exactly: API Gateway
    sends the header's value (repeated headers joined with commas, as in ``headers``).
    """
    if authorization is None:
        return  # no token: the 401 that follows needs no cache key
    if not isinstance(identity_source, list) or authorization not in identity_source:
        raise EventError(NO_AUTHORIZATION_IDENTITY)


def route_denied(config: Config, key: str) -> bool:
    """True for ``$default`` with DEFAULT_ROUTE=deny: no route of the API matched the request."""
    return key == DEFAULT_ROUTE and config.default_route == "deny"


def needed_scopes(
    config: Config, key: str, identity_source: object, method: str | None
) -> frozenset[str]:
    """REQUIRED_SCOPES, plus the scopes of the route key united with ``ANY``.

    For ``"GET /p"`` the keys ``GET /p`` and ``ANY /p``; for ``"ANY /p"`` the keys ``ANY /p``
    and ``"<method> /p"`` with the request's method: a table naming ``GET /admin`` is enforced
    on an API whose only route is ``ANY /admin``, and the reverse. Keys are compared exactly.

    ``$default`` needs the scopes of every entry of ROUTE_SCOPES, its own included: a spelling
    of any route may land there.
    With ROUTE_SCOPES, DEFAULT_ROUTE=deny or UNLISTED_ROUTES=deny the route key must be one of
    the identity-source
    values (a cached Deny of ``$default`` would otherwise answer every route): API Gateway
    caches a simple response per identity-source values and reuses it "for all routes of an API
    that use the authorizer" unless ``$context.routeKey`` is one of them (Developer Guide,
    "Caching authorizer responses"). Otherwise a decision for one route could answer another:
    refused (500) before any call. The values carry no names and their order follows the
    authorizer's configuration (a set in Terraform), so membership is all that can be checked:
    a hand-wired authorizer whose only route-like value is a client's header passes it, which
    is why the module computes the identity sources itself.
    """
    if not _route_dependent(config):
        return config.required_scopes
    if not isinstance(identity_source, list) or key not in identity_source:
        raise EventError(NO_ROUTE_KEY)
    needed = set(config.required_scopes)
    if key == DEFAULT_ROUTE:
        # Every spelling no route matches lands here (GET /admin/ for GET /admin), and a backend
        # may serve it as the route it spells: the catch-all needs what every route needs.
        for entry in config.route_scopes:
            needed |= entry.scopes
        return frozenset(needed)
    keys = _table_keys(key, method)
    if key.startswith("ANY ") and any(
        entry.resource == key[4:] and entry.method != "ANY" for entry in config.route_scopes
    ):
        # The decision depends on the method too: it must key the cache with the route.
        if method not in identity_source:
            raise EventError(NO_METHOD)
    for entry in config.route_scopes:
        if entry.key in keys:
            needed |= entry.scopes
    return frozenset(needed)


def is_listed(config: Config, key: str, method: str | None) -> bool:
    """True when ROUTE_SCOPES has an entry for the route (its key, or the ANY/method twin)."""
    keys = _table_keys(key, method)
    return any(entry.key in keys for entry in config.route_scopes)


def _route_dependent(config: Config) -> bool:
    """Whether a decision depends on the route, so the route must key API Gateway's cache."""
    return (
        bool(config.route_scopes)
        or config.default_route == "deny"
        or config.unlisted_routes == "deny"
    )


def _table_keys(key: str, method: str | None) -> set[str]:
    """The ROUTE_SCOPES keys that apply to a route key (see :func:`needed_scopes`).

    The request's method is compared upper-cased, and a HEAD also takes GET's entry: backends
    commonly answer HEAD with their GET handler. Both can only over-deny.
    """
    verb, _, path = key.partition(" ")
    if key == DEFAULT_ROUTE:
        return {key}
    if verb == "ANY":
        if method is None:
            raise EventError("event has no requestContext.http.method")
        verb = method.upper()
    keys = {key, f"ANY {path}", f"{verb} {path}"}
    if verb == "HEAD":
        keys.add(f"GET {path}")
    return keys


def denied() -> SimpleResponse:
    """A Deny: ``isAuthorized`` false, nothing in the context."""
    return {"isAuthorized": False, "context": {}}


def simple_response(
    config: Config, allow: bool, jwt: str, claims: Mapping[str, Any]
) -> SimpleResponse:
    """Allow: the JWT under ``Authorization`` plus CONTEXT_CLAIMS; Deny: an empty context.

    The principal is checked as for REST (``sub`` or ``client_id``) so that the same token is
    an error (500) on both kinds of API, never an Allow on one of them.
    """
    principal_id(claims)
    if not allow:
        return denied()
    return {
        "isAuthorized": True,
        "context": authorizer_context(jwt, claims, config.context_claims),
    }
