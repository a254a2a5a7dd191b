"""Inputs and outputs tables between the terraform-docs markers of each README.

terraform-docs cannot be installed everywhere, so this renders the same tables from
``variables.tf`` and ``outputs.tf`` (python-hcl2 for descriptions, the source text for types),
and parses them back for tests/terraform/test_readme.py. Refresh every README with:

    .venv/bin/python -m tests.terraform.readme
"""

from __future__ import annotations

import html
import json
import re
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

import hcl2

from tests.support.terraform import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
# README -> the module it documents
READMES = {
    "README.md": ".",
    "modules/authorizer-function/README.md": "modules/authorizer-function",
    "modules/gateway-responses/README.md": "modules/gateway-responses",
    "modules/rest-api-authorizer/README.md": "modules/rest-api-authorizer",
    "modules/protected-method/README.md": "modules/protected-method",
}
_ROW_NAME = re.compile(r"^\| <a name=\"(input|output)_([A-Za-z0-9_-]+)\"></a>")


class Entry(NamedTuple):
    name: str
    description: str


class Variable(NamedTuple):
    name: str
    description: str
    type: str
    default: Any
    required: bool


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        parsed = hcl2.load(handle)
    return [(name, body) for block in parsed.get(kind, []) for name, body in block.items()]


def _type_text(source: str, name: str) -> str:
    """The ``type = ...`` expression of a variable, as written (balanced brackets)."""
    header = re.search(rf'^variable "{re.escape(name)}" {{', source, flags=re.M)
    assert header, name
    start = source.index("type", header.end())
    start = source.index("=", start) + 1
    depth = 0
    for position in range(start, len(source)):
        char = source[position]
        depth += char in "({["
        depth -= char in ")}]"
        if char == "\n" and depth == 0:
            return source[start:position].strip()
    return source[start:].strip()


def variables(module: str) -> list[Variable]:
    path = REPO_ROOT / module / "variables.tf"
    source = path.read_text(encoding="utf-8") if path.exists() else ""
    return [
        Variable(
            name=name,
            description=body.get("description", ""),
            type=_type_text(source, name),
            default=body.get("default"),
            required="default" not in body,
        )
        for name, body in _blocks(path, "variable")
    ]


def outputs(module: str) -> list[Entry]:
    path = REPO_ROOT / module / "outputs.tf"
    return [Entry(name, body.get("description", "")) for name, body in _blocks(path, "output")]


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", "<br/>")


def _code(text: str) -> str:
    if "\n" in text:
        return "<pre>" + _cell(text) + "</pre>"
    return "`" + text.replace("|", "\\|") + "`"


def _link(kind: str, name: str) -> str:
    escaped = name.replace("_", "\\_")
    return f'<a name="{kind}_{name}"></a> [{escaped}](#{kind}\\_{escaped})'


def render(module: str) -> str:
    """The block between the markers, in terraform-docs' markdown table layout."""
    lines = [
        BEGIN,
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for variable in variables(module):
        default = "n/a" if variable.required else _code(json.dumps(variable.default))
        lines.append(
            f"| {_link('input', variable.name)} | {_cell(variable.description)} | "
            f"{_code(variable.type)} | {default} | {'yes' if variable.required else 'no'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    lines += [f"| {_link('output', o.name)} | {_cell(o.description)} |" for o in outputs(module)]
    lines.append(END)
    return "\n".join(lines)


def documented(readme_text: str) -> tuple[dict[str, str], dict[str, str]]:
    """Inputs and outputs (name -> description) in the README's terraform-docs block."""
    assert BEGIN in readme_text, f"no {BEGIN} marker"
    assert END in readme_text, f"no {END} marker"
    block = readme_text.split(BEGIN, 1)[1].split(END, 1)[0]
    found: dict[str, dict[str, str]] = {"input": {}, "output": {}}
    for line in block.splitlines():
        match = _ROW_NAME.match(line)
        if match:
            cells = re.split(r"(?<!\\) \| ", line.strip().strip("|"))
            description = html.unescape(cells[1].replace("\\|", "|").replace("<br/>", "\n"))
            found[match[1]][match[2]] = description.strip()
    return found["input"], found["output"]


def refresh(readme: Path, module: str) -> bool:
    """Rewrite the block between the markers; False when the README has no markers."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if BEGIN not in text or END not in text:
        return False
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    readme.write_text(before + render(module) + after, encoding="utf-8")
    return True


def main() -> None:
    for readme, module in READMES.items():
        state = "refreshed" if refresh(REPO_ROOT / readme, module) else "has no markers, skipped"
        sys.stdout.write(f"{readme}: {state}\n")


if __name__ == "__main__":
    main()
