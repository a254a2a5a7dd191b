"""An upstream echo API on 127.0.0.1: answers every request with JSON of what it received.

The body is ``{"method", "path", "query", "headers", "body"}`` (header names lower-cased), so a
test can read the ``Authorization`` header that reached the API and decode the phantom token.
The last requests are also kept in :attr:`UpstreamEcho.received`.
"""

from __future__ import annotations

import threading
from typing import Any

from tests.support.http_server import LoopbackServer, QuietHandler, ServedApp

_KEEP = 100


class UpstreamEcho(ServedApp):
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(_EchoHandler, app=self)

    def record(self, echo: dict[str, Any]) -> None:
        with self._lock:
            self.received = [*self.received[-(_KEEP - 1) :], echo]


class _EchoHandler(QuietHandler):
    app: UpstreamEcho

    def _echo(self) -> None:
        path, query = self.split_path()
        echo = {
            "method": self.command,
            "path": path,
            "query": query,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": self.read_body().decode("utf-8", "replace"),
        }
        self.app.record(echo)
        self.send_json(200, echo)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _echo
