"""Introspection: request encoding, retries, Cache-Control and reading the answer."""

from __future__ import annotations

import base64
import itertools
import json
import re
import ssl
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote_plus

import pytest

from phantom_token.errors import ClientRejectedError, IntrospectionError
from phantom_token.introspection import (
    MAX_HEAD_BYTES,
    ConnectionClosedError,
    HttpResponse,
    IncompleteResponseError,
    Introspection,
    ResponseReader,
    backoff_seconds,
    basic_authorization,
    cache_directives,
    interpret,
    media_type,
    parse_head,
    post_with_retries,
    read_response,
    request_body,
    request_headers,
    retry_after_seconds,
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


class Clock:
    """The time left before a deadline, moved by attempts and pauses instead of by waiting."""

    def __init__(self, left: float) -> None:
        self.now = 0.0
        self.deadline = left
        self.pauses: list[float] = []

    def time_left(self) -> float:
        return self.deadline - self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


class ScriptedTransport:
    """Answers each post with the next scripted response, or raises the scripted exception.

    A timeout uses up the attempt's whole timeout on the clock; anything else takes 10 ms.
    """

    def __init__(self, *outcomes: HttpResponse | BaseException, clock: Clock | None = None):
        self.outcomes = list(outcomes)
        self.timeouts: list[float] = []
        self.clock = clock or Clock(10.0)

    def post(self, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse:
        self.timeouts.append(timeout)
        outcome = self.outcomes.pop(0)
        self.clock.now += timeout if isinstance(outcome, TimeoutError) else 0.01
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def status(code: int, **headers: str) -> HttpResponse:
    return HttpResponse(code, headers, b"")


def post(transport: ScriptedTransport, retries: int) -> HttpResponse:
    clock = transport.clock
    return post_with_retries(
        transport,
        b"token=x",
        {},
        timeout=3.0,
        retries=retries,
        time_left=clock.time_left,
        sleep=clock.sleep,
        jitter=lambda: 0.5,
    )


@pytest.mark.parametrize(
    "failure",
    [
        TimeoutError("timed out"),
        ConnectionRefusedError(),
        ConnectionResetError(),
        OSError("no route to host"),
        ConnectionClosedError("closed"),
        IncompleteResponseError("closed mid-response"),
        ssl.SSLError("handshake failure"),
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
    # THEN the second attempt's answer comes back after exactly two attempts and one backoff
    assert response.status == 200
    assert len(transport.timeouts) == 2
    assert transport.clock.pauses == pytest.approx([0.075])


@pytest.mark.parametrize("code", [200, 204, 400, 401, 403, 404, 408, 418, 429, 500, 501, 505])
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
        (2, IncompleteResponseError(), "connection failed (IncompleteResponseError)"),
    ],
)
def test_gives_up_after_one_plus_retries_attempts(
    retries: int, failure: HttpResponse | BaseException, problem: str
) -> None:
    # GIVEN a transport that always fails the same way, quickly
    transport = ScriptedTransport(*[failure] * 10, clock=Clock(100.0))
    # WHEN posting
    with pytest.raises(IntrospectionError) as raised:
        post(transport, retries=retries)
    # THEN exactly 1 + retries attempts were made and the error says what went wrong
    assert len(transport.timeouts) == 1 + retries
    assert str(raised.value) == (
        f"identity server unavailable after {1 + retries} attempt(s): {problem}"
    )


@pytest.mark.parametrize(
    ("retry", "jitter", "pause"),
    [
        (1, 0.0, 0.05),
        (1, 0.5, 0.075),
        (1, 0.9999, 0.099995),
        (2, 0.0, 0.1),
        (2, 0.9999, 0.19999),
        (3, 0.0, 0.2),
        (3, 0.5, 0.3),
    ],
)
def test_backoff_doubles_with_equal_jitter(retry: int, jitter: float, pause: float) -> None:
    # GIVEN the retry's number and a jitter fraction
    # WHEN the pause is computed
    # THEN it lies between half and all of 0.1 s * 2**(retry - 1)
    assert backoff_seconds(retry, lambda: jitter) == pytest.approx(pause)


def test_default_jitter_spreads_the_pauses() -> None:
    # GIVEN the default jitter
    # WHEN many first-retry pauses are drawn
    pauses = [backoff_seconds(1) for _ in range(200)]
    # THEN each lies in [0.05 s, 0.1 s) and they are not all alike
    assert all(0.05 <= p < 0.1 for p in pauses)
    assert len(set(pauses)) > 20


def test_never_attempts_or_pauses_past_the_time_left() -> None:
    # GIVEN 2.5 s left, a 1 s timeout, a transport that always times out, pauses of half the
    # backoff ceiling (0.05 s, 0.1 s, 0.2 s)
    clock = Clock(2.5)
    transport = ScriptedTransport(*[TimeoutError()] * 5, clock=clock)
    # WHEN posting with three retries allowed
    with pytest.raises(IntrospectionError) as raised:
        post_with_retries(
            transport,
            b"",
            {},
            timeout=1.0,
            retries=3,
            time_left=clock.time_left,
            sleep=clock.sleep,
            jitter=lambda: 0.0,
        )
    # THEN three attempts ran, each bounded by the smaller of its timeout and the time left,
    # and there was no fourth: its pause would not have left 0.1 s for it
    assert transport.timeouts == pytest.approx([1.0, 1.0, 0.35])
    assert clock.pauses == pytest.approx([0.05, 0.1])
    assert clock.now == pytest.approx(2.5)
    assert str(raised.value) == "no time left for introspection after 3 attempt(s): timed out"


def test_no_attempt_without_time() -> None:
    # GIVEN no time left at all
    transport = ScriptedTransport(status(200), clock=Clock(-0.1))
    # WHEN posting
    with pytest.raises(IntrospectionError, match="after 0 attempt"):
        post(transport, retries=1)
    # THEN the identity server was never called
    assert transport.timeouts == []


@pytest.mark.parametrize(
    ("retry_after", "left", "pauses", "attempts"),
    [
        ("2", 10.0, [2.0], 2),
        ("0", 10.0, [0.0], 2),
        (" 3 ", 3.2, [3.0], 2),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 10.0, [0.075], 2),
        ("soon", 10.0, [0.075], 2),
    ],
    ids=["fits", "zero", "just-fits", "http-date-ignored", "junk-ignored"],
)
def test_retry_after_is_honoured_when_it_fits(
    retry_after: str, left: float, pauses: list[float], attempts: int
) -> None:
    # GIVEN a 503 with this Retry-After, then a 200, and this much time left
    clock = Clock(left)
    transport = ScriptedTransport(status(503, **{"retry-after": retry_after}), status(200))
    transport.clock = clock
    # WHEN posting with one retry
    response = post(transport, retries=1)
    # THEN the retry waited what the server asked (seconds form only, else the backoff)
    assert response.status == 200
    assert clock.pauses == pytest.approx(pauses)
    assert len(transport.timeouts) == attempts


@pytest.mark.parametrize(("retry_after", "left"), [("2", 2.0), ("3", 3.0), ("86400", 25.0)])
def test_retry_after_past_the_deadline_fails_at_once(retry_after: str, left: float) -> None:
    # GIVEN a 503 whose Retry-After leaves less than 0.1 s for the retry before the deadline
    clock = Clock(left)
    transport = ScriptedTransport(status(503, **{"retry-after": retry_after}), status(200))
    transport.clock = clock
    # WHEN posting with retries allowed
    with pytest.raises(IntrospectionError) as raised:
        post(transport, retries=3)
    # THEN it fails at once: no pause, no early retry
    assert str(raised.value) == (
        f"identity server unavailable after 1 attempt(s): status 503, "
        f"Retry-After {int(retry_after)} s is past the deadline"
    )
    assert clock.pauses == []
    assert len(transport.timeouts) == 1


def test_retry_after_on_the_last_attempt_is_not_waited_for() -> None:
    # GIVEN 503 with Retry-After twice, and one retry
    transport = ScriptedTransport(*[status(503, **{"retry-after": "1"})] * 2)
    # WHEN posting
    with pytest.raises(IntrospectionError) as raised:
        post(transport, retries=1)
    # THEN it waited once, between the two attempts, and not after the last
    assert transport.clock.pauses == [1]
    assert str(raised.value) == "identity server unavailable after 2 attempt(s): status 503"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("5", 5),
        (" 5 ", 5),
        ("0", 0),
        ("-1", None),
        ("1.5", None),
        ("+5", None),
        ("1_0", None),
        ("\u0663", None),
        ("1, 2", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        # past 19 digits a number is no delay anyone means: ignored, never a ValueError from
        # Python's int-string limit (4300 digits)
        ("9" * 19, 9_999_999_999_999_999_999),
        ("1" * 20, None),
        pytest.param("1" + "0" * 5000, None, id="5001-digits"),
    ],
)
def test_retry_after_seconds(value: str | None, seconds: int | None) -> None:
    # GIVEN a Retry-After value
    # WHEN it is read
    # THEN only the delay-seconds form (digits) counts
    assert retry_after_seconds(value) == seconds


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
        # whitespace around the name and the value does not hide a max-age
        ("max-age = 30", (30, False)),
        ("max-age = 0", (0, False)),
        ("max-age =0", (0, False)),
        ("max-age= 0", (0, False)),
        (" max-age=0 ", (0, False)),
        ("max-age=0", (0, False)),
        # a max-age whose value is not delta-seconds (digits only) forbids reuse
        ("max-age", (None, True)),
        ("max-age=", (None, True)),
        ('max-age=""', (None, True)),
        ('max-age="30', (None, True)),
        ('max-age=30"', (None, True)),
        ("max-age=3 0", (None, True)),
        ("max-age=" + "9" * 19, (9_999_999_999_999_999_999, False)),
        ("max-age=" + "1" * 20, (None, True)),
        pytest.param("max-age=1" + "0" * 5000, (None, True), id="max-age-5001-digits"),
        pytest.param(
            "max-age=60, max-age=1" + "0" * 5000, (60, True), id="max-age-60-and-5001-digits"
        ),
        ("max-age=-5", (None, True)),
        ("max-age=+5", (None, True)),
        ("max-age=1_0", (None, True)),
        ("max-age=1.5", (None, True)),
        ("max-age=soon", (None, True)),
        ("no-store", (None, True)),
        ("No-Cache", (None, True)),
        ("max-age=60, no-store", (60, True)),
        ("private, s-maxage=60", (None, False)),
        # several Cache-Control lines arrive joined with ", ": the most restrictive wins
        ("no-store, max-age=300", (300, True)),
        ("max-age=300, no-cache", (300, True)),
        ("max-age=300, max-age=60", (60, False)),
        ("max-age=60, max-age=300", (60, False)),
        ("max-age=60, max-age=x", (60, True)),
    ],
)
def test_cache_directives(cache_control: str | None, expected: tuple[int | None, bool]) -> None:
    # GIVEN a Cache-Control header (or none)
    headers = {} if cache_control is None else {"cache-control": cache_control}
    # WHEN the directives are read
    # THEN the smallest max-age and no-store come out; unreadable freshness forbids reuse
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
        (ok(""), "not a compact JWS"),
        (ok("<html>oops</html>"), "not a compact JWS"),
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


