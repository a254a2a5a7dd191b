"""Per-route scopes through the real handler: decided per route template, never per path spelling.

With ROUTE_SCOPES the module wires a REQUEST authorizer keyed by the Authorization header,
``context.httpMethod`` and ``context.resourceId``; its events carry ``httpMethod`` and the
``resource`` template, while ``methodArn`` spells the path as the client did (``/orders/`` is
routed to ``/orders`` and keeps its slash there).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from phantom_token.errors import AuthorizerError, UnauthorizedError
from tests.functional.harness import API, STAGE, LambdaContext, invoke, jwt_reply
from tests.support.emf import without_metrics
from tests.support.events import request_event, token_event

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.functional.harness import IdentityServer

ROUTES = {
    "GET /orders": "orders:read",
    "POST /orders": "orders:write",
    "DELETE /orders/{id}": "orders:admin",
    "DELETE /orders/{id}/items": "orders:read",
    "ANY /admin": "admin",
    "GET /admin": "admin:read",
    "GET /": "home",
    "ANY /files/{proxy+}": "files",
}
REFUSED = (
    "ROUTE_SCOPES needs a REQUEST authorizer whose identity sources pin the route "
    "(the Authorization header, context.httpMethod, context.resourceId)"
)


def call(scope: str, method: str, resource: str, path: str) -> tuple[str, list[str]]:
    """(effect, resources) of the one statement for a request with a token granting ``scope``."""
    response = invoke(event=request_event("Bearer opaque-token", method, resource, path))
    statements = response["policyDocument"]["Statement"]
    assert len(statements) == 1
    # an Allow forwards this token's JWT and claims; a Deny forwards nothing
    effect = statements[0]["Effect"]
    if effect == "Allow":
        assert response["context"]["scope"] == scope
    else:
        assert response["context"] == {}
    return effect, statements[0]["Resource"]


def decisions(out: str) -> list[dict[str, Any]]:
    """The decision lines' own fields (their metrics are checked in test_logs)."""
    return [without_metrics(json.loads(line)) for line in out.splitlines()]


@pytest.mark.parametrize("path", ["/orders", "/orders/"])
def test_post_orders_without_write_scope_is_denied_however_the_path_is_spelled(
    identity: IdentityServer, handler_env: Callable[..., None], path: str
) -> None:
    # GIVEN POST /orders needs orders:write, and a token with orders:read only
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": "orders:read"}))
    # WHEN the client posts to /orders or /orders/ (API Gateway routes both to /orders)
    # THEN the decision is one explicit Deny (403): the methodArn's spelling changes nothing
    assert call("orders:read", "POST", "/orders", path) == ("Deny", [STAGE])


@pytest.mark.parametrize(
    ("method", "resource", "path", "effect"),
    [
        ("DELETE", "/orders/{id}", "/orders/7", "Deny"),
        ("DELETE", "/orders/{id}", "/orders/7/", "Deny"),
        ("DELETE", "/orders/{id}", "/orders/abc-9.x", "Deny"),
        ("DELETE", "/orders/{id}/items", "/orders/7/items", "Allow"),
        ("DELETE", "/orders/{id}/items", "/orders/7/items/", "Allow"),
        ("GET", "/orders", "/orders/", "Allow"),
        ("GET", "/orders/{id}", "/orders/7", "Allow"),
    ],
)
def test_a_route_is_decided_by_its_own_scopes_only(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    method: str,
    resource: str,
    path: str,
    effect: str,
) -> None:
    # GIVEN DELETE /orders/{id} needs orders:admin, DELETE /orders/{id}/items orders:read,
    # and a token with orders:read
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": "orders:read"}))
    # WHEN it calls a route (any concrete id, with or without a trailing slash)
    # THEN the route's own scopes decide: the nested route is not denied by its parent's rule
    assert call("orders:read", method, resource, path) == (effect, [STAGE])


