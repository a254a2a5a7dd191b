"""A moto server on 127.0.0.1 for tests that drive real AWS clients (Terraform, boto3).

    with running_moto_server() as endpoint_url:   # "http://127.0.0.1:<free port>"
        ...

The server runs in this process (``moto.server.ThreadedMotoServer``), so the fixes below
can patch moto's backend classes directly. Every fix is undone and the backend state is
reset when the block exits.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from moto.apigateway import models as apigateway_models
from moto.server import ThreadedMotoServer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

READY_TIMEOUT_SECONDS = 10.0
_REQUEST_TIMEOUT_SECONDS = 2.0


def _authorizer_init_with_validation_expression(
    original: Callable[..., None],
) -> Callable[..., None]:
    """Make moto keep ``identityValidationExpression`` on CreateAuthorizer.

    moto 5 passes the value as ``identiy_validation_expression`` (sic) while ``Authorizer``
    reads ``identity_validation_expression``, so the expression is dropped at creation and a
    second ``terraform plan`` shows a diff. UpdateAuthorizer is not affected.
    """

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        misspelt = kwargs.pop("identiy_validation_expression", None)
        kwargs.setdefault("identity_validation_expression", misspelt)
        original(self, *args, **kwargs)

    return __init__


@contextmanager
def _moto_fixes() -> Iterator[None]:
    original = apigateway_models.Authorizer.__init__
    apigateway_models.Authorizer.__init__ = _authorizer_init_with_validation_expression(  # type: ignore[method-assign]
        original
    )
    # One access-log line per request on stderr drowns the test output.
    werkzeug_logger = logging.getLogger("werkzeug")
    werkzeug_level = werkzeug_logger.level
    werkzeug_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        apigateway_models.Authorizer.__init__ = original  # type: ignore[method-assign]
        werkzeug_logger.setLevel(werkzeug_level)


def _wait_until_ready(endpoint_url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(  # noqa: S310 - fixed http URL on loopback
                f"{endpoint_url}/moto-api/data.json", timeout=_REQUEST_TIMEOUT_SECONDS
            ) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as error:
            last_error = error
        time.sleep(0.05)
    msg = f"moto server at {endpoint_url} not ready after {READY_TIMEOUT_SECONDS}s: {last_error}"
    raise TimeoutError(msg)


def _reset(endpoint_url: str) -> None:
    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=_REQUEST_TIMEOUT_SECONDS):  # noqa: S310
        pass


@contextmanager
def running_moto_server() -> Iterator[str]:
    """Run a moto server on 127.0.0.1 and a free port; yield its endpoint URL."""
    with _moto_fixes():
        # Port 0: the kernel picks a free port when the server binds, so there is no race.
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint_url = f"http://{host}:{port}"
        try:
            _wait_until_ready(endpoint_url)
            yield endpoint_url
        finally:
            # The backends are process-wide: leave nothing behind for the next test.
            with suppress(OSError):
                _reset(endpoint_url)
            server.stop()


def reset_moto_server(endpoint_url: str) -> None:
    """Empty every backend of a running moto server: a module-scoped server, a clean test."""
    _reset(endpoint_url)
