"""The gateway emulator serving an API built with boto3, with a stub authorizer it can steer.

The flow tests use the module's authorizer; these pin the emulator's other behaviour that the
module's users may switch on: REQUEST authorizers (query string sources, and the route-pinned
cache key the module uses with route scopes: the Authorization header, ``context.httpMethod``
and ``context.resourceId``), path spellings, errors and timeouts of the function, malformed
results, default and configured gateway responses, greedy paths, and the CodeSha256 check.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

import pytest
import requests

from tests.support.gateway import CodeMismatchError, Gateway, RequestRecord, aws_client
from tests.support.moto_server import running_moto_server
from tests.support.upstream import UpstreamEcho

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"
STAGE = "test"
ROUTE_PINNED_SOURCES = "method.request.header.Authorization,context.httpMethod,context.resourceId"
# The token (TOKEN) or the X-Token header, else the bearer token (REQUEST), tells the stub what
# to do; anything else is an Allow.
STUB_HANDLER = """
import time

INVOCATIONS = 0


def handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    if event["type"] == "TOKEN":
        action = event["authorizationToken"]
    else:
        headers = {k.lower(): v for k, v in event["headers"].items()}
        action = headers.get("x-token") or headers.get("authorization", "").removeprefix("Bearer ")
    if action == "unauthorized":
        raise Exception("Unauthorized")
    if action == "boom":
        raise RuntimeError("boom")
    if action == "sleep":
        time.sleep(30)
    effect = "Deny" if action == "deny" else "Allow"
    stage = "/".join(event["methodArn"].split("/")[:2]) + "/*"
    result = {
        "principalId": "stub",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": stage}
            ],
        },
        "context": {"invocations": INVOCATIONS, "type": event["type"],
                    "budget": context.get_remaining_time_in_millis() > 0},
    }
    if action == "nested":
        result["context"]["nested"] = {"a": 1}
    return result
