"""The terraform-docs block of each README: requirements, providers, modules, resources,
inputs and outputs.

terraform-docs cannot be installed everywhere, so this renders the same markdown tables as its
default ``markdown table`` output from the module's ``.tf`` files with python-hcl2, and parses
them back for tests/terraform/test_readme.py. Refresh every README with:

    .venv/bin/python -m tests.terraform.readme

What terraform-docs shows, and what this renders the same way:

- Requirements: ``required_version`` as ``terraform``, then each ``required_providers`` entry
  with a version constraint, by name.
- Providers: the providers the resources and data sources use (the prefix of their type, or
  their ``provider`` argument), by name, with their version constraints, ``n/a`` for a provider
  without any (``terraform`` for ``terraform_data``). No lock file is read.
- Modules: each module call with its source and version (``n/a`` without one), by name.
- Resources: each resource, then each data source, by address without index (``count`` and
  ``for_each`` are not shown), linked to the provider's registry docs.
- Inputs and outputs, by name.

python-hcl2 rejects a few layouts Terraform accepts (a line that starts with an operator inside
parentheses): such a file is parsed again with those lines joined (join_parenthesized_lines).

Types are rendered from the parsed type expression (python-hcl2's syntax tree: its dict form
drops the quotes of strings inside function arguments), laid out as ``terraform fmt`` writes
them, which is what terraform-docs shows: ``string`` inline, an ``object({...})`` one attribute
a line in a ``<pre>`` block, ``=`` aligned over consecutive one-line attributes. Defaults are
JSON, indented when they span lines.
"""

from __future__ import annotations

import functools
import html
import json
import re
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

import hcl2
from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from tests.support.terraform import REPO_ROOT

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
# README -> the module (or example) it documents
READMES = {
    "README.md": ".",
    "modules/authorizer-function/README.md": "modules/authorizer-function",
    "modules/gateway-responses/README.md": "modules/gateway-responses",
    "modules/rest-api-authorizer/README.md": "modules/rest-api-authorizer",
    "modules/protected-method/README.md": "modules/protected-method",
    "modules/http-api-authorizer/README.md": "modules/http-api-authorizer",
    "modules/http-api-route/README.md": "modules/http-api-route",
    "examples/complete/README.md": "examples/complete",
    "examples/existing-api/README.md": "examples/existing-api",
    "examples/http-api/README.md": "examples/http-api",
    "examples/shared-function/README.md": "examples/shared-function",
}
INPUTS_HEADER = (
    "| Name | Description | Type | Default | Required |",
    "|------|-------------|------|---------|:--------:|",
)
OUTPUTS_HEADER = ("| Name | Description |", "|------|-------------|")
REGISTRY_DOCS = "https://registry.terraform.io/providers/{source}/{version}/docs/{kind}/{type}"
# The indentation of ``type =`` inside a variable block, as terraform fmt writes it.
_TYPE_INDENT = 2
_NAME_CELL = re.compile(
    r'^<a name="(?P<kind>input|output|requirement|provider|module)_(?P<anchor>[A-Za-z0-9_.-]+)">'
    r"</a> \[(?P<text>[^\]]+)\]\(#(?P=kind)\\_(?P<target>[^)]+)\)$"
)
_ADDRESS = r"[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*"
_RESOURCE_CELL = re.compile(
    rf"^(?:\[(?P<name>{_ADDRESS})\]\((?P<url>[^()\s]+)\)|(?P<plain>{_ADDRESS}))$"
)
_CELL_SEPARATOR = re.compile(r"(?<!\\) \| ")


class ReadmeTableError(ValueError):
    """The README's terraform-docs block is not the layout this module writes."""


class Table(NamedTuple):
    """A section of the block: its heading, its table's header, the line that says it is empty."""

    heading: str
    header: tuple[str, str]
    empty: str


