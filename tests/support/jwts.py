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


def make_jwt(claims: dict[str, Any], *, key: bytes = TEST_SIGNING_KEY, typ: str = "JWT") -> str:
    """An HS256-signed compact JWS with these claims."""
    header = b64url(json.dumps({"alg": "HS256", "typ": typ}).encode())
    payload = b64url(json.dumps(claims).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, without verifying it."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded
