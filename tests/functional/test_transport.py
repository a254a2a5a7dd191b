"""The kept-alive connection against an identity server that misbehaves byte by byte.

Every scenario runs the real handler against :class:`tests.functional.raw_server.RawServer` on
127.0.0.1. An honest answer carries ``sub = for-<token>``: an Allow whose principal is not
``for-<the token sent>`` would be another caller's answer, which must never happen.
"""

from __future__ import annotations

import json
import os
import ssl
import time
from typing import TYPE_CHECKING, Any

import pytest

from phantom_token import decision_log, handler, introspection
from phantom_token.authorizer import Authorizer
from phantom_token.client_secret import SecretProvider
from phantom_token.config import load_config
from phantom_token.errors import AuthorizerError, UnauthorizedError
from phantom_token.introspection import MAX_HEAD_BYTES, HttpTransport
from tests.functional.harness import GET_ORDERS, LambdaContext, invoke
from tests.functional.raw_server import (
    TestCertificate,
    honest,
    phantom_for,
    phantom_jwt,
    response,
    subject_for,
)
from tests.support.certificates import TestAuthority
from tests.support.emf import without_metrics

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.functional.harness import ShiftedClock
    from tests.functional.raw_server import Peer, RawServer

    StartServer = Callable[..., RawServer]

STALE_408 = response(408, headers=[("Connection", "close")], reason="Request Timeout")


