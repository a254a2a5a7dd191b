"""The client secret from Secrets Manager and SSM Parameter Store, including rotation.

The handler signs its own calls (no AWS SDK): these tests run it against a moto server on
127.0.0.1 reached through ``AWS_ENDPOINT_URL``, and against a small fake of the AWS JSON 1.1
protocol for the answers moto cannot give (access denied, throttling).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from phantom_token import aws_client, handler
from phantom_token.errors import AuthorizerError
from phantom_token.introspection import HttpTransport
from tests.functional.harness import CLIENT_ID, Reply, invoke, jwt_reply
from tests.support.http_server import LoopbackServer, QuietHandler
from tests.support.moto_server import reset_moto_server, running_moto_server

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from phantom_token.config import Endpoint, SecretSource
    from phantom_token.introspection import HttpResponse, Transport
    from tests.functional.harness import IdentityServer, ShiftedClock

ALICE = {"sub": "alice", "scope": "read"}
SECRET_NAME = "phantom-token/introspection-client"
PARAMETER_NAME = "/phantom-token/introspection-client-secret"
LAMBDA_DIR = Path(__file__).resolve().parents[2] / "lambda"
AWS_VARIABLES = (
    "AWS_ENDPOINT_URL AWS_ENDPOINT_URL_SECRETS_MANAGER AWS_ENDPOINT_URL_SSM AWS_REGION "
    "AWS_USE_FIPS_ENDPOINT AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
).split()


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with running_moto_server() as endpoint_url:
        yield endpoint_url


@pytest.fixture
def moto(aws: None, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The handler's AWS calls go to an empty moto server."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    try:
        yield moto_endpoint
    finally:
        reset_moto_server(moto_endpoint)


def _client(service: str) -> Any:
    return boto3.client(service, region_name="eu-west-1")  # AWS_ENDPOINT_URL: the moto server


def create_secret(value: str, name: str = SECRET_NAME) -> str:
    return str(_client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"])


def rotate_secret(value: str) -> None:
    _client("secretsmanager").put_secret_value(SecretId=SECRET_NAME, SecretString=value)


def put_parameter(value: str, *, overwrite: bool = False, key_id: str | None = None) -> None:
    extra = {"KeyId": key_id} if key_id else {}
    _client("ssm").put_parameter(
        Name=PARAMETER_NAME, Value=value, Type="SecureString", Overwrite=overwrite, **extra
    )


@pytest.mark.parametrize(
    ("secret_string", "secret"),
    [
        ("plain+secret/value", "plain+secret/value"),
        (json.dumps({"client_id": CLIENT_ID, "client_secret": "json:secret"}), "json:secret"),
    ],
    ids=["plain", "json"],
)
@pytest.mark.parametrize("reference", ["arn", "name"])
def test_secret_from_secrets_manager(
    moto: str,
    identity: IdentityServer,
    handler_env: Callable[..., None],
    secret_string: str,
    secret: str,
    reference: str,
) -> None:
    # GIVEN the client secret in Secrets Manager, named by ARN or by name
    arn = create_secret(secret_string)
    handler_env(CLIENT_SECRET_ARN=arn if reference == "arn" else SECRET_NAME)
    identity.accepted_secret = secret
    identity.script(jwt_reply(ALICE))
    # WHEN the handler runs
    response = invoke()
    # THEN the identity server received that secret and the token is allowed
    assert response["principalId"] == "alice"
    assert identity.received[0].basic_credentials == (CLIENT_ID, secret)


def test_secret_from_ssm_secure_string(
    moto: str, identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN the client secret as an SSM SecureString (JSON text is used as it is there)
    put_parameter('{"client_secret": "kept as is"}')
    handler_env(CLIENT_SECRET_PARAMETER=PARAMETER_NAME)
    identity.accepted_secret = '{"client_secret": "kept as is"}'
    identity.script(jwt_reply(ALICE))
    # WHEN the handler runs
    response = invoke()
    # THEN the server received the decrypted value
    assert response["principalId"] == "alice"


def test_secret_is_read_once_per_container(
    moto: str, identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a secret that changes in the store after the first call, and a server that accepts
    # both the old and the new one
    create_secret("old")
    handler_env(CLIENT_SECRET_ARN=SECRET_NAME)
    identity.script(jwt_reply(ALICE), jwt_reply(ALICE))
    invoke("Bearer one")
    rotate_secret("new")
    # WHEN the handler runs again
    invoke("Bearer two")
    # THEN it kept the secret it read first
    assert [r.basic_credentials[1] for r in identity.received] == ["old", "old"]


@pytest.mark.parametrize("store", ["secretsmanager", "ssm"])
def test_rotation_is_picked_up_on_a_401(
    moto: str, identity: IdentityServer, handler_env: Callable[..., None], store: str
) -> None:
    # GIVEN a container that has used the old secret
    if store == "secretsmanager":
        create_secret(json.dumps({"client_secret": "old"}))
        handler_env(CLIENT_SECRET_ARN=SECRET_NAME)
    else:
        put_parameter("old")
        handler_env(CLIENT_SECRET_PARAMETER=PARAMETER_NAME)
    identity.accepted_secret = "old"
    identity.script(jwt_reply(ALICE), jwt_reply({"sub": "bob"}))
    invoke("Bearer one")
    # WHEN the secret is rotated in the store and at the identity server
    if store == "secretsmanager":
        rotate_secret(json.dumps({"client_secret": "new"}))
    else:
        put_parameter("new", overwrite=True)
    identity.accepted_secret = "new"
    response = invoke("Bearer two")
    # THEN the handler got a 401, read the secret again once, and succeeded
    assert response["principalId"] == "bob"
    assert [r.basic_credentials[1] for r in identity.received] == ["old", "old", "new"]


def test_second_401_after_rereading_is_an_error(
    moto: str, identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a container that has used the old secret
    create_secret("old")
    handler_env(CLIENT_SECRET_ARN=SECRET_NAME)
    identity.accepted_secret = "old"
    identity.script(jwt_reply(ALICE), jwt_reply(ALICE))
    invoke("Bearer one")
    # WHEN the store and the identity server disagree after a rotation
    rotate_secret("rotated")
    identity.accepted_secret = "something-else"
    with pytest.raises(AuthorizerError) as raised:
        invoke("Bearer two")
    # THEN it re-read the secret once, tried once more, and failed closed
    assert str(raised.value) == (
        "identity server rejected the introspection client credentials (401)"
    )
    assert [r.basic_credentials[1] for r in identity.received] == ["old", "old", "rotated"]


def test_403_does_not_reread_the_secret(
    moto: str, identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a server that forbids our client (403: not a credentials problem)
    create_secret("s")
    handler_env(CLIENT_SECRET_ARN=SECRET_NAME)
    identity.default = Reply(403, "forbidden")
    # WHEN the handler runs
    with pytest.raises(AuthorizerError, match=r"\(403\)$"):
        invoke()
    # THEN it asked once
    assert len(identity.received) == 1


class FakeAws:
    """AWS's JSON 1.1 protocol on 127.0.0.1: each POST gets the next scripted (status, body)."""

    def __init__(self, *replies: tuple[int, dict[str, Any]]) -> None:
        self.replies = list(replies)
        self.received: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self.server = LoopbackServer(_FakeAwsHandler, app=self)

    def answer(self, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.received.append(headers)
            return self.replies.pop(0) if self.replies else (500, {"__type": "InternalFailure"})


class _FakeAwsHandler(QuietHandler):
    app: FakeAws

    def do_POST(self) -> None:
        self.read_body()
        status, payload = self.app.answer({k.lower(): v for k, v in self.headers.items()})
        self.send(status, json.dumps(payload).encode(), content_type="application/x-amz-json-1.1")


@pytest.fixture
def fake_aws(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeAws]]:
    """``fake_aws(*replies)``: the handler's AWS calls go to a scripted fake."""
    servers: list[FakeAws] = []

    def start(*replies: tuple[int, dict[str, Any]]) -> FakeAws:
        fake = FakeAws(*replies)
        fake.server.start()
        servers.append(fake)
        for name in AWS_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.server.url)
        return fake

    try:
        yield start
    finally:
        for fake in servers:
            fake.server.stop()


