"""Every variable and output is in its README's terraform-docs table, with its description."""

from __future__ import annotations

import pytest

from tests.support.terraform import REPO_ROOT
from tests.terraform.layout import EXAMPLES
from tests.terraform.readme import READMES, documented, outputs, variables

REFRESH = "refresh the tables with: .venv/bin/python -m tests.terraform.readme"
MODULES = sorted(set(READMES.values()))


@pytest.mark.parametrize(("readme", "module"), READMES.items(), ids=list(READMES))
def test_readme_documents_every_input_and_output(readme: str, module: str) -> None:
    path = REPO_ROOT / readme
    assert path.exists(), f"{readme} is missing"
    inputs, outputs_ = documented(path.read_text(encoding="utf-8"))

    expected_inputs = {v.name: v.description for v in variables(module)}
    expected_outputs = {o.name: o.description for o in outputs(module)}

    assert inputs == expected_inputs, (
        f"{readme} inputs differ from {module}/variables.tf; {REFRESH}"
    )
    assert outputs_ == expected_outputs, (
        f"{readme} outputs differ from {module}/outputs.tf; {REFRESH}"
    )


@pytest.mark.parametrize("module", MODULES)
def test_variables_and_outputs_are_documented_and_sorted(module: str) -> None:
    declared_variables = variables(module)
    declared_outputs = outputs(module)
    names = [v.name for v in declared_variables]
    output_names = [o.name for o in declared_outputs]

    assert names == sorted(names), f"{module}/variables.tf is not sorted"
    assert output_names == sorted(output_names), f"{module}/outputs.tf is not sorted"
    assert all(v.description for v in declared_variables)
    assert all(o.description for o in declared_outputs)


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_has_a_readme(example: str) -> None:
    readme = REPO_ROOT / example / "README.md"

    assert readme.exists()
    assert "terraform init" in readme.read_text(encoding="utf-8")
