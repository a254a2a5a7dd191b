"""The functional layer's harness: a scriptable identity server and a way to call the handler.

:class:`IdentityServer` is an HTTP server on 127.0.0.1 (``tests.support.http_server``) that
answers each introspection request with the next scripted :class:`Reply` (or its ``default``)
and records what it received. :func:`invoke` calls ``phantom_token.handler.lambda_handler``
the way Lambda does. The fixtures that start and configure them are in ``conftest.py``.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote_plus

from phantom_token import handler
from tests.support.events import token_event
from tests.support.http_server import LoopbackServer, QuietHandler
from tests.support.jwts import make_jwt

if TYPE_CHECKING:
    from phantom_token.policy import AuthorizerResponse

INTROSPECTION_PATH = "/oauth/v2/oauth-introspect"
CLIENT_ID = "api gateway:authorizer"
CLIENT_SECRET = "s3cr+t/with:odd&chars"
API = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
STAGE = f"{API}/live/*"
GET_ORDERS = f"{API}/live/GET/orders"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    client_port: int  # one per TCP connection

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("ascii"), keep_blank_values=True)

    @property
    def basic_credentials(self) -> tuple[str, str]:
        """(client id, secret) of the Basic header, each form-decoded (RFC 6749 2.3.1)."""
        scheme, _, encoded = self.headers["authorization"].partition(" ")
        assert scheme == "Basic"
        client_id, _, secret = base64.b64decode(encoded).decode("ascii").partition(":")
        return unquote_plus(client_id), unquote_plus(secret)


def jwt_reply(claims: dict[str, Any], **headers: str) -> Reply:
    """200 with a phantom token whose claims these are (``exp`` ten minutes ahead by default)."""
    body = make_jwt({"exp": int(time.time()) + 600, **claims})
    return Reply(200, body, {"Content-Type": "application/jwt", **headers})


class IdentityServer:
    """Scripted introspection endpoint; see the module docstring."""

    def __init__(self) -> None:
        self.default = Reply(500, "no reply scripted")
        self.accepted_secret: str | None = None  # when set, other Basic secrets get a 401
        self.received: list[Received] = []
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.server = LoopbackServer(_IdentityHandler, app=self)

    @property
    def endpoint(self) -> str:
        return f"{self.server.url}{INTROSPECTION_PATH}"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def answer(self, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            if self.accepted_secret is not None:
                if request.basic_credentials[1] != self.accepted_secret:
                    return Reply(401, '{"error":"invalid_client"}')
            return self._replies.pop(0) if self._replies else self.default

    def sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def stop(self) -> None:
        self._stopping.set()
        self.server.stop()


class _IdentityHandler(QuietHandler):
    app: IdentityServer

    def do_POST(self) -> None:
        received = Received(
            self.command,
            self.path,
            {name.lower(): value for name, value in self.headers.items()},
            self.read_body(),
            int(self.client_address[1]),
        )
        reply = self.app.answer(received)
        self.app.sleep(reply.delay)
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        try:
            self.send(reply.status, body, reply.headers)
        except OSError:  # the client gave up (timeout) or the test stopped the server
            self.close_connection = True


class LambdaContext:
    """The two attributes of the Lambda context object the handler reads."""

    def __init__(self, remaining_ms: int = 10_000, request_id: str = "req-1") -> None:
        self.aws_request_id = request_id
        self._deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def invoke(
    authorization: str | None = "Bearer opaque-token",
    method_arn: str = GET_ORDERS,
    *,
    event: dict[str, Any] | None = None,
    context: LambdaContext | None = None,
) -> AuthorizerResponse:
    """Call the real handler with a TOKEN event (or the given event)."""
    return handler.lambda_handler(
        event if event is not None else token_event(authorization, method_arn),
        context or LambdaContext(),
    )


class ShiftedClock:
    """Wall and monotonic clocks that a test moves forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def wall(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset
