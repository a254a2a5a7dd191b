"""Introspection: request encoding, retries, Cache-Control and reading the answer."""

from __future__ import annotations

import base64
import http.client
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote_plus

import pytest

from phantom_token.errors import ClientRejectedError, IntrospectionError
from phantom_token.introspection import (
    HttpResponse,
    Introspection,
    basic_authorization,
    cache_directives,
    interpret,
    post_with_retries,
    request_body,
    request_headers,
)
from tests.support.jwts import b64url, make_jwt

if TYPE_CHECKING:
    from collections.abc import Mapping

NOW = 1_700_000_000.0
CLAIMS = {"sub": "alice", "scope": "read", "exp": NOW + 600}


def jws(header: bytes, payload: bytes) -> bytes:
    return f"{b64url(header)}.{b64url(payload)}.c2ln".encode()


def ok(body: bytes | str, content_type: str = "application/jwt", **headers: str) -> HttpResponse:
    data = body.encode() if isinstance(body, str) else body
    return HttpResponse(200, {"content-type": content_type, **headers}, data)


# ----- the request ------------------------------------------------------------------------


def test_basic_authorization_form_encodes_each_part_first() -> None:
    # GIVEN a client id and secret with characters that are special in forms and in Basic
    client_id, secret = "api gateway:1", "p@ss:w+rd/é%"
    # WHEN the Basic credentials are built
    header = basic_authorization(client_id, secret)
    # THEN each part was form-encoded before base64 (RFC 6749 2.3.1), so ":" splits them safely
    scheme, encoded = header.split(" ")
    pair = base64.b64decode(encoded).decode("ascii")
    assert scheme == "Basic"
    assert pair == "api+gateway%3A1:p%40ss%3Aw%2Brd%2F%C3%A9%25"
    raw_id, raw_secret = pair.split(":")
    assert (unquote_plus(raw_id), unquote_plus(raw_secret)) == (client_id, secret)


@pytest.mark.parametrize(
    ("token", "body"),
    [
        ("abc", b"token=abc"),
        ("a+b/c==", b"token=a%2Bb%2Fc%3D%3D"),
        ("a-._~", b"token=a-._~"),
    ],
)
def test_request_body_form_encodes_the_token(token: str, body: bytes) -> None:
    # GIVEN a b64token
    # WHEN the form body is built
    encoded = request_body(token)
    # THEN it is form-encoded, so "+" arrives as "+" after form decoding, not as a space
    assert encoded == body
    assert parse_qs(encoded.decode()) == {"token": [token]}


@pytest.mark.parametrize(
    ("mode", "accept"),
    [("jwt", "application/jwt"), ("rfc9701", "application/token-introspection+jwt")],
)
def test_request_headers(mode: Any, accept: str) -> None:
    # GIVEN a response mode
    # WHEN the request headers are built
    # THEN they ask for that media type and send a form with the credentials
    assert request_headers(mode, "Basic eA==") == {
        "Accept": accept,
        "Authorization": "Basic eA==",
        "Content-Type": "application/x-www-form-urlencoded",
    }


# ----- retries ----------------------------------------------------------------------------


