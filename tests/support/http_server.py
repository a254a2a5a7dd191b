"""The small HTTP plumbing shared by the test servers (fake Curity, upstream echo, gateway,
the functional layer's identity server, the benchmarks).

Each server binds 127.0.0.1 on a free port, serves HTTP/1.1 with keep-alive from a background
thread, and is stopped by whoever started it::

    class MyApp(ServedApp):
        def __init__(self) -> None:
            self._server = LoopbackServer(MyHandler, app=self)

    with MyApp() as app:  # handlers reach the app as self.app
        requests.get(f"{app.url}/path")

    with LoopbackServer(MyHandler) as server:  # or the server alone
        requests.get(f"{server.url}/path")

``drop()`` closes the listener *and* every open connection, so a client holding a kept-alive
connection sees the server go away (``restart()`` binds the same port again).
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from types import TracebackType

_STOP_TIMEOUT_SECONDS = 5.0


class _TrackingServer(ThreadingHTTPServer):
    """A threading server that knows its open connections, so it can drop them."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], app: Any):
        self.app = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (a timed-out authorizer, a dropped connection) is expected
        # in these tests; anything else still gets the standard report.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
            self.connections.clear()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()


class LoopbackServer:
    """Serve ``handler`` on 127.0.0.1 in a background thread; ``app`` is ``handler.server.app``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], app: Any = None, port: int = 0):
        self._handler = handler
        self._app = app
        self._port = port
        self._server: _TrackingServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            msg = "server not started"
            raise RuntimeError(msg)
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> LoopbackServer:
        server = _TrackingServer(("127.0.0.1", self._port), self._handler, self._app)
        self._port = int(server.server_address[1])  # a restart binds the same port
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self._handler.__name__}:{self._port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def drop(self) -> None:
        """Stop listening and close every open connection (the server is 'down')."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if thread is not None:
            thread.join(_STOP_TIMEOUT_SECONDS)

    def restart(self) -> None:
        """Listen again on the same port after ``drop()``."""
        if self._server is None:
            self.start()

    stop = drop

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ServedApp:
    """Base of the test servers: ``self._server`` serves the app; start/stop/``with``."""

    _server: LoopbackServer

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler with helpers; no access log on stderr."""

    protocol_version = "HTTP/1.1"
    server: _TrackingServer

    @property
    def app(self) -> Any:
        return self.server.app

    def log_message(self, format: str, *args: Any) -> None:
        return

    def split_path(self) -> tuple[str, list[tuple[str, str]]]:
        parts = urlsplit(self.path)
        return parts.path, parse_qsl(parts.query, keep_blank_values=True)

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
        content_type: str | None = None,
    ) -> None:
        self.send_response(status)
        items = headers.items() if isinstance(headers, dict) else headers or []
        for name, value in items:
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, sort_keys=True).encode()
        self.send(status, body, headers, content_type="application/json")
