"""jws.py: parsing, JWK keys, thumbprints and RS256 / PS256 / ES256 verification, checked
against published vectors and against ``cryptography``; every refusal names its reason."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from phantom_token import jws
from phantom_token.errors import AlgorithmError, JwkError, JwsError, SignatureError
from tests.support.jws_signing import (
    P256_ORDER,
    encode_segment,
    make_jws,
    public_jwk,
    resign,
    rsa_key_of_odd_length,
    sign,
)
from tests.support.jwts import b64url, b64url_decode

LAMBDA_DIR = Path(__file__).resolve().parents[2] / "lambda"
P256_PRIME = 2**256 - 2**224 + 2**192 + 2**96 - 1
ALL = ("RS256", "PS256", "ES256")

# RFC 7515 (JSON Web Signature), Appendix A.2 "Example JWS Using RSASSA-PKCS1-v1_5 SHA-256":
# the public members of the JWK of A.2.1 and the JWS of A.2.1's last figure, as printed.
RFC7515_A2_JWK = {
    "kty": "RSA",
    "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
    "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
    "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
    "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
    "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
    "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
    "e": "AQAB",
}
RFC7515_PAYLOAD = (
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
)
RFC7515_A2_JWS = (
    "eyJhbGciOiJSUzI1NiJ9."
    + RFC7515_PAYLOAD
    + ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
    "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
    "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
    "p0igcN_IoypGlUPQGe77Rw"
)
# RFC 7515 Appendix A.3 "Example JWS Using ECDSA P-256 SHA-256": the JWK of A.3.1 without its
# private member d, and the JWS of A.3.1 (ECDSA signatures are randomised: A.3 prints one).
RFC7515_A3_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
RFC7515_A3_JWS = (
    "eyJhbGciOiJFUzI1NiJ9."
    + RFC7515_PAYLOAD
    + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
    "pmWQxfKTUJqPP3-Kg6NU1Q"
)
# RFC 7638 (JWK Thumbprint) 3.1: the RSA key and its SHA-256 thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
    "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2"
    "QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6"
    "WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
# RFC 9449 (DPoP): the example proof of the token request (decoded in 4.1, sent in 5), its key
# in its header; 6.1 gives that key's jkt. The signature verifying confirms the copy.
RFC9449_PROOF = (
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0Vj"
    "NoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5"
    "VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVC"
    "IsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8l"
    "P4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
)
RFC9449_JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_for(private: Any) -> jws.PublicKey:
    return jws.load_jwk(public_jwk(private))


def flip_bit(token: str, part: int, bit: int) -> str:
    """The token with one bit of one decoded part (0 header, 1 payload, 2 signature) flipped."""
    parts = token.split(".")
    raw = bytearray(b64url_decode(parts[part]))
    raw[bit // 8 % len(raw)] ^= 1 << (bit % 8)
    parts[part] = b64url(bytes(raw))
    return ".".join(parts)


# --- published vectors --------------------------------------------------------------------


def test_rfc7515_a2_rs256_example_verifies() -> None:
    # GIVEN the RFC's RSA key and RS256 JWS
    key = jws.load_jwk(RFC7515_A2_JWK)
    # WHEN it is verified with RS256 allowed
    verified = jws.verify(RFC7515_A2_JWS, key, {"RS256"})
    # THEN it verifies, and its payload is the RFC's claims
    assert verified.alg == "RS256"
    assert jws.claims(verified) == {
        "iss": "joe",
        "exp": 1300819380,
        "http://example.com/is_root": True,
    }


def test_rfc7515_a3_es256_example_verifies() -> None:
    key = jws.load_jwk(RFC7515_A3_JWK)
    assert jws.verify(RFC7515_A3_JWS, key, {"ES256"}).alg == "ES256"


@pytest.mark.parametrize(
    ("token", "jwk"), [(RFC7515_A2_JWS, RFC7515_A2_JWK), (RFC7515_A3_JWS, RFC7515_A3_JWK)]
)
@pytest.mark.parametrize("part", [0, 1, 2])
def test_rfc7515_examples_with_one_bit_flipped_are_refused(
    token: str, jwk: dict[str, str], part: int
) -> None:
    key = jws.load_jwk(jwk)
    for bit in (0, 7, 100, 333):
        with pytest.raises(JwsError):
            jws.verify(flip_bit(token, part, bit), key, ALL)


def test_rfc9449_example_proof_verifies_with_its_header_key_and_thumbprint() -> None:
    # GIVEN the RFC's DPoP proof, which carries its public key in its header
    parsed = jws.parse_jws(RFC9449_PROOF)
    key = jws.load_jwk(parsed.header["jwk"])
    # WHEN it is verified with that key
    jws.verify(parsed, key, {"ES256"})
    # THEN the key's thumbprint is the jkt the RFC gives
    assert jws.jwk_thumbprint(key) == RFC9449_JKT
    assert jws.claims(parsed)["htu"] == "https://server.example.com/token"


def test_rfc7638_thumbprint_ignores_optional_members() -> None:
    assert jws.jwk_thumbprint(jws.load_jwk(RFC7638_JWK)) == RFC7638_THUMBPRINT


def test_ec_thumbprint_is_the_sha256_of_the_required_members_in_order(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    jwk = public_jwk(ec_key)
    canonical = '{"crv":"P-256","kty":"EC","x":"' + jwk["x"] + '","y":"' + jwk["y"] + '"}'
    expected = b64url(hashlib.sha256(canonical.encode()).digest())
    assert jws.jwk_thumbprint(jws.load_jwk({**jwk, "kid": "k1", "use": "sig"})) == expected


# --- against cryptography -----------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "PS256"])
@pytest.mark.parametrize("bits", [2048, 2049, 2050, 3072, 3073, 4096])
def test_rsa_signatures_of_cryptography_verify_at_every_modulus_alignment(
    alg: str, bits: int
) -> None:
    # GIVEN moduli of 8m, 8m + 1 (the PSS encoded message is then one octet shorter than the
    # modulus) and 8m + 2 bits (seven spare bits in its first octet)
    if bits % 2:
        private = rsa_key_of_odd_length(bits)
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    key = key_for(private)
    for payload in (b"", b"x", b'{"sub":"alice"}' * 40):
        token = make_jws(private, alg, payload)
        assert jws.verify(token, key, {alg}).payload == payload
        with pytest.raises(SignatureError):
            jws.verify(flip_bit(token, 2, 5), key, {alg})


def test_es256_high_s_signature_is_valid_too(ec_key: ec.EllipticCurvePrivateKey) -> None:
    # GIVEN a signature (r, s) and its twin (r, n - s): exactly one of the two is low-S
    token = make_jws(ec_key, "ES256")
    signature = b64url_decode(token.split(".")[2])
    r, s = signature[:32], int.from_bytes(signature[32:])
    twin = resign(token, r + (P256_ORDER - s).to_bytes(32))
    # THEN both verify: JOSE (RFC 7518 3.4) does not require low S
    key = key_for(ec_key)
    jws.verify(token, key, {"ES256"})
    jws.verify(twin, key, {"ES256"})
    assert min(s, P256_ORDER - s) <= P256_ORDER // 2 < max(s, P256_ORDER - s)


def test_ps256_with_another_salt_length_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    # RFC 7518 3.5: the salt is as long as the hash; cryptography's MAX_LENGTH salt is not
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import padding  # noqa: PLC0415

    key = key_for(rsa_key)
    token = make_jws(rsa_key, "PS256")
    for salt in (0, 20, padding.PSS.MAX_LENGTH):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)
        other = rsa_key.sign(token.rsplit(".", 1)[0].encode(), pss, hashes.SHA256())
        with pytest.raises(SignatureError):
            jws.verify(resign(token, other), key, {"PS256"})


@pytest.mark.parametrize(("signed", "claimed"), [("RS256", "PS256"), ("PS256", "RS256")])
def test_an_rsa_signature_does_not_verify_as_the_other_rsa_alg(
    rsa_key: rsa.RSAPrivateKey, signed: str, claimed: str
) -> None:
    token = make_jws(rsa_key, signed, header={"alg": claimed})
    with pytest.raises(SignatureError):
        jws.verify(token, key_for(rsa_key), ALL)


# --- ES256 signatures that are not r || s with 1 <= r, s < n ---------------------------------


@pytest.mark.parametrize(
    ("r", "s"),
    [
        (0, 1),
        (1, 0),
        (0, 0),
        (P256_ORDER, 1),
        (1, P256_ORDER),
        (P256_ORDER + 1, 1),
        (2**256 - 1, 2**256 - 1),
    ],
)
def test_es256_r_or_s_out_of_range_is_refused(
    ec_key: ec.EllipticCurvePrivateKey, r: int, s: int
) -> None:
    token = resign(make_jws(ec_key, "ES256"), r.to_bytes(32) + s.to_bytes(32))
    with pytest.raises(SignatureError):
        jws.verify(token, key_for(ec_key), {"ES256"})


def test_es256_r_and_s_plus_n_are_refused(ec_key: ec.EllipticCurvePrivateKey) -> None:
    # r + n still names the same x mod n, s + n the same s: only the reduced values are valid
    token = make_jws(ec_key, "ES256")
    signature = b64url_decode(token.split(".")[2])
    r, s = int.from_bytes(signature[:32]), int.from_bytes(signature[32:])
    key = key_for(ec_key)
    for bad_r, bad_s in ((r + P256_ORDER, s), (r, s + P256_ORDER)):
        if bad_r < 2**256 and bad_s < 2**256:
            with pytest.raises(SignatureError):
                jws.verify(resign(token, bad_r.to_bytes(32) + bad_s.to_bytes(32)), key, {"ES256"})


def test_es256_signature_of_the_wrong_length_or_in_der_is_refused(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415

    token = make_jws(ec_key, "ES256")
    signature = b64url_decode(token.split(".")[2])
    der = ec_key.sign(token.rsplit(".", 1)[0].encode(), ec.ECDSA(hashes.SHA256()))
    key = key_for(ec_key)
    # r || 0x00 || s is s written in 33 octets: the same integers, but not the JOSE encoding
    padded_s = signature[:32] + b"\x00" + signature[32:]
    for bad in (signature[:63], signature + b"\x00", b"\x00" + signature, padded_s, der, b""):
        with pytest.raises(SignatureError):
            jws.verify(resign(token, bad), key, {"ES256"})


# --- RSA signatures that are not an integer below n of the modulus's length -------------------


def test_rsa_signature_not_below_the_modulus_or_of_another_length_is_refused() -> None:
    # A 2050-bit modulus in 257 octets: s + n still fits, and pow(s + n, e, n) is pow(s, e, n)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2050)
    n = private.public_key().public_numbers().n
    key = key_for(private)
    for alg in ("RS256", "PS256"):
        token = make_jws(private, alg)
        signature = b64url_decode(token.split(".")[2])
        s = int.from_bytes(signature)
        for bad in (
            n.to_bytes(257),
            (s + n).to_bytes(257),
            (2**2056 - 1).to_bytes(257),
            signature[1:],
            b"\x00" + signature,
            b"",
        ):
            with pytest.raises(SignatureError):
                jws.verify(resign(token, bad), key, {alg})
        jws.verify(token, key, {alg})


# --- algorithms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alg",
    [
        "none",
        "None",
        "NONE",
        " none",
        "none ",
        "rs256",
        "RS256 ",
        "ES256\u200b",
        "HS256",
        "RS384",
        "EdDSA",
    ],
)
def test_an_alg_not_on_the_allow_list_exactly_is_refused(
    rsa_key: rsa.RSAPrivateKey, alg: str
) -> None:
    token = make_jws(rsa_key, "RS256", header={"alg": alg})
    with pytest.raises(AlgorithmError):
        jws.verify(token, key_for(rsa_key), ALL)


def test_an_alg_on_the_list_but_not_allowed_by_this_caller_is_refused(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    token = make_jws(rsa_key, "PS256")
    jws.verify(token, key_for(rsa_key), {"PS256"})
    with pytest.raises(AlgorithmError):
        jws.verify(token, key_for(rsa_key), {"RS256", "ES256"})
    with pytest.raises(AlgorithmError):
        jws.verify(token, key_for(rsa_key), ())


@pytest.mark.parametrize("allowed", [{"RS256", "none"}, {"HS256"}, {"RS256", "HS256"}, {"rs256"}])
def test_an_allow_list_naming_none_hmac_or_an_unknown_alg_is_refused(
    rsa_key: rsa.RSAPrivateKey, allowed: set[str]
) -> None:
    # Even for a token that would verify: the caller's list is wrong, whatever the token
    with pytest.raises(AlgorithmError, match="never accepted"):
        jws.verify(make_jws(rsa_key, "RS256"), key_for(rsa_key), allowed)


def test_hs256_keyed_with_the_rsa_public_key_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    # GIVEN the classic confusion: an HMAC over the token keyed with the public modulus
    jwk = public_jwk(rsa_key)
    signing_input = f"{encode_segment({'alg': 'HS256'})}.{encode_segment({'sub': 'mallory'})}"
    for secret in (b64url_decode(jwk["n"]), jwk["n"].encode(), json.dumps(jwk).encode()):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{b64url(mac)}"
        # THEN it is refused, with RS256 allowed and with HS256 slipped into the list
        with pytest.raises(AlgorithmError):
            jws.verify(token, key_for(rsa_key), {"RS256"})
        with pytest.raises(AlgorithmError):
            jws.verify(token, key_for(rsa_key), {"RS256", "HS256"})


def test_unsigned_tokens_are_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    for alg in ("none", "None", " none"):
        token = f"{encode_segment({'alg': alg})}.{encode_segment({'sub': 'mallory'})}."
        with pytest.raises(AlgorithmError):
            jws.verify(token, key_for(rsa_key), ALL)


def test_the_key_type_must_fit_the_alg(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    # An RS256 or PS256 token against an EC key, an ES256 token against an RSA key
    for alg in ("RS256", "PS256"):
        with pytest.raises(AlgorithmError, match="RSA key"):
            jws.verify(make_jws(rsa_key, alg), key_for(ec_key), ALL)
    with pytest.raises(AlgorithmError, match="EC P-256 key"):
        jws.verify(make_jws(ec_key, "ES256"), key_for(rsa_key), ALL)


def test_a_jwk_alg_restricts_its_key(rsa_key: rsa.RSAPrivateKey) -> None:
    key = jws.load_jwk({**public_jwk(rsa_key), "alg": "RS256"})
    jws.verify(make_jws(rsa_key, "RS256"), key, ALL)
    with pytest.raises(AlgorithmError, match="alg of the key"):
        jws.verify(make_jws(rsa_key, "PS256"), key, ALL)


@pytest.mark.parametrize("crit", [["exp"], [], "b64", None])
def test_a_crit_header_is_refused(rsa_key: rsa.RSAPrivateKey, crit: object) -> None:
    token = make_jws(rsa_key, "RS256", header={"alg": "RS256", "crit": crit, "exp": 1})
    with pytest.raises(JwsError, match="crit"):
        jws.verify(token, key_for(rsa_key), {"RS256"})


# --- parsing ------------------------------------------------------------------------------


def with_header(raw: bytes) -> str:
    return f"{b64url(raw)}.e30.AA"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("a.b", "three parts"),
        ("a.b.c.d", "three parts"),
        ("", "three parts"),
        ("eyJhbGciOiJSUzI1NiJ9=.e30.AA", "base64url"),  # padding
        ("eyJhbGciOiJSUzI1NiJ9.e30=.AA", "base64url"),
        ("eyJhbGciOiJSUzI1NiJ9.e30.A+/A", "base64url"),  # the standard alphabet
        ("eyJhbGciOiJSUzI1NiJ9.e30.A A", "base64url"),
        ("eyJhbGciOiJSUzI1NiJ9.e30.AAAAA", "base64url"),  # a length no encoding has
        ("eyJhbGciOiJSUzI1NiJ9.e30.AB", "canonical"),  # AA and AB both decode to one zero octet
        ("eyJhbGciOiJSUzI1NiJ9.e31.AA", "canonical"),
        (".e30.AA", "JSON"),
        (with_header(b"[1]"), "JSON object"),
        (with_header(b"{}"), "alg"),
        (with_header(b'{"alg":1}'), "alg"),
        (with_header(b'{"alg":null}'), "alg"),
        (with_header(b'{"alg":"RS256","alg":"none"}'), "repeated"),
        (with_header(b'{"alg":"RS256","jwk":{"x":1,"x":2}}'), "repeated"),
        (with_header(b'{"alg":"RS256","n":NaN}'), "NaN"),
        (with_header(b'{"alg":"RS256","n":-Infinity}'), "Infinity"),
        (with_header(b'{"alg":"RS256"}\xff'), "UTF-8"),
        (with_header(b'\xef\xbb\xbf{"alg":"RS256"}'), "JSON"),  # a byte order mark
        (with_header(b"[" * 100_000), "JSON"),
    ],
)
def test_malformed_compact_jws_is_refused(token: str, reason: str) -> None:
    with pytest.raises(JwsError, match=reason):
        jws.parse_jws(token)


def test_parse_keeps_the_exact_signing_input_and_an_empty_payload() -> None:
    token = b64url(b'{"alg":"ES256","typ":"dpop+jwt"}') + ".." + b64url(b"sig")
    parsed = jws.parse_jws(token)
    assert parsed.header == {"alg": "ES256", "typ": "dpop+jwt"}
    assert parsed.payload == b""
    assert parsed.signing_input == token.rsplit(".", 1)[0].encode()
    assert parsed.signature == b"sig"


def test_claims_must_be_a_json_object_with_unique_names(rsa_key: rsa.RSAPrivateKey) -> None:
    for payload in (b"[]", b'{"sub":"a","sub":"b"}', b"\xff", b""):
        with pytest.raises(JwsError, match="JWS payload"):
            jws.claims(jws.parse_jws(make_jws(rsa_key, "RS256", payload)))


def test_errors_never_hold_the_token(rsa_key: rsa.RSAPrivateKey) -> None:
    token = make_jws(rsa_key, "RS256", header={"alg": "RS256 secret-looking"})
    with pytest.raises(JwsError) as caught:
        jws.verify(token, key_for(rsa_key), ALL)
    assert "secret-looking" not in str(caught.value)
    assert token.split(".")[0] not in str(caught.value)


# --- keys ---------------------------------------------------------------------------------


def rsa_jwk_with(n: int, e: int = 65537) -> dict[str, str]:
    return {
        "kty": "RSA",
        "n": b64url(n.to_bytes((n.bit_length() + 7) // 8)),
        "e": b64url(e.to_bytes((e.bit_length() + 7) // 8)),
    }


def ec_jwk_with(x: int, y: int, size: int = 32) -> dict[str, str]:
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(x.to_bytes(size)),
        "y": b64url(y.to_bytes(size)),
    }


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "oth"])
def test_rsa_jwk_with_a_private_member_is_refused(rsa_key: rsa.RSAPrivateKey, member: str) -> None:
    with pytest.raises(JwkError, match="private"):
        jws.load_jwk({**public_jwk(rsa_key), member: "AQAB"})


def test_rsa_jwk_bounds(rsa_key: rsa.RSAPrivateKey) -> None:
    n = rsa_key.public_key().public_numbers().n
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (the key must be refused)
    cases = {
        "1024-bit modulus": rsa_jwk_with(small.public_key().public_numbers().n),
        "2047-bit modulus": rsa_jwk_with(n >> 1 | 1),
        "even modulus": rsa_jwk_with(n - 1),
        "8193-bit modulus": rsa_jwk_with(2**8192 + 1),
        "even exponent": rsa_jwk_with(n, 65536),
        "exponent 1": rsa_jwk_with(n, 1),
        "exponent 2**32 + 1": rsa_jwk_with(n, 2**32 + 1),
        "n with a leading zero octet": {**rsa_jwk_with(n), "n": b64url(b"\x00" + n.to_bytes(256))},
        "e with a leading zero octet": {**rsa_jwk_with(n), "e": b64url(b"\x00\x01\x00\x01")},
        "n not base64url": {**rsa_jwk_with(n), "n": "AQAB=="},
        "n not a string": {**rsa_jwk_with(n), "n": 12345},
        "e empty": {**rsa_jwk_with(n), "e": ""},
        "e missing": {"kty": "RSA", "n": rsa_jwk_with(n)["n"]},
    }
    for name, jwk in cases.items():
        with pytest.raises(JwkError):
            jws.load_jwk(jwk)
            pytest.fail(name)
    assert jws.load_jwk(rsa_jwk_with(n, 3)).e == 3


def test_ec_jwk_point_checks(ec_key: ec.EllipticCurvePrivateKey) -> None:
    point = ec_key.public_key().public_numbers()
    x, y = point.x, point.y
    cases = {
        "off the curve": ec_jwk_with(x, y ^ 1),
        "infinity written as (0, 0)": ec_jwk_with(0, 0),
        "x + p": ec_jwk_with(x + P256_PRIME, y)
        if x + P256_PRIME < 2**256
        else ec_jwk_with(P256_PRIME, y),
        "y + p": ec_jwk_with(x, y + P256_PRIME)
        if y + P256_PRIME < 2**256
        else ec_jwk_with(x, P256_PRIME),
        "x = p": ec_jwk_with(P256_PRIME, y),
        "x of 31 octets": {**ec_jwk_with(x, y), "x": b64url(x.to_bytes(32)[1:])},
        "y of 33 octets": ec_jwk_with(x, y, 33),
        "private d": {**ec_jwk_with(x, y), "d": b64url(b"\x01" * 32)},
        "crv P-384": {**ec_jwk_with(x, y), "crv": "P-384"},
        "crv missing": {"kty": "EC", "x": b64url(x.to_bytes(32)), "y": b64url(y.to_bytes(32))},
        "alg RS256": {**ec_jwk_with(x, y), "alg": "RS256"},
    }
    for name, jwk in cases.items():
        with pytest.raises(JwkError):
            jws.load_jwk(jwk)
            pytest.fail(name)
    # (x, p - y) is the negated point: on the curve, so accepted
    assert jws.load_jwk(ec_jwk_with(x, P256_PRIME - y)) == jws.EcPublicKey(x, P256_PRIME - y)


@pytest.mark.parametrize(
    "extra",
    [
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "OKP"},
        {"kty": "rsa"},
        {"use": "enc"},
        {"key_ops": ["sign"]},
        {"key_ops": "verify"},
        {"alg": "HS256"},
        {"alg": "none"},
    ],
)
def test_jwk_of_another_type_or_purpose_is_refused(
    rsa_key: rsa.RSAPrivateKey, extra: dict[str, object]
) -> None:
    with pytest.raises(JwkError):
        jws.load_jwk({**public_jwk(rsa_key), **extra})


def test_jwk_use_sig_and_key_ops_verify_are_accepted(ec_key: ec.EllipticCurvePrivateKey) -> None:
    key = jws.load_jwk({**public_jwk(ec_key), "use": "sig", "key_ops": ["verify"], "alg": "ES256"})
    assert key.alg == "ES256"


# --- cost ---------------------------------------------------------------------------------


def test_import_builds_no_table_and_loads_no_typing() -> None:
    # The base-point table is built on the first ES256 verification, never at import
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(LAMBDA_DIR)!r})\n"
        "from phantom_token import jws\n"
        "assert not jws._base_table\n"
        "print('typing' in sys.modules, 'dataclasses' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_the_base_table_is_built_once(ec_key: ec.EllipticCurvePrivateKey) -> None:
    key = key_for(ec_key)
    jws.verify(make_jws(ec_key, "ES256"), key, {"ES256"})
    table = jws._g_table()
    jws.verify(make_jws(ec_key, "ES256", b"again"), key, {"ES256"})
    assert jws._g_table() is table
    assert sum(len(row) for row in table) == 43 * 63


def test_sign_helper_round_trip(ec_key: ec.EllipticCurvePrivateKey) -> None:
    # The reference signer itself: cryptography's ES256 over the same input verifies with ours
    message = b"header.payload"
    key = key_for(ec_key)
    assert isinstance(key, jws.EcPublicKey)
    assert jws._es256_valid(key, message, sign(ec_key, "ES256", message))


# --- the exceptional cases of point addition ------------------------------------------------


def multiple_of_g(k: int) -> tuple[int, int]:
    """k * G, affine, by cryptography."""
    point = ec.derive_private_key(k, ec.SECP256R1()).public_key().public_numbers()
    return point.x, point.y


def test_point_addition_handles_doubling_negation_and_infinity() -> None:
    gx, gy = multiple_of_g(1)
    # P + P is 2P, P + (-P) is infinity (Z = 0), infinity + P is P, 2 * infinity is infinity
    assert jws._to_affine([jws._add_affine(gx, gy, 1, gx, gy)]) == [multiple_of_g(2)]
    assert jws._add_affine(gx, gy, 1, gx, P256_PRIME - gy)[2] == 0
    assert jws._add_affine(1, 1, 0, gx, gy) == (gx, gy, 1)
    assert jws._to_affine([jws._double(gx, gy, 1)]) == [multiple_of_g(2)]
    assert jws._double(1, 1, 0)[2] == 0
    assert jws._multiples(gx, gy, 7) == [multiple_of_g(k) for k in range(1, 8)]


def test_es256_refuses_a_signature_whose_point_is_infinity() -> None:
    # GIVEN the key Q = G (private key 1) and r = -e mod n: u1*G + u2*Q = (e + r)/s * G is
    # the point at infinity, which no signature may name
    gx, gy = multiple_of_g(1)
    key = jws.EcPublicKey(gx, gy)
    message = b"header.payload"
    e = int.from_bytes(hashlib.sha256(message).digest())
    r = -e % P256_ORDER
    for s in (1, 2, P256_ORDER - 1, 12345):
        assert not jws._es256_valid(key, message, r.to_bytes(32) + s.to_bytes(32))


# --- encoded messages built by hand: each RFC 8017 check on its own ----------------------------

DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def raw_rsa_sign(private: rsa.RSAPrivateKey, encoded: bytes) -> bytes:
    """RSASP1 of an encoded message built by the test, so that each check can be broken alone."""
    numbers = private.private_numbers()
    n = numbers.public_numbers.n
    m = int.from_bytes(encoded)
    assert m < n
    return pow(m, numbers.d, n).to_bytes((n.bit_length() + 7) // 8)


def pkcs1_encoded(message: bytes, k: int, **change: bytes) -> bytes:
    t = change.get("digest_info", DIGEST_INFO) + hashlib.sha256(message).digest()
    t += change.get("trailing", b"")
    ps = change.get("ps", b"\xff" * (k - len(t) - 3))
    return change.get("head", b"\x00\x01") + ps + change.get("separator", b"\x00") + t


def test_rs256_compares_every_octet_of_the_encoded_message(rsa_key: rsa.RSAPrivateKey) -> None:
    key = key_for(rsa_key)
    assert isinstance(key, jws.RsaPublicKey)
    message = b"header.payload"
    k = 256
    # GIVEN the encoding RFC 8017 9.2 defines, signed with the raw private key: it verifies
    assert jws._rs256_valid(key, message, raw_rsa_sign(rsa_key, pkcs1_encoded(message, k)))
    # THEN each departure from it is refused: block type 2, a padding octet that is not 0xff,
    # a missing separator, the DigestInfo without its NULL parameters, garbage after the
    # digest (the 2006 forgery against parsers that stop reading there)
    no_null = bytes.fromhex("302f300b0609608648016503040201") + b"\x04\x20"
    wrong = [
        pkcs1_encoded(message, k, head=b"\x00\x02"),
        pkcs1_encoded(message, k, ps=b"\xff" * 100 + b"\xfe" + b"\xff" * 101),
        pkcs1_encoded(message, k, separator=b"\xff"),
        pkcs1_encoded(message, k, digest_info=no_null, ps=b"\xff" * (k - 32 - 17 - 3)),
        pkcs1_encoded(message, k, ps=b"\xff" * 8, trailing=bytes(194)),
        pkcs1_encoded(message + b"!", k),
    ]
    for encoded in wrong:
        assert len(encoded) == k
        assert not jws._rs256_valid(key, message, raw_rsa_sign(rsa_key, encoded))


def mgf1(seed: bytes, length: int) -> bytes:
    out = b"".join(hashlib.sha256(seed + i.to_bytes(4)).digest() for i in range(length // 32 + 1))
    return out[:length]


def pss_encoded(message: bytes, em_bits: int, salt: bytes = b"s" * 32, **change: Any) -> bytes:
    """EMSA-PSS-ENCODE (RFC 8017 9.1.1), with one step changed on request."""
    em_len = (em_bits + 7) // 8
    m_hash = hashlib.sha256(message).digest()
    h = hashlib.sha256(bytes(8) + m_hash + salt).digest()
    ps = change.get("ps", bytes(em_len - len(salt) - 32 - 2))
    db = ps + change.get("separator", b"\x01") + salt
    masked = bytearray(a ^ b for a, b in zip(db, mgf1(h, len(db)), strict=True))
    spare = 8 * em_len - em_bits
    masked[0] &= 0xFF >> spare
    masked[0] |= change.get("leftmost", 0)
    return bytes(masked) + h + change.get("trailer", b"\xbc")


def test_ps256_checks_each_step_of_emsa_pss_verify() -> None:
    # A 2049-bit modulus: emBits = 2048 is a whole number of octets, emLen = k - 1.
    # 2048 and 2050 bits: one and seven spare bits in EM's first octet, which must be zero
    for bits in (2048, 2049, 2050):
        if bits % 2:
            private = rsa_key_of_odd_length(bits)
        else:
            private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        key = key_for(private)
        assert isinstance(key, jws.RsaPublicKey)
        k, em_bits = (bits + 7) // 8, bits - 1
        message = b"header.payload"

        def signed(encoded: bytes, k: int = k, private: rsa.RSAPrivateKey = private) -> bytes:
            return raw_rsa_sign(private, encoded.rjust(k, b"\x00"))

        assert jws._ps256_valid(key, message, signed(pss_encoded(message, em_bits)))
        wrong = [
            pss_encoded(message, em_bits, trailer=b"\xbd"),  # step 4
            pss_encoded(message, em_bits, ps=b"\x01" + bytes((em_bits + 7) // 8 - 32 - 32 - 3)),
            pss_encoded(message, em_bits, separator=b"\x02"),  # step 10
            pss_encoded(message, em_bits, salt=b"s" * 20),  # a 20-octet salt, as SHA-1 PSS has
            pss_encoded(message + b"!", em_bits),  # step 14
        ]
        if bits == 2049:  # RSAVP1 gives m >= 2**2048: it does not fit emLen = 256 octets
            wrong.append(b"\x01" + bytes(256))
        spare = 8 * ((em_bits + 7) // 8) - em_bits
        if spare:  # step 6: the lowest spare bit set, with a salt for which EM stays below n
            n = private.public_key().public_numbers().n
            set_bit = [
                pss_encoded(message, em_bits, salt=bytes([i]) * 32, leftmost=1 << (8 - spare))
                for i in range(64)
            ]
            wrong.append(next(e for e in set_bit if int.from_bytes(e) < n))
        for encoded in wrong:
            assert not jws._ps256_valid(key, message, signed(encoded))


# --- coordinates that are only right modulo p or n ------------------------------------------------


def curve_y(x: int) -> int | None:
    """A y with (x, y) on P-256, or None (p = 3 mod 4: a square root is a power)."""
    rhs = (x**3 - 3 * x + jws._B) % P256_PRIME
    y = pow(rhs, (P256_PRIME + 1) // 4, P256_PRIME)
    return y if y * y % P256_PRIME == rhs else None


def scalar_multiple(k: int, point: tuple[int, int]) -> tuple[int, int]:
    """k * point by plain double-and-add, independent of the verifier's windows."""
    acc = (1, 1, 0)
    for bit in bin(k)[2:]:
        acc = jws._double(*acc)
        if bit == "1":
            acc = jws._add_affine(*acc, *point)
    return jws._to_affine([acc])[0]


