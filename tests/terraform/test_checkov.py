"""checkov over the root module, every submodule and every example: zero failed checks.

Skips sit inline next to the resource, each with its reason (``#checkov:skip=ID:reason``).
The examples are also scanned from their plans, where values that a directory scan cannot
resolve (optional() defaults, module outputs) are known. A plan holds no comments: the scan is
enriched with the example's source (``--repo-root-for-plan-enrichment``), which is how checkov
applies the inline skips to plan resources, also to those of modules the example calls by a
local path. https://www.checkov.io/7.Scan%20Examples/Terraform%20Plan%20Scanning.html
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.terraform import REPO_ROOT, skip_or_fail
from tests.terraform.layout import EXAMPLES, MODULES

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.terraform.plan import Plan

pytestmark = pytest.mark.policy

TIMEOUT_SECONDS = 300
# Directories whose resource types no checkov policy covers (checkov 3.3): nothing passes there.
UNCOVERED = {"modules/gateway-responses": "aws_api_gateway_gateway_response"}


def _checkov_bin() -> str:
    configured = os.environ.get("CHECKOV_BIN") or str(REPO_ROOT / ".venv-checkov/bin/checkov")
    if not Path(configured).is_file():
        skip_or_fail(f"checkov not found at {configured} (set CHECKOV_BIN or run `make deps`)")
    return configured


def _run(arguments: list[str]) -> list[dict[str, Any]]:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        arguments,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    # checkov exits 1 when a check fails; anything else, or no JSON, is a broken run.
    assert result.returncode in {0, 1}, f"{' '.join(arguments)}\n{result.stderr[-4000:]}"
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def _summaries(reports: list[dict[str, Any]]) -> tuple[list[str], int, int]:
    """Failed checks (one line each), and how many checks passed and were skipped."""
    failures = []
    passed = skipped = 0
    for report in reports:
        passed += report.get("summary", {}).get("passed", 0)
        skipped += report.get("summary", {}).get("skipped", 0)
        failures.extend(
            f"{check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}"
            for check in report.get("results", {}).get("failed_checks", [])
        )
    return failures, passed, skipped


@pytest.fixture(scope="session")
def directory_reports() -> dict[str, list[dict[str, Any]]]:
    """One checkov run per directory, run side by side."""
    checkov = _checkov_bin()
    common = ["--framework", "terraform", "-o", "json", "--quiet", "--compact", "--skip-download"]

    def scan(directory: str) -> list[dict[str, Any]]:
        skips = ["--skip-path", "tests", "--skip-path", "node_modules"]
        if directory == ".":
            skips += ["--skip-path", "examples"]
        return _run([checkov, "-d", directory, *common, *skips])

    with ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 2)) as pool:
        return dict(zip(MODULES, pool.map(scan, MODULES), strict=True))


@pytest.mark.parametrize("directory", MODULES)
def test_checkov_directory(
    directory_reports: dict[str, list[dict[str, Any]]], directory: str
) -> None:
    failures, passed, _ = _summaries(directory_reports[directory])

    assert not failures, "checkov failed checks:\n" + "\n".join(failures)
    if directory in UNCOVERED:
        assert passed == 0, f"checkov now checks {UNCOVERED[directory]}: drop it from UNCOVERED"
    else:
        assert passed > 0, f"checkov ran no check on {directory}"


@pytest.mark.parametrize("example", EXAMPLES)
def test_checkov_example_plan(
    planned: Callable[[str], Plan], module_tree: Path, tmp_path: Path, example: str
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(planned(example).data), encoding="utf-8")
    arguments = [
        _checkov_bin(),
        "-f",
        str(plan_file),
        "--framework",
        "terraform_plan",
        # Maps plan resources back to their source so that the inline skips apply.
        "--repo-root-for-plan-enrichment",
        str(module_tree / example),
        "-o",
        "json",
        "--quiet",
        "--compact",
        "--skip-download",
    ]
    failures, passed, skipped = _summaries(_run(arguments))

    assert not failures, "checkov failed checks:\n" + "\n".join(failures)
    assert passed > 0
    # Without the enrichment a plan scan sees no comment: every inline skip would be a failure.
    assert skipped > 0, "no inline skip applied to the plan scan"