REQUIREMENTS_TABLE = Table(
    "## Requirements", ("| Name | Version |", "|------|---------|"), "No requirements."
)
PROVIDERS_TABLE = Table(
    "## Providers", ("| Name | Version |", "|------|---------|"), "No providers."
)
MODULES_TABLE = Table(
    "## Modules", ("| Name | Source | Version |", "|------|--------|---------|"), "No modules."
)
RESOURCES_TABLE = Table("## Resources", ("| Name | Type |", "|------|------|"), "No resources.")
INPUTS_TABLE = Table("## Inputs", INPUTS_HEADER, "No inputs.")
OUTPUTS_TABLE = Table("## Outputs", OUTPUTS_HEADER, "No outputs.")
# terraform-docs' order of the sections.
TABLES = (
    REQUIREMENTS_TABLE,
    PROVIDERS_TABLE,
    MODULES_TABLE,
    RESOURCES_TABLE,
    INPUTS_TABLE,
    OUTPUTS_TABLE,
)


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


class Requirement(NamedTuple):
    """One row of the requirements table."""

    name: str  # terraform, or a provider's local name
    version: str | None  # a version constraint; None shows n/a


class Provider(NamedTuple):
    """One row of the providers table."""

    name: str  # the local name, and ".alias" for an aliased configuration
    version: str | None  # its version constraints; None shows n/a


class ModuleCall(NamedTuple):
    """One row of the modules table."""

    name: str
    source: str
    version: str | None  # None shows n/a


class Resource(NamedTuple):
    """One row of the resources table."""

    name: str  # type.name, without index
    url: str | None  # the registry docs; None when the provider is not on the public registry
    type: str  # "resource" or "data source"


class Reference(NamedTuple):
    """Every table of the block, each row under its key (the name it shows)."""

    requirements: dict[str, Requirement]
    providers: dict[str, Provider]
    modules: dict[str, ModuleCall]
    resources: dict[str, Resource]
    inputs: dict[str, Variable]
    outputs: dict[str, Entry]


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


# -- reading the module's other blocks ---------------------------------------------------


_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)\r?\n")


def _skip_comment(source: str, start: int) -> int:
    """The end of the comment that starts at ``start`` (its line break not included)."""
    if source.startswith("/*", start):
        stop = source.find("*/", start + 2)
        return len(source) if stop == -1 else stop + 2
    stop = source.find("\n", start)
    return len(source) if stop == -1 else stop


def _skip_heredoc(source: str, heredoc: re.Match[str]) -> int:
    closing = re.compile(rf"^[ \t]*{re.escape(heredoc[1])}[ \t]*\r?$", re.MULTILINE)
    end = closing.search(source, heredoc.end())
    return end.end() if end else len(source)


def join_parenthesized_lines(source: str) -> str:
    """The source with each line break (and comment) directly inside ``( )`` made a space.

    python-hcl2 rejects a line that starts with an operator inside parentheses, such as
    ``(\n  a\n  ? b\n  : c\n)``, which Terraform reads as ``(a ? b : c)``: inside parentheses
    line breaks mean nothing. Strings, their templates and heredocs keep their text; objects and
    tuples inside the parentheses keep their line breaks.
    """
    out: list[str] = []
    # The open brackets: ( [ { in code, " for a string, ${ (or %{) for a template in a string.
    stack: list[str] = []
    i = 0
    while i < len(source):
        top = stack[-1] if stack else ""
        char, pair = source[i], source[i : i + 2]
        if top == '"':
            if char == "\\" or pair in {"${", "%{"}:
                if char != "\\":
                    stack.append("${")
                out.append(pair)
                i += 2
                continue
            if char == '"':
                stack.pop()
            out.append(char)
            i += 1
            continue
        heredoc = _HEREDOC.match(source, i)
        if heredoc:
            stop = _skip_heredoc(source, heredoc)
            out.append(source[i:stop])
            i = stop
            continue
        if char == "#" or pair in {"//", "/*"}:
            stop = _skip_comment(source, i)
            if top != "(":
                out.append(source[i:stop])
            i = stop
            continue
        if char in '([{"':
            stack.append(char)
        elif char in ")]}" and stack:
            stack.pop()
        elif char in "\r\n" and top == "(":
            char = " "
        out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def _configuration(module: str) -> tuple[dict[str, Any], ...]:
    """Each ``.tf`` file of the module, in python-hcl2's dict form."""
    parsed = []
    for path in sorted((REPO_ROOT / module).glob("*.tf")):
        source = path.read_text(encoding="utf-8")
        try:
            parsed.append(hcl2.loads(source))
        except UnexpectedInput:  # e.g. a line starting with "?" inside parentheses
            parsed.append(hcl2.loads(join_parenthesized_lines(source)))
    return tuple(parsed)


