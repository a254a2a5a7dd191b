"""The gateway emulator's own rules, checked against API Gateway's documented behaviour.

These need no server: route precedence, IAM wildcard matching, policy evaluation, the
authorizer result checks and request parameter mapping are pure functions.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.gateway import (
    Method,
    _Request,
    _source_value,
    evaluate_policy,
    function_arn_from_uri,
    iam_wildcard_match,
    match_route,
    validate_authorizer_result,
)

pytestmark = pytest.mark.e2e

ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/live"


def _method(path: str, verb: str = "GET") -> Method:
    return Method(path, verb, "CUSTOM", "auth", None)


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
    ],
)
def test_route_precedence(verb: str, path: str, resource: str, params: dict[str, str]) -> None:
    matched = match_route(METHODS, verb, path)
    assert matched is not None
    assert (matched[0].resource_path, matched[1]) == (resource, params)


def test_no_route_without_a_matching_resource() -> None:
    assert match_route(METHODS[:5], "GET", "/profile") is None
    assert match_route(METHODS[:5], "PUT", "/orders") is None


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


def test_function_arn_from_authorizer_uri() -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:authz"
    uri = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{arn}/invocations"
    assert function_arn_from_uri(uri) == arn
