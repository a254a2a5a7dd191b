"""IAM policies: method ARNs, wildcard matching, statements, context and principal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from phantom_token.errors import EventError, IntrospectionError
from phantom_token.policy import (
    MethodArn,
    authorizer_context,
    authorizer_response,
    context_value,
    effect_for,
    granted_scopes,
    iam_wildcard_match,
    parse_method_arn,
    principal_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from phantom_token.config import Config
    from phantom_token.policy import AuthorizerResponse

API = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
STAGE = f"{API}/live/*"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"
ORDERS = parse_method_arn(f"{API}/live/GET/orders")


def allow(*resources: str) -> dict[str, Any]:
    return {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": list(resources)}


def deny(*resources: str) -> dict[str, Any]:
    return {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": list(resources)}


def response(*statements: dict[str, Any], context: dict[str, Any] | None = None) -> Any:
    return {
        "principalId": "alice",
        "policyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        "context": context or {"Authorization": f"Bearer {JWT}", "sub": "alice", "scope": "read"},
    }


# ----- method ARNs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (
            f"{API}/live/GET/orders",
            MethodArn("aws", "eu-west-1", "123456789012", "abcdef1234", "live", "GET", "orders"),
        ),
        (
            f"{API}/live/DELETE/orders/42/items",
            MethodArn(
                "aws",
                "eu-west-1",
                "123456789012",
                "abcdef1234",
                "live",
                "DELETE",
                "orders/42/items",
            ),
        ),
        (
            f"{API}/live/GET/",
            MethodArn("aws", "eu-west-1", "123456789012", "abcdef1234", "live", "GET", ""),
        ),
        (
            f"{API}/$default/*/orders",
            MethodArn("aws", "eu-west-1", "123456789012", "abcdef1234", "$default", "*", "orders"),
        ),
        (
            "arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/prod/POST/pay",
            MethodArn("aws-cn", "cn-north-1", "123456789012", "abcdef1234", "prod", "POST", "pay"),
        ),
        (
            "arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:a1/v1/PUT/x",
            MethodArn("aws-us-gov", "us-gov-west-1", "123456789012", "a1", "v1", "PUT", "x"),
        ),
    ],
)
def test_method_arn_is_parsed(arn: str, expected: MethodArn) -> None:
    # GIVEN a method ARN as API Gateway sends it
    # WHEN it is parsed
    parsed = parse_method_arn(arn)
    # THEN every part is found and the ARN rebuilds to the same text
    assert parsed == expected
    assert parsed.arn == arn


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live/GET",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234//GET/orders",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live/get/orders",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live/G3T/orders",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live//orders",
        "arn:aws:lambda:eu-west-1:123456789012:abcdef1234/live/GET/orders",
        "arn:gcp:execute-api:eu-west-1:123456789012:abcdef1234/live/GET/orders",
        "urn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live/GET/orders",
        "arn:aws:execute-api::123456789012:abcdef1234/live/GET/orders",
        "arn:aws:execute-api:eu-west-1:12345678901:abcdef1234/live/GET/orders",
        "arn:aws:execute-api:eu-west-1:1234567890123:abcdef1234/live/GET/orders",
        "arn:aws:execute-api:eu-west-1:12345678901x:abcdef1234/live/GET/orders",
        "arn:aws:execute-api:eu-west-1:123456789012:abc-def/live/GET/orders",
        "arn:aws:execute-api:eu-west-1:123456789012:/live/GET/orders",
        "arn:aws:execute-api:eu-west-1:123456789012:abc:def/live/GET/orders",
        "arn:aws:execute-api:eu-west-1:123456789012:abcdéf/live/GET/orders",
    ],
)
def test_malformed_method_arn_is_an_error(arn: str) -> None:
    # GIVEN something that is not an execute-api method ARN
    # WHEN it is parsed
    # THEN it is an error (500), never a policy for a guessed resource
    with pytest.raises(EventError, match="methodArn is not an execute-api method ARN"):
        parse_method_arn(arn)


def test_method_arn_derived_resources() -> None:
    # GIVEN a parsed method ARN in the aws-cn partition
    method = parse_method_arn("arn:aws-cn:execute-api:cn-north-1:123456789012:api1/prod/GET/a/b")
    # WHEN the stage resource is derived
    # THEN it keeps the partition and covers every method and path of the stage
    assert method.stage_arn() == "arn:aws-cn:execute-api:cn-north-1:123456789012:api1/prod/*"


# ----- IAM wildcards ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("", "", True),
        ("*", "", True),
        ("*", "anything/at/all", True),
        ("**", "x", True),
        ("abc", "abc", True),
        ("abc", "abcd", False),
        ("abcd", "abc", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("?", "", False),
        ("a*", "", False),
        ("a*c", "abc", True),
        ("a*c", "ac", True),
        ("a*c", "abd", False),
        ("*ab", "aab", True),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "aXbY", False),
        ("GET/orders/*", "GET/orders/42/items", True),
        ("GET/orders/*", "GET/orders", False),
        ("*/orders", "DELETE/orders", True),
        ("GET/orders", "GET/Orders", False),
        ("a*", "a*", True),
        ("a?", "a*", True),
        ("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", False),
    ],
)
def test_iam_wildcard_match(pattern: str, value: str, matches: bool) -> None:
    # GIVEN an IAM resource pattern and a resource
    # WHEN they are matched
    # THEN "*" spans any run of characters ("/" included) and "?" exactly one
    assert iam_wildcard_match(pattern, value) is matches


# ----- scopes, principal, context ---------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"scope": "read write"}, {"read", "write"}),
        ({"scope": "  read   read "}, {"read"}),
        ({"scope": ["read", 3, "write"]}, {"read", "write"}),
        ({"scope": ""}, set()),
        ({"scope": 5}, set()),
        ({}, set()),
    ],
)
def test_granted_scopes(claims: dict[str, Any], expected: set[str]) -> None:
    # GIVEN a scope claim as a string, a list or nonsense
    # WHEN the granted scopes are read
    # THEN only scope strings count
    assert granted_scopes(claims) == expected


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"sub": "alice", "client_id": "web"}, "alice"),
        ({"sub": "", "client_id": "web"}, "web"),
        ({"sub": 42, "client_id": "web"}, "web"),
        ({"client_id": "web"}, "web"),
    ],
)
def test_principal_id_is_sub_else_client_id(claims: dict[str, Any], expected: str) -> None:
    # GIVEN claims with a subject and/or a client id
    # WHEN the principal is chosen
    # THEN it is the non-empty string sub, else client_id
    assert principal_id(claims) == expected


@pytest.mark.parametrize(
    "claims", [{}, {"sub": "", "client_id": ""}, {"sub": None, "client_id": 1}]
)
def test_principal_id_without_sub_or_client_id_is_an_error(claims: dict[str, Any]) -> None:
    # GIVEN claims with neither a usable sub nor client_id
    # WHEN the principal is chosen
    # THEN it is an error: no Allow without a principal
    with pytest.raises(IntrospectionError, match="neither 'sub' nor 'client_id'"):
        principal_id(claims)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (7, 7),
        (1.5, 1.5),
        (True, True),
        (False, False),
        (["b", "a"], '["b","a"]'),
        ({"z": 1, "a": [True, None]}, '{"a":[true,null],"z":1}'),
        (None, "null"),
    ],
)
def test_context_value_keeps_scalars_and_serializes_the_rest(value: Any, expected: Any) -> None:
    # GIVEN a claim value
    # WHEN it becomes a context value
    result = context_value(value)
    # THEN scalars stay as they are and anything else is compact, sorted JSON text
    assert result == expected
    assert type(result) is type(expected)


def test_authorizer_context_holds_the_jwt_and_the_present_claims() -> None:
    # GIVEN claims where one named claim is null and one is missing
    claims = {"sub": "alice", "scope": "read", "roles": ["a"], "email": None, "other": "x"}
    # WHEN the context is built for sub, roles, email, missing
    context = authorizer_context(JWT, claims, ["sub", "roles", "email", "missing"])
    # THEN it holds Bearer <jwt> and only the present, non-null, named claims
    assert context == {"Authorization": f"Bearer {JWT}", "sub": "alice", "roles": '["a"]'}


# ----- policies ---------------------------------------------------------------------------

ROUTES = '{"DELETE /orders/{id}": "orders:delete", "ANY /admin/*": "admin", "GET /": "home"}'


@pytest.mark.parametrize(
    ("variables", "scope", "statements"),
    [
        ({}, "read", [allow(STAGE)]),
        ({"REQUIRED_SCOPES": "read"}, "read write", [allow(STAGE)]),
        ({"REQUIRED_SCOPES": "read write"}, "read", [deny(STAGE)]),
        ({"REQUIRED_SCOPES": "read write"}, "", [deny(STAGE)]),
        (
            {"ROUTE_SCOPES": ROUTES},
            "read",
            [
                allow(STAGE),
                deny(f"{API}/live/DELETE/orders/*", f"{API}/live/*/admin/*", f"{API}/live/GET/"),
            ],
        ),
        (
            {"ROUTE_SCOPES": ROUTES},
            "read admin",
            [allow(STAGE), deny(f"{API}/live/DELETE/orders/*", f"{API}/live/GET/")],
        ),
        ({"ROUTE_SCOPES": ROUTES}, "orders:delete admin home", [allow(STAGE)]),
        ({"ROUTE_SCOPES": ROUTES, "REQUIRED_SCOPES": "read"}, "admin", [deny(STAGE)]),
        ({"POLICY_RESOURCE": "method"}, "read", [allow(f"{API}/live/GET/orders")]),
        (
            {"POLICY_RESOURCE": "method", "REQUIRED_SCOPES": "write"},
            "read",
            [deny(f"{API}/live/GET/orders")],
        ),
    ],
)
def test_policy_for_get_orders(
    make_config: Callable[..., Config],
    variables: dict[str, str],
    scope: str,
    statements: list[dict[str, Any]],
) -> None:
    # GIVEN a configuration and a token with these scopes
    config = make_config(**variables)
    claims = {"sub": "alice", "scope": scope, "exp": 2_000_000_000}
    # WHEN the response for GET /orders is built
    built = authorizer_response(config, ORDERS, JWT, claims)
    # THEN it is exactly this policy
    context = {"Authorization": f"Bearer {JWT}", "sub": "alice", "scope": scope}
    assert built == response(*statements, context=context)


@pytest.mark.parametrize(
    ("arn", "effect"),
    [
        (f"{API}/live/GET/orders", "Allow"),
        (f"{API}/live/DELETE/orders", "Allow"),
        (f"{API}/live/DELETE/orders/42", "Deny"),
        (f"{API}/live/DELETE/orders/42/lines/1", "Deny"),
        (f"{API}/live/GET/admin/users", "Deny"),
        (f"{API}/live/POST/admin/users", "Deny"),
        (f"{API}/live/GET/admin", "Allow"),
        (f"{API}/live/GET/", "Deny"),
        (f"{API}/live/POST/", "Allow"),
    ],
)
def test_method_mode_applies_route_scopes_to_the_exact_method(
    make_config: Callable[..., Config], arn: str, effect: str
) -> None:
    # GIVEN method mode with route scopes and a token with only "read"
    config = make_config(POLICY_RESOURCE="method", ROUTE_SCOPES=ROUTES)
    method = parse_method_arn(arn)
    # WHEN the response for this methodArn is built
    built = authorizer_response(config, method, JWT, {"sub": "alice", "scope": "read"})
    # THEN it is one statement on the exact ARN with the route's effect
    expected = allow(arn) if effect == "Allow" else deny(arn)
    assert built["policyDocument"]["Statement"] == [expected]
    assert effect_for(built, method) == effect


@pytest.mark.parametrize(
    ("arn", "effect"),
    [
        (f"{API}/live/GET/orders", "Allow"),
        (f"{API}/live/DELETE/orders/42", "Deny"),
        (f"{API}/live/PATCH/admin/x", "Deny"),
        (f"{API}/live/GET/", "Deny"),
        (f"{API}/test/GET/orders", "Deny"),
        ("arn:aws:execute-api:eu-west-1:123456789012:otherapi1/live/GET/orders", "Deny"),
    ],
)
def test_one_stage_policy_is_right_for_every_route(
    make_config: Callable[..., Config], arn: str, effect: str
) -> None:
    # GIVEN the stage-wide policy built for GET /orders (what API Gateway caches per token)
    config = make_config(ROUTE_SCOPES=ROUTES)
    cached: AuthorizerResponse = authorizer_response(
        config, ORDERS, JWT, {"sub": "alice", "scope": "read"}
    )
    # WHEN API Gateway evaluates it for another methodArn
    # THEN routes lacking scopes are denied, others allowed, other stages and APIs not covered
    assert effect_for(cached, parse_method_arn(arn)) == effect


def test_effect_without_any_matching_statement_is_deny() -> None:
    # GIVEN a policy that only mentions another resource
    policy = response(allow(f"{API}/live/GET/other"))
    # WHEN it is evaluated for GET /orders
    # THEN the implicit answer is Deny
    assert effect_for(policy, ORDERS) == "Deny"


def test_explicit_deny_wins_over_allow() -> None:
    # GIVEN a policy that allows and explicitly denies the same resource
    policy = response(allow(STAGE), deny(f"{API}/live/GET/orders"))
    # WHEN it is evaluated
    # THEN Deny wins, as in IAM
    assert effect_for(policy, ORDERS) == "Deny"
