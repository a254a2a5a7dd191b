"""A fake Curity Identity Server on 127.0.0.1: just the endpoints the phantom token flow uses.

- ``POST /oauth/v2/oauth-token``: ``grant_type=client_credentials`` with client authentication
  (HTTP Basic, each part form-encoded, or ``client_id``/``client_secret`` in the form). Issues an
  opaque random token with the requested scopes (all the client's scopes when none is asked for).
- ``POST /oauth/v2/oauth-introspect``: with ``Accept: application/jwt`` an active token gets 200,
  the phantom token (a JWT signed HS256 with :attr:`FakeCurity.signing_key`) as the body and
  ``Cache-Control: max-age=<seconds>``; an inactive, unknown, expired or revoked token gets 204.
  With ``Accept: application/json`` it answers RFC 7662 JSON. A bad client gets 401.
- ``POST /oauth/v2/oauth-revoke``: revokes a token (RFC 7009: 200 whatever the token was).
- ``GET /oauth/v2/oauth-anonymous/jwks``: the key that verifies the phantom tokens, as a JWK
  set, so that an API (the example's Lambda backend) verifies them as it would Curity's. The
  key is symmetric ("oct", HS256): a test-only shortcut, since a real server publishes only
  public keys.

Switches for failure tests: :meth:`FakeCurity.fail` (introspection answers 500),
:meth:`FakeCurity.hang` (introspection sleeps past any sane timeout), :meth:`FakeCurity.down`
(listener and open connections closed: connection refused), :meth:`FakeCurity.recover`.
Counters (every introspection request received, whatever the answer):
:attr:`FakeCurity.introspection_calls` and per token :meth:`introspections_of`.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from tests.support.http_server import LoopbackServer, QuietHandler, ServedApp
from tests.support.jwts import make_jwt

TOKEN_PATH = "/oauth/v2/oauth-token"
INTROSPECTION_PATH = "/oauth/v2/oauth-introspect"
REVOCATION_PATH = "/oauth/v2/oauth-revoke"
ISSUER_PATH = "/oauth/v2/oauth-anonymous"
JWKS_PATH = f"{ISSUER_PATH}/jwks"
SIGNING_KEY_ID = "fake-curity-hs256"


class Mode(Enum):
    UP = "up"
    FAIL = "fail"
    HANG = "hang"
    DOWN = "down"


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    scopes: frozenset[str] = frozenset()


@dataclass
class Token:
    value: str
    client_id: str
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    max_age: int | None = None  # Cache-Control max-age of its introspection; None: lifetime
    jti: str = field(default_factory=lambda: secrets.token_hex(8))
    revoked: bool = False


class FakeCurity(ServedApp):
    """State and switches of the fake identity server; ``start()`` serves it on 127.0.0.1."""

    def __init__(self, token_lifetime_seconds: int = 900, max_age_seconds: int | None = None):
        self.token_lifetime_seconds = token_lifetime_seconds
        # Cache-Control max-age of the introspection responses of tokens issued from now on;
        # None: the token's remaining lifetime.
        self.max_age_seconds = max_age_seconds
        self.signing_key = secrets.token_bytes(32)
        self.hang_seconds = 30.0
        self.mode = Mode.UP
        self._clients: dict[str, Client] = {}
        self._tokens: dict[str, Token] = {}
        self._introspections: dict[str, int] = {}
        self._lock = threading.Lock()
        self._unhang = threading.Event()
        self._server = LoopbackServer(_CurityHandler, app=self)

    # ----- lifecycle -------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return f"{self.url}{ISSUER_PATH}"

    @property
    def token_endpoint(self) -> str:
        return f"{self.url}{TOKEN_PATH}"

    @property
    def introspection_endpoint(self) -> str:
        return f"{self.url}{INTROSPECTION_PATH}"

    @property
    def revocation_endpoint(self) -> str:
        return f"{self.url}{REVOCATION_PATH}"

    @property
    def jwks_uri(self) -> str:
        return f"{self.url}{JWKS_PATH}"

    def jwks(self) -> dict[str, Any]:
        key = base64.urlsafe_b64encode(self.signing_key).rstrip(b"=").decode("ascii")
        return {"keys": [{"kty": "oct", "kid": SIGNING_KEY_ID, "alg": "HS256", "k": key}]}

    def stop(self) -> None:
        self._unhang.set()
        super().stop()

    # ----- switches --------------------------------------------------------------------------

    def fail(self) -> None:
        self.recover()
        self.mode = Mode.FAIL

    def hang(self, seconds: float = 30.0) -> None:
        self.recover()
        self.hang_seconds = seconds
        self._unhang.clear()
        self.mode = Mode.HANG

    def down(self) -> None:
        self.recover()
        self.mode = Mode.DOWN
        self._server.drop()

    def recover(self) -> None:
        self._unhang.set()
        if self.mode is Mode.DOWN:
            self._server.restart()
        self.mode = Mode.UP

    # ----- clients and tokens ----------------------------------------------------------------

    def add_client(self, client_id: str, scopes: str = "", secret: str | None = None) -> Client:
        client = Client(client_id, secret or secrets.token_urlsafe(24), frozenset(scopes.split()))
        self._clients[client_id] = client
        return client

    def issue_token(self, client_id: str, scopes: str | None = None) -> Token:
        client = self._clients[client_id]
        granted = tuple(sorted(client.scopes if scopes is None else set(scopes.split())))
        now = int(time.time())
        token = Token(
            value=secrets.token_urlsafe(32),
            client_id=client_id,
            scopes=granted,
            issued_at=now,
            expires_at=now + self.token_lifetime_seconds,
            max_age=self.max_age_seconds,
        )
        with self._lock:
            self._tokens[token.value] = token
        return token

    def revoke(self, token_value: str) -> None:
        with self._lock:
            token = self._tokens.get(token_value)
            if token is not None:
                token.revoked = True

    def sensitive_values(self) -> list[str]:
        """Every token issued and every client secret: what no log may ever contain."""
        with self._lock:
            tokens = list(self._tokens)
        return tokens + [client.secret for client in self._clients.values()]

    @property
    def introspection_calls(self) -> int:
        with self._lock:
            return sum(self._introspections.values())

    def introspections_of(self, token_value: str) -> int:
        with self._lock:
            return self._introspections.get(token_value, 0)

    def authenticate(self, authorization: str | None, form: dict[str, str]) -> Client | None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except ValueError:
                return None
            raw_id, _, raw_secret = decoded.partition(":")
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        client = self._clients.get(client_id or "")
        if client is None or not hmac.compare_digest(client.secret, secret or ""):
            return None
        return client

    def count_introspection(self, token_value: str) -> None:
        with self._lock:
            self._introspections[token_value] = self._introspections.get(token_value, 0) + 1

    def active_token(self, token_value: str) -> Token | None:
        with self._lock:
            token = self._tokens.get(token_value)
        if token is None or token.revoked or token.expires_at <= time.time():
            return None
        return token

    def claims(self, token: Token, audience: str) -> dict[str, Any]:
        return {
            "iss": self.issuer,
            "sub": token.client_id,
            "aud": audience,
            "client_id": token.client_id,
            "scope": " ".join(token.scopes),
            "iat": token.issued_at,
            "nbf": token.issued_at,
            "exp": token.expires_at,
            "jti": token.jti,
            "purpose": "access_token",
        }

    def max_age(self, token: Token) -> int:
        remaining = max(0, token.expires_at - int(time.time()))
        return remaining if token.max_age is None else min(remaining, token.max_age)

    def wait_while_hanging(self) -> None:
        self._unhang.wait(self.hang_seconds)


class _CurityHandler(QuietHandler):
    app: FakeCurity

    def do_GET(self) -> None:
        path, _ = self.split_path()
        if path == JWKS_PATH:
            self.send_json(200, self.app.jwks())
        else:
            self.send_json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        path, _ = self.split_path()
        form = dict(parse_qsl(self.read_body().decode("utf-8", "replace"), keep_blank_values=True))
        if path == TOKEN_PATH:
            self._token(form)
        elif path == INTROSPECTION_PATH:
            self._introspect(form)
        elif path == REVOCATION_PATH:
            self._revoke(form)
        else:
            self.send_json(404, {"error": "not_found"})

    def _client(self, form: dict[str, str]) -> Client | None:
        client = self.app.authenticate(self.headers.get("Authorization"), form)
        if client is None:
            self.send_json(
                401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="fake-curity"'}
            )
        return client

    def _token(self, form: dict[str, str]) -> None:
        client = self._client(form)
        if client is None:
            return
        if form.get("grant_type") != "client_credentials":
            self.send_json(400, {"error": "unsupported_grant_type"})
            return
        requested = form.get("scope")
        if requested is not None and not set(requested.split()) <= client.scopes:
            self.send_json(400, {"error": "invalid_scope"})
            return
        token = self.app.issue_token(client.client_id, requested)
        self.send_json(
            200,
            {
                "access_token": token.value,
                "token_type": "bearer",
                "expires_in": token.expires_at - token.issued_at,
                "scope": " ".join(token.scopes),
            },
            {"Cache-Control": "no-store"},
        )

    def _introspect(self, form: dict[str, str]) -> None:
        app = self.app
        app.count_introspection(form.get("token", ""))
        if app.mode is Mode.FAIL:
            self.send_json(500, {"error": "server_error"})
            return
        if app.mode is Mode.HANG:
            app.wait_while_hanging()
        client = self._client(form)
        if client is None:
            return
        token = app.active_token(form.get("token", ""))
        wants_jwt = "application/jwt" in (self.headers.get("Accept") or "")
        if token is None:
            if wants_jwt:
                self.send(204)
            else:
                self.send_json(200, {"active": False})
            return
        claims = app.claims(token, audience=client.client_id)
        cache = {"Cache-Control": f"max-age={app.max_age(token)}"}
        if wants_jwt:
            jwt = make_jwt(claims, key=app.signing_key, kid=SIGNING_KEY_ID).encode("ascii")
            self.send(200, jwt, cache, content_type="application/jwt")
        else:
            self.send_json(200, {"active": True, **claims}, cache)

    def _revoke(self, form: dict[str, str]) -> None:
        if self._client(form) is None:
            return
        self.app.revoke(form.get("token", ""))
        self.send(200)
