"""Benchmarks for the authorizer, printed as ratios measured in the same run.

    .venv/bin/python bench/run.py [--calls N] [--import-runs N]

Absolute times on a shared machine mean little; each target compares two things measured
side by side, interleaved, on the same loopback identity server.
"""

from __future__ import annotations

import argparse
import compileall
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LAMBDA_DIR = REPO / "lambda"
sys.path[:0] = [str(LAMBDA_DIR), str(REPO)]

from phantom_token.authorizer import Authorizer  # noqa: E402
from phantom_token.client_secret import SecretProvider  # noqa: E402
from phantom_token.config import load_config  # noqa: E402
from phantom_token.introspection import (  # noqa: E402
    HttpTransport,
    basic_authorization,
    request_body,
    request_headers,
)
from tests.support.events import token_event  # noqa: E402
from tests.support.http_server import LoopbackServer, QuietHandler  # noqa: E402
from tests.support.jwts import make_jwt  # noqa: E402

TOKEN = "2YotnFZFEjr1zCsicMWpAA"
PHANTOM_JWT = make_jwt(
    {"sub": "alice", "scope": "orders:read", "client_id": "web", "exp": 4_102_444_800}
)
BASELINE_IMPORT = "http.client, ssl, json, hashlib, logging"


class IntrospectionHandler(QuietHandler):
    # Identity servers answer in one segment; Nagle + delayed ACK would add 40 ms to both sides.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self.read_body()
        self.send(HTTPStatus.OK, PHANTOM_JWT.encode(), {"Content-Type": "application/jwt"})


def _environment(url: str, cache_ttl: int) -> dict[str, str]:
    return {
        "INTROSPECTION_ENDPOINT": f"{url}/oauth/v2/oauth-introspect",
        "CLIENT_ID": "api-gateway",
        "CLIENT_SECRET": "bench-secret",
        "CACHE_TTL_SECONDS": str(cache_ttl),
        "LOG_LEVEL": "INFO",
    }


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def bench_introspection(url: str, calls: int) -> tuple[float, float]:
    """p50 of a cache miss through the authorizer vs a bare persistent http.client POST."""
    uncached = Authorizer(
        load_config(_environment(url, 0)),
        HttpTransport(load_config(_environment(url, 0)).endpoint),
        SecretProvider(load_config(_environment(url, 0)).secret),
    )
    event = token_event(f"Bearer {TOKEN}")
    host, port = url.removeprefix("http://").split(":")
    bare = http.client.HTTPConnection(host, int(port), timeout=3)
    body = request_body(TOKEN)
    headers = request_headers("jwt", basic_authorization("api-gateway", "bench-secret"))

    def bare_post() -> None:
        bare.request("POST", "/oauth/v2/oauth-introspect", body=body, headers=headers)
        bare.getresponse().read()

    def authorize() -> None:
        uncached.authorize(event, request_id="bench", deadline=time.monotonic() + 5)

    for _ in range(50):  # warm both connections
        bare_post()
        authorize()
    bare_times, authorizer_times = [], []
    for _ in range(calls):  # interleaved, so both see the same machine
        bare_times.append(_timed(bare_post))
        authorizer_times.append(_timed(authorize))
    bare.close()
    return statistics.median(bare_times), statistics.median(authorizer_times)


def bench_cache_hit(url: str, calls: int) -> float:
    config = load_config(_environment(url, 300))
    authorizer = Authorizer(config, HttpTransport(config.endpoint), SecretProvider(config.secret))
    event = token_event(f"Bearer {TOKEN}")
    authorizer.authorize(event, request_id="bench", deadline=time.monotonic() + 5)
    times = [
        _timed(lambda: authorizer.authorize(event, request_id="bench", deadline=1e12))
        for _ in range(calls)
    ]
    return statistics.median(times)


