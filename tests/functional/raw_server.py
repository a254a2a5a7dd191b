"""An identity server that misbehaves on purpose, byte by byte, on 127.0.0.1.

:class:`RawServer` accepts TCP (optionally TLS) connections and runs ``script(peer)`` for each
in a thread of its own. A script reads the authorizer's requests with :meth:`Peer.read_request`
and writes whatever bytes the test needs: an honest answer (:func:`phantom_for`), leftovers on
an idle kept-alive connection, a 204 with a body, a 408 before closing, headers one line at a
time. Every answer of an honest script carries ``sub = "for-<token>"``, so a test sees at once
whether the Allow it got was the answer for *its* token.

Everything is bounded: reads time out, trickles stop when the server stops, and ``stop()``
closes the listener and every connection and joins the threads.
"""

from __future__ import annotations

import datetime
import ipaddress
import select
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Self
from urllib.parse import parse_qs

from tests.support.jwts import make_jwt

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

INTROSPECTION_PATH = "/oauth/v2/oauth-introspect"
_READ_TIMEOUT_SECONDS = 5.0
_JOIN_TIMEOUT_SECONDS = 5.0


def subject_for(token: str) -> str:
    return f"for-{token}"


def response(
    status: int = 200,
    body: bytes | str = b"",
    headers: Iterable[tuple[str, str]] = (),
    *,
    reason: str = "OK",
    content_length: bool = True,
) -> bytes:
    """One raw HTTP/1.1 response: exactly these header lines (plus Content-Length) and body."""
    data = body.encode() if isinstance(body, str) else body
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in headers)]
    if content_length:
        lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


def phantom_jwt(subject: str, **claims: object) -> str:
    return make_jwt({"sub": subject, "scope": "read", "exp": int(time.time()) + 600, **claims})


def phantom_for(token: str, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """The honest answer for ``token``: 200, application/jwt, ``sub = for-<token>``."""
    headers = [("Content-Type", "application/jwt"), *headers]
    return response(200, phantom_jwt(subject_for(token)), headers)


@dataclass(frozen=True)
class RawRequest:
    request_line: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    connection: int  # 1 for the first connection the server accepted, and so on

    @property
    def token(self) -> str:
        return parse_qs(self.body.decode("ascii"))["token"][0]


@dataclass
class ConnectionRecord:
    number: int
    opened: float
    closed: float | None = None  # when the client closed it (EOF), or the script ended
    requests: list[RawRequest] = field(default_factory=list)


class Peer:
    """The server's side of one connection, as a script sees it."""

    def __init__(self, sock: socket.socket, record: ConnectionRecord, server: RawServer) -> None:
        self.sock = sock
        self.record = record
        self.server = server
        self._buffer = b""

    def read_request(self, timeout: float = _READ_TIMEOUT_SECONDS) -> RawRequest | None:
        """The next request on this connection; None when the client closed it (or stop)."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self._buffer:
            if not self._receive(deadline):
                return None
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            if not self._receive(deadline):
                return None
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        request = RawRequest(request_line, headers, body, self.record.number)
        self.record.requests.append(request)
        self.server.requests.append(request)
        return request

    def _receive(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or self.server.stopping.is_set():
            return False
        self.sock.settimeout(min(remaining, 0.1))
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return True  # look at the deadline and the stop flag again
        except OSError:
            chunk = b""
        if not chunk:
            self.record.closed = time.monotonic()
            return False
        self._buffer += chunk
        return True

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def trickle(self, pieces: Iterable[bytes], interval: float) -> None:
        """Send each piece ``interval`` seconds after the last, until done or stopped."""
        for piece in pieces:
            if not self.pause(interval):
                return
            try:
                self.send(piece)
            except OSError:  # the client gave up: that is what these tests want to see
                return

    def pause(self, seconds: float) -> bool:
        """Wait, watching the connection; False when the client closed it or the server stops.

        Bytes the client sends meanwhile are kept for :meth:`read_request`.
        """
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self.server.stopping.is_set():
                return False
            readable, _, _ = select.select([self.sock], [], [], min(remaining, 0.02))
            if readable and not self._receive(time.monotonic() + 0.1):
                return False
        return True

    def wait_for_close(self, timeout: float = _READ_TIMEOUT_SECONDS) -> None:
        """Read and drop bytes until the client closes the connection (or the timeout)."""
        deadline = time.monotonic() + timeout
        while self._receive(deadline):
            self._buffer = b""

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class RawServer:
    """Serve ``script`` on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        script: Callable[[Peer], None],
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.script = script
        self.tls = tls
        self.requests: list[RawRequest] = []
        self.connections: list[ConnectionRecord] = []
        self.stopping = threading.Event()
        self.events: dict[str, threading.Event] = {}
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        assert self._listener is not None
        return int(self._listener.getsockname()[1])

    @property
    def endpoint(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{INTROSPECTION_PATH}"

    def wait_until_closed(self, timeout: float = _READ_TIMEOUT_SECONDS) -> None:
        """Wait until the server has seen every connection end (or the timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if all(record.closed is not None for record in self.connections):
                    return
            time.sleep(0.01)

    def event(self, name: str) -> threading.Event:
        with self._lock:
            return self.events.setdefault(name, threading.Event())

    def start(self) -> Self:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.05)
        self._listener = listener
        accept = threading.Thread(target=self._accept_loop, name="raw-accept", daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                record = ConnectionRecord(len(self.connections) + 1, time.monotonic())
                self.connections.append(record)
                self._sockets.append(sock)
            thread = threading.Thread(
                target=self._serve, args=(sock, record), name="raw-peer", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket, record: ConnectionRecord) -> None:
        try:
            if self.tls is not None:
                sock.settimeout(_READ_TIMEOUT_SECONDS)
                sock = self.tls.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._sockets.append(sock)
            self.script(Peer(sock, record, self))
        except OSError:
            pass  # the client went away or the test stopped the server
        finally:
            if record.closed is None:
                record.closed = time.monotonic()
            sock.close()

    def stop(self) -> None:
        self.stopping.set()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(_JOIN_TIMEOUT_SECONDS)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def honest(peer: Peer) -> None:
    """Answer every request on the connection with the phantom token for its token."""
    while (request := peer.read_request()) is not None:
        peer.send(phantom_for(request.token))


class TestCertificate:
    """A self-signed certificate for 127.0.0.1, and TLS contexts for both sides."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        from cryptography import x509  # noqa: PLC0415
        from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
        from cryptography.x509.oid import NameOID  # noqa: PLC0415

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)
        self._key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as directory:
            cert, key = Path(directory, "cert.pem"), Path(directory, "key.pem")
            cert.write_bytes(self.pem)
            key.write_bytes(self._key_pem)
            context.load_cert_chain(cert, key)
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cadata=self.pem.decode("ascii"))
        return context
