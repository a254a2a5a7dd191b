"""Verify compact JWS signatures: RS256, PS256 and ES256, standard library only.

For DPoP proofs (RFC 9449), signed introspection answers (RFC 9701) and the phantom JWT.
The caller names the algorithms it accepts; ``none`` and HMAC are never accepted (no secret
is shared with the identity server; an HMAC keyed with a public key is the classic forgery).

RSA is ``pow(s, e, n)`` and a comparison of the whole encoded message (RFC 8017 8.2.2, 9.2)
or the EMSA-PSS checks (RFC 8017 9.1.2). ES256 is ECDSA over P-256 in Jacobian coordinates:
``u1*G`` from a fixed-window table of the base point, built on first use, ``u2*Q`` by 4-bit
windows, or, from a key's second verification on, from a table of that key.

High-S signatures are valid: JOSE (RFC 7518 3.4) does not require low S, and nothing here
identifies a token or proof by its signature bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from phantom_token.errors import AlgorithmError, JwkError, JwsError, SignatureError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from typing import Any, NamedTuple
else:
    from phantom_token._records import NamedTuple

SUPPORTED_ALGS = frozenset({"RS256", "PS256", "ES256"})
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_RSA_PRIVATE = ("d", "p", "q", "dp", "dq", "qi", "oth")
_RSA_MIN_BITS, _RSA_MAX_BITS = 2048, 8192
# RFC 8017 9.2 note 1: the DER DigestInfo prefix of a SHA-256 digest.
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")

# P-256 (SEC 2 2.4.2, FIPS 186-4 D.1.2.3): y^2 = x^3 - 3x + b over GF(p), prime order n.
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
_GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
_G_WINDOW = 6  # base point: 43 rows of 63 points, 43 additions per u1*G
_Q_WINDOW = 5  # a key's table: 52 rows of 31 points


class Jws(NamedTuple):
    """A compact JWS, parsed: nothing in it is trusted until ``verify`` returns it."""

    header: dict[str, Any]
    payload: bytes
    signing_input: bytes  # ASCII(BASE64URL(header) || "." || BASE64URL(payload))
    signature: bytes

    @property
    def alg(self) -> str:
        alg: str = self.header["alg"]
        return alg


class RsaPublicKey(NamedTuple):
    n: int
    e: int
    alg: str | None = None  # the JWK's "alg", when it names one


class EcPublicKey(NamedTuple):
    """A point on P-256, checked on the curve (the cofactor is 1: it is in the group)."""

    x: int
    y: int
    alg: str | None = None


PublicKey = RsaPublicKey | EcPublicKey


def b64url_decode(text: str, what: str) -> bytes:
    """Strict base64url (RFC 7515 2): the URL-safe alphabet, no padding, no stray bits."""
    if len(text) % 4 == 1 or not _B64URL.issuperset(text):
        raise JwsError(f"{what} is not base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(raw) != text:  # the unused low bits of the last character are set
        raise JwsError(f"{what} is not canonical base64url")
    return raw


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise JwsError("JSON object has a repeated member name")
    return result


def _no_constant(name: str) -> None:
    raise JwsError(f"JSON has {name}, which is not JSON")


def json_object(data: bytes, what: str) -> dict[str, Any]:
    """A UTF-8 JSON object whose objects, at every depth, have unique member names."""
    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant
        )
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise JwsError(f"{what} is not UTF-8 JSON") from None
    except JwsError as exc:  # from the two hooks
        raise JwsError(f"{what}: {exc}") from None
    if not isinstance(value, dict):
        raise JwsError(f"{what} is not a JSON object")
    return value


def parse_jws(token: str) -> Jws:
    """A compact JWS (RFC 7515 7.1) split, its header a JSON object with a string ``alg``;
    nothing verified."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwsError("JWS does not have exactly three parts")
    header_b64, payload_b64, signature_b64 = parts
    header = json_object(b64url_decode(header_b64, "JWS header"), "JWS header")
    if not isinstance(header.get("alg"), str):
        raise JwsError("JWS header has no string alg")
    return Jws(
        header,
        b64url_decode(payload_b64, "JWS payload"),
        f"{header_b64}.{payload_b64}".encode("ascii"),
        b64url_decode(signature_b64, "JWS signature"),
    )


def claims(jws: Jws) -> dict[str, Any]:
    """The payload as a JSON object with unique member names (a JWT's claims)."""
    return json_object(jws.payload, "JWS payload")