def _import_microseconds(statement: str, top_level: set[str], package_root: Path) -> int:
    """Cumulative -X importtime of the named top-level modules in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(package_root)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
        cwd=package_root,
        env=env,
    )
    total = 0
    for line in result.stderr.splitlines():
        fields = line.partition("import time:")[2].split("|")
        if len(fields) == 3 and fields[2].strip() in top_level and not fields[2].startswith("  "):
            total += int(fields[1])
    return total


def _package_copy(root: Path, *, compiled: bool) -> Path:
    shutil.copytree(LAMBDA_DIR / "phantom_token", root / "phantom_token")
    if compiled:
        compileall.compile_dir(root / "phantom_token", quiet=1)
    return root


def bench_import(runs: int) -> dict[str, float]:
    """Median import times (us): the stdlib baseline, the package with and without bytecode.

    The standard library always has its bytecode; the package is measured both ways because
    the Lambda zip ships sources only, so a cold start compiles them.
    """
    baseline_modules = {m.strip() for m in BASELINE_IMPORT.split(",")}
    samples: dict[str, list[int]] = {"baseline": [], "bytecode": [], "source": []}
    with tempfile.TemporaryDirectory() as compiled_dir, tempfile.TemporaryDirectory() as source_dir:
        roots = {
            "bytecode": _package_copy(Path(compiled_dir), compiled=True),
            "source": _package_copy(Path(source_dir), compiled=False),
        }
        for _ in range(runs):  # interleaved
            samples["baseline"].append(
                _import_microseconds(f"import {BASELINE_IMPORT}", baseline_modules, LAMBDA_DIR)
            )
            for name, root in roots.items():
                samples[name].append(
                    _import_microseconds(
                        "import phantom_token.handler", {"phantom_token.handler"}, root
                    )
                )
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="phantom token authorizer benchmarks")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--import-runs", type=int, default=40)
    args = parser.parse_args()

    # The decision log goes to stdout, as on Lambda; keep it off the table.
    devnull = open(os.devnull, "w")  # noqa: PTH123
    real_stdout, sys.stdout = sys.stdout, devnull
    try:
        with LoopbackServer(IntrospectionHandler) as server:
            bare, miss = bench_introspection(server.url, args.calls)
            hit = bench_cache_hit(server.url, args.calls)
    finally:
        sys.stdout = real_stdout
        devnull.close()
    imports = bench_import(args.import_runs)
    base_import, handler_import = imports["baseline"], imports["bytecode"]

    rows = [
        (
            "cache miss p50 / bare http.client POST p50",
            f"{miss * 1e6:.0f} us / {bare * 1e6:.0f} us",
            f"{miss / bare:.2f}x",
            "<= 1.25x",
            miss / bare <= 1.25,
        ),
        ("cache hit p50", f"{hit * 1e6:.1f} us", "-", "<= 30 us", hit <= 30e-6),
        (
            f"import phantom_token.handler / import {BASELINE_IMPORT}",
            f"{handler_import / 1000:.1f} ms / {base_import / 1000:.1f} ms",
            f"{handler_import / base_import:.2f}x",
            "<= 1.2x",
            handler_import / base_import <= 1.2,
        ),
        (
            "the same, compiled from source (a Lambda cold start: the zip ships no bytecode)",
            f"{imports['source'] / 1000:.1f} ms / {base_import / 1000:.1f} ms",
            f"{imports['source'] / base_import:.2f}x",
            "(reported)",
            None,
        ),
    ]
    print("| measure | values | ratio | target | met |\n|---|---|---|---|---|")
    for name, values, ratio, target, met in rows:
        verdict = "-" if met is None else "yes" if met else "NO"
        print(f"| {name} | {values} | {ratio} | {target} | {verdict} |")
    print(
        f"\n{args.calls} calls per measure (interleaved), {args.import_runs} fresh interpreters "
        f"per import measure; Python {sys.version.split()[0]}"
    )


if __name__ == "__main__":
    main()