"""


def _stub_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("stub.py", STUB_HANDLER)
    return buffer.getvalue()


def _build_api(endpoint: str, upstream_url: str, code: bytes) -> str:
    lambda_ = aws_client("lambda", endpoint, REGION)
    role = aws_client("iam", endpoint, REGION).create_role(
        RoleName="stub", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    function_arn = lambda_.create_function(
        FunctionName="stub",
        Runtime="python3.12",
        Role=role,
        Handler="stub.handler",
        Code={"ZipFile": code},
        Timeout=1,
    )["FunctionArn"]
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"

    apigateway = aws_client("apigateway", endpoint, REGION)
    api = apigateway.create_rest_api(name="stub")["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    token = apigateway.create_authorizer(
        restApiId=api,
        name="token",
        type="TOKEN",
        authorizerUri=uri,
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=0,
    )["id"]
    request = apigateway.create_authorizer(
        restApiId=api,
        name="request",
        type="REQUEST",
        authorizerUri=uri,
        identitySource="method.request.header.X-Token, method.request.querystring.tenant",
        authorizerResultTtlInSeconds=60,
    )["id"]
    # What the module deploys when routes have scopes: one cached decision per token and route.
    pinned = apigateway.create_authorizer(
        restApiId=api,
        name="route-pinned",
        type="REQUEST",
        authorizerUri=uri,
        identitySource=ROUTE_PINNED_SOURCES,
        authorizerResultTtlInSeconds=60,
    )["id"]

    def resource(parent: str, part: str) -> str:
        return str(apigateway.create_resource(restApiId=api, parentId=parent, pathPart=part)["id"])

    def method(
        resource_id: str, verb: str, auth: str | None, backend: str, params: dict[str, str]
    ) -> None:
        apigateway.put_method(
            restApiId=api,
            resourceId=resource_id,
            httpMethod=verb,
            authorizationType="CUSTOM" if auth else "NONE",
            **({"authorizerId": auth} if auth else {}),
        )
        apigateway.put_integration(
            restApiId=api,
            resourceId=resource_id,
            httpMethod=verb,
            type="HTTP_PROXY",
            integrationHttpMethod="ANY",
            uri=f"{upstream_url}/backend/{backend}",
            requestParameters=params,
        )

    method(
        resource(root, "items"),
        "GET",
        token,
        "items",
        {"integration.request.header.X-Type": "context.authorizer.type"},
    )
    method(
        resource(root, "req"),
        "GET",
        request,
        "req",
        {
            "integration.request.header.X-Invocations": "context.authorizer.invocations",
            "integration.request.header.X-Tenant": "method.request.querystring.tenant",
            "integration.request.header.X-Static": "'fixed'",
        },
    )
    method(
        resource(root, "{proxy+}"),
        "ANY",
        None,
        "{proxy}",
        {"integration.request.path.proxy": "method.request.path.proxy"},
    )
    orders = resource(root, "orders")
    order = resource(orders, "{id}")
    items = resource(order, "items")
    by_id = {"integration.request.path.id": "method.request.path.id"}
    method(orders, "GET", pinned, "orders", {})
    method(orders, "POST", pinned, "orders", {})
    method(order, "GET", pinned, "orders/{id}", by_id)
    method(items, "ANY", pinned, "orders/{id}/items", by_id)
    apigateway.create_deployment(restApiId=api, stageName=STAGE)
    apigateway.put_gateway_response(
        restApiId=api,
        responseType="ACCESS_DENIED",
        statusCode="403",
        responseParameters={"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
        responseTemplates={"application/json": '{"error":$context.error.messageString}'},
    )
    return str(api)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    code = _stub_zip()
    zip_path = tmp_path_factory.mktemp("stub") / "stub.zip"
    zip_path.write_bytes(code)
    with running_moto_server() as endpoint, UpstreamEcho() as upstream:
        yield endpoint, _build_api(endpoint, upstream.url, code), zip_path


@pytest.fixture(scope="module")
def gateway(api: tuple[str, str, Path]) -> Iterator[Gateway]:
    endpoint, api_id, zip_path = api
    with Gateway(endpoint, api_id, STAGE, zip_path, region=REGION) as running:
        yield running


def _call(
    gateway: Gateway, verb: str, path: str, **headers: str
) -> tuple[requests.Response, RequestRecord]:
    response = requests.request(verb, f"{gateway.invoke_url}{path}", headers=headers, timeout=10)
    return response, gateway.record(response.headers["x-amzn-RequestId"])


def _get(gateway: Gateway, path: str, **headers: str) -> tuple[requests.Response, RequestRecord]:
    return _call(gateway, "GET", path, **headers)


def _resource_ids(api: tuple[str, str, Path]) -> dict[str, str]:
    endpoint, api_id, _ = api
    items = aws_client("apigateway", endpoint, REGION).get_resources(restApiId=api_id)["items"]
    return {item["path"]: item["id"] for item in items}


def test_token_authorizer_context_reaches_the_upstream(gateway: Gateway) -> None:
    response, record = _get(gateway, "/items", Authorization="allow")
    assert (response.status_code, record.lambda_invocations) == (200, 1)
    assert response.json()["headers"]["x-type"] == "TOKEN"
    assert response.json()["path"] == "/backend/items"


def test_caching_off_invokes_every_time(gateway: Gateway) -> None:
    calls = [_get(gateway, "/items", Authorization="allow")[1] for _ in range(2)]
    assert [(c.lambda_invocations, c.cached_policy) for c in calls] == [(1, False), (1, False)]


def test_request_authorizer_needs_every_identity_source_when_caching(gateway: Gateway) -> None:
    response, record = _get(gateway, "/req", **{"X-Token": "allow"})  # no ?tenant=
    assert (response.status_code, record.lambda_invocations) == (401, 0)


def test_request_authorizer_maps_context_query_and_static_values(gateway: Gateway) -> None:
    first, first_record = _get(gateway, "/req?tenant=acme", **{"X-Token": "allow"})
    second, second_record = _get(gateway, "/req?tenant=acme", **{"X-Token": "allow"})
    other, other_record = _get(gateway, "/req?tenant=other", **{"X-Token": "allow"})
    assert [first.status_code, second.status_code, other.status_code] == [200, 200, 200]
    headers = first.json()["headers"]
    assert (headers["x-tenant"], headers["x-static"]) == ("acme", "fixed")
    assert second.json()["headers"]["x-invocations"] == headers["x-invocations"]  # cached
    assert second_record.cached_policy
    assert not other_record.cached_policy  # another identity source value, another key
    assert first_record.lambda_invocations == other_record.lambda_invocations == 1


def test_explicit_deny_uses_the_configured_gateway_response(gateway: Gateway) -> None:
    response, _ = _get(gateway, "/items", Authorization="deny")
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {
        "error": "User is not authorized to access this resource with an explicit deny"
    }


@pytest.mark.parametrize(
    ("action", "status", "error_type"),
    [
        ("unauthorized", 401, "UnauthorizedException"),
        ("boom", 500, "AuthorizerFailureException"),
        ("nested", 500, "AuthorizerConfigurationException"),
    ],
)
def test_authorizer_outcomes_use_the_default_gateway_responses(
    gateway: Gateway, action: str, status: int, error_type: str
) -> None:
    response, _ = _get(gateway, "/items", Authorization=action)
    assert response.status_code == status
    assert response.headers["x-amzn-ErrorType"] == error_type


def test_a_timed_out_container_is_replaced(gateway: Gateway) -> None:
    container = next(iter(gateway.containers.values()))
    cold_starts = container.cold_starts
    response, record = _get(gateway, "/items", Authorization="sleep")
    assert (response.status_code, record.outcome) == (500, "authorizer error: Sandbox.Timedout")
    response, _ = _get(gateway, "/items", Authorization="allow")
    assert response.status_code == 200
    assert container.cold_starts == cold_starts + 1
    assert response.json()["headers"]["x-type"] == "TOKEN"


def test_greedy_path_without_authorizer(gateway: Gateway) -> None:
    response, record = _get(gateway, "/a/b/c?x=1")
    assert (response.status_code, record.lambda_invocations) == (200, 0)
    assert (response.json()["path"], response.json()["query"]) == ("/backend/a/b/c", [["x", "1"]])


def test_outside_the_stage_is_missing_authentication_token(gateway: Gateway) -> None:
    response = requests.get(f"{gateway.url}/other-stage/items", timeout=10)
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_refuses_a_zip_that_is_not_the_deployed_code(
    api: tuple[str, str, Path], tmp_path: Path
) -> None:
    endpoint, api_id, _ = api
    other = tmp_path / "other.zip"
    other.write_bytes(_stub_zip() + b"\0")
    with pytest.raises(CodeMismatchError, match="CodeSha256"):
        Gateway(endpoint, api_id, STAGE, other, region=REGION)


# -- the route-pinned REQUEST authorizer (what the module deploys when routes have scopes) --


def test_route_pinned_cache_keeps_one_decision_per_token_and_route(gateway: Gateway) -> None:
    # GIVEN identity sources Authorization, context.httpMethod, context.resourceId (TTL 60)
    calls = [
        ("GET", "/orders", "pin-1"),
        ("GET", "/orders/", "pin-1"),  # same resource and method: the cached decision
        ("POST", "/orders", "pin-1"),  # same resource, another method: the Lambda again
        ("GET", "/orders/7", "pin-1"),  # another resource: the Lambda again
        ("GET", "/orders/8/", "pin-1"),  # same resource (/orders/{id}) and method: cached
        ("GET", "/orders", "pin-2"),  # another token: the Lambda again
    ]
    # WHEN they are called in this order
    seen = []
    for verb, path, token in calls:
        response, record = _call(gateway, verb, path, Authorization=f"Bearer {token}")
        seen.append(
            (verb, path, response.status_code, record.lambda_invocations, record.cached_policy)
        )
    # THEN the Lambda ran once per token and route, whatever the path spelling
    assert seen == [
        ("GET", "/orders", 200, 1, False),
        ("GET", "/orders/", 200, 0, True),
        ("POST", "/orders", 200, 1, False),
        ("GET", "/orders/7", 200, 1, False),
        ("GET", "/orders/8/", 200, 0, True),
        ("GET", "/orders", 200, 1, False),
    ]


def test_a_trailing_slash_stays_in_the_event_and_shares_the_decision(
    gateway: Gateway, api: tuple[str, str, Path]
) -> None:
    # GIVEN a token whose first call has a trailing slash
    response, record = _call(gateway, "GET", "/orders/", Authorization="Bearer pin-3")
    assert (response.status_code, record.lambda_invocations) == (200, 1)
    assert response.json()["path"] == "/backend/orders"
    # THEN the event names the resource by its template and id, and keeps the slash in the path
    event = record.event
    assert event is not None
    api_id = api[1]
    assert {
        "methodArn": event["methodArn"],
        "resource": event["resource"],
        "path": event["path"],
        "httpMethod": event["httpMethod"],
        "resourceId": event["requestContext"]["resourceId"],
        "resourcePath": event["requestContext"]["resourcePath"],
        "contextPath": event["requestContext"]["path"],
    } == {
        "methodArn": f"arn:aws:execute-api:{REGION}:123456789012:{api_id}/{STAGE}/GET/orders/",
        "resource": "/orders",
        "path": "/orders/",
        "httpMethod": "GET",
        "resourceId": _resource_ids(api)["/orders"],
        "resourcePath": "/orders",
        "contextPath": f"/{STAGE}/orders/",
    }
    # AND the same route without the slash is the cached decision
    response, record = _call(gateway, "GET", "/orders", Authorization="Bearer pin-3")
    assert (response.status_code, record.lambda_invocations, record.cached_policy) == (200, 0, True)


def test_an_any_method_keys_and_reports_the_requests_method(
    gateway: Gateway, api: tuple[str, str, Path]
) -> None:
    # GIVEN ANY /orders/{id}/items behind the route-pinned authorizer
    deleted, deleted_record = _call(
        gateway, "DELETE", "/orders/7/items", Authorization="Bearer pin-4"
    )
    put, put_record = _call(gateway, "PUT", "/orders/7/items", Authorization="Bearer pin-4")
    again, again_record = _call(gateway, "DELETE", "/orders/9/items/", Authorization="Bearer pin-4")
    # THEN the event's httpMethod is the request's, and so is the cache key's
    assert [deleted.status_code, put.status_code, again.status_code] == [200, 200, 200]
    assert deleted.json()["path"] == "/backend/orders/7/items"
    assert deleted_record.event is not None and put_record.event is not None
    assert [deleted_record.event["httpMethod"], put_record.event["httpMethod"]] == ["DELETE", "PUT"]
    assert deleted_record.event["resource"] == "/orders/{id}/items"
    assert deleted_record.event["pathParameters"] == {"id": "7"}
    assert (
        deleted_record.event["requestContext"]["resourceId"]
        == (_resource_ids(api)["/orders/{id}/items"])
    )
    assert (again_record.lambda_invocations, again_record.cached_policy) == (0, True)


def test_slashes_after_the_stage_collapse_in_path_not_in_the_request_context(
    gateway: Gateway,
) -> None:
    # GIVEN a request for /<stage>//orders (a base URL with a trailing slash, say)
    response, record = _call(gateway, "GET", "//orders", Authorization="Bearer pin-6")
    # THEN it is routed to /orders; the event's path is /orders, requestContext.path keeps //
    assert response.status_code == 200
    event = record.event
    assert event is not None
    assert (event["resource"], event["path"], event["requestContext"]["path"]) == (
        "/orders",
        "/orders",
        f"/{STAGE}//orders",
    )


@pytest.mark.parametrize("authorization", [None, ""])
def test_route_pinned_authorizer_needs_the_authorization_header(
    gateway: Gateway, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response, record = _call(gateway, "GET", "/orders", **headers)
    assert (response.status_code, record.lambda_invocations) == (401, 0)


@pytest.mark.parametrize(
    ("path", "status", "upstream_path"),
    [
        ("//orders", 200, "/backend/orders"),  # slashes after the stage collapse
        ("/Orders", 200, "/backend/Orders"),  # case-sensitive: the public {proxy+}, no authorizer
        ("/orders//7", 403, None),  # unverified spellings are not routed
        ("/orders%2F7", 403, None),
    ],
)
def test_path_spellings(
    gateway: Gateway, path: str, status: int, upstream_path: str | None
) -> None:
    response, record = _call(gateway, "GET", path, Authorization="Bearer pin-5")
    assert response.status_code == status
    if upstream_path is None:
        assert response.json() == {"message": "Missing Authentication Token"}
        assert record.lambda_invocations == 0
    else:
        assert response.json()["path"] == upstream_path