class ScriptedTransport:
    """Answers each post with the next scripted response, or raises the scripted exception."""

    def __init__(self, *outcomes: HttpResponse | BaseException) -> None:
        self.outcomes = list(outcomes)
        self.timeouts: list[float] = []

    def post(self, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse:
        self.timeouts.append(timeout)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def status(code: int) -> HttpResponse:
    return HttpResponse(code, {}, b"")


def post(transport: ScriptedTransport, retries: int, time_left: float = 10.0) -> HttpResponse:
    return post_with_retries(
        transport, b"token=x", {}, timeout=3.0, retries=retries, time_left=lambda: time_left
    )


@pytest.mark.parametrize(
    "failure",
    [
        TimeoutError("timed out"),
        ConnectionRefusedError(),
        ConnectionResetError(),
        OSError("no route to host"),
        http.client.RemoteDisconnected("closed"),
        http.client.IncompleteRead(b""),
        status(502),
        status(503),
        status(504),
    ],
    ids=repr,
)
def test_retryable_failure_is_retried(failure: HttpResponse | BaseException) -> None:
    # GIVEN a transport that fails once, retryably, then answers 200
    transport = ScriptedTransport(failure, status(200))
    # WHEN posting with one retry
    response = post(transport, retries=1)
    # THEN the second attempt's answer comes back after exactly two attempts
    assert response.status == 200
    assert len(transport.timeouts) == 2


@pytest.mark.parametrize("code", [200, 204, 400, 401, 403, 404, 418, 429, 500, 501, 505])
def test_other_statuses_are_returned_without_retry(code: int) -> None:
    # GIVEN a transport that answers a status that is not 502/503/504
    transport = ScriptedTransport(status(code), status(200))
    # WHEN posting with retries allowed
    response = post(transport, retries=3)
    # THEN that answer is returned after one attempt
    assert response.status == code
    assert len(transport.timeouts) == 1


@pytest.mark.parametrize(
    ("retries", "failure", "problem"),
    [
        (0, TimeoutError(), "timed out"),
        (1, status(503), "status 503"),
        (3, ConnectionRefusedError(), "connection failed (ConnectionRefusedError)"),
    ],
)
def test_gives_up_after_one_plus_retries_attempts(
    retries: int, failure: HttpResponse | BaseException, problem: str
) -> None:
    # GIVEN a transport that always fails the same way
    transport = ScriptedTransport(*[failure] * 10)
    # WHEN posting
    with pytest.raises(IntrospectionError) as raised:
        post(transport, retries=retries)
    # THEN exactly 1 + retries attempts were made and the error says what went wrong
    assert len(transport.timeouts) == 1 + retries
    assert str(raised.value) == (
        f"identity server unavailable after {1 + retries} attempt(s): {problem}"
    )


def test_never_attempts_past_the_time_left() -> None:
    # GIVEN 2.5 s left, then 0.4 s, then none, and a transport that always times out
    budget = iter([2.5, 0.4, 0.0])
    transport = ScriptedTransport(*[TimeoutError()] * 5)
    # WHEN posting with three retries allowed
    with pytest.raises(IntrospectionError) as raised:
        post_with_retries(
            transport, b"", {}, timeout=1.0, retries=3, time_left=lambda: next(budget)
        )
    # THEN two attempts ran, each bounded by the smaller of its timeout and the time left
    assert transport.timeouts == [1.0, 0.4]
    assert str(raised.value) == "no time left for introspection after 2 attempt(s): timed out"


def test_no_attempt_without_time() -> None:
    # GIVEN no time left at all
    transport = ScriptedTransport(status(200))
    # WHEN posting
    with pytest.raises(IntrospectionError, match="after 0 attempt"):
        post(transport, retries=1, time_left=-0.1)
    # THEN the identity server was never called
    assert transport.timeouts == []


def test_unexpected_exceptions_are_not_swallowed() -> None:
    # GIVEN a transport with a programming error
    transport = ScriptedTransport(ValueError("bug"), status(200))
    # WHEN posting
    # THEN the error propagates at once (the authorizer turns it into a 500)
    with pytest.raises(ValueError, match="bug"):
        post(transport, retries=1)
    assert len(transport.timeouts) == 1


# ----- Cache-Control ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cache_control", "expected"),
    [
        (None, (None, False)),
        ("", (None, False)),
        ("max-age=60", (60, False)),
        ("public, MAX-AGE=120", (120, False)),
        ('max-age="30"', (30, False)),
        ("max-age = 30", (None, False)),
        ("max-age=-5", (0, False)),
        ("max-age=0", (0, False)),
        ("max-age=soon", (None, True)),
        ("no-store", (None, True)),
        ("No-Cache", (None, True)),
        ("max-age=60, no-store", (60, True)),
        ("private, s-maxage=60", (None, False)),
    ],
)
def test_cache_directives(cache_control: str | None, expected: tuple[int | None, bool]) -> None:
    # GIVEN a Cache-Control header (or none)
    headers = {} if cache_control is None else {"cache-control": cache_control}
    # WHEN the directives are read
    # THEN max-age and no-store come out as expected; unreadable freshness forbids reuse
    assert cache_directives(headers) == expected


# ----- reading the answer -----------------------------------------------------------------


def test_200_with_an_active_jwt() -> None:
    # GIVEN a 200 whose body is a JWT (with a trailing newline) and a Cache-Control header
    jwt = make_jwt(CLAIMS)
    response = ok(jwt + "\n", **{"cache-control": "max-age=60"})
    # WHEN it is interpreted
    result = interpret(response, "jwt", NOW)
    # THEN the JWT, its claims and the cache directives come back
    assert result == Introspection(jwt, CLAIMS, 60, False)


