"""Token introspection at the identity server over one kept-alive connection."""

from __future__ import annotations

import base64
import http.client
import json
import math
import socket
import ssl
from urllib.parse import quote_plus, urlencode

from phantom_token.errors import ClientRejectedError, IntrospectionError
from phantom_token.jwt_claims import jws_claims

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, NamedTuple, Protocol

    from phantom_token.config import Endpoint, ResponseMode

    class Transport(Protocol):
        def post(self, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse: ...
else:
    from phantom_token._records import NamedTuple

ACCEPT = {"jwt": "application/jwt", "rfc9701": "application/token-introspection+jwt"}
MAX_RESPONSE_BYTES = 1 << 20
RETRYABLE_STATUSES = frozenset({502, 503, 504})
# Errors that mean "the server closed the idle connection": reopen once, it is not a retry.
_STALE_CONNECTION = (
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)


class HttpResponse(NamedTuple):
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class Introspection(NamedTuple):
    """An active token's introspection result."""

    jwt: str
    claims: dict[str, Any]
    max_age: int | None
    no_store: bool


_tls_context: ssl.SSLContext | None = None


def _default_tls_context() -> ssl.SSLContext:
    # Loading the trust store costs milliseconds: once per container, on first use.
    global _tls_context  # noqa: PLW0603
    if _tls_context is None:
        _tls_context = ssl.create_default_context()
    return _tls_context


class HttpTransport:
    """One persistent HTTP/1.1 connection to the introspection endpoint.

    Each request leaves in a single write, headers and body together: http.client writes them
    separately, which costs every introspection an extra segment and wake-up on both ends.
    Responses are parsed by ``http.client.HTTPResponse``.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self._socket: socket.socket | None = None
        host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
        default_port = 443 if endpoint.scheme == "https" else 80
        self._host_header = host if endpoint.port == default_port else f"{host}:{endpoint.port}"

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _connect(self, timeout: float) -> socket.socket:
        endpoint = self._endpoint
        connection = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
        try:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if endpoint.scheme == "https":
                connection = _default_tls_context().wrap_socket(
                    connection, server_hostname=endpoint.host
                )
        except BaseException:
            connection.close()
            raise
        self._socket = connection
        return connection

    def post(self, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse:
        reused = self._socket is not None
        connection = self._socket or self._connect(timeout)
        try:
            return self._exchange(connection, body, headers, timeout)
        except _STALE_CONNECTION:
            self.close()
            if not reused:
                raise
        except BaseException:
            self.close()
            raise
        try:
            return self._exchange(self._connect(timeout), body, headers, timeout)
        except BaseException:
            self.close()
            raise

    def _request(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        lines = [f"POST {self._endpoint.path} HTTP/1.1", f"Host: {self._host_header}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        if any("\r" in line or "\n" in line for line in lines):
            raise IntrospectionError("an introspection request header contains a line break")
        head = "\r\n".join(lines)
        return f"{head}\r\n\r\n".encode("latin-1") + body

    def _exchange(
        self, connection: socket.socket, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> HttpResponse:
        connection.settimeout(timeout)
        connection.sendall(self._request(body, headers))
        response = http.client.HTTPResponse(connection, method="POST")
        response.begin()
        if response.length is not None and response.length > MAX_RESPONSE_BYTES:
            self.close()
            raise IntrospectionError("introspection response is larger than 1 MiB")
        # read(n) allocates n bytes up front: bound only a body of unknown length that way.
        data = (
            response.read()
            if response.length is not None
            else response.read(MAX_RESPONSE_BYTES + 1)
        )
        if len(data) > MAX_RESPONSE_BYTES:
            self.close()
            raise IntrospectionError("introspection response is larger than 1 MiB")
        if response.will_close:
            self.close()
        return HttpResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, data)


def basic_authorization(client_id: str, client_secret: str) -> str:
    """HTTP Basic with each part form-encoded first (RFC 6749 section 2.3.1)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def request_body(token: str) -> bytes:
    return urlencode({"token": token}).encode("ascii")


def request_headers(mode: ResponseMode, authorization: str) -> dict[str, str]:
    return {
        "Accept": ACCEPT[mode],
        "Authorization": authorization,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def post_with_retries(
    transport: Transport,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    retries: int,
    time_left: Callable[[], float],
) -> HttpResponse:
    """POST, retrying connection failures, timeouts and 502/503/504 while time allows."""
    problem = "no attempt made"
    for attempt in range(1 + retries):
        remaining = time_left()
        if remaining <= 0:
            raise IntrospectionError(
                f"no time left for introspection after {attempt} attempt(s): {problem}"
            )
        try:
            response = transport.post(body, headers, min(timeout, remaining))
        except TimeoutError:
            problem = "timed out"
            continue
        except (OSError, http.client.HTTPException) as exc:
            problem = f"connection failed ({type(exc).__name__})"
            continue
        if response.status not in RETRYABLE_STATUSES:
            return response
        problem = f"status {response.status}"
    raise IntrospectionError(
        f"identity server unavailable after {1 + retries} attempt(s): {problem}"
    )


def cache_directives(headers: Mapping[str, str]) -> tuple[int | None, bool]:
    """(max-age, no-store) from Cache-Control; no-cache also forbids reuse without asking."""
    max_age: int | None = None
    no_store = False
    for directive in headers.get("cache-control", "").lower().split(","):
        name, _, value = directive.strip().partition("=")
        if name in ("no-store", "no-cache"):
            no_store = True
        elif name == "max-age":
            try:
                max_age = max(0, int(value.strip().strip('"')))
            except ValueError:
                no_store = True  # unreadable freshness: do not reuse
    return max_age, no_store


def interpret(response: HttpResponse, mode: ResponseMode, now: float) -> Introspection | None:
    """An active token's result, None for an inactive one, or IntrospectionError."""
    status = response.status
    if status == 204:
        return None
    if status in (401, 403):
        raise ClientRejectedError(status)
    if status != 200:
        raise IntrospectionError(f"identity server answered status {status}")
    if _is_json(response):
        if _json_says_inactive(response.body):
            return None
        raise IntrospectionError(
            "identity server answered JSON, not a JWT: check INTROSPECTION_RESPONSE"
        )
    try:
        jwt = response.body.decode("ascii").strip()
    except UnicodeDecodeError:
        raise IntrospectionError("introspection response is not a compact JWS") from None
    payload = jws_claims(jwt)
    claims = payload if mode == "jwt" else _rfc9701_claims(payload)
    active = claims.get("active", True if mode == "jwt" else None)
    if active is False:
        return None
    if active is not True:
        raise IntrospectionError("introspection response has no boolean 'active'")
    if _expired(claims, now):
        return None
    max_age, no_store = cache_directives(response.headers)
    return Introspection(jwt, claims, max_age, no_store)


def _is_json(response: HttpResponse) -> bool:
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json"


def _json_says_inactive(body: bytes) -> bool:
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("active") is False


def _rfc9701_claims(payload: Mapping[str, Any]) -> dict[str, Any]:
    claims = payload.get("token_introspection")
    if not isinstance(claims, dict):
        raise IntrospectionError("RFC 9701 response has no token_introspection object")
    return claims


def _expired(claims: Mapping[str, Any], now: float) -> bool:
    exp = claims.get("exp")
    if exp is None:
        return False
    if isinstance(exp, bool) or not isinstance(exp, int | float) or not _is_finite(exp):
        raise IntrospectionError("introspection response 'exp' is not a number")
    return bool(exp <= now)


def _is_finite(number: float) -> bool:
    """NaN never expires and an int past the float range breaks the cache's arithmetic."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False
