"""TLS servers for the benchmarks: an HTTPS loopback server and a TLS front for moto.

``trust(directory)`` writes the CA where ``SSL_CERT_FILE`` points, so that
``ssl.create_default_context()`` trusts it: the authorizer then uses its own default context
(the one it builds for https endpoints on Lambda), and the bare ``http.client`` side the same.
"""

from __future__ import annotations

import os
import select
import socket
import threading
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self

from tests.support.certificates import TestAuthority

if TYPE_CHECKING:
    import ssl
    from http.server import BaseHTTPRequestHandler
    from pathlib import Path

AUTHORITY = TestAuthority("phantom-token bench CA")


def trust(directory: Path) -> str:
    """Point SSL_CERT_FILE at the benchmarks' CA (for this process and its children)."""
    path = str(AUTHORITY.trust_file(directory))
    os.environ["SSL_CERT_FILE"] = path
    return path


class _TlsHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext) -> None:
        self.context = context
        self.app = None
        super().__init__(("127.0.0.1", 0), handler)

    def get_request(self) -> tuple[Any, Any]:
        connection, address = super().get_request()
        _no_delay(connection)
        return self.context.wrap_socket(connection, server_side=True), address


def _no_delay(connection: socket.socket) -> None:
    # A response written in two pieces (head, then body) would otherwise wait for the client's
    # delayed ACK of the first: 40 ms that no identity server answering in one segment pays.
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class HttpsServer:
    """``handler`` served over TLS on 127.0.0.1 with a certificate for that address."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = _TlsHttpServer(handler, AUTHORITY.server_context("127.0.0.1"))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class TlsFront:
    """Accepts TLS on 127.0.0.1 and relays the plain bytes to ``target_port`` (a moto server)."""

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._context = AUTHORITY.server_context("127.0.0.1")
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            client.settimeout(10)
            _no_delay(client)
            secure = self._context.wrap_socket(client, server_side=True)
            upstream = socket.create_connection(self._target, timeout=10)
            _no_delay(upstream)
        except OSError:
            client.close()
            return
        with secure, upstream:
            ends = {secure: upstream, upstream: secure}
            while not self._stopping.is_set():
                pending = secure.pending() > 0
                readable = [secure] if pending else select.select(list(ends), [], [], 0.5)[0]
                try:
                    for source in readable:
                        data = source.recv(65536)
                        if not data:
                            return
                        ends[source].sendall(data)
                except OSError:
                    return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._listener.close()
        self._thread.join(2)
