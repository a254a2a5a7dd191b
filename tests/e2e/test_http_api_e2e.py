"""Client -> HTTP API emulator -> authorizer (payload 2.0, the built zip) -> Curity -> upstream.

examples/http-api applied to moto once for the module (``http_stack``; the REST stack of
test_e2e.py is destroyed before: moto's backends are process-wide), then the HTTP API
scenarios shared with ``make demo``: the JWT reaches the upstream in ``X-Phantom-Token`` while
the client's opaque token stays in ``Authorization``, decisions are cached per token and route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import requests

from tests.e2e import checks
from tests.support.demo import OUTCOMES
from tests.support.gateway import aws_client
from tests.support.http_gateway import HttpGateway
from tests.support.scenarios import HTTP_API_SCENARIOS

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.scenarios import Scenario
    from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def test_the_example_routes_and_identity_sources(http_stack: Stack) -> None:
    # GIVEN examples/http-api applied to moto, read back by the HTTP API emulator
    config = http_stack.gateway.config
    # THEN its three routes and the module's catch-all sit behind one authorizer keyed by the
    # token, method and route key; the catch-all forwards nowhere
    assert sorted(route.key for route in config.routes) == [
        "$default",
        "GET /orders",
        "GET /profile",
        "POST /orders",
    ]
    assert {route.authorization_type for route in config.routes} == {"CUSTOM"}
    [catch_all] = [route for route in config.routes if route.key == "$default"]
    assert catch_all.integration is None
    assert sorted(http_stack.outputs["protected_route_keys"]) == sorted(
        route.key for route in config.routes
    )
    assert [authorizer.identity_sources for authorizer in config.authorizers.values()] == [
        ("$request.header.Authorization", "$context.httpMethod", "$context.routeKey")
    ]
    assert http_stack.jwt_header == "X-Phantom-Token"


@pytest.mark.parametrize("scenario", HTTP_API_SCENARIOS, ids=lambda s: s.name)
def test_http_api_scenario(http_stack: Stack, scenario: Scenario) -> None:
    # GIVEN examples/http-api served by the HTTP API emulator
    # WHEN the scenario's requests go through it
    # THEN every call got its expected status, and the upstream what it should
    checks.assert_behaved(scenario, http_stack)


def test_the_containers_run_a_fresh_build_of_the_sources(http_stack: Stack, tmp_path: Path) -> None:
    checks.assert_containers_run_a_fresh_build(http_stack, tmp_path)


def test_one_warm_container_served_every_invocation(http_stack: Stack) -> None:
    checks.assert_one_warm_container(http_stack)


def test_lambda_logs_never_hold_a_token_a_jwt_or_the_secret(http_stack: Stack) -> None:
    # Runs after the scenarios: by now every one has logged its decisions.
    checks.assert_logs_hold_no_token_jwt_or_secret(http_stack)


def test_the_metrics_count_every_invocation(http_stack: Stack) -> None:
    # GIVEN every HTTP API scenario run through this stack's function
    # WHEN the decisions are read back from its EMF lines
    counts = checks.assert_metrics_count_every_invocation(http_stack)
    # THEN one valid line per invocation, and Allow, Deny, 401 and error all showed up
    assert [outcome for outcome in OUTCOMES if counts[outcome] == 0] == []


def test_an_open_default_route_is_the_way_around_the_authorizer(http_stack: Stack) -> None:
    # GIVEN the example as a caller who manages $default may leave it: open, forwarding to the
    # backend (the module's catch-all switched to no authorizer, as an operator would, in moto)
    v2 = aws_client("apigatewayv2", http_stack.aws_endpoint_url, http_stack.region)
    api_id = http_stack.outputs["http_api_id"]
    [route] = [r for r in v2.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "$default"]
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="ANY",
        IntegrationUri=http_stack.upstream.url,
        PayloadFormatVersion="1.0",
    )["IntegrationId"]
    v2.update_route(
        ApiId=api_id,
        RouteId=route["RouteId"],
        AuthorizationType="NONE",
        Target=f"integrations/{integration}",
    )
    token = http_stack.identity.token("orders:write")
    try:
        with HttpGateway(
            http_stack.aws_endpoint_url,
            api_id,
            http_stack.outputs["stage_name"],
            http_stack.lambda_zip,
            region=http_stack.region,
        ) as gateway:
            # WHEN a token without orders:read asks for GET /orders/ (GET /orders needs it)
            response = requests.get(
                f"{gateway.invoke_url}/orders/",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            record = gateway.record(response.headers["apigw-requestid"])
    finally:
        v2.update_route(
            ApiId=api_id,
            RouteId=route["RouteId"],
            AuthorizationType="CUSTOM",
            AuthorizerId=route["AuthorizerId"],
        )
    # THEN the backend answers: no authorizer ran and no JWT came along. This is the door the
    # module's default catch-all (http_api.default_route = "deny") closes, and the README warns of.
    assert response.status_code == 200
    assert record.lambda_invocations == 0
    assert response.json()["path"] == "/orders/"
    assert "x-phantom-token" not in response.json()["headers"]
