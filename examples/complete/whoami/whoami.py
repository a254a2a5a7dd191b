"""A backend Lambda behind the phantom token authorizer: verify the JWT, answer who called.

API Gateway (a Lambda proxy integration) hands the function the authorizer's context: on a
REST API ``event["requestContext"]["authorizer"]["Authorization"]``, on an HTTP API (payload
format 2.0) ``event["requestContext"]["authorizer"]["lambda"]["Authorization"]``; each holds
"Bearer <jwt>". The client's opaque token is still in ``headers``: never trust it here.

The JWT is verified with the identity server's keys (``JWKS_URI``, fetched once per container):
RS256 with an RSA key, or HS256 with a symmetric ("oct") key, as the key's ``kty`` says, and
must not have expired. Standard library only, so the zip needs no build step. A production API
would rather use a maintained library (PyJWT: ``jwt.PyJWKClient`` and ``jwt.decode``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import urllib.parse
import urllib.request
from typing import Any

# DER prefix of a SHA-256 DigestInfo (RFC 8017, section 9.2, note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_keys: dict[str, dict[str, Any]] | None = None


class InvalidTokenError(Exception):
    """The JWT is missing, malformed, badly signed or expired."""


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jwks() -> dict[str, dict[str, Any]]:
    global _keys  # noqa: PLW0603 -- the container's cache of the identity server's keys
    if _keys is None:
        uri = os.environ["JWKS_URI"]
        parts = urllib.parse.urlsplit(uri)
        if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost"):
            msg = "JWKS_URI must be an https URL (plain http only to loopback, for local tests)"
            raise ValueError(msg)
        with urllib.request.urlopen(uri, timeout=5) as response:  # noqa: S310 -- scheme checked
            _keys = {key.get("kid", ""): key for key in json.load(response)["keys"]}
    return _keys


def _signature_ok(key: dict[str, Any], alg: str, signing_input: bytes, signature: bytes) -> bool:
    if key.get("kty") == "RSA" and alg == "RS256":
        modulus = int.from_bytes(_b64url(key["n"]), "big")
        exponent = int.from_bytes(_b64url(key["e"]), "big")
        size = (modulus.bit_length() + 7) // 8
        if len(signature) != size:
            return False
        decoded = pow(int.from_bytes(signature, "big"), exponent, modulus).to_bytes(size, "big")
        digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
        padding = b"\xff" * (size - len(digest_info) - 3)
        return hmac.compare_digest(decoded, b"\x00\x01" + padding + b"\x00" + digest_info)
    if key.get("kty") == "oct" and alg == "HS256":
        expected = hmac.new(_b64url(key["k"]), signing_input, hashlib.sha256).digest()
        return hmac.compare_digest(expected, signature)
    return False


def verified_claims(bearer: str, keys: dict[str, dict[str, Any]], now: float) -> dict[str, Any]:
    """The claims of "Bearer <jwt>" once its signature and expiry check out."""
    scheme, _, token = bearer.partition(" ")
    parts = token.split(".")
    if scheme != "Bearer" or len(parts) != 3:
        raise InvalidTokenError("not a Bearer JWT")
    try:
        header = json.loads(_b64url(parts[0]))
        claims: dict[str, Any] = json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except ValueError as error:
        raise InvalidTokenError("malformed JWT") from error
    key = keys.get(header.get("kid", ""))
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    if key is None or not _signature_ok(key, header.get("alg", ""), signing_input, signature):
        raise InvalidTokenError("signature does not verify")
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
        raise InvalidTokenError("expired")
    return claims


def bearer_jwt(event: dict[str, Any]) -> str:
    """ "Bearer <jwt>" from the authorizer context: REST (v1) or HTTP API payload 2.0."""
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    context = authorizer.get("lambda", authorizer)  # HTTP APIs nest it under "lambda"
    return str(context.get("Authorization", ""))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        claims = verified_claims(bearer_jwt(event), _jwks(), time.time())
    except InvalidTokenError:
        return {"statusCode": 401, "body": json.dumps({"message": "Unauthorized"})}
    body = {"sub": claims.get("sub"), "scope": claims.get("scope"), "iss": claims.get("iss")}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
