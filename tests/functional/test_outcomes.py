"""Every row of the outcome table, through the real handler and a real HTTP identity server."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import pytest

from phantom_token.errors import AuthorizerError, UnauthorizedError
from tests.functional.harness import (
    API,
    CLIENT_ID,
    CLIENT_SECRET,
    GET_ORDERS,
    INTROSPECTION_PATH,
    STAGE,
    Reply,
    invoke,
    jwt_reply,
)
from tests.support.events import load_event, request_event
from tests.support.jwts import b64url, jwt_claims, make_jwt

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.functional.harness import IdentityServer

ALICE = {"sub": "alice", "scope": "read write", "client_id": "web"}
RFC9701_TYPE = {"Content-Type": "application/token-introspection+jwt"}


def statement(effect: str, *resources: str) -> dict[str, Any]:
    return {"Action": "execute-api:Invoke", "Effect": effect, "Resource": list(resources)}


def stage_allow(jwt: str, **claims: Any) -> dict[str, Any]:
    """The whole-stage Allow for alice, forwarding this JWT and these context claims."""
    return {
        "principalId": "alice",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement("Allow", STAGE)]},
        "context": {"Authorization": f"Bearer {jwt}", **claims},
    }


def expect_unauthorized(authorization: str | None = "Bearer opaque-token", **kwargs: Any) -> str:
    with pytest.raises(UnauthorizedError) as raised:
        invoke(authorization, **kwargs)
    assert str(raised.value) == "Unauthorized"
    return raised.value.reason


def expect_error(authorization: str = "Bearer opaque-token") -> str:
    with pytest.raises(AuthorizerError) as raised:
        invoke(authorization)
    assert str(raised.value) != "Unauthorized"
    assert not isinstance(raised.value, UnauthorizedError)
    return str(raised.value)


# ----- 401 before any network call ---------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "   ", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Bearer tökén"],
)
def test_unusable_header_is_401_without_calling_the_identity_server(
    identity: IdentityServer, handler_env: Callable[..., None], authorization: str | None
) -> None:
    # GIVEN a running identity server
    # WHEN the handler gets a missing, non-Bearer, empty or non-b64token header
    expect_unauthorized(authorization)
    # THEN it is a 401 and the identity server was never asked
    assert identity.received == []


def test_request_event_with_conflicting_headers_is_401(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a REQUEST event carrying two different Authorization values
    event = load_event("request")
    event["headers"]["Authorization"] = "Bearer another-token"
    # WHEN the handler runs
    with pytest.raises(UnauthorizedError):
        invoke(event=event)
    # THEN the identity server was never asked
    assert identity.received == []


# ----- 401 from the identity server's answer -----------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        Reply(204),
        Reply(200, '{"active":false}', {"Content-Type": "application/json"}),
        jwt_reply({**ALICE, "exp": int(time.time()) - 5}),
        jwt_reply({**ALICE, "active": False}),
    ],
    ids=["204", "json-active-false", "exp-passed", "jwt-active-false"],
)
def test_inactive_token_is_401(
    identity: IdentityServer, handler_env: Callable[..., None], reply: Reply
) -> None:
    # GIVEN an identity server that says the token is not active
    identity.script(reply)
    # WHEN the handler runs
    reason = expect_unauthorized()
    # THEN it is a 401 after one introspection
    assert reason == "token is not active"
    assert len(identity.received) == 1


def test_inactive_answer_is_not_cached(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a token that is inactive, then active (a clock skew at the identity server)
    identity.script(Reply(204), jwt_reply(ALICE))
    # WHEN the handler runs twice
    expect_unauthorized()
    allowed = invoke()
    # THEN the second call asked again and was allowed
    assert allowed["policyDocument"]["Statement"] == [statement("Allow", STAGE)]
    assert len(identity.received) == 2


# ----- Allow and Deny ---------------------------------------------------------------------


def test_active_token_is_allowed_stage_wide_with_the_phantom_token_in_context(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN an identity server that answers with a phantom token
    reply = jwt_reply({**ALICE, "groups": ["a", "b"], "email": None})
    identity.script(reply)
    handler_env(CONTEXT_CLAIMS="sub scope client_id groups email")
    # WHEN the handler runs
    response = invoke()
    # THEN it allows the whole stage and forwards the JWT plus the scalar claims
    assert response == stage_allow(
        str(reply.body), sub="alice", scope="read write", client_id="web", groups='["a","b"]'
    )


def test_client_credentials_token_uses_client_id_as_principal(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a token without a subject
    identity.script(jwt_reply({"client_id": "batch-job", "scope": "read"}))
    # WHEN the handler runs
    response = invoke()
    # THEN the principal is the client id
    assert response["principalId"] == "batch-job"
    assert response["context"]["client_id"] == "batch-job"


def test_method_mode_allows_the_exact_method_arn(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN POLICY_RESOURCE=method
    handler_env(POLICY_RESOURCE="method")
    identity.script(jwt_reply(ALICE))
    # WHEN the handler runs for DELETE /orders/42
    response = invoke(method_arn=f"{API}/live/DELETE/orders/42")
    # THEN the Allow covers that method ARN only
    assert response["policyDocument"]["Statement"] == [
        statement("Allow", f"{API}/live/DELETE/orders/42")
    ]


def test_missing_required_scope_is_an_explicit_stage_deny(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN REQUIRED_SCOPES the token lacks one of
    handler_env(REQUIRED_SCOPES="read admin")
    identity.script(jwt_reply(ALICE))
    # WHEN the handler runs
    response = invoke()
    # THEN the policy explicitly denies the whole stage (API Gateway answers 403), and the
    # context is empty: no JWT for a client that was refused
    assert response == {
        "principalId": "alice",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement("Deny", STAGE)]},
        "context": {},
    }


@pytest.mark.parametrize(
    "separator",
    ["\t", "\xa0", "\u2003", "\u2028", "\x1f"],
    ids=["TAB", "NBSP", "EM-SPACE", "LINE-SEPARATOR", "UNIT-SEPARATOR"],
)
@pytest.mark.parametrize("as_list", [False, True], ids=["string", "list"])
def test_a_scope_split_on_other_whitespace_grants_nothing(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    separator: str,
    as_list: bool,
) -> None:
    # GIVEN REQUIRED_SCOPES=admin, and an identity server that grants a parameterised scope
    # whose value the client chose: "account:" + separator + "admin"
    handler_env(REQUIRED_SCOPES="admin")
    chosen = f"account:{separator}admin"
    scope = [chosen, "read"] if as_list else f"{chosen} read"
    identity.script(jwt_reply({**ALICE, "scope": scope}))
    # WHEN the handler runs
    response = invoke()
    # THEN the token is denied (403): only U+0020 separates scope tokens, and a token with a
    # character outside RFC 6749's set is no scope at all
    assert response["policyDocument"]["Statement"] == [statement("Deny", STAGE)]
    assert response["context"] == {}
    # AND the decision line says one scope token was ignored, without repeating it
    [line] = capsys.readouterr().out.splitlines()
    decision = json.loads(line)
    assert (decision["outcome"], decision["missing_scopes"]) == ("deny", ["admin"])
    assert decision["invalid_scope_tokens"] == 1
    assert "account:" not in line


def test_a_scope_separated_by_a_space_is_granted(
    identity: IdentityServer, handler_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN REQUIRED_SCOPES=admin and a token granting "account: admin" (two tokens)
    handler_env(REQUIRED_SCOPES="admin")
    identity.script(jwt_reply({**ALICE, "scope": "account:  admin"}))
    # WHEN the handler runs
    response = invoke()
    # THEN admin is granted, and no token was ignored
    assert response["policyDocument"]["Statement"] == [statement("Allow", STAGE)]
    assert "invalid_scope_tokens" not in json.loads(capsys.readouterr().out)


def test_missing_route_scope_is_an_explicit_deny_of_that_route(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN ROUTE_SCOPES where the token has the scope of one route but not of the other
    handler_env(
        ROUTE_SCOPES=json.dumps({"GET /orders": "read", "DELETE /orders/{id}": "orders:delete"})
    )
    identity.script(jwt_reply(ALICE))
    # WHEN the handler runs (REQUEST events: the route is in the authorizer's cache key)
    allowed = invoke(event=request_event("Bearer t", "GET", "/orders", "/orders"))
    denied = invoke(event=request_event("Bearer t", "DELETE", "/orders/{id}", "/orders/42"))
    # THEN each route gets one statement on the stage: Allow, or Deny for the lacking route
    assert allowed["policyDocument"]["Statement"] == [statement("Allow", STAGE)]
    assert denied["policyDocument"]["Statement"] == [statement("Deny", STAGE)]
    assert denied["context"] == {}


# ----- 500: errors never Allow ------------------------------------------------------------

NON_SUCCESS_STATUSES = [201, 202, 203, 206, 301, 302, 303, 304, 307, 308, 400, 404, 405, 406]
NON_SUCCESS_STATUSES += [409, 410, 415, 418, 422, 429, 451, 500, 501, 502, 503, 504, 505, 511]


@pytest.mark.parametrize("status", NON_SUCCESS_STATUSES)
def test_any_other_status_is_an_error(
    identity: IdentityServer, handler_env: Callable[..., None], status: int
) -> None:
    # GIVEN an identity server answering this status, even with a JWT body
    identity.script(Reply(status, make_jwt(ALICE), {"Content-Type": "application/jwt"}))
    # WHEN the handler runs (no retries configured)
    message = expect_error()
    # THEN it is an error naming the status, after one request
    assert str(status) in message
    assert len(identity.received) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_our_client_rejected_is_an_error(
    identity: IdentityServer, handler_env: Callable[..., None], status: int
) -> None:
    # GIVEN an identity server refusing our client credentials (HTML body, as proxies send)
    identity.default = Reply(status, "<html>denied</html>", {"Content-Type": "text/html"})
    # WHEN the handler runs with a plain CLIENT_SECRET
    message = expect_error()
    # THEN it is an error (500, not the client's 401) naming the status
    assert message == (f"identity server rejected the introspection client credentials ({status})")
    # AND a 401 made it read the (plain) secret again and try once more; a 403 did not
    assert len(identity.received) == (2 if status == 401 else 1)


RS256 = b'{"alg":"RS256","kid":"k1"}'
NONE = b'{"alg":"none"}'
JWT_HEADERS = {"Content-Type": "application/jwt"}


def compact(header: bytes, payload: bytes, signature: str = "c2ln") -> Reply:
    """200 application/jwt with a compact JWS made of exactly these segments."""
    return Reply(200, f"{b64url(header)}.{b64url(payload)}.{signature}", JWT_HEADERS)


NOT_COMPACT = "introspection response is not a compact JWS"
NOT_SIGNED = "introspection response is not a signed JWS"
# Each body comes with the jwt mode's own Content-Type, so that the check named is the one
# that refuses it (a missing or other type is refused before any of them: see below).
NOT_A_JWT = [
    (Reply(200, "", JWT_HEADERS), NOT_COMPACT),
    (Reply(200, "<html><body>Internal error</body></html>", JWT_HEADERS), NOT_COMPACT),
    (Reply(200, '{"active":true,"sub":"alice"}', JWT_HEADERS), NOT_COMPACT),
    (Reply(200, "a.b", JWT_HEADERS), NOT_COMPACT),
    (Reply(200, "a.b.c.d", JWT_HEADERS), NOT_COMPACT),
    (Reply(200, "a..c", JWT_HEADERS), NOT_COMPACT),
    (Reply(200, "a+b.c/d.e=f", JWT_HEADERS), NOT_COMPACT),
    (Reply(200, b"\xff\xfe\xfd.\x80.\x81", JWT_HEADERS), NOT_COMPACT),
    (compact(NONE, json.dumps(ALICE).encode()), NOT_SIGNED),
    (compact(NONE, json.dumps(ALICE).encode(), signature=""), NOT_COMPACT),
    (compact(b'{"alg":" none"}', json.dumps(ALICE).encode()), NOT_SIGNED),
    (compact(b'{"alg":"None\\u200b"}', json.dumps(ALICE).encode()), NOT_SIGNED),
    (compact(b"{garbage", b"{}"), "introspection response JWS header is not base64url JSON"),
    (compact(b'["RS256"]', b"{}"), "introspection response JWS header is not a JSON object"),
    (compact(RS256, b"[1,2]"), "introspection response JWT payload is not a JSON object"),
    (compact(RS256, b'{"sub":"\xff"}'), "introspection response JWT payload is not base64url JSON"),
    (compact(RS256, b'{"sub":"a"'), "introspection response JWT payload is not base64url JSON"),
    (jwt_reply({**ALICE, "exp": "never"}), "introspection response 'exp' is not a number"),
    (jwt_reply({**ALICE, "active": "true"}), "introspection response has no boolean 'active'"),
    (jwt_reply({"scope": "read"}), "active token has neither 'sub' nor 'client_id'"),
]


@pytest.mark.parametrize(("reply", "message"), NOT_A_JWT, ids=range(len(NOT_A_JWT)))
def test_body_that_is_not_an_active_jwt_is_an_error(
    identity: IdentityServer, handler_env: Callable[..., None], reply: Reply, message: str
) -> None:
    # GIVEN a 200 application/jwt whose body is not a readable, signed, active JWT with a
    # principal
    assert reply.headers == JWT_HEADERS
    identity.script(reply)
    # WHEN the handler runs
    # THEN it is an error, never Allow, and the check that refused it is the one named
    assert expect_error() == message


def test_oversized_body_is_an_error(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a 200 body over 1 MiB
    identity.script(Reply(200, b"a" * ((1 << 20) + 10)))
    # WHEN the handler runs
    # THEN it is an error
    assert expect_error() == "introspection response is larger than 1 MiB"


@pytest.mark.parametrize(
    ("event_change", "message"),
    [
        ({"methodArn": "not-an-arn"}, "methodArn is not an execute-api method ARN"),
        ({"methodArn": None}, "event has no methodArn"),
        ({"type": "WEBSOCKET", "authorizationToken": None}, "event is neither a TOKEN nor"),
    ],
)
def test_malformed_event_is_an_error(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    event_change: dict[str, Any],
    message: str,
) -> None:
    # GIVEN an event API Gateway would not send
    event = {**load_event("token"), **event_change}
    if event_change.get("type") == "WEBSOCKET":
        del event["authorizationToken"]
    # WHEN the handler runs
    with pytest.raises(AuthorizerError) as raised:
        invoke(event=event)
    # THEN it is an error and nobody was asked
    assert str(raised.value).startswith(message)
    assert identity.received == []


def test_bad_configuration_is_an_error_naming_the_variable(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN an environment with a bad value
    handler_env(CACHE_TTL_SECONDS="forever")
    # WHEN the handler runs
    # THEN it is an error naming the variable, and nobody was asked
    assert expect_error().startswith("CACHE_TTL_SECONDS must be a whole number")
    assert identity.received == []


# ----- what the identity server receives --------------------------------------------------


def test_the_introspection_request(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN an endpoint with a query string and a token with "+", "/" and "=" in it
    handler_env(INTROSPECTION_ENDPOINT=f"{identity.endpoint}?realm=a")
    identity.script(jwt_reply(ALICE))
    token = "ab+cd/ef-._~=="
    # WHEN the handler runs
    invoke(f"bearer   {token} ")
    # THEN the server received one form POST with the right headers and the token intact
    [request] = identity.received
    assert request.method == "POST"
    assert request.path == f"{INTROSPECTION_PATH}?realm=a"
    assert request.headers["accept"] == "application/jwt"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.basic_credentials == (CLIENT_ID, CLIENT_SECRET)
    raw_id, _, raw_secret = (
        base64.b64decode(request.headers["authorization"][6:]).decode().partition(":")
    )
    assert ":" not in raw_id
    assert unquote_plus(raw_secret) == CLIENT_SECRET
    assert request.form == {"token": [token]}
    assert b"+" not in request.body


def test_rfc9701_mode(identity: IdentityServer, handler_env: Callable[..., None]) -> None:
    # GIVEN rfc9701 mode and a server answering application/token-introspection+jwt
    handler_env(INTROSPECTION_RESPONSE="rfc9701")
    body = make_jwt(
        {
            "iss": "https://login.example.com",
            "aud": CLIENT_ID,
            "token_introspection": {**ALICE, "active": True, "exp": int(time.time()) + 60},
        },
        typ="token-introspection+jwt",
    )
    identity.script(Reply(200, body, {"Content-Type": "application/token-introspection+jwt"}))
    # WHEN the handler runs
    response = invoke()
    # THEN it asked for RFC 9701, read the inner claims and forwards the response JWT itself
    assert identity.received[0].headers["accept"] == "application/token-introspection+jwt"
    assert response == stage_allow(body, sub="alice", scope="read write", client_id="web")
    assert jwt_claims(response["context"]["Authorization"][7:])["aud"] == CLIENT_ID


@pytest.mark.parametrize(
    "inner",
    [{"active": False}, {**ALICE, "active": True, "exp": 1}],
    ids=["active-false", "expired"],
)
def test_rfc9701_inactive_is_401(
    identity: IdentityServer, handler_env: Callable[..., None], inner: dict[str, Any]
) -> None:
    # GIVEN rfc9701 mode and an answer whose token_introspection says inactive
    handler_env(INTROSPECTION_RESPONSE="rfc9701")
    identity.script(Reply(200, make_jwt({"token_introspection": inner}), RFC9701_TYPE))
    # WHEN the handler runs
    # THEN it is a 401
    assert expect_unauthorized() == "token is not active"


def test_rfc9701_answer_in_jwt_mode_is_an_error(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN jwt mode but a server answering RFC 9701 with an inactive token inside, and outer
    # claims that look like an active token's
    body = make_jwt({**ALICE, "token_introspection": {"active": False}})
    identity.script(Reply(200, body, RFC9701_TYPE))
    # WHEN the handler runs
    # THEN the content type is not the phantom token's: an error naming it, never Allow
    assert expect_error() == (
        "identity server answered Content-Type 'application/token-introspection+jwt'; "
        "INTROSPECTION_RESPONSE=jwt expects application/jwt"
    )


def test_jwt_body_without_the_jwt_content_type_is_never_allowed(
    identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a server that answers an active phantom token without any Content-Type
    identity.script(Reply(200, make_jwt(ALICE)))
    # WHEN the handler runs
    # THEN it is an error that says what was missing
    assert expect_error() == (
        "identity server answered no Content-Type; INTROSPECTION_RESPONSE=jwt expects "
        "application/jwt"
    )


def test_get_orders_constant_is_the_token_event_arn() -> None:
    # GIVEN the TOKEN event fixture
    # WHEN its methodArn is compared with the constant the tests use
    # THEN they agree, so the expected policies above describe that event
    assert load_event("token")["methodArn"] == GET_ORDERS


# ----- the content type must match the mode --------------------------------------------------

JWT_TYPE, RFC9701 = "application/jwt", "application/token-introspection+jwt"
CONTENT_TYPES = [
    ("jwt", JWT_TYPE, None),
    ("jwt", "Application/JWT; charset=UTF-8", None),
    ("jwt", RFC9701, f"Content-Type '{RFC9701}'; INTROSPECTION_RESPONSE=jwt expects {JWT_TYPE}"),
    (
        "jwt",
        "text/plain",
        f"Content-Type 'text/plain'; INTROSPECTION_RESPONSE=jwt expects {JWT_TYPE}",
    ),
    (
        "jwt",
        "application/jwt+x",
        f"Content-Type 'application/jwt+x'; INTROSPECTION_RESPONSE=jwt expects {JWT_TYPE}",
    ),
    ("jwt", None, f"no Content-Type; INTROSPECTION_RESPONSE=jwt expects {JWT_TYPE}"),
    ("rfc9701", RFC9701, None),
    ("rfc9701", f"{RFC9701};charset=utf-8", None),
    (
        "rfc9701",
        JWT_TYPE,
        f"Content-Type '{JWT_TYPE}'; INTROSPECTION_RESPONSE=rfc9701 expects {RFC9701}",
    ),
    ("rfc9701", None, f"no Content-Type; INTROSPECTION_RESPONSE=rfc9701 expects {RFC9701}"),
]


@pytest.mark.parametrize(("mode", "content_type", "problem"), CONTENT_TYPES)
def test_each_content_type_in_each_mode(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    mode: str,
    content_type: str | None,
    problem: str | None,
) -> None:
    # GIVEN a body the mode would accept (an active token), sent with this Content-Type
    handler_env(INTROSPECTION_RESPONSE=mode)
    inner = {**ALICE, "active": True, "exp": int(time.time()) + 60}
    body = make_jwt(inner if mode == "jwt" else {"token_introspection": inner})
    identity.script(Reply(200, body, {"Content-Type": content_type} if content_type else {}))
    # WHEN the handler runs
    # THEN only the mode's own media type (any case, with parameters) is allowed; any other
    # is an error that names the type received and the one expected
    if problem is None:
        assert invoke()["principalId"] == "alice"
        assert json.loads(capsys.readouterr().out)["outcome"] == "allow"
        return
    assert expect_error() == f"identity server answered {problem}"
    decision = json.loads(capsys.readouterr().out)
    assert (decision["outcome"], decision["reason"]) == (
        "error",
        f"identity server answered {problem}",
    )


@pytest.mark.parametrize("mode", ["jwt", "rfc9701"])
def test_plain_json_saying_inactive_is_401_in_either_mode(
    identity: IdentityServer, handler_env: Callable[..., None], mode: str
) -> None:
    # GIVEN a server that answers an inactive token in RFC 7662 JSON, whatever was asked for
    handler_env(INTROSPECTION_RESPONSE=mode)
    identity.script(Reply(200, '{"active":false}', {"Content-Type": "application/json"}))
    # WHEN the handler runs
    # THEN that fails closed as the 401 it means
    assert expect_unauthorized() == "token is not active"