JWT_EXPECTED = "INTROSPECTION_RESPONSE=jwt expects application/jwt"
ACTIVE = make_jwt(CLAIMS)


@pytest.mark.parametrize(
    ("content_type", "body", "shown"),
    [
        ("application/json", json.dumps({"active": True}), "'application/json'"),
        ("application/json", "{not json", "'application/json'"),
        ("application/json", b"\xff\xfe", "'application/json'"),
        ("application/json", json.dumps([{"active": False}]), "'application/json'"),
        ("text/html", "<html>oops</html>", "'text/html'"),
        ("application/token-introspection+jwt", ACTIVE, "'application/token-introspection+jwt'"),
        ("application/jwt, text/html", ACTIVE, "'application/jwt, text/html'"),
        ("application/jwt; q", ACTIVE, "'application/jwt; q'"),
        ("application/jwt; a=b, text/html", ACTIVE, "'application/jwt; a=b, text/html'"),
        ("x" * 150, ACTIVE, f"'{'x' * 100}...'"),
    ],
)
def test_a_body_of_another_type_is_an_error_naming_it(
    content_type: str, body: str | bytes, shown: str
) -> None:
    # GIVEN a 200 whose Content-Type is not the jwt mode's (even with a usable JWT body)
    data = body.encode() if isinstance(body, str) else body
    response = HttpResponse(200, {"content-type": content_type}, data)
    # WHEN it is interpreted in jwt mode
    with pytest.raises(IntrospectionError) as raised:
        interpret(response, "jwt", NOW)
    # THEN it is an error that names what came (at most 100 characters) and what was expected
    assert str(raised.value) == f"identity server answered Content-Type {shown}; {JWT_EXPECTED}"


