"""The native ``terraform test`` suites (mocked AWS provider) of each submodule."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.terraform import REPO_ROOT
from tests.terraform.layout import SUBMODULES

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.terraform import TerraformWorkdir

pytestmark = pytest.mark.plan

SUITES = sorted(
    str(path.parent.parent.relative_to(REPO_ROOT))
    for path in REPO_ROOT.glob("modules/*/tests/*.tftest.hcl")
)


def test_every_submodule_has_a_native_suite() -> None:
    assert tuple(sorted(set(SUITES))) == SUBMODULES


@pytest.mark.parametrize("module", sorted(set(SUITES)))
def test_terraform_test(initialised: Callable[[str], TerraformWorkdir], module: str) -> None:
    output = initialised(module).test()

    assert "Success!" in output, output
    assert " 0 failed" in output, output