def _items(value: Any) -> list[dict[str, Any]]:
    """python-hcl2 gives a block's nested blocks as a list of dicts."""
    return value if isinstance(value, list) else [value]


def _reference(value: Any) -> str:
    """A bare reference such as ``aws.west``, which python-hcl2 gives as ``${aws.west}``."""
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


class ProviderRequirement(NamedTuple):
    """A ``required_providers`` entry."""

    source: str | None
    constraints: tuple[str, ...]


def required_version(module: str) -> list[str]:
    """Every ``required_version`` constraint of the module's ``terraform`` blocks."""
    return [
        block["required_version"]
        for parsed in _configuration(module)
        for block in parsed.get("terraform", [])
        if "required_version" in block
    ]


def required_providers(module: str) -> dict[str, ProviderRequirement]:
    """Local name -> its source and version constraints, over every ``terraform`` block."""
    found: dict[str, ProviderRequirement] = {}
    for parsed in _configuration(module):
        for block in parsed.get("terraform", []):
            for entries in _items(block.get("required_providers", [])):
                for name, requirement in entries.items():
                    source, constraints = found.get(name, ProviderRequirement(None, ()))
                    if isinstance(requirement, str):  # the legacy ``aws = ">= 5.0"``
                        constraints = (*constraints, requirement)
                    else:
                        if "version" in requirement:
                            constraints = (*constraints, requirement["version"])
                        source = requirement.get("source", source)
                    found[name] = ProviderRequirement(source, constraints)
    return found


class ResourceBlock(NamedTuple):
    """A ``resource`` or ``data`` block, and the provider configuration it uses."""

    mode: str  # "managed" or "data", as Terraform names them
    type: str
    name: str
    provider: str  # the provider's local name
    alias: str  # "" for the default configuration


def resource_blocks(module: str) -> list[ResourceBlock]:
    """Every resource and data source, in file order; ``count`` and ``for_each`` ignored."""
    found = []
    for parsed in _configuration(module):
        for mode, keyword in (("managed", "resource"), ("data", "data")):
            for block in parsed.get(keyword, []):
                for type_, named in block.items():
                    for name, body in named.items():
                        # The provider argument, else the implied one: the type's first word.
                        provider, _, alias = _reference(body.get("provider", "")).partition(".")
                        found.append(
                            ResourceBlock(mode, type_, name, provider or type_.split("_")[0], alias)
                        )
    return found


def requirements(module: str) -> list[Requirement]:
    """terraform first, then one row per provider version constraint, by provider name."""
    rows = [Requirement("terraform", constraint) for constraint in required_version(module)]
    required = required_providers(module)
    rows += [
        Requirement(name, constraint)
        for name in sorted(required)
        for constraint in required[name].constraints
    ]
    return rows


def providers(module: str) -> list[Provider]:
    """The providers the resources and data sources use, by name then alias.

    Without a lock file terraform-docs shows their version constraints, ``n/a`` when there are
    none (``terraform``, for ``terraform_data``, is never in ``required_providers``).
    """
    required = required_providers(module)
    found: dict[tuple[str, str], Provider] = {}
    for block in resource_blocks(module):
        constraints = required[block.provider].constraints if block.provider in required else ()
        found[block.provider, block.alias] = Provider(
            name=f"{block.provider}.{block.alias}" if block.alias else block.provider,
            version=" ".join(constraints) or None,
        )
    return [found[key] for key in sorted(found)]


def _module_source(source: str, version: str | None) -> tuple[str, str | None]:
    """terraform-docs shows a ``?ref=`` of a source without ``version`` as its version."""
    position = source.rfind("?ref=")
    if version or position == -1 or position + len("?ref=") >= len(source):
        return source, version or None
    return source[:position], source[position + len("?ref=") :]


def module_calls(module: str) -> list[ModuleCall]:
    """Every ``module`` block, by name."""
    calls = []
    for parsed in _configuration(module):
        for block in parsed.get("module", []):
            for name, body in block.items():
                source, version = _module_source(str(body.get("source", "")), body.get("version"))
                calls.append(ModuleCall(name, source, version))
    return sorted(calls, key=lambda call: call.name)


