"""What the authorizer writes: one JSON decision line per call, never a token, JWT or secret."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import traceback
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from phantom_token import decision_log, handler
from phantom_token.errors import AuthorizerError, ConfigError, EventError, UnauthorizedError
from tests.functional.harness import (
    CLIENT_SECRET,
    GET_ORDERS,
    LambdaContext,
    Reply,
    invoke,
    jwt_reply,
)
from tests.functional.raw_server import phantom_for
from tests.support.emf import metric_members, without_metrics
from tests.support.moto_server import running_moto_server

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.functional.harness import IdentityServer
    from tests.functional.raw_server import Peer, RawServer

DECISION_FIELDS = {
    "level",
    "message",
    "outcome",
    "reason",
    "method_arn",
    "cache",
    "introspection_ms",
    "request_id",
    "token_fingerprint",
}


def fresh_token() -> str:
    return secrets.token_urlsafe(24)


class Run:
    """Calls the handler, keeping every exception's text and traceback for inspection."""

    def __init__(self) -> None:
        self.error_texts: list[str] = []

    def __call__(self, authorization: str | None, **kwargs: Any) -> Any:
        try:
            return invoke(authorization, **kwargs)
        except (UnauthorizedError, AuthorizerError) as exc:
            self.error_texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
            return exc


def test_no_token_jwt_or_secret_reaches_any_output(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    aws: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN every log record captured at DEBUG for the authorizer (INFO for everything else)
    # (the decision log's own stdout handler first: configure() adds it only to a bare logger)
    decision_log.configure("DEBUG")
    caplog.set_level(logging.INFO)
    logging.getLogger("phantom_token").addHandler(caplog.handler)
    plain_secret, stored_secret, rotated_secret = (f"secret-{fresh_token()}" for _ in range(3))
    tokens = [fresh_token() for _ in range(12)]
    replies = [jwt_reply({"sub": "alice", "scope": "read", "jti": fresh_token()}) for _ in range(6)]
    jwts = [str(reply.body) for reply in replies]
    run = Run()

    # WHEN the handler goes through allow, cache hit, deny, 401s and errors with a plain secret
    handler_env(CLIENT_SECRET=plain_secret, LOG_LEVEL="DEBUG", INTROSPECTION_TIMEOUT_SECONDS="0.2")
    identity.script(
        replies[0],
        Reply(204),
        Reply(500, f"<html>{tokens[2]}</html>", {"Content-Type": "text/html"}),
        Reply(
            200,
            json.dumps({"active": True, "token": tokens[3]}),
            {"Content-Type": "application/json"},
        ),
        Reply(200, f"{jwts[1]}.extra"),
        Reply(401, plain_secret),
        Reply(401, plain_secret),
        Reply(200, jwts[2], delay=1),
    )
    outcomes = [
        run(f"Bearer {tokens[0]}"),
        run(f"Bearer {tokens[0]}"),
        run(f"Bearer {tokens[1]}"),
        run(f"Bearer {tokens[2]}"),
        run(f"Bearer {tokens[3]}"),
        run(f"Bearer {tokens[4]}"),
        run(f"Bearer {tokens[5]}"),
        run(f"Bearer {tokens[6]}"),
        run(f"Bearer {tokens[7]} and more"),
        run(f"Basic {tokens[8]}"),
        run(f"Bearer {tokens[9]}", method_arn="not-an-arn"),
    ]
    # AND again with a Secrets Manager secret that is rotated under it
    handler._authorizer = None
    with running_moto_server() as endpoint_url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url)
        store = boto3.client("secretsmanager", region_name="eu-west-1")
        store.create_secret(
            Name="client", SecretString=json.dumps({"client_secret": stored_secret})
        )
        handler_env(CLIENT_SECRET_ARN="client", LOG_LEVEL="DEBUG")
        identity.accepted_secret = stored_secret
        identity.script(replies[3], replies[4])
        outcomes.append(run(f"Bearer {tokens[10]}"))
        store.put_secret_value(SecretId="client", SecretString=rotated_secret)
        identity.accepted_secret = rotated_secret
        outcomes.append(run(f"Bearer {tokens[11]}", context=LambdaContext(request_id="req-42")))

    # THEN the calls went as planned
    kinds = [type(o).__name__ if isinstance(o, Exception) else o["principalId"] for o in outcomes]
    assert kinds == [
        "alice", "alice", "UnauthorizedError", "IntrospectionError", "IntrospectionError",
        "IntrospectionError", "ClientRejectedError", "IntrospectionError", "UnauthorizedError",
        "UnauthorizedError", "EventError", "alice", "alice",
    ]  # fmt: skip
    # AND nothing written or raised contains a token, a JWT (or its payload) or a secret
    captured = capsys.readouterr()
    records = [record.getMessage() for record in caplog.records]
    everything = "\n".join([captured.out, captured.err, *records, *run.error_texts])
    sensitive = tokens + jwts + [jwt.split(".")[1] for jwt in jwts]
    sensitive += [plain_secret, stored_secret, rotated_secret]
    leaked = [value for value in sensitive if value in everything]
    assert leaked == []
    # AND every call wrote exactly one decision line, to stdout, as one JSON object
    lines = captured.out.splitlines()
    assert len(lines) == len(outcomes)
    assert len([r for r in caplog.records if r.name == "phantom_token"]) == len(outcomes)
    decisions = [json.loads(line) for line in lines]
    assert [d["outcome"] for d in decisions] == [
        "allow", "allow", "unauthorized", "error", "error", "error", "error", "error",
        "unauthorized", "unauthorized", "error", "allow", "allow",
    ]  # fmt: skip
    assert decisions[-1]["request_id"] == "req-42"


