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
    request_method,
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
        ({**load_event("http_api_request"), "version": "1.0"}, True),
        ({**load_event("http_api_request"), "version": 2.0}, True),
    ],
    ids=["v2", "rest-request", "rest-token", "v1.0", "number"],
)
def test_an_event_with_a_version_is_an_http_api_event(
    event: dict[str, Any], expected: bool
) -> None:
    # GIVEN an event; WHEN detected; THEN any "version" selects the HTTP API path (REST has none)
    assert is_http_api_event(event) is expected


@pytest.mark.parametrize(
    ("version", "shown"),
    [("1.0", "1.0"), (2.0, "2.0"), ("2", "2"), ("", ""), (None, "None"), ("x" * 50, "x" * 20)],
)
def test_a_payload_format_other_than_2_0_is_refused(version: object, shown: str) -> None:
    # GIVEN an HTTP API event of payload format 1.0 (REST-like: methodArn, httpMethod, resource)
    # or any "version" that is not the string "2.0"
    event = {**load_event("http_api_request"), "version": version}
    # WHEN its route key is read
    # THEN an EventError (500) that names the payload format, never a REST-style reading
    with pytest.raises(EventError) as raised:
        route_key(event)
    assert str(raised.value) == (
        f"HTTP API payload format version {shown} is not supported: "
        "configure the authorizer with payload format 2.0"
    )


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
    ("key", "method", "needed"),
    [
        ("GET /orders", "GET", {"base", "orders:read"}),
        ("POST /orders", "POST", {"base", "orders:write"}),
        # GET /admin needs its own scopes and those of ANY /admin, as on REST APIs
        ("GET /admin", "GET", {"base", "admin", "admin:read"}),
        # ANY /admin needs its own scopes and those of the request's method on that path
        ("ANY /admin", "GET", {"base", "admin", "admin:read"}),
        ("ANY /admin", "DELETE", {"base", "admin"}),
        ("POST /admin", "POST", {"base", "admin"}),
        # a table key for GET on a path whose only route is ANY is still enforced
        ("ANY /orders", "GET", {"base", "orders:read"}),
        ("ANY /orders", "PATCH", {"base"}),
        ("GET /files/{proxy+}", "GET", {"base", "files"}),
        ("ANY /files/{proxy+}", "GET", {"base", "files"}),
        # no normalisation of route keys: a spelling API Gateway never sends matches nothing
        ("get /orders", "GET", {"base"}),
        ("GET /orders/", "GET", {"base"}),
        # the request's method is compared upper-cased, and HEAD takes GET's entry too: both
        # can only over-deny
        ("ANY /orders", "get", {"base", "orders:read"}),
        ("ANY /admin", "HEAD", {"base", "admin", "admin:read"}),
        ("GET /profile", "GET", {"base"}),
        # the catch-all: any route's spelling may land there, so it needs every route's scopes
        (
            "$default",
            "GET",
            {"base", "orders:read", "orders:write", "admin", "admin:read", "files"},
        ),
    ],
)
def test_route_key_is_united_with_any_and_with_the_request_method(
    make_config: Callable[..., Config], key: str, method: str, needed: set[str]
) -> None:
    # GIVEN REQUIRED_SCOPES=base and the route table
    config = make_config(REQUIRED_SCOPES="base", ROUTE_SCOPES=ROUTES)
    # WHEN the scopes of a route key are asked for a request of that method
    # THEN REQUIRED_SCOPES, the key's scopes, and those of "ANY p" or "<method> p": the same
    # union REST makes, so that one table means the same on both kinds of API
    assert needed_scopes(config, key, ["Bearer t", method, key], method) == needed


@pytest.mark.parametrize(
    "request_context",
    [None, {}, {"http": None}, {"http": {}}, {"http": {"method": ""}}, {"http": {"method": 7}}],
)
def test_an_any_route_without_the_request_method_is_refused(
    make_config: Callable[..., Config], request_context: object
) -> None:
    # GIVEN ROUTE_SCOPES, and an ANY route event without a readable requestContext.http.method
    config = make_config(ROUTE_SCOPES=ROUTES)
    event = {**http_api_event("Bearer t", "ANY /admin", "GET", "/admin")}
    event["requestContext"] = request_context
    # WHEN the scopes of ANY /admin are asked
    # THEN an EventError (500): the method's own scopes cannot be known
    with pytest.raises(EventError) as raised:
        needed_scopes(config, "ANY /admin", event["identitySource"], request_method(event))
    assert str(raised.value) == "event has no requestContext.http.method"


def test_the_request_method_is_read_from_the_request_context() -> None:
    # GIVEN an event for a DELETE routed to ANY /admin; WHEN read; THEN its method is DELETE
    event = http_api_event("Bearer t", "ANY /admin", "DELETE", "/admin")
    assert request_method(event) == "DELETE"


@pytest.mark.parametrize(
    "identity_source",
    [
        ["Bearer t"],
        [],
        None,
        "Bearer t,GET /orders",
        ["Bearer t", "GET /admin"],
        ["Bearer t", "GET", "GET /orders/"],
        ["Bearer t", "get /orders"],
    ],
)
def test_route_scopes_need_the_route_key_among_the_identity_sources(
    make_config: Callable[..., Config], identity_source: object
) -> None:
    # GIVEN ROUTE_SCOPES, and an event whose identity-source values lack its route key
    config = make_config(ROUTE_SCOPES=ROUTES)
    # WHEN the scopes of GET /orders are asked
    # THEN it is refused (500): a cached answer would be reused on every route
    with pytest.raises(EventError) as raised:
        needed_scopes(config, "GET /orders", identity_source, "GET")
    assert str(raised.value) == NO_ROUTE_KEY


@pytest.mark.parametrize(
    "identity_source",
    [
        ["Bearer t", "GET", "GET /orders"],
        ["Bearer t", "GET /orders", "GET"],  # Terraform keeps identity sources as a set
        ["GET /orders", "Bearer t"],
    ],
)
def test_the_route_key_may_stand_anywhere_among_the_identity_sources(
    make_config: Callable[..., Config], identity_source: list[str]
) -> None:
    # GIVEN ROUTE_SCOPES and the route key among the values, in any order
    config = make_config(ROUTE_SCOPES=ROUTES)
    # WHEN the scopes of GET /orders are asked THEN they are the route's
    assert needed_scopes(config, "GET /orders", identity_source, "GET") >= {"orders:read"}


def test_without_route_scopes_the_identity_sources_do_not_matter(
    make_config: Callable[..., Config],
) -> None:
    # GIVEN only REQUIRED_SCOPES; WHEN any route asks; THEN REQUIRED_SCOPES, whatever the keys
    config = make_config(REQUIRED_SCOPES="read")
    assert needed_scopes(config, "GET /orders", ["Bearer t"], "GET") == {"read"}
    assert needed_scopes(config, "$default", None, None) == {"read"}
    assert needed_scopes(config, "ANY /orders", ["Bearer t"], None) == {"read"}


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
