"""``make demo``: the phantom token flow end to end on this machine, with no AWS account.

Starts moto, a fake Curity and an upstream echo API, applies examples/complete to moto with
Terraform, serves the applied stage with the gateway emulator, gets tokens as a real client
would, runs the scenarios of ``tests.support.scenarios`` (then the oidc-provider ones when
Node and tests/node_modules are there); then the same with examples/http-api served by the
HTTP API emulator (after the first stack is destroyed: moto's backends are process-wide), and
prints what happened. Everything it started is destroyed and stopped on the way out, also on
failure, Ctrl-C or SIGTERM. Exit code 0 only when every scenario behaved.
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tests.support.oidc_peer import unavailable_reason
from tests.support.scenarios import CURITY_SCENARIOS, HTTP_API_SCENARIOS, PEER_SCENARIOS
from tests.support.stack import peer_stack, running_http_stack, running_stack

if TYPE_CHECKING:
    from tests.support.scenarios import Scenario
    from tests.support.stack import Call, Stack

_REASON_CHARS = 3000
COLUMNS = ("request", "credential", "status", "authorizer", "identity server", "upstream received")


def _authorizer_cell(call: Call) -> str:
    if call.cached_policy:
        return "cached policy"
    return "Lambda ran" if call.lambda_invocations else "not invoked"


def _identity_cell(call: Call) -> str:
    if call.identity_note is not None:
        return call.identity_note
    if call.introspections is None:
        return "-"
    return "called" if call.introspections else "not called"


def row(call: Call) -> tuple[str, ...]:
    mark = "ok" if call.ok else f"FAIL, expected {call.expected_status}"
    return (
        call.request,
        call.credential,
        f"{call.status} {mark}",
        _authorizer_cell(call),
        _identity_cell(call),
        call.seen_by_upstream,
    )


def print_table(results: list[tuple[Scenario, list[Call]]], out: TextIO) -> None:
    rows = [row(call) for _, calls in results for call in calls]
    widths = [max(len(text) for text in column) for column in zip(COLUMNS, *rows, strict=False)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    out.write(line(COLUMNS).rstrip() + "\n")
    out.write(line(tuple("-" * width for width in widths)) + "\n")
    for scenario, calls in results:
        verdict = "behaved" if all(call.ok for call in calls) else "DID NOT BEHAVE"
        out.write(f"# {scenario.name}: {verdict}\n")
        for call in calls:
            out.write(line(row(call)).rstrip() + "\n")
            for problem in call.problems:
                out.write(f"    ! {problem}\n")


OUTCOMES = ("allow", "deny", "unauthorized", "error")


def decision_counts(logs: str) -> dict[str, int]:
    """Decisions per outcome and cache hits/misses, read back from the EMF decision lines."""
    counts = dict.fromkeys((*OUTCOMES, "cache hit", "cache miss"), 0)
    for text in logs.splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if not isinstance(line, dict) or "_aws" not in line:
            continue
        counts[line["Outcome"]] += line["Decisions"]
        if "CacheHit" in line:
            counts["cache hit" if line["CacheHit"] else "cache miss"] += 1
    return counts


def counts_line(counts: dict[str, int]) -> str:
    outcomes = ", ".join(f"{outcome} {counts[outcome]}" for outcome in OUTCOMES)
    return f"{outcomes}; cache hit {counts['cache hit']} / miss {counts['cache miss']}"


def run_scenarios(
    stack: Stack, scenarios: tuple[Scenario, ...]
) -> list[tuple[Scenario, list[Call]]]:
    return [(scenario, scenario.run(stack)) for scenario in scenarios]


def _metrics(api: str, stack: Stack) -> tuple[str, dict[str, int], int]:
    """What the stack's own Lambda logged (the oidc-provider gateway's runs are not in it)."""
    return api, decision_counts(stack.gateway.lambda_logs()), stack.gateway.lambda_invocations


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(out: TextIO = sys.stdout) -> int:
    # Clean up on SIGTERM as on Ctrl-C, also when started with SIGINT ignored (a background job).
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    started = time.monotonic()

    def progress(message: str) -> None:
        out.write(f"[{time.monotonic() - started:5.1f}s] {message}\n")
        out.flush()

    results: list[tuple[Scenario, list[Call]]] = []
    metrics: list[tuple[str, dict[str, int], int]] = []  # per API: counts, Lambda invocations
    try:
        with tempfile.TemporaryDirectory(prefix="phantom-token-demo-") as tmp:
            rest_dir, http_api_dir = Path(tmp) / "rest", Path(tmp) / "http-api"
            rest_dir.mkdir()
            http_api_dir.mkdir()
            with running_stack(rest_dir, progress) as stack:
                progress("running the scenarios against the fake Curity (jwt mode)")
                results += run_scenarios(stack, CURITY_SCENARIOS)
                reason = unavailable_reason()
                if reason is None:
                    progress("switching the authorizer to oidc-provider (rfc9701 mode)")
                    with peer_stack(stack) as peer:
                        results += run_scenarios(peer, PEER_SCENARIOS)
                else:
                    progress(f"skipping the oidc-provider scenarios: {reason}")
                metrics.append(_metrics("REST API", stack))
                progress("stopping the gateway, destroying the stack, stopping the servers")
            with running_http_stack(http_api_dir, progress) as stack:
                progress("running the HTTP API scenarios against the fake Curity (jwt mode)")
                results += run_scenarios(stack, HTTP_API_SCENARIOS)
                metrics.append(_metrics("HTTP API", stack))
                progress("stopping the HTTP API emulator, destroying it, stopping the servers")
    except KeyboardInterrupt:
        out.write("interrupted: everything started was stopped\n")
        return 130
    except Exception as error:  # the demo's user wants the reason, then a non-zero exit
        traceback.print_exc()
        reason = str(error)[:_REASON_CHARS]  # terraform's errors come first, then its plan
        out.write(f"the demo could not run: {type(error).__name__}: {reason}\n")
        return 1
    out.write("\n")
    print_table(results, out)
    out.write(
        "\nauthorizer: whether the Lambda ran or API Gateway's cached policy answered; "
        "identity server: whether it got an introspection request (oidc-provider keeps no count)."
        "\n"
    )
    out.write("\nDecisions read back from the Lambda's metrics (its EMF lines):\n")
    for api, counts, invocations in metrics:
        out.write(f"  {api}: {invocations} invocations; {counts_line(counts)}\n")
    failed = [scenario.name for scenario, calls in results if not all(c.ok for c in calls)]
    total = len(results)
    out.write(f"\n{total - len(failed)} of {total} scenarios behaved")
    out.write(
        f" ({time.monotonic() - started:.0f}s).\n"
        if not failed
        else f"; failed: {', '.join(failed)}\n"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
