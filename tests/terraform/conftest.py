"""Session fixtures for the Terraform layer: one copied module tree, one plan per root module."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.terraform import (
    TerraformError,
    TerraformWorkdir,
    copy_module_tree,
    find_provider_mirror,
    require_terraform,
    skip_or_fail,
    terraform_env,
    write_aws_override,
)
from tests.terraform.plan import Plan

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    return require_terraform()


@pytest.fixture(scope="session")
def tf_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One CLI config and one plugin cache for every Terraform command of the session."""
    return terraform_env(tmp_path_factory.mktemp("terraform-cli"))


@pytest.fixture(scope="session")
def module_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's Terraform (root, modules, examples, fixtures)."""
    tree = tmp_path_factory.mktemp("module-tree")
    copy_module_tree("complete", tree)
    return tree


@pytest.fixture(scope="session")
def initialised(
    module_tree: Path, tf_env: dict[str, str], terraform_bin: str
) -> Callable[[str], TerraformWorkdir]:
    """Working directory of a root module in the copied tree, initialised once per session."""
    workdirs: dict[str, TerraformWorkdir] = {}

    def get(relative: str) -> TerraformWorkdir:
        if relative not in workdirs:
            workdir = TerraformWorkdir(module_tree / relative, tf_env, terraform_bin)
            try:
                workdir.init()
            except TerraformError as error:
                if find_provider_mirror() is None:
                    skip_or_fail(f"no provider mirror and the registry is unreachable:\n{error}")
                raise
            workdirs[relative] = workdir
        return workdirs[relative]

    return get


@pytest.fixture(scope="session")
def planned(initialised: Callable[[str], TerraformWorkdir]) -> Callable[[str], Plan]:
    """``terraform show -json`` of a root module's plan (offline provider), once per session."""
    plans: dict[str, Plan] = {}

    def get(relative: str) -> Plan:
        if relative not in plans:
            workdir = initialised(relative)
            write_aws_override(workdir.workdir)
            plans[relative] = Plan(workdir.plan_json())
        return plans[relative]

    return get


@pytest.fixture(scope="session")
def complete_plan(planned: Callable[[str], Plan]) -> Plan:
    return planned("examples/complete")


@pytest.fixture(scope="session")
def existing_api_plan(planned: Callable[[str], Plan]) -> Plan:
    return planned("examples/existing-api")


@pytest.fixture(scope="session")
def shared_function_plan(planned: Callable[[str], Plan]) -> Plan:
    return planned("examples/shared-function")


@pytest.fixture(scope="session")
def minimal_plan(planned: Callable[[str], Plan]) -> Plan:
    return planned("tests/terraform/fixtures/minimal")


@pytest.fixture(scope="session")
def full_plan(planned: Callable[[str], Plan]) -> Plan:
    return planned("tests/terraform/fixtures/full")


@pytest.fixture(scope="session")
def http_api_plan(planned: Callable[[str], Plan]) -> Plan:
    return planned("examples/http-api")
