"""The HTTP API emulator serving an HTTP API built with boto3 in moto, with a stub authorizer.

Pins what the module's HTTP API users rely on: route selection, identity sources (a missing one
is a 401 without the Lambda), the simple responses (false -> 403, error or malformed -> 500,
``Unauthorized`` -> 401), the cache keyed by the identity sources (with ``$context.routeKey``:
one decision per token and route), parameter mapping into a header other than Authorization,
and the refusal of a mapping onto a reserved header.
"""

from __future__ import annotations

import http.client
import io
import zipfile
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.support.gateway import RequestRecord, aws_client
from tests.support.http_gateway import HttpGateway, MappingRefusedError
from tests.support.moto_server import running_moto_server
from tests.support.upstream import UpstreamEcho

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"
STAGE = "live"
# The bearer token (or the tenant query parameter) tells the stub what to do; else it allows.
STUB_HANDLER = """
INVOCATIONS = 0


def handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    token = event["headers"].get("authorization", "").removeprefix("Bearer ")
    action = token or (event.get("queryStringParameters") or {}).get("tenant", "")
    if action == "unauthorized":
        raise Exception("Unauthorized")
    if action == "boom":
        raise RuntimeError("boom")
    if action == "malformed":
        return {"isAuthorized": "yes"}
    if action == "deny":
        return {"isAuthorized": False, "context": {}}
    return {
        "isAuthorized": True,
        "context": {"Authorization": "Bearer jwt-for-" + action, "invocations": INVOCATIONS},
    }
"""
ROUTE_KEYS = [
    "GET /orders",
    "POST /orders",
    "GET /orders/{id}",
    "GET /orders/special",
    "ANY /orders/special",
    "ANY /files/{proxy+}",
]


def _stub_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("stub.py", STUB_HANDLER)
    return buffer.getvalue()


def _function(endpoint: str, code: bytes) -> str:
    lambda_ = aws_client("lambda", endpoint, REGION)
    role = aws_client("iam", endpoint, REGION).create_role(
        RoleName="stub", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    arn = lambda_.create_function(
        FunctionName="stub",
        Runtime="python3.12",
        Role=role,
        Handler="stub.handler",
        Code={"ZipFile": code},
        Timeout=1,
    )["FunctionArn"]
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"


def _build_api(
    endpoint: str,
    upstream_url: str,
    uri: str,
    parameters: dict[str, str],
    *,
    open_default_route: bool = True,
) -> str:
    v2 = aws_client("apigatewayv2", endpoint, REGION)
    api = v2.create_api(Name="stub", ProtocolType="HTTP")["ApiId"]

    def authorizer(name: str, sources: list[str], ttl: int) -> str:
        return str(
            v2.create_authorizer(
                ApiId=api,
                Name=name,
                AuthorizerType="REQUEST",
                AuthorizerUri=uri,
                IdentitySource=sources,
                AuthorizerPayloadFormatVersion="2.0",
                EnableSimpleResponses=True,
                AuthorizerResultTtlInSeconds=ttl,
            )["AuthorizerId"]
        )

    # What the module deploys when routes have scopes: one cached decision per token and route.
    per_route = authorizer("per-route", ["$request.header.Authorization", "$context.routeKey"], 60)
    tenant = authorizer("tenant", ["$request.querystring.tenant", "$stageVariables.zone"], 0)

    def route(key: str, auth: str | None, backend: str) -> None:
        integration = v2.create_integration(
            ApiId=api,
            IntegrationType="HTTP_PROXY",
            IntegrationMethod="ANY",
            IntegrationUri=f"{upstream_url}/backend/{backend}",
            PayloadFormatVersion="1.0",
            RequestParameters={"append:header.X-Route": "$context.routeKey", **parameters},
        )["IntegrationId"]
        v2.create_route(
            ApiId=api,
            RouteKey=key,
            AuthorizationType="CUSTOM" if auth else "NONE",
            **({"AuthorizerId": auth} if auth else {}),
            Target=f"integrations/{integration}",
        )

    for key in ROUTE_KEYS:
        route(key, per_route, key.split(" ")[1].strip("/"))
    route("GET /tenant", tenant, "tenant")
    if open_default_route:  # what an API without the module's catch-all may have
        route("$default", None, "default")
    v2.create_stage(ApiId=api, StageName=STAGE, AutoDeploy=True, StageVariables={"zone": "eu"})
    return str(api)


MAPPING = {
    "overwrite:header.X-Phantom-Token": "$context.authorizer.Authorization",
    "remove:header.X-Secret": "''",
}


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path, str]]:
    code = _stub_zip()
    zip_path = tmp_path_factory.mktemp("stub") / "stub.zip"
    zip_path.write_bytes(code)
    with running_moto_server() as endpoint, UpstreamEcho() as upstream:
        uri = _function(endpoint, code)
        yield endpoint, _build_api(endpoint, upstream.url, uri, MAPPING), zip_path, uri