def test_a_body_without_a_type_is_an_error() -> None:
    # GIVEN a 200 with an active JWT but no Content-Type
    response = HttpResponse(200, {}, ACTIVE.encode())
    # WHEN it is interpreted in jwt mode
    with pytest.raises(IntrospectionError) as raised:
        interpret(response, "jwt", NOW)
    # THEN it is an error, never a result
    assert str(raised.value) == f"identity server answered no Content-Type; {JWT_EXPECTED}"


@pytest.mark.parametrize(
    ("value", "media"),
    [
        (None, None),
        ("", None),
        ("application/jwt", "application/jwt"),
        ("Application/JWT", "application/jwt"),
        (" application/jwt ", "application/jwt"),
        ("application/jwt;charset=utf-8", "application/jwt"),
        ('application/jwt ; charset=UTF-8 ; x="a;b,c"', "application/jwt"),
        ("application/jwt;", "application/jwt"),
        ("application/jwt, text/html", None),
        ("application/jwt; charset=utf-8, text/html", None),
        ("application/jwt; charset", None),
        ('application/jwt; x="open', None),
        ("application", None),
        ("application/", None),
        ("application/jwt/x", None),
        ("appli cation/jwt", None),
        ("application/jwt;; ;\t; charset=utf-8 ;", "application/jwt"),
        ('application/jwt; x="a\\"; b"; y=z', "application/jwt"),
        ("application/jwt; a=b c", None),
        ("application/jwt; a=b;c", None),
        ("application/jwt" + " ;" * 22 + " x", None),  # took seconds with one nested pattern
    ],
)
def test_media_type(value: str | None, media: str | None) -> None:
    # GIVEN a Content-Type value
    # WHEN its media type is read
    # THEN a single type/subtype with well-formed parameters comes out, anything else None
    assert media_type(value) == media


def test_utf8_payload_with_padding_restored() -> None:
    # GIVEN a payload with non-ASCII text whose base64url length needs padding restored
    claims = {"sub": "Zoë", "name": "Ærøskøbing", "exp": NOW + 60}
    # WHEN it is interpreted
    result = interpret(ok(make_jwt(claims)), "jwt", NOW)
    # THEN the claims are decoded as UTF-8
    assert result is not None
    assert result.claims == claims


@pytest.mark.parametrize(
    "content_type",
    ["application/token-introspection+jwt", "APPLICATION/Token-Introspection+JWT; charset=utf-8"],
)
def test_rfc9701_media_type_in_any_case_with_parameters(content_type: str) -> None:
    # GIVEN an RFC 9701 answer with this spelling of its media type
    body = make_jwt({"token_introspection": {"active": True, **CLAIMS}})
    response = HttpResponse(200, {"content-type": content_type}, body.encode())
    # WHEN it is interpreted in rfc9701 mode
    # THEN it is read
    assert interpret(response, "rfc9701", NOW) is not None


@pytest.mark.parametrize("content_type", ["application/jwt", "application/json", None])
def test_rfc9701_mode_refuses_other_types(content_type: str | None) -> None:
    # GIVEN an active RFC 9701 body sent with another (or no) Content-Type
    body = make_jwt({"token_introspection": {"active": True, **CLAIMS}})
    headers = {} if content_type is None else {"content-type": content_type}
    # WHEN it is interpreted in rfc9701 mode
    # THEN it is an error naming the expected type
    with pytest.raises(IntrospectionError, match="rfc9701 expects application/token-intro"):
        interpret(HttpResponse(200, headers, body.encode()), "rfc9701", NOW)


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


# ----- reading a response off the connection -----------------------------------------------


