"""SigV4 and the AWS endpoint rules without an SDK, checked against botocore as the oracle."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any
from unittest import mock
from urllib.parse import urlsplit

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials as BotoCredentials
from botocore.retries.standard import ThrottledRetryableChecker
from hypothesis import given, settings
from hypothesis import strategies as st

from phantom_token import aws_client
from phantom_token.aws_client import (
    SECRETS_MANAGER,
    SSM,
    AwsCallError,
    endpoint_from_url,
    error_code,
    region_for,
    regional_host,
    resolve_endpoint,
)
from phantom_token.aws_sigv4 import Credentials, amz_date, signed_headers
from phantom_token.config import Endpoint
from phantom_token.introspection import HttpResponse

if TYPE_CHECKING:
    from collections.abc import Mapping

REGIONS = [
    "us-east-1", "eu-west-1", "ap-southeast-4", "il-central-1", "mx-central-1", "cn-north-1",
    "cn-northwest-1", "us-gov-west-1", "us-gov-east-1", "us-iso-east-1", "us-isob-east-1",
    "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1",
]  # fmt: skip


def botocore_headers(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    when: datetime.datetime,
) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    boto_credentials = BotoCredentials(
        credentials.access_key, credentials.secret_key, credentials.session_token
    )
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        botocore.auth.SigV4Auth(boto_credentials, service, region).add_auth(request)
    return dict(request.headers.items())


text = st.text(min_size=1, max_size=40)
key_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    service=st.sampled_from([SECRETS_MANAGER, SSM]),
    reference=text,
    region=st.sampled_from(REGIONS) | st.from_regex(r"[a-z]{2}-[a-z]{3,9}-[1-9]", fullmatch=True),
    fips=st.booleans(),
    port=st.none() | st.integers(1, 65535),
    scheme=st.sampled_from(["https", "http"]),
    access_key=key_text,
    secret_key=key_text,
    session_token=st.none() | key_text,
    when=st.datetimes(
        min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2099, 12, 31)
    ),
)
def test_signature_is_byte_identical_to_botocore(
    service: aws_client.Service,
    reference: str,
    region: str,
    fips: bool,
    port: int | None,
    scheme: str,
    access_key: str,
    secret_key: str,
    session_token: str | None,
    when: datetime.datetime,
) -> None:
    # GIVEN a GetSecretValue / GetParameter request for any name (non-ASCII too), to the
    # regional (or FIPS) host or a custom port, with or without a session token
    host = regional_host(service, region, fips=fips)
    if port is not None:
        host = f"{host}:{port}"
    operation, payload = (
        ("GetSecretValue", {"SecretId": reference})
        if service is SECRETS_MANAGER
        else ("GetParameter", {"Name": reference, "WithDecryption": True})
    )
    body = json.dumps(payload).encode("ascii")
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"{service.target_prefix}.{operation}",
    }
    credentials = Credentials(access_key, secret_key, session_token)
    # WHEN both sign it at the same instant
    ours = signed_headers(
        host=host,
        path="/",
        headers=headers,
        body=body,
        credentials=credentials,
        region=region,
        service=service.signing_name,
        timestamp=amz_date(when.replace(tzinfo=datetime.UTC).timestamp()),
    )
    theirs = botocore_headers(
        f"{scheme}://{host}/", headers, body, credentials, region, service.signing_name, when
    )
    # THEN every header is the same, the Authorization header byte for byte (botocore leaves
    # out the port when it is the scheme's default: only non-default ports reach the Host)
    if port is not None and port == {"https": 443, "http": 80}[scheme]:
        return
    assert ours == theirs


@pytest.mark.parametrize("fips", [False, True], ids=["regular", "fips"])
@pytest.mark.parametrize("service", [SECRETS_MANAGER, SSM], ids=["secretsmanager", "ssm"])
@pytest.mark.parametrize("region", REGIONS)
def test_regional_endpoint_is_the_one_botocore_resolves(
    monkeypatch: pytest.MonkeyPatch, region: str, service: aws_client.Service, fips: bool
) -> None:
    # GIVEN no endpoint override
    for name in ("AWS_ENDPOINT_URL", SECRETS_MANAGER.endpoint_variable, SSM.endpoint_variable):
        monkeypatch.delenv(name, raising=False)
    environ = {"AWS_USE_FIPS_ENDPOINT": "true" if fips else "false"}
    # WHEN the endpoint is resolved for the region, by us and by botocore's endpoint rules
    ours = resolve_endpoint(service, region, environ)
    client = boto3.session.Session().client(
        service.signing_name,
        region_name=region,
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=BotoConfig(use_fips_endpoint=fips),
    )
    # THEN they agree
    assert ours.url == client.meta.endpoint_url + "/"
    assert (ours.scheme, ours.port, ours.path) == ("https", 443, "/")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, ("http", "127.0.0.1", 4566)),
        (
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_SSM": "https://vpce.x"},
            ("https", "vpce.x", 443),
        ),
        (
            {"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:1"},
            ("https", "ssm.eu-west-1.amazonaws.com", 443),
        ),
        ({"AWS_ENDPOINT_URL_SSM": "https://localhost:8443/"}, ("https", "localhost", 8443)),
    ],
)
def test_endpoint_overrides(environ: dict[str, str], expected: tuple[str, str, int]) -> None:
    # GIVEN endpoint variables for SSM (the service-specific one wins; another service's is ignored)
    # WHEN the SSM endpoint is resolved
    endpoint = resolve_endpoint(SSM, "eu-west-1", environ)
    # THEN it is the override's
    assert (endpoint.scheme, endpoint.host, endpoint.port) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://example.com",
            "AWS_ENDPOINT_URL must use https (plain http is allowed for loopback hosts only)",
        ),
        ("https://example.com/prefix", "AWS_ENDPOINT_URL must be a scheme, a host and a port only"),
        ("https://example.com/?a=b", "AWS_ENDPOINT_URL must be a scheme, a host and a port only"),
        ("ftp://example.com", "AWS_ENDPOINT_URL must be an absolute https:// URL"),
        ("https://example.com:99999", "AWS_ENDPOINT_URL is not a valid URL"),
    ],
)
def test_bad_endpoint_overrides_are_refused(url: str, message: str) -> None:
    # GIVEN an endpoint override that is not a plain https origin (or http on loopback)
    # WHEN it is read
    with pytest.raises(AwsCallError) as raised:
        endpoint_from_url(url, "AWS_ENDPOINT_URL")
    # THEN the error names the variable
    assert raised.value.code == message


ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL",
    SECRETS_MANAGER.endpoint_variable,
    SSM.endpoint_variable,
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
)
# botocore reads AWS_IGNORE_CONFIGURED_ENDPOINT_URLS with utils.ensure_boolean: true exactly
# when value.lower() == "true" (configprovider.py); anything else leaves the overrides in use.
IGNORE_FLAGS = [None, "true", "TRUE", "tRuE", "false", "", " true", "true\n", "1", "yes"]
OVERRIDES = [
    {},
    {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
    {
        "AWS_ENDPOINT_URL_SSM": "https://vpce-1.ssm.example",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": "https://vpce-2.secrets.example:8443",
    },
    {"AWS_ENDPOINT_URL": "https://proxy.example", "AWS_ENDPOINT_URL_SSM": "https://ssm.example"},
]


def botocore_endpoint(
    monkeypatch: pytest.MonkeyPatch,
    service: aws_client.Service,
    region: str,
    environ: Mapping[str, str],
) -> tuple[str, str, int]:
    """The endpoint a boto3 client built in ``environ`` (and no config file) would call."""
    for name in ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    client = boto3.session.Session().client(
        service.signing_name, region_name=region, aws_access_key_id="a", aws_secret_access_key="b"
    )
    parts = urlsplit(client.meta.endpoint_url)
    scheme = parts.scheme
    return scheme, parts.hostname or "", parts.port or {"https": 443, "http": 80}[scheme]


@pytest.mark.parametrize("ignore", IGNORE_FLAGS, ids=repr)
@pytest.mark.parametrize("overrides", OVERRIDES, ids=["none", "global", "per-service", "both"])
@pytest.mark.parametrize("service", [SECRETS_MANAGER, SSM], ids=["secretsmanager", "ssm"])
def test_endpoint_overrides_are_chosen_as_botocore_chooses(
    monkeypatch: pytest.MonkeyPatch,
    service: aws_client.Service,
    overrides: dict[str, str],
    ignore: str | None,
) -> None:
    # GIVEN endpoint overrides, with or without AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
    environ = dict(overrides)
    if ignore is not None:
        environ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = ignore
    # WHEN the endpoint is resolved, by us and by a boto3 client in the same environment
    ours = resolve_endpoint(service, "eu-west-1", environ)
    theirs = botocore_endpoint(monkeypatch, service, "eu-west-1", environ)
    # THEN they agree: with the flag true the overrides are ignored, the regional endpoint is used
    assert (ours.scheme, ours.host, ours.port) == theirs


@pytest.mark.parametrize("service", [SECRETS_MANAGER, SSM], ids=["secretsmanager", "ssm"])
def test_ignored_endpoint_overrides_leave_fips_in_force(
    monkeypatch: pytest.MonkeyPatch, service: aws_client.Service
) -> None:
    # GIVEN FIPS required, an endpoint override, and the override ignored
    environ = {
        "AWS_USE_FIPS_ENDPOINT": "true",
        "AWS_ENDPOINT_URL": "https://proxy.example",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
    }
    # WHEN the endpoint is resolved, by us and by a boto3 client in the same environment
    ours = resolve_endpoint(service, "us-east-1", environ)
    theirs = botocore_endpoint(monkeypatch, service, "us-east-1", environ)
    # THEN both call the FIPS endpoint: no conflict with an override nobody uses
    assert (ours.scheme, ours.host, ours.port) == theirs
    assert ours.host == f"{service.signing_name}-fips.us-east-1.amazonaws.com"


def test_fips_with_a_custom_endpoint_is_refused() -> None:
    # GIVEN FIPS required and a custom endpoint (the SDKs' endpoint rules refuse the pair too)
    environ = {"AWS_USE_FIPS_ENDPOINT": "true", "AWS_ENDPOINT_URL": "https://vpce.example"}
    # WHEN the endpoint is resolved
    with pytest.raises(AwsCallError) as raised:
        resolve_endpoint(SECRETS_MANAGER, "us-east-1", environ)
    # THEN it fails rather than dropping the FIPS requirement
    assert raised.value.code == "AWS_ENDPOINT_URL and AWS_USE_FIPS_ENDPOINT=true cannot be combined"


@pytest.mark.parametrize(
    ("reference", "environ", "expected"),
    [
        (
            "arn:aws:secretsmanager:eu-central-1:123456789012:secret:s-AbCdEf",
            {"AWS_REGION": "us-east-1"},
            "eu-central-1",
        ),
        (
            "arn:aws:ssm:us-west-2:123456789012:parameter/p",
            {"AWS_REGION": "us-east-1"},
            "us-west-2",
        ),
        ("plain-name", {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "eu-west-1"}, "us-east-1"),
        ("/a/parameter", {"AWS_DEFAULT_REGION": "eu-west-1"}, "eu-west-1"),
    ],
)
def test_region(reference: str, environ: dict[str, str], expected: str) -> None:
    # GIVEN a reference (an ARN names its region) and the environment
    # WHEN the region is chosen
    # THEN a secret in another region is read there
    assert region_for(reference, environ) == expected


@pytest.mark.parametrize(
    ("status", "headers", "body", "code"),
    [
        (
            400,
            {},
            b'{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException"}',
            "ResourceNotFoundException",
        ),
        (400, {}, b'{"__type":"ParameterNotFound","message":"x"}', "ParameterNotFound"),
        (
            400,
            {"x-amzn-errortype": "AccessDeniedException:http://internal.amazon.com/"},
            b"{}",
            "AccessDeniedException",
        ),
        (
            400,
            {"x-amzn-errortype": "ThrottlingException"},
            b'{"__type":"Other"}',
            "ThrottlingException",
        ),
        (503, {}, b"<html>busy</html>", "HTTP 503"),
        (400, {}, b'{"__type":"has spaces and \\n"}', "HTTP 400"),
    ],
)
def test_error_code(status: int, headers: dict[str, str], body: bytes, code: str) -> None:
    # GIVEN an AWS JSON 1.1 error answer
    # WHEN its code is read (header first, then __type, as botocore does)
    # THEN it is the bare code, or the status when there is none fit to report
    assert error_code(HttpResponse(status, headers, body)) == code


def test_throttling_codes_are_botocores() -> None:
    # GIVEN botocore's list of throttling error codes (standard retry mode)
    # WHEN compared with ours
    # THEN they are the same
    assert set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES) == aws_client.THROTTLING_CODES


class ScriptedTransport:
    def __init__(self, *outcomes: HttpResponse | OSError) -> None:
        self.outcomes = list(outcomes)
        self.timeouts: list[float] = []

    def post(self, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse:
        self.timeouts.append(timeout)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, OSError):
            raise outcome
        return outcome


THROTTLED = HttpResponse(400, {"x-amzn-errortype": "ThrottlingException"}, b"{}")
OK = HttpResponse(200, {}, b'{"SecretString": "s"}')
ENVIRON = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_REGION": "eu-west-1"}


@pytest.mark.parametrize(
    ("outcomes", "time_left", "result", "attempts"),
    [
        ([OK], 10.0, {"SecretString": "s"}, 1),
        ([THROTTLED, OK], 10.0, {"SecretString": "s"}, 2),
        ([HttpResponse(500, {}, b""), OK], 10.0, {"SecretString": "s"}, 2),
        ([TimeoutError(), OK], 10.0, {"SecretString": "s"}, 2),
        ([ConnectionRefusedError(), OK], 10.0, {"SecretString": "s"}, 2),
        ([THROTTLED, THROTTLED], 10.0, "ThrottlingException, after 2 attempts", 2),
        ([THROTTLED], 0.12, "ThrottlingException, no time left to retry", 1),
        ([], 0.0, "no time left", 0),
        (
            [HttpResponse(400, {}, b'{"__type":"AccessDeniedException"}')],
            10.0,
            "AccessDeniedException",
            1,
        ),
        ([HttpResponse(200, {}, b"[]")], 10.0, "the answer is not a JSON object", 1),
    ],
)
def test_one_retry_within_the_deadline(
    outcomes: list[HttpResponse | OSError], time_left: float, result: Any, attempts: int
) -> None:
    # GIVEN a service that answers with these outcomes, and this much time before the deadline
    transport = ScriptedTransport(*outcomes)
    now = [100.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    # WHEN the secret is read
    def read() -> dict[str, Any]:
        return aws_client.call(
            SECRETS_MANAGER,
            "GetSecretValue",
            {"SecretId": "s"},
            reference="s",
            environ=ENVIRON,
            deadline=100.0 + time_left,
            monotonic=lambda: now[0],
            sleep=sleep,
            transport_for=lambda endpoint: transport,
        )

    if isinstance(result, dict):
        assert read() == result
    else:
        with pytest.raises(AwsCallError) as raised:
            read()
        assert raised.value.code == result
    # THEN throttling, 5xx and connection failures got one more attempt after a jittered pause
    # of 50 to 100 ms, only when the deadline left time for it; every attempt ends by it
    assert len(transport.timeouts) == attempts
    assert all(0.05 <= pause <= 0.1 for pause in pauses)
    assert len(pauses) == max(0, attempts - 1)
    assert all(timeout <= min(3.0, time_left) + 1e-9 for timeout in transport.timeouts)


def test_missing_credentials_are_an_error() -> None:
    # GIVEN an environment without credentials
    # WHEN a call is made
    with pytest.raises(AwsCallError) as raised:
        aws_client.call(
            SSM, "GetParameter", {}, reference="/p", environ={"AWS_REGION": "eu-west-1"},
            transport_for=lambda endpoint: ScriptedTransport(),
        )  # fmt: skip
    # THEN the error names the variables
    assert raised.value.code == "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"


def test_the_endpoint_keeps_its_connection() -> None:
    # GIVEN one endpoint asked for twice
    endpoint = Endpoint("http://127.0.0.1:9/", "http", "127.0.0.1", 9, "/")
    # WHEN its transport is taken each time
    # THEN it is the same kept-alive transport
    assert aws_client._transport(endpoint) is aws_client._transport(endpoint)
