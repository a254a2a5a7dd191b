"""The client secret from Secrets Manager and SSM Parameter Store (moto), including rotation."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from phantom_token.errors import AuthorizerError
from tests.functional.harness import CLIENT_ID, Reply, invoke, jwt_reply

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from phantom_token.config import SecretSource
    from tests.functional.harness import IdentityServer, ShiftedClock

ALICE = {"sub": "alice", "scope": "read"}
SECRET_NAME = "phantom-token/introspection-client"
PARAMETER_NAME = "/phantom-token/introspection-client-secret"


@pytest.fixture
def moto(aws: None) -> Iterator[None]:
    with mock_aws():
        yield


def create_secret(value: str) -> str:
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    return str(client.create_secret(Name=SECRET_NAME, SecretString=value)["ARN"])


def rotate_secret(value: str) -> None:
    boto3.client("secretsmanager", region_name="eu-west-1").put_secret_value(
        SecretId=SECRET_NAME, SecretString=value
    )


def put_parameter(value: str, *, overwrite: bool = False) -> None:
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name=PARAMETER_NAME, Value=value, Type="SecureString", Overwrite=overwrite
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
    moto: None,
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
    moto: None, identity: IdentityServer, handler_env: Callable[..., None]
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
    moto: None, identity: IdentityServer, handler_env: Callable[..., None]
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
    moto: None, identity: IdentityServer, handler_env: Callable[..., None], store: str
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
    moto: None, identity: IdentityServer, handler_env: Callable[..., None]
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
    moto: None, identity: IdentityServer, handler_env: Callable[..., None]
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


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"CLIENT_SECRET_ARN": "does-not-exist"},
            "could not read the client secret from Secrets Manager (ResourceNotFoundException)",
        ),
        (
            {"CLIENT_SECRET_PARAMETER": "/does/not/exist"},
            "could not read the client secret from SSM Parameter Store (ParameterNotFound)",
        ),
    ],
)
def test_missing_secret_is_an_error(
    moto: None,
    identity: IdentityServer,
    handler_env: Callable[..., None],
    variables: dict[str, str],
    message: str,
) -> None:
    # GIVEN a secret reference that does not exist
    handler_env(**variables)
    # WHEN the handler runs
    with pytest.raises(AuthorizerError) as raised:
        invoke()
    # THEN it is an error naming the store and the AWS error code, and nobody was asked
    assert str(raised.value) == message
    assert identity.received == []


def test_json_secret_without_client_secret_is_an_error(
    moto: None, identity: IdentityServer, handler_env: Callable[..., None]
) -> None:
    # GIVEN a Secrets Manager JSON secret without client_secret
    create_secret(json.dumps({"password": "p"}))
    handler_env(CLIENT_SECRET_ARN=SECRET_NAME)
    # WHEN the handler runs
    with pytest.raises(AuthorizerError) as raised:
        invoke()
    # THEN it is an error that does not repeat the secret
    assert str(raised.value) == "the secret is a JSON object without a 'client_secret' string"
    assert identity.received == []


REJECTED = "identity server rejected the introspection client credentials (401)"


def test_a_client_the_server_keeps_refusing_rereads_the_secret_at_most_once_a_minute(
    identity: IdentityServer,
    clock: Callable[..., ShiftedClock],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a secret store that keeps returning a secret the identity server refuses
    reads: list[SecretSource] = []

    def fetch(source: SecretSource) -> str:
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
    shifted = clock(fetch=lambda source: next(values))
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
