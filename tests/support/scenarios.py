"""The end-to-end scenarios: one list, run by ``make demo`` and by tests/e2e.

Each scenario drives requests through a :class:`~tests.support.stack.Stack` and returns its
calls; a call carries its own problems (wrong status, Lambda invoked when it must not be, the
identity server asked when the cache should have answered, what the upstream got). A scenario
behaved when none of its calls has a problem.

``CURITY_SCENARIOS`` run against the fake Curity (``jwt`` mode); ``PEER_SCENARIOS`` against
oidc-provider (``rfc9701`` mode, see ``tests.support.stack.peer_stack``); ``HTTP_API_SCENARIOS``
against the fake Curity through examples/http-api (``tests.support.stack.running_http_stack``).

examples/complete has route scopes, so its authorizer is a REQUEST authorizer keyed by the
Authorization header, ``context.httpMethod`` and ``context.resourceId``: API Gateway caches one
decision per token and route. The same token on another route runs the Lambda again (whose
in-container cache answers without the identity server); the same route, also spelled with a
trailing slash, is answered from the gateway's cache.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.support.stack import API_CLIENT_ID, CurityIdentity, wait_past

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.stack import Call, Stack


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Stack], list[Call]]


def _not_invoked(call: Call) -> Call:
    call.expect(call.lambda_invocations == 0, "the Lambda was invoked")
    call.expect(not call.introspections, "the identity server was called")
    return call


def _introspected_once(call: Call) -> Call:
    call.expect(call.lambda_invocations == 1, f"Lambda ran {call.lambda_invocations} times, not 1")
    if call.introspections is not None:
        call.expect(call.introspections == 1, f"{call.introspections} introspections, not 1")
    return call


def _decided_without_introspection(call: Call) -> Call:
    call.expect(call.lambda_invocations == 1, f"Lambda ran {call.lambda_invocations} times, not 1")
    call.expect(not call.introspections, "the identity server was called")
    return call


def _from_gateway_cache(call: Call) -> Call:
    call.expect(call.cached_policy, "the gateway's cached policy was not used")
    return _not_invoked(call)


def _from_lambda_cache(call: Call) -> Call:
    """Another route for a known token: the Lambda runs, its in-container cache answers."""
    call.expect(not call.cached_policy, "the gateway's cached policy answered for another route")
    call.expect(call.lambda_invocations == 1, f"Lambda ran {call.lambda_invocations} times, not 1")
    if call.introspections is not None:
        call.expect(call.introspections == 0, "the Lambda's in-container cache did not answer")
    return call


def _upstream_path(call: Call, path: str) -> Call:
    upstream = call.upstream
    call.expect(upstream is not None and upstream["path"] == path, f"upstream path is not {path}")
    return call


def _denied(call: Call) -> Call:
    call.expect(call.upstream is None, "the upstream was called")
    return call


def _phantom_token_reached_upstream(call: Call, token: str, scope: str | None = None) -> Call:
    upstream = call.upstream
    call.expect(upstream is not None, "the upstream was not called")
    if upstream is not None:
        call.expect(
            all(token not in value for value in upstream["headers"].values()),
            "the opaque token reached the upstream",
        )
        if scope is not None:
            call.expect(f"scope={scope}" in call.seen_by_upstream, f"JWT lacks scope {scope}")
    return call


def no_authorization_header(stack: Stack) -> list[Call]:
    return [_not_invoked(stack.call("GET", "/orders", None, "(no Authorization header)", 401))]


def basic_credentials(stack: Stack) -> list[Call]:
    # A REQUEST authorizer has no identity validation expression: the Lambda turns the header
    # away itself, before any network call.
    basic = "Basic " + base64.b64encode(b"demo-client:password").decode()
    call = stack.call("GET", "/orders", basic, "Basic <user:password>", 401)
    call.expect(call.lambda_invocations == 1, f"Lambda ran {call.lambda_invocations} times, not 1")
    call.expect(not call.introspections, "the identity server was called")
    return [_denied(call)]


def unknown_token(stack: Stack) -> list[Call]:
    token = secrets.token_urlsafe(32)
    return [
        _introspected_once(stack.call("GET", "/orders", f"Bearer {token}", "Bearer <unknown>", 401))
    ]


def valid_token(stack: Stack) -> list[Call]:
    token = stack.identity.token("orders:read")
    call = stack.call("GET", "/orders", f"Bearer {token}", "Bearer <orders:read>", 200)
    return [_phantom_token_reached_upstream(_introspected_once(call), token, "orders:read")]


def second_route_and_trailing_slash(stack: Stack) -> list[Call]:
    token = stack.identity.token("orders:read")
    first = stack.call("GET", "/orders", f"Bearer {token}", "Bearer <orders:read>", 200)
    profile = stack.call("GET", "/profile", f"Bearer {token}", "same token", 200)
    slash = stack.call("GET", "/orders/", f"Bearer {token}", "same token", 200)
    profile_slash = stack.call("GET", "/profile/", f"Bearer {token}", "same token", 200)
    return [
        _phantom_token_reached_upstream(_introspected_once(first), token),
        _phantom_token_reached_upstream(_from_lambda_cache(profile), token),
        _upstream_path(_from_gateway_cache(slash), "/orders"),
        _upstream_path(_from_gateway_cache(profile_slash), "/profile"),
    ]


def missing_route_scope(stack: Stack) -> list[Call]:
    token = stack.identity.token("orders:read")
    # The trailing slash first: its decision is the one POST /orders gets from the cache.
    slash = stack.call("POST", "/orders/", f"Bearer {token}", "Bearer <orders:read>", 403)
    denied = stack.call("POST", "/orders", f"Bearer {token}", "same token", 403)
    reader = stack.call("GET", "/orders", f"Bearer {token}", "same token", 200)
    profile = stack.call("GET", "/profile", f"Bearer {token}", "same token", 200)
    writer = stack.identity.token("orders:write")
    written = stack.call("POST", "/orders", f"Bearer {writer}", "Bearer <orders:write>", 200)
    return [
        _denied(_introspected_once(slash)),
        _denied(_from_gateway_cache(denied)),
        _from_lambda_cache(reader),
        _from_lambda_cache(profile),
        _phantom_token_reached_upstream(_introspected_once(written), writer, "orders:write"),
    ]


def nested_route_scopes(stack: Stack) -> list[Call]:
    reader = stack.identity.token("orders:read")
    order = stack.call("DELETE", "/orders/7", f"Bearer {reader}", "Bearer <orders:read>", 403)
    items = stack.call("DELETE", "/orders/7/items", f"Bearer {reader}", "same token", 200)
    slash = stack.call("DELETE", "/orders/7/items/", f"Bearer {reader}", "same token", 200)
    admin = stack.identity.token("orders:admin")
    deleted = stack.call("DELETE", "/orders/7", f"Bearer {admin}", "Bearer <orders:admin>", 200)
    return [
        _denied(_introspected_once(order)),
        _upstream_path(
            _phantom_token_reached_upstream(_from_lambda_cache(items), reader), "/orders/7/items"
        ),
        _upstream_path(_from_gateway_cache(slash), "/orders/7/items"),
        _upstream_path(
            _phantom_token_reached_upstream(_introspected_once(deleted), admin, "orders:admin"),
            "/orders/7",
        ),
    ]


def lambda_backend(stack: Stack) -> list[Call]:
    # GET /whoami is a Lambda function (AWS_PROXY) that verifies the JWT from its event
    # (requestContext.authorizer.Authorization) with the identity server's keys.
    reader = stack.identity.token("profile:read")
    allowed = stack.call("GET", "/whoami", f"Bearer {reader}", "Bearer <profile:read>", 200)
    allowed.expect(allowed.backend_invocations == 1, "the backend Lambda did not run once")
    answer = allowed.backend_answer or {}
    allowed.expect(answer.get("sub") == API_CLIENT_ID, f"the backend answered {answer!r}")
    allowed.expect(answer.get("scope") == "profile:read", "the verified JWT lacks profile:read")
    allowed.seen_by_upstream = f"Lambda: verified JWT sub={answer.get('sub')}"
    lacking = stack.identity.token("orders:read")
    denied = stack.call("GET", "/whoami", f"Bearer {lacking}", "Bearer <orders:read>", 403)
    denied.expect(denied.backend_invocations == 0, "the backend Lambda ran for a denied token")
    anonymous = stack.call("GET", "/whoami", None, "(no Authorization header)", 401)
    anonymous.expect(anonymous.backend_invocations == 0, "the backend Lambda ran")
    return [_introspected_once(allowed), _denied(_introspected_once(denied)), anonymous]


def _curity(stack: Stack) -> CurityIdentity:
    assert isinstance(stack.identity, CurityIdentity), "this scenario needs the fake Curity"
    return stack.identity


def _while_identity_server(
    stack: Stack, switch: str, credential: str, paths: tuple[str, ...] = ("/orders", "/profile")
) -> list[Call]:
    curity = _curity(stack)
    token = curity.token("orders:read")  # before the switch: the client had a token
    getattr(curity.server, switch)()
    try:
        calls = [
            stack.call("GET", path, f"Bearer {token}", credential if i == 0 else "same token", 500)
            for i, path in enumerate(paths)
        ]
    finally:
        curity.server.recover()
    for call in calls:
        if switch == "down":
            call.identity_note = "unreachable"
        call.expect(call.lambda_invocations == 1, "a failed authorization was served from cache")
        call.expect(call.upstream is None, "the upstream was called")
    return calls


def identity_server_down(stack: Stack) -> list[Call]:
    return _while_identity_server(stack, "down", "Bearer <orders:read>, server down")


def identity_server_failing(stack: Stack) -> list[Call]:
    return _while_identity_server(stack, "fail", "Bearer <orders:read>, server 500")


def identity_server_hanging(stack: Stack) -> list[Call]:
    # One call: it lasts the authorizer's introspection timeouts (and retry) before the 500.
    return _while_identity_server(stack, "hang", "Bearer <orders:read>, server hangs", ("/orders",))


def warm_container_cache(stack: Stack) -> list[Call]:
    token = stack.identity.token("orders:read")
    first = stack.call("GET", "/orders", f"Bearer {token}", "Bearer <orders:read>", 200)
    stack.gateway.flush_cache()  # the console's "flush authorizer cache"
    second = stack.call(
        "GET", "/orders", f"Bearer {token}", "same token, gateway cache flushed", 200
    )
    second.expect(second.lambda_invocations == 1, "the Lambda was not invoked")
    second.expect(second.introspections == 0, "the Lambda's in-container cache did not answer")
    return [_introspected_once(first), _phantom_token_reached_upstream(second, token)]


def revoked_after_cache_expiry(stack: Stack) -> list[Call]:
    curity = _curity(stack)
    # Curity's Cache-Control max-age bounds the Lambda's own cache: keep it as short as the
    # gateway's TTL, so both caches have expired when the revocation must show.
    previous, curity.server.max_age_seconds = (
        curity.server.max_age_seconds,
        stack.gateway_ttl_seconds,
    )
    try:
        token = curity.token("orders:read")
    finally:
        curity.server.max_age_seconds = previous
    before = stack.call("GET", "/orders", f"Bearer {token}", "Bearer <orders:read>", 200)
    curity.revoke(token)
    cached = stack.call("GET", "/orders", f"Bearer {token}", "revoked, within the TTL", 200)
    wait_past(stack.gateway_ttl_seconds)
    after = stack.call("GET", "/orders", f"Bearer {token}", "revoked, TTL expired", 401)
    return [_introspected_once(before), _from_gateway_cache(cached), _introspected_once(after)]


def peer_valid_token(stack: Stack) -> list[Call]:
    # The upstream's JWT is verified against oidc-provider's JWKS (Stack.call, PeerIdentity).
    token = stack.identity.token("orders:read")
    call = stack.call("GET", "/orders", f"Bearer {token}", "Bearer <oidc-provider token>", 200)
    call.expect("active=true" in call.seen_by_upstream, "token_introspection.active is not true")
    again = stack.call("GET", "/orders", f"Bearer {token}", "same token", 200)
    return [
        _phantom_token_reached_upstream(_introspected_once(call), token, "orders:read"),
        _from_gateway_cache(again),
    ]


def peer_revoked_token(stack: Stack) -> list[Call]:
    token = stack.identity.token("orders:read")
    stack.identity.revoke(token)
    call = stack.call("GET", "/orders", f"Bearer {token}", "Bearer <revoked>", 401)
    return [_denied(_introspected_once(call))]


def peer_unknown_token(stack: Stack) -> list[Call]:
    token = secrets.token_urlsafe(32)
    call = stack.call("GET", "/orders", f"Bearer {token}", "Bearer <unknown>", 401)
    return [_denied(_introspected_once(call))]


CURITY_SCENARIOS = (
    Scenario("no Authorization header", no_authorization_header),
    Scenario("Basic credentials", basic_credentials),
    Scenario("unknown token", unknown_token),
    Scenario("valid token", valid_token),
    Scenario(
        "same token: another route runs the Lambda, the same route is cached",
        second_route_and_trailing_slash,
    ),
    Scenario("token lacking a route's scope", missing_route_scope),
    Scenario("nested routes: scopes per route", nested_route_scopes),
    Scenario("Lambda backend: verifies the JWT from its event", lambda_backend),
    Scenario("gateway cache flushed: the warm Lambda's cache", warm_container_cache),
    Scenario("identity server down", identity_server_down),
    Scenario("identity server failing", identity_server_failing),
    Scenario("identity server hangs", identity_server_hanging),
    Scenario("revoked token after the caches expire", revoked_after_cache_expiry),
)

PEER_SCENARIOS = (
    Scenario("oidc-provider: valid token (RFC 9701)", peer_valid_token),
    Scenario("oidc-provider: revoked token", peer_revoked_token),
    Scenario("oidc-provider: unknown token", peer_unknown_token),
)


# ----- the HTTP API (examples/http-api, payload format 2.0, simple responses) -----------------
#
# Its routes have scopes, so the authorizer's identity sources are the Authorization header,
# $context.httpMethod and $context.routeKey: one cached decision per token and route. The JWT
# reaches the upstream in the example's jwt_header (X-Phantom-Token): Authorization is a reserved
# header for HTTP API parameter mapping, so the client's opaque token stays in it (API Gateway
# Developer Guide, "Transforming API requests for HTTP APIs", "Reserved headers").


def _jwt_beside_opaque_token(call: Call, token: str, scope: str | None = None) -> Call:
    """The JWT in its header (verified by Stack.call); the opaque token only in Authorization."""
    upstream = call.upstream
    call.expect(upstream is not None, "the upstream was not called")
    if upstream is not None:
        headers = upstream["headers"]
        call.expect(
            headers.get("authorization") == f"Bearer {token}",
            "the upstream's Authorization is not the client's opaque token",
        )
        call.expect(
            all(token not in value for name, value in headers.items() if name != "authorization"),
            "the opaque token reached the upstream in another header",
        )
        if scope is not None:
            call.expect(f"scope={scope}" in call.seen_by_upstream, f"JWT lacks scope {scope}")
    return call


def http_unknown_token_assumed_401(stack: Stack) -> list[Call]:
    # The Lambda raises Exception("Unauthorized"): a 401 for REST APIs; the HTTP API
    # documentation does not say what it gives with simple responses. The emulator answers 401
    # (tests.support.http_gateway); AWS may answer 500. Either way never an Allow.
    token = secrets.token_urlsafe(32)
    call = stack.call("GET", "/orders", f"Bearer {token}", "Bearer <unknown>", 401)
    return [_denied(_introspected_once(call))]


def http_valid_token(stack: Stack) -> list[Call]:
    token = stack.identity.token("orders:read")
    call = stack.call("GET", "/orders", f"Bearer {token}", "Bearer <orders:read>", 200)
    return [_jwt_beside_opaque_token(_introspected_once(call), token, "orders:read")]


def http_missing_route_scope(stack: Stack) -> list[Call]:
    token = stack.identity.token("orders:read")
    denied = stack.call("POST", "/orders", f"Bearer {token}", "Bearer <orders:read>", 403)
    again = stack.call("POST", "/orders", f"Bearer {token}", "same token", 403)
    reader = stack.call("GET", "/orders", f"Bearer {token}", "same token", 200)
    writer = stack.identity.token("orders:write")
    written = stack.call("POST", "/orders", f"Bearer {writer}", "Bearer <orders:write>", 200)
    return [
        _denied(_introspected_once(denied)),
        _denied(_from_gateway_cache(again)),
        _jwt_beside_opaque_token(_from_lambda_cache(reader), token),
        _jwt_beside_opaque_token(_introspected_once(written), writer, "orders:write"),
    ]


def http_second_route(stack: Stack) -> list[Call]:
    token = stack.identity.token("orders:read")
    first = stack.call("GET", "/orders", f"Bearer {token}", "Bearer <orders:read>", 200)
    profile = stack.call("GET", "/profile", f"Bearer {token}", "same token", 200)
    again = stack.call("GET", "/orders", f"Bearer {token}", "same token", 200)
    profile_again = stack.call("GET", "/profile", f"Bearer {token}", "same token", 200)
    return [
        _jwt_beside_opaque_token(_introspected_once(first), token),
        _upstream_path(_jwt_beside_opaque_token(_from_lambda_cache(profile), token), "/profile"),
        _upstream_path(_from_gateway_cache(again), "/orders"),
        _upstream_path(_from_gateway_cache(profile_again), "/profile"),
    ]


def http_trailing_slash_lands_on_the_denied_catch_all(stack: Stack) -> list[Call]:
    # An HTTP API does not route GET /orders/ to GET /orders: it goes to $default. The module
    # puts $default behind the authorizer, which denies it without asking the identity server.
    writer = stack.identity.token("orders:write")
    lacking = stack.call("GET", "/orders/", f"Bearer {writer}", "Bearer <orders:write>", 403)
    reader = stack.identity.token("orders:read")
    holding = stack.call("GET", "/orders/", f"Bearer {reader}", "Bearer <orders:read>", 403)
    anonymous = stack.call("GET", "/orders/", None, "(none)", 401)
    return [
        _denied(_decided_without_introspection(lacking)),
        _denied(_decided_without_introspection(holding)),
        _denied(_not_invoked(anonymous)),
    ]


HTTP_API_SCENARIOS = (
    Scenario("HTTP API: no Authorization header", no_authorization_header),
    Scenario(
        "HTTP API: unknown token (assumed: Unauthorized -> 401 as on REST APIs)",
        http_unknown_token_assumed_401,
    ),
    Scenario("HTTP API: valid token", http_valid_token),
    Scenario(
        "HTTP API: same token: another route runs the Lambda, the same route is cached",
        http_second_route,
    ),
    Scenario("HTTP API: token lacking a route's scope", http_missing_route_scope),
    Scenario(
        "HTTP API: GET /orders/ falls through to $default, which the module denies",
        http_trailing_slash_lands_on_the_denied_catch_all,
    ),
    Scenario("HTTP API: identity server down", identity_server_down),
)
