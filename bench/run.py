"""Benchmarks for the authorizer, printed as ratios measured in the same run.

    .venv/bin/python bench/run.py [--calls N] [--import-runs N] [--tokens N]

Absolute times on a shared machine mean little; each target compares two things measured
side by side, interleaved, on the same loopback identity server. The memory measure runs in
fresh interpreters and prints the RSS growth next to the cache's bound.
"""

from __future__ import annotations

import argparse
import compileall
import http.client
import io
import itertools
import json
import logging
import os
import resource
import select
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
LAMBDA_DIR = REPO / "lambda"
sys.path[:0] = [str(LAMBDA_DIR), str(REPO)]

from phantom_token import decision_log  # noqa: E402
from phantom_token.authorizer import Authorizer  # noqa: E402
from phantom_token.cache import TtlLruCache  # noqa: E402
from phantom_token.client_secret import SecretProvider  # noqa: E402
from phantom_token.config import load_config  # noqa: E402
from phantom_token.introspection import (  # noqa: E402
    HttpResponse,
    HttpTransport,
    ResponseReader,
    basic_authorization,
    interpret,
    read_response,
    request_body,
    request_headers,
)
from phantom_token.jwt_claims import jws_claims  # noqa: E402
from tests.support import tls_servers  # noqa: E402
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


def _log_as_on_lambda() -> None:
    """One decision line per call, as on Lambda, written where it costs nothing to keep."""
    decision_log.configure("INFO")
    handler = decision_log.logger.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(Path(os.devnull).open("w"))  # kept open for the whole run


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def bench_introspection(url: str, calls: int) -> tuple[float, float]:
    """p50 of a real cache miss through the authorizer vs a bare persistent http.client POST.

    The cache is on (the default TTL and bounds) and every call brings a token it has not
    seen: each call is a miss that also stores its answer (size estimate, LRU eviction once
    the 1000 entries are full), as a miss on Lambda does. Over https (``url``) both sides use
    the default TLS context, one kept-alive connection each.
    """
    config = load_config(_environment(url, 300))
    authorizer = Authorizer(config, HttpTransport(config.endpoint), SecretProvider(config.secret))
    events = [token_event(f"Bearer {TOKEN}{n}") for n in range(calls + 50)]
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port
    if parts.scheme == "https":
        bare: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=3, context=ssl.create_default_context()
        )
    else:
        bare = http.client.HTTPConnection(host, port, timeout=3)
    headers = request_headers("jwt", basic_authorization("api-gateway", "bench-secret"))
    next_event = iter(events).__next__
    next_body = iter(request_body(f"{TOKEN}{n}") for n in range(calls + 50)).__next__

    def bare_post() -> None:
        bare.request("POST", "/oauth/v2/oauth-introspect", body=next_body(), headers=headers)
        bare.getresponse().read()

    def authorize() -> None:
        decision = authorizer.authorize(
            next_event(), request_id="bench", deadline=time.monotonic() + 5
        )
        assert decision["policyDocument"]["Statement"][0]["Effect"] == "Allow"

    for _ in range(50):  # warm both connections
        bare_post()
        authorize()
    bare_times, authorizer_times = [], []
    for _ in range(calls):  # interleaved, so both see the same machine
        bare_times.append(_timed(bare_post))
        authorizer_times.append(_timed(authorize))
    bare.close()
    assert len(authorizer.cache) == min(calls + 50, config.cache_max_entries)
    return statistics.median(bare_times), statistics.median(authorizer_times)


def bench_cache_hit(url: str, calls: int) -> tuple[float, float]:
    """p50 of a cache hit with its decision line, and without (the log level above INFO)."""
    config = load_config(_environment(url, 300))
    authorizer = Authorizer(config, HttpTransport(config.endpoint), SecretProvider(config.secret))
    event = token_event(f"Bearer {TOKEN}")
    authorizer.authorize(event, request_id="bench", deadline=time.monotonic() + 5)

    def hit() -> None:
        authorizer.authorize(event, request_id="bench", deadline=1e12)

    logged, quiet = [], []
    for _ in range(calls):  # interleaved
        decision_log.logger.setLevel("INFO")
        logged.append(_timed(hit))
        decision_log.logger.setLevel("WARNING")
        quiet.append(_timed(hit))
    decision_log.logger.setLevel("INFO")
    return statistics.median(logged), statistics.median(quiet)


