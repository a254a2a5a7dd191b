"""Fixtures of the unit layer: configurations built from plain mappings, never the environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from phantom_token.config import load_config
from tests.support.emf import record_lines, validate_decision_lines

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from phantom_token.config import Config

MINIMAL_ENVIRONMENT = {
    "INTROSPECTION_ENDPOINT": "https://login.example.com/oauth/v2/oauth-introspect",
    "CLIENT_ID": "api-gateway",
    "CLIENT_SECRET": "s3cret",
}


@pytest.fixture(autouse=True)
def emf_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every decision line the test makes the function write; each must be valid EMF."""
    lines = record_lines(monkeypatch)
    yield lines
    validate_decision_lines(lines)


@pytest.fixture
def minimal_environment() -> dict[str, str]:
    """The required variables only: a fresh copy each test may change."""
    return dict(MINIMAL_ENVIRONMENT)


@pytest.fixture
def make_config() -> Callable[..., Config]:
    """``make_config(REQUIRED_SCOPES="read")``: the minimal configuration plus these variables."""

    def make(**variables: str) -> Config:
        return load_config({**MINIMAL_ENVIRONMENT, **variables})

    return make
