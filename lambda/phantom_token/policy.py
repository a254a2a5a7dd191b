"""IAM policies for API Gateway: pure functions over the method ARN, the claims and the config."""

from __future__ import annotations

import json

from phantom_token.errors import EventError, IntrospectionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any, Literal, NamedTuple, TypedDict

    from phantom_token.config import Config, RouteScopes

    Effect = Literal["Allow", "Deny"]

    class Statement(TypedDict):
        Action: str
        Effect: Effect
        Resource: list[str]

    class PolicyDocument(TypedDict):
        Version: str
        Statement: list[Statement]

    class AuthorizerResponse(TypedDict):
        principalId: str
        policyDocument: PolicyDocument
        context: dict[str, str | int | float | bool]
else:
    from phantom_token._records import NamedTuple

CONTEXT_KEY = "Authorization"


class MethodArn(NamedTuple):
    partition: str
    region: str
    account: str
    api_id: str
    stage: str
    method: str
    path: str  # without the leading "/"

    @property
    def arn(self) -> str:
        return f"{self._api_prefix}/{self.stage}/{self.method}/{self.path}"

    @property
    def _api_prefix(self) -> str:
        return f"arn:{self.partition}:execute-api:{self.region}:{self.account}:{self.api_id}"

    def stage_arn(self) -> str:
        """Every method and path of this stage: valid for a policy API Gateway caches."""
        return f"{self._api_prefix}/{self.stage}/*"

    def route_arn(self, route: RouteScopes) -> str:
        method = "*" if route.method in ("ANY", "*") else route.method
        return f"{self._api_prefix}/{self.stage}/{method}{route.path}"


def _is_upper_ascii_word(value: str) -> bool:
    return value.isascii() and value.isalpha() and value.isupper()


def parse_method_arn(arn: str) -> MethodArn:
    """``arn:<partition>:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>``."""
    prefix, _, resource = arn.partition("/")
    fields = prefix.split(":")
    route = resource.split("/", 2)
    if (
        len(fields) != 6
        or fields[0] != "arn"
        or not fields[1].startswith("aws")
        or fields[2] != "execute-api"
        or not fields[3]
        or not (len(fields[4]) == 12 and fields[4].isascii() and fields[4].isdigit())
        or not (fields[5].isascii() and fields[5].isalnum())
        or len(route) != 3
        or not route[0]
        or not (
            route[1] == "*" or (route[1].isascii() and route[1].isalpha() and route[1].isupper())
        )
    ):
        raise EventError("methodArn is not an execute-api method ARN")
    return MethodArn(fields[1], fields[3], fields[4], fields[5], route[0], route[1], route[2])


def iam_wildcard_match(pattern: str, value: str) -> bool:
    """IAM resource matching: ``*`` is any run of characters (``/`` included), ``?`` one."""
    if "?" in pattern:
        return _match_with_single_wildcards(pattern, value)
    if "*" not in pattern:
        return pattern == value
    first, *middle, last = pattern.split("*")
    end = len(value) - len(last)
    if end < len(first) or not value.startswith(first) or not value.endswith(last):
        return False
    position = len(first)
    for part in middle:  # leftmost placement of each piece is optimal for "*"-only patterns
        found = value.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _match_with_single_wildcards(pattern: str, value: str) -> bool:
    p = v = 0
    star = -1  # position of the last "*" seen in the pattern
    resume = 0  # where in value that "*" currently stops matching
    while v < len(value):
        if p < len(pattern) and pattern[p] in ("?", value[v]) and pattern[p] != "*":
            p += 1
            v += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, resume = p, v
            p += 1
        elif star >= 0:
            resume += 1
            p, v = star + 1, resume
        else:
            return False
    return all(char == "*" for char in pattern[p:])


def granted_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    scope = claims.get("scope")
    if isinstance(scope, str):
        return frozenset(scope.split())
    if isinstance(scope, list):
        return frozenset(s for s in scope if isinstance(s, str))
    return frozenset()


def principal_id(claims: Mapping[str, Any]) -> str:
    for claim in ("sub", "client_id"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return value
    raise IntrospectionError("active token has neither 'sub' nor 'client_id'")


def context_value(value: Any) -> str | int | float | bool:
    """API Gateway context values are scalars: anything else travels as JSON text."""
    if isinstance(value, str | bool | int | float):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def authorizer_context(
    jwt: str, claims: Mapping[str, Any], names: Iterable[str]
) -> dict[str, str | int | float | bool]:
    context: dict[str, str | int | float | bool] = {CONTEXT_KEY: f"Bearer {jwt}"}
    for name in names:
        if claims.get(name) is not None:
            context[name] = context_value(claims[name])
    return context


def _statement(effect: Effect, resources: list[str]) -> Statement:
    return {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resources}


def policy_statements(config: Config, method: MethodArn, scopes: frozenset[str]) -> list[Statement]:
    """Allow, or an explicit Deny wherever the token lacks a scope the config asks for.

    In ``stage`` mode one policy is right for every route, because API Gateway caches it per
    token and reuses it on every method of the stage.
    """
    if not config.required_scopes <= scopes:
        resource = method.stage_arn() if config.policy_resource == "stage" else method.arn
        return [_statement("Deny", [resource])]
    lacking = [route for route in config.route_scopes if not route.scopes <= scopes]
    if config.policy_resource == "method":
        denied = any(iam_wildcard_match(method.route_arn(r), method.arn) for r in lacking)
        return [_statement("Deny" if denied else "Allow", [method.arn])]
    statements = [_statement("Allow", [method.stage_arn()])]
    if lacking:
        statements.append(_statement("Deny", [method.route_arn(r) for r in lacking]))
    return statements


def authorizer_response(
    config: Config, method: MethodArn, jwt: str, claims: Mapping[str, Any]
) -> AuthorizerResponse:
    return {
        "principalId": principal_id(claims),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": policy_statements(config, method, granted_scopes(claims)),
        },
        "context": authorizer_context(jwt, claims, config.context_claims),
    }


def effect_for(response: AuthorizerResponse, method: MethodArn) -> Effect:
    """How API Gateway evaluates the policy for this methodArn: explicit Deny first."""
    statements = response["policyDocument"]["Statement"]
    matching = {
        s["Effect"]
        for s in statements
        if any(iam_wildcard_match(resource, method.arn) for resource in s["Resource"])
    }
    return "Deny" if "Deny" in matching or "Allow" not in matching else "Allow"
