"""Both gateway emulators serving Lambda (AWS_PROXY) integrations built with boto3.

A stub authorizer puts "Bearer jwt-<token>" in its context (or denies the token "deny"); a
stub backend function echoes what its event carried, or misbehaves when the query says so.
These pin the proxy events (REST: ``requestContext.authorizer.Authorization`` and
``principalId``; HTTP API payload 2.0: ``requestContext.authorizer.lambda.Authorization``) and
how each gateway turns the function's answer, or its failure, into the HTTP response.
"""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.support.gateway import CodeMismatchError, Gateway, RequestRecord, aws_client
from tests.support.http_gateway import HttpGateway
from tests.support.moto_server import running_moto_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"
STAGE = "live"
AUTHORIZER = """
def rest(event, context):
    token = event["authorizationToken"].removeprefix("Bearer ")
    effect = "Deny" if token == "deny" else "Allow"
    stage = "/".join(event["methodArn"].split("/")[:2]) + "/*"
    return {
        "principalId": "user-" + token,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": stage}],
        },
        "context": {"Authorization": "Bearer jwt-" + token, "scope": "read"},
    }


def http(event, context):
    token = event["identitySource"][0].removeprefix("Bearer ")
    return {
        "isAuthorized": token != "deny",
        "context": {"Authorization": "Bearer jwt-" + token, "scope": "read"},
    }
"""
BACKEND = """
import base64
import logging
import time


def handler(event, context):
    logging.getLogger().warning("backend ran")
    query = event.get("queryStringParameters") or {}
    action = query.get("do")
    if action == "boom":
        raise RuntimeError("boom")
    if action == "sleep":
        time.sleep(30)
    if action == "malformed":
        return {"statusCode": "many", "body": {"not": "a string"}}
    if action == "plain":
        return {"plain": True}
    if action == "binary":
        return {"statusCode": 200, "body": base64.b64encode(b"\\x00\\xff").decode(),
                "isBase64Encoded": True, "headers": {"Content-Type": "application/octet-stream"}}
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "X-Backend": "stub"},
        "body": __import__("json").dumps({"event": event}),
    }
"""


def _zip(name: str, source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, source)
    return buffer.getvalue()


@dataclass
class Deployed:
    endpoint: str
    rest_api_id: str
    http_api_id: str
    authorizer_zip: Path
    backend_zip: Path


def _invoke_arn(function_arn: str) -> str:
    return (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )


def _functions(endpoint: str, authorizer: bytes, backend: bytes) -> dict[str, str]:
    lambda_ = aws_client("lambda", endpoint, REGION)
    role = aws_client("iam", endpoint, REGION).create_role(
        RoleName="stub", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]

    def create(name: str, handler: str, code: bytes, timeout: int) -> str:
        arn = lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler=handler,
            Code={"ZipFile": code},
            Timeout=timeout,
        )["FunctionArn"]
        return _invoke_arn(arn)

    return {
        "rest": create("authorizer-rest", "authorizer.rest", authorizer, 3),
        "http": create("authorizer-http", "authorizer.http", authorizer, 3),
        "backend": create("backend", "backend.handler", backend, 1),
    }


def _rest_api(endpoint: str, uris: dict[str, str]) -> str:
    apigateway = aws_client("apigateway", endpoint, REGION)
    api = apigateway.create_rest_api(name="lambda-backends")["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    authorizer = apigateway.create_authorizer(
        restApiId=api,
        name="token",
        type="TOKEN",
        authorizerUri=uris["rest"],
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=0,
    )["id"]
    users = apigateway.create_resource(restApiId=api, parentId=root, pathPart="users")["id"]
    user = apigateway.create_resource(restApiId=api, parentId=users, pathPart="{id}")["id"]
    apigateway.put_method(
        restApiId=api,
        resourceId=user,
        httpMethod="ANY",
        authorizationType="CUSTOM",
        authorizerId=authorizer,
    )
    apigateway.put_integration(
        restApiId=api,
        resourceId=user,
        httpMethod="ANY",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=uris["backend"],
    )
    apigateway.create_deployment(restApiId=api, stageName=STAGE)
    return str(api)


