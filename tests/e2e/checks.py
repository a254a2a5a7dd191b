"""Checks both end-to-end modules make of their stack (REST in test_e2e.py, HTTP API in
test_http_api_e2e.py): each stack has its own gateway, Lambda container and logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.demo import OUTCOMES, decision_counts
from tests.support.emf import validate_decision_lines
from tests.support.gateway import zip_code_sha256
from tests.support.stack import LAMBDA_ZIP, CurityIdentity

if TYPE_CHECKING:
    from tests.support.scenarios import Scenario
    from tests.support.stack import Call, Stack


def _report(calls: list[Call]) -> str:
    return "\n".join(
        f"{call.request} [{call.credential}] -> {call.status}: {'; '.join(call.problems) or 'ok'}"
        f" (Lambda runs {call.lambda_invocations}, cached policy {call.cached_policy},"
        f" introspections {call.introspections}, upstream {call.seen_by_upstream})"
        for call in calls
    )


def assert_behaved(scenario: Scenario, stack: Stack) -> None:
    calls = scenario.run(stack)
    assert calls
    assert all(call.ok for call in calls), _report(calls)


def assert_deployed_function_is_the_built_zip(stack: Stack) -> None:
    # The gateway refuses to start otherwise; this states it as a test. The stack deploys the
    # copy it made of lambda/dist at the start of the session.
    deployed = {function.code_sha256 for function in stack.gateway.config.functions.values()}
    assert deployed == {zip_code_sha256(stack.lambda_zip)}
    assert stack.lambda_zip.read_bytes() == LAMBDA_ZIP.read_bytes()


def assert_one_warm_container(stack: Stack) -> None:
    containers = list(stack.gateway.containers.values())
    assert [container.cold_starts for container in containers] == [1]
    assert containers[0].invocations == stack.gateway.lambda_invocations > 1


def assert_logs_hold_no_token_jwt_or_secret(stack: Stack) -> None:
    logs = stack.gateway.lambda_logs()
    assert '"outcome"' in logs
    assert "eyJ" not in logs  # no JWT (header or payload) in any line
    assert isinstance(stack.identity, CurityIdentity)
    leaked = [value for value in stack.identity.server.sensitive_values() if value in logs]
    assert not leaked, f"{len(leaked)} tokens or secrets appear in the Lambda's logs"


def assert_metrics_count_every_invocation(stack: Stack) -> dict[str, int]:
    """One valid EMF line per invocation of this stack's Lambda; the counts, for more checks."""
    logs = stack.gateway.lambda_logs()
    emf = [line for line in logs.splitlines() if line.startswith('{"_aws":')]
    counts = decision_counts(logs)
    # Every line is valid EMF, one per invocation, and each decision looked a token up or was
    # refused before (no token: unauthorized without a cache lookup).
    validate_decision_lines(emf)
    decisions = sum(counts[outcome] for outcome in OUTCOMES)
    assert decisions == len(emf) == stack.gateway.lambda_invocations
    assert counts["cache hit"] + counts["cache miss"] <= decisions
    return counts
