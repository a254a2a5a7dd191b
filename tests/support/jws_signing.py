"""Sign compact JWS with ``cryptography``, the reference the verifier in ``jws.py`` is tested
against, and give the public keys as JWKs."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from tests.support.jwts import b64url

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
PSS_SHA256 = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """The public half as a JWK: minimal octets for n and e, 32 octets for x and y."""
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8)),
            "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8)),
        }
    point = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(point.x.to_bytes(32)),
        "y": b64url(point.y.to_bytes(32)),
    }


def sign(key: PrivateKey, alg: str, message: bytes) -> bytes:
    """The JWS signature of ``message`` (RFC 7518 3.3, 3.4, 3.5): ES256 as r || s."""
    if alg == "ES256":
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        r, s = utils.decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32) + s.to_bytes(32)
    assert isinstance(key, rsa.RSAPrivateKey)
    pad = padding.PKCS1v15() if alg == "RS256" else PSS_SHA256
    return key.sign(message, pad, hashes.SHA256())


def encode_segment(value: dict[str, Any] | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return b64url(raw)


def make_jws(
    key: PrivateKey,
    alg: str,
    payload: bytes | dict[str, Any] = b'{"sub":"alice"}',
    header: dict[str, Any] | None = None,
) -> str:
    """A compact JWS signed by ``cryptography``; ``header`` defaults to ``{"alg": alg}``."""
    signing_input = f"{encode_segment(header or {'alg': alg})}.{encode_segment(payload)}"
    return f"{signing_input}.{b64url(sign(key, alg, signing_input.encode()))}"


def resign(token: str, signature: bytes) -> str:
    """The same header and payload with another signature."""
    return f"{token.rsplit('.', 1)[0]}.{b64url(signature)}"


def rsa_key_of_odd_length(bits: int) -> rsa.RSAPrivateKey:
    """An RSA key whose modulus has ``bits`` bits, ``bits`` odd, which ``cryptography``'s key
    generation never gives (it makes even lengths only): one prime from a key of ``bits + 1``
    bits, one from a key of ``bits - 1``. Their top two bits are set, so the product has
    exactly ``bits`` bits."""
    p = rsa.generate_private_key(65537, bits + 1).private_numbers().p
    q = rsa.generate_private_key(65537, bits - 1).private_numbers().q
    e = 65537
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q)
    )
    key = numbers.private_key()
    assert key.key_size == bits
    return key