def _http_api(endpoint: str, uris: dict[str, str]) -> str:
    v2 = aws_client("apigatewayv2", endpoint, REGION)
    api = v2.create_api(Name="lambda-backends", ProtocolType="HTTP")["ApiId"]
    authorizer = v2.create_authorizer(
        ApiId=api,
        Name="simple",
        AuthorizerType="REQUEST",
        AuthorizerUri=uris["http"],
        IdentitySource=["$request.header.Authorization"],
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        AuthorizerResultTtlInSeconds=0,
    )["AuthorizerId"]
    integration = v2.create_integration(
        ApiId=api,
        IntegrationType="AWS_PROXY",
        IntegrationMethod="POST",
        IntegrationUri=uris["backend"],
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    v2.create_route(
        ApiId=api,
        RouteKey="ANY /users/{id}",
        AuthorizationType="CUSTOM",
        AuthorizerId=authorizer,
        Target=f"integrations/{integration}",
    )
    v2.create_stage(ApiId=api, StageName=STAGE)
    return str(api)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    authorizer, backend = _zip("authorizer.py", AUTHORIZER), _zip("backend.py", BACKEND)
    directory = tmp_path_factory.mktemp("lambda-backends")
    (directory / "authorizer.zip").write_bytes(authorizer)
    (directory / "backend.zip").write_bytes(backend)
    with running_moto_server() as endpoint:
        uris = _functions(endpoint, authorizer, backend)
        yield Deployed(
            endpoint,
            _rest_api(endpoint, uris),
            _http_api(endpoint, uris),
            directory / "authorizer.zip",
            directory / "backend.zip",
        )


@pytest.fixture(scope="module")
def rest(deployed: Deployed) -> Iterator[Gateway]:
    with Gateway(
        deployed.endpoint,
        deployed.rest_api_id,
        STAGE,
        deployed.authorizer_zip,
        region=REGION,
        backend_zips=(deployed.backend_zip,),
    ) as running:
        yield running


@pytest.fixture(scope="module")
def http(deployed: Deployed) -> Iterator[HttpGateway]:
    with HttpGateway(
        deployed.endpoint,
        deployed.http_api_id,
        STAGE,
        deployed.authorizer_zip,
        region=REGION,
        backend_zips=(deployed.backend_zip,),
    ) as running:
        yield running


def _call(
    gateway: Gateway | HttpGateway, verb: str, path: str, token: str | None, body: bytes = b""
) -> tuple[requests.Response, RequestRecord]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = requests.request(
        verb, f"{gateway.invoke_url}{path}", headers=headers, data=body or None, timeout=10
    )
    request_id = response.headers.get("x-amzn-RequestId") or response.headers["apigw-requestid"]
    return response, gateway.record(request_id)


def _event(response: requests.Response) -> dict[str, Any]:
    event: dict[str, Any] = response.json()["event"]
    return event


def test_rest_event_carries_the_authorizer_context(rest: Gateway) -> None:
    # GIVEN an allowed token WHEN the Lambda-backed method is called with a body and a query
    response, record = _call(rest, "POST", "/users/7?tab=orders", "opaque", b'{"a":1}')

    # THEN the function ran once and its answer is the response
    assert (response.status_code, record.backend_invocations) == (201, 1)
    assert response.headers["X-Backend"] == "stub"
    event = _event(response)
    # AND the JWT is in requestContext.authorizer (with principalId), the opaque token only in
    # the headers
    assert event["requestContext"]["authorizer"] == {
        "Authorization": "Bearer jwt-opaque",
        "scope": "read",
        "principalId": "user-opaque",
    }
    assert event["headers"]["authorization"] == "Bearer opaque"
    assert (event["resource"], event["path"], event["httpMethod"]) == (
        "/users/{id}",
        "/users/7",
        "POST",
    )
    assert event["pathParameters"] == {"id": "7"}
    assert event["queryStringParameters"] == {"tab": "orders"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"a":1}', False)
    assert event["requestContext"]["stage"] == STAGE
    assert event["requestContext"]["resourcePath"] == "/users/{id}"
    assert record.backend_event == event


def test_http_api_event_carries_the_simple_response_context(http: HttpGateway) -> None:
    response, record = _call(http, "PUT", "/users/7?tab=orders", "opaque", b"\x00\xff")

    assert (response.status_code, record.backend_invocations) == (201, 1)
    event = _event(response)
    assert event["version"] == "2.0"
    assert event["requestContext"]["authorizer"] == {
        "lambda": {"Authorization": "Bearer jwt-opaque", "scope": "read"}
    }
    assert event["headers"]["authorization"] == "Bearer opaque"
    assert event["routeKey"] == "ANY /users/{id}"
    assert event["rawPath"] == f"/{STAGE}/users/7"
    assert event["requestContext"]["http"]["method"] == "PUT"
    assert event["pathParameters"] == {"id": "7"}
    assert event["queryStringParameters"] == {"tab": "orders"}
    # A body that is not UTF-8 arrives base64-encoded
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff"
    assert "identitySource" not in event and "routeArn" not in event


@pytest.mark.parametrize("gateway_name", ["rest", "http"])
def test_a_denied_or_anonymous_request_never_runs_the_function(
    request: pytest.FixtureRequest, gateway_name: str
) -> None:
    gateway = request.getfixturevalue(gateway_name)
    denied, denied_record = _call(gateway, "GET", "/users/7", "deny")
    anonymous, anonymous_record = _call(gateway, "GET", "/users/7", None)

    assert (denied.status_code, anonymous.status_code) == (403, 401)
    assert denied_record.backend_invocations == anonymous_record.backend_invocations == 0


@pytest.mark.parametrize(
    ("gateway_name", "action", "status"),
    [
        # REST: a function error and a malformed answer are 502, its timeout the integration's
        ("rest", "boom", 502),
        ("rest", "malformed", 502),
        ("rest", "sleep", 504),
        # HTTP API: both are 500 ("Internal Server Error"); any JSON without statusCode is a 200
        ("http", "boom", 500),
        ("http", "malformed", 500),
        ("http", "sleep", 504),
        ("http", "plain", 200),
    ],
)
def test_the_functions_failures_and_answers(
    request: pytest.FixtureRequest, gateway_name: str, action: str, status: int
) -> None:
    gateway = request.getfixturevalue(gateway_name)
    response, record = _call(gateway, "GET", f"/users/7?do={action}", "opaque")

    assert (response.status_code, record.backend_invocations) == (status, 1)
    if action == "plain":
        assert response.json() == {"plain": True}
        assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("gateway_name", ["rest", "http"])
def test_a_base64_answer_is_decoded(request: pytest.FixtureRequest, gateway_name: str) -> None:
    gateway = request.getfixturevalue(gateway_name)
    response, _ = _call(gateway, "GET", "/users/7?do=binary", "opaque")

    assert (response.status_code, response.content) == (200, b"\x00\xff")
    assert response.headers["Content-Type"] == "application/octet-stream"


def test_the_backend_runs_in_its_own_warm_container(rest: Gateway) -> None:
    before = rest.backend_invocations
    _call(rest, "GET", "/users/1", "opaque")
    _call(rest, "GET", "/users/2", "opaque")

    assert rest.backend_invocations == before + 2
    assert list(rest.backends) != list(rest.containers)
    # Each function writes to its own log
    assert "backend ran" in rest.backend_logs()
    assert "backend ran" not in rest.lambda_logs()


def test_refuses_a_backend_zip_that_is_not_the_deployed_code(deployed: Deployed) -> None:
    with pytest.raises(CodeMismatchError, match="backend function backend"):
        Gateway(
            deployed.endpoint,
            deployed.rest_api_id,
            STAGE,
            deployed.authorizer_zip,
            region=REGION,
            backend_zips=(deployed.authorizer_zip,),
        )