def test_explicit_active_true_in_jwt_mode() -> None:
    # GIVEN a JWT that says active: true explicitly
    claims = {**CLAIMS, "active": True}
    # WHEN it is interpreted
    result = interpret(ok(make_jwt(claims)), "jwt", NOW)
    # THEN it is active
    assert result is not None
    assert result.claims == claims


@pytest.mark.parametrize(
    "response",
    [
        HttpResponse(204, {}, b""),
        ok(json.dumps({"active": False}), "application/json"),
        ok(json.dumps({"active": False}), "Application/JSON; charset=utf-8"),
        ok(make_jwt({**CLAIMS, "active": False})),
        ok(make_jwt({**CLAIMS, "exp": NOW})),
        ok(make_jwt({**CLAIMS, "exp": NOW - 1})),
    ],
    ids=[
        "204",
        "json-inactive",
        "json-inactive-charset",
        "jwt-active-false",
        "exp-now",
        "exp-past",
    ],
)
def test_inactive_answers(response: HttpResponse) -> None:
    # GIVEN an answer that means the token is not active
    # WHEN it is interpreted
    # THEN there is no result (the authorizer answers 401)
    assert interpret(response, "jwt", NOW) is None


@pytest.mark.parametrize("code", [401, 403])
def test_client_rejected(code: int) -> None:
    # GIVEN the identity server refusing our client credentials
    # WHEN it is interpreted
    with pytest.raises(ClientRejectedError) as raised:
        interpret(HttpResponse(code, {}, b"denied"), "jwt", NOW)
    # THEN the error carries the status (401 triggers a secret refresh)
    assert raised.value.status == code


@pytest.mark.parametrize("code", [100, 201, 202, 206, 301, 302, 304, 400, 404, 418, 429, 500, 503])
def test_any_other_status_is_an_error(code: int) -> None:
    # GIVEN a status other than 200, 204, 401, 403, even with a JWT body
    response = HttpResponse(code, {"content-type": "application/jwt"}, make_jwt(CLAIMS).encode())
    # WHEN it is interpreted
    # THEN it is an error naming the status, never a result
    with pytest.raises(IntrospectionError, match=f"^identity server answered status {code}$"):
        interpret(response, "jwt", NOW)


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (ok(json.dumps({"active": True}), "application/json"), "answered JSON, not a JWT"),
        (ok("{not json", "application/json"), "answered JSON, not a JWT"),
        (ok(b"\xff\xfe", "application/json"), "answered JSON, not a JWT"),
        (ok(""), "not a compact JWS"),
        (ok("<html>oops</html>", "text/html"), "not a compact JWS"),
        (ok("a.b"), "not a compact JWS"),
        (ok("a.b.c.d"), "not a compact JWS"),
        (ok("a..c"), "not a compact JWS"),
        (ok("a b.c.d"), "not a compact JWS"),
        (ok("YQ==.YQ.YQ"), "not a compact JWS"),
        (ok("é.b.c".encode()), "not a compact JWS"),
        (ok(b"\xff.\xfe.\xfd"), "not a compact JWS"),
        (ok(jws(b'{"alg":"none"}', b'{"sub":"a"}')), "not a signed JWS"),
        (ok(jws(b'{"alg":"NONE"}', b'{"sub":"a"}')), "not a signed JWS"),
        (ok(jws(b'{"typ":"JWT"}', b'{"sub":"a"}')), "not a signed JWS"),
        (ok(jws(b'{"alg":5}', b'{"sub":"a"}')), "not a signed JWS"),
        (ok(jws(b"not json", b'{"sub":"a"}')), "JWS header is not base64url JSON"),
        (ok(jws(b'["HS256"]', b'{"sub":"a"}')), "JWS header is not a JSON object"),
        (ok(jws(b'{"alg":"HS256"}', b'["a"]')), "JWT payload is not a JSON object"),
        (ok(jws(b'{"alg":"HS256"}', b'"text"')), "JWT payload is not a JSON object"),
        (ok(jws(b'{"alg":"HS256"}', b"null")), "JWT payload is not a JSON object"),
        (ok(jws(b'{"alg":"HS256"}', b'{"sub":"\xff"}')), "JWT payload is not base64url JSON"),
        (ok(jws(b'{"alg":"HS256"}', b"{")), "JWT payload is not base64url JSON"),
        (ok("eyJhbGciOiJIUzI1NiJ9.A.c2ln"), "JWT payload is not base64url JSON"),
        (ok(make_jwt({**CLAIMS, "exp": "tomorrow"})), "'exp' is not a number"),
        (ok(make_jwt({**CLAIMS, "exp": True})), "'exp' is not a number"),
        (ok(make_jwt({**CLAIMS, "exp": float("nan")})), "'exp' is not a number"),
        (ok(make_jwt({**CLAIMS, "exp": float("inf")})), "'exp' is not a number"),
        (ok(make_jwt({**CLAIMS, "exp": 10**400})), "'exp' is not a number"),
        (ok(make_jwt({**CLAIMS, "exp": [NOW + 60]})), "'exp' is not a number"),
        (ok(make_jwt({**CLAIMS, "active": "true"})), "no boolean 'active'"),
        (ok(make_jwt({**CLAIMS, "active": 1})), "no boolean 'active'"),
        (ok(make_jwt({**CLAIMS, "active": None})), "no boolean 'active'"),
    ],
)
def test_untrustworthy_bodies_are_errors(response: HttpResponse, message: str) -> None:
    # GIVEN a 200 whose body is not an active JWT we can read
    # WHEN it is interpreted in jwt mode
    # THEN it is an error, never a result
    with pytest.raises(IntrospectionError, match=message):
        interpret(response, "jwt", NOW)