def test_jwk_coordinates_at_or_above_p_are_refused_even_when_congruent() -> None:
    # GIVEN a point with a small x: x + p still fits in 32 octets and names the same point mod p
    x = next(x for x in range(1, 100) if curve_y(x) is not None)
    y = curve_y(x)
    assert y is not None
    assert jws.load_jwk(ec_jwk_with(x, y)) == jws.EcPublicKey(x, y)
    with pytest.raises(JwkError, match="not on P-256"):
        jws.load_jwk(ec_jwk_with(x + P256_PRIME, y))


def test_es256_accepts_r_equal_to_x_minus_n_when_x_is_at_least_n() -> None:
    # ECDSA's r is R's x mod n, and p > n: an x in [n, p) gives r = x - n. Random nonces hit
    # this once in 2**128 signatures; here R is chosen first and the key solved for it:
    # Q = (R - u1*G) / u2, so that u1*G + u2*Q = R.
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import utils  # noqa: PLC0415

    big_x = next(x for x in range(P256_ORDER, P256_ORDER + 100) if curve_y(x) is not None)
    big_y = curve_y(big_x)
    assert big_y is not None
    r, s = big_x - P256_ORDER, 0x1234567
    message = b"header.payload"
    e = int.from_bytes(hashlib.sha256(message).digest())
    w = pow(s, -1, P256_ORDER)
    u1, u2 = e * w % P256_ORDER, r * w % P256_ORDER
    minus_u1_g = multiple_of_g(P256_ORDER - u1)
    r_minus = jws._to_affine([jws._add_affine(big_x, big_y, 1, *minus_u1_g)])[0]
    qx, qy = scalar_multiple(pow(u2, -1, P256_ORDER), r_minus)
    key = jws.EcPublicKey(qx, qy)
    signature = r.to_bytes(32) + s.to_bytes(32)
    # THEN ours accepts it, as cryptography does (with and without the key's table), and
    # refuses r + 1
    for _ in range(3):
        assert jws._es256_valid(key, message, signature)
    reference = ec.EllipticCurvePublicNumbers(qx, qy, ec.SECP256R1()).public_key()
    reference.verify(utils.encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
    assert not jws._es256_valid(key, message, (r + 1).to_bytes(32) + s.to_bytes(32))


# --- the tables of keys verified more than once ----------------------------------------------


def test_es256_verifies_alike_before_and_after_its_key_has_a_table(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    jws._key_tables.clear()
    jws._keys_seen_once.clear()
    key = key_for(ec_key)
    point = (key.x, key.y)
    tokens = [make_jws(ec_key, "ES256", bytes([i])) for i in range(3)]
    # WHEN the key verifies for the first time: no table, the key is remembered
    jws.verify(tokens[0], key, {"ES256"})
    assert point in jws._keys_seen_once
    assert point not in jws._key_tables
    # WHEN a second time (a refusal counts): its table is built and used from then on
    with pytest.raises(SignatureError):
        jws.verify(flip_bit(tokens[1], 2, 9), key, {"ES256"})
    table = jws._key_tables[point]
    assert point not in jws._keys_seen_once
    for token in tokens:
        jws.verify(token, key, {"ES256"})
        with pytest.raises(SignatureError):
            jws.verify(flip_bit(token, 2, 300), key, {"ES256"})
        with pytest.raises(SignatureError):
            jws.verify(flip_bit(token, 1, 0), key, {"ES256"})
    assert jws._key_tables[point] is table
    assert sum(len(row) for row in table) == 52 * 31


def test_key_tables_and_keys_seen_once_are_bounded() -> None:
    jws._key_tables.clear()
    jws._keys_seen_once.clear()
    keys = [key_for(ec.generate_private_key(ec.SECP256R1())) for _ in range(300)]
    assert all(isinstance(key, jws.EcPublicKey) for key in keys)
    # GIVEN 300 keys seen once (a stream of fresh DPoP keys): no table, 256 remembered
    for key in keys:
        assert jws._key_table(key) is None
    assert len(jws._keys_seen_once) == 256
    assert not jws._key_tables
    # WHEN the last 20 are seen again: 16 tables, the least recently used dropped first
    for key in keys[-20:]:
        assert jws._key_table(key) is not None
    assert list(jws._key_tables) == [(k.x, k.y) for k in keys[-16:]]
    # AND a use moves a key to the most recent end
    first_kept = keys[-16]
    jws._key_table(first_kept)
    assert next(reversed(jws._key_tables)) == (first_kept.x, first_kept.y)
