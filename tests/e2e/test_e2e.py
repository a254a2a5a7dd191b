"""Client -> gateway emulator -> authorizer (the built zip, warm) -> identity server -> upstream.

The scenarios are shared with ``make demo`` (``tests.support.scenarios``); each asserts the
status and what the upstream received. examples/complete is applied to moto once for the
module; the oidc-provider scenarios switch the deployed authorizer to ``rfc9701`` mode. The
HTTP API's flow is in test_http_api_e2e.py (its own stack, after this one is destroyed).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
import requests

from tests.e2e import checks
from tests.support.gateway import Gateway, aws_client
from tests.support.scenarios import CURITY_SCENARIOS, PEER_SCENARIOS

if TYPE_CHECKING:
    from tests.support.scenarios import Scenario
    from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("scenario", CURITY_SCENARIOS, ids=lambda s: s.name)
def test_fake_curity_scenario(stack: Stack, scenario: Scenario) -> None:
    # GIVEN examples/complete applied to moto, served by the gateway emulator
    # WHEN the scenario's requests go through it
    # THEN every call got its expected status, and the upstream what it should
    checks.assert_behaved(scenario, stack)


def test_the_deployed_function_is_the_built_zip(stack: Stack) -> None:
    checks.assert_deployed_function_is_the_built_zip(stack)


def test_one_warm_container_served_every_invocation(stack: Stack) -> None:
    checks.assert_one_warm_container(stack)


@pytest.mark.parametrize("scenario", PEER_SCENARIOS, ids=lambda s: s.name)
def test_oidc_provider_scenario(peer: Stack, scenario: Scenario) -> None:
    # GIVEN the deployed authorizer pointed at oidc-provider in rfc9701 mode
    checks.assert_behaved(scenario, peer)


def test_lambda_logs_never_hold_a_token_a_jwt_or_the_secret(stack: Stack) -> None:
    # Runs last in this module: by now every scenario has logged its decisions.
    checks.assert_logs_hold_no_token_jwt_or_secret(stack)


def test_the_metrics_count_every_invocation(stack: Stack) -> None:
    # GIVEN every scenario run so far through the deployed function (runs after them)
    # WHEN the decisions are read back from the EMF lines, as make demo prints them
    counts = checks.assert_metrics_count_every_invocation(stack)
    # THEN (also checked inside) one valid line per invocation, and both outcomes showed up
    assert counts["allow"] > 0
    assert counts["unauthorized"] > 0


def test_a_misspelt_route_key_fails_closed(stack: Stack) -> None:
    # GIVEN the deployed table with "GET /orders" misspelt "GET /order", as a caller who manages
    # the method elsewhere could write it in scopes.routes (changed in moto, then restored)
    lambda_ = aws_client("lambda", stack.aws_endpoint_url, stack.region)
    name = stack.outputs["lambda_function_name"]
    original = lambda_.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    routes = json.loads(original["ROUTE_SCOPES"])
    routes["GET /order"] = routes.pop("GET /orders")
    assert original["UNLISTED_ROUTES"] == "deny"  # the module's default with a route table
    changed = original | {"ROUTE_SCOPES": json.dumps(routes)}
    lambda_.update_function_configuration(FunctionName=name, Environment={"Variables": changed})
    token = stack.identity.token("orders:read")
    try:
        with Gateway(
            stack.aws_endpoint_url,
            stack.outputs["rest_api_id"],
            stack.outputs["stage_name"],
            stack.lambda_zip,
            region=stack.region,
            ttl_override_seconds=stack.gateway.ttl_override_seconds,
        ) as gateway:
            # WHEN a token with orders:read calls GET /orders, now in no table entry
            response = requests.get(
                f"{gateway.invoke_url}/orders",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            record = gateway.record(response.headers["x-amzn-RequestId"])
            logs = gateway.lambda_logs()
    finally:
        lambda_.update_function_configuration(
            FunctionName=name, Environment={"Variables": original}
        )
    # THEN 403 from the authorizer, the upstream never called, and the decision line names the
    # route and why (the metrics count it as a deny)
    assert (response.status_code, record.lambda_invocations) == (403, 1)
    assert record.outcome != "forwarded"
    [line] = [json.loads(text) for text in logs.splitlines() if '"outcome"' in text]
    assert (line["outcome"], line["route"], line["reason"]) == (
        "deny",
        "GET /orders",
        "the route is not in ROUTE_SCOPES (UNLISTED_ROUTES=deny)",
    )