class _CannedSocket:
    """The bytes of one response, handed out by recv as a socket would in one segment."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def settimeout(self, timeout: float) -> None:
        pass

    def recv(self, size: int) -> bytes:
        data, self.data = self.data, b""
        return data

    def makefile(self, mode: str) -> Any:
        return io.BytesIO(self.data)


def bench_components(url: str) -> list[tuple[str, float]]:
    """Microseconds per call of each piece of a cache miss, in process (no network)."""
    config = load_config(_environment(url, 0))
    wire = (
        b"HTTP/1.1 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11\r\n"
        b"Date: Sun, 29 Nov 2026 00:00:00 GMT\r\nContent-Type: application/jwt\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(PHANTOM_JWT), PHANTOM_JWT.encode())
    )
    response = HttpResponse(200, {"content-type": "application/jwt"}, PHANTOM_JWT.encode())
    transport = HttpTransport(config.endpoint)
    headers = request_headers("jwt", basic_authorization("api-gateway", "bench-secret"))
    left, right = socket.socketpair()
    poller = select.poll()
    poller.register(left, select.POLLIN)

    class Canned:
        def post(self, body: bytes, headers: Any, timeout: float) -> HttpResponse:
            return response

    authorizer = Authorizer(config, Canned(), SecretProvider(config.secret))
    event = token_event(f"Bearer {TOKEN}")
    # A real miss: the cache on, a token it has not seen each call (the answer is stored).
    missing = Authorizer(
        load_config(_environment(url, 300)), Canned(), SecretProvider(config.secret)
    )
    # Built before the timing (token_event reads a file): one per timed call, 2000 x 7.
    fresh_events = iter([token_event(f"Bearer {TOKEN}{n}") for n in range(2000 * 7)])
    result = interpret(response, "jwt", time.time())
    assert result is not None
    cache = TtlLruCache(1000, 1 << 30, time.monotonic)
    fresh_keys = (n.to_bytes(32, "big") for n in itertools.count())
    fields = {
        "outcome": "allow",
        "reason": "active",
        "principal": "alice",
        "request_id": "bench",
        "method_arn": event["methodArn"],
        "token_fingerprint": "0123456789ab",
        "cache": "miss",
        "introspection_ms": 0.2,
    }

    def http_client_parse() -> None:
        answer = http.client.HTTPResponse(_CannedSocket(wire), method="POST")  # type: ignore[arg-type]
        answer.begin()
        answer.read()

    def deadline_bookkeeping() -> None:
        # per miss: the deadline read three times, the timeout set twice, one poll each side
        deadline = time.monotonic() + 3
        left.settimeout(deadline - time.monotonic())
        left.settimeout(deadline - time.monotonic())
        poller.poll(0)
        poller.poll(0)
        deadline - time.monotonic()

    pieces = [
        ("http.client: parse the response (the bare POST pays this too)", http_client_parse),
        (
            "ours: parse the response (introspection.read_response)",
            lambda: read_response(ResponseReader(_CannedSocket(wire), 1e12)),  # type: ignore[arg-type]
        ),
        ("JWT: check the JWS and decode the claims", lambda: jws_claims(PHANTOM_JWT)),
        ("form-encode the token", lambda: request_body(TOKEN)),
        (
            "build the request bytes (headers cached)",
            lambda: transport._request(b"token=x", headers),
        ),
        ("readiness checks (2 polls) and deadline bookkeeping", deadline_bookkeeping),
        ("the decision line (JSON, write, flush)", lambda: decision_log.log_decision(20, **fields)),
        (
            "cache: store an answer (its size estimate, LRU eviction past 1000 entries)",
            lambda: cache.put(next(fresh_keys), result, 300),
        ),
        (
            "authorize, cache off, canned response (all our work but the socket I/O)",
            lambda: authorizer.authorize(event, request_id="bench", deadline=1e12),
        ),
        (
            "authorize, a real miss: cache on, a new token each call, canned response",
            lambda: missing.authorize(next(fresh_events), request_id="bench", deadline=1e12),
        ),
    ]
    timings = []
    for name, call in pieces:
        runs = timeit.repeat(call, number=2000, repeat=7)
        timings.append((name, min(runs) / 2000 * 1e6))
    left.close()
    right.close()
    return timings


MIB = 1 << 20


def realistic_claims(n: int) -> dict[str, Any]:
    """About the claims of a Curity phantom token: a 737-byte JWT."""
    return {
        "sub": f"user-{n:08d}",
        "client_id": "web-app",
        "scope": "openid profile orders:read orders:write",
        "iss": "https://login.example.com/oauth/v2/oauth-anonymous",
        "aud": ["api", "orders"],
        "iat": 1_700_000_000 + n,
        "exp": 4_102_444_800,
        "jti": f"{n:032x}",
        "purpose": "access_token",
        "delegationId": f"d-{n:020d}",
        "email": f"user{n}@example.com",
        "groups": ["admins", "buyers"],
        "sid": f"{n:064x}",
        "tenant": "acme-corporation-eu",
        "active": True,
    }


class DistinctTokens:
    """An in-process identity server: a fresh JWT for every call, built only when asked."""

    def __init__(self) -> None:
        self.calls = 0

    def post(self, body: bytes, headers: Any, timeout: float) -> HttpResponse:
        self.calls += 1
        jwt = make_jwt(realistic_claims(self.calls))
        return HttpResponse(200, {"content-type": "application/jwt"}, jwt.encode())


def _rss_kib() -> int:
    with open("/proc/self/status") as status:  # noqa: PTH123
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def memory_child(tokens: int, environment: dict[str, str]) -> None:
    """In a fresh interpreter: RSS before and after ``tokens`` distinct tokens are cached."""
    config = load_config(
        {
            "INTROSPECTION_ENDPOINT": "https://login.example.com/oauth/v2/oauth-introspect",
            "CLIENT_ID": "api-gateway",
            "CLIENT_SECRET": "bench-secret",
            **environment,
        }
    )
    authorizer = Authorizer(config, DistinctTokens(), SecretProvider(config.secret))
    if environment.get("ENTRIES_BOUND_ONLY"):  # the cache as it was: no byte bound
        authorizer.cache = TtlLruCache(config.cache_max_entries, 1 << 62, time.monotonic)
    events = [token_event(f"Bearer token-{n:012d}") for n in range(2)]
    authorizer.authorize(events[0], request_id="warm", deadline=time.monotonic() + 5)
    baseline = _rss_kib()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    event = events[1]
    for n in range(tokens):
        event["authorizationToken"] = f"Bearer token-{n:012d}"
        authorizer.authorize(event, request_id="bench", deadline=time.monotonic() + 5)
    cache = authorizer.cache
    print(
        json.dumps(
            {
                "rss_growth_kib": _rss_kib() - baseline,
                "peak_growth_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before,
                "entries": len(cache),
                "estimated_bytes": cache.size_bytes,
                "max_bytes": config.cache_max_bytes,
                "max_entries": config.cache_max_entries,
            }
        )
    )


def bench_memory(tokens: int, environment: dict[str, str]) -> dict[str, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--memory-child",
            json.dumps(environment),
            "--tokens",
            str(tokens),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    measured: dict[str, int] = json.loads(result.stdout.splitlines()[-1])
    return measured


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
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        memory_child(args.tokens, json.loads(args.memory_child))
        return

    load_before = os.getloadavg()
    _log_as_on_lambda()
    with tempfile.TemporaryDirectory() as trust_dir:
        tls_servers.trust(Path(trust_dir))  # SSL_CERT_FILE: the default contexts trust the CA
        with (
            LoopbackServer(IntrospectionHandler) as server,
            tls_servers.HttpsServer(IntrospectionHandler) as secure,
        ):
            bare, miss = bench_introspection(server.url, args.calls)
            bare_tls, miss_tls = bench_introspection(secure.url, args.calls)
            hit, hit_quiet = bench_cache_hit(server.url, args.calls)
            components = bench_components(server.url)
    imports = bench_import(args.import_runs)
    base_import, handler_import = imports["baseline"], imports["bytecode"]
    function_256 = {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}
    memory = {
        "default": bench_memory(args.tokens, function_256),
        "entries": bench_memory(args.tokens, {**function_256, "CACHE_MAX_ENTRIES": "100000"}),
        "entries only": bench_memory(
            args.tokens,
            {**function_256, "CACHE_MAX_ENTRIES": "100000", "ENTRIES_BOUND_ONLY": "1"},
        ),
    }

    rows = [
        (
            "cache miss p50 (a new token each call, stored) / bare http.client POST p50",
            f"{miss * 1e6:.0f} us / {bare * 1e6:.0f} us",
            f"{miss / bare:.2f}x",
            "<= 1.15x",
            miss / bare <= 1.15,
        ),
        (
            "the same over TLS (kept-alive, default context) / bare http.client HTTPS POST p50",
            f"{miss_tls * 1e6:.0f} us / {bare_tls * 1e6:.0f} us",
            f"{miss_tls / bare_tls:.2f}x",
            "<= 1.15x",
            miss_tls / bare_tls <= 1.15,
        ),
        (
            "cache hit p50, with its decision line",
            f"{hit * 1e6:.1f} us",
            "-",
            "<= 30 us",
            hit <= 30e-6,
        ),
        # The 30 us target was set when the bare POST took 121 us on a quiet machine; this
        # shared machine's speed varies several-fold, so the same budget is also read as a
        # ratio to the bare POST measured in this run.
        (
            "cache hit p50 (with its line) / bare http.client POST p50",
            f"{hit * 1e6:.1f} us / {bare * 1e6:.0f} us",
            f"{hit / bare:.2f}x",
            "<= 0.25x (30 us / 121 us)",
            hit / bare <= 30 / 121,
        ),
        (
            "cache hit p50, decision line filtered out (LOG_LEVEL=WARNING)",
            f"{hit_quiet * 1e6:.1f} us",
            "-",
            "(reported)",
            None,
        ),
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
    for label, key in (
        ("default bounds (1000 entries, 1/4 of memory)", "default"),
        ("CACHE_MAX_ENTRIES=100000, bytes bound 1/4 of memory", "entries"),
        ("CACHE_MAX_ENTRIES=100000 and no bytes bound (the cache before)", "entries only"),
    ):
        measured = memory[key]
        growth = measured["peak_growth_kib"] * 1024
        # The function also needs its own memory: the cache may take at most half of it.
        target, met = "< 128 MiB (half of 256 MB)", growth < 128 * MIB
        bound = "none" if key == "entries only" else f"{measured['max_bytes'] / MIB:.0f} MiB"
        rows.append(
            (
                f"RSS growth, {args.tokens} distinct tokens, 256 MB function: {label}",
                f"{growth / MIB:.1f} MiB peak; cache {measured['entries']} entries, "
                f"{measured['estimated_bytes'] / MIB:.1f} MiB estimated, "
                f"bounds {bound} / {measured['max_entries']} entries",
                "-" if key == "entries only" else f"{growth / measured['max_bytes']:.2f}x",
                target,
                met,
            )
        )
    print("| measure | values | ratio | target | met |\n|---|---|---|---|---|")
    for name, values, ratio, target, met in rows:
        verdict = "-" if met is None else "yes" if met else "NO"
        print(f"| {name} | {values} | {ratio} | {target} | {verdict} |")
    print(
        f"\nOur own work per miss: {(miss - bare) * 1e6:+.0f} us against the bare POST, "
        f"{(miss_tls - bare_tls) * 1e6:+.0f} us over TLS.\n"
        "\n| piece of a cache miss (in process, best of 7) | us per call |\n|---|---|"
    )
    for name, microseconds in components:
        print(f"| {name} | {microseconds:.1f} |")
    print(
        f"\n{args.calls} calls per measure (interleaved), {args.import_runs} fresh interpreters "
        f"per import measure, {args.tokens} tokens per memory measure; "
        f"Python {sys.version.split()[0]}, {ssl.OPENSSL_VERSION}; load average "
        f"{' '.join(f'{load:.2f}' for load in load_before)} before, "
        f"{' '.join(f'{load:.2f}' for load in os.getloadavg())} after"
    )


if __name__ == "__main__":
    main()