@pytest.mark.parametrize(
    ("scope", "method", "resource", "path", "effect"),
    [
        # ANY /admin needs admin, GET /admin needs admin:read too: both for a GET
        ("admin", "POST", "/admin", "/admin", "Allow"),
        ("admin", "GET", "/admin", "/admin", "Deny"),
        ("admin:read", "GET", "/admin", "/admin/", "Deny"),
        ("admin admin:read", "GET", "/admin", "/admin", "Allow"),
        ("read", "DELETE", "/admin", "/admin", "Deny"),
        # the root resource
        ("read", "GET", "/", "/", "Deny"),
        ("home", "GET", "/", "/", "Allow"),
        ("read", "POST", "/", "/", "Allow"),
        # a greedy path parameter: one route for every depth
        ("read", "GET", "/files/{proxy+}", "/files/a", "Deny"),
        ("read", "PUT", "/files/{proxy+}", "/files/a/b/c/", "Deny"),
        ("files", "DELETE", "/files/{proxy+}", "/files/a/b/c", "Allow"),
        # routes not named need nothing more
        ("read", "GET", "/profile", "/profile", "Allow"),
        ("read", "PUT", "/orders", "/orders", "Allow"),
        ("read", "GET", "/files", "/files", "Allow"),
    ],
)
def test_any_routes_root_greedy_and_unnamed_routes(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    scope: str,
    method: str,
    resource: str,
    path: str,
    effect: str,
) -> None:
    # GIVEN the route table and a token with these scopes
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": scope}))
    # WHEN it calls this route
    # THEN the route's scopes plus those of ANY on the same resource decide
    assert call(scope, method, resource, path) == (effect, [STAGE])