# AWS's answers, as documented for GetSecretValue / GetParameter: HTTP 400, the code in __type.
ACCESS_DENIED = (
    400,
    {
        "__type": "AccessDeniedException",
        "Message": "User: arn:aws:sts::123456789012:assumed-role/authorizer/f is not authorized "
        "to perform: secretsmanager:GetSecretValue on resource: phantom-token/introspection-client",
    },
)
THROTTLED = (400, {"__type": "ThrottlingException", "message": "Rate exceeded"})


def test_secret_from_ssm_encrypted_with_a_kms_key(
    moto: str, identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a SecureString encrypted with a customer managed KMS key
    key_id = _client("kms").create_key(Description="phantom token")["KeyMetadata"]["KeyId"]
    put_parameter("kms+secret", key_id=key_id)
    handler_env(CLIENT_SECRET_PARAMETER=PARAMETER_NAME)
    identity.accepted_secret = "kms+secret"
    identity.script(jwt_reply(ALICE))
    # WHEN the handler runs
    response = invoke()
    # THEN it asked for the decrypted value (WithDecryption) and the token is allowed
    assert response["principalId"] == "alice"


def test_a_secret_in_another_region_is_read_there(
    moto: str, identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a secret in us-west-2 while the function runs in eu-west-1
    client = boto3.client("secretsmanager", region_name="us-west-2")
    arn = client.create_secret(Name=SECRET_NAME, SecretString="west")["ARN"]
    handler_env(CLIENT_SECRET_ARN=arn, AWS_REGION="eu-west-1")
    identity.accepted_secret = "west"
    identity.script(jwt_reply(ALICE))
    # WHEN the handler runs
    response = invoke()
    # THEN the secret was read in the ARN's region (moto keeps regions apart)
    assert response["principalId"] == "alice"


class _Unreachable:
    """A transport to an endpoint nobody answers at (no test reaches AWS itself)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    def post(self, body: bytes, headers: dict[str, str], timeout: float) -> HttpResponse:
        raise ConnectionRefusedError


@pytest.mark.parametrize("flag", ["true", "TRUE", "True"])
def test_ignored_endpoint_overrides_are_never_called(
    fake_aws: Callable[..., FakeAws],
    identity: IdentityServer,
    handler_env: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    flag: str,
) -> None:
    # GIVEN AWS_ENDPOINT_URL at a server that would answer with the secret the identity server
    # accepts, and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS set (botocore then ignores every
    # AWS_ENDPOINT_URL*); AWS's regional endpoint is unreachable from a test
    fake = fake_aws((200, {"SecretString": "from-the-override"}))
    handler_env(CLIENT_SECRET_ARN=SECRET_NAME, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=flag)
    identity.accepted_secret = "from-the-override"
    identity.script(jwt_reply(ALICE))
    hosts: list[str] = []

    def transport(endpoint: Endpoint) -> Transport:
        hosts.append(endpoint.host)
        loopback = endpoint.host == "127.0.0.1"
        return HttpTransport(endpoint) if loopback else _Unreachable(endpoint)

    monkeypatch.setattr(aws_client, "HttpTransport", transport)
    monkeypatch.setattr(aws_client, "_transports", {})
    # WHEN the handler runs
    with pytest.raises(AuthorizerError):
        invoke()
    # THEN the override received neither the signed request nor the chance to answer it: the
    # regional endpoint was the only one tried, and the token was never introspected
    assert fake.received == []
    assert hosts == ["secretsmanager.eu-west-1.amazonaws.com"]
    assert identity.received == []


def test_throttling_is_retried_once_within_the_deadline(
    fake_aws: Callable[..., FakeAws], identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a store that throttles the first call
    fake = fake_aws(THROTTLED, (200, {"SecretString": "after-throttling"}))
    handler_env(CLIENT_SECRET_ARN=SECRET_NAME)
    identity.accepted_secret = "after-throttling"
    identity.script(jwt_reply(ALICE))
    # WHEN the handler runs
    response = invoke()
    # THEN it asked again (signed anew) and succeeded
    assert response["principalId"] == "alice"
    assert [r["x-amz-target"] for r in fake.received] == ["secretsmanager.GetSecretValue"] * 2
    assert all(r["authorization"].startswith("AWS4-HMAC-SHA256 ") for r in fake.received)


# Errors name the store and the variable, never the reference: a secret pasted into the variable
# would otherwise be logged.
SM_SOURCE = "the Secrets Manager secret that CLIENT_SECRET_ARN names"
SSM_SOURCE = "the SSM parameter that CLIENT_SECRET_PARAMETER names"


@pytest.mark.parametrize(
    ("setup", "variables", "message"),
    [
        (
            "nothing",
            {"CLIENT_SECRET_ARN": "does-not-exist"},
            f"could not read the client secret from {SM_SOURCE} "
            "(ResourceNotFoundException)",
        ),
        (
            "nothing",
            {"CLIENT_SECRET_PARAMETER": "/does/not/exist"},
            f"could not read the client secret from {SSM_SOURCE} "
            "(ParameterNotFound)",
        ),
        (
            "json",
            {"CLIENT_SECRET_ARN": SECRET_NAME},
            "the secret is a JSON object without a 'client_secret' string "
            f"({SM_SOURCE})",
        ),
        (
            "denied",
            {"CLIENT_SECRET_ARN": SECRET_NAME},
            f"could not read the client secret from {SM_SOURCE} "
            "(AccessDeniedException)",
        ),
        (
            "denied",
            {"CLIENT_SECRET_PARAMETER": PARAMETER_NAME},
            f"could not read the client secret from {SSM_SOURCE} "
            "(AccessDeniedException)",
        ),
        (
            "throttled",
            {"CLIENT_SECRET_ARN": SECRET_NAME},
            f"could not read the client secret from {SM_SOURCE} "
            "(ThrottlingException, after 2 attempts)",
        ),
        (
            "nothing",
            {"CLIENT_SECRET_ARN": SECRET_NAME, "AWS_ENDPOINT_URL": "http://example.com"},
            f"could not read the client secret from {SM_SOURCE} "
            "(AWS_ENDPOINT_URL must use https (plain http is allowed for loopback hosts only))",
        ),
    ],
    ids=["missing-secret", "missing-parameter", "json", "denied-sm", "denied-ssm", "throttled",
         "plain-http"],
)  # fmt: skip
def test_every_failure_is_a_500_naming_the_store_and_never_a_value(
    moto: str,
    fake_aws: Callable[..., FakeAws],
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    setup: str,
    variables: dict[str, str],
    message: str,
) -> None:
    # GIVEN a store that fails in one way, and the most verbose log level
    value = "value-that-must-never-be-logged"
    if setup == "json":
        create_secret(json.dumps({"password": value}))
    elif setup == "denied":
        fake_aws(ACCESS_DENIED)
    elif setup == "throttled":
        fake_aws(THROTTLED, THROTTLED)
    handler_env(LOG_LEVEL="DEBUG", **variables)
    caplog.set_level(logging.DEBUG)
    # WHEN the handler runs
    with pytest.raises(AuthorizerError) as raised:
        invoke()
    # THEN it is a 500 (not "Unauthorized") whose message names the store and the variable,
    # nobody was asked, one decision line says the same, and neither the value nor the
    # reference is in any output at any level
    assert str(raised.value) == message
    assert identity.received == []
    lines = capsys.readouterr()
    decisions = [json.loads(line) for line in lines.out.splitlines()]
    assert [(d["outcome"], d["reason"]) for d in decisions] == [("error", message)]
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith(("werkzeug", "moto"))]
    written = "\n".join([lines.out, lines.err, *ours])
    assert value not in written
    reference = variables.get("CLIENT_SECRET_ARN") or variables["CLIENT_SECRET_PARAMETER"]
    assert reference not in written


def test_a_read_secret_is_in_no_log_line_at_debug(
    moto: str,
    identity: IdentityServer,
    handler_env: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN secrets in both stores and LOG_LEVEL=DEBUG
    create_secret(json.dumps({"client_secret": "sm-value-never-logged"}))
    put_parameter("ssm-value-never-logged")
    caplog.set_level(logging.DEBUG)
    identity.script(jwt_reply(ALICE), jwt_reply(ALICE))
    # WHEN the handler reads each and allows a token
    handler_env(CLIENT_SECRET_ARN=SECRET_NAME, LOG_LEVEL="DEBUG")
    identity.accepted_secret = "sm-value-never-logged"
    invoke()
    handler._authorizer = None  # a new container
    handler_env(CLIENT_SECRET_PARAMETER=PARAMETER_NAME, CLIENT_SECRET_ARN="", LOG_LEVEL="DEBUG")
    identity.accepted_secret = "ssm-value-never-logged"
    invoke()
    # THEN both were used, and neither value is in anything written or logged
    assert len(identity.received) == 2
    lines = capsys.readouterr()
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith(("werkzeug", "moto"))]
    everything = "\n".join([lines.out, lines.err, *ours])
    assert "sm-value-never-logged" not in everything
    assert "ssm-value-never-logged" not in everything


def test_no_aws_sdk_is_imported(moto: str) -> None:
    # GIVEN a secret in each store
    create_secret(json.dumps({"client_secret": "from-sm"}))
    put_parameter("from-ssm")
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(LAMBDA_DIR)!r})\n"
        "import phantom_token.handler\n"
        "from phantom_token.client_secret import fetch_secret\n"
        "from phantom_token.config import SecretSource\n"
        f"a = fetch_secret(SecretSource('secretsmanager', {SECRET_NAME!r}))\n"
        f"b = fetch_secret(SecretSource('ssm', {PARAMETER_NAME!r}))\n"
        "sdk = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'))\n"
        "print(a, b, sdk)\n"
    )
    # WHEN a fresh interpreter imports the handler and reads both secrets from the moto server
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    # THEN it read them without importing boto3 or botocore
    assert result.stdout.strip() == "from-sm from-ssm []"


REJECTED = "identity server rejected the introspection client credentials (401)"


def test_a_client_the_server_keeps_refusing_rereads_the_secret_at_most_once_a_minute(
    identity: IdentityServer,
    clock: Callable[..., ShiftedClock],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a secret store that keeps returning a secret the identity server refuses
    reads: list[SecretSource] = []

    def fetch(source: SecretSource, deadline: float | None) -> str:
        reads.append(source)
        return "still-the-wrong-secret"

    shifted = clock(fetch=fetch)
    identity.accepted_secret = "the-right-secret"
    # WHEN calls come at 0 s, 10 s, 60 s and 61 s on the container's clock
    seen = []
    for seconds in (0, 10, 50, 1):
        shifted.advance(seconds)
        asked = len(identity.received)
        with pytest.raises(AuthorizerError) as raised:
            invoke()
        seen.append((len(reads), len(identity.received) - asked, str(raised.value)))
    # THEN the secret was re-read (and the call retried) only when a minute had passed since
    # the last re-read; in between, the 401 is final and says why
    recent = f"{REJECTED}; the secret was re-read less than a minute ago"
    assert seen == [(2, 2, REJECTED), (2, 1, recent), (3, 2, REJECTED), (3, 1, recent)]
    decisions = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(d["outcome"], d["reason"]) for d in decisions] == [
        ("error", REJECTED),
        ("error", recent),
        ("error", REJECTED),
        ("error", recent),
    ]


def test_a_rotated_secret_is_picked_up_after_a_refused_reread(
    identity: IdentityServer, clock: Callable[..., ShiftedClock]
) -> None:
    # GIVEN a container whose re-read 10 s ago still found the old secret
    values = iter(["old", "old", "new"])
    shifted = clock(fetch=lambda source, deadline: next(values))
    identity.accepted_secret = "new"
    identity.script(jwt_reply(ALICE))
    with pytest.raises(AuthorizerError):
        invoke()
    # WHEN the store has the new secret, first 30 s later, then a minute after the re-read
    shifted.advance(30)
    with pytest.raises(AuthorizerError, match="less than a minute ago"):
        invoke()
    shifted.advance(31)
    response = invoke()
    # THEN the rotation was picked up on the first call allowed to re-read
    assert response["principalId"] == "alice"
    assert [r.basic_credentials[1] for r in identity.received] == ["old"] * 4 + ["new"]
