"""``NamedTuple`` without importing ``typing`` at run time.

``typing`` costs more import time than the rest of the authorizer, and cold starts pay for it.
Modules import ``typing.NamedTuple`` for the type checker and this one at run time; the class
body is the same, and the result is a ``collections.namedtuple``.
"""

from __future__ import annotations

from collections import namedtuple

_CLASS_KEYS = frozenset(
    {"__annotations__", "__module__", "__qualname__", "__dict__", "__weakref__"}
)


class _RecordMeta(type):
    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, object]) -> type:
        if not bases:
            return super().__new__(mcs, name, bases, namespace)
        fields = list(namespace.get("__annotations__", {}))  # type: ignore[call-overload]
        defaults = [namespace[field] for field in fields if field in namespace]
        misplaced = [f for f in fields[len(fields) - len(defaults) :] if f not in namespace]
        if misplaced:
            raise TypeError(f"{name}: field {misplaced[0]} without a default follows a default")
        record = namedtuple(name, fields, defaults=defaults, module=str(namespace["__module__"]))  # type: ignore[misc]
        for key, value in namespace.items():
            if key not in fields and key not in _CLASS_KEYS:
                setattr(record, key, value)
        return record


class NamedTuple(metaclass=_RecordMeta):
    """Base class: subclasses become ``collections.namedtuple`` types with their methods."""
