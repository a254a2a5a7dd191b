"""What ``make test`` and ``make demo`` need from the machine and do not install.

    python3 -m tests.support.prerequisites

Runs before any virtual environment exists: standard library only, and syntax that an older
Python can still read, so that it can say the Python is too old. Prints one line per missing
prerequisite, naming what is needed and what was found, and exits 1; prints nothing and exits
0 when everything is there. README.md ("Requirements") says the same for people.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.support.provider_mirror import find_provider_mirror

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

MIN_PYTHON = (3, 11)
# The module needs 1.5.7; the submodules' native suites use mock_provider (Terraform 1.7).
MIN_TERRAFORM = (1, 7)
MIN_NODE = (20,)
REGISTRY = ("registry.terraform.io", 443)
_PROBE_SECONDS = 3.0


def _version(text: str) -> tuple[int, ...]:
    """(1, 11, 4) from "1.11.4", "v20.20.2" or "1.8.0-beta1"; () when there is no number."""
    parts = []
    for part in text.strip().lstrip("v").split("."):
        digits = ""
        for character in part:
            if not character.isdigit():
                break
            digits += character
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _shown(version: tuple[int, ...]) -> str:
    return ".".join(str(number) for number in version)


def _output(command: list[str]) -> str | None:
    """The command's stdout, or None when it cannot be run or fails."""
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env={**os.environ, "CHECKPOINT_DISABLE": "1"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _reachable(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=_PROBE_SECONDS).close()
    except OSError:
        return False
    return True


def problems(
    *,
    python: tuple[int, ...] = tuple(sys.version_info[:3]),
    which: Callable[[str], str | None] = shutil.which,
    output: Callable[[list[str]], str | None] = _output,
    mirror: Callable[[], Path | None] = find_provider_mirror,
    reachable: Callable[[tuple[str, int]], bool] = _reachable,
    has_ensurepip: bool | None = None,
) -> list[str]:
    """One line for each missing prerequisite, in the order make would need them."""
    found: list[str] = []
    if python < MIN_PYTHON:
        found.append(
            f"Python >= {_shown(MIN_PYTHON)} is required ({sys.executable} is {_shown(python)}); "
            "run make with PYTHON=python3.11 or newer"
        )
    if has_ensurepip is None:
        has_ensurepip = importlib.util.find_spec("ensurepip") is not None
    if not has_ensurepip:
        found.append(
            "Python's venv cannot install pip (no ensurepip module); on Debian or Ubuntu "
            "install the python3-venv package"
        )

    terraform = which("terraform")
    if terraform is None:
        found.append(f"Terraform >= {_shown(MIN_TERRAFORM)} is required on PATH (not found)")
    else:
        text = output([terraform, "version", "-json"])
        try:
            version = _version(json.loads(text or "")["terraform_version"])
        except (ValueError, KeyError, TypeError):
            version = ()
        if version < MIN_TERRAFORM:
            shown = _shown(version) or "an unknown version"
            found.append(
                f"Terraform >= {_shown(MIN_TERRAFORM)} is required ({terraform} is {shown})"
            )
        elif mirror() is None and not reachable(REGISTRY):
            found.append(
                "the hashicorp/aws provider needs registry.terraform.io (unreachable) or a "
                "filesystem mirror (none found): set TF_PROVIDER_MIRROR to a directory that "
                "holds registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>"
            )

    node = which("node")
    if node is None:
        found.append(f"Node.js >= {_shown(MIN_NODE)} is required on PATH (not found)")
    else:
        version = _version(output([node, "--version"]) or "")
        if version < MIN_NODE:
            shown = _shown(version) or "an unknown version"
            found.append(f"Node.js >= {_shown(MIN_NODE)} is required ({node} is {shown})")
        elif which("npm") is None:
            found.append("npm is required on PATH (it comes with Node.js; not found)")
    return found


def main() -> int:
    missing = problems()
    for line in missing:
        print(f"prerequisite missing: {line}; see README.md, Requirements", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