def decisions(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The decision lines written so far, without their metrics and timing."""
    lines = [without_metrics(json.loads(line)) for line in capsys.readouterr().out.splitlines()]
    for line in lines:
        line.pop("identity_answer", None)
        line.pop("secret_read_ms", None)
        line.pop("introspection_ms", None)
        line.pop("request_id", None)
        line.pop("token_fingerprint", None)
    return lines


def allowed(token: str, cache: str = "miss") -> dict[str, Any]:
    return {
        "level": "INFO",
        "message": "authorizer decision",
        "outcome": "allow",
        "reason": "active",
        "principal": subject_for(token),
        "method_arn": GET_ORDERS,
        "cache": cache,
    }


def failed(reason: str, cache: str = "miss") -> dict[str, Any]:
    return {
        "level": "ERROR",
        "message": "authorizer decision",
        "outcome": "error",
        "reason": reason,
        "method_arn": GET_ORDERS,
        "cache": cache,
    }


def principal(token: str) -> str:
    return str(invoke(f"Bearer {token}")["principalId"])


def error_of(token: str, **kwargs: Any) -> str:
    with pytest.raises(AuthorizerError) as raised:
        invoke(f"Bearer {token}", **kwargs)
    assert not isinstance(raised.value, UnauthorizedError)
    return str(raised.value)


# ----- bytes that are not the answer to this request ---------------------------------------


def leftover_while_idle(peer: Peer) -> None:
    """Answer the first request, then, once idle, write another caller's answer unasked."""
    first = peer.read_request()
    if first is None or peer.record.number > 1:
        if first is not None:
            peer.send(phantom_for(first.token))
        honest(peer)
        return
    peer.send(phantom_for(first.token))
    peer.pause(0.2)
    peer.send(phantom_for("someone-else"))
    peer.server.event("leftover written").set()
    honest(peer)


def test_bytes_waiting_on_an_idle_connection_are_never_read_as_the_answer(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a server that, after answering token-a, writes another answer on the idle connection
    server = raw_server(leftover_while_idle)
    first = principal("token-a")
    assert server.event("leftover written").wait(5)
    # WHEN token-b comes next
    second = principal("token-b")
    # THEN token-b got its own answer, asked on a new connection: the leftover was discarded
    assert (first, second) == ("for-token-a", "for-token-b")
    assert [(r.token, r.connection) for r in server.requests] == [("token-a", 1), ("token-b", 2)]
    assert decisions(capsys) == [allowed("token-a"), allowed("token-b")]


def answer_then(extra: Callable[[str], bytes]) -> Callable[[Peer], None]:
    """First connection: answer the first request with ``extra(token)`` in one write."""

    def script(peer: Peer) -> None:
        first = peer.read_request()
        if first is None:
            return
        if peer.record.number == 1:
            peer.send(extra(first.token))
        else:
            peer.send(phantom_for(first.token))
        honest(peer)

    return script


UNEXPECTED = "identity server sent bytes after its response"


@pytest.mark.parametrize(
    "extra",
    [
        lambda token: response(204, reason="No Content", content_length=False)
        + phantom_for("someone-else"),
        lambda token: response(204, reason="No Content", content_length=False) + b"junk",
        lambda token: phantom_for(token) + phantom_for("someone-else"),
        lambda token: phantom_for(token) + b"\r\n",
    ],
    ids=["204-with-an-answer", "204-with-junk", "answer-past-length", "crlf-past-length"],
)
def test_bytes_after_a_response_fail_that_call_and_the_connection(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str], extra: Callable[[str], bytes]
) -> None:
    # GIVEN a server whose first answer is followed by more bytes than the response holds
    server = raw_server(answer_then(extra))
    # WHEN token-a, then token-b are introspected
    message = error_of("token-a")
    second = principal("token-b")
    # THEN token-a failed closed (its framing cannot be trusted), and token-b got its own
    # answer on a new connection: the extra bytes were never read as an answer
    assert message == UNEXPECTED
    assert second == "for-token-b"
    assert [(r.token, r.connection) for r in server.requests] == [("token-a", 1), ("token-b", 2)]
    assert decisions(capsys) == [failed(UNEXPECTED), allowed("token-b")]


# ----- 408: the server timed out the idle connection ---------------------------------------


def stale_after_first(*, while_idle: bool) -> Callable[[Peer], None]:
    def script(peer: Peer) -> None:
        if peer.record.number > 1:
            honest(peer)
            return
        first = peer.read_request()
        if first is None:
            return
        peer.send(phantom_for(first.token))
        if while_idle:
            peer.pause(0.2)
        elif peer.read_request() is None:
            return
        peer.send(STALE_408)
        peer.server.event("408 written").set()
        peer.close()

    return script


@pytest.mark.parametrize("while_idle", [True, False], ids=["while-idle", "to-the-request"])
def test_408_on_a_reused_connection_reconnects_without_spending_a_retry(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str], while_idle: bool
) -> None:
    # GIVEN no retries, and a server that writes 408 and closes the kept-alive connection,
    # while it is idle or in answer to the next request
    server = raw_server(stale_after_first(while_idle=while_idle), INTROSPECTION_RETRIES="0")
    first = principal("token-a")
    if while_idle:
        assert server.event("408 written").wait(5)
    # WHEN token-b comes next
    second = principal("token-b")
    # THEN token-b was asked again on a new connection and got its own answer
    assert (first, second) == ("for-token-a", "for-token-b")
    expected = [("token-a", 1), ("token-b", 2)]
    if not while_idle:
        expected.insert(1, ("token-b", 1))
    assert [(r.token, r.connection) for r in server.requests] == expected
    assert decisions(capsys) == [allowed("token-a"), allowed("token-b")]


