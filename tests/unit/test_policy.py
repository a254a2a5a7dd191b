"""IAM policies: method ARNs, the decision, the one statement, context and principal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phantom_token.config import ScopeTokens
from phantom_token.errors import EventError, IntrospectionError
from phantom_token.policy import (
    Decision,
    MethodArn,
    authorizer_context,
    authorizer_response,
    context_value,
    decide,
    granted_scopes,
    parse_method_arn,
    principal_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from phantom_token.config import Config
    from phantom_token.policy import Effect

API = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
STAGE = f"{API}/live/*"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"
ORDERS = parse_method_arn(f"{API}/live/GET/orders")


def allow(*resources: str) -> dict[str, Any]:
    return {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": list(resources)}


def deny(*resources: str) -> dict[str, Any]:
    return {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": list(resources)}


def response(*statements: dict[str, Any], context: dict[str, Any] | None = None) -> Any:
    allowed = all(statement["Effect"] == "Allow" for statement in statements)
    default = {"Authorization": f"Bearer {JWT}", "sub": "alice", "scope": "read"}
    return {
        "principalId": "alice",
        "policyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        "context": (default if allowed else {}) if context is None else context,
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


# ----- scopes, principal, context ---------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "scopes", "invalid"),
    [
        ({"scope": "read write"}, {"read", "write"}, 0),
        # empty tokens between consecutive spaces are no tokens at all: skipped, not invalid
        ({"scope": "  read   read "}, {"read"}, 0),
        ({"scope": "orders:read !#[]~"}, {"orders:read", "!#[]~"}, 0),
        ({"scope": ["read", "write"]}, {"read", "write"}, 0),
        # a list item that is not a scope-token (not a string, empty, a space) grants nothing
        ({"scope": ["read", 3, "write"]}, {"read", "write"}, 1),
        ({"scope": ["read", "", "read write", None]}, {"read"}, 3),
        ({"scope": ""}, set(), 0),
        ({"scope": " "}, set(), 0),
        ({"scope": 5}, set(), 0),
        ({}, set(), 0),
    ],
)
def test_granted_scopes(claims: dict[str, Any], scopes: set[str], invalid: int) -> None:
    # GIVEN a scope claim as a string, a list or nonsense
    # WHEN the granted scopes are read
    # THEN only RFC 6749 scope tokens count, and the others are counted
    assert granted_scopes(claims) == ScopeTokens(frozenset(scopes), invalid)


# Every character str.split() splits on, besides the space: none separates scope tokens.
OTHER_WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace() and c != 0x20]
# A sample of them, and characters that are not whitespace to Python and no separator either.
NOT_SEPARATORS = [
    "\t", "\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u1680",
    "\u2003", "\u2028", "\u2029", "\u202f", "\u3000", "\u200b", "\ufeff", "\x00", "\x7f",
]  # fmt: skip


@pytest.mark.parametrize("separator", NOT_SEPARATORS, ids=lambda char: f"U+{ord(char):04X}")
@pytest.mark.parametrize("as_list", [False, True], ids=["string", "list"])
def test_only_the_space_separates_granted_scopes(separator: str, as_list: bool) -> None:
    # GIVEN a parameterised scope the client chose, "account:" + separator + "admin"
    # (RFC 6749 3.3: scope tokens are separated by %x20 and made of %x21 / %x23-5B / %x5D-7E)
    chosen = f"account:{separator}admin"
    claims = {"scope": [chosen, "read"] if as_list else f"{chosen} read"}
    # WHEN the granted scopes are read and a request needs admin
    granted = granted_scopes(claims)
    # THEN the token is not a scope at all: it grants neither admin nor account:, and is
    # counted; read, separated by a space, is still granted
    assert granted == ScopeTokens(frozenset({"read"}), 1)
    assert decide(frozenset({"admin"}), granted.scopes) == Decision("Deny", frozenset({"admin"}))


def test_other_whitespace_list_matches_str_split() -> None:
    # GIVEN the separators the property below draws from
    # THEN they are every one str.split() would have used, the space aside
    assert "".join(OTHER_WHITESPACE).split() == []
    assert "\t" in OTHER_WHITESPACE
    assert " " not in OTHER_WHITESPACE


_SCOPE_ALPHABET = st.sampled_from(
    [chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"\\'] + ["a", "d", "m", "i", "n", ":"]
)
_TOKENS = st.text(_SCOPE_ALPHABET, min_size=1, max_size=6)
_SEPARATORS = st.text(
    st.sampled_from([*OTHER_WHITESPACE, "\u200b", "\ufeff", " "]), min_size=1, max_size=3
)


@settings(max_examples=200, deadline=None)
@given(
    tokens=st.lists(st.one_of(_TOKENS, st.just("admin")), min_size=1, max_size=6),
    separators=st.lists(_SEPARATORS, min_size=6, max_size=6),
    required=st.one_of(st.just("admin"), _TOKENS),
    as_list=st.booleans(),
)
def test_a_scope_is_granted_only_as_a_whole_space_delimited_token(
    tokens: list[str], separators: list[str], required: str, as_list: bool
) -> None:
    # GIVEN scope tokens joined by runs of whitespace, U+0020 or other (as a list: the same
    # string cut at its spaces)
    pairs = zip(separators, tokens[1:], strict=False)
    granted = tokens[0] + "".join(separator + token for separator, token in pairs)
    claim: object = granted.split(" ") if as_list else granted
    # WHEN a request needs one scope
    decision = decide(frozenset({required}), granted_scopes({"scope": claim}).scopes)
    # THEN it is allowed exactly when the scope is one of the %x20-delimited tokens
    assert (decision.effect == "Allow") == (required in granted.split(" "))


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


# ----- decisions and policies -------------------------------------------------------------


@pytest.mark.parametrize(
    ("needed", "granted", "decision"),
    [
        (set(), set(), Decision("Allow", frozenset())),
        (set(), {"read"}, Decision("Allow", frozenset())),
        ({"read"}, {"read", "write"}, Decision("Allow", frozenset())),
        ({"read", "write"}, {"read", "write"}, Decision("Allow", frozenset())),
        ({"read", "write"}, {"read"}, Decision("Deny", frozenset({"write"}))),
        ({"read", "write"}, set(), Decision("Deny", frozenset({"read", "write"}))),
        ({"orders:write"}, {"orders:writ", "orders:write:x"}, Decision("Deny", {"orders:write"})),
    ],
)
def test_decide_allows_only_every_needed_scope(
    needed: set[str], granted: set[str], decision: Decision
) -> None:
    # GIVEN the scopes a request needs and those the token grants
    # WHEN the decision is made
    # THEN it is Allow exactly when nothing is missing, else Deny naming what is missing
    assert decide(frozenset(needed), frozenset(granted)) == decision


@pytest.mark.parametrize(
    ("arn", "policy_resource", "effect", "statement"),
    [
        (f"{API}/live/GET/orders", "stage", "Allow", allow(STAGE)),
        (f"{API}/live/GET/orders", "stage", "Deny", deny(STAGE)),
        (f"{API}/live/POST/orders/", "stage", "Deny", deny(STAGE)),
        (f"{API}/live/GET/orders", "method", "Allow", allow(f"{API}/live/GET/orders")),
        (f"{API}/live/POST/orders/", "method", "Deny", deny(f"{API}/live/POST/orders/")),
        (f"{API}/live/GET/", "method", "Allow", allow(f"{API}/live/GET/")),
        (
            "arn:aws-cn:execute-api:cn-north-1:123456789012:api1/prod/PUT/a/b",
            "stage",
            "Deny",
            deny("arn:aws-cn:execute-api:cn-north-1:123456789012:api1/prod/*"),
        ),
    ],
)
def test_policy_is_one_statement_on_the_stage_or_the_exact_method(
    make_config: Callable[..., Config],
    arn: str,
    policy_resource: str,
    effect: Effect,
    statement: dict[str, Any],
) -> None:
    # GIVEN POLICY_RESOURCE and a decision for this methodArn
    config = make_config(POLICY_RESOURCE=policy_resource, CONTEXT_CLAIMS="sub scope")
    claims = {"sub": "alice", "scope": "read", "exp": 2_000_000_000}
    # WHEN the response is built
    built = authorizer_response(config, parse_method_arn(arn), effect, JWT, claims)
    # THEN it is exactly one statement with that effect, on the stage or on the exact methodArn
    assert built == response(statement)


def test_allow_carries_principal_and_context(make_config: Callable[..., Config]) -> None:
    # GIVEN a token with a client_id and no sub, and the default CONTEXT_CLAIMS
    claims = {"client_id": "web", "scope": ["read", "write"], "email": "a@example.com"}
    # WHEN an Allow is built
    built = authorizer_response(make_config(), ORDERS, "Allow", JWT, claims)
    # THEN the principal is the client and the context holds the JWT and the default claims
    assert built == {
        "principalId": "web",
        "policyDocument": {"Version": "2012-10-17", "Statement": [allow(STAGE)]},
        "context": {
            "Authorization": f"Bearer {JWT}",
            "client_id": "web",
            "scope": '["read","write"]',
        },
    }


def test_deny_carries_the_principal_and_an_empty_context(
    make_config: Callable[..., Config],
) -> None:
    # GIVEN a token with a client_id and no sub, and the default CONTEXT_CLAIMS
    claims = {"client_id": "web", "scope": ["read", "write"], "email": "a@example.com"}
    # WHEN a Deny is built
    built = authorizer_response(make_config(), ORDERS, "Deny", JWT, claims)
    # THEN the context is empty: a gateway response mapping $context.authorizer.Authorization
    # must never hand the JWT to the client it refused
    assert built == {
        "principalId": "web",
        "policyDocument": {"Version": "2012-10-17", "Statement": [deny(STAGE)]},
        "context": {},
    }
