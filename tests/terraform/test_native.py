"""The native ``terraform test`` suites (mocked AWS provider) of the root and each submodule."""

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


def test_root_module_suite(initialised: Callable[[str], TerraformWorkdir]) -> None:
    # The root's suite (tests/*.tftest.hcl) runs in a consumer's pipeline with no Python.
    assert list(REPO_ROOT.glob("tests/*.tftest.hcl"))
    output = initialised(".").test()

    assert "Success!" in output, output
    assert " 0 failed" in output, output
    assert 'run "a_misspelt_scopes_attribute_is_refused"... pass' in output, output


@pytest.mark.parametrize("module", sorted(set(SUITES)))
def test_terraform_test(initialised: Callable[[str], TerraformWorkdir], module: str) -> None:
    output = initialised(module).test()

    assert "Success!" in output, output
    assert " 0 failed" in output, output
