"""Every table of each README's terraform-docs block matches its module, cell by cell.

The block holds terraform-docs' requirements, providers, modules, resources, inputs and outputs
tables (tests/terraform/readme.py renders them); each example's README has one too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.support.terraform import REPO_ROOT
from tests.terraform.layout import EXAMPLES, SUBMODULES
from tests.terraform.readme import (
    READMES,
    ReadmeTableError,
    declared,
    documented,
    join_parenthesized_lines,
    outputs,
    render,
    variable_types,
    variables,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

REFRESH = "refresh the tables with: .venv/bin/python -m tests.terraform.readme"
MODULES = sorted(set(READMES.values()))
# The tables whose rows terraform-docs orders itself (inputs and outputs follow the sorted files).
ORDERED = ("requirement", "provider", "module", "resource")


def _differences(kind: str, readme: Mapping[str, Any], module: Mapping[str, Any]) -> list[str]:
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
    if kind in ORDERED:
        shown = [name for name in readme if name in module]
        expected = [name for name in module if name in readme]
        if shown != expected:
            problems.append(f"{kind}s: README order {shown} != terraform-docs order {expected}")
    return problems


def _table_differences(readme_text: str, module: str) -> list[str]:
    readme, declared_ = documented(readme_text), declared(module)
    return [
        *_differences("requirement", readme.requirements, declared_.requirements),
        *_differences("provider", readme.providers, declared_.providers),
        *_differences("module", readme.modules, declared_.modules),
        *_differences("resource", readme.resources, declared_.resources),
        *_differences("input", readme.inputs, declared_.inputs),
        *_differences("output", readme.outputs, declared_.outputs),
    ]


@pytest.mark.parametrize(("readme", "module"), READMES.items(), ids=list(READMES))
def test_readme_tables_match_the_module(readme: str, module: str) -> None:
    path = REPO_ROOT / readme
    assert path.exists(), f"{readme} is missing"

    try:
        problems = _table_differences(path.read_text(encoding="utf-8"), module)
    except ReadmeTableError as error:
        problems = [f"the terraform-docs block: {error}"]

    assert not problems, "\n".join([f"{readme} differs from {module}:", *problems, REFRESH])


def test_every_module_and_example_has_its_readme_checked() -> None:
    assert sorted(READMES.values()) == sorted([".", *SUBMODULES, *EXAMPLES])
    assert all(
        readme == f"{module}/README.md".removeprefix("./") for readme, module in READMES.items()
    )


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


def _before_inputs(rendered: str) -> str:
    """The requirements, providers, modules and resources sections of a rendered block."""
    return rendered.split("<!-- BEGIN_TF_DOCS -->\n", 1)[1].split("\n\n## Inputs", 1)[0]


def test_the_reference_tables_are_terraform_docs_markdown_tables() -> None:
    # GIVEN a module with a count, a terraform_data resource, a parenthesized multi-line
    # conditional (python-hcl2 needs its lines joined) and no module call
    rendered = render("modules/authorizer-function")

    # THEN its tables are the ones terraform-docs writes without a lock file: the constraints,
    # n/a for the built-in terraform provider, addresses without index sorted by type
    docs = "https://registry.terraform.io/providers/hashicorp"
    assert _before_inputs(rendered) == "\n".join(
        [
            "## Requirements",
            "",
            "| Name | Version |",
            "|------|---------|",
            '| <a name="requirement_terraform"></a> [terraform](#requirement\\_terraform)'
            " | >= 1.5.7 |",
            '| <a name="requirement_aws"></a> [aws](#requirement\\_aws) | >= 5.100 |',
            "",
            "## Providers",
            "",
            "| Name | Version |",
            "|------|---------|",
            '| <a name="provider_aws"></a> [aws](#provider\\_aws) | >= 5.100 |',
            '| <a name="provider_terraform"></a> [terraform](#provider\\_terraform) | n/a |',
            "",
            "## Modules",
            "",
            "No modules.",
            "",
            "## Resources",
            "",
            "| Name | Type |",
            "|------|------|",
            f"| [aws_cloudwatch_log_group.this]({docs}/aws/latest/docs/resources/"
            "cloudwatch_log_group) | resource |",
            f"| [aws_iam_role.this]({docs}/aws/latest/docs/resources/iam_role) | resource |",
            f"| [aws_iam_role_policy.this]({docs}/aws/latest/docs/resources/iam_role_policy)"
            " | resource |",
            f"| [aws_lambda_function.this]({docs}/aws/latest/docs/resources/lambda_function)"
            " | resource |",
            f"| [terraform_data.environment]({docs}/terraform/latest/docs/resources/data)"
            " | resource |",
        ]
    )


def test_module_calls_are_listed_by_name_with_their_source() -> None:
    rendered = render(".")

    assert _before_inputs(rendered).split("## Modules\n\n", 1)[1].split("\n\n")[0] == (
        "\n".join(
            [
                "| Name | Source | Version |",
                "|------|--------|---------|",
                '| <a name="module_authorizer"></a> [authorizer](#module\\_authorizer)'
                " | ./modules/rest-api-authorizer | n/a |",
                '| <a name="module_function"></a> [function](#module\\_function)'
                " | ./modules/authorizer-function | n/a |",
                '| <a name="module_gateway_responses"></a>'
                " [gateway\\_responses](#module\\_gateway\\_responses)"
                " | ./modules/gateway-responses | n/a |",
                '| <a name="module_http_api_authorizer"></a>'
                " [http\\_api\\_authorizer](#module\\_http\\_api\\_authorizer)"
                " | ./modules/http-api-authorizer | n/a |",
                '| <a name="module_http_api_routes"></a>'
                " [http\\_api\\_routes](#module\\_http\\_api\\_routes)"
                " | ./modules/http-api-route | n/a |",
                '| <a name="module_routes"></a> [routes](#module\\_routes)'
                " | ./modules/protected-method | n/a |",
            ]
        )
    )


SYNTHETIC_MODULE = """\
terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
    random = {
      source  = "hashicorp/random"
      version = "= 3.6.0"
    }
    thing = {
      source = "example.com/acme/thing"
    }
  }
}