class FakeSocket:
    """Hands out the scripted chunks one read at a time, then the server's close (b"")."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)
        self.timeouts: list[float] = []

    def settimeout(self, timeout: float) -> None:
        self.timeouts.append(timeout)

    def recv(self, size: int) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


def read(*chunks: bytes, deadline: float | None = None) -> tuple[HttpResponse, bool, bytes]:
    """(response, connection ends, bytes left over) read from these chunks."""
    reader = ResponseReader(FakeSocket(*chunks), deadline or time.monotonic() + 60)  # type: ignore[arg-type]
    response, will_close = read_response(reader)
    return response, will_close, bytes(reader.buffer)


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/jwt\r\n"


@pytest.mark.parametrize(
    ("chunks", "status", "body", "will_close", "left"),
    [
        ([HEAD + b"Content-Length: 5\r\n\r\nhello"], 200, b"hello", False, b""),
        ([HEAD, b"Content-Length: 5\r", b"\n\r\nhel", b"lo"], 200, b"hello", False, b""),
        ([HEAD + b"Content-Length: 5, 5\r\n\r\nhello"], 200, b"hello", False, b""),
        (
            [HEAD + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"],
            200,
            b"hello",
            False,
            b"",
        ),
        ([HEAD + b"Content-Length: 0\r\n\r\n"], 200, b"", False, b""),
        ([HEAD + b"Content-Length: 2\r\n\r\nhello"], 200, b"he", False, b"llo"),
        (
            [HEAD + b"Connection: keep-alive, Close\r\nContent-Length: 1\r\n\r\nx"],
            200,
            b"x",
            True,
            b"",
        ),
        ([b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx"], 200, b"x", True, b""),
        ([HEAD + b"\r\nuntil", b" the close"], 200, b"until the close", True, b""),
        (
            [HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"],
            200,
            b"hello",
            False,
            b"",
        ),
        (
            [
                HEAD + b"Transfer-Encoding: Chunked\r\n\r\n2;x=y\r\nhe",
                b"\r\n3 \r\nllo\r\n0\r\nT: 1\r\n\r\n",
            ],
            200,
            b"hello",
            False,
            b"",
        ),
        (
            [b"HTTP/1.1 100 Continue\r\n\r\n" + HEAD + b"Content-Length: 1\r\n\r\nx"],
            200,
            b"x",
            False,
            b"",
        ),
        (
            [b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"],
            204,
            b"",
            False,
            b"",
        ),
        ([b"HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\nbody"], 204, b"", False, b"body"),
        (
            [b"HTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 200 OK\r\n"],
            304,
            b"",
            False,
            b"HTTP/1.1 200 OK\r\n",
        ),
        ([b"HTTP/1.1 503 \r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"], 503, b"", False, b""),
        ([b"HTTP/1.1 401\r\nContent-Length: 0\r\n\r\n"], 401, b"", False, b""),
    ],
)
def test_response_framing(
    chunks: list[bytes], status: int, body: bytes, will_close: bool, left: bytes
) -> None:
    # GIVEN a response arriving in these pieces
    # WHEN it is read
    response, closes, leftover = read(*chunks)
    # THEN status, body and whether the connection ends are as framed; anything after the
    # response stays unread (the transport then discards the connection)
    assert (response.status, response.body, closes, leftover) == (status, body, will_close, left)


@pytest.mark.parametrize(
    ("chunks", "message"),
    [
        ([b"HTTP/2 200 OK\r\n\r\n"], "did not answer with an HTTP/1.1 status line"),
        ([b"HTTP/1.1 20 OK\r\n\r\n"], "did not answer with an HTTP/1.1 status line"),
        ([b"HTTP/1.1 200OK\r\n\r\n"], "did not answer with an HTTP/1.1 status line"),
        ([b"ICY 200 OK\r\n\r\n"], "did not answer with an HTTP/1.1 status line"),
        ([b"\r\nHTTP/1.1 200 OK\r\n\r\n"], "did not answer with an HTTP/1.1 status line"),
        ([b"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n"], "malformed header line"),
        ([b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"], "malformed header line"),
        ([b"HTTP/1.1 200 OK\r\nName : x\r\n\r\n"], "malformed header line"),
        ([b"HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n"], "malformed header line"),
        ([b"HTTP/1.1 200 OK\r\nA: x\x00y\r\n\r\n"], "malformed header line"),
        ([b"HTTP/1.1 200 OK\r\nA: x\ry\r\n\r\n"], "malformed header line"),
        ([b"HTTP/1.1 200 OK\r\nA: x\ny\r\n\r\n"], "malformed header line"),
        ([b"HTTP/1.1 200 OK\r\n" + b"A: 1\r\n" * 101 + b"\r\n"], "more than 100 header lines"),
        ([b"HTTP/1.1 200 OK\r\nA: " + b"x" * 70000], "headers are larger than 64 KiB"),
        ([b"HTTP/1.1 101 Switching Protocols\r\n\r\n"], "switched protocols (101)"),
        ([b"HTTP/1.1 100 Continue\r\n\r\n" * 9], "too many interim (1xx) responses"),
        (
            [HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"],
            "conflicting Content-Length",
        ),
        ([HEAD + b"Content-Length: 5, 6\r\n\r\nhello!"], "conflicting Content-Length"),
        ([HEAD + b"Content-Length: -5\r\n\r\n"], "invalid Content-Length"),
        ([HEAD + b"Content-Length: +5\r\n\r\nhello"], "invalid Content-Length"),
        ([HEAD + b"Content-Length: 0x5\r\n\r\nhello"], "invalid Content-Length"),
        ([HEAD + b"Content-Length: \r\n\r\n"], "invalid Content-Length"),
        # more than 19 digits: malformed, never a ValueError from Python's int-string limit
        ([HEAD + b"Content-Length: " + b"1" * 20 + b"\r\n\r\n"], "invalid Content-Length"),
        (
            [HEAD + b"Content-Length: " + b"0" * 4999 + b"5\r\n\r\nhello"],
            "invalid Content-Length",
        ),
        ([HEAD + b"Content-Length: " + b"9" * 19 + b"\r\n\r\n"], "larger than 1 MiB"),
        ([HEAD + b"Content-Length: 1048577\r\n\r\n"], "larger than 1 MiB"),
        ([HEAD + b"\r\n" + b"x" * (1 << 20), b"x"], "larger than 1 MiB"),
        (
            [HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"],
            "both Transfer-Encoding",
        ),
        ([HEAD + b"Transfer-Encoding: gzip\r\n\r\n"], "unsupported Transfer-Encoding"),
        ([HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n"], "unsupported Transfer-Encoding"),
        ([HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"], "malformed chunked body"),
        ([HEAD + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\n"], "malformed chunked body"),
        ([HEAD + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n"], "malformed chunked body"),
        ([HEAD + b"Transfer-Encoding: chunked\r\n\r\n123456789\r\n"], "malformed chunked body"),
        (
            [HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"0" * 5000 + b"5\r\nhello\r\n"],
            "malformed chunked body",
        ),
        (
            [HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n"],
            "malformed chunked body",
        ),
        ([HEAD + b"Transfer-Encoding: chunked\r\n\r\n100001\r\n"], "larger than 1 MiB"),
        ([HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"F" * 70000], "malformed chunked body"),
        (
            [HEAD + b"Transfer-Encoding: chunked\r\n\r\n0\r\n" + b"T: 1\r\n" * 101],
            "more than 100 trailer",
        ),
    ],
)
def test_malformed_responses_are_errors(chunks: list[bytes], message: str) -> None:
    # GIVEN a response that breaks HTTP/1.1's rules
    # WHEN it is read
    # THEN it is an error (a 500, never an answer)
    with pytest.raises(IntrospectionError, match=re.escape(message)):
        read(*chunks)


PADDED_204 = b"HTTP/1.1 204 No Content\r\nX-Pad: "


def head_of(size: int) -> bytes:
    """A 204's head of exactly ``size`` bytes, the CRLF CRLF that ends it included."""
    return PADDED_204 + b"x" * (size - len(PADDED_204) - 4) + b"\r\n\r\n"


