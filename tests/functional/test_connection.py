"""The connection to the identity server: timeouts, refusals, dropped keep-alive, retries."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

import pytest

from phantom_token.errors import AuthorizerError
from tests.functional.harness import LambdaContext, Reply, invoke, jwt_reply

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.functional.harness import IdentityServer

ALICE = {"sub": "alice", "scope": "read"}


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def timed_error(**kwargs: object) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(AuthorizerError) as raised:
        invoke(**kwargs)  # type: ignore[arg-type]
    return str(raised.value), time.monotonic() - started


@pytest.mark.parametrize(("retries", "attempts"), [("0", 1), ("1", 2)])
def test_slow_identity_server_times_out(
    identity: IdentityServer, handler_env: Callable[..., None], retries: str, attempts: int
) -> None:
    # GIVEN a server that answers only after 5 s, and a 0.3 s timeout per attempt
    handler_env(INTROSPECTION_TIMEOUT_SECONDS="0.3", INTROSPECTION_RETRIES=retries)
    identity.default = Reply(200, "late", delay=5)
    # WHEN the handler runs
    message, elapsed = timed_error()
    # THEN it fails after each attempt timed out, well before the server would have answered
    assert message == f"identity server unavailable after {attempts} attempt(s): timed out"
    assert len(identity.received) == attempts
    assert 0.3 * attempts <= elapsed < 0.3 * attempts + 1.0


def test_retries_stop_at_the_lambda_deadline(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a hanging server, 3 retries of 1 s each, but only 1.5 s left in the invocation
    handler_env(INTROSPECTION_TIMEOUT_SECONDS="1", INTROSPECTION_RETRIES="3")
    identity.default = Reply(200, "late", delay=5)
    # WHEN the handler runs
    message, elapsed = timed_error(context=LambdaContext(remaining_ms=1500))
    # THEN the second attempt only got what was left before the deadline (1.5 s less the
    # handler's 0.2 s margin), and there was no third: it gave up after 1.3 s, not 4 s
    assert message == "no time left for introspection after 2 attempt(s): timed out"
    assert len(identity.received) == 2
    assert 1.25 <= elapsed < 2.0


@pytest.mark.parametrize(("retries", "attempts"), [("0", 1), ("2", 3)])
def test_connection_refused_is_an_error(
    handler_env: Callable[..., None], retries: str, attempts: int
) -> None:
    # GIVEN an endpoint where nothing listens
    handler_env(
        INTROSPECTION_ENDPOINT=f"http://127.0.0.1:{closed_port()}/introspect",
        INTROSPECTION_RETRIES=retries,
    )
    # WHEN the handler runs
    message, elapsed = timed_error()
    # THEN it is an error after every attempt was refused, quickly
    assert message == (
        f"identity server unavailable after {attempts} attempt(s): "
        "connection failed (ConnectionRefusedError)"
    )
    assert elapsed < 1


def test_dropped_keep_alive_connection_is_reopened_once(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a first call served over a kept-alive connection, and no retries configured
    identity.script(jwt_reply(ALICE), jwt_reply({"sub": "bob"}))
    first = invoke("Bearer first-token")
    # WHEN the server closes every connection and listens again, then a second call comes
    identity.server.drop()
    identity.server.restart()
    second = invoke("Bearer second-token")
    # THEN the second call succeeds on a new connection, one request per call
    assert (first["principalId"], second["principalId"]) == ("alice", "bob")
    assert [r.form["token"] for r in identity.received] == [["first-token"], ["second-token"]]
    assert identity.received[0].client_port != identity.received[1].client_port


def test_connection_is_kept_alive_across_invocations(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a server that answers three introspections
    identity.script(*[jwt_reply(ALICE) for _ in range(3)])
    # WHEN the handler runs three times for three tokens
    for n in range(3):
        invoke(f"Bearer token-{n}")
    # THEN one TCP connection carried them all
    assert len(identity.received) == 3
    assert len({request.client_port for request in identity.received}) == 1


def test_server_down_then_back(identity: IdentityServer, handler_env: Callable[..., None]) -> None:
    # GIVEN a server that went down after one call
    identity.script(jwt_reply(ALICE), jwt_reply(ALICE))
    invoke("Bearer first-token")
    identity.server.drop()
    # WHEN a call comes while it is down, then another once it is back
    message, _ = timed_error(authorization="Bearer second-token")
    identity.server.restart()
    recovered = invoke("Bearer third-token")
    # THEN the first is an error and the second is allowed
    assert message.startswith("identity server unavailable after 1 attempt(s): connection failed")
    assert recovered["principalId"] == "alice"


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried(
    identity: IdentityServer, handler_env: Callable[..., None], status: int
) -> None:
    # GIVEN a server that answers a gateway error once, then the phantom token
    handler_env(INTROSPECTION_RETRIES="1")
    identity.script(Reply(status, "busy"), jwt_reply(ALICE))
    # WHEN the handler runs
    response = invoke()
    # THEN it is allowed after exactly two requests
    assert response["principalId"] == "alice"
    assert len(identity.received) == 2


def test_gateway_errors_beyond_the_retries_are_an_error(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a server that answers 503 three times, and two retries
    handler_env(INTROSPECTION_RETRIES="2")
    identity.script(Reply(503), Reply(503), Reply(503), jwt_reply(ALICE))
    # WHEN the handler runs
    message, _ = timed_error()
    # THEN it gave up after three requests
    assert message == "identity server unavailable after 3 attempt(s): status 503"
    assert len(identity.received) == 3


def test_500_is_not_retried(identity: IdentityServer, handler_env: Callable[..., None]) -> None:
    # GIVEN a server that answers 500 once, then the phantom token, and retries allowed
    handler_env(INTROSPECTION_RETRIES="3")
    identity.script(Reply(500, "boom"), jwt_reply(ALICE))
    # WHEN the handler runs
    message, _ = timed_error()
    # THEN the 500 is final
    assert message == "identity server answered status 500"
    assert len(identity.received) == 1


def test_connection_close_from_the_server_is_honoured(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a server that closes the connection after each answer
    identity.script(
        jwt_reply(ALICE, Connection="close"), jwt_reply({"sub": "bob"}, Connection="close")
    )
    # WHEN the handler runs twice
    first, second = invoke("Bearer one"), invoke("Bearer two")
    # THEN both succeed without a retry, each on its own connection
    assert (first["principalId"], second["principalId"]) == ("alice", "bob")
    assert len({request.client_port for request in identity.received}) == 2