@pytest.fixture(scope="module")
def gateway(moto: tuple[str, str, Path, str]) -> Iterator[HttpGateway]:
    endpoint, api_id, zip_path, _ = moto
    with HttpGateway(endpoint, api_id, STAGE, zip_path, region=REGION) as running:
        yield running


def _call(
    gateway: HttpGateway, verb: str, path: str, **headers: str
) -> tuple[requests.Response, RequestRecord]:
    response = requests.request(verb, f"{gateway.invoke_url}{path}", headers=headers, timeout=10)
    return response, gateway.record(response.headers["apigw-requestid"])


@pytest.mark.parametrize(
    ("verb", "path", "route_key"),
    [
        ("GET", "/orders", "GET /orders"),
        ("POST", "/orders", "POST /orders"),
        ("GET", "/orders/7", "GET /orders/{id}"),
        # a literal segment before a path parameter, the route's own method before ANY
        ("GET", "/orders/special", "GET /orders/special"),
        ("PUT", "/orders/special", "ANY /orders/special"),
        ("DELETE", "/files/a/b/c", "ANY /files/{proxy+}"),
        # no route: $default, which catches whatever else arrives
        ("PUT", "/orders", "$default"),
        ("GET", "/orders/7/items", "$default"),
        ("GET", "/orders/", "$default"),
        ("GET", "/Orders", "$default"),
        # the path is decoded before routing: an encoded slash separates segments
        ("GET", "/orders%2F7", "GET /orders/{id}"),
        ("GET", "/%6Frders", "GET /orders"),
        ("GET", "/orders%3Fadmin=1", "GET /orders"),
    ],
)
def test_route_selection(gateway: HttpGateway, verb: str, path: str, route_key: str) -> None:
    # GIVEN the stub allows the token "alice"
    # WHEN a request arrives
    response, _ = _call(gateway, verb, path, Authorization="Bearer alice")
    # THEN it reaches the integration of the route API Gateway would pick
    assert response.status_code == 200
    assert response.json()["headers"]["x-route"] == route_key


def test_allowed_request_forwards_the_jwt_header_and_the_clients_authorization(
    gateway: HttpGateway,
) -> None:
    # GIVEN a request with a token the stub allows, and a header the mapping removes
    gateway.flush_cache()
    response, record = _call(
        gateway, "GET", "/orders/7?x=1", Authorization="Bearer alice", **{"X-Secret": "s"}
    )
    # THEN the upstream gets the JWT in X-Phantom-Token and still the client's Authorization
    # (the reserved header cannot be mapped or removed on an HTTP API)
    upstream = response.json()
    assert response.status_code == 200
    assert upstream["path"] == "/backend/orders/7"
    assert upstream["query"] == [["x", "1"]]
    assert upstream["headers"]["x-phantom-token"] == "Bearer jwt-for-alice"
    assert upstream["headers"]["authorization"] == "Bearer alice"
    assert "x-secret" not in upstream["headers"]
    # ... and the Lambda got a payload 2.0 event naming the route
    event = record.event
    assert event is not None
    assert {k: event[k] for k in ("version", "type", "routeKey", "identitySource")} == {
        "version": "2.0",
        "type": "REQUEST",
        "routeKey": "GET /orders/{id}",
        "identitySource": ["Bearer alice", "GET /orders/{id}"],
    }
    assert event["routeArn"].endswith(f":{gateway.config.api_id}/{STAGE}/GET/orders/7")
    assert event["pathParameters"] == {"id": "7"}
    assert event["rawPath"] == f"/{STAGE}/orders/7"


@pytest.mark.parametrize(
    ("headers", "status", "body", "invoked"),
    [
        ({}, 401, {"message": "Unauthorized"}, 0),
        ({"Authorization": ""}, 401, {"message": "Unauthorized"}, 0),
        ({"Authorization": "Bearer deny"}, 403, {"message": "Forbidden"}, 1),
        ({"Authorization": "Bearer unauthorized"}, 401, {"message": "Unauthorized"}, 1),
        ({"Authorization": "Bearer boom"}, 500, {"message": "Internal Server Error"}, 1),
        ({"Authorization": "Bearer malformed"}, 500, {"message": "Internal Server Error"}, 1),
    ],
    ids=["missing", "empty", "deny", "unauthorized", "error", "malformed"],
)
def test_refusals(
    gateway: HttpGateway, headers: dict[str, str], status: int, body: dict[str, Any], invoked: int
) -> None:
    # GIVEN a request the stub refuses (or one without the identity source)
    gateway.flush_cache()
    # WHEN it arrives
    response, record = _call(gateway, "POST", "/orders", **headers)
    # THEN API Gateway's status and body, the Lambda run only when every identity source is there
    assert (response.status_code, response.json(), record.lambda_invocations) == (
        status,
        body,
        invoked,
    )


def test_cache_is_keyed_by_token_and_route(gateway: HttpGateway) -> None:
    # GIVEN an empty cache and a token the stub allows
    gateway.flush_cache()
    # WHEN the token calls one route twice, then another route
    first = _call(gateway, "GET", "/orders", Authorization="Bearer carol")[1]
    second = _call(gateway, "GET", "/orders", Authorization="Bearer carol")[1]
    other = _call(gateway, "POST", "/orders", Authorization="Bearer carol")[1]
    # THEN the second is answered from the cache, the other route runs the Lambda again
    assert [r.lambda_invocations for r in (first, second, other)] == [1, 0, 1]
    assert [r.cached_policy for r in (first, second, other)] == [False, True, False]


