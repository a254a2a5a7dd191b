"""Extract the bearer token from a REST API authorizer event (RFC 6750 section 2.1)."""

from __future__ import annotations

from collections.abc import Mapping

from phantom_token.errors import EventError, UnauthorizedError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# An Authorization header longer than this is not a token we issued; reject before any I/O.
MAX_HEADER_LENGTH = 8192

# RFC 6750: credentials = "Bearer" 1*SP b64token
# b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
)
_WHITESPACE = " \t"


def parse_authorization(header: str | None) -> str:
    """Return the token from an ``Authorization`` header value, or raise UnauthorizedError."""
    if header is None:
        raise UnauthorizedError("missing Authorization header")
    if not isinstance(header, str):
        raise UnauthorizedError("Authorization header is not text")
    if len(header) > MAX_HEADER_LENGTH:
        raise UnauthorizedError("Authorization header is too long")
    scheme, space, rest = header.strip(_WHITESPACE).partition(" ")
    token = rest.lstrip(" ")
    characters = token.rstrip("=")
    if (
        not space
        or not scheme.isascii()
        or scheme.lower() != "bearer"
        or not characters
        or not _B64TOKEN_CHARACTERS.issuperset(characters)
    ):
        raise UnauthorizedError("Authorization header is not a Bearer b64token")
    return token


def authorization_header(event: Mapping[str, Any]) -> str | None:
    """The raw Authorization value of a TOKEN or REQUEST event (None when absent)."""
    if event.get("type") == "TOKEN" or "authorizationToken" in event:
        token = event.get("authorizationToken")
        return token if isinstance(token, str) else None
    if event.get("type") not in (None, "REQUEST"):
        raise EventError("event is neither a TOKEN nor a REQUEST authorizer event")
    values = _header_values(event.get("headers"), single=True)
    values += _header_values(event.get("multiValueHeaders"), single=False)
    distinct = set(values)
    if len(distinct) > 1:
        raise UnauthorizedError("more than one Authorization header")
    return distinct.pop() if distinct else None


def _header_values(headers: object, *, single: bool) -> list[str]:
    if not isinstance(headers, Mapping):
        return []
    found: list[str] = []
    for name, value in headers.items():
        if not isinstance(name, str) or name.lower() != "authorization":
            continue
        items = [value] if single else value if isinstance(value, list) else []
        found.extend(item for item in items if isinstance(item, str))
    return found


def method_arn(event: Mapping[str, Any]) -> str:
    arn = event.get("methodArn")
    if not isinstance(arn, str) or not arn:
        raise EventError("event has no methodArn")
    return arn
