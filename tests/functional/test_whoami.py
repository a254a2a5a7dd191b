"""examples/complete's Lambda backend (GET /whoami): its JWT check and its committed zip."""

from __future__ import annotations

import base64
import importlib.util
import json
import subprocess
import sys
import time
import zipfile
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.jwts import TEST_SIGNING_KEY, b64url, make_jwt
from tests.support.stack import WHOAMI_ZIP

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType

WHOAMI_DIR = WHOAMI_ZIP.parent
NOW = 1_700_000_000
CLAIMS = {"sub": "alice", "scope": "profile:read", "exp": NOW + 60}


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("whoami", WHOAMI_DIR / "whoami.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


whoami = _load()
OCT_KEYS = {"hs": {"kty": "oct", "kid": "hs", "k": b64url(TEST_SIGNING_KEY)}}


def _rs256(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str = "rs") -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def _rsa_jwk(key: rsa.RSAPrivateKey, kid: str = "rs") -> dict[str, str]:
    numbers = key.public_key().public_numbers()

    def encode(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    return {"kty": "RSA", "kid": kid, "n": encode(numbers.n), "e": encode(numbers.e)}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_rs256_signatures_verify_as_cryptography_makes_them(rsa_key: rsa.RSAPrivateKey) -> None:
    # GIVEN a JWT signed RS256 by cryptography, and the public key as a JWK
    token = _rs256(CLAIMS, rsa_key)
    keys = {"rs": _rsa_jwk(rsa_key)}
    # THEN the function's standard-library check accepts it, and a changed payload fails
    assert whoami.verified_claims(f"Bearer {token}", keys, NOW) == CLAIMS
    header, _, signature = token.split(".")
    forged = f"{header}.{b64url(json.dumps({**CLAIMS, 'sub': 'mallory'}).encode())}.{signature}"
    with pytest.raises(whoami.InvalidTokenError, match="signature"):
        whoami.verified_claims(f"Bearer {forged}", keys, NOW)


def test_an_rs256_token_does_not_verify_with_another_key(rsa_key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(whoami.InvalidTokenError, match="signature"):
        whoami.verified_claims(f"Bearer {_rs256(CLAIMS, other)}", {"rs": _rsa_jwk(rsa_key)}, NOW)


@pytest.mark.parametrize(
    ("bearer", "reason"),
    [
        (f"Bearer {make_jwt(CLAIMS, kid='hs')}", None),
        (f"Bearer {make_jwt(CLAIMS, kid='hs', key=b'another key')}", "signature"),
        (f"Bearer {make_jwt(CLAIMS, kid='unknown')}", "signature"),
        (f"Bearer {make_jwt({**CLAIMS, 'exp': NOW}, kid='hs')}", "expired"),
        (f"Bearer {make_jwt({'sub': 'alice'}, kid='hs')}", "expired"),
        (f"bearer {make_jwt(CLAIMS, kid='hs')}", "not a Bearer JWT"),
        ("Bearer not-a-jwt", "not a Bearer JWT"),
        ("", "not a Bearer JWT"),
    ],
    ids=["valid", "other-key", "unknown-kid", "expired", "no-exp", "scheme", "opaque", "empty"],
)
def test_hs256_checks(bearer: str, reason: str | None) -> None:
    if reason is None:
        assert whoami.verified_claims(bearer, OCT_KEYS, NOW) == CLAIMS
    else:
        with pytest.raises(whoami.InvalidTokenError, match=reason):
            whoami.verified_claims(bearer, OCT_KEYS, NOW)


def test_an_algorithm_the_key_does_not_have_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    # GIVEN an HS256 token "signed" with the RSA key's public modulus as the HMAC key
    jwk = _rsa_jwk(rsa_key, kid="hs")
    token = make_jwt(CLAIMS, kid="hs", key=base64.urlsafe_b64decode(jwk["n"] + "=="))
    # THEN an RSA key never verifies an HS256 signature
    with pytest.raises(whoami.InvalidTokenError, match="signature"):
        whoami.verified_claims(f"Bearer {token}", {"hs": jwk}, NOW)


@pytest.mark.parametrize(
    "event",
    [
        {"requestContext": {"authorizer": {"Authorization": "Bearer x.y.z", "principalId": "a"}}},
        {"requestContext": {"authorizer": {"lambda": {"Authorization": "Bearer x.y.z"}}}},
    ],
    ids=["rest", "http-api-2.0"],
)
def test_the_jwt_is_read_from_the_authorizer_context(event: dict[str, Any]) -> None:
    assert whoami.bearer_jwt(event) == "Bearer x.y.z"


def test_the_opaque_token_in_the_headers_is_never_read() -> None:
    event = {"headers": {"Authorization": "Bearer opaque"}, "requestContext": {"authorizer": None}}
    assert whoami.bearer_jwt(event) == ""


def test_handler_answers_with_the_subject_or_401(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whoami, "_keys", OCT_KEYS)
    claims = {**CLAIMS, "exp": int(time.time()) + 60}
    bearer = f"Bearer {make_jwt(claims, kid='hs')}"
    event = {"requestContext": {"authorizer": {"Authorization": bearer}}}

    answer = whoami.lambda_handler(event, None)
    refused = whoami.lambda_handler({"requestContext": {}}, None)

    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"sub": "alice", "scope": "profile:read", "iss": None}
    assert refused["statusCode"] == 401


def test_a_plain_http_jwks_uri_is_refused_unless_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whoami, "_keys", None)
    monkeypatch.setenv("JWKS_URI", "http://127.0.0.1.example.com/jwks")
    with pytest.raises(ValueError, match="JWKS_URI must be an https URL"):
        whoami._jwks()


def test_committed_zip_is_current_and_reproducible(tmp_path: Path) -> None:
    # GIVEN the source as it is WHEN the zip is built (into a copy of the directory)
    copy = tmp_path / "whoami"
    copy.mkdir()
    for name in ("build.py", "whoami.py"):
        (copy / name).write_bytes((WHOAMI_DIR / name).read_bytes())
    subprocess.run([sys.executable, str(copy / "build.py")], check=True, timeout=60)
    # THEN it is the committed zip, and holds the function only
    assert (copy / "whoami.zip").read_bytes() == WHOAMI_ZIP.read_bytes(), (
        "run `python3 examples/complete/whoami/build.py` and commit the zip"
    )
    with zipfile.ZipFile(WHOAMI_ZIP) as archive:
        assert archive.namelist() == ["whoami.py"]
