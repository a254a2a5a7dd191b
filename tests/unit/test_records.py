"""``_records.NamedTuple``: the class body of ``typing.NamedTuple`` without importing typing."""

from __future__ import annotations

import pytest

from phantom_token._records import NamedTuple


class Point(NamedTuple):
    """A point."""

    x: int
    y: int = 0
    label: str = "origin"

    @property
    def norm1(self) -> int:
        return abs(self.x) + abs(self.y)

    def moved(self, dx: int) -> Point:
        return self._replace(x=self.x + dx)


def test_record_is_a_namedtuple_with_fields_and_defaults() -> None:
    # GIVEN a record class with defaults
    # WHEN instances are made positionally and by keyword
    p = Point(3)
    q = Point(1, y=-2, label="q")
    # THEN they are tuples with named fields, defaults, equality and a readable repr
    assert Point._fields == ("x", "y", "label")
    assert Point._field_defaults == {"y": 0, "label": "origin"}
    assert isinstance(p, tuple)
    assert p == (3, 0, "origin")
    assert (q.x, q.y, q.label) == (1, -2, "q")
    assert repr(q) == "Point(x=1, y=-2, label='q')"
    assert q._asdict() == {"x": 1, "y": -2, "label": "q"}
    assert hash(p) == hash((3, 0, "origin"))


def test_record_keeps_methods_properties_docstring_and_module() -> None:
    # GIVEN the record class
    # WHEN its methods and properties are used
    p = Point(1, 2)
    # THEN they work on the tuple, and the class reports this module
    assert p.norm1 == 3
    assert p.moved(4) == Point(5, 2)
    assert Point.__doc__ == "A point."
    assert Point.__module__ == __name__
    assert Point.__name__ == "Point"


def test_record_is_immutable() -> None:
    # GIVEN an instance
    p = Point(1)
    # WHEN a field is assigned
    # THEN it fails, as on any tuple
    with pytest.raises(AttributeError):
        p.x = 2  # type: ignore[misc]


def test_missing_argument_is_a_type_error() -> None:
    # GIVEN a field without default
    # WHEN the record is made without it
    # THEN it fails like a namedtuple
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]


def test_field_without_default_after_one_with_default_is_rejected() -> None:
    # GIVEN a class body with a default before a field without one
    # WHEN the class is created
    # THEN it is rejected, as typing.NamedTuple does, instead of shifting the default to y
    with pytest.raises(TypeError, match="y"):

        class Bad(NamedTuple):
            x: int = 1
            y: int


def test_base_class_itself_is_not_a_record() -> None:
    # GIVEN the base class
    # WHEN it is inspected
    # THEN it is a plain class, not a namedtuple type
    assert not issubclass(NamedTuple, tuple)
    assert issubclass(Point, tuple)
    assert Point.__mro__[1] is tuple
