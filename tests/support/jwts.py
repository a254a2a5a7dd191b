"""Compact JWS values for tests: the authorizer reads claims, the upstream verifies signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

TEST_SIGNING_KEY = b"test-only-signing-key"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_jwt(
    claims: dict[str, Any],
    *,
    key: bytes = TEST_SIGNING_KEY,
    typ: str = "JWT",
    kid: str | None = None,
) -> str:
    """An HS256-signed compact JWS with these claims."""
    header: dict[str, Any] = {"alg": "HS256", "typ": typ}
    if kid is not None:
        header["kid"] = kid
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, without verifying it."""
    decoded: dict[str, Any] = json.loads(b64url_decode(token.split(".")[1]))
    return decoded


def verify_hs256(token: str, key: bytes) -> dict[str, Any]:
    """Verify the signature the way an upstream API would; return the claims."""
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, b64url_decode(signature)):
        msg = "JWT signature does not verify"
        raise ValueError(msg)
    return jwt_claims(token)


def verify_rs256(token: str, keys: list[dict[str, Any]]) -> dict[str, Any]:
    """Verify an RS256 compact JWS with the JWK of its ``kid`` (a JWKS's ``keys``), the way an
    upstream API verifies the identity server's JWTs; return the claims."""
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: PLC0415

    signing_input, _, signature = token.rpartition(".")
    header = json.loads(b64url_decode(token.split(".")[0]))
    if header.get("alg") != "RS256":
        msg = f"JWT alg is {header.get('alg')!r}, not RS256"
        raise ValueError(msg)
    matching = [key for key in keys if key.get("kid") == header.get("kid") and key["kty"] == "RSA"]
    if len(matching) != 1:
        msg = f"no single RSA key {header.get('kid')!r} in the JWKS"
        raise ValueError(msg)
    [key] = matching
    public_key = rsa.RSAPublicNumbers(
        int.from_bytes(b64url_decode(key["e"]), "big"),
        int.from_bytes(b64url_decode(key["n"]), "big"),
    ).public_key()
    try:
        public_key.verify(
            b64url_decode(signature),
            signing_input.encode("ascii"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        msg = "JWT signature does not verify"
        raise ValueError(msg) from None
    return jwt_claims(token)