def test_408_on_a_new_connection_is_an_error(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a server that answers 408 on a connection that was just opened
    def script(peer: Peer) -> None:
        if peer.read_request() is not None:
            peer.send(STALE_408)

    server = raw_server(script, INTROSPECTION_RETRIES="1")
    # WHEN a token is introspected
    message = error_of("token-a")
    # THEN the 408 is the answer: an error, not a reconnect loop
    assert message == "identity server answered status 408"
    assert len(server.requests) == 1
    assert decisions(capsys) == [failed(message)]


# ----- deadlines: each attempt in total, the decision within the Lambda's time ---------------


def trickled_headers(peer: Peer) -> None:
    if peer.read_request() is None:
        return
    peer.send(b"HTTP/1.1 200 OK\r\n")
    peer.trickle((f"X-Pad-{n}: {n}\r\n".encode() for n in range(40)), interval=0.5)


def trickled_body(peer: Peer) -> None:
    if (request := peer.read_request()) is None:
        return
    answer = phantom_for(request.token)
    head, _, body = answer.partition(b"\r\n\r\n")
    peer.send(head + b"\r\n\r\n")
    peer.trickle((body[i : i + 1] for i in range(len(body))), interval=0.3)


def never_answers(peer: Peer) -> None:
    if peer.read_request() is not None:
        peer.wait_for_close(timeout=30)


@pytest.mark.parametrize(
    "script", [trickled_headers, trickled_body, never_answers], ids=lambda s: s.__name__
)
def test_each_attempt_ends_within_its_timeout_and_the_decision_within_the_lambda_time(
    raw_server: StartServer,
    capsys: pytest.CaptureFixture[str],
    script: Callable[[Peer], None],
) -> None:
    # GIVEN a server that never completes an answer, a 1 s timeout, 3 retries and 3 s left
    server = raw_server(script, INTROSPECTION_TIMEOUT_SECONDS="1", INTROSPECTION_RETRIES="3")
    started = time.monotonic()
    # WHEN a token is introspected
    message = error_of("token-a", context=LambdaContext(remaining_ms=3000))
    elapsed = time.monotonic() - started
    # THEN it failed closed before the Lambda's time ran out (3 s less the 0.2 s margin)
    assert elapsed < 2.8 + 0.3
    assert message.startswith("no time left for introspection after ")
    assert message.endswith(" attempt(s): timed out")
    # AND no attempt (one connection each) outlived its 1 s timeout
    server.wait_until_closed()
    durations = [c.closed - c.opened for c in server.connections if c.closed is not None]
    assert len(durations) == len(server.connections) >= 2
    assert max(durations) < 1.0 + 0.3
    assert decisions(capsys) == [failed(message)]


# ----- Retry-After -------------------------------------------------------------------------


def busy_once(retry_after: str) -> Callable[[Peer], None]:
    def script(peer: Peer) -> None:
        request = peer.read_request()
        if request is None:
            return
        if not peer.server.event("busy sent").is_set():
            peer.server.event("busy sent").set()
            peer.send(response(503, "busy", [("Retry-After", retry_after)], reason="Busy"))
            request = peer.read_request()
            if request is None:
                return
        peer.send(phantom_for(request.token))
        honest(peer)

    return script


def test_retry_after_that_fits_before_the_deadline_is_honoured(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a server that answers 503 with Retry-After: 1 once, one retry and 10 s left
    server = raw_server(busy_once("1"), INTROSPECTION_RETRIES="1")
    started = time.monotonic()
    # WHEN a token is introspected
    subject = principal("token-a")
    elapsed = time.monotonic() - started
    # THEN the retry waited the second the server asked for, and succeeded
    assert subject == "for-token-a"
    assert elapsed >= 1.0
    assert len(server.requests) == 2
    assert decisions(capsys) == [allowed("token-a")]


def test_retry_after_past_the_deadline_fails_at_once(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a server that answers 503 with Retry-After: 30, three retries, 3 s left
    server = raw_server(busy_once("30"), INTROSPECTION_RETRIES="3")
    started = time.monotonic()
    # WHEN a token is introspected
    message = error_of("token-a", context=LambdaContext(remaining_ms=3000))
    elapsed = time.monotonic() - started
    # THEN it failed closed at once instead of sleeping or retrying too early
    assert message == (
        "identity server unavailable after 1 attempt(s): status 503, "
        "Retry-After 30 s is past the deadline"
    )
    assert elapsed < 1.0
    assert len(server.requests) == 1
    assert decisions(capsys) == [failed(message)]


def test_a_retry_after_of_thousands_of_digits_is_ignored(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a server that answers 503 once with a Retry-After past Python's int-string limit
    server = raw_server(busy_once("1" + "0" * 5000), INTROSPECTION_RETRIES="1")
    # WHEN a token is introspected
    subject = principal("token-a")
    # THEN the Retry-After was ignored (no "internal error (ValueError)"): the retry waited the
    # jittered backoff and succeeded
    assert subject == "for-token-a"
    assert len(server.requests) == 2
    assert decisions(capsys) == [allowed("token-a")]


# ----- repeated and conflicting headers ----------------------------------------------------


def answering_with(headers: list[tuple[str, str]], *, content_length: bool = True) -> Any:
    """An honest server whose answers carry exactly these header lines."""

    def script(peer: Peer) -> None:
        while (request := peer.read_request()) is not None:
            body = phantom_jwt(subject_for(request.token))
            peer.send(response(200, body, headers, content_length=content_length))

    return script


@pytest.mark.parametrize(
    "cache_control",
    [["no-store", "max-age=300"], ["max-age=300", "no-store"], ["max-age=300", "no-cache"]],
    ids=["no-store-first", "no-store-last", "no-cache-last"],
)
def test_the_most_restrictive_of_several_cache_control_headers_wins(
    raw_server: StartServer, cache_control: list[str]
) -> None:
    # GIVEN answers with two Cache-Control header lines, one of which forbids storing
    headers = [("Content-Type", "application/jwt")]
    headers += [("Cache-Control", value) for value in cache_control]
    server = raw_server(answering_with(headers))
    # WHEN the same token is used twice
    answers = [principal("token-a"), principal("token-a")]
    # THEN both were allowed and the server was asked both times: nothing was cached
    assert answers == ["for-token-a"] * 2
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("content_types", "outcome"),
    [
        (["application/jwt", "text/html"], "error"),
        (["text/html", "application/jwt"], "error"),
        (["application/jwt", "application/token-introspection+jwt"], "error"),
        (["application/jwt", "application/jwt"], "allow"),
    ],
)
def test_two_content_types_are_ambiguous(
    raw_server: StartServer,
    capsys: pytest.CaptureFixture[str],
    content_types: list[str],
    outcome: str,
) -> None:
    # GIVEN answers with two Content-Type header lines
    raw_server(answering_with([("Content-Type", value) for value in content_types]))
    # WHEN a token is introspected
    # THEN two different types are an error naming them; the same type twice is one type
    if outcome == "allow":
        assert principal("token-a") == "for-token-a"
        assert decisions(capsys) == [allowed("token-a")]
        return
    message = error_of("token-a")
    joined = ", ".join(content_types)
    assert message == (
        f"identity server answered Content-Type '{joined}'; "
        "INTROSPECTION_RESPONSE=jwt expects application/jwt"
    )
    assert decisions(capsys) == [failed(message)]


def hostile_content_type(length: int) -> str:
    """A malformed Content-Type that made a nested pattern backtrack: 2**n steps for n ";"."""
    value = "application/jwt" + " ;" * ((length - 17) // 2)
    return value + " x" + "x" * (length - len(value) - 2)


@pytest.mark.parametrize("length", [61, 1000, MAX_HEAD_BYTES - 100])
def test_a_hostile_content_type_is_refused_inside_the_deadline_at_any_length(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str], length: int
) -> None:
    # GIVEN an identity server whose answers carry a malformed Content-Type of this length
    # (up to the header cap), and 1.5 s left in the Lambda
    value = hostile_content_type(length)
    assert len(value) == length
    raw_server(answering_with([("Content-Type", value)]))
    started = time.monotonic()
    # WHEN a token is introspected
    message = error_of("token-a", context=LambdaContext(remaining_ms=1500))
    elapsed = time.monotonic() - started
    # THEN the answer is refused as of another type, long before the deadline (1.3 s away)
    shown = value if length <= 100 else value[:100] + "..."
    assert message == (
        f"identity server answered Content-Type '{shown}'; "
        "INTROSPECTION_RESPONSE=jwt expects application/jwt"
    )
    assert elapsed < 0.5
    assert decisions(capsys) == [failed(message)]


def conflicting_lengths(delta: int) -> Callable[[Peer], None]:
    def script(peer: Peer) -> None:
        while (request := peer.read_request()) is not None:
            body = phantom_jwt(subject_for(request.token)).encode()
            headers = [
                ("Content-Type", "application/jwt"),
                ("Content-Length", str(len(body))),
                ("Content-Length", str(len(body) + delta)),
            ]
            peer.send(response(200, body + b"x" * max(delta, 0), headers, content_length=False))

    return script


@pytest.mark.parametrize("delta", [-10, 5, 0])
def test_conflicting_content_lengths_are_never_allowed(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str], delta: int
) -> None:
    # GIVEN answers with two Content-Length header lines (equal when delta is 0)
    raw_server(conflicting_lengths(delta))
    # WHEN a token is introspected
    # THEN two different lengths are an error; the same length twice is that length
    if delta == 0:
        assert principal("token-a") == "for-token-a"
        return
    message = error_of("token-a")
    assert message == "introspection response has conflicting Content-Length values"
    assert decisions(capsys) == [failed(message)]


def test_a_content_length_of_thousands_of_digits_is_an_invalid_content_length(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN answers whose Content-Length is the body's length after 4999 leading zeros
    def script(peer: Peer) -> None:
        while (request := peer.read_request()) is not None:
            body = phantom_jwt(subject_for(request.token)).encode()
            headers = [
                ("Content-Type", "application/jwt"),
                ("Content-Length", "0" * 4999 + str(len(body))),
            ]
            peer.send(response(200, body, headers, content_length=False))

    raw_server(script)
    # WHEN a token is introspected
    message = error_of("token-a")
    # THEN an error naming the header, not "internal error (ValueError)"
    assert message == "introspection response has an invalid Content-Length"
    assert decisions(capsys) == [failed(message)]


def answering_with_a_head_of(size: int) -> Callable[[Peer], None]:
    """Honest answers whose head (status line to CRLF CRLF) is exactly ``size`` bytes."""

    def script(peer: Peer) -> None:
        while (request := peer.read_request()) is not None:
            body = phantom_jwt(subject_for(request.token)).encode()
            headers = [("Content-Type", "application/jwt"), ("Content-Length", str(len(body)))]
            unpadded = response(200, b"", [*headers, ("X-Pad", "")], content_length=False)
            padding = ("X-Pad", "x" * (size - len(unpadded)))
            peer.send(response(200, body, [*headers, padding], content_length=False))

    return script


@pytest.mark.parametrize(
    ("size", "outcome"), [(MAX_HEAD_BYTES, "allow"), (MAX_HEAD_BYTES + 1, "error")]
)
def test_a_head_of_64_kib_is_read_and_one_byte_more_is_not(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str], size: int, outcome: str
) -> None:
    # GIVEN answers whose head, its closing CRLF CRLF included, is 64 KiB or a byte more
    raw_server(answering_with_a_head_of(size))
    # WHEN a token is introspected
    # THEN 64 KiB is an answer; a byte more is an error, not an answer
    if outcome == "allow":
        assert principal("token-a") == "for-token-a"
        assert decisions(capsys) == [allowed("token-a")]
        return
    message = error_of("token-a")
    assert message == "introspection response headers are larger than 64 KiB"
    assert decisions(capsys) == [failed(message)]


# ----- TLS ---------------------------------------------------------------------------------


def test_trickled_tls_handshake_ends_within_the_timeout(
    raw_server: StartServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN an https endpoint whose server starts a TLS record and then sends a byte at a time
    def script(peer: Peer) -> None:
        peer.send(b"\x16\x03\x03\x40\x00")
        peer.trickle((b"\x00" for _ in range(60)), interval=0.2)

    server = raw_server(script)
    handler_env(
        INTROSPECTION_ENDPOINT=server.endpoint.replace("http://", "https://"),
        INTROSPECTION_TIMEOUT_SECONDS="1",
        INTROSPECTION_RETRIES="0",
    )
    started = time.monotonic()
    # WHEN a token is introspected
    message = error_of("token-a")
    # THEN the handshake counted against the attempt's 1 s in total
    assert time.monotonic() - started < 1.0 + 0.5
    assert message == "identity server unavailable after 1 attempt(s): timed out"


REFUSED_CERTIFICATE = "identity server unavailable after 1 attempt(s): connection failed " + (
    "(SSLCertVerificationError)"
)


@pytest.fixture
def default_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Lambda builds its default TLS context afresh, from the trust store of this test."""
    monkeypatch.setattr(introspection, "_tls_context", None)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("default_tls_context")
def test_the_default_tls_context_refuses_a_certificate_nobody_trusts(
    raw_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an https identity server with a self-signed certificate for its address, and the
    # authorizer the handler builds (no TLS context of the test's: the Lambda's default)
    server = raw_server(honest, tls=TestCertificate().server_context())
    assert server.endpoint.startswith("https://127.0.0.1:")
    # WHEN a token is introspected
    message = error_of("token-a")
    # THEN the handshake failed verification: an error, and no request was ever sent
    assert message == REFUSED_CERTIFICATE
    assert server.requests == []
    assert handler._authorizer is not None
    assert handler._authorizer._transport._tls_context is None  # type: ignore[attr-defined]
    context = introspection._tls_context
    assert context is not None
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["identity_answer"] == "unreachable"


@pytest.mark.usefixtures("default_tls_context")
@pytest.mark.parametrize(
    ("certified", "outcome"),
    [("localhost", "for-token-a"), ("login.example.com", REFUSED_CERTIFICATE)],
    ids=["right-name", "another-name"],
)
def test_the_default_tls_context_refuses_a_certificate_for_another_host(
    raw_server: StartServer,
    handler_env: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    certified: str,
    outcome: str,
) -> None:
    # GIVEN a CA the default context trusts (through SSL_CERT_FILE, as it trusts the system
    # store), and an identity server at https://localhost presenting a certificate that CA
    # issued for this name
    authority = TestAuthority()
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.trust_file(tmp_path)))
    server = raw_server(honest, tls=authority.server_context(certified))
    handler_env(INTROSPECTION_ENDPOINT=f"https://localhost:{server.port}/introspect")
    # WHEN a token is introspected
    try:
        result = principal("token-a")
    except AuthorizerError as exc:
        result = str(exc)
    # THEN the certificate for localhost is accepted, and one for another host is refused
    # before any request is sent
    assert result == outcome
    assert len(server.requests) == (1 if outcome == "for-token-a" else 0)


@pytest.mark.parametrize(
    ("script", "first_outcome"),
    [
        (honest, "for-token-a"),
        (leftover_while_idle, "for-token-a"),
        (answer_then(lambda token: phantom_for(token) + phantom_for("someone-else")), UNEXPECTED),
    ],
    ids=["honest", "leftover-while-idle", "answer-past-length"],
)
def test_tls_connection_with_unread_bytes_is_discarded(
    raw_server: StartServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    script: Callable[[Peer], None],
    first_outcome: str,
) -> None:
    # GIVEN an https identity server with a certificate the authorizer trusts
    certificate = TestCertificate()
    server = raw_server(script, tls=certificate.server_context())
    config = load_config(os.environ)
    decision_log.configure(config.log_level)
    handler._authorizer = Authorizer(
        config,
        HttpTransport(config.endpoint, certificate.client_context()),
        SecretProvider(config.secret),
    )
    # WHEN token-a, then (once anything unasked was written) token-b are introspected
    try:
        first = principal("token-a")
    except AuthorizerError as exc:
        first = str(exc)
    server.event("leftover written").wait(5 if script is leftover_while_idle else 0)
    second = principal("token-b")
    # THEN no answer was read from bytes nobody asked for
    assert (first, second) == (first_outcome, "for-token-b")
    connections = [r.connection for r in server.requests]
    assert connections == ([1, 1] if script is honest else [1, 2])
    assert server.endpoint.startswith("https://")
    lines = decisions(capsys)
    assert lines[1] == allowed("token-b")


@pytest.mark.parametrize("max_ages", [["max-age=300", "max-age=60"], ["max-age=60", "max-age=300"]])
def test_the_smallest_of_several_max_ages_wins(
    raw_server: StartServer, clock: Callable[..., ShiftedClock], max_ages: list[str]
) -> None:
    # GIVEN answers with two Cache-Control lines, max-age 300 and 60 in either order
    headers = [("Content-Type", "application/jwt")]
    headers += [("Cache-Control", value) for value in max_ages]
    server = raw_server(answering_with(headers))
    shifted = clock(INTROSPECTION_ENDPOINT=server.endpoint)
    principal("token-a")
    # WHEN the token is used 59 s later, then 61 s later
    shifted.advance(59)
    principal("token-a")
    asked_by_then = len(server.requests)
    shifted.advance(2)
    principal("token-a")
    # THEN the entry lived 60 s, not 300
    assert (asked_by_then, len(server.requests)) == (1, 2)
