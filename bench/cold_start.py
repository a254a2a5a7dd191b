"""Cold start with the client secret in each store, as ratios to the plain-variable cold start.

    .venv/bin/python bench/cold_start.py [--rounds N] [--sdk-zip PATH]

Each sample is a fresh interpreter that imports the handler from the built zip (sources only,
compiled at import, as on Lambda) and makes one authorization against a loopback identity
server: the time from before the import to the answer, measured inside the child. The secret
stores are a moto server on 127.0.0.1 reached through AWS_ENDPOINT_URL. The rows "over TLS"
reach the identity server and the stores over https (a TLS front before moto), trusting a CA
of the benchmark's through SSL_CERT_FILE: each child makes its two TLS handshakes, as a cold
start on Lambda does. Rounds interleave the
variants (in a rotating order) and the table prints medians and ratios to the plain variable.

``extension`` stands for AWS's Parameters and Secrets Lambda Extension as seen from the
function: a loopback GET of ``/secretsmanager/get?secretId=...`` with the
``X-Aws-Parameters-Secrets-Token`` header, answered by a fake from memory (the extension's own
process and its first call to Secrets Manager happen outside this measure). ``--sdk-zip``
adds rows for a zip that still reads the secret with boto3 (e.g. an older release's).
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ZIP = REPO / "lambda" / "dist" / "phantom-token-authorizer.zip"
sys.path[:0] = [str(REPO)]

import boto3  # noqa: E402

from tests.support import tls_servers  # noqa: E402
from tests.support.http_server import LoopbackServer, QuietHandler  # noqa: E402
from tests.support.jwts import make_jwt  # noqa: E402
from tests.support.moto_server import running_moto_server  # noqa: E402

SECRET = "bench-secret"
SECRET_NAME = "bench/introspection-client"
PARAMETER_NAME = "/bench/introspection-client-secret"
SESSION_TOKEN = "bench-session-token"
JWT = make_jwt({"sub": "alice", "scope": "read", "exp": 4_102_444_800})
TLS = ", over TLS"
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live/GET/orders"

CHILD = """
import sys, time
started = time.perf_counter()
sys.path.insert(0, {zip!r})
import phantom_token.handler as handler
if {extension_port!r}:
    import json, os, socket
    with socket.create_connection(("127.0.0.1", {extension_port!r}), timeout=2) as connection:
        connection.sendall(
            b"GET /secretsmanager/get?secretId={secret_name} HTTP/1.1\\r\\nHost: localhost\\r\\n"
            b"X-Aws-Parameters-Secrets-Token: " + os.environ["AWS_SESSION_TOKEN"].encode()
            + b"\\r\\nConnection: close\\r\\n\\r\\n"
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    os.environ["CLIENT_SECRET"] = json.loads(answer.split(b"\\r\\n\\r\\n", 1)[1])["SecretString"]

class Context:
    aws_request_id = "cold"
    def get_remaining_time_in_millis(self):
        return 10_000

event = {{"type": "TOKEN", "authorizationToken": "Bearer cold-token", "methodArn": {arn!r}}}
assert handler.lambda_handler(event, Context())["principalId"] == "alice"
print((time.perf_counter() - started) * 1000)
"""


class _Identity(QuietHandler):
    def do_POST(self) -> None:
        self.read_body()
        self.send(200, JWT.encode(), content_type="application/jwt")


class _Extension(QuietHandler):
    """The extension's HTTP interface, answered from memory (its cache, warm)."""

    def do_GET(self) -> None:
        if self.headers.get("X-Aws-Parameters-Secrets-Token") != SESSION_TOKEN:
            self.send(401, b"")
            return
        body = json.dumps({"Name": SECRET_NAME, "SecretString": SECRET}).encode()
        self.send(200, body, content_type="application/json")


def _child_ms(zip_path: Path, environ: dict[str, str], extension_port: int | None) -> float:
    script = CHILD.format(
        zip=str(zip_path),
        extension_port=extension_port,
        secret_name=SECRET_NAME,
        arn=METHOD_ARN,
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--sdk-zip", type=Path, help="a zip that reads the secret with boto3")
    args = parser.parse_args()
    load = os.getloadavg()

    with (
        tempfile.TemporaryDirectory() as trust_dir,
        LoopbackServer(_Identity) as identity,
        tls_servers.HttpsServer(_Identity) as secure_identity,
        LoopbackServer(_Extension) as extension,
        running_moto_server() as moto,
        tls_servers.TlsFront(int(moto.rsplit(":", 1)[1])) as secure_moto,
    ):
        trusted = tls_servers.trust(Path(trust_dir))
        aws = {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_SESSION_TOKEN": SESSION_TOKEN,
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL": moto,
        }
        os.environ.update(aws)
        boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=SECRET)
        boto3.client("ssm").put_parameter(Name=PARAMETER_NAME, Value=SECRET, Type="SecureString")
        base = {
            "PATH": os.environ.get("PATH", ""),
            "INTROSPECTION_ENDPOINT": f"{identity.url}/oauth/v2/oauth-introspect",
            "CLIENT_ID": "api-gateway",
            "LOG_LEVEL": "WARNING",
            **aws,
        }
        variants: dict[str, tuple[Path, dict[str, str], int | None]] = {
            "plain CLIENT_SECRET": (ZIP, {**base, "CLIENT_SECRET": SECRET}, None),
            "Secrets Manager (SigV4)": (ZIP, {**base, "CLIENT_SECRET_ARN": SECRET_NAME}, None),
            "SSM (SigV4)": (ZIP, {**base, "CLIENT_SECRET_PARAMETER": PARAMETER_NAME}, None),
            "extension (loopback GET)": (ZIP, base, extension.port),
        }
        # The same over TLS: the identity server and the secret stores behind https, trusted
        # through SSL_CERT_FILE (the function's own default context, as on Lambda).
        tls = {
            **base,
            "INTROSPECTION_ENDPOINT": f"{secure_identity.url}/oauth/v2/oauth-introspect",
            "AWS_ENDPOINT_URL": secure_moto.url,
            "SSL_CERT_FILE": trusted,
        }
        variants[f"plain CLIENT_SECRET{TLS}"] = (ZIP, {**tls, "CLIENT_SECRET": SECRET}, None)
        variants[f"Secrets Manager (SigV4){TLS}"] = (
            ZIP,
            {**tls, "CLIENT_SECRET_ARN": SECRET_NAME},
            None,
        )
        variants[f"SSM (SigV4){TLS}"] = (
            ZIP,
            {**tls, "CLIENT_SECRET_PARAMETER": PARAMETER_NAME},
            None,
        )
        if args.sdk_zip:
            sdk = args.sdk_zip.resolve()
            by_arn = {**base, "CLIENT_SECRET_ARN": SECRET_NAME}
            by_parameter = {**base, "CLIENT_SECRET_PARAMETER": PARAMETER_NAME}
            variants["Secrets Manager (boto3)"] = (sdk, by_arn, None)
            variants["SSM (boto3)"] = (sdk, by_parameter, None)
        names = list(variants)
        samples: dict[str, list[float]] = {name: [] for name in names}
        for round_number in range(args.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                zip_path, environ, port = variants[name]
                samples[name].append(_child_ms(zip_path, environ, port))
    _report(samples, args.rounds, load)


def _report(samples: dict[str, list[float]], rounds: int, load: tuple[float, ...]) -> None:
    plain = statistics.median(samples["plain CLIENT_SECRET"])
    plain_tls = statistics.median(samples[f"plain CLIENT_SECRET{TLS}"])
    print(f"Cold start (import from the zip + one authorization), medians of {rounds} rounds:\n")
    print("| secret from | median | min..max | ratio to plain (same transport) | target | met |")
    print("|---|---|---|---|---|---|")
    for name, values in samples.items():
        median = statistics.median(values)
        ratio = median / (plain_tls if name.endswith(TLS) else plain)
        target: Any = "<= 1.15x" if "SigV4" in name else "-"
        met = ("yes" if ratio <= 1.15 else "NO") if target != "-" else "-"
        print(
            f"| {name} | {median:.1f} ms | {min(values):.1f}..{max(values):.1f} ms "
            f"| {ratio:.2f}x | {target} | {met} |"
        )
    loads = " ".join(f"{value:.2f}" for value in load)
    now = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nPython {sys.version.split()[0]}, {ssl.OPENSSL_VERSION}; load average {loads} before,")
    print(f"{now} after")


if __name__ == "__main__":
    main()
