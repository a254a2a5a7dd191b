"""The route of a REST REQUEST event and the scopes it needs: exact keys, never path spellings.

API Gateway routes ``/orders/`` to the ``/orders`` resource but keeps the slash in ``methodArn``
(aws-powertools/powertools-lambda-python issue 1552), and in an IAM resource ``*`` spans ``/``
(IAM User Guide, "IAM JSON policy elements: Resource", wildcards). So a decision is never made
by matching the concrete path of ``methodArn``: it is made for the route API Gateway picked, as
the REQUEST event names it in ``httpMethod`` and ``resource`` (the resource's template, e.g.
``/orders/{id}``; API Gateway Developer Guide, "Input to an API Gateway Lambda authorizer").
"""

from __future__ import annotations

from phantom_token.errors import EventError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any, NamedTuple

    from phantom_token.config import Config, RouteScopes
else:
    from phantom_token._records import NamedTuple

NO_ROUTE = (
    "ROUTE_SCOPES needs a REQUEST authorizer whose identity sources pin the route "
    "(the Authorization header, context.httpMethod, context.resourceId)"
)
UNLISTED_ROUTE_DENIED = "the route is not in ROUTE_SCOPES (UNLISTED_ROUTES=deny)"


class Route(NamedTuple):
    method: str  # the request's method, also when API Gateway picked an ANY method
    resource: str  # the resource template as API Gateway holds it, e.g. /orders/{id}

    @property
    def key(self) -> str:
        """``"GET /orders/{id}"``: the ROUTE_SCOPES key, and a low-cardinality log field."""
        return f"{self.method} {self.resource}"


def is_token_event(event: Mapping[str, Any]) -> bool:
    """A TOKEN authorizer's event: it has only the methodArn's concrete path, no route."""
    return event.get("type") == "TOKEN" or "authorizationToken" in event


def event_route(event: Mapping[str, Any]) -> Route | None:
    """The route of a REQUEST event; None for a TOKEN event or one that does not name it."""
    if is_token_event(event):
        return None
    method, resource = event.get("httpMethod"), event.get("resource")
    if isinstance(method, str) and method and isinstance(resource, str) and resource:
        return Route(method, resource)
    return None


def needed_scopes(
    config: Config, route: Route | None, *, token_event: bool = False
) -> frozenset[str]:
    """REQUIRED_SCOPES, plus those of ``"<method> <resource>"`` and ``"ANY <resource>"``.

    Keys are compared exactly: no wildcard, no normalisation (the config refuses any key API
    Gateway could not route). Both the method's and ANY's scopes are needed because the event
    does not say whether API Gateway picked a GET or an ANY method on that resource: requiring
    both can over-deny a misconfigured table, never under-deny. Without ROUTE_SCOPES every route
    needs the same, so the decision rests on the token alone (TOKEN events welcome).

    A TOKEN event while ROUTE_SCOPES is set (a stage still deployed with the TOKEN authorizer
    while an upgrade switches it to REQUEST) needs every scope of the table: its cached decision
    is keyed by the token alone and reused on every route, and one that holds every route's
    scopes is right on each of them. It can over-deny, never under-deny. A REQUEST event that
    names no route is refused (500).
    """
    if not config.route_scopes:
        return config.required_scopes
    needed = set(config.required_scopes)
    if route is None:
        if not token_event:
            raise EventError(NO_ROUTE)
        for entry in config.route_scopes:
            needed |= entry.scopes
        return frozenset(needed)
    for entry in _entries(config, route):
        needed |= entry.scopes
    return frozenset(needed)


def is_listed(config: Config, route: Route | None) -> bool:
    """True when ROUTE_SCOPES names the route (its method or ANY on its resource).

    A TOKEN event cannot name its route: with UNLISTED_ROUTES=deny it is not listed, so a
    stage still on a TOKEN authorizer denies rather than guess (403, never an Allow for a
    route that may be unlisted).
    """
    return route is not None and any(True for _ in _entries(config, route))


def _entries(config: Config, route: Route) -> Iterator[RouteScopes]:
    """The entries of the route's resource for its method, ANY, and (for HEAD) GET.

    The method is compared upper-cased, and a HEAD also takes GET's entry (backends commonly
    answer HEAD with their GET handler): both can only over-deny.
    """
    method = route.method.upper()
    methods = (method, "ANY", "GET") if method == "HEAD" else (method, "ANY")
    for entry in config.route_scopes:
        if entry.resource == route.resource and entry.method in methods:
            yield entry
