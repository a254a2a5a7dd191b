"""Client -> gateway emulator -> authorizer (the built zip, warm) -> identity server -> upstream.

The scenarios are shared with ``make demo`` (``tests.support.scenarios``); each asserts the
status and what the upstream received. examples/complete is applied to moto once for the
module; the oidc-provider scenarios switch the deployed authorizer to ``rfc9701`` mode. The
HTTP API's flow is in test_http_api_e2e.py (its own stack, after this one is destroyed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e import checks
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
