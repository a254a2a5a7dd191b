"""The gateway emulator's own rules, checked against API Gateway's documented behaviour.

These need no server: route precedence and path spellings, the method ARN, the identity
source values (the authorizer cache key), the REQUEST event, IAM wildcard matching, policy
evaluation, the authorizer result checks and request parameter mapping are pure functions.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.gateway import (
    ApiConfig,
    Authorizer,
    Method,
    _Request,
    _source_value,
    authorizer_event,
    context_variables,
    evaluate_policy,
    function_arn_from_uri,
    iam_wildcard_match,
    identity_values,
    match_route,
    method_arn,
    route_segments,
    validate_authorizer_result,
)

pytestmark = pytest.mark.e2e

ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/live"


def _method(path: str, verb: str = "GET") -> Method:
    # A resource id per path, as API Gateway gives one per resource (not per method).
    resource_id = "r-" + (
        path.strip("/").replace("/", "-").replace("{", "").replace("}", "") or "root"
    )
    return Method(resource_id, path, verb, "CUSTOM", "auth", None)


METHODS = (
    _method("/"),
    _method("/orders"),
    _method("/orders", "POST"),
    _method("/orders/{id}"),
    _method("/orders/latest"),
    _method("/{proxy+}", "ANY"),
)


@pytest.mark.parametrize(
    ("verb", "path", "resource", "params"),
    [
        ("GET", "/", "/", {}),
        ("GET", "/orders", "/orders", {}),
        ("POST", "/orders", "/orders", {}),
        ("GET", "/orders/latest", "/orders/latest", {}),  # a literal part beats {id}
        ("GET", "/orders/42", "/orders/{id}", {"id": "42"}),
        ("DELETE", "/orders", "/{proxy+}", {"proxy": "orders"}),  # ANY when no exact method
        ("GET", "/a/b/c", "/{proxy+}", {"proxy": "a/b/c"}),
        ("GET", "/orders/", "/orders", {}),  # a trailing slash: the same resource
        ("POST", "/orders/", "/orders", {}),
        ("GET", "/orders/42/", "/orders/{id}", {"id": "42"}),
        ("GET", "//orders", "/orders", {}),  # slashes after the stage collapse
        ("GET", "/Orders", "/{proxy+}", {"proxy": "Orders"}),  # case-sensitive: not /orders
    ],
)
def test_route_precedence(verb: str, path: str, resource: str, params: dict[str, str]) -> None:
    matched = match_route(METHODS, verb, path)
    assert matched is not None
    assert (matched[0].resource_path, matched[1]) == (resource, params)


def test_no_route_without_a_matching_resource() -> None:
    assert match_route(METHODS[:5], "GET", "/profile") is None
    assert match_route(METHODS[:5], "PUT", "/orders") is None
    assert match_route(METHODS[:5], "GET", "/Orders") is None


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("/", []),
        ("/orders", ["orders"]),
        ("/orders/", ["orders"]),
        ("/orders/7/items/", ["orders", "7", "items"]),
        ("//orders", ["orders"]),
        ("///", []),
        ("/Orders", ["Orders"]),
        ("/%6Frders", ["%6Frders"]),  # other escapes are compared as sent
        # Unverified spellings are not routed (see route_segments):
        ("/orders//", None),
        ("/orders//7", None),
        ("/orders%2F7", None),
        ("/orders/a%2fb", None),
    ],
)
def test_path_spellings(path: str, segments: list[str] | None) -> None:
    assert route_segments(path) == segments
    if segments is None:
        # GIVEN a catch-all resource THEN even {proxy+} does not take such a spelling
        assert match_route(METHODS, "GET", path) is None


CONFIG = ApiConfig(
    api_id="abc123",
    stage="live",
    region="eu-west-1",
    account_id="123456789012",
    methods=METHODS,
    authorizers={},
    functions={},
    gateway_responses={},
)
ROUTE_PINNED = Authorizer(
    id="auth",
    name="route-pinned",
    type="REQUEST",
    identity_sources=(
        "method.request.header.Authorization",
        "context.httpMethod",
        "context.resourceId",
    ),
    validation_expression=None,
    ttl_seconds=300,
    function_arn="arn:aws:lambda:eu-west-1:123456789012:function:authz",
)


@pytest.mark.parametrize(
    ("verb", "path", "arn"),
    [
        ("GET", "/orders", f"{ARN}/GET/orders"),
        ("GET", "/orders/", f"{ARN}/GET/orders/"),  # the slash stays
        ("DELETE", "/orders/7/items/", f"{ARN}/DELETE/orders/7/items/"),
        ("GET", "/", f"{ARN}/GET/"),
    ],
)
def test_method_arn_keeps_the_path_as_requested(verb: str, path: str, arn: str) -> None:
    assert method_arn(CONFIG, verb, path) == arn


def _identity(
    verb: str, path: str, authorization: str | None = "Bearer t1", ttl: int = 300
) -> tuple[str, ...] | None:
    headers = {} if authorization is None else {"authorization": authorization}
    request = _Request(verb, f"/live{path}", [], headers, b"")
    matched = match_route(METHODS, verb, path)
    assert matched is not None
    return identity_values(
        ROUTE_PINNED, request, context_variables(CONFIG, matched[0], request, path), ttl
    )


def test_route_pinned_identity_is_the_token_method_and_resource() -> None:
    assert _identity("GET", "/orders") == ("Bearer t1", "GET", "r-orders")
    assert _identity("DELETE", "/anything/else") == ("Bearer t1", "DELETE", "r-proxy+")


@pytest.mark.parametrize(
    ("first", "second", "same_key"),
    [
        (("GET", "/orders"), ("GET", "/orders/"), True),  # trailing slash: same resource
        (("GET", "/orders/7"), ("GET", "/orders/8/"), True),  # same template, same resource
        (("GET", "//orders"), ("GET", "/orders"), True),
        (("GET", "/orders"), ("POST", "/orders"), False),  # same resource, another method
        (("GET", "/orders"), ("GET", "/orders/7"), False),  # another resource
        (("GET", "/orders/latest"), ("GET", "/orders/7"), False),
        (("PUT", "/a"), ("DELETE", "/a"), False),  # an ANY method: the request's method counts
    ],
)
def test_one_cached_decision_per_token_and_route(
    first: tuple[str, str], second: tuple[str, str], same_key: bool
) -> None:
    assert (_identity(*first) == _identity(*second)) is same_key
    assert _identity(*first, authorization="Bearer t2") != _identity(*first)


@pytest.mark.parametrize("authorization", [None, ""])
def test_missing_identity_source_with_caching_is_401(authorization: str | None) -> None:
    # GIVEN caching on THEN a missing or empty source stops the request before the Lambda
    assert _identity("GET", "/orders", authorization) is None
    # GIVEN caching off THEN the sources are optional: the Lambda decides
    assert _identity("GET", "/orders", authorization, ttl=0) == ("GET", "r-orders")


def test_token_authorizer_needs_its_header_whatever_the_ttl() -> None:
    token = Authorizer(
        "tok", "token", "TOKEN", ("method.request.header.Authorization",), None, 0, "arn"
    )
    context = context_variables(CONFIG, METHODS[1], _Request("GET", "/", [], {}, b""), "/orders")
    assert identity_values(token, _Request("GET", "/", [], {}, b""), context, 0) is None
    with_header = _Request("GET", "/", [], {"authorization": "Bearer t"}, b"")
    assert identity_values(token, with_header, context, 0) == ("Bearer t",)


def test_path_parameters_are_never_identity_sources() -> None:
    # "Input to an API Gateway Lambda authorizer": path parameters cannot be identity sources.
    by_path = Authorizer("p", "by-path", "REQUEST", ("method.request.path.id",), None, 300, "arn")
    request = _Request("GET", "/live/orders/7", [], {}, b"")
    context = context_variables(CONFIG, METHODS[3], request, "/orders/7")
    assert identity_values(by_path, request, context, 300) is None


def test_request_event_for_an_any_method_with_a_trailing_slash() -> None:
    # GIVEN an ANY method on a nested template, called with a trailing slash
    method = Method("r-items", "/orders/{id}/items", "ANY", "CUSTOM", "auth", None)
    request = _Request(
        "DELETE",
        "/live/orders/7/items/",
        [("x", "1")],
        {"authorization": "Bearer t1"},
        b"",
        "req-1",
    )
    path = "/orders/7/items/"
    context = context_variables(CONFIG, method, request, path)
    arn = method_arn(CONFIG, "DELETE", path)
    identity = identity_values(ROUTE_PINNED, request, context, 300)
    assert identity is not None

    # WHEN the REQUEST event is built
    event = authorizer_event(
        ROUTE_PINNED, method, request, path, {"id": "7"}, arn, identity, context
    )

    # THEN the template is the resource, the path and ARN are as requested, the method is DELETE
    assert event == {
        "type": "REQUEST",
        "methodArn": f"{ARN}/DELETE/orders/7/items/",
        "resource": "/orders/{id}/items",
        "path": "/orders/7/items/",
        "httpMethod": "DELETE",
        "headers": {"authorization": "Bearer t1"},
        "multiValueHeaders": {"authorization": ["Bearer t1"]},
        "queryStringParameters": {"x": "1"},
        "multiValueQueryStringParameters": {"x": ["1"]},
        "pathParameters": {"id": "7"},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "httpMethod": "DELETE",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": None},
            "path": "/live/orders/7/items/",
            "requestId": "req-1",
            "resourceId": "r-items",
            "resourcePath": "/orders/{id}/items",
            "stage": "live",
        },
    }


def test_request_event_keeps_the_header_case_and_every_repeated_value() -> None:
    # GIVEN a request whose client spelled Authorization in its own case, twice, with a
    # header of another name in between
    lines = [("AUTHORIZATION", "Bearer t1"), ("X-Trace", "t"), ("authorization", "Bearer t2")]
    request = _Request(
        "GET", "/live/orders", [], {k.lower(): v for k, v in lines}, b"", header_lines=lines
    )
    context = context_variables(CONFIG, METHODS[1], request, "/orders")
    identity = identity_values(ROUTE_PINNED, request, context, 300)
    assert identity is not None
    # WHEN the REQUEST event is built
    event = authorizer_event(
        ROUTE_PINNED, METHODS[1], request, "/orders", {}, f"{ARN}/GET/orders", identity, context
    )
    # THEN the names are the client's, headers holds the last value, multiValueHeaders both
    assert event["headers"] == {"AUTHORIZATION": "Bearer t2", "X-Trace": "t"}
    assert event["multiValueHeaders"] == {
        "AUTHORIZATION": ["Bearer t1", "Bearer t2"],
        "X-Trace": ["t"],
    }


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (f"{ARN}/*", f"{ARN}/GET/orders", True),
        (f"{ARN}/*/*", f"{ARN}/GET/orders/42", True),  # * crosses "/"
        (f"{ARN}/GET/*", f"{ARN}/POST/orders", False),
        (f"{ARN}/GET/order?", f"{ARN}/GET/orders", True),
        (f"{ARN}/GET/order?", f"{ARN}/GET/order", False),
        (f"{ARN}/GET/orders", f"{ARN}/GET/orders/42", False),  # exact means exact
        (f"{ARN}/GET/a.b", f"{ARN}/GET/axb", False),  # regex characters are literal
    ],
)
def test_iam_wildcards(pattern: str, value: str, matches: bool) -> None:
    assert iam_wildcard_match(pattern, value) is matches


def _statement(
    effect: str, resource: str | list[str], action: str = "execute-api:Invoke"
) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource}


@pytest.mark.parametrize(
    ("statements", "decision"),
    [
        ([_statement("Allow", f"{ARN}/*")], "Allow"),
        ([_statement("Allow", f"{ARN}/*"), _statement("Deny", f"{ARN}/POST/orders")], "Deny"),
        ([_statement("Deny", f"{ARN}/POST/orders"), _statement("Allow", f"{ARN}/*")], "Deny"),
        ([_statement("Allow", f"{ARN}/GET/orders")], "NoMatch"),
        ([_statement("Allow", f"{ARN}/*", action="execute-api:ManageConnections")], "NoMatch"),
        ([_statement("Allow", [f"{ARN}/GET/*", f"{ARN}/POST/*"])], "Allow"),
        ([_statement("Allow", f"{ARN}/*", action="execute-api:*")], "Allow"),
    ],
)
def test_explicit_deny_first_then_allow(statements: list[dict[str, Any]], decision: str) -> None:
    policy = {"Version": "2012-10-17", "Statement": statements}
    assert evaluate_policy(policy, f"{ARN}/POST/orders") == decision


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ({"principalId": "p", "policyDocument": {"Statement": [{}]}}, None),
        ({"policyDocument": {"Statement": [{}]}}, "principalId missing"),
        ({"principalId": "p"}, "policyDocument missing or without statements"),
        (
            {"principalId": "p", "policyDocument": {"Statement": [{}]}, "context": {"a": [1]}},
            "context value 'a' is not a string, number or boolean",
        ),
    ],
)
def test_authorizer_result_checks(result: dict[str, Any], problem: str | None) -> None:
    assert validate_authorizer_result(result) == problem


def test_request_parameter_sources() -> None:
    request = _Request("GET", "/live/orders/42", [("q", "1")], {"x-trace": "t"}, b"")
    context = {"authorizer": {"Authorization": "Bearer jwt", "admin": True}}
    params = {"id": "42"}
    assert _source_value("context.authorizer.Authorization", request, params, context) == (
        "Bearer jwt"
    )
    assert _source_value("context.authorizer.admin", request, params, context) == "true"
    assert _source_value("context.authorizer.missing", request, params, context) is None
    assert _source_value("method.request.header.X-Trace", request, params, context) == "t"
    assert _source_value("method.request.querystring.q", request, params, context) == "1"
    assert _source_value("method.request.path.id", request, params, context) == "42"
    assert _source_value("'static'", request, params, context) == "static"
    assert _source_value("context.resourceId", request, params, {"resourceId": "r1"}) == "r1"


def test_function_arn_from_authorizer_uri() -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:authz"
    uri = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{arn}/invocations"
    assert function_arn_from_uri(uri) == arn