def _resource_version(constraints: tuple[str, ...]) -> str:
    """The version in a resource's docs link: the last constraint when it pins one exactly."""
    if not constraints:
        return "latest"
    parts = constraints[-1].split(" ")
    if len(parts) == 1:
        first = parts[0][:1]
        if first.isascii() and first.isdigit():
            return parts[0]
        return parts[0][1:] if first == "=" else "latest"
    if len(parts) == 2 and parts[0] == "=":
        return parts[1]
    return "latest"


def resources(module: str) -> list[Resource]:
    """Resources, then data sources, each by ``type.name``, linked to the registry docs."""
    required = required_providers(module)
    found: dict[tuple[bool, str, str], Resource] = {}
    for block in resource_blocks(module):
        requirement = required.get(block.provider, ProviderRequirement(None, ()))
        source = requirement.source or f"hashicorp/{block.provider}"
        type_ = block.type.removeprefix(f"{block.provider}_")
        spec = f"{block.provider}_{type_}.{block.name}"
        url = None
        if source.count("/") <= 1:  # a provider of the public registry
            namespace, _, name = source.partition("/")
            url = REGISTRY_DOCS.format(
                source=f"{namespace}/{name or namespace}",
                version=_resource_version(requirement.constraints),
                kind="resources" if block.mode == "managed" else "data-sources",
                type=type_,
            )
        kind = "resource" if block.mode == "managed" else "data source"
        found[block.mode != "managed", spec, block.name] = Resource(spec, url, kind)
    return [found[key] for key in sorted(found)]


def _unique(found: dict[str, Any], key: str) -> str:
    """``key``, or ``key (2)``... when a row of that name is already in ``found``."""
    unique, count = key, 1
    while unique in found:
        count += 1
        unique = f"{key} ({count})"
    return unique


