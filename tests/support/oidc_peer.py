"""panva's oidc-provider (8.x, from ``tests/package.json``) as a real third-party identity server.

    with running_oidc_provider(clients) as peer:
        peer.token_endpoint, peer.introspection_endpoint, peer.revocation_endpoint

``clients`` are oidc-provider client metadata objects. The Node process binds 127.0.0.1 on a
free port (it prints its issuer once it listens), is waited for with a bounded loop, and is
always stopped (SIGTERM, then SIGKILL) when the block exits.

It answers ``Accept: application/token-introspection+jwt`` with an RFC 9701 JWT signed RS256
(the default ``introspection_signed_response_alg``), active or not: an inactive token is a
200 whose ``token_introspection`` is ``{"active": false}``. It answers ``Accept:
application/jwt`` with plain JSON, so the authorizer's ``jwt`` mode cannot work against it.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.processes import stdout_lines

if TYPE_CHECKING:
    from collections.abc import Iterator

TESTS_DIR = Path(__file__).resolve().parents[1]
SERVER_SCRIPT = Path(__file__).with_name("oidc_provider") / "server.mjs"
READY_TIMEOUT_SECONDS = 20.0
_STOP_TIMEOUT_SECONDS = 5.0


class OidcPeerUnavailableError(RuntimeError):
    """Node or the npm packages under tests/ are missing (run ``npm ci`` in tests/)."""


@dataclass(frozen=True)
class OidcPeer:
    issuer: str

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    @property
    def introspection_endpoint(self) -> str:
        return f"{self.issuer}/token/introspection"

    @property
    def revocation_endpoint(self) -> str:
        return f"{self.issuer}/token/revocation"

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"

    @property
    def introspections_url(self) -> str:
        """GET: ``{"introspections": N}``, the introspection POSTs so far (server.mjs)."""
        return f"{self.issuer}/test/introspections"


def unavailable_reason() -> str | None:
    """Why the peer cannot start here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (TESTS_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        return "oidc-provider is not installed: run `npm ci` in tests/"
    return None


def _wait_for_issuer(process: subprocess.Popen[str]) -> str:
    lines = stdout_lines(process, "oidc-provider")
    try:
        line = lines.get(timeout=READY_TIMEOUT_SECONDS)
    except queue.Empty:
        line = None
    if not line:
        status = process.poll()
        msg = (
            f"oidc-provider exited with status {status} before it listened"
            if status is not None
            else f"oidc-provider did not start within {READY_TIMEOUT_SECONDS}s"
        )
        raise RuntimeError(msg)
    issuer: str = json.loads(line)["issuer"]
    return issuer


@contextmanager
def running_oidc_provider(clients: list[dict[str, Any]]) -> Iterator[OidcPeer]:
    reason = unavailable_reason()
    if reason is not None:
        raise OidcPeerUnavailableError(reason)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NODE_ENV": "test",
        "OIDC_PEER_CLIENTS": json.dumps(clients),
    }
    node = shutil.which("node") or "node"
    stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
    process = subprocess.Popen(
        [node, str(SERVER_SCRIPT)],
        stdin=subprocess.PIPE,  # the server also exits when this pipe closes
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
        cwd=TESTS_DIR,
        text=True,
    )
    try:
        try:
            issuer = _wait_for_issuer(process)
        except RuntimeError as error:
            stderr.seek(0)
            msg = f"{error}: {stderr.read()[-2000:]}"
            raise RuntimeError(msg) from error
        yield OidcPeer(issuer)
    finally:
        stderr.close()
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_STOP_TIMEOUT_SECONDS)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
