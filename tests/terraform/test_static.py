"""``terraform fmt`` and ``terraform validate`` for the root module, submodules and examples."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.support.terraform import REPO_ROOT
from tests.terraform.layout import MODULES

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.terraform import TerraformWorkdir

pytestmark = pytest.mark.plan


def test_terraform_fmt(terraform_bin: str, tf_env: dict[str, str]) -> None:
    # The repository's own Terraform only (not .venv, node_modules or .terraform caches).
    paths = sorted(p.name for p in REPO_ROOT.glob("*.tf"))
    paths += ["modules", "examples", "tests/terraform"]
    existing = [p for p in paths if (REPO_ROOT / p).exists()]
    result = subprocess.run(
        [terraform_bin, "fmt", "-check", "-recursive", "-diff", "-no-color", *existing],
        cwd=REPO_ROOT,
        env=tf_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, (
        f"run `terraform fmt -recursive`:\n{result.stdout}{result.stderr}"
    )


@pytest.mark.parametrize("module", MODULES)
def test_terraform_validate(initialised: Callable[[str], TerraformWorkdir], module: str) -> None:
    diagnostics = initialised(module).validate()

    assert diagnostics["valid"], diagnostics["diagnostics"]
    assert diagnostics["warning_count"] == 0, diagnostics["diagnostics"]