def test_decision_line_fields(
    identity: IdentityServer, handler_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a token the identity server says is active
    token = fresh_token()
    identity.script(jwt_reply({"sub": "alice", "scope": "read"}))
    # WHEN the handler runs twice with it
    invoke(f"Bearer {token}", context=LambdaContext(request_id="req-a"))
    invoke(f"Bearer {token}", context=LambdaContext(request_id="req-b"))
    # THEN each call wrote one JSON line with the decision, the call and a 12-hex fingerprint
    miss, hit = (without_metrics(json.loads(line)) for line in capsys.readouterr().out.splitlines())
    fingerprint = hashlib.sha256(token.encode()).hexdigest()[:12]
    assert re.fullmatch(r"[0-9a-f]{12}", miss["token_fingerprint"])
    assert DECISION_FIELDS <= miss.keys()
    assert isinstance(miss["introspection_ms"], int | float)
    assert miss["introspection_ms"] >= 0
    decision = {
        "level": "INFO",
        "message": "authorizer decision",
        "outcome": "allow",
        "reason": "active",
        "principal": "alice",
        "method_arn": GET_ORDERS,
        "token_fingerprint": fingerprint,
    }
    assert isinstance(miss["secret_read_ms"], int | float)
    assert {k: v for k, v in miss.items() if k not in ("introspection_ms", "secret_read_ms")} == {
        **decision,
        "cache": "miss",
        "identity_answer": "2xx",
        "request_id": "req-a",
    }
    assert hit == {**decision, "cache": "hit", "request_id": "req-b"}


def test_error_decision_line(
    identity: IdentityServer, handler_env: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an identity server failing with 500
    identity.default = Reply(500, "down")
    # WHEN the handler runs
    with pytest.raises(AuthorizerError):
        invoke("Bearer abc")
    # THEN the line is an ERROR with the reason, the introspection time and the fingerprint
    [decision] = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert decision["level"] == "ERROR"
    assert decision["outcome"] == "error"
    assert decision["reason"] == "identity server answered status 500"
    assert decision["cache"] == "miss"
    assert decision["token_fingerprint"] == hashlib.sha256(b"abc").hexdigest()[:12]
    assert decision["introspection_ms"] >= 0


@pytest.mark.parametrize(("level", "lines"), [("WARNING", 1), ("ERROR", 1), ("INFO", 2)])
def test_log_level_filters_decisions(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    level: str,
    lines: int,
) -> None:
    # GIVEN LOG_LEVEL and one allowed and one failing call
    handler_env(LOG_LEVEL=level)
    identity.script(jwt_reply({"sub": "alice"}), Reply(500))
    invoke("Bearer one")
    with pytest.raises(AuthorizerError):
        invoke("Bearer two")
    # WHEN the output is read
    written = capsys.readouterr().out.splitlines()
    # THEN allow decisions (INFO) appear only at INFO; errors always; every decision still
    # counts: a filtered decision leaves a line with its metrics only
    allow, error = (json.loads(line) for line in written)
    assert ("message" in allow) == (lines == 2)
    assert (allow["Outcome"], allow["Decisions"]) == ("allow", 1)
    assert (error["outcome"], error["Outcome"]) == ("error", "error")


@pytest.mark.parametrize(
    ("event", "kind"),
    [([], "list"), (["Bearer abc"], "list"), ("Bearer abc", "str"), (None, "NoneType"), (7, "int")],
)
def test_an_event_that_is_not_an_object_fails_closed_with_one_line(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    event: object,
    kind: str,
) -> None:
    # GIVEN an event that is not a JSON object
    # WHEN the handler gets it
    with pytest.raises(EventError) as raised:
        handler.lambda_handler(event, LambdaContext(request_id="req-x"))  # type: ignore[arg-type]
    # THEN it is a clear error (500, not Allow), nobody was asked, and one line says why
    reason = f"event is not a JSON object ({kind})"
    assert str(raised.value) == reason
    assert identity.received == []
    assert [without_metrics(json.loads(line)) for line in capsys.readouterr().out.splitlines()] == [
        {
            "level": "ERROR",
            "message": "authorizer decision",
            "outcome": "error",
            "reason": reason,
            "request_id": "req-x",
        }
    ]


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        (
            {"CACHE_MAX_BYTES": "lots"},
            "CACHE_MAX_BYTES must be a whole number of bytes",
        ),
        (
            {"INTROSPECTION_ENDPOINT": "http://127.0.0.08/introspect"},
            "INTROSPECTION_ENDPOINT must use https (plain http is allowed for loopback hosts only)",
        ),
        # str.split() read a no-break space as no scope at all: every token was Allowed
        (
            {"REQUIRED_SCOPES": "\xa0"},
            "REQUIRED_SCOPES has an invalid scope: scopes are RFC 6749 scope tokens "
            "(%x21 / %x23-5B / %x5D-7E) separated by spaces (U+0020)",
        ),
        (
            {"ROUTE_SCOPES": '{"GET /orders": "orders:read\\tadmin"}'},
            "ROUTE_SCOPES entry 1 has an invalid scope: scopes are RFC 6749 scope tokens "
            "(%x21 / %x23-5B / %x5D-7E) separated by spaces (U+0020)",
        ),
    ],
)
def test_a_configuration_error_fails_every_call_with_one_line(
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    variables: dict[str, str],
    reason: str,
) -> None:
    # GIVEN an environment with a bad value
    handler_env(**variables)
    # WHEN the handler is called twice
    for _ in range(2):
        with pytest.raises(ConfigError) as raised:
            invoke()
        assert str(raised.value) == reason
    # THEN each call wrote one error line naming the variable
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["outcome"], line["reason"]) for line in lines] == [("error", reason)] * 2


