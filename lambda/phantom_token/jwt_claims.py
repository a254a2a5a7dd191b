"""Read the claims of a compact JWS. The signature is the upstream API's to verify, not ours:
the token came straight from the identity server over an authenticated TLS connection."""

from __future__ import annotations

import base64
import binascii
import json
import re

from phantom_token.errors import IntrospectionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_BASE64URL_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)
# A JWS algorithm name as the IANA registry spells them (HS256, RS256, ES256K, EdDSA, Ed25519,
# ML-DSA-44): ASCII letters and digits, in parts joined by single hyphens. Anything else, such
# as " none", "none\u200b" or a full-width "none", is no algorithm an identity server signs
# with, only a way past a check that compares spellings.
_ALG = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_MAX_ALG_LENGTH = 32


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
    if not is_signed_alg(alg):
        raise IntrospectionError("introspection response is not a signed JWS")
    return _b64url_json(payload, "JWT payload")


def is_signed_alg(alg: object) -> bool:
    """True for a JWS algorithm name that is not ``none`` in any spelling.

    The signature is not verified here, so there is no list of accepted algorithms to compare
    ``alg`` with; once it is, ``alg`` must equal one of that list exactly. Until then a token
    whose header says it is unsigned is refused, however ``none`` is written.
    """
    return (
        isinstance(alg, str)
        and len(alg) <= _MAX_ALG_LENGTH
        and _ALG.fullmatch(alg) is not None
        and alg.strip().casefold() != "none"
    )
