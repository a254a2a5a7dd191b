"""Read ``terraform show -json`` output: planned values, unknowns and configuration references."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

_MODULE_STEP = re.compile(r'module\.([A-Za-z0-9_-]+)(?:\[(?:"[^"]*"|\d+)\])?\.')


def _walk_planned(module: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(module.get("resources", []))
    for child in module.get("child_modules", []):
        found.extend(_walk_planned(child))
    return found


class Plan:
    """One plan. Addresses are full resource addresses, e.g. ``module.x.aws_iam_role.this``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self._planned = {
            r["address"]: r for r in _walk_planned(data["planned_values"]["root_module"])
        }
        self._changes = {c["address"]: c for c in data.get("resource_changes", [])}

    def of_type_all(self) -> list[str]:
        """Every managed resource address of the plan."""
        return sorted(a for a, r in self._planned.items() if r["mode"] == "managed")

    def addresses(self, resource_type: str) -> list[str]:
        return sorted(a for a, r in self._planned.items() if r["type"] == resource_type)

    def values(self, address: str) -> dict[str, Any]:
        """Planned attribute values (unknown ones are absent or None: see ``unknown``)."""
        values: dict[str, Any] = self._planned[address]["values"]
        return values

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {address: self.values(address) for address in self.addresses(resource_type)}

    def one(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        matches = self.of_type(resource_type)
        assert len(matches) == 1, f"expected one {resource_type}, found {sorted(matches)}"
        return next(iter(matches.items()))

    def unknown(self, address: str) -> dict[str, Any]:
        """``after_unknown`` of the resource: which attributes are known only after apply."""
        unknown: dict[str, Any] = self._changes[address]["change"]["after_unknown"]
        return unknown

    def counts(self) -> dict[str, int]:
        return dict(Counter(r["type"] for r in self._planned.values() if r["mode"] == "managed"))

    def modes(self) -> set[str]:
        return {r["mode"] for r in self._planned.values()}

    def outputs(self) -> dict[str, Any]:
        outputs: dict[str, Any] = self.data["planned_values"].get("outputs", {})
        return {name: output.get("value") for name, output in outputs.items()}

    def module_config(self, module_path: str) -> dict[str, Any]:
        """Configuration of a module by address (``module.a.module.b``; instance keys ignored)."""
        config: dict[str, Any] = self.data["configuration"]["root_module"]
        for name in _MODULE_STEP.findall(module_path + "."):
            config = config["module_calls"][name]["module"]
        return config

    def module_call(self, module_path: str) -> dict[str, Any]:
        """The ``module`` block (its argument expressions) that the address instantiates."""
        *parents, last = _MODULE_STEP.findall(module_path + ".")
        config: dict[str, Any] = self.data["configuration"]["root_module"]
        for name in parents:
            config = config["module_calls"][name]["module"]
        call: dict[str, Any] = config["module_calls"][last]
        return call

    def resource_config(self, address: str) -> dict[str, Any]:
        """Configuration (expressions with their references) of a resource address."""
        module_path, local = _split(address)
        config = self.module_config(module_path)
        local = re.sub(r"\[[^\]]*\]$", "", local)
        for resource in config["resources"]:
            if resource["address"] == local:
                return resource
        msg = f"{address} not in the configuration"
        raise KeyError(msg)

    def references(self, address: str, attribute: str) -> list[str]:
        expressions = self.resource_config(address)["expressions"]
        references: list[str] = expressions[attribute].get("references", [])
        return references


def _split(address: str) -> tuple[str, str]:
    """``('module.a.module.b["k"]', 'aws_x.this[0]')`` from a full resource address."""
    steps = list(_MODULE_STEP.finditer(address))
    end = steps[-1].end() if steps else 0
    return address[: max(end - 1, 0)], address[end:]
