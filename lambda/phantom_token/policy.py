"""IAM policies for API Gateway: pure functions over the method ARN, the claims and the config."""

from __future__ import annotations

import json

from phantom_token.config import ScopeTokens, is_scope_token, scope_tokens
from phantom_token.errors import EventError, IntrospectionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any, Literal, NamedTuple, TypedDict

    from phantom_token.config import Config

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


class Decision(NamedTuple):
    effect: Effect
    missing: frozenset[str]  # the needed scopes the token lacks; empty on Allow


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


def decide(needed: frozenset[str], granted: frozenset[str]) -> Decision:
    """Allow only when the token grants every needed scope; else an explicit Deny (403)."""
    missing = needed - granted
    return Decision("Deny" if missing else "Allow", missing)


def granted_scopes(claims: Mapping[str, Any]) -> ScopeTokens:
    """The ``scope`` claim's scope tokens: a string split on U+0020 only, or a JSON array.

    A token with a character outside ``%x21 / %x23-5B / %x5D-7E`` (RFC 6749 3.3), such as
    ``"account:\\tadmin"``, grants nothing, neither itself nor its parts; so does an array
    item that is not such a string (a number, ``""``, ``"read write"``). Both are counted.
    """
    scope = claims.get("scope")
    if isinstance(scope, str):
        return scope_tokens(scope)
    if isinstance(scope, list):
        valid = frozenset(item for item in scope if is_scope_token(item))
        return ScopeTokens(valid, sum(1 for item in scope if not is_scope_token(item)))
    return ScopeTokens(frozenset(), 0)


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


def policy_resource(config: Config, method: MethodArn) -> str:
    """The stage, or (``POLICY_RESOURCE=method``, gateway cache off) the exact methodArn.

    The stage is right for a cached decision: API Gateway reuses it only for the same cache key,
    which is the token alone when every route needs the same scopes, and the token plus the
    route (context.httpMethod, context.resourceId) when routes have scopes of their own. (A
    REQUEST authorizer's identity sources "will be used to derive the authorization caching
    key": API Gateway API Reference, Authorizer, identitySource.)
    """
    return method.stage_arn() if config.policy_resource == "stage" else method.arn


def authorizer_response(
    config: Config, method: MethodArn, effect: Effect, jwt: str, claims: Mapping[str, Any]
) -> AuthorizerResponse:
    """One statement: the decision on the policy resource, with the principal and the context.

    A Deny's context is empty: a gateway response (403) may map
    ``$context.authorizer.Authorization``, and the JWT must never reach a refused client.
    """
    allow = effect == "Allow"
    return {
        "principalId": principal_id(claims),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": effect,
                    "Resource": [policy_resource(config, method)],
                }
            ],
        },
        "context": authorizer_context(jwt, claims, config.context_claims) if allow else {},
    }


# The principal of a decision made without looking at the token (a route denied whatever it
# holds): API Gateway needs one; this says no identity was established.
DENIED_PRINCIPAL = "anonymous"


def denied_response(config: Config, method: MethodArn) -> AuthorizerResponse:
    """An explicit Deny on the policy resource, without principal claims or context."""
    return {
        "principalId": DENIED_PRINCIPAL,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Deny",
                    "Resource": [policy_resource(config, method)],
                }
            ],
        },
        "context": {},
    }