# A secret-looking value pasted into the wrong variable, made wrong for that variable: the 500
# and its decision line name the variable, never the value.
SENTINEL = "Pa55w0rd-Sentinel-7f3a9c"
PASTED = {
    "INTROSPECTION_ENDPOINT": SENTINEL,
    "CLIENT_ID": f"{SENTINEL}\x01",
    "CLIENT_SECRET_ARN": SENTINEL,  # read at the first call: a SecretError
    "CLIENT_SECRET_PARAMETER": SENTINEL,
    "INTROSPECTION_RESPONSE": SENTINEL,
    "REQUIRED_SCOPES": f'read {SENTINEL}"',
    "ROUTE_SCOPES": json.dumps({f"GET /{SENTINEL}": f'{SENTINEL}"'}),
    "POLICY_RESOURCE": SENTINEL,
    "CONTEXT_CLAIMS": f"{SENTINEL} Authorization",
    "CACHE_TTL_SECONDS": SENTINEL,
    "CACHE_MAX_ENTRIES": SENTINEL,
    "CACHE_MAX_BYTES": SENTINEL,
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": SENTINEL,
    "INTROSPECTION_TIMEOUT_SECONDS": SENTINEL,
    "INTROSPECTION_RETRIES": SENTINEL,
    "LOG_LEVEL": SENTINEL,
    "METRICS_NAMESPACE": f'{SENTINEL}"',
    "DEFAULT_ROUTE": SENTINEL,
}


@pytest.mark.parametrize(("variable", "value"), PASTED.items(), ids=list(PASTED))
def test_a_value_pasted_into_the_wrong_variable_is_never_written(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    variable: str,
    value: str,
) -> None:
    # GIVEN a secret-looking value in a variable that refuses it (no AWS credentials or region:
    # a secret reference is read from nowhere), and the most verbose log level
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    handler_env(**{variable: value})
    caplog.set_level(logging.DEBUG)
    # WHEN the handler is called
    with pytest.raises(AuthorizerError) as raised:
        invoke()
    # THEN it is a 500 naming the variable, nobody was asked, one error line says the same, and
    # the value is in no output at any level
    assert not isinstance(raised.value, UnauthorizedError)
    assert variable in str(raised.value)
    assert identity.received == []
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["outcome"], line["reason"]) for line in lines] == [("error", str(raised.value))]
    records = [record.getMessage() for record in caplog.records]
    assert "Sentinel" not in "\n".join([out, err, *records])


