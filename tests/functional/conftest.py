"""Fixtures of the functional layer: the real handler against a scriptable identity server.

``identity`` starts a :class:`tests.functional.harness.IdentityServer` and stops it after the
test; ``handler_env`` points the handler at it through the environment; ``raw_server`` starts a
misbehaving :class:`tests.functional.raw_server.RawServer` instead and points the handler at
it; ``clock`` lets a test move the authorizer's clocks; ``aws`` sets fake credentials for moto.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import pytest

from phantom_token import decision_log, handler
from phantom_token.authorizer import Authorizer
from phantom_token.cache import TtlLruCache
from phantom_token.client_secret import SecretProvider, fetch_secret
from phantom_token.config import load_config
from phantom_token.introspection import HttpTransport
from tests.functional.harness import CLIENT_ID, CLIENT_SECRET, IdentityServer, ShiftedClock
from tests.functional.raw_server import RawServer
from tests.support.emf import record_lines, validate_decision_lines

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Iterator

    from phantom_token.config import SecretSource
    from tests.functional.raw_server import Peer


@pytest.fixture(autouse=True)
def emf_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every decision line the test makes the function write; each must be valid EMF."""
    lines = record_lines(monkeypatch)
    yield lines
    validate_decision_lines(lines)


@pytest.fixture
def identity() -> Iterator[IdentityServer]:
    server = IdentityServer()
    server.server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def fresh_handler() -> Iterator[None]:
    """A cold container for every test: no authorizer yet, decision log on this test's stdout."""
    logger = logging.getLogger("phantom_token")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    logger.handlers.clear()
    handler._authorizer = None
    try:
        yield
    finally:
        if handler._authorizer is not None:
            handler._authorizer._transport.close()  # type: ignore[attr-defined]
        handler._authorizer = None
        logger.handlers[:] = saved[0]
        logger.propagate, logger.level = saved[1], saved[2]


@pytest.fixture
def handler_env(monkeypatch: pytest.MonkeyPatch, identity: IdentityServer) -> Callable[..., None]:
    """``handler_env(REQUIRED_SCOPES="read")``: the handler's environment for this test."""
    names = (
        "INTROSPECTION_ENDPOINT CLIENT_ID CLIENT_SECRET CLIENT_SECRET_ARN CLIENT_SECRET_PARAMETER "
        "INTROSPECTION_RESPONSE REQUIRED_SCOPES ROUTE_SCOPES POLICY_RESOURCE CONTEXT_CLAIMS "
        "CACHE_TTL_SECONDS CACHE_MAX_ENTRIES CACHE_MAX_BYTES AWS_LAMBDA_FUNCTION_MEMORY_SIZE "
        "INTROSPECTION_TIMEOUT_SECONDS INTROSPECTION_RETRIES LOG_LEVEL METRICS_NAMESPACE "
        "AWS_LAMBDA_FUNCTION_NAME"
    ).split()
    for name in names:
        monkeypatch.delenv(name, raising=False)

    def configure(**variables: str) -> None:
        defaults = {
            "INTROSPECTION_ENDPOINT": identity.endpoint,
            "CLIENT_ID": CLIENT_ID,
            "INTROSPECTION_TIMEOUT_SECONDS": "2",
            "INTROSPECTION_RETRIES": "0",
        }
        if {"CLIENT_SECRET_ARN", "CLIENT_SECRET_PARAMETER"} & variables.keys():
            monkeypatch.delenv("CLIENT_SECRET", raising=False)
        else:
            defaults["CLIENT_SECRET"] = CLIENT_SECRET
        for name, value in {**defaults, **variables}.items():
            monkeypatch.setenv(name, value)

    configure()
    return configure


@pytest.fixture
def clock(handler_env: Callable[..., None]) -> Callable[..., ShiftedClock]:
    """``clock(**variables)``: install the handler's authorizer with clocks the test moves.

    The authorizer is the one the handler would build from the environment, except that its
    wall clock (token expiry), its cache's clock and its secret's re-read clock are shifted;
    deadlines keep real time. ``fetch`` replaces how the secret is read.
    """

    def install(
        *, fetch: Callable[[SecretSource, float | None], str] = fetch_secret, **variables: str
    ) -> ShiftedClock:
        handler_env(**variables)
        shifted = ShiftedClock()
        config = load_config(os.environ)
        decision_log.configure(config.log_level, config.metrics_namespace, config.function_name)
        authorizer = Authorizer(
            config,
            HttpTransport(config.endpoint),
            SecretProvider(config.secret, fetch, clock=shifted.monotonic),
            wall_clock=shifted.wall,
        )
        authorizer.cache = TtlLruCache(
            config.cache_max_entries, config.cache_max_bytes, shifted.monotonic
        )
        handler._authorizer = authorizer
        return shifted

    return install


@pytest.fixture
def raw_server(handler_env: Callable[..., None]) -> Iterator[Callable[..., RawServer]]:
    """``raw_server(script, tls=None, **variables)``: serve ``script``, point the handler at it."""
    servers: list[RawServer] = []

    def start(
        script: Callable[[Peer], None], *, tls: ssl.SSLContext | None = None, **variables: str
    ) -> RawServer:
        server = RawServer(script, tls).start()
        servers.append(server)
        handler_env(INTROSPECTION_ENDPOINT=server.endpoint, **variables)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region, so boto3 under moto never looks for real ones."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
