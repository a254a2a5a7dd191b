"""Fixtures of the end-to-end layer: the applied example served by the gateway emulator.

Module-scoped on purpose: moto's backends are process-wide, so the stack must be destroyed
before another layer's moto server or ``mock_aws`` resets them. All the flow's scenarios live
in one module (``test_e2e.py``) so examples/complete is applied once per session; the HTTP API's
in ``test_http_api_e2e.py`` (examples/http-api, applied once, after the REST stack is gone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support import terraform
from tests.support.oidc_peer import unavailable_reason
from tests.support.stack import LAMBDA_ZIP, peer_stack, running_http_stack, running_stack

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.stack import Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    terraform.require_terraform()
    if not LAMBDA_ZIP.is_file():
        terraform.skip_or_fail(f"{LAMBDA_ZIP.name} is not built: run `make build`")
    with running_stack(tmp_path_factory.mktemp("e2e")) as running:
        yield running


@pytest.fixture(scope="module")
def http_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    terraform.require_terraform()
    if not LAMBDA_ZIP.is_file():
        terraform.skip_or_fail(f"{LAMBDA_ZIP.name} is not built: run `make build`")
    with running_http_stack(tmp_path_factory.mktemp("e2e-http-api")) as running:
        yield running


@pytest.fixture(scope="module")
def peer(stack: Stack) -> Iterator[Stack]:
    reason = unavailable_reason()
    if reason is not None:
        terraform.skip_or_fail(reason)
    with peer_stack(stack) as running:
        yield running