data "aws_region" "current" {}

resource "aws_s3_bucket" "logs" {
  provider = aws.west
  bucket = (
    var.name == null
    ? "logs"
    : var.name
  )
}

resource "aws_s3_bucket" "data" {
  count = 2
}

resource "random_id" "this" {
  for_each    = toset(["a"])
  byte_length = 4
}

resource "thing_widget" "this" {}

module "remote" {
  source = "git::https://example.com/m.git?ref=v1.2.0"
}

module "registry" {
  source  = "acme/thing/aws"
  version = "~> 1.0"
}
"""


def test_every_kind_of_row_is_rendered_as_terraform_docs_does(tmp_path: Path) -> None:
    # GIVEN a module with an aliased provider, a data source, a provider pinned to one version,
    # one outside the public registry, and module calls from git and from the registry
    (tmp_path / "main.tf").write_text(SYNTHETIC_MODULE, encoding="utf-8")

    # WHEN its block is rendered
    rendered = render(str(tmp_path))

    # THEN each row is terraform-docs': a provider without constraints is n/a and has no
    # requirement row; a pinned version is in the docs link; a ?ref= is the module's version;
    # resources come before data sources; empty tables say so
    docs = "https://registry.terraform.io/providers/hashicorp"
    assert rendered == "\n".join(
        [
            "<!-- BEGIN_TF_DOCS -->",
            "## Requirements",
            "",
            "| Name | Version |",
            "|------|---------|",
            '| <a name="requirement_terraform"></a> [terraform](#requirement\\_terraform)'
            " | >= 1.5.7 |",
            '| <a name="requirement_aws"></a> [aws](#requirement\\_aws) | >= 5.100 |',
            '| <a name="requirement_random"></a> [random](#requirement\\_random) | = 3.6.0 |',
            "",
            "## Providers",
            "",
            "| Name | Version |",
            "|------|---------|",
            '| <a name="provider_aws"></a> [aws](#provider\\_aws) | >= 5.100 |',
            '| <a name="provider_aws.west"></a> [aws.west](#provider\\_aws.west) | >= 5.100 |',
            '| <a name="provider_random"></a> [random](#provider\\_random) | = 3.6.0 |',
            '| <a name="provider_thing"></a> [thing](#provider\\_thing) | n/a |',
            "",
            "## Modules",
            "",
            "| Name | Source | Version |",
            "|------|--------|---------|",
            '| <a name="module_registry"></a> [registry](#module\\_registry)'
            " | acme/thing/aws | ~> 1.0 |",
            '| <a name="module_remote"></a> [remote](#module\\_remote)'
            " | git::https://example.com/m.git | v1.2.0 |",
            "",
            "## Resources",
            "",
            "| Name | Type |",
            "|------|------|",
            f"| [aws_s3_bucket.data]({docs}/aws/latest/docs/resources/s3_bucket) | resource |",
            f"| [aws_s3_bucket.logs]({docs}/aws/latest/docs/resources/s3_bucket) | resource |",
            f"| [random_id.this]({docs}/random/3.6.0/docs/resources/id) | resource |",
            "| thing_widget.this | resource |",
            f"| [aws_region.current]({docs}/aws/latest/docs/data-sources/region) | data source |",
            "",
            "## Inputs",
            "",
            "No inputs.",
            "",
            "## Outputs",
            "",
            "No outputs.",
            "<!-- END_TF_DOCS -->",
        ]
    )
    # AND it reads back to the module, empty tables included
    assert _table_differences(rendered, str(tmp_path)) == []


def test_lines_inside_parentheses_are_joined_and_nothing_else() -> None:
    source = "\n".join(
        [
            'resource "aws_x" "y" {',
            "  # a comment (with a parenthesis",
            "  a = (",
            "    var.b # why",
            '    ? "x (\\"" // and why not',
            '    : "${var.c ? "(" : ")"}"',
            "  )",
            "  b = <<-EOT",
            "    keep (",
            "    this",
            "  EOT",
            "  c = ({",
            "    k = 1",
            "  })",
            "}",
        ]
    )

    assert join_parenthesized_lines(source) == "\n".join(
        [
            'resource "aws_x" "y" {',
            "  # a comment (with a parenthesis",
            '  a = (     var.b      ? "x (\\""      : "${var.c ? "(" : ")"}"   )',
            "  b = <<-EOT",
            "    keep (",
            "    this",
            "  EOT",
            "  c = ({",
            "    k = 1",
            "  })",
            "}",
        ]
    )


ROOT_DOCS = "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources"


@pytest.mark.parametrize(
    ("row", "old", "new", "problem"),
    [
        (
            'name="requirement_terraform"',
            "| >= 1.5.7 |",
            "| >= 1.5.0 |",
            "requirement terraform, column version",
        ),
        ('name="provider_aws"', "| >= 5.100 |", "| n/a |", "provider aws, column version"),
        (
            'name="module_function"',
            "| ./modules/authorizer-function |",
            "| ./modules/authorizer |",
            "module function, column source",
        ),
        ('name="module_function"', "| n/a |", "| 1.0.0 |", "module function, column version"),
        (
            "[aws_cloudwatch_dashboard.this]",
            "/latest/",
            "/5.100/",
            "resource aws_cloudwatch_dashboard.this, column url",
        ),
        (
            "[aws_cloudwatch_dashboard.this]",
            "| resource |",
            "| data source |",
            "resource aws_cloudwatch_dashboard.this, column type",
        ),
        (
            "[aws_cloudwatch_dashboard.this]",
            f"[aws_cloudwatch_dashboard.this]({ROOT_DOCS}/cloudwatch_dashboard)",
            "aws_cloudwatch_dashboard.this",
            "resource aws_cloudwatch_dashboard.this, column url",
        ),
        (
            "[aws_cloudwatch_dashboard.this]",
            "[aws_cloudwatch_dashboard.this]",
            "[aws_cloudwatch_dashboards.this]",
            "resource aws_cloudwatch_dashboard.this",  # missing, and one not in the module
        ),
    ],
    ids=[
        "requirement",
        "provider",
        "module-source",
        "module-version",
        "resource-url",
        "resource-type",
        "resource-link",
        "resource-name",
    ],
)
def test_a_wrong_cell_of_a_reference_table_is_reported(
    row: str, old: str, new: str, problem: str
) -> None:
    # GIVEN the root module's tables with one cell changed
    rendered = render(".")
    line = next(line for line in rendered.splitlines() if row in line)
    assert old in line
    changed = rendered.replace(line, line.replace(old, new, 1))

    # WHEN they are compared with the module
    problems = _table_differences(changed, ".")

    # THEN that cell (or that row) is reported, with the refresh hint left to the test above
    assert problems
    assert problems[0].split(":")[0] == problem
    assert len(problems) == (2 if "column" not in problem else 1)


def test_a_missing_and_an_extra_resource_row_are_reported() -> None:
    rendered = render(".")
    row = next(line for line in rendered.splitlines() if "[aws_cloudwatch_dashboard.this]" in line)
    extra = f"| [aws_iam_role.extra]({ROOT_DOCS}/iam_role) | resource |"

    problems = _table_differences(rendered.replace(row, extra), ".")

    assert problems == [
        "resource aws_cloudwatch_dashboard.this: not in the README",
        "resource aws_iam_role.extra: not in the module",
    ]


def test_rows_out_of_terraform_docs_order_are_reported() -> None:
    # GIVEN the root module's modules table with two rows swapped
    lines = render(".").splitlines()
    first = next(i for i, line in enumerate(lines) if 'name="module_authorizer"' in line)
    lines[first], lines[first + 1] = lines[first + 1], lines[first]

    problems = _table_differences("\n".join(lines), ".")

    assert len(problems) == 1
    assert problems[0].startswith("modules: README order ['function', 'authorizer', ")


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(lambda text: text.replace("| Default |", "| Defaults |"), id="header"),
        pytest.param(lambda text: text.replace(" | `{}` | no |", " | no |", 1), id="columns"),
        pytest.param(lambda text: text.replace("<!-- END_TF_DOCS -->", ""), id="end-marker"),
        pytest.param(lambda text: text.replace("## Resources\n", ""), id="missing-section"),
        pytest.param(
            lambda text: text.replace("## Modules", "## X").replace("## Providers", "## Modules"),
            id="sections-out-of-order",
        ),
        pytest.param(lambda text: text.replace("| Source |", "| From |"), id="modules-header"),
        pytest.param(
            lambda text: text.replace("[aws_cloudwatch_dashboard.this](", "[dashboard](", 1),
            id="resource-name",
        ),
        pytest.param(
            lambda text: text.replace("[aws](#provider\\_aws)", "[aws](#input\\_aws)"),
            id="provider-anchor",
        ),
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


@pytest.mark.parametrize("module", [".", *SUBMODULES])
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
