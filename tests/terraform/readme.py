"""Inputs and outputs tables between the terraform-docs markers of each README.

terraform-docs cannot be installed everywhere, so this renders the same tables from
``variables.tf`` and ``outputs.tf`` with python-hcl2, and parses them back for
tests/terraform/test_readme.py. Refresh every README with:

    .venv/bin/python -m tests.terraform.readme

Types are rendered from the parsed type expression (python-hcl2's syntax tree: its dict form
drops the quotes of strings inside function arguments), laid out as ``terraform fmt`` writes
them, which is what terraform-docs shows: ``string`` inline, an ``object({...})`` one attribute
a line in a ``<pre>`` block, ``=`` aligned over consecutive one-line attributes. Defaults are
JSON, indented when they span lines.
"""

from __future__ import annotations

import html
import json
import re
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

import hcl2
from lark import Token, Tree

from tests.support.terraform import REPO_ROOT

if TYPE_CHECKING:
    from collections.abc import Callable
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
    "modules/http-api-authorizer/README.md": "modules/http-api-authorizer",
    "modules/http-api-route/README.md": "modules/http-api-route",
}
INPUTS_HEADER = (
    "| Name | Description | Type | Default | Required |",
    "|------|-------------|------|---------|:--------:|",
)
OUTPUTS_HEADER = ("| Name | Description |", "|------|-------------|")
# The indentation of ``type =`` inside a variable block, as terraform fmt writes it.
_TYPE_INDENT = 2
_NAME_CELL = re.compile(
    r'^<a name="(?P<kind>input|output)_(?P<anchor>[A-Za-z0-9_-]+)"></a> '
    r"\[(?P<text>[^\]]+)\]\(#(?P=kind)\\_(?P<target>[^)]+)\)$"
)
_CELL_SEPARATOR = re.compile(r"(?<!\\) \| ")


class ReadmeTableError(ValueError):
    """The README's terraform-docs block is not the layout this module writes."""


class Variable(NamedTuple):
    """One row of the inputs table: every column, as plain text."""

    name: str
    description: str
    type: str
    default: str | None  # JSON text; None when the input is required
    required: bool


class Entry(NamedTuple):
    """One row of the outputs table."""

    name: str
    description: str


# -- reading the module -------------------------------------------------------------------


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        parsed = hcl2.load(handle)
    return [(name, body) for block in parsed.get(kind, []) for name, body in block.items()]


def _subtrees(node: Tree[Token]) -> list[Tree[Token]]:
    """Child trees, without comments and line breaks."""
    return [
        child
        for child in node.children
        if isinstance(child, Tree) and child.data != "new_line_or_comment"
    ]


def _text(node: Tree[Token]) -> str:
    return "".join(str(token) for token in node.scan_values(lambda value: isinstance(value, Token)))


def _type_expressions(source: str) -> dict[str, Tree[Token]]:
    """The ``type`` expression of each ``variable`` block, as python-hcl2 parses it."""
    tree = hcl2.parses(source + "\n")
    found: dict[str, Tree[Token]] = {}
    for block in tree.find_data("block"):
        identifier, *labels, body = _subtrees(block)
        if _text(identifier) != "variable" or len(labels) != 1:
            continue
        for attribute in _subtrees(body):
            if attribute.data == "attribute" and _text(_subtrees(attribute)[0]) == "type":
                found[_text(labels[0])] = _subtrees(attribute)[1]
    return found


def _inner(node: Tree[Token]) -> Tree[Token]:
    """The expression inside ``expr_term`` wrappers and parentheses."""
    while node.data == "expr_term" and len(_subtrees(node)) == 1:
        node = _subtrees(node)[0]
    return node


def _arguments(call: Tree[Token]) -> list[Tree[Token]]:
    arguments = [child for child in _subtrees(call) if child.data == "arguments"]
    return [_inner(argument) for argument in _subtrees(arguments[0])] if arguments else []


def _object_lines(node: Tree[Token], indent: int) -> str:
    """``{`` + one attribute a line (``=`` aligned as terraform fmt does) + ``}``."""
    elements = []
    for element in _subtrees(node):
        key, value = _subtrees(element)
        elements.append((_text(key), type_source(value, indent + 2)))
    if not elements:
        return "{}"
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        # terraform fmt aligns "=" over a run of one-line attributes; a value that spans
        # lines ends the run and keeps a single space.
        width = max((len(key) for key, _ in run), default=0)
        lines.extend(f"{' ' * (indent + 2)}{key.ljust(width)} = {value}" for key, value in run)
        run.clear()

    for key, value in elements:
        if "\n" in value:
            flush()
            lines.append(f"{' ' * (indent + 2)}{key} = {value}")
        else:
            run.append((key, value))
    flush()
    return "{\n" + "\n".join(lines) + "\n" + " " * indent + "}"


def _call_source(node: Tree[Token], indent: int) -> str:
    name = _text(_subtrees(node)[0])
    arguments = _arguments(node)
    if name == "object" and len(arguments) == 1 and arguments[0].data == "object":
        return f"object({_object_lines(arguments[0], indent)})"
    return f"{name}({', '.join(type_source(a, indent) for a in arguments)})"


def _inline_object_source(node: Tree[Token], indent: int) -> str:
    # A default value inside optional(): inline, as it is usually written.
    pairs = [_subtrees(element) for element in _subtrees(node)]
    if not pairs:
        return "{}"
    return "{ " + ", ".join(f"{_text(k)} = {type_source(v, indent)}" for k, v in pairs) + " }"


