"""AWS Signature Version 4 for one POST with a body: what an SDK would add to the request.

The algorithm, https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html:
a canonical request (method, URI, query, sorted lower-case headers with trimmed values, the
signed header names, the body's SHA-256), a string to sign over its hash and the credential
scope (date/region/service/aws4_request), and an HMAC-SHA256 chain that derives the signing key
from the secret access key. The tests check the result byte for byte against botocore's
``SigV4Auth``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import NamedTuple
else:
    from phantom_token._records import NamedTuple

ALGORITHM = "AWS4-HMAC-SHA256"


class Credentials(NamedTuple):
    access_key: str
    secret_key: str
    session_token: str | None


def amz_date(epoch_seconds: float) -> str:
    """``YYYYMMDDTHHMMSSZ`` in UTC, the form of ``X-Amz-Date``."""
    # time.strftime over gmtime: datetime would be one more import on the cold path.
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch_seconds))


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret_key}".encode(), date)
    return _hmac(_hmac(_hmac(key, region), service), "aws4_request")


def signed_headers(
    *,
    host: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    timestamp: str,
) -> dict[str, str]:
    """``headers`` plus ``X-Amz-Date``, ``X-Amz-Security-Token`` (with a session token) and
    ``Authorization``, for a POST of ``body`` to ``path`` (no query) on ``host`` (the Host
    header's value: with the port unless it is the scheme's default)."""
    sent = dict(headers)
    sent["X-Amz-Date"] = timestamp
    if credentials.session_token:
        sent["X-Amz-Security-Token"] = credentials.session_token
    canonical = {name.lower(): " ".join(value.split()) for name, value in sent.items()}
    canonical["host"] = host
    names = sorted(canonical)
    signed_names = ";".join(names)
    canonical_request = "\n".join(
        [
            "POST",
            path,
            "",
            "".join(f"{name}:{canonical[name]}\n" for name in names),
            signed_names,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    date = timestamp[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, timestamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    signature = hmac.new(
        signing_key(credentials.secret_key, date, region, service),
        string_to_sign.encode("utf-8"),
        hashlib.sha256,
    ).hexdigest()
    sent["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed_names}, Signature={signature}"
    )
    return sent
