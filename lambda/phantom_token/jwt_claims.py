"""Read the claims of a compact JWS. The signature is the upstream API's to verify, not ours:
the token came straight from the identity server over an authenticated TLS connection."""

from __future__ import annotations

import base64
import binascii
import json

from phantom_token.errors import IntrospectionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_BASE64URL_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)


def _b64url_json(segment: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise IntrospectionError(f"introspection response {what} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise IntrospectionError(f"introspection response {what} is not a JSON object")
    return value


def jws_claims(token: str) -> dict[str, Any]:
    """Validate the compact JWS shape and return its payload as a dict."""
    parts = token.split(".")
    if len(parts) != 3 or not all(p and _BASE64URL_CHARACTERS.issuperset(p) for p in parts):
        raise IntrospectionError("introspection response is not a compact JWS")
    header, payload, _ = parts
    alg = _b64url_json(header, "JWS header").get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise IntrospectionError("introspection response is not a signed JWS")
    return _b64url_json(payload, "JWT payload")
