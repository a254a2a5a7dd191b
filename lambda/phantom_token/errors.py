"""Exception types. Their messages never contain a token, a JWT or a secret."""

from __future__ import annotations


class UnauthorizedError(Exception):
    """The request carries no usable token: API Gateway answers 401.

    API Gateway recognises the 401 case by the exact message ``Unauthorized``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__("Unauthorized")
        self.reason = reason


class AuthorizerError(Exception):
    """Any failure that is not the client's fault: API Gateway answers 500, never Allow."""


class ConfigError(AuthorizerError):
    """An environment variable is missing or invalid; the message names it."""


class IntrospectionError(AuthorizerError):
    """The identity server could not be reached or gave an answer we cannot trust."""


class ClientRejectedError(IntrospectionError):
    """The identity server refused our client credentials (401/403)."""

    def __init__(self, status: int, detail: str = "") -> None:
        message = f"identity server rejected the introspection client credentials ({status})"
        super().__init__(f"{message}; {detail}" if detail else message)
        self.status = status


class SecretError(AuthorizerError):
    """The client secret could not be read from its store."""


class EventError(AuthorizerError):
    """The event is not a REST API TOKEN or REQUEST authorizer event."""


class JwsError(Exception):
    """A JWS refused (malformed, or with ``crit``); the caller decides what it means: a DPoP
    proof's is a 401, the identity server's answer a 500."""


class AlgorithmError(JwsError):
    """The JWS ``alg`` is not on the caller's allow-list, or does not fit the key's type."""


class SignatureError(JwsError):
    """The signature does not verify with the key."""


class JwkError(JwsError):
    """A JWK that is not a public RSA or EC P-256 signing key this verifier accepts."""