def test_cached_refusal_is_still_a_refusal(gateway: HttpGateway) -> None:
    # GIVEN a token the stub refuses, called once
    gateway.flush_cache()
    _call(gateway, "GET", "/orders", Authorization="Bearer deny")
    # WHEN it calls the same route again
    response, record = _call(gateway, "GET", "/orders", Authorization="Bearer deny")
    # THEN 403 from the cache, without the Lambda
    assert (response.status_code, record.cached_policy, record.lambda_invocations) == (
        403,
        True,
        0,
    )


def test_query_string_and_stage_variable_identity_sources(gateway: HttpGateway) -> None:
    # GIVEN a route whose authorizer is keyed by ?tenant= and the stage variable zone
    # WHEN the query parameter is missing, then present
    missing, missing_record = _call(gateway, "GET", "/tenant")
    present, present_record = _call(gateway, "GET", "/tenant?tenant=acme")
    # THEN 401 without the Lambda, then an Allow with both values as the identity sources
    assert (missing.status_code, missing_record.lambda_invocations) == (401, 0)
    assert present.status_code == 200
    assert present_record.event is not None
    assert present_record.event["identitySource"] == ["acme", "eu"]
    assert present_record.event["stageVariables"] == {"zone": "eu"}


def test_repeated_authorization_headers_arrive_joined(gateway: HttpGateway) -> None:
    # GIVEN a client that sends two Authorization headers
    connection = http.client.HTTPConnection(gateway.url.removeprefix("http://"), timeout=10)
    try:
        connection.putrequest("GET", f"/{STAGE}/orders/special")
        connection.putheader("Authorization", "Bearer dave")
        connection.putheader("Authorization", "Bearer erin")
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        request_id = response.getheader("apigw-requestid")
    finally:
        connection.close()
    # THEN the event holds them joined with a comma, as HTTP APIs do
    record = gateway.record(str(request_id))
    assert record.event is not None
    assert record.event["headers"]["authorization"] == "Bearer dave,Bearer erin"


def test_the_event_carries_the_decoded_path(gateway: HttpGateway) -> None:
    # GIVEN the stub allows "alice"; WHEN she asks for /orders%2F7
    response, record = _call(gateway, "GET", "/orders%2F7", Authorization="Bearer alice")
    # THEN the authorizer's event names the decoded path, as HTTP APIs deliver it
    assert response.status_code == 200
    assert record.event is not None
    assert record.event["rawPath"] == f"/{STAGE}/orders/7"
    assert record.event["routeKey"] == "GET /orders/{id}"


@pytest.mark.parametrize("path", ["/orders/%2541", "/%25", "/orders%252F7"])
def test_an_encoded_percent_is_a_bad_request(gateway: HttpGateway, path: str) -> None:
    # GIVEN any path with an encoded "%"; WHEN it arrives
    response, record = _call(gateway, "GET", path, Authorization="Bearer alice")
    # THEN 400, before any route or authorizer
    assert (response.status_code, response.json()) == (400, {"message": "Bad Request"})
    assert record.lambda_invocations == 0


def test_without_a_default_route_a_trailing_slash_is_not_found(
    moto: tuple[str, str, Path, str],
) -> None:
    # GIVEN an API with GET /orders and no $default
    endpoint, _, zip_path, uri = moto
    api_id = _build_api(endpoint, "http://127.0.0.1:9", uri, MAPPING, open_default_route=False)
    with HttpGateway(endpoint, api_id, STAGE, zip_path, region=REGION) as gateway:
        # WHEN GET /orders/ arrives; THEN 404, and no authorizer ran
        response, record = _call(gateway, "GET", "/orders/", Authorization="Bearer alice")
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})
    assert record.lambda_invocations == 0


def test_unknown_stage_and_no_route_are_not_found(gateway: HttpGateway) -> None:
    # GIVEN the stage "live"; WHEN another stage is asked; THEN 404 Not Found
    response = requests.get(f"{gateway.url}/other/orders", timeout=10)
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


@pytest.mark.parametrize(
    "key",
    ["overwrite:header.Authorization", "append:header.authorization", "overwrite:header.x-amz-foo"],
)
def test_mapping_a_reserved_header_is_refused(moto: tuple[str, str, Path, str], key: str) -> None:
    # GIVEN an HTTP API whose integration maps the JWT into a reserved header (moto accepts it)
    endpoint, _, zip_path, uri = moto
    api_id = _build_api(endpoint, "http://127.0.0.1:9", uri, {key: "$context.authorizer.X"})
    # WHEN it is served; THEN refused, as API Gateway refuses to create such an integration
    with pytest.raises(MappingRefusedError, match="reserved header"):
        HttpGateway(endpoint, api_id, STAGE, zip_path, region=REGION)
