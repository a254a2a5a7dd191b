"""HTTP API (payload 2.0) events: detection, route key, the scopes it needs, simple responses."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from phantom_token.bearer import authorization_header, parse_authorization
from phantom_token.errors import EventError, IntrospectionError, UnauthorizedError
from phantom_token.http_api import (
    NO_ROUTE_KEY,
    is_http_api_event,
    needed_scopes,
    route_key,
    simple_response,
)
from tests.support.events import http_api_event, load_event, request_event, token_event

if TYPE_CHECKING:
    from collections.abc import Callable

    from phantom_token.config import Config

ROUTES = json.dumps(
    {
        "GET /orders": "orders:read",
        "POST /orders": "orders:write",
        "ANY /admin": "admin",
        "GET /admin": "admin:read",
        "GET /files/{proxy+}": "files",
    }
)


# ----- detection and the route key ---------------------------------------------------------


def test_the_fixture_is_a_payload_2_event_with_its_route_key() -> None:
    # GIVEN the payload 2.0 fixture (the shape of the AWS documentation's example)
    event = load_event("http_api_request")
    # WHEN it is read
    # THEN it is an HTTP API event routed to GET /orders/{id}, its token in the lower-case header
    assert is_http_api_event(event)
    assert route_key(event) == "GET /orders/{id}"
    assert parse_authorization(authorization_header(event)) == "2YotnFZFEjr1zCsicMWpAA"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (load_event("http_api_request"), True),
        (load_event("request"), False),
        (load_event("token"), False),
        ({**load_event("http_api_request"), "version": "1.0"}, False),
        ({**load_event("http_api_request"), "version": 2.0}, False),
    ],
    ids=["v2", "rest-request", "rest-token", "v1.0", "number"],
)
def test_only_version_2_0_is_an_http_api_event(event: dict[str, Any], expected: bool) -> None:
    # GIVEN an event; WHEN detected; THEN only the string "2.0" selects the HTTP API path
    assert is_http_api_event(event) is expected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"type": "TOKEN"}, "a payload 2.0 event must be a REQUEST event"),
        ({"type": None}, "a payload 2.0 event must be a REQUEST event"),
        ({"routeArn": None}, "event has no execute-api routeArn"),
        ({"routeArn": ""}, "event has no execute-api routeArn"),
        ({"routeArn": 7}, "event has no execute-api routeArn"),
        (
            {"routeArn": "arn:aws:lambda:eu-west-1:123456789012:function:f"},
            "event has no execute-api routeArn",
        ),
        ({"routeKey": None}, "event has no routeKey"),
        ({"routeKey": ""}, "event has no routeKey"),
        ({"routeKey": ["GET /orders"]}, "event has no routeKey"),
    ],
)
def test_a_malformed_payload_2_event_is_an_event_error(
    changes: dict[str, Any], message: str
) -> None:
    # GIVEN a 2.0 event with a missing or wrong field
    event = load_event("http_api_request")
    for name, value in changes.items():
        if value is None:
            del event[name]
        else:
            event[name] = value
    # WHEN its route key is read
    # THEN an EventError (500), never UnauthorizedError
    with pytest.raises(EventError) as raised:
        route_key(event)
    assert str(raised.value) == message


def test_default_route_and_default_stage_are_route_keys_like_any_other() -> None:
    # GIVEN the $default route on the $default stage
    event = http_api_event("Bearer t", "$default", "GET", "/anything", stage="$default")
    # WHEN read; THEN the key is $default and the ARN names the concrete method and path
    assert route_key(event) == "$default"
    assert event["routeArn"].endswith("/$default/GET/anything")


# ----- the header ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc,Bearer def",  # two Authorization headers, joined by API Gateway
        "Bearer abc, Bearer def",
        "Bearer abc,def",
    ],
)
def test_comma_joined_duplicate_headers_are_not_a_bearer_token(header: str) -> None:
    # GIVEN a 2.0 event whose authorization header API Gateway joined from duplicates
    event = http_api_event(header, "GET /orders", "GET", "/orders")
    # WHEN the token is parsed
    # THEN it is the 401 path, before any network call
    with pytest.raises(UnauthorizedError):
        parse_authorization(authorization_header(event))


# ----- the scopes a route key needs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "needed"),
    [
        ("GET /orders", {"base", "orders:read"}),
        ("POST /orders", {"base", "orders:write"}),
        # exact: GET /admin is its own route, ANY /admin another one (no union)
        ("GET /admin", {"base", "admin:read"}),
        ("ANY /admin", {"base", "admin"}),
        ("POST /admin", {"base"}),
        ("GET /files/{proxy+}", {"base", "files"}),
        # no normalisation: a spelling API Gateway never sends matches nothing
        ("get /orders", {"base"}),
        ("GET /orders/", {"base"}),
        ("GET /profile", {"base"}),
        ("$default", {"base"}),
    ],
)
def test_route_key_is_compared_exactly(
    make_config: Callable[..., Config], key: str, needed: set[str]
) -> None:
    # GIVEN REQUIRED_SCOPES=base and the route table
    config = make_config(REQUIRED_SCOPES="base", ROUTE_SCOPES=ROUTES)
    # WHEN the scopes of a route key are asked (the route key among the identity sources)
    # THEN REQUIRED_SCOPES plus the scopes of that exact key
    assert needed_scopes(config, key, ["Bearer t", key]) == needed


@pytest.mark.parametrize(
    "identity_source",
    [["Bearer t"], [], None, "Bearer t,GET /orders", ["Bearer t", "GET /admin"]],
)
def test_route_scopes_need_the_route_key_among_the_identity_sources(
    make_config: Callable[..., Config], identity_source: object
) -> None:
    # GIVEN ROUTE_SCOPES, and an event whose identity sources do not hold its route key
    config = make_config(ROUTE_SCOPES=ROUTES)
    # WHEN the scopes of GET /orders are asked
    # THEN it is refused (500): a cached answer would be reused on every route
    with pytest.raises(EventError) as raised:
        needed_scopes(config, "GET /orders", identity_source)
    assert str(raised.value) == NO_ROUTE_KEY


def test_without_route_scopes_the_identity_sources_do_not_matter(
    make_config: Callable[..., Config],
) -> None:
    # GIVEN only REQUIRED_SCOPES; WHEN any route asks; THEN REQUIRED_SCOPES, whatever the keys
    config = make_config(REQUIRED_SCOPES="read")
    assert needed_scopes(config, "GET /orders", ["Bearer t"]) == {"read"}
    assert needed_scopes(config, "$default", None) == {"read"}


# ----- the simple response -----------------------------------------------------------------


def test_allow_carries_the_jwt_and_the_context_claims(make_config: Callable[..., Config]) -> None:
    # GIVEN the default CONTEXT_CLAIMS (sub scope client_id)
    config = make_config()
    claims = {"sub": "alice", "scope": ["a", "b"], "aud": "api"}
    # WHEN an Allow is answered
    # THEN isAuthorized true, the JWT under Authorization, non-scalars as JSON text
    assert simple_response(config, True, "h.p.s", claims) == {
        "isAuthorized": True,
        "context": {"Authorization": "Bearer h.p.s", "sub": "alice", "scope": '["a","b"]'},
    }


def test_deny_carries_nothing(make_config: Callable[..., Config]) -> None:
    # GIVEN a token lacking a scope; WHEN denied; THEN isAuthorized false and an empty context
    assert simple_response(make_config(), False, "h.p.s", {"sub": "alice"}) == {
        "isAuthorized": False,
        "context": {},
    }


@pytest.mark.parametrize("allow", [True, False])
def test_a_token_without_principal_is_an_error_either_way(
    make_config: Callable[..., Config], allow: bool
) -> None:
    # GIVEN claims with neither sub nor client_id
    # WHEN answered; THEN an IntrospectionError (500), as for REST APIs
    with pytest.raises(IntrospectionError):
        simple_response(make_config(), allow, "h.p.s", {"scope": "read"})


def test_rest_events_are_untouched() -> None:
    # GIVEN REST TOKEN and REQUEST events; WHEN detected; THEN neither is a 2.0 event
    assert not is_http_api_event(token_event("Bearer t"))
    assert not is_http_api_event(request_event("Bearer t", "GET", "/orders", "/orders"))