def test_utf8_payload_with_padding_restored() -> None:
    # GIVEN a payload with non-ASCII text whose base64url length needs padding restored
    claims = {"sub": "Zoë", "name": "Ærøskøbing", "exp": NOW + 60}
    # WHEN it is interpreted
    result = interpret(ok(make_jwt(claims)), "jwt", NOW)
    # THEN the claims are decoded as UTF-8
    assert result is not None
    assert result.claims == claims


def rfc9701(claims: dict[str, Any] | None, **outer: Any) -> HttpResponse:
    payload = dict(outer) if claims is None else {**outer, "token_introspection": claims}
    body = make_jwt({"iss": "https://login.example.com", **payload}, typ="token-introspection+jwt")
    return ok(body, "application/token-introspection+jwt")


def test_rfc9701_claims_come_from_token_introspection() -> None:
    # GIVEN an RFC 9701 response for an active token
    inner = {"active": True, **CLAIMS}
    response = rfc9701(inner)
    # WHEN it is interpreted in rfc9701 mode
    result = interpret(response, "rfc9701", NOW)
    # THEN the forwarded JWT is the response itself and the claims are the inner ones
    assert result == Introspection(response.body.decode(), inner, None, False)


@pytest.mark.parametrize(
    "response",
    [
        rfc9701({"active": False}),
        rfc9701({"active": True, **CLAIMS, "exp": NOW - 1}),
        HttpResponse(204, {}, b""),
    ],
    ids=["active-false", "expired", "204"],
)
def test_rfc9701_inactive(response: HttpResponse) -> None:
    # GIVEN an RFC 9701 answer for an inactive token
    # WHEN it is interpreted
    # THEN there is no result
    assert interpret(response, "rfc9701", NOW) is None


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (rfc9701(None, active=True, sub="alice"), "no token_introspection object"),
        (rfc9701(None, token_introspection="active"), "no token_introspection object"),
        (rfc9701(CLAIMS), "no boolean 'active'"),
        (rfc9701({"active": "yes", **CLAIMS}), "no boolean 'active'"),
    ],
    ids=["claims-outside", "not-an-object", "active-missing", "active-not-boolean"],
)
def test_rfc9701_errors(response: HttpResponse, message: str) -> None:
    # GIVEN an RFC 9701 answer without a usable token_introspection object
    # WHEN it is interpreted
    # THEN it is an error
    with pytest.raises(IntrospectionError, match=message):
        interpret(response, "rfc9701", NOW)


def test_outer_claims_do_not_count_in_rfc9701_mode() -> None:
    # GIVEN an RFC 9701 response whose outer payload says inactive but inner says active
    response = rfc9701({"active": True, "sub": "alice"}, active=False, exp=NOW - 100)
    # WHEN it is interpreted
    result = interpret(response, "rfc9701", NOW)
    # THEN only token_introspection decides
    assert result is not None
    assert result.claims == {"active": True, "sub": "alice"}