@pytest.mark.parametrize(
    ("scope", "method", "resource", "path", "effect"),
    [
        ("orders:write", "POST", "/orders", "/orders", "Deny"),
        ("base", "POST", "/orders", "/orders/", "Deny"),
        ("base orders:write", "POST", "/orders", "/orders/", "Allow"),
        ("orders:read", "GET", "/profile", "/profile", "Deny"),
        ("base", "GET", "/profile", "/profile", "Allow"),
    ],
)
def test_required_scopes_are_still_needed_on_every_route(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    scope: str,
    method: str,
    resource: str,
    path: str,
    effect: str,
) -> None:
    # GIVEN REQUIRED_SCOPES=base on top of the route table
    handler_env(REQUIRED_SCOPES="base", ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": scope}))
    # WHEN a token calls a route, named or not
    # THEN base is needed everywhere, the route's scopes on top
    assert call(scope, method, resource, path) == (effect, [STAGE])


@pytest.mark.parametrize(
    ("scope", "method", "resource", "path", "effect"),
    [
        ("orders:read", "POST", "/orders", "/orders/", "Deny"),
        ("orders:write", "POST", "/orders", "/orders/", "Allow"),
        ("orders:read", "DELETE", "/orders/{id}", "/orders/7", "Deny"),
        ("orders:read", "DELETE", "/orders/{id}/items", "/orders/7/items/", "Allow"),
        ("read", "GET", "/", "/", "Deny"),
    ],
)
def test_method_mode_decides_the_same_on_the_exact_method_arn(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    scope: str,
    method: str,
    resource: str,
    path: str,
    effect: str,
) -> None:
    # GIVEN POLICY_RESOURCE=method (the module allows it only with the gateway cache off)
    handler_env(POLICY_RESOURCE="method", ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": scope}))
    # WHEN a token calls a route
    # THEN the one statement names the exact methodArn, with the route's decision
    assert call(scope, method, resource, path) == (effect, [f"{API}/live/{method}{path}"])


def test_one_introspection_serves_every_route(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN one token with orders:read, and a server that answers once
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": "orders:read"}))
    # WHEN it calls several routes (in-container cache hits after the first)
    results = [
        call("orders:read", "GET", "/orders", "/orders"),
        call("orders:read", "POST", "/orders", "/orders/"),
        call("orders:read", "DELETE", "/orders/{id}", "/orders/7"),
        call("orders:read", "DELETE", "/orders/{id}/items", "/orders/7/items"),
        call("orders:read", "GET", "/orders", "/orders/"),
    ]
    # THEN each route got its own decision from one introspection
    assert [effect for effect, _ in results] == ["Allow", "Deny", "Deny", "Allow", "Allow"]
    assert len(identity.received) == 1


def test_decision_lines_name_the_route_and_the_missing_scopes(
    identity: IdentityServer, handler_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a token with orders:read and base, and REQUIRED_SCOPES=base
    handler_env(REQUIRED_SCOPES="base", ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": "orders:read base"}))
    # WHEN it is denied GET /admin (needs admin and admin:read), then allowed GET /orders
    call("orders:read base", "GET", "/admin", "/admin/")
    call("orders:read base", "GET", "/orders", "/orders")
    # THEN each line carries the route template; the deny also the missing scopes, sorted
    deny, allow = decisions(capsys.readouterr().out)
    assert {k: deny[k] for k in ("outcome", "reason", "route", "missing_scopes", "method_arn")} == {
        "outcome": "deny",
        "reason": "insufficient scope",
        "route": "GET /admin",
        "missing_scopes": ["admin", "admin:read"],
        "method_arn": f"{API}/live/GET/admin/",
    }
    assert {k: allow.get(k) for k in ("outcome", "reason", "route", "missing_scopes")} == {
        "outcome": "allow",
        "reason": "active",
        "route": "GET /orders",
        "missing_scopes": None,
    }


@pytest.mark.parametrize(
    ("scope", "effect"),
    [
        (" ".join(ROUTES.values()), "Allow"),
        (" ".join(v for v in ROUTES.values() if v != "home"), "Deny"),  # all but GET /'s
        ("orders:read", "Deny"),
    ],
)
def test_token_event_with_route_scopes_needs_every_route_scope(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    scope: str,
    effect: str,
) -> None:
    # GIVEN ROUTE_SCOPES, and a TOKEN event: a stage still deployed with the TOKEN authorizer
    # while an upgrade switches it to REQUEST (its cache key is the token alone)
    handler_env(REQUIRED_SCOPES="base", ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": f"base {scope}"}))
    # WHEN a TOKEN event arrives
    response = invoke(event=token_event("Bearer opaque-token", f"{API}/live/GET/orders"))
    # THEN no 500: one stage-wide statement, an Allow only for a token that holds the scopes
    # of every route (the decision is reused on every route), else a Deny
    [statement] = response["policyDocument"]["Statement"]
    assert (statement["Effect"], statement["Resource"]) == (effect, [f"{API}/live/*"])
    [line] = decisions(capsys.readouterr().out)
    assert line["outcome"] == effect.lower()
    assert "route" not in line


@pytest.mark.parametrize("authorization", [None, "Basic abc"])
def test_token_event_with_route_scopes_still_answers_401_to_no_token(
    identity: IdentityServer, handler_env: Callable[..., None], authorization: str | None
) -> None:
    # GIVEN ROUTE_SCOPES; WHEN a TOKEN event has no usable token; THEN 401, no introspection
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    with pytest.raises(UnauthorizedError):
        invoke(event=token_event(authorization, f"{API}/live/GET/orders"))
    assert identity.received == []


def test_a_request_event_without_a_route_is_refused(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN ROUTE_SCOPES and a REQUEST event that names no route (no httpMethod, no resource)
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    event = request_event("Bearer opaque-token", "GET", "/orders", "/orders")
    del event["httpMethod"], event["resource"]
    # WHEN it arrives; THEN 500 before any introspection
    with pytest.raises(AuthorizerError) as raised:
        invoke(event=event)
    assert not isinstance(raised.value, UnauthorizedError)
    assert str(raised.value) == REFUSED
    assert identity.received == []


# ----- UNLISTED_ROUTES=deny: a route the table does not name is denied -------------------------


@pytest.mark.parametrize(
    ("method", "resource", "path", "effect"),
    [
        ("GET", "/orders", "/orders", "Allow"),
        ("GET", "/orders", "/orders/", "Allow"),
        ("PATCH", "/admin", "/admin", "Allow"),  # ANY /admin lists every method
        ("GET", "/profile", "/profile", "Allow"),  # listed with no scope of its own
        ("GET", "/order", "/order", "Deny"),  # the typo the table never names
        ("PUT", "/orders", "/orders", "Deny"),
        ("GET", "/orders/{id}", "/orders/7", "Deny"),
    ],
)
def test_unlisted_routes_are_denied_without_introspection(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    method: str,
    resource: str,
    path: str,
    effect: str,
) -> None:
    # GIVEN UNLISTED_ROUTES=deny, the table, and a token with every scope
    handler_env(ROUTE_SCOPES=json.dumps({**ROUTES, "GET /profile": ""}), UNLISTED_ROUTES="deny")
    identity.script(jwt_reply({"sub": "alice", "scope": " ".join(ROUTES.values())}))
    # WHEN a route is called
    response = invoke(event=request_event("Bearer opaque-token", method, resource, path))
    # THEN a listed route is decided on its scopes; an unlisted one is denied, with no
    # introspection, no context, and a line naming the route and why
    [statement] = response["policyDocument"]["Statement"]
    assert statement["Effect"] == effect
    [line] = decisions(capsys.readouterr().out)
    assert line["route"] == f"{method} {resource}"
    if effect == "Deny":
        assert response["context"] == {}
        assert response["principalId"] == "anonymous"
        assert line["reason"] == "the route is not in ROUTE_SCOPES (UNLISTED_ROUTES=deny)"
        assert identity.received == []


def test_unlisted_routes_deny_a_token_event(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN UNLISTED_ROUTES=deny: a TOKEN event cannot name its route, which may be unlisted
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES), UNLISTED_ROUTES="deny")
    identity.script(jwt_reply({"sub": "alice", "scope": " ".join(ROUTES.values())}))
    # WHEN a token with every scope arrives in a TOKEN event; THEN Deny (over-deny, not Allow)
    response = invoke(event=token_event("Bearer opaque-token", f"{API}/live/GET/orders"))
    assert response["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert identity.received == []


@pytest.mark.parametrize(
    "changes",
    [
        {"resource": None},
        {"httpMethod": None},
        {"resource": ""},
        {"resource": None, "httpMethod": None},
        {"resource": 7},
    ],
)
def test_request_event_without_its_route_is_refused(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, Any],
) -> None:
    # GIVEN ROUTE_SCOPES and a REQUEST event without a string httpMethod or resource
    handler_env(ROUTE_SCOPES=json.dumps(ROUTES))
    identity.script(jwt_reply({"sub": "alice", "scope": " ".join(ROUTES.values())}))
    event = request_event("Bearer opaque-token", "GET", "/orders", "/orders")
    for name, value in changes.items():
        if value is None:
            del event[name]
        else:
            event[name] = value
    # WHEN the handler runs
    with pytest.raises(AuthorizerError) as raised:
        invoke(event=event, context=LambdaContext(request_id="req-9"))
    # THEN it is a 500 with one decision line, and the identity server was not asked
    assert str(raised.value) == REFUSED
    assert identity.received == []
    [line] = decisions(capsys.readouterr().out)
    assert (line["outcome"], line["reason"], line["request_id"]) == ("error", REFUSED, "req-9")


@pytest.mark.parametrize(
    ("event", "route"),
    [
        (token_event("Bearer opaque-token", f"{API}/live/DELETE/orders/7/"), None),
        (
            request_event("Bearer opaque-token", "DELETE", "/orders/{id}", "/orders/7/"),
            "DELETE /orders/{id}",
        ),
    ],
    ids=["token", "request"],
)
def test_without_route_scopes_one_stage_wide_decision_by_token(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    event: dict[str, Any],
    route: str | None,
) -> None:
    # GIVEN no ROUTE_SCOPES, REQUIRED_SCOPES=read, and a token with read
    handler_env(REQUIRED_SCOPES="read")
    identity.script(jwt_reply({"sub": "alice", "scope": "read"}))
    # WHEN a TOKEN or a REQUEST event arrives
    response = invoke(event=event)
    # THEN the stage is allowed, as before; the line names the route when the event has one
    assert response["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [STAGE]}
    ]
    [line] = decisions(capsys.readouterr().out)
    assert line.get("route") == route