def pieces(data: bytes, cuts: tuple[int, ...]) -> list[bytes]:
    """``data`` cut at these offsets (negative ones from the end), as the reads return it."""
    points = sorted({cut if cut >= 0 else len(data) + cut for cut in cuts} - {0, len(data)})
    bounds = [0, *(point for point in points if point < len(data)), len(data)]
    return [data[start:end] for start, end in itertools.pairwise(bounds)]


@pytest.mark.parametrize(
    "cuts",
    [(), (MAX_HEAD_BYTES - 1,), (MAX_HEAD_BYTES,), (-2,), (-3,), tuple(range(1, 1 << 17, 4093))],
    ids=[
        "one-read",
        "before-the-limit",
        "at-the-limit",
        "in-the-crlfcrlf",
        "before-it",
        "4k-reads",
    ],
)
@pytest.mark.parametrize(
    ("size", "accepted"),
    [
        (MAX_HEAD_BYTES - 1, True),
        (MAX_HEAD_BYTES, True),
        (MAX_HEAD_BYTES + 1, False),
        (2 * MAX_HEAD_BYTES - 1, False),  # what the check before each read let through
    ],
)
def test_the_head_limit_is_exact(size: int, accepted: bool, cuts: tuple[int, ...]) -> None:
    # GIVEN a response head of this size (CRLF CRLF included), in reads cut at these offsets
    chunks = pieces(head_of(size), cuts)
    # WHEN it is read
    # THEN up to 64 KiB is read, however it arrives, and one byte more is an error
    if accepted:
        pad = "x" * (size - len(PADDED_204) - 4)
        assert read(*chunks) == (HttpResponse(204, {"x-pad": pad}, b""), False, b"")
        return
    with pytest.raises(IntrospectionError) as raised:
        read(*chunks)
    assert str(raised.value) == "introspection response headers are larger than 64 KiB"


