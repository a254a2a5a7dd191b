"""Token introspection at the identity server over one kept-alive connection."""

from __future__ import annotations

import base64
import json
import math
import os
import re
import select
import socket
import ssl
import time
from urllib.parse import quote_plus

from phantom_token.errors import ClientRejectedError, IntrospectionError
from phantom_token.jwt_claims import jws_claims

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, NamedTuple, Protocol

    from phantom_token.config import Endpoint, ResponseMode

    class Transport(Protocol):
        def post(self, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse:
            """Send one request and read its response within ``timeout`` seconds in total."""
            ...
else:
    from phantom_token._records import NamedTuple

ACCEPT = {"jwt": "application/jwt", "rfc9701": "application/token-introspection+jwt"}
MAX_RESPONSE_BYTES = 1 << 20
# A response head: status line, field lines and the empty line that ends them, CRLF CRLF
# included (every byte before the body). One of exactly this size is read; one byte more is not.
MAX_HEAD_BYTES = 1 << 16
MAX_HEADER_LINES = 100
RETRYABLE_STATUSES = frozenset({502, 503, 504})
# A retry is worth making only with at least this much time left for it.
MIN_ATTEMPT_SECONDS = 0.1
# Retry n waits between half and all of BACKOFF_SECONDS * 2**(n-1) ("equal jitter", see
# https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
BACKOFF_SECONDS = 0.1
_RECEIVE_BYTES = 65536
_MAX_INTERIM_RESPONSES = 8

# RFC 9110 5.6.2 token, 5.5 field values (VCHAR, obs-text, SP and HTAB inside), 5.6.6 parameters.
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_STATUS_LINE = re.compile(r"HTTP/1\.([01]) ([1-9][0-9][0-9])(?: [\t\x20-\x7e\x80-\xff]*)?")
_FIELD_LINE = re.compile(rf"({_TCHARS}):([\t\x20-\x7e\x80-\xff]*)")
_QUOTED_STRING = r'"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*"'
# A media type is read piece by piece: the type, then each ";" and what follows it, every piece
# matched where the last one ended. No pattern repeats a group that itself repeats: one that
# did ("(?:[ \t]*;[ \t]*(?:param)?)*") backtracked exponentially on "a/b ; ; ; ... x", and a
# Lambda stuck in a regex cannot be saved by the decision's deadline.
_MEDIA_RANGE = re.compile(rf"[ \t]*({_TCHARS}/{_TCHARS})[ \t]*")
# One step: a ";" with any empty parameters after it ("; ;"), then at most one parameter.
_MEDIA_PARAMETER = re.compile(rf";[ \t;]*(?:{_TCHARS}=(?:{_TCHARS}|{_QUOTED_STRING})[ \t]*)?")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,8})[ \t]*(?:;[\t\x20-\x7e\x80-\xff]*)?")
# Content-Length, max-age and Retry-After past this many digits are malformed: they mean nothing
# a server could intend, and int() refuses strings of more than 4300 digits with a ValueError.
_MAX_DIGITS = 19


class HttpResponse(NamedTuple):
    status: int
    # Lower-case names. A field sent on several lines is one value, joined with ", " (RFC 9110
    # 5.3), identical lines once: two Cache-Control lines both count, and two different
    # Content-Type lines become a value that is no media type.
    headers: Mapping[str, str]
    body: bytes


class Introspection(NamedTuple):
    """An active token's introspection result."""

    jwt: str
    claims: dict[str, Any]
    max_age: int | None
    no_store: bool


class ConnectionClosedError(ConnectionError):
    """The server closed the connection before sending any byte of a response."""


class IncompleteResponseError(ConnectionError):
    """The server closed the connection in the middle of a response."""


class UnexpectedBytesError(IntrospectionError):
    """Bytes followed the response: the framing is not to be trusted, nor the connection."""

    def __init__(self) -> None:
        super().__init__("identity server sent bytes after its response")


# The server may have closed an idle connection: reopen once, it is not a retry.
_STALE_CONNECTION = (
    ConnectionClosedError,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)

_tls_context: ssl.SSLContext | None = None


def _default_tls_context() -> ssl.SSLContext:
    # Loading the trust store costs milliseconds: once per container, on first use.
    global _tls_context  # noqa: PLW0603
    if _tls_context is None:
        _tls_context = ssl.create_default_context()
    return _tls_context


