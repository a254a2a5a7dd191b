"""jws.py against ``cryptography`` over generated keys, messages and signatures: what
``cryptography`` signs verifies, any change to a signed token is refused, and on arbitrary
signatures the two verifiers agree. Bounded so the module runs in well under a minute."""

from __future__ import annotations

import functools
import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phantom_token import jws
from phantom_token.errors import JwsError, SignatureError
from tests.support.jws_signing import P256_ORDER, PSS_SHA256, make_jws, public_jwk, resign
from tests.support.jwts import b64url, b64url_decode

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(SETTINGS, max_examples=60)
ALL = ("RS256", "PS256", "ES256")
PAYLOADS = st.binary(max_size=300)


@functools.cache
def rsa_private(bits: int, index: int) -> rsa.RSAPrivateKey:
    """A few keys per size, generated once per run: RSA key generation dominates otherwise."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


RSA_KEYS = st.builds(rsa_private, st.sampled_from([2048, 3072]), st.integers(0, 2))
# Any P-256 private scalar: keys are cheap, so each example may have its own.
EC_KEYS = st.integers(1, P256_ORDER - 1).map(lambda d: ec.derive_private_key(d, ec.SECP256R1()))


def public(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> jws.PublicKey:
    return jws.load_jwk(public_jwk(private))


@SETTINGS
@given(private=RSA_KEYS, alg=st.sampled_from(["RS256", "PS256"]), payload=PAYLOADS)
def test_rsa_tokens_cryptography_signs_verify(
    private: rsa.RSAPrivateKey, alg: str, payload: bytes
) -> None:
    assert jws.verify(make_jws(private, alg, payload), public(private), {alg}).payload == payload


@SETTINGS
@given(private=EC_KEYS, payload=PAYLOADS)
def test_es256_tokens_cryptography_signs_verify_with_low_and_high_s(
    private: ec.EllipticCurvePrivateKey, payload: bytes
) -> None:
    token = make_jws(private, "ES256", payload)
    key = public(private)
    signature = b64url_decode(token.split(".")[2])
    twin = signature[:32] + (P256_ORDER - int.from_bytes(signature[32:])).to_bytes(32)
    assert jws.verify(token, key, {"ES256"}).payload == payload
    assert jws.verify(resign(token, twin), key, {"ES256"}).payload == payload


@SETTINGS
@given(
    data=st.data(),
    alg=st.sampled_from(ALL),
    payload=PAYLOADS,
    part=st.sampled_from([0, 1, 2]),
    bit=st.integers(0, 10_000),
)
def test_any_one_bit_change_is_refused(
    data: st.DataObject, alg: str, payload: bytes, part: int, bit: int
) -> None:
    private = data.draw(EC_KEYS if alg == "ES256" else RSA_KEYS)
    token = make_jws(private, alg, payload)
    parts = token.split(".")
    raw = bytearray(b64url_decode(parts[part]))
    if not raw:  # an empty payload has no bit to flip: add an octet instead
        raw.append(bit % 256)
    else:
        raw[bit // 8 % len(raw)] ^= 1 << (bit % 8)
    parts[part] = b64url(bytes(raw))
    with pytest.raises(JwsError):
        jws.verify(".".join(parts), public(private), ALL)


@SETTINGS
@given(
    private=EC_KEYS, message=PAYLOADS, r=st.integers(0, 2**256 - 1), s=st.integers(0, 2**256 - 1)
)
def test_es256_agrees_with_cryptography_on_arbitrary_signatures(
    private: ec.EllipticCurvePrivateKey, message: bytes, r: int, s: int
) -> None:
    # Random (r, s) almost never verify; both verifiers must say so, and on r or s out of range
    # cryptography's DER form cannot even hold them, so those are ours alone to refuse.
    ours = jws._es256_valid(public(private), message, r.to_bytes(32) + s.to_bytes(32))
    if 0 < r < P256_ORDER and 0 < s < P256_ORDER:
        try:
            private.public_key().verify(
                utils.encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256())
            )
            theirs = True
        except InvalidSignature:
            theirs = False
        assert ours == theirs
    else:
        assert not ours


@FEW
@given(
    private=EC_KEYS,
    message=PAYLOADS,
    k=st.integers(1, P256_ORDER - 1),
    adjust=st.sampled_from([1, -1, 2**128, P256_ORDER - 1]),
)
def test_es256_signatures_with_a_chosen_nonce_verify_and_their_neighbours_do_not(
    private: ec.EllipticCurvePrivateKey, message: bytes, k: int, adjust: int
) -> None:
    # Signatures built by hand (SEC 1 4.1.3) from any nonce k, extreme ones included, check
    # the scalar paths u1 and u2 take over the whole range; s and r nudged never verify.
    d = private.private_numbers().private_value
    point = ec.derive_private_key(k, ec.SECP256R1()).public_key().public_numbers()
    r = point.x % P256_ORDER
    e = int.from_bytes(hashlib.sha256(message).digest())
    s = pow(k, -1, P256_ORDER) * (e + r * d) % P256_ORDER
    key = public(private)
    if r and s:
        assert jws._es256_valid(key, message, r.to_bytes(32) + s.to_bytes(32))
        bad_s = (s + adjust) % P256_ORDER or 1
        assert not jws._es256_valid(key, message, r.to_bytes(32) + bad_s.to_bytes(32))


@SETTINGS
@given(
    private=RSA_KEYS, alg=st.sampled_from(["RS256", "PS256"]), message=PAYLOADS, s=st.integers(0)
)
def test_rsa_agrees_with_cryptography_on_arbitrary_signatures(
    private: rsa.RSAPrivateKey, alg: str, message: bytes, s: int
) -> None:
    public_key = private.public_key()
    size = public_key.key_size // 8
    signature = (s % 2 ** (8 * size)).to_bytes(size)
    check = jws._rs256_valid if alg == "RS256" else jws._ps256_valid
    pad = padding.PKCS1v15() if alg == "RS256" else PSS_SHA256
    ours = check(public(private), message, signature)  # type: ignore[arg-type]
    try:
        public_key.verify(signature, message, pad, hashes.SHA256())
        theirs = True
    except (InvalidSignature, ValueError):
        theirs = False
    assert ours == theirs


@SETTINGS
@given(token=st.text(alphabet="AQab_-.={}\"'0 +/", max_size=200) | st.text(max_size=100))
def test_parse_raises_only_jws_error(token: str) -> None:
    try:
        jws.parse_jws(token)
    except JwsError:
        pass


@FEW
@given(
    header=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=4),
    alg=st.text(max_size=10),
)
def test_verify_with_any_header_raises_only_jws_errors(header: dict[str, object], alg: str) -> None:
    private = rsa_private(2048, 0)
    token = make_jws(private, "RS256", header={**header, "alg": alg})
    try:
        jws.verify(token, public(private), ALL)
    except SignatureError:
        assert alg in ALL and "crit" not in header
    except JwsError:
        pass