@pytest.mark.parametrize(
    ("chunks", "error"),
    [
        ([], ConnectionClosedError),
        ([b"HTTP/1.1 200 OK\r\n"], IncompleteResponseError),
        ([HEAD + b"Content-Length: 10\r\n\r\nhello"], IncompleteResponseError),
        ([HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhel"], IncompleteResponseError),
        ([b"HTTP/1.1 100 Continue\r\n\r\n"], IncompleteResponseError),
    ],
    ids=["nothing", "in-the-head", "in-the-body", "in-a-chunk", "after-a-1xx"],
)
def test_the_server_closing_early(chunks: list[bytes], error: type[Exception]) -> None:
    # GIVEN a server that closes the connection after these bytes
    # WHEN the response is read
    # THEN closing before any byte is a closed (stale) connection, later an incomplete one
    with pytest.raises(error):
        read(*chunks)


def test_every_read_is_bounded_by_what_is_left_of_the_deadline() -> None:
    # GIVEN a response in three pieces and a deadline 5 s away
    sock = FakeSocket(HEAD, b"Content-Length: 2\r\n\r\nh", b"i")
    reader = ResponseReader(sock, time.monotonic() + 5)  # type: ignore[arg-type]
    # WHEN it is read
    read_response(reader)
    # THEN each read waited at most what was left of the 5 s, never a fresh 5 s each
    assert len(sock.timeouts) == 3
    assert all(0 < timeout <= 5 for timeout in sock.timeouts)
    assert sock.timeouts == sorted(sock.timeouts, reverse=True)


def test_a_passed_deadline_is_a_timeout_before_reading() -> None:
    # GIVEN a deadline already passed
    sock = FakeSocket(HEAD + b"Content-Length: 0\r\n\r\n")
    reader = ResponseReader(sock, time.monotonic() - 0.001)  # type: ignore[arg-type]
    # WHEN the response is read
    # THEN it times out without reading
    with pytest.raises(TimeoutError):
        read_response(reader)
    assert sock.timeouts == []


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"HTTP/1.1 200 OK", (200, False, {})),
        (b"HTTP/1.1 200", (200, False, {})),
        (b"HTTP/1.0 204 No Content", (204, True, {})),
        (
            b"HTTP/1.1 200 OK\r\nA:1\r\nB: \t two words \t",
            (200, False, {"a": "1", "b": "two words"}),
        ),
        (
            b"HTTP/1.1 200 OK\r\nCache-Control: no-store\r\ncache-control: max-age=300",
            (200, False, {"cache-control": "no-store, max-age=300"}),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nContent-Type: a/b",
            (200, False, {"content-type": "a/b"}),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nContent-Type: c/d",
            (200, False, {"content-type": "a/b, c/d"}),
        ),
        (b"HTTP/1.1 200 OK\r\nX: caf\xe9", (200, False, {"x": "caf\xe9"})),
        (b"HTTP/1.1 200 OK\r\nEmpty:", (200, False, {"empty": ""})),
    ],
)
def test_parse_head(head: bytes, expected: tuple[int, bool, dict[str, str]]) -> None:
    # GIVEN a status line and header lines
    # WHEN they are parsed
    # THEN names are lower-case, values trimmed, repeated lines joined with ", " (once each)
    assert parse_head(head) == expected
