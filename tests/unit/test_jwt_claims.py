"""The JWS header's ``alg``: ``none`` in any spelling is refused, and so is no algorithm name."""

from __future__ import annotations

import json

import pytest

from phantom_token.errors import IntrospectionError
from phantom_token.jwt_claims import is_signed_alg, jws_claims
from tests.support.jwts import b64url

PAYLOAD = {"sub": "alice", "active": True}


def token_with_alg(alg: object) -> str:
    header = json.dumps({"alg": alg, "typ": "JWT"}).encode()
    return f"{b64url(header)}.{b64url(json.dumps(PAYLOAD).encode())}.c2ln"


@pytest.mark.parametrize(
    "alg",
    [
        "none",
        "NONE",
        "None",
        "nOnE",
        " none",  # the spelling that got through a lower() == "none" check
        "none ",
        "\tnone",
        "none\n",
        "\u00a0none",  # no-break space
        "none\u200b",  # zero-width space
        "\uff4e\uff4f\uff4e\uff45",  # full-width "none"
        "n\u200bone",
        "",
        "HS256 ",
        "RS256\n",
        "RS 256",
        "-RS256",
        "RS256-",
        "RS--256",
        "RS256;none",
        "R\u0405256",  # Cyrillic S
        "A" * 33,
        None,
        5,
        True,
        ["RS256"],
        {"name": "RS256"},
    ],
)
def test_none_in_any_spelling_and_anything_but_an_algorithm_name_is_refused(alg: object) -> None:
    # GIVEN a compact JWS whose header's alg is "none" in some spelling, or no algorithm name
    token = token_with_alg(alg)
    # WHEN its claims are read
    # THEN it is an error, never the claims
    assert not is_signed_alg(alg)
    with pytest.raises(IntrospectionError) as raised:
        jws_claims(token)
    assert str(raised.value) == "introspection response is not a signed JWS"


@pytest.mark.parametrize(
    "alg",
    ["HS256", "RS256", "RS512", "ES256", "ES256K", "PS384", "EdDSA", "Ed25519", "ML-DSA-44"],
)
def test_algorithm_names_are_read(alg: str) -> None:
    # GIVEN a compact JWS signed with a registered algorithm
    # WHEN its claims are read
    # THEN they are the payload's
    assert is_signed_alg(alg)
    assert jws_claims(token_with_alg(alg)) == PAYLOAD
