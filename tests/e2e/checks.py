"""Checks both end-to-end modules make of their stack (REST in test_e2e.py, HTTP API in
test_http_api_e2e.py): each stack has its own gateway, Lambda container and logs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from typing import TYPE_CHECKING

from tests.support.demo import OUTCOMES, decision_counts
from tests.support.emf import validate_decision_lines
from tests.support.terraform import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.scenarios import Scenario
    from tests.support.stack import Call, Stack

LAMBDA_DIR = REPO_ROOT / "lambda"


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


def assert_containers_run_a_fresh_build(stack: Stack, build_dir: Path) -> None:
    """The code every warm container imports is what lambda/build.py builds from the sources now.

    The gateway already refused to start unless the deployed CodeSha256 was that of the zip
    the stack applied; that zip is lambda/dist as committed. This checks what the fixture does
    not: that the files the containers unpacked and import are, byte for byte, a build of the
    package's current sources (a stale committed zip would test old code).
    """
    fresh = build_dir / "fresh.zip"
    subprocess.run(
        [sys.executable, str(LAMBDA_DIR / "build.py"), "--out", str(fresh)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with zipfile.ZipFile(fresh) as archive:
        expected = {name: archive.read(name) for name in archive.namelist()}
    containers = list(stack.gateway.containers.values())
    assert containers
    for container in containers:
        unpacked = {
            path.relative_to(container.code_dir).as_posix(): path.read_bytes()
            for path in container.code_dir.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }
        stale = sorted(name for name in expected if unpacked.get(name) != expected[name])
        assert not stale, f"the containers run other code than the sources: {stale}; make build"
        assert sorted(unpacked) == sorted(expected)


def assert_one_warm_container(stack: Stack) -> None:
    containers = list(stack.gateway.containers.values())
    assert [container.cold_starts for container in containers] == [1]
    assert containers[0].invocations == stack.gateway.lambda_invocations > 1


def assert_logs_hold_no_token_jwt_or_secret(stack: Stack) -> None:
    logs = stack.gateway.lambda_logs()
    assert '"outcome"' in logs
    assert "eyJ" not in logs  # no JWT (header or payload) in any line
    sensitive = stack.identity.sensitive_values()  # every token issued, every client secret
    assert len(sensitive) >= 3, "nothing to look for: the check would pass on any log"
    leaked = [value for value in sensitive if value in logs]
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
