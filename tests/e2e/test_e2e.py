"""Client -> gateway emulator -> authorizer (the built zip, warm) -> identity server -> upstream.

The scenarios are shared with ``make demo`` (``tests.support.scenarios``); each asserts the
status and what the upstream received. examples/complete is applied to moto once for the
module; the oidc-provider scenarios switch the deployed authorizer to ``rfc9701`` mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.demo import decision_counts
from tests.support.emf import validate_decision_lines
from tests.support.gateway import zip_code_sha256
from tests.support.scenarios import CURITY_SCENARIOS, PEER_SCENARIOS
from tests.support.stack import LAMBDA_ZIP, CurityIdentity

if TYPE_CHECKING:
    from tests.support.scenarios import Scenario
    from tests.support.stack import Call, Stack

pytestmark = pytest.mark.e2e


def _report(calls: list[Call]) -> str:
    return "\n".join(
        f"{call.request} [{call.credential}] -> {call.status}: {'; '.join(call.problems) or 'ok'}"
        f" (Lambda runs {call.lambda_invocations}, cached policy {call.cached_policy},"
        f" introspections {call.introspections}, upstream {call.seen_by_upstream})"
        for call in calls
    )


def _assert_behaved(scenario: Scenario, stack: Stack) -> None:
    calls = scenario.run(stack)
    assert calls
    assert all(call.ok for call in calls), _report(calls)


@pytest.mark.parametrize("scenario", CURITY_SCENARIOS, ids=lambda s: s.name)
def test_fake_curity_scenario(stack: Stack, scenario: Scenario) -> None:
    # GIVEN examples/complete applied to moto, served by the gateway emulator
    # WHEN the scenario's requests go through it
    # THEN every call got its expected status, and the upstream what it should
    _assert_behaved(scenario, stack)


def test_the_deployed_function_is_the_built_zip(stack: Stack) -> None:
    # The gateway refuses to start otherwise; this states it as a test. The stack deploys the
    # copy it made of lambda/dist at the start of the session.
    deployed = {function.code_sha256 for function in stack.gateway.config.functions.values()}
    assert deployed == {zip_code_sha256(stack.lambda_zip)}
    assert stack.lambda_zip.read_bytes() == LAMBDA_ZIP.read_bytes()


def test_one_warm_container_served_every_invocation(stack: Stack) -> None:
    containers = list(stack.gateway.containers.values())
    assert [container.cold_starts for container in containers] == [1]
    assert containers[0].invocations == stack.gateway.lambda_invocations > 1


@pytest.mark.parametrize("scenario", PEER_SCENARIOS, ids=lambda s: s.name)
def test_oidc_provider_scenario(peer: Stack, scenario: Scenario) -> None:
    # GIVEN the deployed authorizer pointed at oidc-provider in rfc9701 mode
    _assert_behaved(scenario, peer)


def test_lambda_logs_never_hold_a_token_a_jwt_or_the_secret(stack: Stack) -> None:
    # Runs last in this module: by now every scenario has logged its decisions.
    logs = stack.gateway.lambda_logs()
    assert '"outcome"' in logs
    assert "eyJ" not in logs  # no JWT (header or payload) in any line
    assert isinstance(stack.identity, CurityIdentity)
    leaked = [value for value in stack.identity.server.sensitive_values() if value in logs]
    assert not leaked, f"{len(leaked)} tokens or secrets appear in the Lambda's logs"


def test_the_metrics_count_every_invocation(stack: Stack) -> None:
    # GIVEN every scenario run so far through the deployed function (runs after them)
    logs = stack.gateway.lambda_logs()
    emf = [line for line in logs.splitlines() if line.startswith('{"_aws":')]
    # WHEN the decisions are read back from the EMF lines, as make demo prints them
    counts = decision_counts(logs)
    # THEN every line is valid EMF, one per invocation, and each decision looked a token up
    # or was refused before (no token: unauthorized without a cache lookup)
    validate_decision_lines(emf)
    decisions = sum(counts[outcome] for outcome in ("allow", "deny", "unauthorized", "error"))
    assert decisions == len(emf) == stack.gateway.lambda_invocations
    assert counts["cache hit"] + counts["cache miss"] <= decisions
    assert counts["allow"] > 0
    assert counts["unauthorized"] > 0