def test_any_failure_while_building_the_authorizer_fails_closed_with_one_line(
    handler_env: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN building the authorizer fails with something other than a ConfigError, whose text
    # quotes the environment (fault injected: the environment alone cannot cause it today)
    def broken(environ: Any) -> Any:
        raise ValueError(f"cannot use {environ['CLIENT_SECRET']}")

    monkeypatch.setattr(handler, "build_authorizer", broken)
    # WHEN the handler is called
    with pytest.raises(AuthorizerError) as raised:
        invoke(context=LambdaContext(request_id="req-y"))
    # THEN it is a 500 naming only the type, with one line, and the secret was not written
    assert str(raised.value) == "internal error (ValueError)"
    assert raised.value.__cause__ is None
    out = capsys.readouterr().out
    assert [without_metrics(json.loads(line)) for line in out.splitlines()] == [
        {
            "level": "ERROR",
            "message": "authorizer decision",
            "outcome": "error",
            "reason": "internal error (ValueError)",
            "request_id": "req-y",
        }
    ]
    assert CLIENT_SECRET not in out


def metrics_of(line: str) -> dict[str, Any]:
    """The members the EMF directives name, and the namespaces they go to."""
    document = json.loads(line)
    named = {name: document[name] for name in metric_members(document)}
    namespaces = {d["Namespace"] for d in document["_aws"]["CloudWatchMetrics"]}
    return {**named, "namespaces": namespaces}


def run_one(authorization: str) -> None:
    try:
        invoke(authorization)
    except (UnauthorizedError, AuthorizerError):
        pass


@pytest.mark.parametrize(
    ("reply", "outcome", "answer"),
    [
        (jwt_reply({"sub": "alice", "scope": "read"}), "allow", "IdentityServer2xx"),
        (jwt_reply({"sub": "alice", "scope": "other"}), "deny", "IdentityServer2xx"),
        (Reply(204), "unauthorized", "IdentityServer2xx"),
        (Reply(400, "bad"), "error", "IdentityServer4xx"),
        (Reply(302, "elsewhere"), "error", "IdentityServer3xx"),
        (Reply(500, "down"), "error", "IdentityServer5xx"),
    ],
)
def test_each_decision_carries_its_metrics(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    emf_lines: list[str],
    reply: Reply,
    outcome: str,
    answer: str,
) -> None:
    # GIVEN a function named by Lambda, its own namespace, and the identity server's answer
    handler_env(
        REQUIRED_SCOPES="read",
        METRICS_NAMESPACE="Platform/Auth",
        AWS_LAMBDA_FUNCTION_NAME="orders-authorizer",
    )
    identity.script(reply, reply)
    # WHEN a token is decided twice (a miss, then a hit for an active token)
    run_one("Bearer one")
    run_one("Bearer one")
    # THEN the miss counts the decision, the miss, the time and the answer's class, once the
    # secret's first read; the second call is a hit or, for an inactive token, a miss again
    first, second = (metrics_of(line) for line in emf_lines)
    assert first.pop("IntrospectionTime") >= 0
    assert first.pop("SecretReadTime") >= 0
    assert first == {
        "FunctionName": "orders-authorizer",
        "Outcome": outcome,
        "Decisions": 1,
        "CacheHit": 0,
        answer: 1,
        "namespaces": {"Platform/Auth"},
    }
    if outcome in ("allow", "deny"):
        assert second == {
            "FunctionName": "orders-authorizer",
            "Outcome": outcome,
            "Decisions": 1,
            "CacheHit": 1,
            "namespaces": {"Platform/Auth"},
        }
    else:
        assert second.pop("IntrospectionTime") >= 0
        assert second == first


def test_an_identity_server_nobody_answers_at_is_unreachable(
    handler_env: Callable[..., None], emf_lines: list[str]
) -> None:
    # GIVEN an endpoint where nothing listens (port 1 on loopback refuses connections)
    handler_env(INTROSPECTION_ENDPOINT="http://127.0.0.1:1/introspect")
    # WHEN a token is decided
    run_one("Bearer one")
    # THEN it is an error whose answer class is unreachable
    [line] = emf_lines
    metrics = metrics_of(line)
    assert (metrics["Outcome"], metrics["IdentityServerUnreachable"]) == ("error", 1)
    assert json.loads(line)["identity_answer"] == "unreachable"


def answers_in(seconds: float) -> Callable[[Peer], None]:
    """Reads the request, then answers honestly only after ``seconds`` (if still connected)."""

    def script(peer: Peer) -> None:
        if (request := peer.read_request()) is not None and peer.pause(seconds):
            peer.send(phantom_for(request.token))

    return script


def sends(data: bytes) -> Callable[[Peer], None]:
    """Reads the request and answers with exactly these bytes."""

    def script(peer: Peer) -> None:
        if peer.read_request() is not None:
            peer.send(data)
            peer.wait_for_close()

    return script


@pytest.mark.parametrize(
    ("script", "answer", "reason"),
    [
        (
            answers_in(3),
            ("timeout", "IdentityServerTimeout"),
            "identity server unavailable after 1 attempt(s): timed out",
        ),
        (
            sends(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
            ("invalid", "IdentityServerInvalid"),
            "identity server did not answer with an HTTP/1.1 status line",
        ),
        (
            sends(b"HTTP/1.1 600 Beyond\r\nContent-Length: 0\r\n\r\n"),
            ("invalid", "IdentityServerInvalid"),
            "identity server answered status 600",
        ),
    ],
    ids=["timeout", "not-http", "status-600"],
)
def test_a_timeout_and_an_unreadable_answer_are_counted_as_such(
    raw_server: Callable[..., RawServer],
    emf_lines: list[str],
    script: Callable[[Peer], None],
    answer: tuple[str, str],
    reason: str,
) -> None:
    # GIVEN an identity server that answers too late (after the 0.5 s timeout), or with bytes
    # that are no HTTP answer, or with a status no HTTP server sends
    raw_server(
        script,
        INTROSPECTION_TIMEOUT_SECONDS="0.5",
        METRICS_NAMESPACE="Platform/Auth",
        AWS_LAMBDA_FUNCTION_NAME="orders-authorizer",
    )
    # WHEN a token is decided
    run_one("Bearer one")
    # THEN it is an error whose answer class is the one the identity-server alarm counts
    [line] = emf_lines
    metrics = metrics_of(line)
    assert metrics.pop("IntrospectionTime") >= 0
    assert metrics.pop("SecretReadTime") >= 0
    assert metrics == {
        "FunctionName": "orders-authorizer",
        "Outcome": "error",
        "Decisions": 1,
        "CacheHit": 0,
        answer[1]: 1,
        "namespaces": {"Platform/Auth"},
    }
    decision = json.loads(line)
    assert (decision["identity_answer"], decision["reason"]) == (answer[0], reason)
    assert answer[0] in decision_log.FAILED_ANSWERS


def test_no_token_makes_a_decision_without_cache_metrics(
    handler_env: Callable[..., None], emf_lines: list[str]
) -> None:
    # GIVEN no Authorization header
    # WHEN the handler runs
    run_one(None)  # type: ignore[arg-type]
    # THEN the decision counts, and nothing says hit or miss: no lookup took place
    [line] = emf_lines
    metrics = metrics_of(line)
    assert metrics == {
        "FunctionName": "unknown",
        "Outcome": "unauthorized",
        "Decisions": 1,
        "namespaces": {"PhantomToken"},
    }


@pytest.mark.parametrize(
    ("namespace", "expected"), [("Platform/Auth", "Platform/Auth"), ("AWS/Lambda", "PhantomToken")]
)
def test_a_configuration_error_is_counted_in_the_configured_namespace(
    handler_env: Callable[..., None], emf_lines: list[str], namespace: str, expected: str
) -> None:
    # GIVEN a bad CACHE_TTL_SECONDS, and a valid or an invalid METRICS_NAMESPACE
    handler_env(CACHE_TTL_SECONDS="soon", METRICS_NAMESPACE=namespace)
    if namespace.startswith("AWS/"):
        handler_env(CACHE_TTL_SECONDS="", METRICS_NAMESPACE=namespace)
    # WHEN the handler runs
    with pytest.raises(ConfigError):
        invoke()
    # THEN the error counts where the alarms look, or in the default namespace when the
    # namespace itself is the bad value
    [line] = emf_lines
    assert metrics_of(line) == {
        "FunctionName": "unknown",
        "Outcome": "error",
        "Decisions": 1,
        "namespaces": {expected},
    }


def test_every_line_written_is_a_line_the_emf_check_saw(
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    emf_lines: list[str],
) -> None:
    # GIVEN the autouse check that validates each decision line a test makes
    identity.script(jwt_reply({"sub": "alice"}), Reply(204), Reply(500))
    # WHEN allow, unauthorized and error decisions are made
    for token in ("one", "two", "three"):
        run_one(f"Bearer {token}")
    # THEN what reached stdout is exactly what the check validates
    assert capsys.readouterr().out.splitlines() == emf_lines
    assert [json.loads(line)["Outcome"] for line in emf_lines] == [
        "allow",
        "unauthorized",
        "error",
    ]
