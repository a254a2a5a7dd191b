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
    from collections.abc import Mapping
    from typing import Any, NamedTuple

    from phantom_token.config import Config
else:
    from phantom_token._records import NamedTuple

NO_ROUTE = (
    "ROUTE_SCOPES needs a REQUEST authorizer whose identity sources pin the route "
    "(the Authorization header, context.httpMethod, context.resourceId)"
)


class Route(NamedTuple):
    method: str  # the request's method, also when API Gateway picked an ANY method
    resource: str  # the resource template as API Gateway holds it, e.g. /orders/{id}

    @property
    def key(self) -> str:
        """``"GET /orders/{id}"``: the ROUTE_SCOPES key, and a low-cardinality log field."""
        return f"{self.method} {self.resource}"


def event_route(event: Mapping[str, Any]) -> Route | None:
    """The route of a REQUEST event; None for a TOKEN event or one that does not name it."""
    if event.get("type") == "TOKEN" or "authorizationToken" in event:
        return None  # a TOKEN event has only the methodArn's concrete path
    method, resource = event.get("httpMethod"), event.get("resource")
    if isinstance(method, str) and method and isinstance(resource, str) and resource:
        return Route(method, resource)
    return None


def needed_scopes(config: Config, route: Route | None) -> frozenset[str]:
    """REQUIRED_SCOPES, plus those of ``"<method> <resource>"`` and ``"ANY <resource>"``.

    Keys are compared exactly: no wildcard, no normalisation (the config refuses any key API
    Gateway could not route). Both the method's and ANY's scopes are needed because the event
    does not say whether API Gateway picked a GET or an ANY method on that resource: requiring
    both can over-deny a misconfigured table, never under-deny. Without ROUTE_SCOPES every route
    needs the same, so the decision rests on the token alone (TOKEN events welcome).

    With ROUTE_SCOPES an event without a route is refused (500): a TOKEN authorizer's cached
    decision is keyed by the token alone and would be reused on every route.
    """
    if not config.route_scopes:
        return config.required_scopes
    if route is None:
        raise EventError(NO_ROUTE)
    needed = set(config.required_scopes)
    for entry in config.route_scopes:
        if entry.resource == route.resource and entry.method in (route.method, "ANY"):
            needed |= entry.scopes
    return frozenset(needed)