def _time_left(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("introspection attempt timed out")
    return remaining


class HttpTransport:
    """One persistent HTTP/1.1 connection to the introspection endpoint.

    Each request leaves in a single write, headers and body together (http.client writes them
    separately: an extra segment and wake-up on both ends). Each attempt, from connecting to
    the last byte of the body, ends by its deadline in total, not per read: a server that
    trickles its answer cannot hold the call. A connection with anything unread on it, before a
    request or after a response, is closed: bytes nobody asked for are never read as an answer.
    """

    def __init__(self, endpoint: Endpoint, tls_context: ssl.SSLContext | None = None) -> None:
        self._endpoint = endpoint
        self._tls_context = tls_context
        self._socket: socket.socket | None = None
        self._poller: select.poll | None = None
        host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
        default_port = 443 if endpoint.scheme == "https" else 80
        self._host_header = host if endpoint.port == default_port else f"{host}:{endpoint.port}"
        self._head_headers: dict[str, str] | None = None
        self._head = b""

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = self._poller = None

    def post(self, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse:
        deadline = time.monotonic() + timeout
        request = self._request(body, headers)
        connection = self._socket
        if connection is not None and self._waiting(connection):
            # Before reuse: whatever waits on an idle connection is no answer to this request.
            self.close()
            connection = None
        reused = connection is not None
        try:
            if connection is None:
                connection = self._connect(deadline)
            response = self._exchange(connection, request, deadline)
            if not (reused and response.status == 408):
                return response
            # 408 on a reused connection: the server timed it out as the request arrived.
            self.close()
        except _STALE_CONNECTION:
            self.close()
            if not reused:
                raise
        except BaseException:
            self.close()
            raise
        try:
            return self._exchange(self._connect(deadline), request, deadline)
        except BaseException:
            self.close()
            raise

    def _connect(self, deadline: float) -> socket.socket:
        # socket.create_connection gives every address the whole timeout; this loop shares
        # one deadline. Name resolution itself is not bounded by it (the resolver's own).
        endpoint = self._endpoint
        failure: OSError | None = None
        addresses = socket.getaddrinfo(endpoint.host, endpoint.port, type=socket.SOCK_STREAM)
        for family, kind, protocol, _, address in addresses:
            connection = socket.socket(family, kind, protocol)
            try:
                connection.settimeout(_time_left(deadline))
                connection.connect(address)
            except OSError as exc:
                connection.close()
                failure = exc
                continue
            break
        else:
            raise failure or OSError("the introspection endpoint has no address")
        try:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if endpoint.scheme == "https":
                # The ssl module bounds the whole handshake by the socket's timeout.
                connection.settimeout(_time_left(deadline))
                context = self._tls_context or _default_tls_context()
                connection = context.wrap_socket(connection, server_hostname=endpoint.host)
            poller = select.poll()
            poller.register(connection, select.POLLIN | select.POLLPRI)
        except BaseException:
            connection.close()
            raise
        self._socket, self._poller = connection, poller
        return connection

    def _waiting(self, connection: socket.socket) -> bool:
        """Anything readable on the connection: bytes, the server's close, an error.

        A zero-timeout poll costs about a microsecond; TLS may hold decrypted bytes as well.
        """
        if isinstance(connection, ssl.SSLSocket) and connection.pending():
            return True
        return self._poller is None or bool(self._poller.poll(0))

    def _request(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        # The headers change only with the secret: encode them once, not per call.
        if headers != self._head_headers:
            lines = [f"POST {self._endpoint.path} HTTP/1.1", f"Host: {self._host_header}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            if any("\r" in line or "\n" in line for line in lines):
                raise IntrospectionError("an introspection request header contains a line break")
            self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
            self._head_headers = dict(headers)
        return b"%s%d\r\n\r\n%s" % (self._head, len(body), body)

    def _exchange(self, connection: socket.socket, request: bytes, deadline: float) -> HttpResponse:
        connection.settimeout(_time_left(deadline))
        connection.sendall(request)
        reader = ResponseReader(connection, deadline)
        response, will_close = read_response(reader)
        if reader.buffer:
            raise UnexpectedBytesError
        if will_close:
            self.close()
        elif self._waiting(connection):
            # Whatever arrived right after the response: the server's close is fine, anything
            # else means the response was not what the server meant (RFC 9112 6.3: never read
            # extra data as a separate response).
            extra = _application_bytes_waiting(connection)
            self.close()
            if extra:
                raise UnexpectedBytesError
        return response


def _application_bytes_waiting(connection: socket.socket) -> bool:
    connection.setblocking(False)
    try:
        return bool(connection.recv(1))
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False  # a TLS record that carries no application data
    except OSError:
        return False  # reset, or TLS close_notify: the server closed the connection


class ResponseReader:
    """Reads from the connection into ``buffer``, each read bounded by the time left until
    ``deadline`` (monotonic seconds): the attempt's deadline holds for the whole response."""

    __slots__ = ("buffer", "connection", "deadline", "started")

    def __init__(self, connection: socket.socket, deadline: float) -> None:
        self.connection = connection
        self.deadline = deadline
        self.buffer = bytearray()
        self.started = False

    def fill(self) -> bool:
        """Read once more; False when the server closed the connection."""
        self.connection.settimeout(_time_left(self.deadline))
        chunk = self.connection.recv(_RECEIVE_BYTES)
        if not chunk:
            return False
        self.started = True
        self.buffer += chunk
        return True

    def fill_or_fail(self) -> None:
        if not self.fill():
            if self.started:
                raise IncompleteResponseError("connection closed in the middle of the response")
            raise ConnectionClosedError("connection closed before the response")


def read_response(reader: ResponseReader) -> tuple[HttpResponse, bool]:
    """One response (after any 1xx) and whether the connection ends with it (RFC 9112 6)."""
    for _ in range(_MAX_INTERIM_RESPONSES):
        status, http10, headers = _read_head(reader)
        if status >= 200:
            break
        if status == 101:
            raise IntrospectionError("identity server switched protocols (101)")
    else:
        raise IntrospectionError("identity server sent too many interim (1xx) responses")
    will_close = http10 or "close" in _list_tokens(headers.get("connection", ""))
    if status in (204, 304):
        # No body, whatever the header fields say (RFC 9112 6.3): any bytes are unexpected.
        return HttpResponse(status, headers, b""), will_close
    transfer_encoding = headers.get("transfer-encoding")
    content_length = headers.get("content-length")
    if transfer_encoding is not None:
        if content_length is not None:
            raise IntrospectionError(
                "introspection response has both Transfer-Encoding and Content-Length"
            )
        if _list_tokens(transfer_encoding) != ["chunked"]:
            raise IntrospectionError("introspection response has an unsupported Transfer-Encoding")
        body = _read_chunked(reader)
    elif content_length is not None:
        body = _read_exactly(reader, _content_length(content_length))
    else:
        body = _read_until_close(reader)
        will_close = True
    return HttpResponse(status, headers, body), will_close


def _list_tokens(value: str) -> list[str]:
    return [item.strip().lower() for item in value.split(",") if item.strip()]


def _read_head(reader: ResponseReader) -> tuple[int, bool, dict[str, str]]:
    buffer = reader.buffer
    searched = 0
    while (end := buffer.find(b"\r\n\r\n", searched)) < 0:
        # No CRLF CRLF yet in MAX_HEAD_BYTES bytes: the head, once ended, would be longer.
        if len(buffer) >= MAX_HEAD_BYTES:
            raise IntrospectionError("introspection response headers are larger than 64 KiB")
        searched = max(len(buffer) - 3, 0)
        reader.fill_or_fail()
    if end + 4 > MAX_HEAD_BYTES:
        raise IntrospectionError("introspection response headers are larger than 64 KiB")
    head = bytes(buffer[:end])
    del buffer[: end + 4]
    return parse_head(head)


def parse_head(head: bytes) -> tuple[int, bool, dict[str, str]]:
    """(status, HTTP/1.0?, header fields) of a status line and field lines, CRLF-separated."""
    status_line, *lines = head.decode("latin-1").split("\r\n")
    status = _STATUS_LINE.fullmatch(status_line)
    if status is None:
        raise IntrospectionError("identity server did not answer with an HTTP/1.1 status line")
    if len(lines) > MAX_HEADER_LINES:
        raise IntrospectionError("introspection response has more than 100 header lines")
    headers: dict[str, str] = {}
    for line in lines:
        field = _FIELD_LINE.fullmatch(line)
        if field is None:
            raise IntrospectionError("introspection response has a malformed header line")
        name, value = field[1].lower(), field[2].strip(" \t")
        known = headers.get(name)
        if known is None:
            headers[name] = value
        elif value not in known.split(", "):
            headers[name] = f"{known}, {value}"
    return int(status[2]), status[1] == "0", headers


def _content_length(value: str) -> int:
    # Repeated identical values are one length (RFC 9110 8.6); different ones are an error.
    values = {item.strip() for item in value.split(",")}
    if len(values) != 1:
        raise IntrospectionError("introspection response has conflicting Content-Length values")
    (text,) = values
    if not _is_number(text):
        raise IntrospectionError("introspection response has an invalid Content-Length")
    length = int(text)
    if length > MAX_RESPONSE_BYTES:
        raise IntrospectionError("introspection response is larger than 1 MiB")
    return length


def _read_exactly(reader: ResponseReader, length: int) -> bytes:
    buffer = reader.buffer
    while len(buffer) < length:
        reader.fill_or_fail()
    body = bytes(buffer[:length])
    del buffer[:length]
    return body


def _read_until_close(reader: ResponseReader) -> bytes:
    while reader.fill():
        if len(reader.buffer) > MAX_RESPONSE_BYTES:
            raise IntrospectionError("introspection response is larger than 1 MiB")
    body = bytes(reader.buffer)
    reader.buffer.clear()
    return body


def _read_line(reader: ResponseReader) -> bytes:
    buffer = reader.buffer
    while (end := buffer.find(b"\r\n")) < 0:
        if len(buffer) > MAX_HEAD_BYTES:
            raise IntrospectionError("introspection response has a malformed chunked body")
        reader.fill_or_fail()
    line = bytes(buffer[:end])
    del buffer[: end + 2]
    return line


def _read_chunked(reader: ResponseReader) -> bytes:
    """A chunked body (RFC 9112 7.1); trailer fields are read and ignored."""
    body = bytearray()
    while True:
        size = _CHUNK_SIZE.fullmatch(_read_line(reader))
        if size is None:
            raise IntrospectionError("introspection response has a malformed chunked body")
        length = int(size[1], 16)
        if length == 0:
            break
        if len(body) + length > MAX_RESPONSE_BYTES:
            raise IntrospectionError("introspection response is larger than 1 MiB")
        body += _read_exactly(reader, length)
        if _read_line(reader):
            raise IntrospectionError("introspection response has a malformed chunked body")
    for _ in range(MAX_HEADER_LINES + 1):
        if not _read_line(reader):
            return bytes(body)
    raise IntrospectionError("introspection response has more than 100 trailer lines")


def basic_authorization(client_id: str, client_secret: str) -> str:
    """HTTP Basic with each part form-encoded first (RFC 6749 section 2.3.1)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def request_body(token: str) -> bytes:
    return b"token=" + quote_plus(token).encode("ascii")


def request_headers(mode: ResponseMode, authorization: str) -> dict[str, str]:
    return {
        "Accept": ACCEPT[mode],
        "Authorization": authorization,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _jitter() -> float:
    """A fraction in [0, 1); os.urandom spares importing random on every cold start."""
    return int.from_bytes(os.urandom(2), "big") / 65536


def backoff_seconds(retry: int, jitter: Callable[[], float] = _jitter) -> float:
    """The pause before retry number ``retry`` (1, 2, ...)."""
    ceiling: float = BACKOFF_SECONDS * 2 ** (retry - 1)
    return ceiling / 2 + jitter() * ceiling / 2


def retry_after_seconds(value: str | None) -> int | None:
    """Retry-After in its delay-seconds form (RFC 9110 10.2.3); a date or junk is ignored."""
    if value is None:
        return None
    text = value.strip()
    return int(text) if _is_number(text) else None


def _is_number(text: str) -> bool:
    """1 to 19 ASCII digits (RFC 9110 1*DIGIT, bounded): safe for int(), never a sign or ``_``."""
    return 0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit()


def post_with_retries(
    transport: Transport,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    retries: int,
    time_left: Callable[[], float],
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = _jitter,
) -> HttpResponse:
    """POST, retrying connection failures, timeouts and 502/503/504 while time allows.

    Each attempt gets the smaller of ``timeout`` and the time left. Retries wait a jittered
    backoff, or the server's Retry-After when it sent one. A Retry-After that would leave no
    time for the retry before the deadline fails the call at once: retrying earlier than the
    server asked would most likely be refused again, and the caller gets its answer sooner.
    """
    problem = "no attempt made"
    retry_after: int | None = None
    for attempt in range(1 + retries):
        if attempt:
            pause = backoff_seconds(attempt, jitter) if retry_after is None else retry_after
            if pause + MIN_ATTEMPT_SECONDS > time_left():
                if retry_after is not None:
                    raise IntrospectionError(
                        f"identity server unavailable after {attempt} attempt(s): {problem}, "
                        f"Retry-After {retry_after} s is past the deadline"
                    )
                raise IntrospectionError(
                    f"no time left for introspection after {attempt} attempt(s): {problem}"
                )
            sleep(pause)
        remaining = time_left()
        if remaining <= 0:
            raise IntrospectionError(
                f"no time left for introspection after {attempt} attempt(s): {problem}"
            )
        retry_after = None
        try:
            response = transport.post(body, headers, min(timeout, remaining))
        except TimeoutError:
            problem = "timed out"
            continue
        except OSError as exc:  # refused, reset, closed mid-response, TLS failures
            problem = f"connection failed ({type(exc).__name__})"
            continue
        if response.status not in RETRYABLE_STATUSES:
            return response
        problem = f"status {response.status}"
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
    raise IntrospectionError(
        f"identity server unavailable after {1 + retries} attempt(s): {problem}"
    )


def cache_directives(headers: Mapping[str, str]) -> tuple[int | None, bool]:
    """(max-age, no-store) from Cache-Control, all lines together: the most restrictive wins.

    The smallest max-age counts; no-store or no-cache anywhere forbids reuse (no-cache allows
    reuse only after asking again, which is what not caching does); so does a max-age whose
    value is not 1 to 19 digits (whitespace around the name and the value aside).
    """
    max_age: int | None = None
    no_store = False
    for directive in headers.get("cache-control", "").lower().split(","):
        name, _, value = directive.partition("=")
        # Whitespace around the name or the value must not hide a max-age=0 (it would be
        # cached for the full TTL): strip both.
        name, value = name.strip(), value.strip()
        if name in ("no-store", "no-cache"):
            no_store = True
        elif name == "max-age":
            # RFC 9111 5.2: the token form, or a quoted string (recipients accept both).
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if not _is_number(value):
                no_store = True  # RFC 9111 1.2.2 delta-seconds is digits only
                continue
            max_age = int(value) if max_age is None else min(max_age, int(value))
    return max_age, no_store


def media_type(value: str | None) -> str | None:
    """The lower-case ``type/subtype`` of a Content-Type value, None if absent or malformed."""
    if value is None:
        return None
    found = _MEDIA_RANGE.match(value)
    if found is None:
        return None
    # Each step consumes a ";" (a quoted string may hold ";" and ","): linear in the length.
    position, end = found.end(), len(value)
    while position < end:
        parameter = _MEDIA_PARAMETER.match(value, position)
        if parameter is None:
            return None
        position = parameter.end()
    return found[1].lower()


def interpret(response: HttpResponse, mode: ResponseMode, now: float) -> Introspection | None:
    """An active token's result, None for an inactive one, or IntrospectionError."""
    status = response.status
    if status == 204:
        return None
    if status in (401, 403):
        raise ClientRejectedError(status)
    if status != 200:
        raise IntrospectionError(f"identity server answered status {status}")
    content_type = response.headers.get("content-type")
    received = media_type(content_type)
    if received != ACCEPT[mode]:
        # A server that answers an inactive token in plain RFC 7662 JSON whatever we asked for
        # gets the 401 it means: that fails closed. Anything else of the wrong type is a 500.
        if received == "application/json" and _json_says_inactive(response.body):
            return None
        raise IntrospectionError(_content_type_problem(content_type, mode))
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


def _content_type_problem(content_type: str | None, mode: ResponseMode) -> str:
    expected = f"INTROSPECTION_RESPONSE={mode} expects {ACCEPT[mode]}"
    if content_type is None:
        return f"identity server answered no Content-Type; {expected}"
    shown = content_type if len(content_type) <= 100 else content_type[:100] + "..."
    return f"identity server answered Content-Type '{shown}'; {expected}"


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
