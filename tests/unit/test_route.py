"""Routes: the route template of a REQUEST event and the scopes that route needs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from phantom_token.errors import EventError
from phantom_token.route import Route, event_route, needed_scopes
from tests.support.events import load_event, request_event, token_event

if TYPE_CHECKING:
    from collections.abc import Callable

    from phantom_token.config import Config

ROUTES = json.dumps(
    {
        "GET /orders": "orders:read",
        "POST /orders": "orders:write",
        "DELETE /orders/{id}": "orders:admin",
        "DELETE /orders/{id}/items": "orders:read",
        "ANY /admin": "admin",
        "GET /admin": "admin:read",
        "GET /": "home",
        "ANY /files/{proxy+}": "files",
    }
)
REFUSED = (
    "ROUTE_SCOPES needs a REQUEST authorizer whose identity sources pin the route "
    "(the Authorization header, context.httpMethod, context.resourceId)"
)


# ----- the route of an event --------------------------------------------------------------


def test_route_of_the_request_event_fixture() -> None:
    # GIVEN the REQUEST event fixture (GET /orders/42 routed to /orders/{id})
    event = load_event("request")
    # WHEN its route is read
    route = event_route(event)
    # THEN it is the method and the resource template, not the concrete path
    assert route == Route("GET", "/orders/{id}")
    assert route is not None
    assert route.key == "GET /orders/{id}"


@pytest.mark.parametrize(
    ("changes", "route"),
    [
        ({}, Route("GET", "/orders/{id}")),
        ({"httpMethod": "POST", "resource": "/orders"}, Route("POST", "/orders")),
        ({"resource": "/", "path": "/"}, Route("GET", "/")),
        ({"resource": "/{proxy+}", "path": "/a/b/"}, Route("GET", "/{proxy+}")),
        ({"type": None}, Route("GET", "/orders/{id}")),
        ({"resource": None}, None),
        ({"resource": ""}, None),
        ({"resource": ["/orders"]}, None),
        ({"httpMethod": None}, None),
        ({"httpMethod": ""}, None),
        ({"httpMethod": 7}, None),
        ({"authorizationToken": "Bearer x"}, None),
        ({"type": "TOKEN"}, None),
    ],
)
def test_event_route(changes: dict[str, Any], route: Route | None) -> None:
    # GIVEN a REQUEST event with these fields changed (None removes one)
    event = load_event("request")
    for name, value in changes.items():
        if value is None:
            del event[name]
        else:
            event[name] = value
    # WHEN its route is read
    # THEN it is the top-level httpMethod and resource, only when both are non-empty strings of
    # a REQUEST event (a TOKEN event has no route, whatever else it carries)
    assert event_route(event) == route


def test_token_event_has_no_route() -> None:
    # GIVEN a TOKEN event
    # WHEN its route is read
    # THEN there is none: a TOKEN event carries only the methodArn's concrete path
    assert event_route(token_event("Bearer x")) is None


# ----- the scopes a route needs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "needed"),
    [
        (Route("GET", "/orders"), {"base", "orders:read"}),
        (Route("POST", "/orders"), {"base", "orders:write"}),
        (Route("PUT", "/orders"), {"base"}),
        (Route("DELETE", "/orders/{id}"), {"base", "orders:admin"}),
        (Route("GET", "/orders/{id}"), {"base"}),
        (Route("DELETE", "/orders/{id}/items"), {"base", "orders:read"}),
        # ANY and the method are both required: the event cannot say which API Gateway picked
        (Route("GET", "/admin"), {"base", "admin", "admin:read"}),
        (Route("POST", "/admin"), {"base", "admin"}),
        (Route("GET", "/"), {"base", "home"}),
        (Route("POST", "/"), {"base"}),
        (Route("GET", "/files/{proxy+}"), {"base", "files"}),
        (Route("DELETE", "/files/{proxy+}"), {"base", "files"}),
        # exact comparison: no normalisation, no wildcards, no concrete paths
        (Route("GET", "/orders/"), {"base"}),
        (Route("GET", "/Orders"), {"base"}),
        # the method is compared upper-cased, and HEAD takes GET's entry: both only over-deny
        (Route("get", "/orders"), {"base", "orders:read"}),
        (Route("HEAD", "/orders"), {"base", "orders:read"}),
        (Route("ANY", "/orders"), {"base"}),
        (Route("DELETE", "/orders/42"), {"base"}),
        (Route("DELETE", "/orders/*"), {"base"}),
        (Route("GET", "/files/a/b"), {"base"}),
        (Route("GET", "/unknown"), {"base"}),
    ],
)
def test_needed_scopes_are_required_plus_the_route_plus_any(
    make_config: Callable[..., Config], route: Route, needed: set[str]
) -> None:
    # GIVEN REQUIRED_SCOPES and a route table
    config = make_config(REQUIRED_SCOPES="base", ROUTE_SCOPES=ROUTES)
    # WHEN the scopes a route needs are computed
    # THEN they are REQUIRED_SCOPES, "<METHOD> <resource>" and "ANY <resource>", by exact key
    assert needed_scopes(config, route) == needed


@pytest.mark.parametrize("route", [None, Route("GET", "/orders")])
def test_without_route_scopes_only_required_scopes_are_needed(
    make_config: Callable[..., Config], route: Route | None
) -> None:
    # GIVEN no ROUTE_SCOPES
    config = make_config(REQUIRED_SCOPES="read write")
    # WHEN the scopes an event needs are computed, with or without a route
    # THEN they are REQUIRED_SCOPES
    assert needed_scopes(config, route) == {"read", "write"}


def test_route_scopes_without_a_route_are_refused(make_config: Callable[..., Config]) -> None:
    # GIVEN ROUTE_SCOPES
    config = make_config(ROUTE_SCOPES=ROUTES)
    # WHEN the event had no route (a TOKEN event, or a REQUEST event without httpMethod/resource)
    # THEN it is an error (500), never a decision made without knowing the route
    with pytest.raises(EventError) as raised:
        needed_scopes(config, None)
    assert str(raised.value) == REFUSED
    assert str(raised.value) != "Unauthorized"


@pytest.mark.parametrize(
    ("method", "resource", "path"),
    [
        ("POST", "/orders", "/orders"),
        ("POST", "/orders", "/orders/"),
        ("DELETE", "/orders/{id}", "/orders/7"),
        ("DELETE", "/orders/{id}", "/orders/7/"),
    ],
)
def test_the_path_spelling_does_not_change_the_route(method: str, resource: str, path: str) -> None:
    # GIVEN a REQUEST event whose methodArn spells the path with or without a trailing slash
    event = request_event("Bearer x", method, resource, path)
    # WHEN its route is read
    # THEN it is the resource template, whatever the methodArn says
    assert event["methodArn"].endswith(f"/live/{method}{path}")
    assert event_route(event) == Route(method, resource)