def verify(token: str | Jws, key: PublicKey, allowed_algs: Collection[str]) -> Jws:
    """The parsed JWS, once ``alg`` equals an entry of ``allowed_algs`` (each of which must be
    in ``SUPPORTED_ALGS``), fits the key's type and its signature verifies."""
    jws = parse_jws(token) if isinstance(token, str) else token
    unsupported = sorted(set(allowed_algs) - SUPPORTED_ALGS)
    if unsupported:
        raise AlgorithmError(f"allow-list names algorithms never accepted: {unsupported}")
    if "crit" in jws.header:  # RFC 7515 4.1.11: no extension is understood here
        raise JwsError("JWS header has crit: no extension is understood")
    alg = jws.alg
    if alg not in allowed_algs:
        raise AlgorithmError(f"JWS alg is not one of {sorted(allowed_algs)}")
    if key.alg is not None and key.alg != alg:
        raise AlgorithmError("JWS alg is not the alg of the key")
    if alg == "ES256":
        if not isinstance(key, EcPublicKey):
            raise AlgorithmError("ES256 needs an EC P-256 key")
        valid = _es256_valid(key, jws.signing_input, jws.signature)
    else:
        if not isinstance(key, RsaPublicKey):
            raise AlgorithmError(f"{alg} needs an RSA key")
        check = _rs256_valid if alg == "RS256" else _ps256_valid
        valid = check(key, jws.signing_input, jws.signature)
    if not valid:
        raise SignatureError(f"JWS {alg} signature does not verify")
    return jws


# --- keys ---------------------------------------------------------------------------------


def load_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """A public signing key from a JWK (RFC 7517, RFC 7518 6.2, 6.3); the upper bounds on n
    and e cap the cost of ``pow`` with a key a client chose."""
    kty = jwk.get("kty")
    alg = jwk.get("alg")
    if alg is not None and alg not in SUPPORTED_ALGS:
        raise JwkError("JWK alg is not RS256, PS256 or ES256")
    if jwk.get("use", "sig") != "sig":
        raise JwkError("JWK use is not sig")
    key_ops = jwk.get("key_ops", ["verify"])
    if not isinstance(key_ops, list) or "verify" not in key_ops:
        raise JwkError("JWK key_ops does not include verify")
    if kty == "RSA":
        if any(member in jwk for member in _RSA_PRIVATE):
            raise JwkError("JWK holds a private RSA member")
        return _rsa_key(_jwk_octets(jwk, "n"), _jwk_octets(jwk, "e"), alg)
    if kty == "EC":
        if "d" in jwk:
            raise JwkError("JWK holds the private EC member d")
        if jwk.get("crv") != "P-256":
            raise JwkError("EC JWK crv is not P-256")
        return _ec_key(_jwk_octets(jwk, "x"), _jwk_octets(jwk, "y"), alg)
    raise JwkError("JWK kty is not RSA or EC")


def _jwk_octets(jwk: Mapping[str, Any], member: str) -> bytes:
    value = jwk.get(member)
    if not isinstance(value, str) or not value:
        raise JwkError(f"JWK {member} is not a base64url string")
    try:
        return b64url_decode(value, f"JWK {member}")
    except JwsError as exc:
        raise JwkError(str(exc)) from None


def _rsa_key(n_octets: bytes, e_octets: bytes, alg: str | None) -> RsaPublicKey:
    if n_octets[0] == 0 or e_octets[0] == 0:
        raise JwkError("JWK n or e has a leading zero octet")
    n, e = int.from_bytes(n_octets), int.from_bytes(e_octets)
    if not _RSA_MIN_BITS <= n.bit_length() <= _RSA_MAX_BITS or n % 2 == 0:
        raise JwkError("RSA modulus is not an odd number of 2048 to 8192 bits")
    if e % 2 == 0 or not 3 <= e < 2**32:
        raise JwkError("RSA exponent is not odd, at least 3 and under 2**32")
    if alg == "ES256":
        raise JwkError("RSA JWK names alg ES256")
    return RsaPublicKey(n, e, alg)


def _ec_key(x_octets: bytes, y_octets: bytes, alg: str | None) -> EcPublicKey:
    if len(x_octets) != 32 or len(y_octets) != 32:  # RFC 7518 6.2.1.2: the full length
        raise JwkError("EC JWK x or y is not 32 octets")
    x, y = int.from_bytes(x_octets), int.from_bytes(y_octets)
    # (0, 0), which some encodings use for infinity, is not on the curve
    if x >= _P or y >= _P or (y * y - x * x * x + 3 * x - _B) % _P:
        raise JwkError("EC JWK point is not on P-256")
    if alg not in (None, "ES256"):
        raise JwkError("EC JWK names an RSA alg")
    return EcPublicKey(x, y, alg)


