"""Client -> HTTP API emulator -> authorizer (payload 2.0, the built zip) -> Curity -> upstream.

examples/http-api applied to moto once for the module (``http_stack``; the REST stack of
test_e2e.py is destroyed before: moto's backends are process-wide), then the HTTP API
scenarios shared with ``make demo``: the JWT reaches the upstream in ``X-Phantom-Token`` while
the client's opaque token stays in ``Authorization``, decisions are cached per token and route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e import checks
from tests.support.demo import OUTCOMES
from tests.support.scenarios import HTTP_API_SCENARIOS

if TYPE_CHECKING:
    from tests.support.scenarios import Scenario
    from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def test_the_example_routes_and_identity_sources(http_stack: Stack) -> None:
    # GIVEN examples/http-api applied to moto, read back by the HTTP API emulator
    config = http_stack.gateway.config
    # THEN its three routes sit behind one authorizer keyed by the token, method and route key
    assert sorted(route.key for route in config.routes) == [
        "GET /orders",
        "GET /profile",
        "POST /orders",
    ]
    assert {route.authorization_type for route in config.routes} == {"CUSTOM"}
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


def test_the_deployed_function_is_the_built_zip(http_stack: Stack) -> None:
    checks.assert_deployed_function_is_the_built_zip(http_stack)


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
