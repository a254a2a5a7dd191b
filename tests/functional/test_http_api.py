"""HTTP API (payload 2.0) events through the real handler and a real HTTP identity server.

The module wires an HTTP API authorizer with simple responses, whose identity sources are the
Authorization header and, when any route has scopes, ``$context.routeKey``; the events below
carry those values in ``identitySource`` in that order.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from phantom_token.errors import AuthorizerError, UnauthorizedError
from phantom_token.http_api import (
    DEFAULT_ROUTE_DENIED,
    NO_AUTHORIZATION_IDENTITY,
    NO_METHOD,
    NO_ROUTE_KEY,
)
from tests.functional.harness import API, Reply, invoke, jwt_reply
from tests.support.events import http_api_event, load_event
from tests.support.jwts import jwt_claims

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.functional.harness import IdentityServer

ROUTES = {
    "GET /orders": "orders:read",
    "POST /orders": "orders:write",
    "ANY /admin": "admin",
    "GET /admin": "admin:read",
}


def call(route_key: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    event = http_api_event("Bearer opaque-token", route_key, method, path, **kwargs)
    return dict(invoke(event=event))


def decisions(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_active_token_is_authorized_with_the_jwt_in_the_context(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN an identity server that answers with a phantom token for alice
    handler_env(REQUIRED_SCOPES="read")
    reply = jwt_reply({"sub": "alice", "scope": "read write", "client_id": "web"})
    identity.script(reply)
    # WHEN the HTTP API event of the AWS documentation's shape arrives
    response = invoke(event=load_event("http_api_request"))
    # THEN a simple response: authorized, the JWT under Authorization, the context claims
    assert response == {
        "isAuthorized": True,
        "context": {
            "Authorization": f"Bearer {reply.body}",
            "sub": "alice",
            "scope": "read write",
            "client_id": "web",
        },
    }
    assert jwt_claims(str(reply.body))["sub"] == "alice"
    assert identity.received[0].form["token"] == ["2YotnFZFEjr1zCsicMWpAA"]


@pytest.mark.parametrize(
    ("scope", "route_key", "method", "path", "authorized"),
    [
        ("orders:read", "GET /orders", "GET", "/orders", True),
        ("orders:read", "POST /orders", "POST", "/orders", False),
        ("orders:write", "POST /orders", "POST", "/orders", True),
        # GET /admin needs its own scopes and those of ANY /admin, as on REST APIs
        ("admin:read", "GET /admin", "GET", "/admin", False),
        ("admin", "GET /admin", "GET", "/admin", False),
        ("admin admin:read", "GET /admin", "GET", "/admin", True),
        # ANY /admin needs its own scopes and those of the request's method on /admin
        ("admin", "ANY /admin", "DELETE", "/admin", True),
        ("admin:read", "ANY /admin", "DELETE", "/admin", False),
        ("admin", "ANY /admin", "GET", "/admin", False),
        ("admin admin:read", "ANY /admin", "GET", "/admin", True),
        # a table key for GET /orders holds on an API whose only route is ANY /orders
        ("read", "ANY /orders", "GET", "/orders", False),
        ("orders:read", "ANY /orders", "GET", "/orders", True),
        ("read", "ANY /orders", "PATCH", "/orders", True),
        # an unnamed route needs only REQUIRED_SCOPES (none here); $default, where any route's
        # spelling lands, needs every route's scopes
        ("orders:read", "GET /profile", "GET", "/profile", True),
        ("orders:read", "$default", "PUT", "/anything/else", False),
        ("orders:read orders:write admin admin:read", "$default", "PUT", "/x", True),
    ],
)
def test_each_route_is_decided_by_its_key_united_with_any_and_the_method(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    scope: str,
    route_key: str,
    method: str,
    path: str,
    authorized: bool,
) -> None:
    # GIVEN the route table and a token with these scopes
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": scope}))
    # WHEN the token calls a route
    response = call(route_key, method, path)
    # THEN isAuthorized follows the scopes of the route key, of "ANY p" or "<method> p", and a
    # refusal carries no context
    assert response["isAuthorized"] is authorized
    if not authorized:
        assert response == {"isAuthorized": False, "context": {}}


def test_one_introspection_serves_every_route_and_each_line_names_its_route(
    identity: IdentityServer, handler_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN REQUIRED_SCOPES=base, the route table, and a server that answers once
    handler_env(REQUIRED_SCOPES="base", ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": "base orders:read"}))
    # WHEN the token calls GET /orders, then POST /orders
    allowed = call("GET /orders", "GET", "/orders")
    denied = call("POST /orders", "POST", "/orders")
    # THEN one introspection, two decisions, one line each with the route key and route ARN
    assert (allowed["isAuthorized"], denied["isAuthorized"]) == (True, False)
    assert len(identity.received) == 1
    allow, deny = decisions(capsys.readouterr().out)
    fields = ("outcome", "reason", "route", "route_arn", "cache", "missing_scopes", "principal")
    assert {k: allow.get(k) for k in fields} == {
        "outcome": "allow",
        "reason": "active",
        "route": "GET /orders",
        "route_arn": f"{API}/live/GET/orders",
        "cache": "miss",
        "missing_scopes": None,
        "principal": "alice",
    }
    assert {k: deny.get(k) for k in fields} == {
        "outcome": "deny",
        "reason": "insufficient scope",
        "route": "POST /orders",
        "route_arn": f"{API}/live/POST/orders",
        "cache": "hit",
        "missing_scopes": ["orders:write"],
        "principal": "alice",
    }
    assert "method_arn" not in allow


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing Authorization header"),
        ("Basic dXNlcjpwYXNz", "Authorization header is not a Bearer b64token"),
        ("Bearer a,Bearer b", "Authorization header is not a Bearer b64token"),
        ("Bearer ", "Authorization header is not a Bearer b64token"),
    ],
)
def test_no_usable_token_is_unauthorized_before_any_network_call(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    authorization: str | None,
    reason: str,
) -> None:
    # GIVEN an event whose header is missing, not Bearer, or two headers joined by a comma
    event = http_api_event(authorization, "GET /orders", "GET", "/orders")
    # WHEN the handler runs
    with pytest.raises(UnauthorizedError) as raised:
        invoke(event=event)
    # THEN "Unauthorized", the identity server never asked, one line with the reason
    assert str(raised.value) == "Unauthorized"
    assert identity.received == []
    [line] = decisions(capsys.readouterr().out)
    assert (line["outcome"], line["reason"], line["route"]) == (
        "unauthorized",
        reason,
        "GET /orders",
    )


def test_inactive_token_is_unauthorized(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN an identity server that says the token is not active (204)
    identity.script(Reply(204))
    # WHEN an HTTP API event carries it
    # THEN "Unauthorized" (never isAuthorized: true)
    with pytest.raises(UnauthorizedError):
        call("GET /orders", "GET", "/orders")


@pytest.mark.parametrize(
    "reply",
    [Reply(503, "down"), Reply(200, "not a jwt", {"Content-Type": "application/jwt"})],
    ids=["503", "garbage"],
)
def test_identity_server_trouble_is_an_error_not_unauthorized(
    identity: IdentityServer, handler_env: Callable[..., None], reply: Reply
) -> None:
    # GIVEN an identity server that fails or answers nonsense
    identity.script(reply)
    # WHEN an HTTP API event arrives
    # THEN an AuthorizerError (500), neither "Unauthorized" nor a simple response
    with pytest.raises(AuthorizerError) as raised:
        call("GET /orders", "GET", "/orders")
    assert not isinstance(raised.value, UnauthorizedError)


def test_route_scopes_without_the_route_key_among_identity_sources_are_refused(
    identity: IdentityServer, handler_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN ROUTE_SCOPES, and an authorizer keyed by the Authorization header alone
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": " ".join(ROUTES.values())}))
    # WHEN a token with every scope calls a route
    with pytest.raises(AuthorizerError) as raised:
        call("GET /orders", "GET", "/orders", route_in_identity=False)
    # THEN a 500 before any introspection: a cached answer would be reused on every route
    assert str(raised.value) == NO_ROUTE_KEY
    assert identity.received == []
    [line] = decisions(capsys.readouterr().out)
    assert (line["outcome"], line["reason"]) == ("error", NO_ROUTE_KEY)


# ----- the catch-all: $default --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/orders/", "/Orders", "/orders//", "/nothing/here"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_default_route_deny_denies_every_token_without_introspecting(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    method: str,
    path: str,
) -> None:
    # GIVEN DEFAULT_ROUTE=deny, and a token the identity server would find active with every scope
    handler_env(DEFAULT_ROUTE="deny", ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": " ".join(ROUTES.values())}))
    # WHEN a spelling no route matches (a trailing slash, another case) lands on $default
    response = call("$default", method, path)
    # THEN a Deny with an empty context, the identity server never asked, one line that says why
    assert response == {"isAuthorized": False, "context": {}}
    assert identity.received == []
    [line] = decisions(capsys.readouterr().out)
    assert (line["outcome"], line["reason"], line["route"]) == (
        "deny",
        DEFAULT_ROUTE_DENIED,
        "$default",
    )


def test_default_route_deny_still_answers_401_to_no_usable_token(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN DEFAULT_ROUTE=deny; WHEN $default is called with a Basic credential
    handler_env(DEFAULT_ROUTE="deny")
    event = http_api_event("Basic dXNlcjpwYXNz", "$default", "GET", "/orders/")
    # THEN 401 as on any route, and no introspection
    with pytest.raises(UnauthorizedError):
        invoke(event=event)
    assert identity.received == []


def test_default_route_deny_leaves_the_named_routes_alone(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN DEFAULT_ROUTE=deny and no route scopes
    handler_env(DEFAULT_ROUTE="deny", REQUIRED_SCOPES="read")
    identity.script(jwt_reply({"sub": "alice", "scope": "read"}))
    # WHEN the token calls a route of the API; THEN it is decided on its scopes as before
    assert call("GET /orders", "GET", "/orders")["isAuthorized"] is True


def test_default_route_deny_needs_the_route_key_among_the_identity_sources(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN DEFAULT_ROUTE=deny (no route scopes) and an authorizer keyed by the token alone
    handler_env(DEFAULT_ROUTE="deny")
    identity.script(jwt_reply({"sub": "alice", "scope": "read"}))
    # WHEN any route is called
    # THEN 500 before any introspection: a cached Deny of $default would answer every route
    for route_key, path in (("$default", "/orders/"), ("GET /orders", "/orders")):
        with pytest.raises(AuthorizerError) as raised:
            call(route_key, "GET", path, route_in_identity=False)
        assert str(raised.value) == NO_ROUTE_KEY
    assert identity.received == []


@pytest.mark.parametrize(
    ("scope", "authorized"),
    [
        ("catch-all orders:read orders:write admin admin:read", True),
        ("catch-all", False),  # GET /orders/ lands here: it must not need less than GET /orders
        ("orders:read orders:write admin admin:read", False),
        ("catch-all:x", False),
        ("", False),
    ],
)
def test_default_route_with_scopes_needs_its_own_and_every_routes(
    identity: IdentityServer, handler_env: Callable[..., None], scope: str, authorized: bool
) -> None:
    # GIVEN a $default route that forwards, with scopes of its own
    handler_env(ROUTE_SCOPES=json.dumps({**ROUTES, "$default": "catch-all"}))
    identity.script(jwt_reply({"sub": "alice", "scope": scope}))
    # WHEN a request lands on $default (GET /orders/, say); THEN only a token with its own
    # scopes and every route's gets in: a backend may serve /orders/ as /orders
    assert call("$default", "GET", "/orders/")["isAuthorized"] is authorized


@pytest.mark.parametrize(
    ("route_key", "method", "authorized"),
    [
        ("GET /orders", "GET", True),
        ("ANY /admin", "PATCH", True),
        ("GET /profile", "GET", True),  # listed with no scope of its own
        ("GET /order", "GET", False),  # a typo of the table's key
        ("DELETE /orders", "DELETE", False),
        ("$default", "GET", False),
    ],
)
def test_unlisted_routes_are_denied_without_introspection(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    route_key: str,
    method: str,
    authorized: bool,
) -> None:
    # GIVEN UNLISTED_ROUTES=deny and a token with every scope of the table
    handler_env(ROUTE_SCOPES=json.dumps({**ROUTES, "GET /profile": ""}), UNLISTED_ROUTES="deny")
    identity.script(jwt_reply({"sub": "alice", "scope": " ".join(ROUTES.values())}))
    # WHEN a route is called
    path = "/x" if route_key == "$default" else route_key.split(" ")[1]
    response = call(route_key, method, path)
    # THEN a listed route is decided on its scopes, an unlisted one denied before introspection
    assert response["isAuthorized"] is authorized
    [line] = decisions(capsys.readouterr().out)
    if not authorized:
        assert line["reason"] == "the route is not in ROUTE_SCOPES (UNLISTED_ROUTES=deny)"
        assert identity.received == []


def test_unlisted_routes_deny_needs_the_route_key_among_the_identity_sources(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN UNLISTED_ROUTES=deny; WHEN the cache key lacks the route key; THEN 500
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES), UNLISTED_ROUTES="deny")
    with pytest.raises(AuthorizerError) as raised:
        call("GET /order", "GET", "/order", route_in_identity=False)
    assert str(raised.value) == NO_ROUTE_KEY
    assert identity.received == []


def test_an_any_route_with_method_entries_needs_the_method_in_the_cache_key(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a table naming GET /admin and an API whose only route is ANY /admin, and an
    # authorizer keyed by the token and the route key but not the method (wired by hand)
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    event = http_api_event("Bearer opaque-token", "ANY /admin", "GET", "/admin")
    event["identitySource"] = ["Bearer opaque-token", "ANY /admin"]
    # WHEN it arrives; THEN 500 before any introspection: a cached GET answer would be reused
    # for DELETE, whose scopes differ
    with pytest.raises(AuthorizerError) as raised:
        invoke(event=event)
    assert str(raised.value) == NO_METHOD
    assert identity.received == []


# ----- the token must key the cache ----------------------------------------------------------


@pytest.mark.parametrize(
    "identity_source",
    [
        ["an-api-key"],
        ["an-api-key", "GET /orders"],
        [],
        None,
        "Bearer opaque-token",
        ["Bearer another-token", "GET /orders"],
        ["bearer opaque-token", "GET /orders"],
        ["Bearer opaque-token ", "GET /orders"],
    ],
)
@pytest.mark.parametrize("routes", [{}, ROUTES], ids=["no-route-scopes", "route-scopes"])
def test_identity_sources_without_the_token_are_refused(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    identity_source: object,
    routes: dict[str, str],
) -> None:
    # GIVEN a hand-wired authorizer whose identity sources lack the Authorization header (an API
    # key, say): API Gateway would cache one caller's Allow, JWT included, for all who share it
    handler_env(ROUTE_SCOPES=json.dumps(routes))
    identity.script(jwt_reply({"sub": "alice", "scope": " ".join(ROUTES.values())}))
    event = http_api_event("Bearer opaque-token", "GET /orders", "GET", "/orders")
    event["identitySource"] = identity_source
    route_keyed = isinstance(identity_source, list) and "GET /orders" in identity_source
    if routes and not route_keyed:
        expected = NO_ROUTE_KEY  # the route key is checked first
    else:
        expected = NO_AUTHORIZATION_IDENTITY
    # WHEN the handler runs
    with pytest.raises(AuthorizerError) as raised:
        invoke(event=event)
    # THEN a 500 before any introspection, and the decision line names the fix
    assert str(raised.value) == expected
    assert identity.received == []
    [line] = decisions(capsys.readouterr().out)
    assert (line["outcome"], line["reason"]) == ("error", expected)


def test_payload_format_1_0_is_refused(
    identity: IdentityServer, handler_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an HTTP API authorizer of payload format 1.0, whose event looks like a REST event
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": "read"}))
    event = {
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": f"{API}/live/GET/admin",
        "identitySource": "Bearer opaque-token",
        "resource": "/admin",
        "path": "/admin",
        "httpMethod": "GET",
        "headers": {"authorization": "Bearer opaque-token"},
        "requestContext": {"routeKey": "ANY /admin"},
    }
    # WHEN the handler runs
    with pytest.raises(AuthorizerError) as raised:
        invoke(event=event)
    # THEN a 500 that names the payload format, before any introspection
    message = (
        "HTTP API payload format version 1.0 is not supported: "
        "configure the authorizer with payload format 2.0"
    )
    assert str(raised.value) == message
    assert identity.received == []
    [line] = decisions(capsys.readouterr().out)
    assert (line["outcome"], line["reason"]) == ("error", message)


@pytest.mark.parametrize(
    "event",
    [
        {"version": "2.0", "type": "REQUEST", "headers": {"authorization": "Bearer t"}},
        {"version": "1.0", "type": "REQUEST", "routeArn": f"{API}/live/GET/orders"},
        {"type": "WEBSOCKET", "methodArn": f"{API}/live/GET/orders"},
        {"headers": {"authorization": "Bearer t"}},
        {},
    ],
    ids=["v2-no-route-arn", "v1-route-arn", "other-type", "no-arn", "empty"],
)
def test_an_event_of_no_known_kind_is_an_error(
    identity: IdentityServer, handler_env: Callable[..., None], event: dict[str, Any]
) -> None:
    # GIVEN an event that is neither a REST TOKEN/REQUEST event nor a payload 2.0 event
    identity.script(jwt_reply({"sub": "alice", "scope": "read"}))
    # WHEN the handler runs
    # THEN a 500 without asking the identity server
    with pytest.raises(AuthorizerError) as raised:
        invoke(event=event)
    assert not isinstance(raised.value, UnauthorizedError)
    assert identity.received == []


@pytest.mark.parametrize("scope", ["account:\tadmin", "account:\u2028admin", ["account:\xa0admin"]])
def test_a_scope_split_on_other_whitespace_is_not_authorized(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    scope: object,
) -> None:
    # GIVEN REQUIRED_SCOPES=admin and a token whose scope "account:<whitespace>admin" only
    # other whitespace than U+0020 separates
    handler_env(REQUIRED_SCOPES="admin")
    identity.script(jwt_reply({"sub": "alice", "scope": scope}))
    # WHEN the HTTP API event arrives
    response = invoke(event=load_event("http_api_request"))
    # THEN it is not authorized (403), and the decision line counts the ignored token
    assert response == {"isAuthorized": False, "context": {}}
    [decision] = decisions(capsys.readouterr().out)
    assert decision["invalid_scope_tokens"] == 1