_SOURCES: dict[str, Callable[[Tree[Token], int], str]] = {
    "identifier": lambda node, _: _text(node),
    "function_call": _call_source,
    "tuple": lambda node, indent: (
        "[" + ", ".join(type_source(item, indent) for item in _subtrees(node)) + "]"
    ),
    "object": _inline_object_source,
    "string": lambda node, _: '"' + _text(node) + '"',
    "int_lit": lambda node, _: _text(node),
    "float_lit": lambda node, _: _text(node),
    "unary_op": lambda node, indent: (
        str(node.children[0]) + type_source(_subtrees(node)[-1], indent)
    ),
}


def type_source(node: Tree[Token], indent: int = _TYPE_INDENT) -> str:
    """A type expression as terraform fmt lays it out, ``indent`` being its line's indentation."""
    node = _inner(node)
    if node.data not in _SOURCES:
        msg = f"unexpected {node.data} in a type expression: {_text(node)}"
        raise ReadmeTableError(msg)
    return _SOURCES[node.data](node, indent)


def variable_types(source: str) -> dict[str, str]:
    """Variable name -> its type as the inputs table shows it, from ``variables.tf`` text."""
    return {name: type_source(node) for name, node in _type_expressions(source).items()}


def _default_text(value: Any) -> str:
    return json.dumps(value, indent=2)


def variables(module: str) -> list[Variable]:
    path = REPO_ROOT / module / "variables.tf"
    types = variable_types(path.read_text(encoding="utf-8")) if path.exists() else {}
    found = []
    for name, body in _blocks(path, "variable"):
        required = "default" not in body
        found.append(
            Variable(
                name=name,
                description=body.get("description", ""),
                type=types.get(name, "any"),
                default=None if required else _default_text(body["default"]),
                required=required,
            )
        )
    return found


def outputs(module: str) -> list[Entry]:
    path = REPO_ROOT / module / "outputs.tf"
    return [Entry(name, body.get("description", "")) for name, body in _blocks(path, "output")]


# -- writing the tables -------------------------------------------------------------------


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
    lines = [BEGIN, "## Inputs", "", *INPUTS_HEADER]
    for variable in variables(module):
        default = "n/a" if variable.default is None else _code(variable.default)
        lines.append(
            f"| {_link('input', variable.name)} | {_cell(variable.description)} | "
            f"{_code(variable.type)} | {default} | {'yes' if variable.required else 'no'} |"
        )
    lines += ["", "## Outputs", "", *OUTPUTS_HEADER]
    lines += [f"| {_link('output', o.name)} | {_cell(o.description)} |" for o in outputs(module)]
    lines.append(END)
    return "\n".join(lines)


# -- reading the tables back --------------------------------------------------------------


def _uncell(cell: str) -> str:
    return html.unescape(cell.replace("\\|", "|").replace("<br/>", "\n"))


def _uncode(cell: str) -> str:
    if cell.startswith("<pre>") and cell.endswith("</pre>"):
        return _uncell(cell.removeprefix("<pre>").removesuffix("</pre>"))
    if len(cell) >= 2 and cell.startswith("`") and cell.endswith("`"):
        return cell[1:-1].replace("\\|", "|")
    msg = f"not a code cell: {cell!r}"
    raise ReadmeTableError(msg)


def _name(cell: str, kind: str) -> tuple[str, str]:
    """(anchor name, the name the link shows); a test compares the two."""
    match = _NAME_CELL.match(cell)
    if not match or match["kind"] != kind:
        msg = f"not an {kind} name cell: {cell!r}"
        raise ReadmeTableError(msg)
    shown = match["text"].replace("\\_", "_")
    if match["target"].replace("\\_", "_") != shown:
        shown = f"{shown} (links to {match['target']})"
    return match["anchor"], shown


def _row_cells(line: str, count: int) -> list[str]:
    cells = _CELL_SEPARATOR.split(line.strip().removeprefix("| ").removesuffix(" |"))
    if len(cells) != count:
        msg = f"expected {count} columns: {line!r}"
        raise ReadmeTableError(msg)
    return cells


def _table(lines: list[str], heading: str, header: tuple[str, str]) -> list[str]:
    """The rows under ``## heading``, after checking the header."""
    start = lines.index(heading)
    if tuple(lines[start + 2 : start + 4]) != header:
        msg = f"{heading}: the header is not {header}"
        raise ReadmeTableError(msg)
    rows = []
    for line in lines[start + 4 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def documented(readme_text: str) -> tuple[dict[str, Variable], dict[str, Entry]]:
    """Every row of the inputs and outputs tables in the README's terraform-docs block."""
    if BEGIN not in readme_text or END not in readme_text:
        msg = f"no {BEGIN} ... {END} block"
        raise ReadmeTableError(msg)
    lines = readme_text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n").splitlines()
    inputs: dict[str, Variable] = {}
    for line in _table(lines, "## Inputs", INPUTS_HEADER):
        name, description, type_, default, required = _row_cells(line, 5)
        anchor, shown = _name(name, "input")
        if required not in {"yes", "no"}:
            msg = f"{anchor}: Required is {required!r}"
            raise ReadmeTableError(msg)
        inputs[anchor] = Variable(
            name=shown,
            description=_uncell(description),
            type=_uncode(type_),
            default=None if default == "n/a" else _uncode(default),
            required=required == "yes",
        )
    outputs_: dict[str, Entry] = {}
    for line in _table(lines, "## Outputs", OUTPUTS_HEADER):
        name, description = _row_cells(line, 2)
        anchor, shown = _name(name, "output")
        outputs_[anchor] = Entry(name=shown, description=_uncell(description))
    return inputs, outputs_


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