def jwk_thumbprint(key: PublicKey) -> str:
    """RFC 7638 JWK thumbprint, SHA-256, base64url: what DPoP's ``cnf.jkt`` holds."""
    if isinstance(key, RsaPublicKey):
        members = {"e": _octets(key.e), "kty": "RSA", "n": _octets(key.n)}
    else:
        x, y = (b64url_encode(c.to_bytes(32)) for c in (key.x, key.y))
        members = {"crv": "P-256", "kty": "EC", "x": x, "y": y}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


def _octets(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8))


# --- RSA ----------------------------------------------------------------------------------


def _rsa_message(key: RsaPublicKey, signature: bytes) -> int | None:
    """RSAVP1 (RFC 8017 5.2.2) after the length check of 8.1.2 and 8.2.2."""
    if len(signature) != (key.n.bit_length() + 7) // 8:
        return None
    s = int.from_bytes(signature)
    return pow(s, key.e, key.n) if s < key.n else None


def _rs256_valid(key: RsaPublicKey, message: bytes, signature: bytes) -> bool:
    """RSASSA-PKCS1-v1_5-VERIFY with SHA-256 (RFC 8017 8.2.2): the whole EM is compared."""
    m = _rsa_message(key, signature)
    if m is None:
        return False
    t = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    k = len(signature)
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return hmac.compare_digest(m.to_bytes(k), expected)


