"""tests/support/prerequisites.py: what make test and make demo check before installing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import prerequisites
from tests.support.terraform import REPO_ROOT

TOOLS = {"terraform": "/usr/bin/terraform", "node": "/usr/bin/node", "npm": "/usr/bin/npm"}
VERSIONS = {"terraform": json.dumps({"terraform_version": "1.11.4"}), "node": "v20.20.2\n"}


def check(
    tools: dict[str, str] = TOOLS, versions: dict[str, str] = VERSIONS, **kwargs: Any
) -> list[str]:
    """problems() on a machine with these tools, answering --version with these texts."""
    probes: list[tuple[str, int]] = kwargs.pop("probes", [])

    def output(command: list[str]) -> str | None:
        return versions.get(Path(command[0]).name)

    def reachable(address: tuple[str, int]) -> bool:
        probes.append(address)
        return bool(kwargs.get("registry", False))

    return prerequisites.problems(
        python=kwargs.get("python", (3, 11, 7)),
        which=tools.get,
        output=output,
        mirror=lambda: kwargs.get("mirror", Path("provider-mirror")),
        reachable=reachable,
        has_ensurepip=kwargs.get("ensurepip", True),
    )


def test_a_machine_with_everything_has_no_problem() -> None:
    # GIVEN Terraform 1.11.4, Node 20 with npm, and a provider mirror
    probes: list[tuple[str, int]] = []
    # WHEN it is checked
    # THEN nothing is missing, and the registry was not even probed
    assert check(probes=probes) == []
    assert probes == []


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            {"tools": {"node": "/usr/bin/node", "npm": "/usr/bin/npm"}},
            "Terraform >= 1.7 is required on PATH (not found)",
        ),
        (
            {"versions": {**VERSIONS, "terraform": json.dumps({"terraform_version": "1.5.7"})}},
            "Terraform >= 1.7 is required (/usr/bin/terraform is 1.5.7)",
        ),
        (
            {"versions": {**VERSIONS, "terraform": "Terraform v1.11.4"}},
            "Terraform >= 1.7 is required (/usr/bin/terraform is an unknown version)",
        ),
        (
            {"mirror": None},
            "the hashicorp/aws provider needs registry.terraform.io (unreachable) or a "
            "filesystem mirror (none found): set TF_PROVIDER_MIRROR to a directory that holds "
            "registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>",
        ),
        (
            {"tools": {"terraform": "/usr/bin/terraform"}},
            "Node.js >= 20 is required on PATH (not found)",
        ),
        (
            {"versions": {**VERSIONS, "node": "v18.19.1\n"}},
            "Node.js >= 20 is required (/usr/bin/node is 18.19.1)",
        ),
        (
            {"tools": {"terraform": "/usr/bin/terraform", "node": "/usr/bin/node"}},
            "npm is required on PATH (it comes with Node.js; not found)",
        ),
        (
            {"ensurepip": False},
            "Python's venv cannot install pip (no ensurepip module); on Debian or Ubuntu "
            "install the python3-venv package",
        ),
    ],
    ids=[
        "no-terraform",
        "old-terraform",
        "unreadable-terraform",
        "no-provider",
        "no-node",
        "old-node",
        "no-npm",
        "no-ensurepip",
    ],
)
def test_each_missing_prerequisite_is_one_line(change: dict[str, Any], line: str) -> None:
    # GIVEN a machine that lacks one prerequisite
    # WHEN it is checked
    # THEN that one is named, with what was found
    assert check(**change) == [line]


def test_an_old_python_is_named() -> None:
    # GIVEN make's PYTHON is 3.10
    # WHEN it is checked
    [line] = check(python=(3, 10, 12))
    # THEN the line says which is needed and how to choose another
    assert line.startswith("Python >= 3.11 is required (")
    assert line.endswith(" is 3.10.12); run make with PYTHON=python3.11 or newer")


def test_without_a_mirror_a_reachable_registry_will_do() -> None:
    # GIVEN no provider mirror, but registry.terraform.io answers
    probes: list[tuple[str, int]] = []
    # WHEN it is checked
    # THEN nothing is missing, after one probe of the registry
    assert check(mirror=None, registry=True, probes=probes) == []
    assert probes == [("registry.terraform.io", 443)]


@pytest.mark.parametrize(
    ("text", "version"),
    [("1.11.4", (1, 11, 4)), ("v20.20.2\n", (20, 20, 2)), ("1.8.0-beta1", (1, 8, 0)), ("", ())],
)
def test_version_numbers(text: str, version: tuple[int, ...]) -> None:
    assert prerequisites._version(text) == version


def test_the_script_prints_one_line_per_missing_prerequisite_and_fails() -> None:
    # GIVEN a PATH where neither terraform nor node can be found
    # WHEN make's check runs
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.prerequisites"],
        cwd=REPO_ROOT,
        env={"PATH": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # THEN it fails with one line for each, pointing at the README
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "prerequisite missing: Terraform >= 1.7 is required on PATH (not found); "
        "see README.md, Requirements",
        "prerequisite missing: Node.js >= 20 is required on PATH (not found); "
        "see README.md, Requirements",
    ]
