"""Every variable and output is in its README's terraform-docs table, every column right."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.terraform import REPO_ROOT
from tests.terraform.layout import EXAMPLES
from tests.terraform.readme import (
    READMES,
    Entry,
    ReadmeTableError,
    Variable,
    documented,
    outputs,
    render,
    variable_types,
    variables,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

REFRESH = "refresh the tables with: .venv/bin/python -m tests.terraform.readme"
MODULES = sorted(set(READMES.values()))


def _differences(
    kind: str, readme: Mapping[str, Variable | Entry], module: Mapping[str, Variable | Entry]
) -> list[str]:
    """One line per missing row, extra row, or column that differs (README value first)."""
    problems = [f"{kind} {name}: not in the README" for name in module if name not in readme]
    problems += [f"{kind} {name}: not in the module" for name in readme if name not in module]
    for name in sorted(set(readme) & set(module)):
        for column, documented_value, declared_value in zip(
            module[name]._fields, readme[name], module[name], strict=True
        ):
            if documented_value != declared_value:
                problems.append(
                    f"{kind} {name}, column {column}: README {documented_value!r} "
                    f"!= module {declared_value!r}"
                )
    return problems


def _table_differences(readme_text: str, module: str) -> list[str]:
    inputs, outputs_ = documented(readme_text)
    return _differences("input", inputs, {v.name: v for v in variables(module)}) + _differences(
        "output", outputs_, {o.name: o for o in outputs(module)}
    )


@pytest.mark.parametrize(("readme", "module"), READMES.items(), ids=list(READMES))
def test_readme_tables_match_the_module(readme: str, module: str) -> None:
    path = REPO_ROOT / readme
    assert path.exists(), f"{readme} is missing"

    problems = _table_differences(path.read_text(encoding="utf-8"), module)

    assert not problems, "\n".join([f"{readme} differs from {module}:", *problems, REFRESH])


@pytest.mark.parametrize("module", MODULES)
def test_rendered_tables_read_back_to_the_module(module: str) -> None:
    # GIVEN the tables the refresh command writes
    rendered = render(module)

    # WHEN they are read back THEN every row and column is the module's
    assert _table_differences(rendered, module) == []


@pytest.mark.parametrize(
    ("column", "old", "new"),
    [
        ("type", "`any` | `{}` | no |", "`map(any)` | `{}` | no |"),
        ("default", "`{}` | no |", "`[]` | no |"),
        ("required", "`{}` | no |", "`{}` | yes |"),
        ("description", "API Gateway's answers", "API Gateway's replies"),
        (
            "name",
            "[gateway\\_responses](#input\\_gateway\\_responses)",
            "[gateway\\_response](#input\\_gateway\\_responses)",
        ),
    ],
)
def test_a_wrong_column_is_reported(column: str, old: str, new: str) -> None:
    # GIVEN the root module's tables with one cell of the gateway_responses row changed
    rendered = render(".")
    row = next(line for line in rendered.splitlines() if 'name="input_gateway_responses"' in line)
    assert old in row
    changed = rendered.replace(row, row.replace(old, new, 1))

    # WHEN they are compared with the module
    problems = _table_differences(changed, ".")

    # THEN exactly that column of that row is reported
    assert [p.split(":")[0] for p in problems] == [f"input gateway_responses, column {column}"]


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(lambda text: text.replace("| Default |", "| Defaults |"), id="header"),
        pytest.param(lambda text: text.replace(" | `{}` | no |", " | no |", 1), id="columns"),
        pytest.param(lambda text: text.replace("<!-- END_TF_DOCS -->", ""), id="end-marker"),
    ],
)
def test_a_malformed_table_is_an_error(broken: Callable[[str], str]) -> None:
    with pytest.raises(ReadmeTableError):
        documented(broken(render(".")))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('variable "a" {\n  type = string\n}\n', "string"),
        ('variable "a" {\n  type = map(list(string))\n}\n', "map(list(string))"),
        ('variable "a" {\n  description = "a type = list"\n  type = bool\n}\n', "bool"),
        (
            'variable "a" {\n  type = object({\n    b = optional(list(string), ["x", "y"])\n'
            '    cc = optional(string, "z")\n  })\n}\n',
            'object({\n    b  = optional(list(string), ["x", "y"])\n'
            '    cc = optional(string, "z")\n  })',
        ),
        (
            # A multi-line attribute breaks the "=" alignment, as terraform fmt does.
            'variable "a" {\n  type = map(object({\n    name = string\n'
            "    nested = optional(object({\n      x = number\n    }), {})\n"
            "    longer_name = optional(number, -1)\n  }))\n}\n",
            "map(object({\n    name = string\n    nested = optional(object({\n"
            "      x = number\n    }), {})\n    longer_name = optional(number, -1)\n  }))",
        ),
        (
            'variable "a" {\n  type = tuple([string, object({})])\n}\n',
            "tuple([string, object({})])",
        ),
    ],
    ids=["primitive", "collection", "type-in-description", "object", "nested", "tuple"],
)
def test_types_are_rendered_from_the_parsed_expression(source: str, expected: str) -> None:
    assert variable_types(source) == {"a": expected}


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