def _keyed(rows: Iterable[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for row in rows:
        found[_unique(found, row.name)] = row
    return found


def declared(module: str) -> Reference:
    """Every table of the module's block, each in terraform-docs' order."""
    return Reference(
        requirements=_keyed(requirements(module)),
        providers=_keyed(providers(module)),
        modules=_keyed(module_calls(module)),
        resources=_keyed(resources(module)),
        inputs=_keyed(sorted(variables(module), key=lambda variable: variable.name)),
        outputs=_keyed(sorted(outputs(module), key=lambda output: output.name)),
    )


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


def _plain(text: str | None) -> str:
    """A version or source as terraform-docs writes it: as is, ``n/a`` when there is none."""
    return "n/a" if text is None else text.replace("|", "\\|")


def _resource_cell(resource: Resource) -> str:
    return f"[{resource.name}]({resource.url})" if resource.url else resource.name


def _section(table: Table, rows: list[str]) -> list[str]:
    return [table.heading, "", *((*table.header, *rows) if rows else (table.empty,))]


def render(module: str) -> str:
    """The block between the markers, in terraform-docs' markdown table layout."""
    reference = declared(module)
    rows = {
        REQUIREMENTS_TABLE: [
            f"| {_link('requirement', r.name)} | {_plain(r.version)} |"
            for r in reference.requirements.values()
        ],
        PROVIDERS_TABLE: [
            f"| {_link('provider', p.name)} | {_plain(p.version)} |"
            for p in reference.providers.values()
        ],
        MODULES_TABLE: [
            f"| {_link('module', m.name)} | {_plain(m.source)} | {_plain(m.version)} |"
            for m in reference.modules.values()
        ],
        RESOURCES_TABLE: [
            f"| {_resource_cell(r)} | {r.type} |" for r in reference.resources.values()
        ],
        INPUTS_TABLE: [
            f"| {_link('input', v.name)} | {_cell(v.description)} | {_code(v.type)} | "
            f"{'n/a' if v.default is None else _code(v.default)} | "
            f"{'yes' if v.required else 'no'} |"
            for v in reference.inputs.values()
        ],
        OUTPUTS_TABLE: [
            f"| {_link('output', o.name)} | {_cell(o.description)} |"
            for o in reference.outputs.values()
        ],
    }
    lines = [BEGIN]
    for table in TABLES:
        if len(lines) > 1:
            lines.append("")
        lines += _section(table, rows[table])
    lines.append(END)
    return "\n".join(lines)


# -- reading the tables back --------------------------------------------------------------


def _uncell(cell: str) -> str:
    return html.unescape(cell.replace("\\|", "|").replace("<br/>", "\n"))


def _unplain(cell: str) -> str | None:
    return None if cell == "n/a" else cell.replace("\\|", "|")


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
        msg = f"not {'an' if kind[0] in 'aeiou' else 'a'} {kind} name cell: {cell!r}"
        raise ReadmeTableError(msg)
    shown = match["text"].replace("\\_", "_")
    if match["target"].replace("\\_", "_") != shown:
        shown = f"{shown} (links to {match['target']})"
    return match["anchor"], shown


def _resource_name(cell: str) -> tuple[str, str | None]:
    """(type.name, the docs link or None)."""
    match = _RESOURCE_CELL.match(cell)
    if match:
        return match["name"] or match["plain"], match["url"]
    msg = f"not a resource name cell: {cell!r}"
    raise ReadmeTableError(msg)


def _row_cells(line: str, count: int) -> list[str]:
    cells = _CELL_SEPARATOR.split(line.strip().removeprefix("| ").removesuffix(" |"))
    if len(cells) != count:
        msg = f"expected {count} columns: {line!r}"
        raise ReadmeTableError(msg)
    return cells


def _table(lines: list[str], table: Table) -> list[list[str]]:
    """The cells of each row under the table's heading, after checking the header."""
    start = lines.index(table.heading)
    if lines[start + 2 : start + 3] == [table.empty]:
        return []
    if tuple(lines[start + 2 : start + 4]) != table.header:
        msg = f"{table.heading}: the header is not {table.header}"
        raise ReadmeTableError(msg)
    rows = []
    for line in lines[start + 4 :]:
        if not line.startswith("|"):
            break
        rows.append(_row_cells(line, table.header[0].count(" | ") + 1))
    return rows


def _block_lines(readme_text: str) -> list[str]:
    if BEGIN not in readme_text or END not in readme_text:
        msg = f"no {BEGIN} ... {END} block (add both markers where the tables go, then refresh)"
        raise ReadmeTableError(msg)
    lines = readme_text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n").splitlines()
    headings = [line for line in lines if line.startswith("## ")]
    expected = [table.heading for table in TABLES]
    if headings != expected:
        msg = f"the block's sections are {headings}, not terraform-docs' {expected}"
        raise ReadmeTableError(msg)
    return lines


def documented(readme_text: str) -> Reference:
    """Every row of every table in the README's terraform-docs block."""
    lines = _block_lines(readme_text)
    reference = Reference({}, {}, {}, {}, {}, {})
    for name, version in _table(lines, REQUIREMENTS_TABLE):
        anchor, shown = _name(name, "requirement")
        found = reference.requirements
        found[_unique(found, anchor)] = Requirement(shown, _unplain(version))
    for name, version in _table(lines, PROVIDERS_TABLE):
        anchor, shown = _name(name, "provider")
        reference.providers[anchor] = Provider(shown, _unplain(version))
    for name, source, version in _table(lines, MODULES_TABLE):
        anchor, shown = _name(name, "module")
        reference.modules[anchor] = ModuleCall(shown, _unplain(source) or "", _unplain(version))
    for name, type_ in _table(lines, RESOURCES_TABLE):
        spec, url = _resource_name(name)
        found_resources = reference.resources
        found_resources[_unique(found_resources, spec)] = Resource(spec, url, type_)
    for name, description, type_, default, required in _table(lines, INPUTS_TABLE):
        anchor, shown = _name(name, "input")
        if required not in {"yes", "no"}:
            msg = f"{anchor}: Required is {required!r}"
            raise ReadmeTableError(msg)
        reference.inputs[anchor] = Variable(
            name=shown,
            description=_uncell(description),
            type=_uncode(type_),
            default=None if default == "n/a" else _uncode(default),
            required=required == "yes",
        )
    for name, description in _table(lines, OUTPUTS_TABLE):
        anchor, shown = _name(name, "output")
        reference.outputs[anchor] = Entry(name=shown, description=_uncell(description))
    return reference


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