def _mgf1_sha256(seed: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    mask = b"".join(hashlib.sha256(seed + i.to_bytes(4)).digest() for i in range(blocks))
    return mask[:length]


def _ps256_valid(key: RsaPublicKey, message: bytes, signature: bytes) -> bool:
    """RSASSA-PSS-VERIFY (RFC 8017 8.1.2) with EMSA-PSS-VERIFY (9.1.2): SHA-256, MGF1-SHA-256,
    a 32-octet salt (RFC 7518 3.5)."""
    m = _rsa_message(key, signature)
    if m is None:
        return False
    em_bits = key.n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    if m >> (8 * em_len) or em_len < 32 + 32 + 2:  # I2OSP(m, emLen) fails; 9.1.2 step 3
        return False
    em = m.to_bytes(em_len)
    if em[-1] != 0xBC:  # step 4
        return False
    db_len = em_len - 32 - 1
    masked_db, h = em[:db_len], em[db_len:-1]
    spare_bits = 8 * em_len - em_bits
    if masked_db[0] >> (8 - spare_bits):  # step 6: the leftmost bits must be zero
        return False
    db_int = int.from_bytes(masked_db) ^ int.from_bytes(_mgf1_sha256(h, db_len))
    db = (db_int & ((1 << (8 * db_len - spare_bits)) - 1)).to_bytes(db_len)  # step 9
    pad_len = em_len - 32 - 32 - 2
    if db[:pad_len] != bytes(pad_len) or db[pad_len] != 0x01:  # step 10
        return False
    salt = db[-32:]
    m_prime = bytes(8) + hashlib.sha256(message).digest() + salt
    return hmac.compare_digest(h, hashlib.sha256(m_prime).digest())  # steps 12 to 14


# --- ES256 --------------------------------------------------------------------------------
# Points are Jacobian (X, Y, Z): x = X/Z^2, y = Y/Z^3; Z = 0 is the point at infinity.
# Table points are affine (x, y), added with the cheaper mixed formula.


def _double(x1: int, y1: int, z1: int) -> tuple[int, int, int]:
    """dbl-2001-b (a = -3): 2P."""
    p = _P
    delta = z1 * z1 % p
    gamma = y1 * y1 % p
    beta = x1 * gamma % p
    alpha = 3 * (x1 - delta) * (x1 + delta) % p
    x3 = (alpha * alpha - 8 * beta) % p
    z3 = ((y1 + z1) ** 2 - gamma - delta) % p
    y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p
    return x3, y3, z3


def _add_affine(x1: int, y1: int, z1: int, x2: int, y2: int) -> tuple[int, int, int]:
    """P + (x2, y2), P Jacobian, the other affine and never infinity."""
    p = _P
    if not z1:
        return x2, y2, 1
    zz = z1 * z1 % p
    h = (x2 * zz - x1) % p
    r = (y2 * zz * z1 - y1) % p
    if not h:
        return _double(x1, y1, z1) if not r else (1, 1, 0)
    hh = h * h % p
    hhh = h * hh % p
    v = x1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    return x3, (r * (v - x3) - y1 * hhh) % p, z1 * h % p


def _to_affine(points: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Montgomery's trick: one inversion for the list, which holds no point at infinity."""
    p = _P
    prefix = [1]
    for _, _, z in points:
        prefix.append(prefix[-1] * z % p)
    inverse = pow(prefix[-1], -1, p)
    affine: list[tuple[int, int]] = [(0, 0)] * len(points)
    for i in range(len(points) - 1, -1, -1):
        x, y, z = points[i]
        z_inv = inverse * prefix[i] % p
        inverse = inverse * z % p
        zz = z_inv * z_inv % p
        affine[i] = (x * zz % p, y * zz * z_inv % p)
    return affine


_Table = list[list[tuple[int, int]]]
_base_table: _Table = []
_key_tables: dict[tuple[int, int], _Table] = {}  # least recently used first
_keys_seen_once: dict[tuple[int, int], None] = {}
_KEY_TABLES, _KEYS_SEEN_ONCE = 16, 256


def _multiples(x: int, y: int, count: int) -> list[tuple[int, int]]:
    """P, 2P, ..., count * P for P = (x, y), affine."""
    points = [(x, y, 1)]
    for _ in range(count - 1):
        points.append(_add_affine(*points[-1], x, y))
    return _to_affine(points)


def _window_table(x: int, y: int, w: int) -> _Table:
    """``table[i][d - 1] = d * 2**(w*i) * P``: k * P is one addition per w-bit digit of k."""
    table = []
    for _ in range((256 + w - 1) // w):
        row = _multiples(x, y, 1 << w)
        table.append(row[:-1])
        x, y = row[-1]  # 2**w times the row's base
    return table


def _g_table() -> _Table:
    """The base point's table, built on the first ES256 verification of the process."""
    if not _base_table:
        _base_table.extend(_window_table(_GX, _GY, _G_WINDOW))
    return _base_table


def _key_table(key: EcPublicKey) -> _Table | None:
    """A key's table from its second verification on; None the first time, so that fresh
    keys cost no table. Both maps are bounded, least recently used out."""
    point = (key.x, key.y)
    table = _key_tables.pop(point, None)
    if table is None:
        if _keys_seen_once.pop(point, False) is False:
            _keys_seen_once[point] = None
            if len(_keys_seen_once) > _KEYS_SEEN_ONCE:
                del _keys_seen_once[next(iter(_keys_seen_once))]
            return None
        table = _window_table(key.x, key.y, _Q_WINDOW)
        if len(_key_tables) >= _KEY_TABLES:
            del _key_tables[next(iter(_key_tables))]
    _key_tables[point] = table
    return table


def _es256_valid(key: EcPublicKey, message: bytes, signature: bytes) -> bool:
    """ECDSA verification (SEC 1 4.1.4) of r || s (RFC 7518 3.4); R's x is compared as X/Z^2."""
    if len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32]), int.from_bytes(signature[32:])
    if not (0 < r < _N and 0 < s < _N):
        return False
    w = pow(s, -1, _N)
    u1 = int.from_bytes(hashlib.sha256(message).digest()) * w % _N
    u2 = r * w % _N
    key_table = _key_table(key)
    if key_table is None:
        x, y, z = _key_multiple(key, u2)
        scalars = [(_g_table(), _G_WINDOW, u1)]
    else:
        x, y, z = 1, 1, 0
        scalars = [(_g_table(), _G_WINDOW, u1), (key_table, _Q_WINDOW, u2)]
    p = _P
    for table, window, k in scalars:
        mask = (1 << window) - 1
        for i, row in enumerate(table):
            digit = (k >> (window * i)) & mask
            if not digit:
                continue
            x2, y2 = row[digit - 1]
            # _add_affine written out: a hundred of these per verification
            zz = z * z % p
            h = (x2 * zz - x) % p
            t = (y2 * zz * z - y) % p
            if not h or not z:  # P = +-(x2, y2), or P is infinity
                x, y, z = _add_affine(x, y, z, x2, y2)
                continue
            hh = h * h % p
            hhh = h * hh % p
            v = x * hh % p
            x = (t * t - hhh - 2 * v) % p
            y = (t * (v - x) - y * hhh) % p
            z = z * h % p
    if not z:
        return False
    zz = z * z % _P
    return x == r * zz % _P or (r + _N < _P and x == (r + _N) * zz % _P)


def _key_multiple(key: EcPublicKey, k: int) -> tuple[int, int, int]:
    """k * Q by 4-bit windows, for a key without a table: 256 doublings (``_double``, with
    2YZ for Z3), written out as they are most of the cost."""
    p = _P
    table = _multiples(key.x, key.y, 15)
    x, y, z = 1, 1, 0
    for shift in range(252, -1, -4):
        for _ in range(4):
            zz = z * z % p
            yy = y * y % p
            beta = x * yy % p
            alpha = 3 * (x - zz) * (x + zz) % p
            z = 2 * y * z % p
            x = (alpha * alpha - 8 * beta) % p
            y = (alpha * (4 * beta - x) - 8 * yy * yy) % p
        digit = (k >> shift) & 15
        if digit:
            x, y, z = _add_affine(x, y, z, *table[digit - 1])
    return x, y, z
